/**
 * Inferring both endpoints' states from the segments between them, with the transition
 * table (src/fsm). Each segment is an input twice:
 * - to its sender, as the user call that must have caused it: a SYN from CLOSED is an active
 *   OPEN, a first FIN is a CLOSE (the wire cannot tell close() from shutdown(SHUT_WR)), a RST
 *   from a synchronized state is an ABORT;
 * - to its receiver, classified as RFC 9293 §3.10.7 does: RST, SYN, SYN+ACK, FIN, ACK, data,
 *   with sequence numbers deciding whether it acknowledges the receiver's FIN.
 * On loopback both happen at the capture instant, sender first.
 */
import { decide, type EndpointFlags } from "../fsm/machine.js";
import type { TcpEvent } from "../fsm/events.js";
import type { ProfileName } from "../fsm/profiles.js";
import type { TcpState } from "../fsm/states.js";
import type { EndpointName } from "../sim/trace.js";
import type { PcapSegment } from "../parse/pcap/types.js";
import type { ReplayAnomaly, ReplayStep } from "./types.js";

/** a − b in 32-bit sequence space (RFC 9293 §3.4): positive when a is after b. */
export const seqDiff = (a: number, b: number): number => (a - b) | 0;

interface Side {
  state: TcpState;
  passiveOpen: boolean;
  /** Sequence number our FIN occupies, once sent. */
  finSeq: number | null;
  finFrame: number;
  finAcked: boolean;
  /** One past the highest sequence number sent (SND.NXT as seen on the wire). */
  sndNxt: number | null;
  /** The last segment received carried data (a RST next is the kernel refusing it). */
  receivedData: boolean;
  /** A peer FIN that crossed our own FIN: applied once ours is sent. */
  crossingFin: { readonly index: number; readonly ack: number | null } | null;
}

export interface InferredSegment {
  readonly segment: PcapSegment;
  readonly from: EndpointName;
  readonly retransmission: boolean;
  readonly steps: readonly ReplayStep[];
  readonly states: Readonly<Record<EndpointName, TcpState>>;
}

export interface Inference {
  readonly handshakeCaptured: boolean;
  readonly initial: Readonly<Record<EndpointName, TcpState>>;
  readonly final: Readonly<Record<EndpointName, TcpState>>;
  readonly segments: readonly InferredSegment[];
  readonly anomalies: readonly ReplayAnomaly[];
}

const has = (s: PcapSegment, flag: "SYN" | "FIN" | "RST" | "ACK"): boolean => s.flags.includes(flag);
const other = (e: EndpointName): EndpointName => (e === "client" ? "server" : "client");
/** Without a connection, a RST is a reply to a stray segment (§3.10.7.1, §3.10.7.2), not an abort. */
const NO_CONNECTION: ReadonlySet<TcpState> = new Set(["CLOSED", "LISTEN"]);
const CLOSABLE: ReadonlySet<TcpState> = new Set(["SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT"]);

function initialStates(segments: readonly PcapSegment[], clientKey: (s: PcapSegment) => boolean) {
  const first = segments[0];
  if (first && has(first, "SYN") && !has(first, "ACK")) {
    // A server that answers the SYN with a RST and never with a SYN+ACK had no listener.
    const serverFirst = segments.find((s) => !clientKey(s));
    const refused = serverFirst !== undefined && has(serverFirst, "RST") && !has(serverFirst, "SYN");
    return { captured: true, client: "CLOSED" as TcpState, server: (refused ? "CLOSED" : "LISTEN") as TcpState };
  }
  if (first && has(first, "SYN") && has(first, "ACK")) {
    return { captured: false, client: "SYN_SENT" as TcpState, server: "SYN_RCVD" as TcpState };
  }
  return { captured: false, client: "ESTABLISHED" as TcpState, server: "ESTABLISHED" as TcpState };
}

export function inferStates(
  segments: readonly PcapSegment[],
  isFromClient: (s: PcapSegment) => boolean,
  profile: ProfileName,
): Inference {
  const start = initialStates(segments, isFromClient);
  const sides: Record<EndpointName, Side> = {
    client: { state: start.client, passiveOpen: false, finSeq: null, finFrame: 0, finAcked: false, sndNxt: null, receivedData: false,
      crossingFin: null },
    server: { state: start.server, passiveOpen: start.server === "LISTEN" || start.server === "SYN_RCVD",
      finSeq: null, finFrame: 0, finAcked: false, sndNxt: null, receivedData: false, crossingFin: null },
  };
  const anomalies: ReplayAnomaly[] = [];
  const out: InferredSegment[] = [];
  if (!start.captured && segments.length > 0) {
    anomalies.push({ kind: "handshake-not-captured", endpoint: "client",
      message: `the capture starts after the SYN: initial states assumed client ${start.client}, server ${start.server}` });
  }

  /**
   * The capture shows one order, but two FINs can cross: when the peer's next segment is a
   * FIN that does not acknowledge this one, the peer sent it before this FIN arrived (a
   * simultaneous close), so the peer takes this FIN after sending its own.
   */
  const crossesNextFin = (index: number, peerIsClient: boolean, finSeq: number): boolean => {
    const next = segments.slice(index + 1).find((x) => isFromClient(x) === peerIsClient);
    return next !== undefined && has(next, "FIN") && !has(next, "RST") && (!has(next, "ACK") || seqDiff(next.ack, finSeq) <= 0);
  };

  segments.forEach((s, index) => {
    const from: EndpointName = isFromClient(s) ? "client" : "server";
    const to = other(from);
    const sender = sides[from];
    const receiver = sides[to];
    const steps: ReplayStep[] = [];
    const apply = (who: EndpointName, event: TcpEvent, flags: EndpointFlags = {}, arrivedWith?: number): void => {
      const side = sides[who];
      const { outcome } = decide(side.state, event, profile, { passiveOpen: side.passiveOpen, ...flags });
      const fromState = side.state;
      const late = arrivedWith === undefined ? {} : { arrivedWith };
      if (outcome.kind === "transition") {
        side.state = outcome.next;
        steps.push({ endpoint: who, event, outcome: "transition", from: fromState, to: outcome.next, ref: outcome.ref, note: outcome.note, ...late });
      } else {
        steps.push({ endpoint: who, event, outcome: outcome.kind, from: fromState, to: fromState, ref: outcome.ref, note: outcome.reason, ...late });
        if (outcome.kind === "error") {
          anomalies.push({ kind: "unexpected-segment", endpoint: who, segment: index, frame: s.frame,
            message: `${event} in ${fromState}: ${outcome.reason}` });
        }
      }
    };

    // Sequence space this segment occupies: SYN and FIN count one each (RFC 9293 §3.4).
    const syn = has(s, "SYN");
    const fin = has(s, "FIN");
    const rst = has(s, "RST");
    const seqLen = s.len + (syn ? 1 : 0) + (fin ? 1 : 0);
    const end = (s.seq + seqLen) >>> 0;
    const retransmission = seqLen > 0 && sender.sndNxt !== null && seqDiff(end, sender.sndNxt) <= 0;
    if (seqLen > 0 && (sender.sndNxt === null || seqDiff(end, sender.sndNxt) > 0)) sender.sndNxt = end;

    // ---- the sender: which user call (or earlier input) produced this segment
    if (syn && !has(s, "ACK") && sender.state === "CLOSED") apply(from, "ACTIVE_OPEN");
    if (fin) {
      const finSeq = (s.seq + s.len + (syn ? 1 : 0)) >>> 0;
      if (sender.finSeq === null) {
        sender.finSeq = finSeq;
        sender.finFrame = s.frame;
        if (CLOSABLE.has(sender.state)) apply(from, "CLOSE");
        const crossing = sender.crossingFin;
        if (crossing) {
          // The peer's FIN reaches us only now, after ours left (RFC 9293 §3.6 Fig. 13).
          sender.crossingFin = null;
          const acksOurs = crossing.ack !== null && seqDiff(crossing.ack, finSeq) > 0;
          apply(from, acksOurs ? "RCV_FIN_ACK_OF_FIN" : "RCV_FIN", {}, crossing.index);
        }
      } else if (sender.finSeq === finSeq) {
        anomalies.push({ kind: "retransmitted-fin", endpoint: from, segment: index, frame: s.frame,
          message: `${from} sent its FIN again (first in frame ${sender.finFrame}): the ACK of it was lost or late` });
      }
    } else if (retransmission && !rst) {
      anomalies.push({ kind: "retransmission", endpoint: from, segment: index, frame: s.frame,
        message: `${from} resent sequence space it had already sent (seq ${s.seq}, ${seqLen} byte(s))` });
    }
    if (rst) {
      const refused = index > 0 && from === "server" && !out.some((o) => o.from === "server");
      anomalies.push({ kind: refused ? "connection-refused" : "rst", endpoint: from, segment: index, frame: s.frame,
        message: refused
          ? "a RST answered the SYN: nothing listened on the port (ECONNREFUSED)"
          : NO_CONNECTION.has(sender.state)
            ? `${from} sent a RST in ${sender.state}: it answers a segment for a connection it does not have`
            : `${from} sent a RST in ${sender.state}: the connection is aborted, not closed` });
      if (!NO_CONNECTION.has(sender.state)) {
        // Data after close() is answered with a RST (Linux TCPAbortOnData); otherwise an abort.
        if ((sender.state === "FIN_WAIT_1" || sender.state === "FIN_WAIT_2") && sender.receivedData) {
          apply(from, "RCV_DATA", { orphaned: true });
        } else {
          apply(from, "ABORT");
        }
      }
    }

    // ---- the receiver: the segment classified as RFC 9293 §3.10.7 classifies arrivals
    const acksFin = has(s, "ACK") && receiver.finSeq !== null && seqDiff(s.ack, receiver.finSeq) > 0;
    if (rst) apply(to, "RCV_RST");
    else if (syn) apply(to, has(s, "ACK") ? "RCV_SYN_ACK" : "RCV_SYN");
    else if (fin && receiver.finSeq === null && crossesNextFin(index, to === "client", (s.seq + s.len + (syn ? 1 : 0)) >>> 0)) {
      receiver.crossingFin = { index, ack: has(s, "ACK") ? s.ack : null };
    } else if (fin) {
      // A FIN that acknowledges our FIN *for the first time* is the merged FIN+ACK; once our FIN
      // was acknowledged (FIN_WAIT_2, TIME_WAIT) it is a plain FIN, as the simulator names it.
      apply(to, acksFin && !receiver.finAcked ? "RCV_FIN_ACK_OF_FIN" : "RCV_FIN");
    }
    else {
      const newAck = acksFin && !receiver.finAcked;
      if (newAck) apply(to, "RCV_ACK_OF_FIN");
      if (s.len > 0) apply(to, "RCV_DATA");
      else if (!newAck && has(s, "ACK")) apply(to, "RCV_ACK");
    }
    if (acksFin) receiver.finAcked = true;
    receiver.receivedData = s.len > 0;

    out.push({ segment: s, from, retransmission, steps, states: { client: sides.client.state, server: sides.server.state } });
  });

  for (const who of ["client", "server"] as const) {
    const side = sides[who];
    if (side.finSeq !== null && !side.finAcked && side.state !== "CLOSED") {
      anomalies.push({ kind: "unacknowledged-fin", endpoint: who, frame: side.finFrame,
        message: `no segment acknowledges the ${who}'s FIN (frame ${side.finFrame}): the final ACK is missing from the capture` });
    }
  }
  return {
    handshakeCaptured: start.captured,
    initial: { client: start.client, server: start.server },
    final: { client: sides.client.state, server: sides.server.state },
    segments: out,
    anomalies,
  };
}
