/**
 * What the live widget shows, computed from a trace with no DOM: the steps a reader walks
 * through, each side's state at each step, and the link rule that drops a chosen segment.
 * Step 0 is the start; step k (1..n) is "segment k-1 has arrived (or was lost)".
 */
import type { TcpState } from "../../fsm/states.js";
import type { EndpointName, SegmentRecord, StateChangeRecord, Trace } from "../../sim/trace.js";
import type { LinkRule, Scenario } from "../../sim/scenario.js";

/** Virtual times within a nanosecond are one moment (see src/render/ladder-events.ts). */
const EPSILON = 1e-9;

export interface WidgetStep {
  /** The segment this step shows, or null for the start. */
  readonly segment: number | null;
  /** The moment the step stands for: the segment's arrival, or its send time when lost. */
  readonly t: number;
  readonly states: Readonly<Record<EndpointName, TcpState>>;
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

export function widgetSteps(trace: Trace): WidgetStep[] {
  const changes = trace.events.filter((e): e is StateChangeRecord => e.type === "state");
  const statesAt = (t: number): Record<EndpointName, TcpState> => {
    const states = { ...trace.initial };
    for (const c of changes) if (c.t <= t + EPSILON) states[c.endpoint] = c.to;
    return states;
  };
  const steps: WidgetStep[] = [{ segment: null, t: 0, states: { ...trace.initial }, explanation: ["Both sides before the first segment."] }];
  const segments = segmentsOf(trace);
  segments.forEach((seg, i) => {
    const t = momentOf(seg);
    const previous = segments[i - 1];
    const since = previous === undefined ? -Infinity : momentOf(previous);
    const explanation = [seg.explanation];
    for (const c of changes) {
      if (c.t > since + EPSILON && c.t <= t + EPSILON) explanation.push(`${c.endpoint}: ${c.from} → ${c.to}. ${c.explanation}`);
    }
    steps.push({ segment: i, t, states: statesAt(t), explanation });
  });
  // What the timers do after the last segment (TIME_WAIT ending after 2MSL) is told, not stepped to.
  const last = steps[steps.length - 1]!;
  const later = changes.filter((c) => c.t > last.t + EPSILON);
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
