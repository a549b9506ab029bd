/**
 * What `tcp-lifecycle trace` reports (docs/trace-json.md): one record per kernel state change,
 * reset or retransmission, in RFC state names; a lifecycle summary when a connection ends.
 * Pure: the text view and the JSON are both made here.
 */
import type { TcpState } from "../fsm/states.js";

/**
 * How a record was learnt:
 * - "tracepoint": the kernel reported it (sock:inet_sock_set_state, tcp:*).
 * - "timewait": the kernel reported FIN_WAIT_2/CLOSING → CLOSE for the full socket and
 *   /proc/net/tcp showed its 4-tuple held by a timewait socket in TIME_WAIT
 *   (net/ipv4/tcp_minisocks.c tcp_time_wait(): the timewait socket is hashed before tcp_done()).
 * - "peer": an orphaned FIN_WAIT_2 timewait socket has no tracepoint when the peer's FIN turns it
 *   into TIME_WAIT; its local peer's LAST_ACK → CLOSED (the ACK it sent arrived) dates it.
 * - "procfs": seen by polling /proc/net/tcp for the 4-tuples timewait sockets hold (their
 *   TIME_WAIT → CLOSED end, which no tracepoint reports), to within the poll interval.
 */
export type TraceSource = "tracepoint" | "timewait" | "peer" | "procfs";

export interface TransitionRecord {
  readonly type: "transition";
  /** Seconds since tracing started. */
  readonly t: number;
  /** "127.0.0.1:41234", "[::1]:80". */
  readonly local: string;
  readonly remote: string;
  readonly from: TcpState;
  readonly to: TcpState;
  /** The process in whose context the kernel made the change (for a segment's arrival, whoever was running). */
  readonly pid: number;
  readonly comm: string;
  /** Seconds spent in `from`; null when this tracer did not see the connection enter it. */
  readonly inState: number | null;
  readonly source: TraceSource;
}

export interface SocketEventRecord {
  readonly type: "reset" | "retransmit";
  readonly t: number;
  readonly direction: "sent" | "received";
  readonly local: string;
  readonly remote: string;
  readonly pid: number;
  readonly comm: string;
  /** The state the socket was in, when the kernel said. */
  readonly state?: TcpState;
  /** tcp_send_reset's reason (NO_SOCKET, TCP_STATE …), when printed. */
  readonly reason?: string;
}

export interface LifecycleRecord {
  readonly type: "lifecycle";
  /** When the connection ended (seconds since start). */
  readonly t: number;
  readonly local: string;
  readonly remote: string;
  /** The process that made the connection's first user call the tracer saw (connect, listen, close). */
  readonly pid: number | null;
  readonly comm: string | null;
  /** Every state in order with the seconds spent in it (the last one, CLOSED, is not listed). */
  readonly states: readonly { readonly state: TcpState; readonly seconds: number }[];
  /** Seconds from the first state seen to CLOSED. */
  readonly seconds: number;
}

export interface LostRecord {
  readonly type: "lost";
  readonly t: number;
  /** Events the kernel's ring buffer dropped before they could be read. */
  readonly count: number;
}

export type TraceRecord = TransitionRecord | SocketEventRecord | LifecycleRecord | LostRecord;

export function endpointText(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A duration, short: 850µs, 3.0ms, 1.25s (the text view, lifecycle lines and the monitor's pane). */
export function formatSeconds(s: number): string {
  if (s < 0.001) return `${Math.round(s * 1e6)}µs`;
  if (s < 1) return `${(s * 1000).toFixed(1)}ms`;
  return `${s.toFixed(2)}s`;
}

const MARK: Record<TraceSource, string> = { tracepoint: "", timewait: " (timewait socket)", peer: " (dated by the peer)", procfs: " (seen in /proc)" };

/** The header line of the text view. */
export const TEXT_HEADER = `${"TIME(s)".padStart(9)}  ${"PID".padStart(7)} ${"COMM".padEnd(15)} ${"LOCAL".padEnd(22)} ${"REMOTE".padEnd(22)} CHANGE`;

/** One line of the text view, like tcpstates: time, process, ends, old → new and time in the old state. */
export function formatRecord(r: TraceRecord): string {
  const t = r.t.toFixed(6).padStart(9);
  switch (r.type) {
    case "transition": {
      const ms = r.inState === null ? "" : `  (${formatSeconds(r.inState)} in ${r.from})`;
      return `${t}  ${String(r.pid).padStart(7)} ${r.comm.slice(0, 15).padEnd(15)} ${r.local.padEnd(22)} ${r.remote.padEnd(22)} ${r.from} → ${r.to}${ms}${MARK[r.source]}`;
    }
    case "reset":
    case "retransmit": {
      const what = r.type === "reset" ? (r.direction === "sent" ? "RST sent" : "RST received") : "retransmission";
      const extra = [r.state && `in ${r.state}`, r.reason && `reason ${r.reason}`].filter(Boolean).join(", ");
      return `${t}  ${String(r.pid).padStart(7)} ${r.comm.slice(0, 15).padEnd(15)} ${r.local.padEnd(22)} ${r.remote.padEnd(22)} ! ${what}${extra ? ` (${extra})` : ""}`;
    }
    case "lifecycle": {
      const path = r.states.map((s) => `${s.state} ${formatSeconds(s.seconds)}`).join(" → ");
      return `${t}  ${String(r.pid ?? "-").padStart(7)} ${(r.comm ?? "-").slice(0, 15).padEnd(15)} ${r.local.padEnd(22)} ${r.remote.padEnd(22)} = ${path} → CLOSED (${formatSeconds(r.seconds)})`;
    }
    case "lost":
      return `${t}  the kernel's ring buffer dropped ${r.count} events: the trace is incomplete`;
  }
}
