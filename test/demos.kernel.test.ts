/**
 * Every socket demo against the real kernel on loopback: its expected states are observed,
 * and nothing it opened outlives it — also when it fails halfway (an injected failure after
 * the server starts, and after the connection is established).
 */
import { describe, expect, it } from "vitest";
import { DEMO_NAMES, InjectedFailure, runDemo, type DemoName, type DemoResources } from "../src/index.js";
import { TCP_COUNTER_NAMES } from "../src/demos/counters.js";
import { leftovers } from "./support/demo-leaks.js";
import { EXPECTED } from "./support/demo-states.js";
import { toolGate } from "./support/tools.js";

const onLinux = process.platform === "linux";
const tcpdump = onLinux ? toolGate("tcpdump", "apt-get install tcpdump") : { skip: true, reason: "not Linux" };


/** Facts beyond states that a step must report. */
const DETAILS: Partial<Record<DemoName, Record<number, Record<string, unknown>>>> = {
  "four-way-close": { 2: { bytesReceivedByClient: 100 } },
  "half-close": { 1: { bytesReceivedByServer: 100 }, 2: { bytesReceivedByClient: 2000 } },
  "abort-rst": { 1: { serverError: "ECONNRESET" } },
  "close-unread-data": { 1: { clientRecvQ: 100 }, 2: { serverError: "ECONNRESET" } },
  "connect-refused": { 1: { error: "ECONNREFUSED" } },
  crash: { 1: { serverReadEof: true }, 2: { serverError: "none" }, 3: { childRecvQ: 100 }, 4: { serverError: "ECONNRESET" } },
};

/**
 * What the application sees at each call (`app`), worked out from each demo's steps: Node's
 * 'end' is read() returning 0, its 'error' the errno; the times are left out.
 */
const CONNECT = ["client connect() → ok", "server accept() → ok"];
const APP: Partial<Record<DemoName, string[]>> = {
  "four-way-close": [
    ...CONNECT, "client shutdown(SHUT_WR) → ok", "server read() → 0 (EOF)", "server write(100 bytes) → ok", "client read() → 100 bytes",
    "server shutdown(SHUT_WR) → ok", "client read() → 0 (EOF)",
  ],
  "half-close": [
    ...CONNECT, "client write(100 bytes) → ok", "client shutdown(SHUT_WR) → ok", "server read() → 100 bytes", "server read() → 0 (EOF)",
    "server write(2000 bytes) → ok", "client read() → 2000 bytes", "server shutdown(SHUT_WR) → ok", "client read() → 0 (EOF)",
  ],
  "three-way-close": [...CONNECT, "client close() → ok", "server read() → 0 (EOF)", "server shutdown(SHUT_WR) → ok", "server close() → ok"],
  "abort-rst": [...CONNECT, "client setsockopt(SO_LINGER {1, 0}); close() → ok", "server read() → ECONNRESET"],
  "close-unread-data": [...CONNECT, "server write(100 bytes) → ok", "client close() → ok", "server read() → ECONNRESET"],
  "close-wait-leak": [...CONNECT, "client close() → ok", "server read() → 0 (EOF)"],
  "connect-refused": ["client connect() → ECONNREFUSED"],
  crash: [
    ...CONNECT, "client close() at exit (SIGKILL) → ok", "server read() → 0 (EOF)", "server shutdown(SHUT_WR) → ok",
    ...CONNECT, "server write(100 bytes) → ok", "client close() at exit (SIGKILL) → ok", "server read() → ECONNRESET",
  ],
  "time-wait-pileup": ["client connect(), then close(), 50 times → ok"],
};

describe.skipIf(!onLinux)("socket demos on the real kernel", () => {
  // Demos with their own kernel test file (test/demos.new-kernel.test.ts …) have no row in EXPECTED.
  for (const name of DEMO_NAMES.filter((n) => EXPECTED[n] !== undefined)) {
    it(`${name}: observes the expected states and leaks nothing`, async () => {
      const resources: DemoResources = { ports: [], pids: [] };
      const result = await runDemo(name, { resources });
      expect(result.demo).toBe(name);
      expect(result.steps.map((s) => `${s.observed.client}/${s.observed.server}`)).toEqual(EXPECTED[name]);
      expect(result.steps.map((s) => `${s.expected.client}/${s.expected.server}`)).toEqual(EXPECTED[name]);
      for (const [i, detail] of Object.entries(DETAILS[name] ?? {})) expect(result.steps[Number(i)]?.detail).toMatchObject(detail);
      expect(result.ok, JSON.stringify(result.steps, null, 1)).toBe(true);
      expect(result.app.map((c) => `${c.endpoint} ${c.call} → ${c.result}`)).toEqual(APP[name]);
      // In time order, on the demo's clock.
      expect(result.app.map((c) => c.t)).toEqual([...result.app.map((c) => c.t)].sort((a, b) => a - b));
      // The relevant counters, all of them (namespace-wide deltas, so only their presence is exact here;
      // test/demos.counters.test.ts checks exact values in a private namespace).
      expect(Object.keys(result.counters ?? {})).toEqual(TCP_COUNTER_NAMES);
      expect(result.segments).toEqual([]);
      expect(result.capture).toBeUndefined();
      expect(resources.ports.length).toBeGreaterThan(0);
      expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
    });
  }

  for (const name of ["four-way-close", "close-unread-data", "crash"] as const) {
    it(`${name} over IPv6 (::1): the same states, nothing left behind`, async () => {
      const resources: DemoResources = { ports: [], pids: [] };
      const result = await runDemo(name, { host: "::1", resources });
      expect(result.steps.map((s) => `${s.observed.client}/${s.observed.server}`)).toEqual(EXPECTED[name]);
      expect(result.ok).toBe(true);
      expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
    });
  }

  it("time-wait-pileup: the count follows the number of connections, and the total agrees exactly with sockstat", async () => {
    const result = await runDemo("time-wait-pileup", { connections: 7 });
    expect(result.steps[0]?.detail).toEqual({
      connections: 7, timeWait: 7, clientPorts: 7, clientOther: 0, portsReused: 0, serverSockets: 0, clientStates: "TIME_WAIT 7", serverStates: "none" });
    const totals = result.steps[1]?.detail as { procTimeWaitTotal: number; sockstatTw: number; sockstatTwAfter: number; agreement: string; tries: number };
    // sockstat counts the whole namespace and other test files churn TIME_WAIT sockets in
    // parallel, so the demo retries until a quiet instant; nothing weaker than exact is accepted.
    expect(totals, JSON.stringify(totals)).toMatchObject({ agreement: "exact", ours: 7, clientStates: "TIME_WAIT 7", serverStates: "none" });
    expect(totals.sockstatTwAfter).toBe(totals.sockstatTw);
    expect(totals.procTimeWaitTotal).toBe(totals.sockstatTw);
    expect(totals.procTimeWaitTotal).toBeGreaterThanOrEqual(7);
    expect(totals.tries).toBeGreaterThanOrEqual(1);
    expect(result.ok).toBe(true);
  });

  it.skipIf(tcpdump.skip)("crash, captured: the killed child sends FIN, not RST; with unread data it sends RST", async () => {
    const resources: DemoResources = { ports: [], pids: [] };
    const result = await runDemo("crash", { capture: true, resources });
    expect(result.capture, "tcpdump is installed but could not capture (run as root or grant CAP_NET_RAW)").toMatchObject({ ok: true, connections: 2, dropped: 0 });
    // The child is the client (it connected); what it sent, per connection, as "FLAGS".
    const sent = (connection: number, from: "client" | "server"): string[] =>
      result.segments.filter((s) => s.connection === connection && s.from === from).map((s) => s.flags.join(","));
    const all = JSON.stringify(result.segments);
    // 1. Nothing unread: the kernel closes the dead child's socket like close(), a FIN; its
    //    orphaned end then ACKs the server's FIN. No RST from either side.
    expect(sent(1, "client"), all).toEqual(["SYN", "ACK", "FIN,ACK", "ACK"]);
    expect(result.segments.filter((s) => s.connection === 1 && s.flags.includes("RST")), all).toEqual([]);
    // 2. 100 bytes unread: RST instead of FIN (tcp_close: data was lost), and nothing after it.
    const second = sent(2, "client");
    expect(second.slice(0, 2), all).toEqual(["SYN", "ACK"]);
    expect(second.at(-1), all).toBe("RST,ACK");
    expect(second.filter((f) => f.includes("FIN")), all).toEqual([]);
    expect(result.segments.filter((s) => s.connection === 2 && s.from === "server" && s.len > 0).map((s) => s.len)).toEqual([100]);
    expect(result.ok).toBe(true);
    expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
  });

  const failing: [DemoName, string][] = [
    ["four-way-close", "server-listening"],
    ["close-wait-leak", "connected"],
    ["close-unread-data", "connected"],
    ["crash", "connected"],
    ["time-wait-pileup", "server-listening"],
  ];
  for (const [name, at] of failing) {
    it(`${name}: a failure injected at "${at}" still closes everything`, async () => {
      const resources: DemoResources = { ports: [], pids: [] };
      await expect(runDemo(name, { resources, failAt: at })).rejects.toBeInstanceOf(InjectedFailure);
      expect(resources.ports.length).toBeGreaterThan(at === "connected" ? 1 : 0);
      if (name === "crash") expect(resources.pids.length).toBe(1);
      expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
    });
  }

  it("a failing demo with capture stops tcpdump too (its pid is in the resources)", async () => {
    const resources: DemoResources = { ports: [], pids: [] };
    await expect(runDemo("abort-rst", { resources, capture: true, failAt: "connected" })).rejects.toBeInstanceOf(InjectedFailure);
    expect(await leftovers(resources)).toEqual({ sockets: [], children: [] });
  });
});
