/**
 * What a simulation produces, and what every renderer consumes: a time-ordered list of
 * segments and state changes. A pcap replay produces the same shape, so a real capture
 * gets the same diagrams.
 *
 * "segment" is what the simulator and pcap carry (see docs/architecture.md).
 */
import type { TcpState } from "../fsm/states.js";
import type { TcpEvent } from "../fsm/events.js";
import type { ProfileName } from "../fsm/profiles.js";

export type EndpointName = "client" | "server";
export const ENDPOINTS: readonly EndpointName[] = ["client", "server"];

/** Control bits, in the order tcpdump prints them. */
export type Flag = "SYN" | "FIN" | "RST" | "PSH" | "ACK";

export interface SegmentRecord {
  readonly type: "segment";
  /** Send time, seconds of virtual time. */
  readonly t: number;
  readonly from: EndpointName;
  readonly to: EndpointName;
  readonly flags: readonly Flag[];
  readonly seq: number;
  readonly ack: number;
  /** Payload bytes. */
  readonly len: number;
  /**
   * The window field: the sender's receive window (65535 unless the scenario or script sets
   * it; 0 on a RST sent in reply to a segment, as Linux's tcp_v4_send_reset() sends it).
   * Absent in traces made before it was recorded.
   */
  readonly win?: number;
  /** True when the link lost it. */
  readonly dropped: boolean;
  /** Arrival time at `to`, seconds; null when dropped. */
  readonly arrives: number | null;
  /** True when this resends a segment sent before. */
  readonly retransmission: boolean;
  /** True when this is a second copy the link made of the segment before it (simulator only). */
  readonly duplicate?: boolean;
  /**
   * The arriving segment this one answers (an ACK, a RST, a SYN+ACK …): its index among the
   * trace's segment records, from 0. Absent when a user call or a timer sent it, and in a
   * capture (simulator only).
   */
  readonly causeSegment?: number;
  /** One sentence for learners. */
  readonly explanation: string;
}

export interface StateChangeRecord {
  readonly type: "state";
  readonly t: number;
  readonly endpoint: EndpointName;
  readonly from: TcpState;
  readonly to: TcpState;
  /** The table event that caused it. */
  readonly cause: TcpEvent;
  /**
   * When `cause` is a segment arrival: that segment's index among the trace's segment
   * records, from 0 (several segments can arrive at one instant; this says which one).
   * Absent for a user call or a timeout, and in a replayed capture.
   */
  readonly causeSegment?: number;
  /** The transition table's reference for it (RFC 9293 section or kernel source). */
  readonly ref: string;
  /** One sentence for learners. */
  readonly explanation: string;
}

export type TraceEvent = SegmentRecord | StateChangeRecord;

/** A timer one endpoint ran (RFC 6298 retransmission, 2MSL, Linux's orphaned-FIN_WAIT_2 timer, RFC 1122 delayed ACK). */
export type TimerKind = "rto" | "2msl" | "fin-wait-2" | "delayed-ack";

/**
 * One running span of a timer, from start (or restart) to its end. A side array of the
 * trace, not a kind of trace event: consumers that switch on `events` stay as they are.
 */
export interface TimerSpan {
  readonly endpoint: EndpointName;
  readonly kind: TimerKind;
  /** Seconds of virtual time. */
  readonly start: number;
  /** When it fired or was stopped; null when the run ended with it still running. */
  readonly end: number | null;
  readonly ended: "fired" | "stopped" | "running";
}

/** What one side's application called and what it got back (a socket call's return or errno). */
export interface AppCall {
  readonly t: number;
  readonly endpoint: EndpointName;
  /** "close()", "shutdown(SHUT_WR)", "read()", "write(100)", "connect()", "listen()" … */
  readonly call: string;
  /** "0", "0 (EOF)", "100", "ECONNRESET", "EPIPE", "ECONNREFUSED" … */
  readonly result: string;
  /**
   * How many trace events were recorded before it: its place among them (a read() that
   * returns 0 comes after the state change the FIN's arrival caused, at the same instant).
   */
  readonly index: number;
}

export interface Trace {
  /** Preset name, scenario title, or capture file. */
  readonly name: string;
  readonly profile: ProfileName;
  readonly seed: number;
  readonly events: readonly TraceEvent[];
  /** Each endpoint's state when the run ended. */
  readonly final: Readonly<Record<EndpointName, TcpState>>;
  /** Each endpoint's initial state, so renderers can label the top of the ladder. */
  readonly initial: Readonly<Record<EndpointName, TcpState>>;
  /**
   * Each endpoint's initial sequence number (ISS) when the run started, so numbers can be
   * shown relative to it even when the trace has no SYN (a run that starts ESTABLISHED).
   * Simulator only; a capture has none.
   */
  readonly isn?: Readonly<Record<EndpointName, number>>;
  /** The timers each side ran (simulator only). */
  readonly timers?: readonly TimerSpan[];
  /** What each side's application called and got back (simulator only). */
  readonly calls?: readonly AppCall[];
}
