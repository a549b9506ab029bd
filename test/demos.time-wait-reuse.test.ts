/**
 * time-wait-reuse on the real kernel (loopback): which TIME_WAIT 4-tuples can be used again,
 * by whom, with which errno — and the sequence-number gap Linux puts between the old
 * connection and the new one.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InjectedFailure, runDemo, type DemoResources } from "../src/index.js";
import { TW_ISN_GAP, TW_REUSE_SERVER_BYTES } from "../src/demos/time-wait-reuse.js";
import { leftovers } from "./support/demo-leaks.js";
import { toolGate } from "./support/tools.js";

const onLinux = process.platform === "linux";
const python = onLinux ? toolGate("python3", "apt-get install python3") : { skip: true, reason: "not Linux" };
/** TCP_REPAIR, which reads the sequence numbers, needs CAP_NET_ADMIN. */
const isRoot = process.getuid?.() === 0;

const EXPECTED = [
  "ESTABLISHED/ESTABLISHED", // bind C, connect
  "CLOSED/TIME_WAIT", // the server closed first
  "ESTABLISHED/ESTABLISHED", // same port again: the server's TIME_WAIT takes the SYN
  "TIME_WAIT/CLOSED", // the client closed first
  "TIME_WAIT/CLOSED", // bind(C) fails three ways
  "TIME_WAIT/CLOSED", // port C2 with SO_REUSEADDR, closed first by the client
  "ESTABLISHED/ESTABLISHED", // SO_REUSEADDR on both: bind + connect take the TIME_WAIT over
  "TIME_WAIT/CLOSED", // closed first by the client again
  "ESTABLISHED/ESTABLISHED", // Node localPort takes it over too
  "CLOSED/TIME_WAIT", // the server closes first and stops listening
  "CLOSED/TIME_WAIT", // Node listens again at once
  "CLOSED/TIME_WAIT", // bind without SO_REUSEADDR fails, with it succeeds
];

function sysctl(name: string): string {
  return readFileSync(`/proc/sys/net/ipv4/${name}`, "utf8").trim();
}

describe.skipIf(python.skip)("time-wait-reuse: which TIME_WAIT 4-tuples can be used again", () => {
  for (const host of ["127.0.0.1", "::1"] as const) {
    it(`${host}: exact states, errnos and sequence gaps`, async () => {
      const resources: DemoResources = { ports: [], pids: [] };
      const result = await runDemo("time-wait-reuse", { host, resources });
      expect(result.steps.map((s) => `${s.observed.client}/${s.observed.server}`), JSON.stringify(result.steps, null, 1)).toEqual(EXPECTED);
      expect(result.steps.map((s) => `${s.expected.client}/${s.expected.server}`)).toEqual(EXPECTED);
      const d = result.steps.map((s) => s.detail ?? {});
      expect(d[1]).toEqual({ bytesReceivedByClient: TW_REUSE_SERVER_BYTES });
      // The server's new ISN = its old snd_nxt (ISN + 1 SYN + 100 bytes + 1 FIN) + 65535 + 2
      // (tcp_timewait_state_process, TCP_TW_SYN).
      expect(d[2]).toEqual({ bind: "ok", serverIsnGap: isRoot ? TW_ISN_GAP + 102 : expect.stringMatching(/^unavailable/), expectedIsnGap: 65639 });
      // Both sockets must have SO_REUSEADDR to share a port (inet_bind_conflict); the TIME_WAIT
      // socket keeps its socket's setting, which was off. Node's bind sets it, and fails the same way.
      expect(d[4]).toEqual({ withoutReuseaddr: "EADDRINUSE", withReuseaddr: "EADDRINUSE", nodeLocalPort: "EADDRINUSE" });
      // An explicitly bound port: tcp_twsk_unique() reuses the TIME_WAIT (it saw timestamps) whatever
      // tcp_tw_reuse says, and the client's new ISN is its old snd_nxt (ISN + SYN + FIN) + 65537.
      expect(d[6]).toMatchObject({
        bind: "ok",
        connect: "ok",
        tcp_tw_reuse: sysctl("tcp_tw_reuse"),
        tcp_timestamps: sysctl("tcp_timestamps"),
        clientIsnGap: isRoot ? TW_ISN_GAP + 2 : expect.stringMatching(/^unavailable/),
        expectedIsnGap: 65539,
      });
      // Taken over well inside tcp_tw_reuse_delay (1000 ms): not the sysctl's doing.
      expect(d[6]?.msInTimeWait).toBeLessThan(1000);
      expect(d[8]).toEqual({ nodeLocalPort: "ok" });
      expect(d[10]).toEqual({ nodeListen: "ok" });
      expect(d[11]).toEqual({ withoutReuseaddr: "EADDRINUSE", withReuseaddr: "ok" });
      expect(result.ok).toBe(true);
      expect(result.app.map((a) => `${a.endpoint}: ${a.result}`)).toEqual([
        "client: ok",
        `client: ${TW_REUSE_SERVER_BYTES} bytes, then 0 (EOF)`,
        "client: ok",
        "client: EADDRINUSE",
        "client: EADDRINUSE",
        "client: EADDRINUSE",
        "client: ok",
        "client: ok",
        "client: ok",
        "server: ok",
        "server: ok",
        "server: EADDRINUSE",
        "server: ok",
      ]);
      if (result.tracing.ok) {
        // Port C's 4-tuple, server end: the first connection closes actively (FIN_WAIT_1,
        // FIN_WAIT_2, then the timewait socket), and the same 4-tuple opens again (a second
        // SYN_RCVD) — one tracked connection, two lives.
        const server1 = result.transitions.filter((t) => t.connection === 1 && t.endpoint === "server").map((t) => t.to);
        expect(server1.filter((s) => s === "SYN_RCVD"), server1.join(" ")).toHaveLength(2);
        expect(server1.lastIndexOf("SYN_RCVD"), server1.join(" ")).toBeGreaterThan(server1.indexOf("FIN_WAIT_2"));
      }
      expect(resources.pids.length).toBe(1);
      expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
    }, 30_000);
  }

  it("a failure injected once connected still closes everything, the python child included", async () => {
    const resources: DemoResources = { ports: [], pids: [] };
    await expect(runDemo("time-wait-reuse", { resources, failAt: "connected" })).rejects.toBeInstanceOf(InjectedFailure);
    expect(resources.pids.length).toBe(1);
    expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
  });
});
