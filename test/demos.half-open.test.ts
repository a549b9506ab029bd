/**
 * half-open on the real kernel, in two private network namespaces: the states, errnos and
 * counts each case must show, and nothing left behind — no namespace, no child — after a run,
 * after an injected failure, and after SIGINT to the CLI halfway through.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InjectedFailure, runDemo, type DemoResources, type DemoResult } from "../src/index.js";
import { HALF_OPEN_KEEPALIVE, HALF_OPEN_USER_TIMEOUT_MS } from "../src/demos/half-open.js";
import { hasCommand, listOurNamespaces, netnsUnavailable } from "../src/demos/netns.js";
import { leftovers } from "./support/demo-leaks.js";
import { inCI } from "./support/tools.js";

const unavailable = netnsUnavailable();
if (unavailable !== undefined && inCI) throw new Error(`CI=true but the half-open demo cannot run: ${unavailable}`);
if (unavailable !== undefined) console.warn(`skipping the half-open demo tests: ${unavailable}`);

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");

/** Every `tl-` namespace `ip netns list` shows: none may be ours once a run is over. */
function namespacesOf(pid: number): string[] {
  return hasCommand("ip") ? listOurNamespaces(pid) : [];
}

describe.skipIf(unavailable !== undefined)("half-open: a peer that vanishes without FIN or RST", () => {
  let result: DemoResult;
  const resources: DemoResources = { ports: [], pids: [] };

  it("each way of learning of it: states, errnos and counts", async () => {
    result = await runDemo("half-open", { resources });
    const rows = result.steps.map((s) => `${s.observed.client}/${s.observed.server}`);
    // client = the survivor (host b), server = the vanished peer (host a). After the crash a
    // holds nothing; b's ends stay ESTABLISHED until each learns (RFC 9293 §3.5.1).
    const expected = [
      "ESTABLISHED/ESTABLISHED", // three handshakes
      "ESTABLISHED/CLOSED", // the crash: nothing reaches b
      "ESTABLISHED/CLOSED", // connection 1 retransmits
      "CLOSED/CLOSED", // ETIMEDOUT by TCP_USER_TIMEOUT
      "CLOSED/CLOSED", // ETIMEDOUT by keepalive
      "ESTABLISHED/CLOSED", // connection 3 cannot know
      "ESTABLISHED/CLOSED", // a is back, without the connection
      "CLOSED/CLOSED", // RST: ECONNRESET
    ];
    expect(rows, JSON.stringify(result.steps, null, 1)).toEqual(expected);
    expect(result.steps.map((s) => `${s.expected.client}/${s.expected.server}`)).toEqual(expected);
    const detail = result.steps.map((s) => s.detail ?? {});
    // Nothing at all arrives at b when a vanishes: no FIN, no RST (b's namespace counts only ours).
    expect(detail[1]).toEqual({ segmentsReceivedByB: 0 });
    // The 100 bytes stay unacknowledged in the send queue while b retransmits.
    expect(detail[2]).toMatchObject({ unackedBytes: 100 });
    expect(detail[2]?.retransmissionsSoFar).toBeGreaterThanOrEqual(1);
    // RTO here is 200 ms + (rto_min + a tiny RTT variance). The segment is sent again by the tail
    // loss probe (~0.2 s, __tcp_retransmit_skb, TcpExtTCPLossProbes) and by the RTO at ~0.41,
    // ~0.82, ~1.64 s (doubling). TCP_USER_TIMEOUT counts from retrans_stamp, which the first RTO
    // retransmission sets (tcp_retransmit_skb), so the connection dies at ~0.41 + 1.5 ≈ 1.9 s,
    // before the next RTO (~3.3 s): 4 retransmissions, 1 of them the probe.
    expect(detail[3]).toMatchObject({ error: "ETIMEDOUT", retransmissions: 4, lossProbes: 1 });
    expect(detail[3]?.msAfterWrite).toBeGreaterThanOrEqual(HALF_OPEN_USER_TIMEOUT_MS);
    expect(detail[3]?.msAfterWrite).toBeLessThan(3000);
    // Keepalive: first probe after TCP_KEEPIDLE (1 s) without a segment from a, then one per
    // TCP_KEEPINTVL (1 s); with TCP_KEEPCNT (2) unanswered the next expiry ends it
    // (tcp_keepalive_timer → tcp_write_err): ~3 s after the last segment, the handshake.
    expect(detail[4]).toMatchObject({ error: "ETIMEDOUT", keepaliveProbes: HALF_OPEN_KEEPALIVE[2] });
    const idleMs = (HALF_OPEN_KEEPALIVE[0] + HALF_OPEN_KEEPALIVE[1] * HALF_OPEN_KEEPALIVE[2]) * 1000;
    expect(detail[4]?.msAfterConnect).toBeGreaterThanOrEqual(idleMs - 100);
    expect(detail[4]?.msAfterConnect).toBeLessThan(idleMs + 1500);
    // a answers the segment with exactly one RST (tcp_v4_send_reset: no socket), nothing is retransmitted.
    expect(detail[7]).toMatchObject({ error: "ECONNRESET", resetsSentByA: 1, retransmissions: 0 });
    expect(result.ok).toBe(true);

    expect(result.app.map((a) => `${a.endpoint} ${a.call.split(" (")[0]}: ${a.result}`)).toEqual([
      "client connect() on connection 1: ok",
      "client connect() on connection 2: ok",
      "client connect() on connection 3: ok",
      "client write(100 bytes) on connection 1: 100 bytes",
      "client read() on connection 1: ETIMEDOUT",
      "client read() on connection 2: ETIMEDOUT",
      "client write(10 bytes) on connection 3: 10 bytes",
      "client read() on connection 3: ECONNRESET",
    ]);
    if (result.tracing.ok) {
      // tracefs sees every namespace: b's three ends each go ESTABLISHED → CLOSED with no FIN state between.
      const client = (c: number): string[] => result.transitions.filter((t) => t.connection === c && t.endpoint === "client").map((t) => t.to);
      for (const c of [1, 2, 3]) expect(client(c)).toEqual(["SYN_SENT", "ESTABLISHED", "CLOSED"]);
    }
  }, 30_000);

  it("leaves no namespace and no child behind", async () => {
    expect(resources.pids.length).toBe(2);
    expect(namespacesOf(process.pid)).toEqual([]);
    expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
  });

  for (const at of ["server-listening", "connected"]) {
    it(`a failure injected at "${at}" still removes the namespaces and the children`, async () => {
      const res: DemoResources = { ports: [], pids: [] };
      await expect(runDemo("half-open", { resources: res, failAt: at })).rejects.toBeInstanceOf(InjectedFailure);
      expect(res.pids.length).toBe(2);
      expect(namespacesOf(process.pid)).toEqual([]);
      expect(await leftovers(res)).toEqual({ sockets: [], children: [] });
    });
  }

  it("SIGINT to the CLI halfway: no namespace and no process of the run is left", async () => {
    const marker = `TCP_LIFECYCLE_HALF_OPEN_TEST=${process.pid}-${Math.random().toString(36).slice(2)}`;
    const [key, value] = marker.split("=") as [string, string];
    const child = spawn(process.execPath, [CLI, "demo", "half-open"], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, [key]: value } });
    const pid = child.pid ?? -1;
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // Wait until the namespaces exist (the demo is in its run), then a little into it.
    const deadline = Date.now() + 10_000;
    while (namespacesOf(pid).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(namespacesOf(pid), stderr).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 700));
    child.kill("SIGINT");
    await exited;
    let left: number[] = [];
    for (let i = 0; i < 20; i++) {
      left = readdirSync("/proc").filter((e) => /^\d+$/.test(e)).map(Number).filter((p) => {
        try {
          return readFileSync(`/proc/${p}/environ`, "latin1").includes(marker);
        } catch {
          return false;
        }
      });
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const p of left) process.kill(p, "SIGKILL");
    expect(left, "processes of the run left after SIGINT").toEqual([]);
    expect(namespacesOf(pid)).toEqual([]);
  }, 30_000);
});
