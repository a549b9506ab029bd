/**
 * The segment checks of src/fsm/checks.ts as the simulator asks them: an arriving segment's
 * facts (control bits, where SEG.SEQ falls, the ACK field) packed into one small integer,
 * and `judgeSegment()` memoised per (profile, state, facts, passiveOpen, orphaned). The
 * simulator never judges a segment itself; the rules are data in src/fsm.
 */
import { judgeSegment, type AckField, type CheckRule, type SegmentFacts, type SeqPosition } from "../fsm/checks.js";
import { EVENTS } from "../fsm/events.js";
import { STATES } from "../fsm/states.js";
import { profileKey, type Profile } from "../fsm/profiles.js";
import type { Endpoint } from "./endpoint.js";
import { F_ORPHANED, F_PASSIVE } from "./decisions.js";
import { ACK, FIN, RST, SYN, add, le, lt } from "./segment.js";

/** The judgement as event indices (into EVENTS), with the rule for explanations. */
export interface SimJudgement {
  readonly rule: CheckRule;
  readonly events: readonly number[];
}

const SEQ_CODE: readonly SeqPosition[] = ["before", "exact", "inside", "edge", "after"];
const ACK_CODE: readonly AckField[] = ["none", "acceptable", "unacceptable"];
const S_BEFORE = 0, S_EXACT = 1, S_INSIDE = 2, S_EDGE = 3, S_AFTER = 4;
const A_NONE = 0, A_OK = 1, A_BAD = 2;

/** Where SEG.SEQ falls against RCV.NXT and the window (§3.10.7.4 first check). */
export function seqPosition(rcvNxt: number, wnd: number, seq: number, segLen: number): number {
  const right = add(rcvNxt, wnd);
  if (segLen === 0) {
    if (seq === rcvNxt) return S_EXACT;
    if (lt(seq, rcvNxt)) return S_BEFORE;
  } else {
    // Old if it ends at or before RCV.NXT; a segment that overlaps RCV.NXT is trimmed to start there.
    if (le(add(seq, segLen), rcvNxt)) return S_BEFORE;
    if (le(seq, rcvNxt)) return S_EXACT;
  }
  if (lt(seq, right)) return S_INSIDE;
  return seq === right ? S_EDGE : S_AFTER;
}

/** The ACK field: acceptable per the state's rule (./checks.ts `AckField`). */
function ackField(ep: Endpoint, f: number, ack: number): number {
  if (!(f & ACK)) return A_NONE;
  const st = ep.state;
  if (st === "CLOSED" || st === "LISTEN") return A_OK;
  if (st === "SYN_SENT" || st === "SYN_RCVD") return lt(ep.sndUna, ack) && le(ack, ep.sndNxt) ? A_OK : A_BAD;
  return le(ack, ep.sndNxt) ? A_OK : A_BAD;
}

const CACHES = new Map<string, Map<number, SimJudgement>>();

/** Where the segment falls, as the checks name it; null where there is no window yet. */
export function arrivalPosition(ep: Endpoint, seq: number, segLen: number): SeqPosition | null {
  const synced = ep.haveRcv && ep.state !== "SYN_SENT";
  return synced ? SEQ_CODE[seqPosition(ep.rcvNxt, ep.rcvWnd, seq, segLen)]! : null;
}

/** Judge an arriving segment for this endpoint. `segLen` counts SYN and FIN. */
export function judge(profile: Profile, ep: Endpoint, f: number, seq: number, ack: number, len: number, segLen: number): SimJudgement {
  const synced = ep.haveRcv && ep.state !== "SYN_SENT";
  const pos = synced ? seqPosition(ep.rcvNxt, ep.rcvWnd, seq, segLen) : S_EXACT;
  const af = ackField(ep, f, ack);
  const acksFin = af === A_OK && ep.finSent && lt(ep.finSeq, ack);
  const newly = acksFin && le(ep.sndUna, ep.finSeq);
  const irs = ep.haveRcv && seq === ep.irs;
  const atPeerFin = ep.finRcvd && seq === add(ep.rcvNxt, -1);
  const key = (((((((((((ep.si * 32 + (f & (SYN | ACK | FIN | RST))) * 2 + (len > 0 ? 1 : 0)) * 5 + pos) * 3 + af) * 2
    + (acksFin ? 1 : 0)) * 2 + (newly ? 1 : 0)) * 2 + (irs ? 1 : 0)) * 2 + (ep.fl & F_PASSIVE ? 1 : 0)) * 2)
    + (ep.fl & F_ORPHANED ? 1 : 0)) * 2 + (atPeerFin ? 1 : 0));
  const pk = profileKey(profile);
  let cache = CACHES.get(pk);
  if (cache === undefined) CACHES.set(pk, cache = new Map());
  let j = cache.get(key);
  if (j === undefined) {
    const facts: SegmentFacts = {
      syn: (f & SYN) !== 0, ack: (f & ACK) !== 0, fin: (f & FIN) !== 0, rst: (f & RST) !== 0, data: len > 0,
      seq: SEQ_CODE[pos]!, ackField: ACK_CODE[af]!, acksFin, newlyAcksFin: newly, irs, atPeerFin,
    };
    const r = judgeSegment(STATES[ep.si]!, facts, profile, {
      passiveOpen: (ep.fl & F_PASSIVE) !== 0, orphaned: (ep.fl & F_ORPHANED) !== 0,
    });
    j = { rule: r.rule, events: r.events.map((e) => EVENTS.indexOf(e)) };
    cache.set(key, j);
  }
  return j;
}
