/**
 * Segment arrivals (RFC 9293 §3.10.7). The segment is judged by the rules of
 * src/fsm/checks.ts (./judge.ts): where it falls against the window, its RST and SYN bits,
 * its ACK field. The judgement is a list of table events, and the table decides what each
 * one does. This file only keeps the books the table abstracts: RCV.NXT over accepted data
 * and FINs, SND.UNA over acceptable ACKs, the peer's ISN, and a new incarnation when a SYN
 * reopens a TIME_WAIT 4-tuple.
 */
import type { SimEvent } from "./heap.js";
import type { Endpoint } from "./endpoint.js";
import type { Simulation } from "./simulation.js";
import { ACK, SYN, add, le, lt, span } from "./segment.js";
import {
  F_ORPHANED, F_PASSIVE, SI, RCV_DATA, RCV_FIN, RCV_FIN_ACK_OF_FIN, RCV_OUT_OF_ORDER, RCV_SYN, RCV_SYN_ACK, lookup,
} from "./decisions.js";
import { apply } from "./transitions.js";
import { restartRetransmit } from "./timers.js";
import { TRIGGER_INDEX, trigger } from "./steps.js";
import { judge } from "./judge.js";

/**
 * Linux gives a connection that reuses a TIME_WAIT 4-tuple an ISS above the old one:
 * tw_snd_nxt + 65535 + 2 (tcp_timewait_state_process(), TCP_TW_SYN).
 */
const REUSE_ISS_GAP = 65537;

export function receive(sim: Simulation, ep: Endpoint, ev: SimEvent): void {
  const f = ev.a, seq = ev.seq, ack = ev.ack, len = ev.len;
  const segLen = span(f, len);
  const j = judge(sim.profile, ep, f, seq, ack, len, segLen);
  const ev0 = j.events[0]!;
  // §3.10.7.4 fifth: an acceptable ACK advances SND.UNA before the text is processed. In
  // SYN_SENT only a SYN+ACK carries one we take (an ACK alone is dropped there).
  if (f & ACK && (j.rule.event === "BY_CONTROL_BITS" || ev0 === RCV_OUT_OF_ORDER) && ep.state !== "CLOSED" &&
    ep.state !== "LISTEN" && (ep.state !== "SYN_SENT" || f & SYN) && lt(ep.sndUna, ack) && le(ack, ep.sndNxt)) {
    ackAdvance(sim, ep, ack);
  }
  for (let i = 0; i < j.events.length; i++) {
    const ei = finAlreadyAcked(ep, j.events[i]!);
    let o = lookup(sim.profile, ep.si, ei, ep.fl);
    if (o.kind !== "transition") continue;
    // One segment, one reply: when a later event of the same segment (its FIN after its data)
    // answers with an ACK or a RST too, this event's is left to it (Linux sends one).
    if (i + 1 < j.events.length && o.send.length > 0 && laterReplies(sim, ep, j.events, i, o.next)) {
      o = { ...o, send: o.send.filter((k) => k !== "ACK" && k !== "RST") };
    }
    if (ei === RCV_SYN || ei === RCV_SYN_ACK) {
      const reopen = ep.state === "TIME_WAIT" && o.next === "SYN_RCVD";
      if (reopen) newIncarnation(ep);
      if (ep.state === "LISTEN" || ep.state === "SYN_SENT" || reopen) {
        // The peer's ISN, and data on a SYN+ACK is accepted (ack = IRS + 1 + len).
        ep.irs = seq;
        ep.haveRcv = true;
        // Text on a SYN+ACK is processed now (§3.10.7.3 "continue at the sixth step"); text on
        // a bare SYN is queued until ESTABLISHED (§3.10.7.2 third), unless the profile drops it.
        const text = o.discardsText ? 0 : len;
        if (ei === RCV_SYN_ACK) {
          ep.rcvNxt = add(seq, 1 + text);
          if (text > 0 && !ep.autoRead) ep.unread += text;
        } else {
          ep.rcvNxt = add(seq, 1);
          ep.synText = text;
        }
      }
      apply(sim, ep, o, ei, f, seq, ack, len, 0);
      if (len > 0 && !o.discardsText && ep.state === "ESTABLISHED") trigger(sim, ep, TRIGGER_INDEX.data);
    } else if (ei === RCV_DATA) {
      // Trimmed to what is new (the checks let through a segment that overlaps RCV.NXT).
      const fresh = add(seq, len) - ep.rcvNxt >>> 0;
      // Text after the peer's FIN is ignored (§3.10.7.4 seventh): RCV.NXT stays past the FIN.
      const taken = o.next !== "CLOSED" && !ep.finRcvd;
      if (taken) {
        ep.rcvNxt = add(ep.rcvNxt, fresh);
        if (!ep.autoRead) ep.unread += fresh;
      }
      const at = readIndex(sim);
      apply(sim, ep, o, ei, f, seq, ack, len, 0);
      // An application that reads as data comes (autoRead) gets it from a read().
      if (taken && fresh > 0 && ep.autoRead && !(ep.fl & F_ORPHANED)) {
        sim.records.call(sim.now / 1e6, ep.name, "read()", String(fresh), at());
      }
      if (ep.state !== "CLOSED") trigger(sim, ep, TRIGGER_INDEX.data);
    } else if (ei === RCV_FIN || ei === RCV_FIN_ACK_OF_FIN) {
      const first = !ep.finRcvd && o.next !== "CLOSED";
      if (first) {
        ep.rcvNxt = add(ep.rcvNxt, 1);
        ep.finRcvd = true;
      }
      const at = readIndex(sim);
      apply(sim, ep, o, ei, f, seq, ack, len, 0);
      // The peer's FIN, once the data before it is read, is end-of-file: read() returns 0.
      if (first && ep.autoRead && !(ep.fl & F_ORPHANED)) sim.records.call(sim.now / 1e6, ep.name, "read()", "0 (EOF)", at());
      if (first) trigger(sim, ep, TRIGGER_INDEX.eof);
    } else {
      apply(sim, ep, o, ei, f, seq, ack, len, 0);
    }
    if (ep.state === "CLOSED") return;
  }
}

/**
 * Where a read() the arrival completes goes among the trace's events: after the state change
 * the arrival caused (CLOSE_WAIT), before the segments it sent (the ACK), so a ladder shows
 * the application's read beside the arrow that delivered the data or the FIN.
 */
function readIndex(sim: Simulation): () => number {
  const before = sim.events.length;
  return () => (sim.events[before]?.type === "state" ? before + 1 : before);
}

/**
 * In FIN_WAIT_2 and TIME_WAIT our FIN was acknowledged before: a FIN whose ACK field covers
 * it again brings no news about our FIN, so it is the peer's FIN and nothing more: RCV_FIN
 * (RFC 9293 §3.10.7.4: in FIN-WAIT-2 "enter the TIME-WAIT state"; in TIME-WAIT "restart the
 * 2 MSL time-out"). The table's cells for the two events are the same in those states; the
 * name matters to the learner reading the trace ("rcv FIN", not "rcv FIN+ACK of FIN", which
 * is the merged FIN+ACK that takes FIN_WAIT_1 straight to TIME_WAIT).
 */
function finAlreadyAcked(ep: Endpoint, ei: number): number {
  return ei === RCV_FIN_ACK_OF_FIN && (ep.state === "FIN_WAIT_2" || ep.state === "TIME_WAIT") ? RCV_FIN : ei;
}

/** Does the next event of this segment, in the state this one leads to, send an ACK or a RST? */
function laterReplies(sim: Simulation, ep: Endpoint, events: readonly number[], i: number, next: string): boolean {
  if (next === "CLOSED") return false;
  const o = lookup(sim.profile, SI[next as keyof typeof SI], events[i + 1]!, ep.fl);
  return o.kind === "transition" && (o.send.includes("ACK") || o.send.includes("RST"));
}

/** A SYN reopens a TIME_WAIT 4-tuple (Linux TCP_TW_SYN): a fresh TCB with a higher ISS. */
function newIncarnation(ep: Endpoint): void {
  ep.iss = add(ep.sndNxt, REUSE_ISS_GAP);
  ep.sndUna = ep.sndNxt = ep.iss;
  ep.synSent = ep.finSent = ep.finRcvd = false;
  ep.rtxHead = ep.rtxTail = 0;
  ep.genTw++;
  ep.retries = 0;
  ep.unread = 0;
  // The listener owns the new connection: it is neither orphaned nor lingering.
  ep.fl &= F_PASSIVE;
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
