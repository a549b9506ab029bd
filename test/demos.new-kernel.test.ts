/**
 * The issue-10 demos on the real kernel: delayed-ack (3 or 4 segments to close, and why) and
 * lingering-close (close() with unread data → RST → the client loses the response; then the
 * fix). Expectations come from the mechanism in each demo's file comment, not from a run.
 */
import { describe, expect, it } from "vitest";
import { DELAYED_ACK_CASES, expectedCloseSegments } from "../src/demos/delayed-ack.js";
import { LINGER_MORE_BYTES, LINGER_REQUEST_BYTES, LINGER_RESPONSE_BYTES } from "../src/demos/lingering-close.js";
import { runDemo, type DemoResources, type DemoResult } from "../src/index.js";
import { leftovers } from "./support/demo-leaks.js";
import { toolGate } from "./support/tools.js";

const onLinux = process.platform === "linux";
const tcpdump = onLinux ? toolGate("tcpdump", "apt-get install tcpdump") : { skip: true, reason: "not Linux" };

const states = (r: DemoResult): string[] => r.steps.map((s) => `${s.observed.client}/${s.observed.server}`);
const calls = (r: DemoResult): string[] => r.app.map((c) => `${c.endpoint} ${c.call} → ${c.result}`);

describe("expectedCloseSegments: the mechanism, as a table", () => {
  it("data received: ato 40 ms, so closes at 0/10 ms carry the ACK (3) and at 100 ms do not (4); no data: the ACK goes at the next tick (4), 0 ms is a race", () => {
    expect(DELAYED_ACK_CASES.map((c) => `${c.data ? "data" : "none"} ${c.delayMs}: ${expectedCloseSegments(c).join("|")}`)).toEqual([
      "data 0: 3", "data 10: 3", "data 100: 4", "none 0: 3|4", "none 10: 4", "none 100: 4",
    ]);
  });
});

describe.skipIf(!onLinux)("delayed-ack on the real kernel", () => {
  it.skipIf(tcpdump.skip)("captured: 3 or 4 segments per case, exactly as the mechanism predicts; the lone ACK comes after ~40 ms or at the next tick", async () => {
    const resources: DemoResources = { ports: [], pids: [] };
    const result = await runDemo("delayed-ack", { capture: true, resources });
    expect(result.capture, "tcpdump is installed but could not capture").toMatchObject({ ok: true, connections: 6, dropped: 0 });
    const all = JSON.stringify(result.steps, null, 1);
    expect(states(result)).toEqual(Array(6).fill("TIME_WAIT/CLOSED"));
    const segs = result.steps.map((s) => s.detail?.segments);
    DELAYED_ACK_CASES.forEach((c, i) => {
      const closedAfterMs = result.steps[i]?.detail?.closedAfterMs as number;
      expect(closedAfterMs, all).toBeGreaterThanOrEqual(c.delayMs - 1);
      // A timer 20 ms late (a loaded machine) could move a close across the 40 ms; on time,
      // the expectation is the nominal one: 3, 3, 4, "3 or 4", 4, 4.
      if (closedAfterMs - c.delayMs < 20) expect(expectedCloseSegments(c, closedAfterMs)).toEqual(expectedCloseSegments(c));
      // 0 ms without data: the tick and Node's close() race; either is right, nothing else is.
      expect(expectedCloseSegments(c, closedAfterMs), all).toContain(segs[i]);
    });
    for (const s of result.steps) {
      expect(s.detail?.separateAck, all).toBe(s.detail?.segments === 4);
      expect(s.detail?.onTheWire, all).toBe(
        s.detail?.segments === 3
          ? "client>server FIN,ACK / server>client FIN,ACK / client>server ACK"
          : "client>server FIN,ACK / server>client ACK / server>client FIN,ACK / client>server ACK",
      );
    }
    // With data the lone ACK waited for the delayed-ACK timer: ato = TCP_ATO_MIN, 40 ms (plus at most a tick).
    const ack100 = result.steps[2]?.detail?.ackAfterMs as number;
    expect(ack100, all).toBeGreaterThanOrEqual(40);
    expect(ack100, all).toBeLessThan(100);
    // Without data ato is 0: the next tick (4 ms at HZ=250; measured 0.1-6.3 ms with the machine
    // loaded), far from the 40 ms of a connection that received data.
    for (const i of [4, 5]) expect(result.steps[i]?.detail?.ackAfterMs as number, all).toBeLessThan(20);
    expect(result.ok, all).toBe(true);
    // Each lone ACK was sent by tcp_delack_timer_handler(): at least the three 4-segment cases (namespace-wide, so ≥).
    expect(result.counters?.TcpExtDelayedACKs).toBeGreaterThanOrEqual(3);
    expect(result.counters?.TcpActiveOpens).toBeGreaterThanOrEqual(6);
    expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
  });

  it("without capture: the client's state just before the server's close() shows whether the ACK is still held", async () => {
    const resources: DemoResources = { ports: [], pids: [] };
    const result = await runDemo("delayed-ack", { resources });
    expect(result.capture).toBeUndefined();
    const all = JSON.stringify(result.steps, null, 1);
    const sampled = result.steps.map((s) => s.detail?.clientBeforeServerClose ?? "not sampled");
    // At 0 ms there is no "before". Elsewhere the sample is read asynchronously and dropped if
    // /proc/net/tcp (a walk of the kernel's socket hash: 2-16 ms here under load, more when the
    // thread pool is busy) has not answered by the close; when it has, it must show the held
    // ACK (FIN_WAIT_1) before 40 ms after data, and the sent ACK (FIN_WAIT_2) at 80 ms.
    expect([sampled[0], sampled[3]]).toEqual(["not sampled", "not sampled"]);
    expect(["FIN_WAIT_1", "not sampled in time"], all).toContain(sampled[1]);
    expect(["FIN_WAIT_2", "not sampled in time"], all).toContain(sampled[2]);
    expect(["FIN_WAIT_2", "not sampled in time"], all).toContain(sampled[5]);
    // No data, 10 ms: sampled at 5 ms against an ACK at the next tick (0.1-6.3 ms measured): informative only.
    expect(["FIN_WAIT_1", "FIN_WAIT_2", "not sampled in time"], all).toContain(sampled[4]);
    expect(result.steps.map((s) => s.detail?.expectedSegments)).toEqual(["3", "3", "4", "3 or 4", "4", "4"]);
    expect(result.ok, all).toBe(true);
    // What the application saw, per case: with data, a request and response first.
    const perCase = (data: boolean, delay: number): string[] => [
      "client connect() → ok", "server accept() → ok",
      ...(data ? ["client write(100 bytes) → ok", "server read() → 100 bytes", "server write(100 bytes) → ok", "client read() → 100 bytes"] : []),
      "client shutdown(SHUT_WR) → ok", "server read() → 0 (EOF)",
      delay === 0 ? "server close() at once → ok" : `server close() ${delay} ms after EOF → ok`,
      "client read() → 0 (EOF)", "client close() → ok",
    ];
    expect(calls(result)).toEqual(DELAYED_ACK_CASES.flatMap((c) => perCase(c.data, c.delayMs)));
    expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
  });
});

describe.skipIf(!onLinux)("lingering-close on the real kernel", () => {
  const EXPECTED_STATES = [
    "ESTABLISHED/ESTABLISHED", "ESTABLISHED/ESTABLISHED", "CLOSED/CLOSED", "CLOSED/CLOSED",
    "ESTABLISHED/ESTABLISHED", "ESTABLISHED/ESTABLISHED", "CLOSED/CLOSED", "CLOSED/CLOSED",
    "ESTABLISHED/ESTABLISHED", "ESTABLISHED/ESTABLISHED", "CLOSE_WAIT/FIN_WAIT_2", "CLOSE_WAIT/FIN_WAIT_2", "CLOSED/TIME_WAIT",
  ];

  it("RST on close() with unread data; a client still writing gets ECONNRESET and loses the response; one that reads gets it; the fix uses FINs", async () => {
    const resources: DemoResources = { ports: [], pids: [] };
    const result = await runDemo("lingering-close", { resources });
    const all = JSON.stringify(result.steps, null, 1);
    expect(states(result), all).toEqual(EXPECTED_STATES);
    expect(result.steps.map((s) => `${s.expected.client}/${s.expected.server}`)).toEqual(EXPECTED_STATES);
    const d = (i: number): unknown => result.steps[i]?.detail;
    for (const i of [1, 5, 9]) expect(d(i)).toEqual({ serverRecvQ: LINGER_REQUEST_BYTES, clientRecvQ: LINGER_RESPONSE_BYTES });
    expect(d(3)).toEqual({ clientWrite: "ECONNRESET", clientSocketDestroyed: true, responseBytesRead: 0 });
    expect(d(7)).toEqual({ responseBytesRead: LINGER_RESPONSE_BYTES, nodeReportsAfterData: "EOF" });
    expect(d(10)).toEqual({ serverDrained: LINGER_REQUEST_BYTES });
    expect(d(11)).toEqual({ clientWrite: "ok", serverDrained: LINGER_REQUEST_BYTES + LINGER_MORE_BYTES });
    expect(d(12)).toEqual({ responseBytesRead: LINGER_RESPONSE_BYTES });
    expect(result.ok, all).toBe(true);
    const naive = [
      "client connect() → ok", "server accept() → ok", "client write(1000 bytes) → ok", "server write(100 bytes) → ok", "server close() → ok",
    ];
    expect(calls(result)).toEqual([
      ...naive, "client write(1000 bytes) → ECONNRESET",
      ...naive, "client read() → 100 bytes", "client read() → 0 (EOF)", "client close() → ok",
      "client connect() → ok", "server accept() → ok", "client write(1000 bytes) → ok", "server write(100 bytes) → ok",
      "server shutdown(SHUT_WR) → ok", "server read() → 1000 bytes (discarded)", "client write(1000 bytes) → ok",
      "server read() → 1000 bytes (discarded)",
      "client read() → 100 bytes", "client read() → 0 (EOF)", "client shutdown(SHUT_WR) → ok", "server read() → 0 (EOF)", "server close() → ok",
    ]);
    // Two naive closes with unread data: __tcp_close() counted each (namespace-wide, so at least).
    expect(result.counters?.TcpExtTCPAbortOnClose).toBeGreaterThanOrEqual(2);
    // Each RST takes both ends from ESTABLISHED to CLOSED: tcp_set_state() counts 2 per connection.
    expect(result.counters?.TcpEstabResets).toBeGreaterThanOrEqual(4);
    expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
  });

  it.skipIf(tcpdump.skip)("captured: the naive closes end in the server's RST, the fix in FINs only", async () => {
    const resources: DemoResources = { ports: [], pids: [] };
    const result = await runDemo("lingering-close", { capture: true, resources });
    expect(result.capture).toMatchObject({ ok: true, connections: 3, dropped: 0 });
    const flags = (c: number, from: "client" | "server"): string[] =>
      result.segments.filter((s) => s.connection === c && s.from === from).map((s) => s.flags.join(","));
    const all = JSON.stringify(result.segments);
    for (const c of [1, 2]) {
      // The server's last segment is the RST; it never sent a FIN.
      expect(flags(c, "server").at(-1), all).toBe("RST,ACK");
      expect(flags(c, "server").filter((f) => f.includes("FIN")), all).toEqual([]);
    }
    expect(result.segments.filter((s) => s.connection === 3 && s.flags.includes("RST")), all).toEqual([]);
    expect(flags(3, "server").filter((f) => f.includes("FIN")).length, all).toBe(1);
    expect(flags(3, "client").filter((f) => f.includes("FIN")).length, all).toBe(1);
    expect(result.ok).toBe(true);
    expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
  });

  it("a failure injected after connecting still closes everything", async () => {
    const resources: DemoResources = { ports: [], pids: [] };
    await expect(runDemo("lingering-close", { resources, failAt: "connected" })).rejects.toThrow(/injected failure/);
    expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
  });

  it("delayed-ack: a failure injected after the first connection still closes everything", async () => {
    const resources: DemoResources = { ports: [], pids: [] };
    await expect(runDemo("delayed-ack", { resources, failAt: "connected" })).rejects.toThrow(/injected failure/);
    expect(resources.ports.length).toBeGreaterThan(1);
    expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
  });
});
