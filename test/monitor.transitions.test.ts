/**
 * The monitor's recent-transitions pane: the pure view (formatting, the unavailable line, fitting
 * a terminal), the filter (--port, --state: into or out of the state), and the sampler following
 * the real kernel (root, tracefs) over a real loopback connection, with its tracefs instance gone
 * however sampling ends (count reached, abort, an error in the caller).
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildSnapshot,
  formatTransition,
  renderTransitionsPane,
  renderView,
  runSampler,
  transitionMatches,
  type Sample,
  type SnapshotTransitions,
} from "../src/monitor/index.js";
import { checkTracefs, INSTANCE_PREFIX, listInstances, type TransitionRecord } from "../src/trace/index.js";
import { toolGate } from "./support/tools.js";

function transition(t: number, local: string, remote: string, from: TransitionRecord["from"], to: TransitionRecord["to"], inState: number | null, source: TransitionRecord["source"] = "tracepoint"): TransitionRecord {
  return { type: "transition", t, local, remote, from, to, pid: 4242, comm: "node", inState, source };
}

const SAMPLE: Sample = { source: "proc", origin: "/proc/net/tcp + /proc/net/tcp6", takenAt: Date.UTC(2026, 0, 1), elapsedMs: 1, records: [], diagnostics: [] };
const SNAPSHOT = buildSnapshot(SAMPLE, { platform: "linux" });

/** One active close seen from the client (41234) and the server (8080), as the kernel reports it. */
const CLOSE: TransitionRecord[] = [
  transition(12.3, "127.0.0.1:41234", "127.0.0.1:8080", "ESTABLISHED", "FIN_WAIT_1", 1.5),
  transition(12.342, "127.0.0.1:8080", "127.0.0.1:41234", "ESTABLISHED", "CLOSE_WAIT", 1.5),
  transition(12.345, "127.0.0.1:41234", "127.0.0.1:8080", "FIN_WAIT_1", "FIN_WAIT_2", 0.003),
  transition(12.4, "127.0.0.1:8080", "127.0.0.1:41234", "CLOSE_WAIT", "LAST_ACK", 0.058),
  transition(12.4, "127.0.0.1:41234", "127.0.0.1:8080", "FIN_WAIT_2", "TIME_WAIT", 0.000055, "peer"),
  transition(12.4, "127.0.0.1:8080", "127.0.0.1:41234", "LAST_ACK", "CLOSED", 0.00002),
  transition(72.5, "127.0.0.1:41234", "127.0.0.1:8080", "TIME_WAIT", "CLOSED", 60.1, "procfs"),
];

describe("the recent-transitions pane (pure)", () => {
  it("formats one transition compactly: time, local → remote, old → new, time in the old state", () => {
    expect(formatTransition(CLOSE[2]!)).toBe("12.345 127.0.0.1:41234 → 127.0.0.1:8080 FIN_WAIT_1 → FIN_WAIT_2 (3.0ms)");
    expect(formatTransition(CLOSE[4]!)).toBe("12.400 127.0.0.1:41234 → 127.0.0.1:8080 FIN_WAIT_2 → TIME_WAIT (55µs)");
    expect(formatTransition(CLOSE[0]!)).toBe("12.300 127.0.0.1:41234 → 127.0.0.1:8080 ESTABLISHED → FIN_WAIT_1 (1.50s)");
    // Not seen entering the old state: no time. Seen only in /proc: dated to within a poll, and says so.
    expect(formatTransition(transition(0.5, "[::1]:80", "[::1]:5000", "LISTEN", "SYN_RCVD", null))).toBe("0.500 [::1]:80 → [::1]:5000 LISTEN → SYN_RCVD");
    expect(formatTransition(CLOSE[6]!)).toBe("72.500 127.0.0.1:41234 → 127.0.0.1:8080 TIME_WAIT → CLOSED (60.10s) [seen in /proc]");
  });

  it("lists the last N transitions, oldest first, under a title with the count seen", () => {
    const lines = renderTransitionsPane({ ok: true, recent: CLOSE, seen: 1234 }, { lines: 3 });
    expect(lines).toEqual([
      "Recent transitions (kernel trace, 1,234 seen)",
      `  ${formatTransition(CLOSE[4]!)}`,
      `  ${formatTransition(CLOSE[5]!)}`,
      `  ${formatTransition(CLOSE[6]!)}`,
    ]);
    expect(renderTransitionsPane({ ok: true, recent: [] })).toEqual(["Recent transitions (kernel trace)", "  none yet"]);
    // Lines are cut to the terminal's width, never wrapped (a wrapped line would push the anomalies off screen).
    const cut = renderTransitionsPane({ ok: true, recent: CLOSE.slice(0, 1) }, { width: 30 });
    expect(cut[1]).toBe(`  ${formatTransition(CLOSE[0]!)}`.slice(0, 29) + "…");
    expect(renderTransitionsPane({ ok: true, recent: [], lost: 12 })).toContain("  the kernel's ring buffer dropped 12 events: some transitions are missing");
  });

  it("without tracing, says in one line what is missing and that states are polled, and how often", () => {
    const reason = "root: tracefs instances and TCP tracepoints need root (CAP_SYS_ADMIN)";
    expect(renderTransitionsPane({ ok: false, reason }, { intervalMs: 1000 })).toEqual([
      `recent transitions: unavailable (${reason}); states are polled from /proc every 1s`,
    ]);
    // The whole view keeps every other part and carries the line; the source named is the snapshot's.
    const view = renderView(SNAPSHOT, undefined, { intervalMs: 500, transitions: { ok: false, reason: "tracefs: not mounted" } });
    expect(view).toContain("\nrecent transitions: unavailable (tracefs: not mounted); states are polled from /proc every 500ms\n");
    expect(view).toContain("STATE        COUNT");
    expect(view).toContain("Anomalies\n  none");
    const ss = renderView({ ...SNAPSHOT, source: "ss", origin: "ss -tanoep" }, undefined, { intervalMs: 2000, transitions: { ok: false, reason: "x" } });
    expect(ss).toContain("recent transitions: unavailable (x); states are polled from ss -tanoep every 2s");
  });

  it("sits between the chart and the anomalies; absent without a pane", () => {
    const view = renderView(SNAPSHOT, undefined, { width: 120, transitions: { ok: true, recent: CLOSE } });
    const pane = view.indexOf("Recent transitions");
    expect(pane).toBeGreaterThan(view.indexOf("total"));
    expect(pane).toBeLessThan(view.indexOf("Anomalies"));
    // 8 by default: the last 8 of 7 is all of them.
    for (const r of CLOSE) expect(view).toContain(formatTransition(r));
    expect(renderView(SNAPSHOT)).not.toContain("ecent transitions");
  });

  it("a live terminal lists fewer transitions to fit its height, the anomalies still at the bottom", () => {
    const many = Array.from({ length: 20 }, (_, i) => transition(i, "127.0.0.1:40000", "127.0.0.1:8080", "ESTABLISHED", "FIN_WAIT_1", null));
    const listed = (text: string): number => text.split("\n").filter((l) => l.includes("ESTABLISHED → FIN_WAIT_1")).length;
    const tall = renderView(SNAPSHOT, undefined, { height: 100, transitions: { ok: true, recent: many } });
    expect(listed(tall)).toBe(8);
    const short = renderView(SNAPSHOT, undefined, { height: 28, transitions: { ok: true, recent: many } });
    expect(short.split("\n").length).toBeLessThanOrEqual(28);
    expect(listed(short)).toBeLessThan(8);
    expect(listed(short)).toBeGreaterThan(0);
    expect(short.trimEnd().endsWith("none")).toBe(true);
  });

  it("--port keeps transitions where either end has the port; --state those into or out of the state", () => {
    const [fin1, closeWait, fin2] = [CLOSE[0]!, CLOSE[1]!, CLOSE[2]!];
    expect(transitionMatches(fin1, {})).toBe(true);
    expect(transitionMatches(fin1, { port: 8080 })).toBe(true);
    expect(transitionMatches(fin1, { port: 41234 })).toBe(true);
    expect(transitionMatches(fin1, { port: 80 })).toBe(false);
    expect(transitionMatches(fin1, { state: "FIN_WAIT_1" })).toBe(true); // into
    expect(transitionMatches(fin2, { state: "FIN_WAIT_1" })).toBe(true); // out of
    expect(transitionMatches(closeWait, { state: "FIN_WAIT_1" })).toBe(false);
    expect(transitionMatches(transition(1, "[::1]:8080", "[::1]:5000", "LISTEN", "SYN_RCVD", null), { port: 8080, state: "LISTEN" })).toBe(true);
    expect(transitionMatches(transition(1, "[::1]:8080", "[::1]:5000", "LISTEN", "SYN_RCVD", null), { port: 5001 })).toBe(false);
  });
});

const tracefs = checkTracefs();
const gate = toolGate("tracefs (root)", "run as root with tracefs mounted", tracefs.ok);
const ours = (): string[] => (tracefs.ok ? listInstances(tracefs.root).filter((n) => n.startsWith(`${INSTANCE_PREFIX}${process.pid}-`)) : []);

describe.skipIf(gate.skip)("the sampler follows the kernel's transitions (root, tracefs)", () => {
  let server: net.Server;
  let port = 0;
  beforeAll(async () => {
    // The server closes as soon as the client's FIN arrives (allowHalfOpen false): a passive close.
    server = net.createServer((s) => s.resume());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** Connect, then close from the client first (active close); resolves with the client's port once both ends are closed. */
  async function connectAndClose(): Promise<number> {
    const c = net.connect(port, "127.0.0.1");
    await new Promise<void>((r) => c.once("connect", () => r()));
    const clientPort = c.localPort!;
    c.resume();
    c.end();
    await new Promise<void>((r) => c.once("close", () => r()));
    return clientPort;
  }

  it("hands each snapshot the transitions since the previous one, and removes its instance at the count", async () => {
    expect(ours()).toEqual([]);
    const got: SnapshotTransitions[] = [];
    let clientPort = 0;
    let during: string[] = [];
    const taken = await runSampler({
      intervalMs: 150,
      count: 3,
      filter: { port },
      transitions: true,
      async onSnapshot(_s, _series, _sample, transitions) {
        got.push(transitions!);
        if (got.length === 1) {
          during = ours();
          clientPort = await connectAndClose();
          // The server's LAST_ACK → CLOSED follows the client's ACK: give it a moment before the next sample.
          await new Promise((r) => setTimeout(r, 50));
        }
      },
    });
    expect(taken).toBe(3);
    expect(during).toHaveLength(1);
    expect(ours()).toEqual([]);
    expect(got.every((t) => t.ok)).toBe(true);
    const all = got.flatMap((t) => (t.ok ? t.since : []));
    const client = `127.0.0.1:${clientPort}`;
    const server = `127.0.0.1:${port}`;
    const path = (local: string): string[] => all.filter((r) => r.local === local).map((r) => `${r.from}→${r.to}`);
    // RFC 9293 §3.5 Figure 12 (normal close), the client closing first; Linux reports the
    // passive open's SYN_RCVD only when the handshake's ACK makes the full socket (tcp_check_req).
    expect(path(client)).toEqual(["CLOSED→SYN_SENT", "SYN_SENT→ESTABLISHED", "ESTABLISHED→FIN_WAIT_1", "FIN_WAIT_1→FIN_WAIT_2", "FIN_WAIT_2→TIME_WAIT"]);
    expect(path(server)).toEqual(["LISTEN→SYN_RCVD", "SYN_RCVD→ESTABLISHED", "ESTABLISHED→CLOSE_WAIT", "CLOSE_WAIT→LAST_ACK", "LAST_ACK→CLOSED"]);
    // Nothing before the connection was made: the first snapshot had no transitions of this port.
    expect(got[0]!.ok && got[0]!.since).toEqual([]);
    const last = got[2]!;
    expect(last.ok && last.seen).toBe(10);
    expect(last.ok && last.recent.length).toBe(10);
  });

  it("with --state, only transitions into or out of it", async () => {
    const got: TransitionRecord[] = [];
    let clientPort = 0;
    await runSampler({
      intervalMs: 150,
      count: 2,
      filter: { port, state: "FIN_WAIT_2" },
      transitions: true,
      async onSnapshot(_s, _series, _sample, transitions) {
        if (transitions?.ok) got.push(...transitions.since);
        if (clientPort === 0) {
          clientPort = await connectAndClose();
          await new Promise((r) => setTimeout(r, 50));
        }
      },
    });
    expect(got.map((r) => `${r.local} ${r.from}→${r.to}`)).toEqual([
      `127.0.0.1:${clientPort} FIN_WAIT_1→FIN_WAIT_2`,
      `127.0.0.1:${clientPort} FIN_WAIT_2→TIME_WAIT`,
    ]);
    expect(ours()).toEqual([]);
  });

  it("removes its instance on abort (Ctrl-C) and when the caller throws", async () => {
    const controller = new AbortController();
    let seen = 0;
    await runSampler({
      intervalMs: 100,
      transitions: true,
      signal: controller.signal,
      onSnapshot() {
        if (++seen === 2) controller.abort();
      },
    });
    expect(seen).toBe(2);
    expect(ours()).toEqual([]);
    await expect(
      runSampler({
        intervalMs: 100,
        count: 5,
        transitions: true,
        onSnapshot() {
          expect(ours()).toHaveLength(1);
          throw new Error("the caller failed");
        },
      }),
    ).rejects.toThrow("the caller failed");
    expect(ours()).toEqual([]);
  });
});
