/**
 * What an endpoint sends: the segments a table outcome's `send` list names (SYN, SYN+ACK,
 * ACK, FIN, RST, DATA, RETRANSMIT), with the sequence and acknowledgment numbers the table
 * abstracts away (§3.3.1), the retransmission queue they join, and the sentence that
 * explains each one.
 */
import type { TcpState } from "../fsm/states.js";
import type { Endpoint } from "./endpoint.js";
import type { Simulation } from "./simulation.js";
import { ACK, FIN, PSH, RST, SYN, MSS, add, span } from "./segment.js";
import {
  CLOSE, F_LINGER0, RCV_BAD_ACK, RCV_DATA, RCV_FIN, RCV_FIN_ACK_OF_FIN, RCV_OUT_OF_ORDER, RCV_RST_IN_WINDOW, RCV_SYN,
  RCV_SYN_ACK, isSegmentEvent,
} from "./decisions.js";
import { armRetransmit, holdAck } from "./timers.js";
import { transmit } from "./link.js";
import { Why } from "./explain.js";


/** Put a segment on the link. */
export function emit(sim: Simulation, ep: Endpoint, flags: number, seq: number, ack: number, len: number, why: number, retransmission: boolean): void {
  if (flags & ACK && ep.dackPending) {
    // Any segment carrying ACK makes the delayed ACK unnecessary.
    ep.dackPending = false;
    ep.genDack++;
    sim.records.endTimer(ep.id, "delayed-ack", sim.now / 1e6, "stopped");
  }
  transmit(sim, ep, flags, seq, ack, len, why, retransmission);
}

export function sendSyn(sim: Simulation, ep: Endpoint, withAck: boolean, from: TcpState): void {
  let again = false;
  if (!ep.synSent) {
    ep.synSent = true;
    ep.sndUna = ep.iss;
    ep.sndNxt = add(ep.iss, 1);
    queue(ep, ep.iss, SYN, 0);
  } else {
    // SYN_RCVD answering the peer's SYN again resends its SYN+ACK (Linux tcp_check_req()).
    again = from === "SYN_RCVD";
  }
  if (withAck) emit(sim, ep, SYN | ACK, ep.iss, ep.rcvNxt, 0, again ? Why.Retransmit : Why.SynAck, again);
  else emit(sim, ep, SYN, ep.iss, 0, 0, Why.Syn, false);
  armRetransmit(sim, ep);
}

export function sendAck(sim: Simulation, ep: Endpoint, ei: number, from: TcpState): void {
  let why: number = Why.DupAck;
  if (ei === RCV_DATA) why = Why.DataAck;
  else if (ei === RCV_FIN || ei === RCV_FIN_ACK_OF_FIN) why = Why.FinAck;
  else if (ei === RCV_SYN_ACK && from === "SYN_SENT") why = Why.HandshakeAck;
  else if (ei === RCV_SYN || ei === RCV_RST_IN_WINDOW) why = Why.ChallengeAck;
  // Delayed ACK (RFC 1122 §4.2.3.2) for data, and for the FIN that moves us to CLOSE_WAIT:
  // Linux tcp_fin() only schedules that ACK, so an application that closes at once sends
  // its FIN with the ACK on it. Every other ACK goes at once, as in Linux.
  // A second segment while an ACK is already held is acknowledged at once (RFC 5681 §4.2:
  // at least every second full-sized segment).
  const delay = ei === RCV_DATA || (why === Why.FinAck && from !== "CLOSE_WAIT" && ep.state === "CLOSE_WAIT");
  if (ep.delayedAck && delay && !ep.dackPending) {
    holdAck(sim, ep, why);
    return;
  }
  emit(sim, ep, ACK, ep.sndNxt, ep.rcvNxt, 0, why, false);
}

export function sendFin(sim: Simulation, ep: Endpoint): void {
  const merged = ep.dackPending;
  ep.finSent = true;
  ep.finSeq = ep.sndNxt;
  ep.sndNxt = add(ep.sndNxt, 1);
  queue(ep, ep.finSeq, FIN | ACK, 0);
  emit(sim, ep, FIN | ACK, ep.finSeq, ep.rcvNxt, 0, merged ? Why.FinWithAck : Why.Fin, false);
  armRetransmit(sim, ep);
}

/**
 * A RST in reply to a segment takes its numbers from that segment (§3.5.2, §3.10.7.1; Linux
 * tcp_v4_send_reset()): <SEQ=SEG.ACK><CTL=RST> when it had an ACK, else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. A RST the application causes (ABORT,
 * close() with SO_LINGER 0 or unread data) is <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, as
 * Linux tcp_send_active_reset() sends it.
 */
export function sendRst(sim: Simulation, ep: Endpoint, ei: number, from: TcpState, f: number, seq: number, ack: number, len: number): void {
  if (isSegmentEvent(ei)) {
    const why = ei === RCV_DATA || ei === RCV_OUT_OF_ORDER ? Why.RstDataAfterClose
      : from === "CLOSED" || from === "LISTEN" || from === "SYN_SENT" || ei === RCV_BAD_ACK ? Why.RstRefuse : Why.RstAbort;
    sim.replyRst = true;
    if (f & ACK) emit(sim, ep, RST, ack, 0, 0, why, false);
    else emit(sim, ep, RST | ACK, 0, add(seq, span(f, len)), 0, why, false);
    sim.replyRst = false;
    return;
  }
  let why: number = Why.RstAbort;
  if (ei === CLOSE) why = ep.fl & F_LINGER0 ? Why.RstLinger0 : Why.RstUnread;
  emit(sim, ep, RST | ACK, ep.sndNxt, ep.rcvNxt, 0, why, false);
}

export function sendData(sim: Simulation, ep: Endpoint, bytes: number): void {
  for (let left = bytes; left > 0;) {
    const n = left < MSS ? left : MSS;
    left -= n;
    const flags = left === 0 ? ACK | PSH : ACK;
    const seq = ep.sndNxt;
    ep.sndNxt = add(seq, n);
    queue(ep, seq, flags, n);
    emit(sim, ep, flags, seq, ep.rcvNxt, n, Why.Data, false);
  }
  armRetransmit(sim, ep);
}

/** The retransmission timer expired: the oldest unacknowledged segment goes again. */
export function retransmitOldest(sim: Simulation, ep: Endpoint): void {
  const h = ep.rtxHead;
  if (h >= ep.rtxTail) return;
  const flags = ep.rtx[h + 1]! | (ep.haveRcv ? ACK : 0);
  emit(sim, ep, flags, ep.rtx[h]!, ep.haveRcv ? ep.rcvNxt : 0, ep.rtx[h + 2]!, Why.Retransmit, true);
  armRetransmit(sim, ep);
}

/** Append a segment that occupies sequence space to the retransmission queue. */
function queue(ep: Endpoint, seq: number, flags: number, len: number): void {
  const t = ep.rtxTail;
  ep.rtx[t] = seq;
  ep.rtx[t + 1] = flags;
  ep.rtx[t + 2] = len;
  ep.rtxTail = t + 3;
}
