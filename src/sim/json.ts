/**
 * The JSON form of a trace that `tcp-lifecycle simulate --format json` prints
 * (docs/simulate-json.md): one object, `t` in seconds, RFC state names.
 */
import type { TcpState } from "../fsm/states.js";
import type { AppCall, EndpointName, TimerSpan, Trace, TraceEvent } from "./trace.js";

/** Each trace event is printed with exactly the fields of its record (see ./trace.ts). */
export type SimulationJsonEvent = TraceEvent;

export interface SimulationJson {
  readonly name: string;
  readonly title?: string;
  readonly profile: string;
  readonly seed: number;
  readonly initial: Readonly<Record<EndpointName, TcpState>>;
  readonly trace: readonly SimulationJsonEvent[];
  readonly final: Readonly<Record<EndpointName, TcpState>>;
  /** Each side's ISS when the run started (simulator traces). */
  readonly isn?: Readonly<Record<EndpointName, number>>;
  /** The timers each side ran. */
  readonly timers?: readonly TimerSpan[];
  /** What each side's application called and got back. */
  readonly calls?: readonly AppCall[];
}

export function traceToJson(trace: Trace, title?: string): SimulationJson {
  return {
    name: trace.name,
    ...(title !== undefined ? { title } : {}),
    profile: trace.profile,
    seed: trace.seed,
    initial: trace.initial,
    trace: trace.events.map((e): SimulationJsonEvent => e.type === "segment"
      ? { t: e.t, type: "segment", from: e.from, to: e.to, flags: e.flags, seq: e.seq, ack: e.ack, len: e.len,
        ...(e.win !== undefined ? { win: e.win } : {}), dropped: e.dropped, arrives: e.arrives, retransmission: e.retransmission,
        ...(e.duplicate ? { duplicate: true } : {}), ...(e.causeSegment !== undefined ? { causeSegment: e.causeSegment } : {}),
        explanation: e.explanation }
      : { t: e.t, type: "state", endpoint: e.endpoint, from: e.from, to: e.to, cause: e.cause,
        ...(e.causeSegment !== undefined ? { causeSegment: e.causeSegment } : {}), ref: e.ref, explanation: e.explanation }),
    final: trace.final,
    ...(trace.isn !== undefined ? { isn: trace.isn } : {}),
    ...(trace.timers !== undefined ? { timers: trace.timers } : {}),
    ...(trace.calls !== undefined ? { calls: trace.calls } : {}),
  };
}
