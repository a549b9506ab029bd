/**
 * Exercise checkers. Each compares a learner's answer with what the library itself
 * computes — the transition table, a simulator trace, the profiles — so an exercise can
 * never disagree with the diagrams it sits next to.
 */
import { decide, type EndpointFlags } from "../fsm/machine.js";
import { EVENT_LABELS, type TcpEvent } from "../fsm/events.js";
import { PROFILES, type ProfileName } from "../fsm/profiles.js";
import { STATES, isTcpState, type TcpState } from "../fsm/states.js";
import type { EndpointName, Flag, SegmentRecord, Trace } from "../sim/trace.js";
import { ladderNumbers, type RelativeNumbers } from "../render/ladder-events.js";
import { right, wrong, type Verdict } from "./verdict.js";

/**
 * Sequence numbers as the learner reads them on the ladders: relative to each side's ISN
 * unless `absolute` (as tcpdump -S). Answers are compared in the same numbering.
 */
export interface NumberingOptions {
  readonly absolute?: boolean;
}

function normaliseState(answer: string): string {
  return answer.trim().toUpperCase().replace(/[-\s]+/g, "_").replace(/^SYN_RECV(EIVED)?$/, "SYN_RCVD");
}

/** "Predict the next state": what does `state` become on `event`? */
export function checkNextState(
  state: TcpState,
  event: TcpEvent,
  answer: string,
  opts: { profile?: ProfileName; flags?: EndpointFlags } = {},
): Verdict {
  const guess = normaliseState(answer);
  if (!isTcpState(guess)) {
    return wrong(`"${answer}" is not a TCP state; the states are ${STATES.join(", ")}.`);
  }
  const { outcome } = decide(state, event, opts.profile ?? "rfc9293", opts.flags ?? {});
  return explainNext(state, event, guess, outcome);
}

function explainNext(
  state: TcpState,
  event: TcpEvent,
  guess: TcpState,
  outcome: ReturnType<typeof decide>["outcome"],
): Verdict {
  const on = `${state} on ${EVENT_LABELS[event]}`;
  if (outcome.kind !== "transition") {
    const why = `${on} is ${outcome.kind === "ignored" ? "ignored" : "refused"} (${outcome.reason}; ${outcome.ref}), so the state stays ${state}.`;
    return guess === state ? right(why) : wrong(why);
  }
  const sent = outcome.send.length ? ` and sends ${outcome.send.join(" + ")}` : "";
  const why = `${on} goes to ${outcome.next}${sent} (${outcome.ref}). ${outcome.note}`;
  return guess === outcome.next ? right(why) : wrong(`you said ${guess}, but ${why}`);
}

/** The n-th segment (1-based) of a trace, counting every segment sent, lost ones included. */
export function nthSegment(trace: Trace, n: number): SegmentRecord | undefined {
  let i = 0;
  for (const e of trace.events) {
    if (e.type === "segment" && ++i === n) return e;
  }
  return undefined;
}

export interface SegmentAnswer {
  readonly seq?: number;
  readonly ack?: number;
  readonly flags?: readonly Flag[] | string;
}

function flagSet(flags: readonly Flag[] | string): string {
  const list = typeof flags === "string" ? flags.toUpperCase().split(/[^A-Z]+/).filter(Boolean) : [...flags];
  return [...new Set(list)].sort().join("+");
}

/** "What are seq and ack of the third segment?" Checks only the fields the learner gave. */
export function checkSegment(trace: Trace, n: number, answer: SegmentAnswer, opts: NumberingOptions = {}): Verdict {
  const seg = nthSegment(trace, n);
  if (!seg) return wrong(`the trace "${trace.name}" has fewer than ${n} segments.`);
  const { seq, ack } = ladderNumbers(trace, opts.absolute).of(seg);
  const numbering = opts.absolute === true ? "" : " (relative to each side's ISN)";
  const actual = `segment ${n} goes ${seg.from} → ${seg.to} with [${seg.flags.join(", ")}] seq=${seq} ack=${ack} len=${seg.len}${numbering}`;
  const problems: string[] = [];
  if (answer.seq !== undefined && answer.seq !== seq) {
    problems.push(`seq is ${seq}, not ${answer.seq}: it is the sender's next unsent sequence number`);
  }
  if (answer.ack !== undefined && answer.ack !== ack) {
    problems.push(`ack is ${ack}, not ${answer.ack}: it is the next sequence number the sender expects, and a FIN counts as one`);
  }
  if (answer.flags !== undefined && flagSet(answer.flags) !== flagSet(seg.flags)) {
    problems.push(`the flags are ${seg.flags.join("+")}, not ${flagSet(answer.flags)}`);
  }
  return problems.length ? wrong(`${problems.join("; ")}. (${actual}.)`) : right(`${actual}.`);
}

/** "How many segments does this close take?" Counts segments sent from `from` on (all if omitted). */
export function checkSegmentCount(trace: Trace, answer: number, opts: { afterState?: { endpoint: EndpointName; state: TcpState } } = {}): Verdict {
  let counting = opts.afterState === undefined;
  let count = 0;
  for (const e of trace.events) {
    if (!counting && e.type === "state" && e.endpoint === opts.afterState?.endpoint && e.from === opts.afterState.state) {
      counting = true;
    }
    if (counting && e.type === "segment" && !e.dropped) count++;
  }
  const scope = opts.afterState ? ` once the ${opts.afterState.endpoint} leaves ${opts.afterState.state}` : "";
  const why = `"${trace.name}" delivers ${count} segment${count === 1 ? "" : "s"}${scope}.`;
  return answer === count ? right(why) : wrong(`you said ${answer}, but ${why}`);
}

/** "Which endpoint(s) end up in TIME_WAIT?" — the active closer does, and both do in a simultaneous close. */
export function checkTimeWaitSide(trace: Trace, answer: readonly EndpointName[] | EndpointName | "none"): Verdict {
  const sides = new Set<EndpointName>();
  for (const e of trace.events) if (e.type === "state" && e.to === "TIME_WAIT") sides.add(e.endpoint);
  const expected = [...sides].sort();
  const given = (answer === "none" ? [] : typeof answer === "string" ? [answer] : [...answer]).slice().sort();
  const said = expected.length ? expected.join(" and ") : "no endpoint";
  const why = `in "${trace.name}" ${said} entered TIME_WAIT: whichever side sends the first FIN (the active closer) waits there.`;
  return given.join() === expected.join() ? right(why) : wrong(why);
}

/**
 * Little's law: in steady state the number of sockets in TIME_WAIT is the rate at which
 * connections close times how long each stays there.
 */
export function checkTimeWaitPopulation(
  ratePerSecond: number,
  profile: ProfileName,
  answer: number,
  tolerance = 0.05,
): Verdict {
  const seconds = PROFILES[profile].timeWait;
  const expected = ratePerSecond * seconds;
  const why = `L = λ × W = ${ratePerSecond}/s × ${seconds} s = ${expected} sockets in TIME_WAIT under the ${profile} profile.`;
  return Math.abs(answer - expected) <= tolerance * expected ? right(why) : wrong(`you said ${answer}; ${why}`);
}

/** When do ephemeral ports run out, if every client-closed connection holds its port for TIME_WAIT? */
export function checkPortExhaustion(
  ratePerSecond: number,
  portRange: readonly [number, number],
  profile: ProfileName,
  answer: number | null,
  tolerance = 0.05,
): Verdict {
  const ports = portRange[1] - portRange[0] + 1;
  const seconds = PROFILES[profile].timeWait;
  const held = ratePerSecond * seconds;
  if (held < ports) {
    const why = `${ratePerSecond}/s × ${seconds} s = ${held} ports held at once, fewer than the ${ports} in the range, so they never run out.`;
    return answer === null ? right(why) : wrong(why);
  }
  const at = ports / ratePerSecond;
  const why = `the ${ports} ports are used up after ${ports} / ${ratePerSecond}/s = ${at.toFixed(1)} s, before the first TIME_WAIT (${seconds} s) ends.`;
  return answer !== null && Math.abs(answer - at) <= tolerance * at ? right(why) : wrong(why);
}

/** The segments that carry a FIN for the first time: retransmissions and link duplicates are the same FIN again. */
function firstFins(trace: Trace): SegmentRecord[] {
  return trace.events.filter((e): e is SegmentRecord =>
    e.type === "segment" && e.flags.includes("FIN") && !e.retransmission && e.duplicate !== true);
}

/** "How many segments carry the FIN flag?": counted in a trace, each FIN once however often it was resent. */
export function checkFinCount(trace: Trace, answer: number, opts: NumberingOptions = {}): Verdict {
  const fins = firstFins(trace);
  const numbers: RelativeNumbers = ladderNumbers(trace, opts.absolute);
  const whose = fins.map((s) => `the ${s.from}'s (seq=${numbers.of(s).seq})`).join(" and ");
  const count = `${fins.length} segment${fins.length === 1 ? "" : "s"} carr${fins.length === 1 ? "ies" : "y"} a FIN`;
  const why = fins.length === 0
    ? `in "${trace.name}" no segment carries a FIN: the connection did not close with FINs.`
    : `in "${trace.name}" ${count}: ${whose}. TCP is full duplex, and a FIN closes only its sender's direction (RFC 9293 §3.6), so each side sends its own, and each FIN is ACKed.`;
  return answer === fins.length ? right(why) : wrong(`you said ${answer}, but ${why}`);
}

export const DIRECTIONS = ["client-to-server", "server-to-client", "both", "neither"] as const;
export type Direction = (typeof DIRECTIONS)[number];

function normaliseDirection(answer: string): string {
  return answer.trim().toLowerCase().replace(/\s*(→|->|to)\s*/g, "-to-").replace(/[\s_]+/g, "-").replace(/-+/g, "-");
}

const directionOf = (from: EndpointName): Direction => (from === "client" ? "client-to-server" : "server-to-client");

/**
 * "Once the first FIN is acknowledged, which direction is closed?": the directions whose
 * sender had sent a FIN by the time the peer's ACK of that first FIN went out (RFC 9293 §3.6:
 * a FIN means "no more data from the sender"). Data the other side sent afterwards shows its
 * direction was still open.
 */
export function checkClosedDirection(trace: Trace, answer: string, opts: NumberingOptions = {}): Verdict {
  const guess = normaliseDirection(answer);
  if (!(DIRECTIONS as readonly string[]).includes(guess)) {
    return wrong(`"${answer}" is not a direction; answer one of ${DIRECTIONS.map((d) => `"${d}"`).join(", ")}.`);
  }
  const fins = firstFins(trace);
  const fin = fins[0];
  if (!fin) {
    const why = `the trace "${trace.name}" has no FIN, so no direction was closed by one.`;
    return guess === "neither" ? right(why) : wrong(why);
  }
  const finEnd = fin.seq + fin.len + 1;
  const ackOf = trace.events.find((e): e is SegmentRecord =>
    e.type === "segment" && e.from === fin.to && !e.dropped && e.flags.includes("ACK") && e.ack >= finEnd);
  if (!ackOf) return wrong(`in "${trace.name}" the ${fin.from}'s FIN is never acknowledged.`);
  const closers = new Set(fins.filter((s) => s.t <= ackOf.t).map((s) => s.from));
  const expected: Direction = closers.size === 2 ? "both" : directionOf(fin.from);
  const at = `when the ${ackOf.from} acknowledged the ${fin.from}'s FIN (ack=${ladderNumbers(trace, opts.absolute).of(ackOf).ack}, t=${ackOf.t.toFixed(3)} s)`;
  let why: string;
  if (expected === "both") {
    const how = ackOf.flags.includes("FIN") ? `the ACK rode on the ${ackOf.from}'s own FIN` : `the ${ackOf.from} had already sent its own FIN`;
    why = `${at}, both sides had sent a FIN, so both directions were closed: ${how}.`;
  } else {
    const peerFin = fins.find((s) => s.from === fin.to);
    const later = trace.events.filter((e): e is SegmentRecord =>
      e.type === "segment" && e.from === fin.to && e.t >= ackOf.t && e.len > 0 && !e.retransmission && (peerFin === undefined || e.t < peerFin.t));
    const bytes = later.reduce((n, s) => n + s.len, 0);
    const sent = bytes > 0 ? `: here the ${fin.to} sent ${bytes} more byte${bytes === 1 ? "" : "s"} before its own FIN` : "";
    why = `${at}, only the ${fin.from} had sent a FIN. A FIN closes only its sender's direction, so ${expected} is closed: the ${fin.from} can no longer send, but the ${fin.to} still can and the ${fin.from} still receives${sent}.`;
  }
  return guess === expected ? right(why) : wrong(`you said ${guess}, but ${why}`);
}

/** A multiple-choice question whose right answer and reason are given by the chapter. */
export function checkChoice<T extends string | number | boolean>(answer: T, expected: T, why: string): Verdict {
  return answer === expected ? right(why) : wrong(`you said ${String(answer)}. ${why}`);
}

/**
 * "What did the kernel show?": the state one end was observed in after step `step` (0-based)
 * of a live socket demo (src/demos). Takes the result's shape, not the module, so the
 * checkers stay in the pure core.
 */
export function checkObservedState(
  result: { readonly steps: readonly { readonly step: string; readonly observed: Readonly<Record<EndpointName, TcpState>> }[] },
  step: number,
  side: EndpointName,
  answer: string,
): Verdict {
  const s = result.steps[step];
  if (!s) return wrong(`the demo has ${result.steps.length} steps (0 to ${result.steps.length - 1}); there is no step ${step}.`);
  const guess = normaliseState(answer);
  if (!isTcpState(guess)) return wrong(`"${answer}" is not a TCP state; the states are ${STATES.join(", ")}.`);
  const why = `after "${s.step}", the kernel showed the ${side} in ${s.observed[side]}.`;
  return guess === s.observed[side] ? right(why) : wrong(`you said ${guess}, but ${why}`);
}
