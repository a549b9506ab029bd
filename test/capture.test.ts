// Capture with tcpdump: a real loopback connection captured and replayed (gated on tcpdump),
// the reasons given when capture is impossible, and no tcpdump left running in any case.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { replayCaptureFile, startCapture, withCapture, TCPDUMP_MISSING, TCPDUMP_NOT_PERMITTED } from "../src/capture/index.js";
import { readPcap } from "../src/parse/pcap/index.js";
import { replayCapture, replayedStates } from "../src/replay/index.js";
import { toolGate } from "./support/tools.js";

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const scratch = mkdtempSync(join(tmpdir(), "capture-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A stand-in for tcpdump: a shell script with the given body. */
function fakeTcpdump(name: string, body: string): string {
  const path = join(scratch, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

it("replayCaptureFile reads and replays a file from disk", async () => {
  const { pcap, replay } = await replayCaptureFile(new URL("./fixtures/pcap/rst-v4.pcap", import.meta.url).pathname);
  expect(pcap.source).toBe("rst-v4.pcap");
  expect(replay.connections.map((c) => c.final)).toEqual([{ client: "CLOSED", server: "CLOSED" }]);
  expect(replay.connections[0]?.trace.name).toBe("rst-v4.pcap #1 127.0.0.1:42646 → 127.0.0.1:35581");
});

describe("when capture is impossible", () => {
  it("tcpdump missing: a reason, no exception, and withCapture still runs the action", async () => {
    const r = await startCapture({ ports: [9], tcpdump: join(scratch, "no-such-tcpdump") });
    expect(r).toEqual({ ok: false, reason: TCPDUMP_MISSING });
    const w = await withCapture({ ports: [9], tcpdump: join(scratch, "no-such-tcpdump") }, async () => 42);
    expect(w).toEqual({ value: 42, capture: { ok: false, reason: "tcpdump not installed: apt-get install tcpdump" } });
  });

  it("tcpdump not permitted: says how to fix it", async () => {
    const fake = fakeTcpdump("denied", `echo "tcpdump: lo: You don't have permission to perform this capture on that device" >&2\necho "(socket: Operation not permitted)" >&2\nexit 1`);
    expect(await startCapture({ ports: [9], tcpdump: fake })).toEqual({ ok: false, reason: TCPDUMP_NOT_PERMITTED });
  });

  it("tcpdump failing otherwise: its last words and exit code", async () => {
    const fake = fakeTcpdump("broken", `echo "tcpdump: lo: No such device exists" >&2\nexit 1`);
    expect(await startCapture({ ports: [9], tcpdump: fake })).toEqual({
      ok: false, reason: "tcpdump exited before it started capturing (exit code 1): tcpdump: lo: No such device exists" });
  });

  it("tcpdump that never starts listening is killed after the start timeout", async () => {
    const pidFile = join(scratch, "hang.pid");
    const fake = fakeTcpdump("hang", `echo $$ > ${pidFile}\nexec sleep 30`);
    const r = await startCapture({ ports: [9], tcpdump: fake, startTimeoutMs: 300 });
    expect(r).toEqual({ ok: false, reason: 'tcpdump did not report "listening on" within 300 ms' });
    expect(alive(Number(readFileSync(pidFile, "utf8")))).toBe(false);
  });

  it("an output file tcpdump cannot write is named as such, not as a capture permission", async () => {
    const file = join(scratch, "x.pcap");
    const fake = fakeTcpdump("nowrite", `echo "tcpdump: ${file}: Permission denied" >&2\nexit 1`);
    expect(await startCapture({ ports: [9], tcpdump: fake, file })).toEqual({
      ok: false, reason: `tcpdump cannot write the capture file: tcpdump: ${file}: Permission denied` });
  });

  it("rejects bad ports before starting anything", async () => {
    expect(await startCapture({ ports: [] })).toEqual({ ok: false, reason: "capture needs at least one port to filter on" });
    expect(await startCapture({ ports: [70000] })).toEqual({ ok: false, reason: "capture: port 70000 is not an integer in 1..65535" });
  });

  it("a fake tcpdump that listens is stopped with SIGINT, and its report is parsed", async () => {
    const fake = fakeTcpdump("ok", `trap 'echo "3 packets captured" >&2; echo "0 packets dropped by kernel" >&2; exit 0' INT\necho "tcpdump: listening on lo" >&2\nwhile :; do sleep 0.05; done`);
    const r = await startCapture({ ports: [9, 10], tcpdump: fake, file: join(scratch, "fake.pcap"), settleMs: 50 });
    if (!r.ok) throw new Error(r.reason);
    expect(r.filter).toBe("tcp port 9 or tcp port 10");
    const summary = await r.stop();
    expect(summary).toMatchObject({ ok: true, packetsCaptured: 3, packetsDropped: 0, file: join(scratch, "fake.pcap") });
    expect(await r.stop()).toBe(summary);
    expect(alive(r.pid)).toBe(false);
  });
});

const gate = toolGate("tcpdump", "apt-get install tcpdump");

describe.skipIf(gate.skip)("live capture on loopback (tcpdump)", () => {
  it("captures a real four-way close and replays it", async () => {
    let serverClosed!: () => void;
    const closed = new Promise<void>((r) => (serverClosed = r));
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      s.resume();
      s.on("end", () => setTimeout(() => s.end(), 150)); // past the delayed ACK: four segments
      s.on("close", serverClosed);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as net.AddressInfo).port;
    try {
      // The barrier SYN (to ::1, where nothing listens) makes the capture complete however busy
      // the machine is: stop() waits until tcpdump has written it, and so everything before it.
      const barrier = { host: "::1", port } as const;
      const { value, capture } = await withCapture({ ports: [port], file: join(scratch, "live.pcap"), barrier }, async () => {
        const c = net.connect(port, "127.0.0.1");
        await once(c, "connect");
        const localPort = c.localPort;
        c.write("hello");
        await sleep(50);
        c.end();
        c.resume();
        await Promise.all([once(c, "close"), closed]);
        return localPort;
      });
      if (!capture.ok) throw new Error(`capture failed although tcpdump is installed: ${capture.reason}`);
      const pcap = readPcap(new Uint8Array(readFileSync(capture.file)), { source: "live.pcap" });
      expect(pcap.diagnostics).toEqual([]);
      expect(capture.packetsCaptured).toBe(pcap.frames);
      const connections = replayCapture(pcap).connections.filter((c) => c.server.address !== barrier.host);
      expect(connections.length).toBe(1);
      const conn = connections[0]!;
      expect(conn.client).toEqual({ address: "127.0.0.1", port: value });
      expect(conn.server).toEqual({ address: "127.0.0.1", port });
      expect(conn.segments.map((s) => `${s.from} ${s.flags.join("+")}`)).toEqual([
        "client SYN", "server SYN+ACK", "client ACK", "client PSH+ACK", "server ACK",
        "client FIN+ACK", "server ACK", "server FIN+ACK", "client ACK",
      ]);
      expect(replayedStates(conn, "client")).toEqual(["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"]);
      expect(replayedStates(conn, "server")).toEqual(["LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"]);
      expect(conn.anomalies).toEqual([]);
    } finally {
      server.close();
    }
  });

  it("stops tcpdump when the action throws, and rethrows", async () => {
    // The real tcpdump, behind a wrapper that records its pid (exec keeps the pid).
    const pidFile = join(scratch, "real.pid");
    const wrapper = fakeTcpdump("real", `echo $$ > ${pidFile}\nexec tcpdump "$@"`);
    let pid = -1;
    const file = join(scratch, "throws.pcap");
    await expect(withCapture({ ports: [9], file, settleMs: 50, tcpdump: wrapper }, async () => {
      pid = Number(readFileSync(pidFile, "utf8"));
      expect(alive(pid)).toBe(true);
      throw new Error("demo failed halfway");
    })).rejects.toThrow("demo failed halfway");
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
    expect(readFileSync(file).subarray(0, 4)).toEqual(Buffer.from([0xd4, 0xc3, 0xb2, 0xa1]));
    expect(dirname(file)).toBe(scratch);
  });
});
