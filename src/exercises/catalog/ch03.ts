/**
 * Chapter 03's exercises (see ../engine.ts for the shape and the feedback loop).
 *
 * Every verdict is computed: the simultaneous close from a simulator trace, each RST's fate
 * from the segment checks (`judgeSegment`, src/fsm/checks.ts) and the table (`decide`), the
 * attacker's arithmetic from the same checks applied to each position in the window.
 */
import { defineExercise, type Exercise, type Read } from "../engine.js";
import { readChoice, readChoices } from "../readers.js";
import { judgeSegment, SEQ_POSITIONS, type SegmentFacts, type SeqPosition } from "../../fsm/checks.js";
import { decide } from "../../fsm/machine.js";
import { profileWith, type ProfileName } from "../../fsm/profiles.js";
import type { TcpState } from "../../fsm/states.js";
import { arrivalVerdict, SEQ_POSITION_WORDS } from "../../render/fsm-markdown.js";
import { simulate } from "../../sim/simulate.js";
import { seqPosition } from "../../sim/judge.js";
import type { EndpointName, Trace } from "../../sim/trace.js";

// ------------------------------------------------------------------ shared helpers

/** The three fates of a RST that chapter 03 teaches. */
export const RST_VERDICTS = ["dropped", "challenge-ack", "reset"] as const;
export type RstVerdict = (typeof RST_VERDICTS)[number];

const SEQ_SPACE = 2 ** 32;

/** A bare RST (with an acceptable ACK, as `R.` in a script) at a given position. */
function rstFacts(seq: SeqPosition, ack = true): SegmentFacts {
  return {
    syn: false, ack, fin: false, rst: true, data: false, seq, ackField: ack ? "acceptable" : "none",
    acksFin: false, newlyAcksFin: false, irs: false, atPeerFin: false,
  };
}

/** Where SEG.SEQ of an empty segment falls against RCV.NXT and RCV.WND (§3.10.7.4 first check). */
export function rstPosition(rcvNxt: number, window: number, seq: number): SeqPosition {
  return SEQ_POSITIONS[seqPosition(rcvNxt >>> 0, window, seq >>> 0, 0)]!;
}

export interface RstJudgement {
  readonly position: SeqPosition;
  readonly rule: string;
  readonly verdict: RstVerdict;
  /** What the endpoint sends back ("ACK" for a challenge ACK), from the table. */
  readonly send: readonly string[];
}

/** How an endpoint in `state` treats a RST at `position`: the checks, then the table. */
export function judgeRst(state: TcpState, position: SeqPosition, profile: ProfileName, rfc5961 = true, ack = true): RstJudgement {
  const p = profileWith(profile, { rfc5961 });
  const { rule, events } = judgeSegment(state, rstFacts(position, ack), p);
  const o = decide(state, events[0]!, p).outcome;
  const next = o.kind === "transition" ? o.next : state;
  const send = o.kind === "transition" ? o.send : [];
  const v = arrivalVerdict({ state, events, next, replies: send });
  const verdict: RstVerdict = v === "reset" ? "reset" : v === "challenge ACK" ? "challenge-ack" : "dropped";
  return { position, rule: rule.id, verdict, send };
}

/** How many of the 2^32 sequence numbers a RST may carry reset a connection in `state` (window `window`). */
export function resettingNumbers(window: number, profile: ProfileName, rfc5961: boolean, state: TcpState = "ESTABLISHED"): number {
  // How many numbers each position covers for an empty segment: one at RCV.NXT, window − 1 after it,
  // one at the right edge; the rest of the space is before or beyond (never reset: the checks drop them).
  const size: Record<SeqPosition, number> = { exact: 1, inside: window - 1, edge: 1, before: 0, after: 0 };
  let n = 0;
  for (const pos of SEQ_POSITIONS) if (judgeRst(state, pos, profile, rfc5961).verdict === "reset") n += size[pos];
  return n;
}

/** Average RSTs a blind attacker needs: the covering sweep has ⌈2^32 / k⌉ RSTs; the hit is equally likely at any. */
export function averageBlindRsts(window: number, profile: ProfileName, rfc5961: boolean): { perHit: number; sweep: number; average: number } {
  const perHit = resettingNumbers(window, profile, rfc5961);
  const sweep = Math.ceil(SEQ_SPACE / perHit);
  return { perHit, sweep, average: (sweep + 1) / 2 };
}

const num = (x: number): string => x.toLocaleString("en-US");
/** A bare RST on the wire: a 20-byte IPv4 header and a 20-byte TCP header. */
const RST_BYTES = 40;
const bytes = (b: number): string => (b >= 1e9 ? `${(b / 1e9).toFixed(1)} GB` : `${(b / 1e6).toFixed(1)} MB`);

// ------------------------------------------------------------------ 03.1 simultaneous close

const SIDES = ["client", "server", "neither"] as const;
type Side = (typeof SIDES)[number];
let simClose: Trace | undefined;
const simultaneousClose = (): Trace => (simClose ??= simulate("simultaneous-close", { profile: "linux" }));

/** Each side's states in order, from the trace. */
function statePath(trace: Trace, side: EndpointName): TcpState[] {
  const path: TcpState[] = [trace.initial[side]];
  for (const e of trace.events) if (e.type === "state" && e.endpoint === side) path.push(e.to);
  return path;
}

function timeWaitSides(trace: Trace): Side[] {
  const sides = (["client", "server"] as const).filter((s) => statePath(trace, s).includes("TIME_WAIT"));
  return sides.length === 0 ? ["neither"] : [...sides].sort();
}

const ex1 = defineExercise<Side[]>({
  id: "03.1",
  kind: "reasoning",
  form: "choose",
  question: "Both applications call close() at the same moment and the two FINs cross. Which endpoints go through TIME_WAIT?",
  expects: 'a list of "client", "server", or "neither", e.g. ["neither"]',
  read: readChoices(SIDES),
  judge: (answer) => {
    const trace = simultaneousClose();
    const truth = timeWaitSides(trace);
    const paths = (["client", "server"] as const).map((s) => `the ${s}: ${statePath(trace, s).join(" → ")}`).join("; ");
    const explanation = `in the simulated simultaneous close, ${paths}. Each side sent its FIN before the peer's FIN arrived, ` +
      "so each received a FIN it had not yet answered while its own was unacknowledged (FIN_WAIT_1 → CLOSING), and each " +
      "then got the ACK of its own FIN (CLOSING → TIME_WAIT). TIME_WAIT belongs to every side that closed before it heard " +
      "the peer's FIN, not to a role: here that is " + (truth.length === 2 ? "both" : truth.join(" and ")) +
      " (RFC 9293 §3.6, Figure 13).";
    return { correct: JSON.stringify(answer) === JSON.stringify(truth), explanation };
  },
  solution: ["client", "server"],
  hint: "Follow one side: which state is it in when the peer's FIN arrives, and has its own FIN been acknowledged yet? Then do the same for the other side; the situation is symmetric.",
  misconceptions: [
    { answers: [["client"]], says: "\"The client enters TIME_WAIT\" is a rule of thumb for the usual case, where the client happens to close first. TIME_WAIT follows from what a side has sent and received, not from who connected." },
    { answers: [["server"]], says: "Nothing here makes the server special: both sides did exactly the same things at the same time." },
    { answers: [["neither"]], says: "CLOSING is not the end: a side in CLOSING still waits for the ACK of its own FIN, and that ACK moves it on." },
  ],
});

// ------------------------------------------------------------------ 03.2 judge four RSTs

/** The situation of 03.2, relative sequence numbers (the peer's ISN is 0). */
export const EX_03_2 = {
  state: "ESTABLISHED" as TcpState,
  profile: "linux" as ProfileName,
  rcvNxt: 5001,
  window: 65535,
  rsts: { A: 70537, B: 5000, C: 40000, D: 5001 },
} as const;

function judge03_2(): { verdicts: RstVerdict[]; lines: string[] } {
  const { state, profile, rcvNxt, window, rsts } = EX_03_2;
  const verdicts: RstVerdict[] = [];
  const lines: string[] = [];
  for (const [name, seq] of Object.entries(rsts)) {
    const j = judgeRst(state, rstPosition(rcvNxt, window, seq), profile);
    verdicts.push(j.verdict);
    lines.push(`${name} (seq ${num(seq)}): ${SEQ_POSITION_WORDS[j.position]} → rule ${j.rule} → ${j.verdict}${j.send.length ? ` (sends ${j.send.join("+")})` : ""}`);
  }
  return { verdicts, lines };
}

function readVerdictList(count: number): (raw: unknown) => Read<RstVerdict[]> {
  const one = readChoice(RST_VERDICTS);
  return (raw) => {
    if (!Array.isArray(raw) || raw.length !== count) {
      return { ok: false, problem: `give a list of ${count} verdicts, one per RST in order.` };
    }
    const out: RstVerdict[] = [];
    for (const x of raw) {
      const r = one(x);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return { ok: true, value: out };
  };
}

const ex2 = defineExercise<RstVerdict[]>({
  id: "03.2",
  kind: "diagnostic",
  form: "choose",
  question: "A Linux endpoint is ESTABLISHED with RCV.NXT = 5 001 and a 65 535-byte receive window. RSTs arrive at seq 70 537 (A), 5 000 (B), 40 000 (C) and 5 001 (D); judge each on its own. Dropped, challenge ACK, or reset?",
  expects: 'a list of four of "dropped", "challenge-ack", "reset", in the order A, B, C, D',
  read: readVerdictList(4),
  judge: (answer) => {
    const { verdicts, lines } = judge03_2();
    const explanation = `the window runs from RCV.NXT = ${num(EX_03_2.rcvNxt)} up to ${num(EX_03_2.rcvNxt + EX_03_2.window - 1)}. ${lines.join("; ")}. ` +
      "Only a RST at exactly RCV.NXT resets; one elsewhere in the window draws a challenge ACK; one outside the window, " +
      "before it as well as beyond it, is dropped without a reply (RFC 9293 §3.10.7.4, first and second checks; RFC 5961 §3.2).";
    return { correct: JSON.stringify(answer) === JSON.stringify(verdicts), explanation };
  },
  solution: ["dropped", "dropped", "challenge-ack", "reset"],
  hint: "First place each sequence number: before RCV.NXT, exactly at it, inside the window, or beyond it. Then apply the three RST rules of RFC 5961 in that order.",
  misconceptions: [
    { answers: [["dropped", "dropped", "reset", "reset"]], says: "That is RFC 793's rule, where any RST inside the window resets. Linux follows RFC 5961 here, which asks for more than being in the window." },
    { answers: [["dropped", "challenge-ack", "challenge-ack", "reset"], ["challenge-ack", "challenge-ack", "challenge-ack", "reset"]], says: "A challenge ACK answers a RST that is in the window. Check where the window starts: is a number just below RCV.NXT inside it?" },
    { answers: [["dropped", "reset", "challenge-ack", "reset"]], says: "\"Close to RCV.NXT\" is not enough: the reset rule asks for one exact number, and RCV.NXT is the next byte expected, not the last one received." },
    { answers: [["challenge-ack", "dropped", "challenge-ack", "reset"], ["challenge-ack", "challenge-ack", "challenge-ack", "challenge-ack"]], says: "Not every RST gets an answer: replying to RSTs from outside the window would hand an attacker a way to make the victim send segments." },
  ],
});

// ------------------------------------------------------------------ 03.3 the blind attacker's arithmetic

/** 03.3: a 64 KiB window (window scaling allows it), the RFC profile, RFC 793's rule against RFC 5961's. */
export const EX_03_3 = { window: 65536, profile: "rfc9293" as ProfileName } as const;

function readTwoNumbers(raw: unknown): Read<[number, number]> {
  if (!Array.isArray(raw) || raw.length !== 2 || !raw.every((x) => typeof x === "number" && Number.isFinite(x))) {
    return { ok: false, problem: "give two numbers in a list: [RFC 793, RFC 5961]." };
  }
  return { ok: true, value: [raw[0] as number, raw[1] as number] };
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 0.01 * b;

const ex3 = defineExercise<[number, number]>({
  id: "03.3",
  kind: "transfer",
  form: "calculate",
  question: "An off-path attacker knows a connection's 4-tuple but not RCV.NXT; the receive window is 64 KiB (65 536). Spreading its RSTs so that no guess is wasted, how many RSTs does it need on average to reset the connection under RFC 793's rule, and under RFC 5961's?",
  expects: "two numbers in a list, [RFC 793, RFC 5961] (within 1%)",
  read: readTwoNumbers,
  judge: ([a, b]) => {
    const old = averageBlindRsts(EX_03_3.window, EX_03_3.profile, false);
    const now = averageBlindRsts(EX_03_3.window, EX_03_3.profile, true);
    const explanation = `by the library's checks and table, ${num(old.perHit)} of the 2^32 sequence numbers reset the connection ` +
      `under RFC 793 (the whole window) and ${num(now.perHit)} under RFC 5961 (RCV.NXT itself). RSTs ${num(old.perHit)} apart cover the space in ` +
      `${num(old.sweep)} tries, and the right one is equally likely to be any of them: ${num(old.average)} on average. ` +
      `Under RFC 5961 the sweep is ${num(now.sweep)} RSTs, ${num(now.average)} on average, ${num(now.sweep / old.sweep)} ` +
      `times as many: about ${bytes(now.average * RST_BYTES)} of ${RST_BYTES}-byte RSTs per connection instead of ${bytes(old.average * RST_BYTES)}. ` +
      "That is why RFC 5961 §3 asks for the exact number.";
    return { correct: close(a, old.average) && close(b, now.average), explanation };
  },
  solution: [32768.5, 2147483648.5],
  hint: "Count how many sequence numbers a RST can carry and still reset the connection under each rule; a sweep that steps by that count covers all 2^32 numbers. On average the hit comes halfway through the sweep.",
  misconceptions: [
    { answers: [[65536, 4294967296]], says: "Those are the worst cases: the sweep's full length. On average the right RST comes about halfway." },
    { answers: [[32768, 32768], [65536, 65536]], says: "RFC 5961 does not make the window smaller; it changes which numbers inside the window are allowed to reset." },
    { answers: [[1, 32768], [2147483648, 32768]], says: "Check the order: the old rule is the generous one, so it needs fewer RSTs." },
  ],
});

// ------------------------------------------------------------------ 03.4 the sweep: what the victim sends

/** 03.4: the victim's RCV.NXT (absolute, as the attacker does not know it) and window, Linux. */
export const EX_03_4 = { rcvNxt: 1_000_000_000, window: 65535, step: 65535, profile: "linux" as ProfileName } as const;

let sweepMemo: { rsts: number; inWindow: number; replies: number; resets: number } | undefined;

/** Judges every RST of the sweep (RSTs without ACK, at every multiple of `step` below 2^32) as the victim does. */
export function sweepReplies(): { rsts: number; inWindow: number; replies: number; resets: number } {
  if (sweepMemo) return sweepMemo;
  const { rcvNxt, window, step, profile } = EX_03_4;
  const byPosition = new Map<SeqPosition, RstJudgement>();
  const s = { rsts: 0, inWindow: 0, replies: 0, resets: 0 };
  for (let seq = 0; seq < SEQ_SPACE; seq += step) {
    const pos = rstPosition(rcvNxt, window, seq);
    let j = byPosition.get(pos);
    if (!j) byPosition.set(pos, (j = judgeRst("ESTABLISHED", pos, profile, true, false)));
    s.rsts++;
    if (j.rule !== "rst-outside") s.inWindow++;
    s.replies += j.send.length;
    if (j.verdict === "reset") s.resets++;
  }
  sweepMemo = s;
  return s;
}

const ex4 = defineExercise<number>({
  id: "03.4",
  kind: "transfer",
  form: "calculate",
  question: "A blind attacker sweeps a Linux connection (RCV.NXT = 1 000 000 000, window 65 535) with one RST at every multiple of 65 535 below 2^32. How many segments does the victim send back during the whole sweep?",
  expects: "a whole number of segments",
  read: (raw) => (typeof raw === "number" && Number.isInteger(raw) && raw >= 0 ? { ok: true, value: raw } : { ok: false, problem: `${String(raw)} is not a whole number.` }),
  judge: (answer) => {
    const s = sweepReplies();
    const explanation = `of the ${num(s.rsts)} RSTs, ${s.inWindow} lands in the window (they are ${num(EX_03_4.step)} apart, as wide as the window) ` +
      `${s.resets === 0 ? "and not on RCV.NXT" : "on RCV.NXT"}, so the victim sends ${s.replies} segment${s.replies === 1 ? "" : "s"} (a challenge ACK) and ` +
      `${s.resets === 0 ? "stays ESTABLISHED" : "is reset"}. The other ${num(s.rsts - s.inWindow)} fall outside the window, and an unacceptable RST is ` +
      "dropped without a reply, unlike other unacceptable segments, which get an ACK (RFC 9293 §3.10.7.4, first check). The challenge ACK goes to the real " +
      "peer's address, so the attacker never sees it, and the real peer, still connected, takes it as a duplicate ACK. Under RFC 793 that one RST would have reset the connection.";
    return { correct: answer === s.replies, explanation };
  },
  solution: 1,
  hint: "Only RSTs inside the window get any answer at all. How many multiples of 65 535 can fall inside a window 65 535 wide?",
  misconceptions: [
    { answers: [65538, 65537], says: "An unacceptable segment normally draws an ACK, but a RST is the exception: answering RSTs from outside the window would let anyone make the victim send." },
    { answers: [0], says: "Being in the window but not at RCV.NXT is not the same as being outside it: such a RST is neither obeyed nor silently dropped." },
  ],
});

export const EXERCISES_03: readonly Exercise<never>[] = [ex1, ex2, ex3, ex4];
