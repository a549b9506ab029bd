/** Hand-built traces for the renderer tests: small, exact, and independent of the simulator. */
import type { TcpEvent, TcpState } from "../src/fsm/index.js";
import type { EndpointName, Flag, SegmentRecord, StateChangeRecord, Trace, TraceEvent } from "../src/sim/trace.js";

export function seg(
  t: number,
  from: EndpointName,
  flags: Flag[],
  seq: number,
  ack: number,
  opts: { len?: number; delay?: number; dropped?: boolean; retransmission?: boolean } = {},
): SegmentRecord {
  const dropped = opts.dropped ?? false;
  return {
    type: "segment", t, from, to: from === "client" ? "server" : "client", flags, seq, ack,
    len: opts.len ?? 0, dropped, arrives: dropped ? null : t + (opts.delay ?? 0.05),
    retransmission: opts.retransmission ?? false, explanation: "test segment.",
  };
}

export function st(t: number, endpoint: EndpointName, from: TcpState, to: TcpState, cause: TcpEvent): StateChangeRecord {
  return { type: "state", t, endpoint, from, to, cause, ref: "§3.10", explanation: "test change." };
}

function trace(name: string, events: TraceEvent[], initial: Trace["initial"], final: Trace["final"]): Trace {
  return { name, profile: "linux", seed: 1, events, initial, final };
}

/** The textbook close with u = 1000, v = 5000; the server sends 100 bytes while half-closed. */
export const FOUR_WAY = trace("four-way-close", [
  st(0, "client", "ESTABLISHED", "FIN_WAIT_1", "CLOSE"),
  seg(0, "client", ["FIN", "ACK"], 1000, 5000),
  st(0.05, "server", "ESTABLISHED", "CLOSE_WAIT", "RCV_FIN"),
  seg(0.05, "server", ["ACK"], 5000, 1001),
  st(0.1, "client", "FIN_WAIT_1", "FIN_WAIT_2", "RCV_ACK_OF_FIN"),
  seg(0.2, "server", ["PSH", "ACK"], 5000, 1001, { len: 100 }),
  seg(0.25, "client", ["ACK"], 1001, 5100),
  st(0.4, "server", "CLOSE_WAIT", "LAST_ACK", "CLOSE"),
  seg(0.4, "server", ["FIN", "ACK"], 5100, 1001),
  st(0.45, "client", "FIN_WAIT_2", "TIME_WAIT", "RCV_FIN"),
  seg(0.45, "client", ["ACK"], 1001, 5101),
  st(0.5, "server", "LAST_ACK", "CLOSED", "RCV_ACK_OF_FIN"),
  st(60.45, "client", "TIME_WAIT", "CLOSED", "TIME_WAIT_TIMEOUT"),
], { client: "ESTABLISHED", server: "ESTABLISHED" }, { client: "CLOSED", server: "CLOSED" });

/** Both sides close at once; the FINs cross (RFC 9293 Fig. 13). */
export const SIMULTANEOUS = trace("simultaneous-close", [
  st(0, "client", "ESTABLISHED", "FIN_WAIT_1", "CLOSE"),
  seg(0, "client", ["FIN", "ACK"], 1000, 5000),
  st(0, "server", "ESTABLISHED", "FIN_WAIT_1", "CLOSE"),
  seg(0, "server", ["FIN", "ACK"], 5000, 1000),
  st(0.05, "client", "FIN_WAIT_1", "CLOSING", "RCV_FIN"),
  seg(0.05, "client", ["ACK"], 1001, 5001),
  st(0.05, "server", "FIN_WAIT_1", "CLOSING", "RCV_FIN"),
  seg(0.05, "server", ["ACK"], 5001, 1001),
  st(0.1, "client", "CLOSING", "TIME_WAIT", "RCV_ACK_OF_FIN"),
  st(0.1, "server", "CLOSING", "TIME_WAIT", "RCV_ACK_OF_FIN"),
  st(60.1, "client", "TIME_WAIT", "CLOSED", "TIME_WAIT_TIMEOUT"),
  st(60.1, "server", "TIME_WAIT", "CLOSED", "TIME_WAIT_TIMEOUT"),
], { client: "ESTABLISHED", server: "ESTABLISHED" }, { client: "CLOSED", server: "CLOSED" });

/** The client's last ACK is lost; the server resends its FIN and the client answers from TIME_WAIT. */
export const LOST_FINAL_ACK = trace("lost-final-ack", [
  st(0, "client", "ESTABLISHED", "FIN_WAIT_1", "CLOSE"),
  seg(0, "client", ["FIN", "ACK"], 1000, 5000),
  st(0.05, "server", "ESTABLISHED", "CLOSE_WAIT", "RCV_FIN"),
  st(0.05, "server", "CLOSE_WAIT", "LAST_ACK", "CLOSE"),
  seg(0.05, "server", ["FIN", "ACK"], 5000, 1001),
  st(0.1, "client", "FIN_WAIT_1", "TIME_WAIT", "RCV_FIN_ACK_OF_FIN"),
  seg(0.1, "client", ["ACK"], 1001, 5001, { dropped: true }),
  seg(1.05, "server", ["FIN", "ACK"], 5000, 1001, { retransmission: true }),
  seg(1.1, "client", ["ACK"], 1001, 5001),
  st(1.15, "server", "LAST_ACK", "CLOSED", "RCV_ACK_OF_FIN"),
  st(61.1, "client", "TIME_WAIT", "CLOSED", "TIME_WAIT_TIMEOUT"),
], { client: "ESTABLISHED", server: "ESTABLISHED" }, { client: "CLOSED", server: "CLOSED" });
