/**
 * The inputs of the state machine, in the three groups of RFC 9293 §3.10:
 * user calls, segment arrivals and timeouts.
 *
 * A segment arrival becomes one of these events by the checks of §3.10.7 (./checks.ts,
 * rules as data): first where it falls against the receive window and whether its ACK
 * field is acceptable, which yields the RCV_*_UNACCEPTABLE / IN_WINDOW / BAD_ACK / NO_ACK
 * events; a segment that passes is then classified by its control bits and by whether it
 * acknowledges our FIN, because that is what decides FIN_WAIT_1 → FIN_WAIT_2 / CLOSING /
 * TIME_WAIT, CLOSING → TIME_WAIT and LAST_ACK → CLOSED (§3.10.7.4, "fifth, check the ACK field").
 */
export const USER_EVENTS = [
  "PASSIVE_OPEN",
  "ACTIVE_OPEN",
  "SEND",
  "CLOSE",
  "SHUTDOWN_WRITE",
  "SHUTDOWN_READ",
  "ABORT",
] as const;

export const SEGMENT_EVENTS = [
  "RCV_SYN",
  "RCV_SYN_ACK",
  "RCV_ACK",
  "RCV_ACK_OF_FIN",
  "RCV_FIN",
  "RCV_FIN_ACK_OF_FIN",
  "RCV_RST",
  "RCV_DATA",
  "RCV_SYN_AGAIN",
  "RCV_RST_IN_WINDOW",
  "RCV_RST_UNACCEPTABLE",
  "RCV_UNACCEPTABLE",
  "RCV_BAD_ACK",
  "RCV_NO_ACK",
  "RCV_OUT_OF_ORDER",
] as const;

export const TIMER_EVENTS = [
  "RETRANSMIT_TIMEOUT",
  "TIME_WAIT_TIMEOUT",
  "FIN_WAIT_2_TIMEOUT",
  "USER_TIMEOUT",
] as const;

export const EVENTS = [...USER_EVENTS, ...SEGMENT_EVENTS, ...TIMER_EVENTS] as const;

export type UserEvent = (typeof USER_EVENTS)[number];
export type SegmentEvent = (typeof SEGMENT_EVENTS)[number];
export type TimerEvent = (typeof TIMER_EVENTS)[number];
export type TcpEvent = UserEvent | SegmentEvent | TimerEvent;

export function isTcpEvent(value: string): value is TcpEvent {
  return (EVENTS as readonly string[]).includes(value);
}

export type EventGroup = "user" | "segment" | "timer";

export function eventGroup(event: TcpEvent): EventGroup {
  if ((USER_EVENTS as readonly string[]).includes(event)) return "user";
  if ((SEGMENT_EVENTS as readonly string[]).includes(event)) return "segment";
  return "timer";
}

/** How each event is written in tables and diagrams. */
export const EVENT_LABELS: Record<TcpEvent, string> = {
  PASSIVE_OPEN: "passive OPEN",
  ACTIVE_OPEN: "active OPEN",
  SEND: "SEND",
  CLOSE: "CLOSE",
  SHUTDOWN_WRITE: "shutdown(SHUT_WR)",
  SHUTDOWN_READ: "shutdown(SHUT_RD)",
  ABORT: "ABORT",
  RCV_SYN: "rcv SYN",
  RCV_SYN_ACK: "rcv SYN+ACK",
  RCV_ACK: "rcv ACK",
  RCV_ACK_OF_FIN: "rcv ACK of FIN",
  RCV_FIN: "rcv FIN",
  RCV_FIN_ACK_OF_FIN: "rcv FIN+ACK of FIN",
  RCV_RST: "rcv RST",
  RCV_DATA: "rcv data",
  RCV_SYN_AGAIN: "rcv retransmitted SYN (SEG.SEQ = IRS)",
  RCV_RST_IN_WINDOW: "rcv RST in window",
  RCV_RST_UNACCEPTABLE: "rcv RST, unacceptable",
  RCV_UNACCEPTABLE: "rcv segment outside the window",
  RCV_BAD_ACK: "rcv unacceptable ACK",
  RCV_NO_ACK: "rcv segment without ACK",
  RCV_OUT_OF_ORDER: "rcv out-of-order data/FIN",
  RETRANSMIT_TIMEOUT: "retransmission timeout",
  TIME_WAIT_TIMEOUT: "2MSL timeout",
  FIN_WAIT_2_TIMEOUT: "FIN_WAIT_2 timeout",
  USER_TIMEOUT: "user timeout",
};
