/**
 * Segment arrivals (RFC 9293 §3.10.7): each arriving segment is checked against the TCB —
 * the ACK in SYN_SENT, the RST's sequence number, the acceptability test (§3.10.7.4
 * "first"), the ACK field ("fifth") — and classified into a table event by its control bits
 * and by whether it acknowledges our FIN. The table decides what the event does.
 */
import type { SimEvent } from "./heap.js";
import type { Endpoint } from "./endpoint.js";
import type { Simulation } from "./simulation.js";
import { ACK, FIN, RST, SYN, WINDOW, add, le, lt, span } from "./segment.js";
import { RCV_ACK, RCV_ACK_OF_FIN, RCV_DATA, RCV_FIN, RCV_FIN_ACK_OF_FIN, RCV_RST, RCV_SYN, RCV_SYN_ACK, lookup } from "./decisions.js";
import { apply, fire } from "./transitions.js";
import { emit } from "./sending.js";
import { restartRetransmit } from "./timers.js";
import { TRIGGER_INDEX, trigger } from "./steps.js";
import { Why } from "./explain.js";


export function receive(sim: Simulation, ep: Endpoint, ev: SimEvent): void {
  const f = ev.a, seq = ev.seq, ack = ev.ack, len = ev.len;
  const st = ep.state;
  if (st === "CLOSED" || st === "LISTEN") {
    // §3.10.7.1–2: classify by control bits; the table answers with RST or a SYN+ACK.
    let ei: number;
    if (f & RST) ei = RCV_RST;
    else if (f & SYN) ei = f & ACK ? RCV_SYN_ACK : RCV_SYN;
    else if (f & FIN) ei = RCV_FIN;
    else if (len > 0) ei = RCV_DATA;
    else ei = RCV_ACK;
    if (ei === RCV_SYN && st === "LISTEN") {
      ep.rcvNxt = add(seq, 1);
      ep.haveRcv = true;
    }
    fire(sim, ep, ei, f, seq, ack, len, 0);
    return;
  }
  if (st === "SYN_SENT") {
    // §3.10.7.3: first the ACK, then RST, then SYN.
    const ackOk = (f & ACK) !== 0 && ack === ep.sndNxt;
    if (f & RST) {
      if (ackOk) fire(sim, ep, RCV_RST, f, seq, ack, len, 0);
      return;
    }
    if (f & ACK && !ackOk) {
      fire(sim, ep, RCV_ACK, f, seq, ack, len, 0); // the table answers an unacceptable ACK with RST
      return;
    }
    if (f & SYN) {
      ep.rcvNxt = add(seq, 1);
      ep.haveRcv = true;
      if (f & ACK) {
        ackAdvance(sim, ep, ack);
        fire(sim, ep, RCV_SYN_ACK, f, seq, ack, len, 0);
      } else {
        fire(sim, ep, RCV_SYN, f, seq, ack, len, 0);
      }
    }
    return; // neither SYN nor RST: drop
  }
  // Synchronized states (and SYN_RCVD).
  if (f & RST) {
    // §3.10.7.4 first check for RST: the sequence number must be in the window.
    if (le(ep.rcvNxt, seq) && lt(seq, add(ep.rcvNxt, WINDOW))) fire(sim, ep, RCV_RST, f, seq, ack, len, 0);
    return;
  }
  if (f & SYN) {
    if (f & ACK && st === "SYN_RCVD") {
      // Simultaneous open: the SYN+ACK must acknowledge our SYN.
      if (ack !== ep.sndNxt) return;
      ackAdvance(sim, ep, ack);
    }
    fire(sim, ep, f & ACK ? RCV_SYN_ACK : RCV_SYN, f, seq, ack, len, 0);
    return;
  }
  if (!(f & ACK)) return; // §3.10.7.4 fifth: "if the ACK bit is off drop the segment"
  if (lt(ep.sndNxt, ack)) {
    emit(sim, ep, ACK, ep.sndNxt, ep.rcvNxt, 0, Why.DupAck, false); // acks something not yet sent
    return;
  }
  const finWasAcked = ep.finSent && lt(ep.finSeq, ep.sndUna);
  if (lt(ep.sndUna, ack)) ackAdvance(sim, ep, ack);
  if (st === "SYN_RCVD" && !lt(ep.iss, ep.sndUna)) return; // our SYN is not acknowledged yet
  const acksFin = ep.finSent && lt(ep.finSeq, ack);
  if (len === 0 && !(f & FIN)) {
    fire(sim, ep, acksFin ? RCV_ACK_OF_FIN : RCV_ACK, f, seq, ack, len, 0);
    return;
  }
  if (seq === ep.rcvNxt) {
    if (len > 0) {
      // §3.10.7.4 processes the ACK field before the text: a data segment that newly
      // acknowledges our FIN moves FIN_WAIT_1 on first.
      if (acksFin && !finWasAcked) fire(sim, ep, RCV_ACK_OF_FIN, f, seq, ack, 0, 0);
      const o = lookup(sim.profile, ep.si, RCV_DATA, ep.fl);
      if (o.kind === "transition") {
        ep.rcvNxt = add(ep.rcvNxt, len);
        if (!ep.autoRead) ep.unread += len;
        apply(sim, ep, o, RCV_DATA, f, seq, ack, len, 0);
        trigger(sim, ep, TRIGGER_INDEX.data);
      }
      if (ep.state === "CLOSED" || !(f & FIN)) return;
    }
    const ei = acksFin ? RCV_FIN_ACK_OF_FIN : RCV_FIN;
    const o = lookup(sim.profile, ep.si, ei, ep.fl);
    if (o.kind === "transition") {
      ep.rcvNxt = add(ep.rcvNxt, 1);
      ep.finRcvd = true;
      apply(sim, ep, o, ei, f, seq, ack, len, 0);
      trigger(sim, ep, TRIGGER_INDEX.eof);
    }
    return;
  }
  if (f & FIN && ep.finRcvd && add(seq, len + 1) === ep.rcvNxt) {
    // A retransmitted FIN: the table ACKs it again (and restarts 2MSL in TIME_WAIT).
    fire(sim, ep, acksFin ? RCV_FIN_ACK_OF_FIN : RCV_FIN, f, seq, ack, len, 0);
    return;
  }
  // An out-of-order segment still carries an ACK field, processed above (§3.10.7.4 fifth):
  // when it newly acknowledges our FIN, FIN_WAIT_1, CLOSING or LAST_ACK must move on, or
  // the endpoint would sit in FIN_WAIT_1 with nothing left to retransmit and no timer.
  if (acksFin && !finWasAcked) {
    fire(sim, ep, RCV_ACK_OF_FIN, f, seq, ack, 0, 0);
    if (ep.state === "CLOSED") return;
  }
  // Its text and FIN wait for the gap (no reassembly queue in this simulator): answer with
  // an ACK saying what we expect, as for an old duplicate (§3.10.7.4 first check).
  emit(sim, ep, ACK, ep.sndNxt, ep.rcvNxt, 0, Why.DupAck, false);
}

/** §3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT advances SND.UNA and frees the queue. */
function ackAdvance(sim: Simulation, ep: Endpoint, ack: number): void {
  ep.sndUna = ack;
  const q = ep.rtx;
  let h = ep.rtxHead;
  while (h < ep.rtxTail && le(add(q[h]!, span(q[h + 1]!, q[h + 2]!)), ack)) h += 3;
  if (h === ep.rtxTail) h = ep.rtxTail = 0;
  ep.rtxHead = h;
  restartRetransmit(sim, ep);
}
