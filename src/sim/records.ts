/**
 * The trace's two side arrays (./trace.ts): the timers each side ran (`timers`) and what each
 * side's application called and got back (`calls`). Both are kept beside the trace's events,
 * never among them, so every consumer that switches on an event's type stays as it is.
 *
 * Timers: a span opens when a timer starts (RFC 6298 retransmission, 2MSL of RFC 9293
 * §3.10.7.4, Linux's orphaned-FIN_WAIT_2 timer, RFC 1122 §4.2.3.2 delayed ACK) and closes
 * when it fires or is stopped; starting a running timer again (2MSL restarted by a FIN in
 * TIME_WAIT) closes the old span as stopped and opens a new one.
 *
 * Application results follow Linux: tcp_reset() in net/ipv4/tcp_input.c sets sk_err to
 * ECONNREFUSED in SYN_SENT, EPIPE in CLOSE_WAIT and ECONNRESET otherwise, and wakes the
 * application (a blocked read() or connect() returns that error); tcp_sendmsg_locked() in
 * net/ipv4/tcp.c fails a write on a socket that is shut down for sending (as a reset one is,
 * by tcp_done()) with EPIPE, through sk_stream_error(), which also raises SIGPIPE.
 */
import type { AppCall, EndpointName, TimerKind, TimerSpan } from "./trace.js";

interface OpenSpan {
  endpoint: EndpointName;
  kind: TimerKind;
  start: number;
  end: number | null;
  ended: TimerSpan["ended"];
}

const KINDS: readonly TimerKind[] = ["rto", "2msl", "fin-wait-2", "delayed-ack"];

export class SideRecords {
  readonly timers: OpenSpan[] = [];
  readonly calls: AppCall[] = [];
  /** Per endpoint (0 client, 1 server) and kind: the index of the open span in `timers`, or -1. */
  private readonly open: Int32Array = new Int32Array(2 * KINDS.length).fill(-1);

  private slot(ep: number, kind: TimerKind): number {
    return ep * KINDS.length + KINDS.indexOf(kind);
  }

  startTimer(ep: number, name: EndpointName, kind: TimerKind, t: number): void {
    this.endTimer(ep, kind, t, "stopped");
    this.open[this.slot(ep, kind)] = this.timers.length;
    this.timers.push({ endpoint: name, kind, start: t, end: null, ended: "running" });
  }

  endTimer(ep: number, kind: TimerKind, t: number, how: "fired" | "stopped"): void {
    const s = this.slot(ep, kind);
    const i = this.open[s]!;
    if (i < 0) return;
    const span = this.timers[i]!;
    span.end = t;
    span.ended = how;
    this.open[s] = -1;
  }

  /**
   * The spans for the trace: a timer stopped at the instant it started (an RTO restarted by
   * the ACK that arrived with it, a delayed ACK that the FIN sent at once carried) ran for no
   * time and is left out.
   */
  spans(): TimerSpan[] {
    return this.timers.filter((s) => !(s.ended === "stopped" && s.end === s.start));
  }

  call(t: number, endpoint: EndpointName, call: string, result: string, index: number): void {
    this.calls.push({ t, endpoint, call, result, index });
  }
}

/** What the application sees when a state change happens under it (null: nothing it is waiting for). */
export interface AppEffect {
  readonly call: string | null;
  readonly result: string;
  /** The connection was reset or timed out under the application: later writes fail. */
  readonly reset: boolean;
  /** An error kept for the application's next call (tcp_reset() in CLOSE_WAIT: EPIPE). */
  readonly pending: string | null;
}

const RESETS = new Set(["RCV_RST", "RCV_RST_IN_WINDOW"]);

/**
 * The result a blocked or waiting call gets when the connection changes state under it:
 * connect() returns when the handshake completes (0) or fails (ECONNREFUSED for a RST in
 * SYN_SENT, ETIMEDOUT when the SYN retries run out); accept() returns a new socket when a
 * passive open completes; a read() the application is blocked in fails with ECONNRESET when
 * a RST arrives, or ETIMEDOUT when retransmissions give up (Linux tcp_write_err()). An
 * orphan (the application has closed) tells nobody.
 */
export function appEffect(from: string, next: string, cause: string, orphaned: boolean, passive: boolean): AppEffect | null {
  if (orphaned) return null;
  if (next === "ESTABLISHED") {
    if (from === "SYN_SENT" || (from === "SYN_RCVD" && !passive)) return { call: "connect()", result: "0", reset: false, pending: null };
    if (from === "SYN_RCVD") return { call: "accept()", result: "new socket", reset: false, pending: null };
    return null;
  }
  if (next !== "CLOSED" || from === "CLOSED" || from === "LISTEN" || (from === "SYN_RCVD" && passive)) return null;
  if (RESETS.has(cause)) {
    if (from === "SYN_SENT") return { call: "connect()", result: "ECONNREFUSED", reset: true, pending: null };
    if (from === "CLOSE_WAIT") return { call: null, result: "", reset: true, pending: "EPIPE" };
    if (from === "SYN_RCVD") return { call: "connect()", result: "ECONNRESET", reset: true, pending: null };
    return { call: "read()", result: "ECONNRESET", reset: true, pending: null };
  }
  if (cause === "USER_TIMEOUT") {
    return { call: from === "SYN_SENT" ? "connect()" : "read()", result: "ETIMEDOUT", reset: true, pending: null };
  }
  return null;
}
