/**
 * The tracefs line parser (src/parse/tracefs.ts) on lines in the kernel's own print formats
 * (include/trace/events/sock.h, tcp.h; the `record-tgid` column), and the follower
 * (src/trace/follower.ts) on event sequences whose meaning is known from the Linux source.
 */
import { describe, expect, it } from "vitest";
import { parseTraceLine, TraceFollower, type TraceEvent, type TraceRecord, type TraceStateEvent } from "../src/index.js";
import type { TcpState } from "../src/fsm/states.js";

const V4 = (sport: number, dport: number, from: string, to: string, ts = "100.000100", task = "node-4242", tgid = "4242") =>
  `${task.padStart(16)} (${tgid.padStart(7)}) [001] ..s2. ${ts}: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP sport=${sport} dport=${dport} saddr=127.0.0.1 daddr=127.0.0.1 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 oldstate=${from} newstate=${to}`;

describe("parseTraceLine", () => {
  it("reads a state change with the RFC names, the process and the time", () => {
    const r = parseTraceLine(V4(41000, 8080, "TCP_FIN_WAIT1", "TCP_FIN_WAIT2", "18191.436053", "ksoftirqd/1-24", "24"), 7);
    expect(r).toEqual({
      ok: true,
      event: {
        kind: "state", ts: 18191.436053, tid: 24, pid: 24, comm: "ksoftirqd/1", cpu: 1, line: 7, family: 4,
        local: { address: "127.0.0.1", port: 41000 }, remote: { address: "127.0.0.1", port: 8080 },
        from: "FIN_WAIT_1", to: "FIN_WAIT_2", kernelFrom: "TCP_FIN_WAIT1", kernelTo: "TCP_FIN_WAIT2",
      },
    });
  });

  it("maps every kernel state name, including the request socket's", () => {
    const names: [string, TcpState][] = [
      ["TCP_ESTABLISHED", "ESTABLISHED"], ["TCP_SYN_SENT", "SYN_SENT"], ["TCP_SYN_RECV", "SYN_RCVD"], ["TCP_FIN_WAIT1", "FIN_WAIT_1"],
      ["TCP_FIN_WAIT2", "FIN_WAIT_2"], ["TCP_TIME_WAIT", "TIME_WAIT"], ["TCP_CLOSE", "CLOSED"], ["TCP_CLOSE_WAIT", "CLOSE_WAIT"],
      ["TCP_LAST_ACK", "LAST_ACK"], ["TCP_LISTEN", "LISTEN"], ["TCP_CLOSING", "CLOSING"], ["TCP_NEW_SYN_RECV", "SYN_RCVD"],
    ];
    for (const [kernel, rfc] of names) {
      const r = parseTraceLine(V4(1, 2, kernel, "TCP_CLOSE"), 1);
      expect(r.ok && r.event?.kind === "state" && r.event.from).toBe(rfc);
    }
  });

  it("takes an AF_INET6 socket's addresses from the v6 fields, and a comm with dashes and spaces", () => {
    const line = `  Socket Worker-3-77 (     70) [000] ..... 5.5: inet_sock_set_state: family=AF_INET6 protocol=IPPROTO_TCP sport=443 dport=50000 saddr=127.0.0.6 daddr=0.0.0.0 saddrv6=::1 daddrv6=fe80::1 oldstate=TCP_ESTABLISHED newstate=TCP_CLOSE_WAIT`;
    const r = parseTraceLine(line, 3);
    expect(r.ok && r.event).toMatchObject({ comm: "Socket Worker-3", tid: 77, pid: 70, family: 6, local: { address: "::1", port: 443 }, remote: { address: "fe80::1", port: 50000 } });
  });

  it("without record-tgid the thread id stands for the process", () => {
    const line = `python3-31374   [001] ..... 18191.428709: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP sport=41273 dport=0 saddr=127.0.0.1 daddr=0.0.0.0 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:0.0.0.0 oldstate=TCP_CLOSE newstate=TCP_LISTEN`;
    const r = parseTraceLine(line, 1);
    expect(r.ok && r.event).toMatchObject({ pid: 31374, tid: 31374, comm: "python3", from: "CLOSED", to: "LISTEN", remote: { address: "0.0.0.0", port: 0 } });
  });

  it("reads resets sent (with the reason, v4 and v6), resets received, retransmissions and destroys", () => {
    const sent = parseTraceLine(`python3-1 (1) [001] ..s1. 9.000001: tcp_send_reset: skbaddr=00000000de9819a7 skaddr=0000000000000000 src=127.0.0.1:42047 dest=127.0.0.1:41982 state=UNKNOWN reason=NO_SOCKET`, 1);
    expect(sent.ok && sent.event).toMatchObject({ kind: "reset-sent", local: { address: "127.0.0.1", port: 42047 }, remote: { address: "127.0.0.1", port: 41982 }, reason: "NO_SOCKET" });
    expect(sent.ok && sent.event && "state" in sent.event).toBe(false);
    const sent6 = parseTraceLine(`node-2 (2) [000] ..... 9.5: tcp_send_reset: skbaddr=0 skaddr=1 src=[::1]:80 dest=[::1]:5000 state=TCP_ESTABLISHED reason=NOT_SPECIFIED`, 2);
    expect(sent6.ok && sent6.event).toMatchObject({ local: { address: "::1", port: 80 }, remote: { address: "::1", port: 5000 }, state: "ESTABLISHED" });
    const received = parseTraceLine(`node-2 (2) [000] ..s2. 9.6: tcp_receive_reset: family=AF_INET sport=42047 dport=41980 saddr=127.0.0.1 daddr=127.0.0.1 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 sock_cookie=607`, 3);
    expect(received.ok && received.event).toMatchObject({ kind: "reset-received", local: { port: 42047 }, remote: { port: 41980 } });
    const rtx = parseTraceLine(`<idle>-0 (-------) [001] ..s1. 9.7: tcp_retransmit_skb: skbaddr=0 skaddr=1 family=AF_INET sport=1 dport=2 saddr=127.0.0.1 daddr=127.0.0.1 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 state=TCP_FIN_WAIT1 err=0`, 4);
    expect(rtx.ok && rtx.event).toMatchObject({ kind: "retransmit", comm: "<idle>", pid: 0, state: "FIN_WAIT_1" });
    const destroy = parseTraceLine(`node-2 (2) [000] b..1. 9.8: tcp_destroy_sock: family=AF_INET sport=1 dport=2 saddr=127.0.0.1 daddr=127.0.0.1 saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 sock_cookie=60a`, 5);
    expect(destroy.ok && destroy.event?.kind).toBe("destroy");
  });

  it("reports the ring buffer's lost events", () => {
    expect(parseTraceLine("CPU:1 [LOST 23 EVENTS]", 9)).toEqual({ ok: true, event: { kind: "lost", cpu: 1, count: 23, line: 9 } });
  });

  it("ignores comments, blank lines, other events and other protocols", () => {
    for (const line of ["", "# tracer: nop", "node-1 (1) [000] ..... 1.0: sched_switch: prev_comm=x", V4(1, 2, "TCP_CLOSE", "TCP_LISTEN").replace("IPPROTO_TCP", "IPPROTO_MPTCP")]) {
      expect(parseTraceLine(line, 1)).toEqual({ ok: true, event: null });
    }
  });

  it("names the line and the field when a line of ours does not read", () => {
    const bad = parseTraceLine(V4(1, 2, "TCP_BOGUS", "TCP_CLOSE"), 12);
    expect(bad).toEqual({ ok: false, line: 12, message: "line 12: inet_sock_set_state: oldstate/newstate: expected TCP_<STATE> names, got TCP_BOGUS/TCP_CLOSE" });
    const garbage = parseTraceLine("x".repeat(500), 13);
    expect(garbage.ok).toBe(false);
    // The message quotes a bounded excerpt.
    expect(!garbage.ok && garbage.message.length).toBeLessThan(220);
    const port = parseTraceLine(V4(1, 2, "TCP_CLOSE", "TCP_LISTEN").replace("sport=1 ", "sport=99999 "), 14);
    expect(!port.ok && port.message).toMatch(/^line 14: inet_sock_set_state: sport\/dport: expected ports/);
  });
});

// ---- the follower ----

const A = { address: "127.0.0.1", port: 40000 };
const B = { address: "127.0.0.1", port: 8080 };
let clock = 0;
function st(local: typeof A, remote: typeof A, from: TcpState, to: TcpState, ts: number, pid = 10): TraceStateEvent {
  return { kind: "state", ts, pid, tid: pid, comm: `p${pid}`, cpu: 0, line: 0, family: 4, local, remote, from, to, kernelFrom: from, kernelTo: to };
}
function destroy(local: typeof A, remote: typeof A, ts: number): TraceEvent {
  return { kind: "destroy", ts, pid: 10, tid: 10, comm: "p10", cpu: 0, line: 0, family: 4, local, remote };
}
function follower(held: Map<string, TcpState>, opts: { port?: number; pid?: number } = {}): TraceFollower {
  return new TraceFollower({ t0: 100, now: () => clock, timewaitSockets: () => held, ...opts });
}
const transitions = (rs: readonly TraceRecord[]) =>
  rs.flatMap((r) => (r.type === "transition" ? [`${r.local.split(":")[1]} ${r.from}>${r.to}${r.source === "tracepoint" ? "" : ` [${r.source}]`}`] : []));

describe("TraceFollower", () => {
  it("reports connect()'s CLOSED → SYN_SENT with the port chosen after it (sport=0 in the tracepoint)", () => {
    const f = follower(new Map());
    const out = f.feed([st({ address: "0.0.0.0", port: 0 }, B, "CLOSED", "SYN_SENT", 100.5), st(A, B, "SYN_SENT", "ESTABLISHED", 100.75)]);
    expect(out).toMatchObject([
      { type: "transition", local: "127.0.0.1:40000", remote: "127.0.0.1:8080", from: "CLOSED", to: "SYN_SENT", t: 0.5, inState: null },
      { type: "transition", from: "SYN_SENT", to: "ESTABLISHED", t: 0.75, inState: 0.25 },
    ]);
  });

  it("a FIN_WAIT_2 full socket handed to a TIME_WAIT timewait socket is reported → TIME_WAIT, and its end comes from /proc", () => {
    const held = new Map<string, TcpState>([["127.0.0.1:40000|127.0.0.1:8080", "TIME_WAIT"]]);
    const f = follower(held);
    const out = f.feed([
      st(A, B, "CLOSED", "SYN_SENT", 100), st(A, B, "SYN_SENT", "ESTABLISHED", 100.001), st(A, B, "ESTABLISHED", "FIN_WAIT_1", 101),
      st(A, B, "FIN_WAIT_1", "FIN_WAIT_2", 101.001), st(A, B, "FIN_WAIT_2", "CLOSED", 102),
    ]);
    expect(transitions(out)).toEqual(["40000 CLOSED>SYN_SENT", "40000 SYN_SENT>ESTABLISHED", "40000 ESTABLISHED>FIN_WAIT_1", "40000 FIN_WAIT_1>FIN_WAIT_2", "40000 FIN_WAIT_2>TIME_WAIT [timewait]"]);
    expect(f.timewaitCount).toBe(1);
    clock = 160;
    expect(f.poll()).toEqual([]);
    held.clear();
    clock = 162.5;
    const end = f.poll();
    expect(transitions(end)).toEqual(["40000 TIME_WAIT>CLOSED [procfs]"]);
    expect(end.find((r) => r.type === "lifecycle")).toEqual({
      type: "lifecycle", t: 62.5, local: "127.0.0.1:40000", remote: "127.0.0.1:8080", pid: 10, comm: "p10",
      states: [{ state: "SYN_SENT", seconds: 0.001 }, { state: "ESTABLISHED", seconds: 0.999 }, { state: "FIN_WAIT_1", seconds: 0.001 }, { state: "FIN_WAIT_2", seconds: 0.999 }, { state: "TIME_WAIT", seconds: 60.5 }],
      seconds: 62.5,
    });
    expect(f.timewaitCount).toBe(0);
  });

  it("an orphaned FIN_WAIT_2 stays FIN_WAIT_2 as a timewait socket; the peer's LAST_ACK → CLOSED dates its TIME_WAIT", () => {
    const held = new Map<string, TcpState>([["127.0.0.1:40000|127.0.0.1:8080", "FIN_WAIT_2"]]);
    const f = follower(held);
    const out = f.feed([
      st(A, B, "ESTABLISHED", "FIN_WAIT_1", 101), st(B, A, "ESTABLISHED", "CLOSE_WAIT", 101.0001), st(A, B, "FIN_WAIT_1", "FIN_WAIT_2", 101.002),
      st(A, B, "FIN_WAIT_2", "CLOSED", 101.002), destroy(A, B, 101.002),
      st(B, A, "CLOSE_WAIT", "LAST_ACK", 101.05), st(B, A, "LAST_ACK", "CLOSED", 101.0502),
    ]);
    expect(transitions(out)).toEqual([
      "40000 ESTABLISHED>FIN_WAIT_1", "8080 ESTABLISHED>CLOSE_WAIT", "40000 FIN_WAIT_1>FIN_WAIT_2",
      "8080 CLOSE_WAIT>LAST_ACK", "40000 FIN_WAIT_2>TIME_WAIT [peer]", "8080 LAST_ACK>CLOSED",
    ]);
    const tw = out.find((r) => r.type === "transition" && r.to === "TIME_WAIT");
    expect(tw).toMatchObject({ t: 1.0502, inState: 0.0482 });
  });

  it("an orphaned FIN_WAIT_2 whose peer is not traced gets TIME_WAIT from /proc, dated when first seen", () => {
    const held = new Map<string, TcpState>([["127.0.0.1:40000|127.0.0.1:8080", "TIME_WAIT"]]);
    const f = follower(held);
    clock = 101.01;
    f.feed([st(A, B, "ESTABLISHED", "FIN_WAIT_1", 101), st(A, B, "FIN_WAIT_1", "FIN_WAIT_2", 101.002), st(A, B, "FIN_WAIT_2", "CLOSED", 101.002), destroy(A, B, 101.002)]);
    clock = 101.1;
    expect(f.poll()).toEqual([]); // waiting for a peer to date it
    clock = 101.5;
    expect(f.poll()).toMatchObject([{ from: "FIN_WAIT_2", to: "TIME_WAIT", source: "procfs", t: 1.01 }]);
  });

  it("FIN_WAIT_2 → CLOSE with no timewait socket (a RST, a timeout) stays → CLOSED", () => {
    const f = follower(new Map());
    const out = f.feed([st(A, B, "FIN_WAIT_2", "CLOSED", 101)]);
    expect(transitions(out)).toEqual(["40000 FIN_WAIT_2>CLOSED"]);
  });

  it("a SYN reusing a TIME_WAIT 4-tuple ends the old incarnation first", () => {
    const held = new Map<string, TcpState>([["127.0.0.1:8080|127.0.0.1:40000", "TIME_WAIT"]]);
    const f = follower(held);
    const out = f.feed([
      st(B, A, "ESTABLISHED", "FIN_WAIT_1", 101), st(B, A, "FIN_WAIT_1", "FIN_WAIT_2", 101.001), st(B, A, "FIN_WAIT_2", "CLOSED", 101.002),
      st(B, A, "LISTEN", "SYN_RCVD", 102), st(B, A, "SYN_RCVD", "ESTABLISHED", 102),
    ]);
    expect(transitions(out)).toEqual([
      "8080 ESTABLISHED>FIN_WAIT_1", "8080 FIN_WAIT_1>FIN_WAIT_2", "8080 FIN_WAIT_2>TIME_WAIT [timewait]",
      "8080 TIME_WAIT>CLOSED", "8080 LISTEN>SYN_RCVD", "8080 SYN_RCVD>ESTABLISHED",
    ]);
  });

  it("filters on either port, and on the process that owns a connection (accepted ones inherit the listener's)", () => {
    const byPort = follower(new Map(), { port: 8080 });
    const other = { address: "127.0.0.1", port: 9 };
    expect(transitions(byPort.feed([st(A, B, "ESTABLISHED", "FIN_WAIT_1", 101), st(A, other, "ESTABLISHED", "FIN_WAIT_1", 101)]))).toEqual(["40000 ESTABLISHED>FIN_WAIT_1"]);
    const byPid = follower(new Map(), { pid: 77 });
    const out = byPid.feed([
      st({ address: "0.0.0.0", port: 8080 }, { address: "0.0.0.0", port: 0 }, "CLOSED", "LISTEN", 100, 77),
      st(B, A, "LISTEN", "SYN_RCVD", 101, 5), // softirq in the client's context
      st(B, A, "SYN_RCVD", "ESTABLISHED", 101, 5),
      st(A, B, "SYN_SENT", "ESTABLISHED", 101, 5),
    ]);
    expect(transitions(out)).toEqual(["8080 CLOSED>LISTEN", "8080 LISTEN>SYN_RCVD", "8080 SYN_RCVD>ESTABLISHED"]);
  });

  it("reports lost events and resets in order with the transitions", () => {
    const f = follower(new Map());
    clock = 100.2;
    const out = f.feed([
      { kind: "lost", cpu: 1, count: 5, line: 1 },
      { kind: "reset-sent", ts: 100.1, pid: 3, tid: 3, comm: "x", cpu: 0, line: 2, local: A, remote: B, reason: "NO_SOCKET" },
    ]);
    expect(out).toEqual([
      { type: "reset", t: 0.1, direction: "sent", local: "127.0.0.1:40000", remote: "127.0.0.1:8080", pid: 3, comm: "x", reason: "NO_SOCKET" },
      { type: "lost", t: 0.2, count: 5 },
    ]);
  });
});
