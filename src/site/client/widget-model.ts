/**
 * What the live widget shows, computed from a trace with no DOM: the steps a reader walks
 * through, each side's state at each step, and the link rule that drops a chosen segment.
 * Step 0 is the start; step k (1..n) is "segment k-1 has arrived (or was lost)".
 */
import type { TcpState } from "../../fsm/states.js";
import type { EndpointName, SegmentRecord, StateChangeRecord, Trace } from "../../sim/trace.js";
import type { LinkRule, Scenario } from "../../sim/scenario.js";
import { ladderItems, TIME_EPSILON } from "../../render/ladder-events.js";
import type { LadderItem } from "../../render/ladder-events.js";

export interface WidgetStep {
  /** The segment this step shows, or null for the start. */
  readonly segment: number | null;
  /** The moment the step stands for: the segment's arrival, or its send time when lost. */
  readonly t: number;
  readonly states: Readonly<Record<EndpointName, TcpState>>;
  /** How many of the trace's state changes, in ladder order (`ladderItems`), the step has shown. */
  readonly changes: number;
  /** What happened at this step, for learners: the segment, then any state changes. */
  readonly explanation: readonly string[];
}

function round(t: number): string {
  return String(Math.round(t * 1000) / 1000);
}

export function segmentsOf(trace: Trace): SegmentRecord[] {
  return trace.events.filter((e): e is SegmentRecord => e.type === "segment");
}

function momentOf(seg: SegmentRecord): number {
  return seg.dropped || seg.arrives === null ? seg.t : Math.max(seg.arrives, seg.t);
}

function belongsTo(item: LadderItem, segment: number, t: number): boolean {
  if (item.kind === "send") return true;
  if (item.kind === "arrive") return false;
  const cause = item.change.causeSegment;
  return cause === undefined ? item.change.t <= t + TIME_EPSILON : cause === segment;
}

/**
 * Steps follow the ladder's order (`ladderItems`), not the clock: segments that arrive at one
 * instant are handled one at a time, and each state change comes right after the arrival that
 * caused it (`causeSegment`). Grouping by time would show, at "the ACK has arrived", what the
 * FIN arriving at the same instant does; a change with no cause (a timer, a user call) keeps
 * its place in time.
 */
export function widgetSteps(trace: Trace): WidgetStep[] {
  const items = ladderItems(trace);
  // Where each segment's step stands in `items`: its arrival, or its sending when it never arrives.
  const stepAt = new Map<number, number>();
  items.forEach((item, p) => {
    if (item.kind !== "state") stepAt.set(item.index, p);
  });
  const states = { ...trace.initial };
  const steps: WidgetStep[] = [{ segment: null, t: 0, states: { ...states }, changes: 0, explanation: ["Both sides before the first segment."] }];
  let shown = 0;
  let next = 0;
  const changesUpTo = (end: number): StateChangeRecord[] => {
    const found: StateChangeRecord[] = [];
    for (; next <= end && next < items.length; next++) {
      const item = items[next]!;
      if (item.kind === "state") found.push(item.change);
    }
    return found;
  };
  segmentsOf(trace).forEach((seg, i) => {
    const t = momentOf(seg);
    // The step goes on past the arrival through what it caused, and through what no segment
    // caused that happens at the same instant (the application closing on reading EOF).
    let end = stepAt.get(i) ?? -1;
    while (end + 1 < items.length && belongsTo(items[end + 1]!, i, t)) end++;
    const explanation = [seg.explanation];
    for (const c of changesUpTo(end)) {
      states[c.endpoint] = c.to;
      shown++;
      explanation.push(`${c.endpoint}: ${c.from} → ${c.to}. ${c.explanation}`);
    }
    steps.push({ segment: i, t, states: { ...states }, changes: shown, explanation });
  });
  // What the timers do after the last segment (TIME_WAIT ending after 2MSL) is told, not stepped to.
  const later = changesUpTo(items.length);
  const last = steps[steps.length - 1]!;
  if (later.length > 0) {
    steps[steps.length - 1] = {
      ...last,
      explanation: [...last.explanation, ...later.map((c) => `No more segments; at ${round(c.t)} s, ${c.endpoint}: ${c.from} → ${c.to}. ${c.explanation}`)],
    };
  }
  return steps;
}

const sameFlags = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

/**
 * A rule that drops segment `index` of `trace` when the same scenario runs again: same
 * sender, same control bits, with or without payload, first sending or retransmission, and
 * the n-th such segment. Everything before it happens identically in the new run, so the
 * n-th match is this segment.
 */
export function dropRuleFor(trace: Trace, index: number): LinkRule {
  const segments = segmentsOf(trace);
  const target = segments[index];
  if (target === undefined) throw new RangeError(`no segment ${index} in ${trace.name} (it has ${segments.length})`);
  const matches = (s: SegmentRecord): boolean =>
    s.from === target.from && sameFlags(s.flags, target.flags) && (s.len > 0) === (target.len > 0) && s.retransmission === target.retransmission;
  const nth = segments.slice(0, index + 1).filter(matches).length;
  return { action: "drop", from: target.from, flags: [...target.flags], data: target.len > 0, retransmission: target.retransmission, nth };
}

export function withRules(scenario: Scenario, rules: readonly LinkRule[]): Scenario {
  if (rules.length === 0) return scenario;
  return { ...scenario, link: { ...scenario.link, rules: [...scenario.link.rules, ...rules] } };
}
