import type { TcpState } from "../fsm/states.js";
import type { TcpEvent } from "../fsm/events.js";
import type { ProfileName } from "../fsm/profiles.js";
import type { EndpointName, SegmentRecord, Trace } from "../sim/trace.js";
import type { Diagnostic } from "../parse/types.js";
import type { PcapEndpoint, TcpOptions } from "../parse/pcap/types.js";

export type ReplayAnomalyKind =
  /** A RST was sent (an abort, a refused connection, or a reply to a segment for no connection). */
  | "rst"
  /** A RST answered the first SYN: nobody listened (ECONNREFUSED). */
  | "connection-refused"
  /** A FIN sent again with the same sequence number: its ACK was lost or late. */
  | "retransmitted-fin"
  /** Any other segment that resends sequence space already sent. */
  | "retransmission"
  /** A FIN that no segment in the capture acknowledges: the final ACK is missing. */
  | "unacknowledged-fin"
  /** The capture starts after the SYN: the initial states are assumed, not seen. */
  | "handshake-not-captured"
  /** The state machine refuses this input in the inferred state (see the message). */
  | "unexpected-segment";

export interface ReplayAnomaly {
  readonly kind: ReplayAnomalyKind;
  /** The endpoint the anomaly is about (the sender of a RST or FIN). */
  readonly endpoint: EndpointName;
  /** Index of the segment in the connection, when one segment is to blame. */
  readonly segment?: number;
  readonly frame?: number;
  readonly message: string;
}

/** One input the state machine was given, and what it did. */
export interface ReplayStep {
  readonly endpoint: EndpointName;
  readonly event: TcpEvent;
  readonly outcome: "transition" | "ignored" | "error";
  readonly from: TcpState;
  readonly to: TcpState;
  readonly ref: string;
  /** The table's note (transition) or reason (ignored, error). */
  readonly note: string;
  /**
   * Set when this input is an earlier segment (its index) that the endpoint processed only
   * now: a FIN that crossed the endpoint's own FIN in a simultaneous close.
   */
  readonly arrivedWith?: number;
}

/**
 * A captured segment as the simulator's SegmentRecord carries it (`from`, `to`, `flags`,
 * `seq`, `ack`, `len`, `retransmission`; seq and ack absolute, or relative to each
 * direction's ISN with `relative: true`), plus where it is in the file and what it did.
 */
export interface ReplayedSegment
  extends Pick<SegmentRecord, "from" | "to" | "flags" | "seq" | "ack" | "len" | "retransmission"> {
  /** 0-based position in the connection. */
  readonly index: number;
  readonly frame: number;
  /** Byte offset of the packet's record in the file. */
  readonly offset: number;
  /** Seconds since the connection's first segment. */
  readonly t: number;
  /** Capture time, seconds since the Unix epoch. */
  readonly time: number;
  readonly window: number;
  readonly options: TcpOptions;
  /** The state-machine inputs this segment caused, sender's first. */
  readonly steps: readonly ReplayStep[];
  /** Each endpoint's state after this segment. */
  readonly states: Readonly<Record<EndpointName, TcpState>>;
}

export interface ReplayedConnection {
  /** 1-based, in order of each connection's first segment. */
  readonly id: number;
  readonly client: PcapEndpoint;
  readonly server: PcapEndpoint;
  /** Capture time of the first segment, seconds since the Unix epoch. */
  readonly start: number;
  readonly handshakeCaptured: boolean;
  /** The numbers subtracted from seq (sender's) and ack (peer's) when relative; 0 when absolute. */
  readonly base: Readonly<Record<EndpointName, number>>;
  readonly initial: Readonly<Record<EndpointName, TcpState>>;
  readonly final: Readonly<Record<EndpointName, TcpState>>;
  readonly segments: readonly ReplayedSegment[];
  readonly anomalies: readonly ReplayAnomaly[];
  /** The same shape the simulator produces, for the ladder renderers. */
  readonly trace: Trace;
}

export interface ReplayOptions {
  /** Subtract each direction's initial sequence number, as tcpdump does by default. Default false. */
  readonly relative?: boolean;
  /** The profile handed to the state machine. Default "linux" (captures come from Linux here). */
  readonly profile?: ProfileName;
  /** File name for trace names. */
  readonly source?: string;
}

export interface ReplayResult {
  readonly source?: string;
  readonly connections: readonly ReplayedConnection[];
  /** The reader's diagnostics, passed through. */
  readonly diagnostics: readonly Diagnostic[];
  readonly frames: number;
  readonly skippedByKind: Readonly<Record<string, number>>;
}
