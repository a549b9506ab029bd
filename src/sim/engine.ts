/**
 * The simulator's engine: two endpoints, a link and a virtual clock.
 *
 * The engine never decides a state change itself. It classifies every input into a table
 * event (§3.10: user calls, segment arrivals, timeouts), asks `decide()` from src/fsm for
 * the outcome, and carries the outcome out: the state change and the `send` list. What it
 * does own is the bookkeeping the table abstracts away — sequence numbers (§3.3.1), the
 * acceptability test (§3.10.7.4 "first"), the ACK field (§3.10.7.4 "fifth"), the
 * retransmission queue and timers (RFC 6298), delayed ACK (RFC 1122 §4.2.3.2) and the link.
 *
 * This file is the event loop: it pops the agenda in time order and hands each event to
 * the module that owns it — arrivals (./arrivals.ts), timer expiries (./timeouts.ts),
 * application steps (./application.ts) — then returns the recorded trace. One run's state
 * is a `Simulation` (./simulation.ts); a table outcome is carried out by ./transitions.ts,
 * its segments built by ./sending.ts and delivered (or not) by ./link.ts.
 *
 * Hot path: events are small objects in a binary heap; times are integer microseconds;
 * decisions are memoised per (state, event, endpoint flags) for each profile; segment
 * explanations are constant sentences picked by code; flag arrays are shared constants.
 * Pure core: no Node imports.
 */
import { profileWith } from "../fsm/profiles.js";
import type { ProfileName } from "../fsm/profiles.js";
import type { TcpState } from "../fsm/states.js";
import type { EndpointName, Trace } from "./trace.js";
import type { Scenario } from "./scenario.js";
import type { Endpoint } from "./endpoint.js";
import { Simulation, type JournalEntry } from "./simulation.js";
import type { SimEvent } from "./heap.js";
import { K_ARRIVE, K_DELACK, K_FIN_WAIT_2, K_RTX, K_STEP, K_TIME_WAIT, us } from "./clock.js";
import { F_PASSIVE, SI } from "./decisions.js";
import { add } from "./segment.js";
import { TRIGGER_INDEX, scheduleTimedSteps, trigger } from "./steps.js";
import { isLive } from "./timers.js";
import { receive } from "./arrivals.js";
import { onDelayedAckTimeout, onFinWait2Timeout, onRetransmitTimeout, onTimeWaitTimeout } from "./timeouts.js";
import { runStep } from "./application.js";


export interface SimulationOptions {
  /** Overrides the scenario's profile. */
  readonly profile?: ProfileName;
  /** Overrides the scenario's RFC 5961 switch. */
  readonly rfc5961?: boolean;
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Safety net against runaway scenarios; default 5,000,000 processed events. */
  readonly maxEvents?: number;
  /** Keep a journal (`SimulationResult.journal`), for exporting the run as a script. */
  readonly logCalls?: boolean;
}

export interface SimulationResult {
  readonly trace: Trace;
  /** User calls the table refused, and why the run stopped early, if it did. */
  readonly diagnostics: readonly string[];
  /** True when the run ended because nothing was left to happen (no live timer, no segment in flight). */
  readonly quiescent: boolean;
  /** Virtual time of the last processed event, seconds. */
  readonly endTime: number;
  /** Number of segment records in the trace (lost and duplicated copies included). */
  readonly segments: number;
  /** With `logCalls`: user calls, arrivals and sends in the order they were processed. */
  readonly journal?: readonly JournalEntry[];
}

const START_CLOSED: Readonly<Record<EndpointName, TcpState>> = Object.freeze({ client: "CLOSED", server: "CLOSED" });
const START_ESTABLISHED: Readonly<Record<EndpointName, TcpState>> = Object.freeze({ client: "ESTABLISHED", server: "ESTABLISHED" });

function run(sim: Simulation, maxEvents: number): SimulationResult {
  const [c, s] = sim.eps;
  // The ISSs before anything runs (a reopened connection draws a new one later).
  const isn = { client: c.iss, server: s.iss };
  if (sim.sc.start === "established") preEstablish(sim, c, s);
  scheduleTimedSteps(sim);
  if (sim.sc.start === "established") for (const ep of sim.eps) trigger(sim, ep, TRIGGER_INDEX.established);
  const untilUs = us(sim.sc.until);
  let processed = 0;
  let stoppedEarly = false;
  for (;;) {
    const ev = sim.q.pop();
    if (ev === undefined) break;
    if (ev.t > untilUs || processed >= maxEvents) {
      if (isLive(sim, ev) || anyLive(sim)) {
        stoppedEarly = true;
        sim.diagnostics.push(
          processed >= maxEvents
            ? `stopped after ${maxEvents} events at t=${sim.now / 1e6}s`
            : `stopped at the time limit (until = ${sim.sc.until}s) with events still pending`,
        );
      }
      break;
    }
    if (dispatch(sim, ev)) processed++;
  }
  const trace: Trace = {
    name: sim.sc.name,
    profile: sim.profile.name,
    seed: sim.seed,
    events: sim.events,
    final: { client: c.state, server: s.state },
    initial: sim.sc.start === "established" ? START_ESTABLISHED : START_CLOSED,
    isn,
    timers: sim.records.spans(),
    calls: sim.records.calls,
  };
  return {
    trace, diagnostics: sim.diagnostics, quiescent: !stoppedEarly, endTime: sim.now / 1e6, segments: sim.segments,
    ...(sim.journal !== null ? { journal: sim.journal } : {}),
  };
}

/**
 * Carry out one agenda event; false when it was a cancelled timer (left in the heap and
 * skipped here, cheaper than removing it). Shared with the scripted endpoint (./scripted.ts).
 */
export function dispatch(sim: Simulation, ev: SimEvent): boolean {
  if (ev.kind !== K_ARRIVE && ev.kind !== K_STEP && !isLive(sim, ev)) return false;
  sim.now = ev.t;
  const ep = sim.eps[ev.ep]!;
  switch (ev.kind) {
    case K_ARRIVE:
      sim.journal?.push({ kind: "arrive", t: ev.t / 1e6, endpoint: ev.ep, seg: ev.seg });
      sim.arriving = ev.seg;
      receive(sim, ep, ev);
      sim.arriving = -1;
      break;
    case K_RTX: onRetransmitTimeout(sim, ep, ev.a); break;
    case K_TIME_WAIT: onTimeWaitTimeout(sim, ep, ev.a); break;
    case K_FIN_WAIT_2: onFinWait2Timeout(sim, ep, ev.a); break;
    case K_DELACK: onDelayedAckTimeout(sim, ep, ev.a); break;
    case K_STEP: runStep(sim, ep, ev.a); break;
  }
  return true;
}

/** Drains the agenda: is any segment still in flight or any timer still running? */
function anyLive(sim: Simulation): boolean {
  for (let ev = sim.q.pop(); ev !== undefined; ev = sim.q.pop()) if (isLive(sim, ev)) return true;
  return false;
}

/** `start: "established"`: both sides as if the handshake had just completed. */
function preEstablish(sim: Simulation, c: Endpoint, s: Endpoint): void {
  for (const ep of sim.eps) {
    ep.state = "ESTABLISHED";
    ep.si = SI.ESTABLISHED;
    ep.synSent = true;
    ep.sndUna = ep.sndNxt = add(ep.iss, 1);
    ep.rcvNxt = add((ep === c ? s : c).iss, 1);
    ep.haveRcv = true;
  }
  s.fl |= F_PASSIVE;
}

/** Run a validated scenario. Deterministic: the same scenario, profile and seed give the same trace. */
export function runScenario(scenario: Scenario, opts: SimulationOptions = {}): SimulationResult {
  const rfc5961 = opts.rfc5961 ?? scenario.rfc5961;
  const profile = profileWith(opts.profile ?? scenario.profile, rfc5961 === undefined ? {} : { rfc5961 });
  const seed = (opts.seed ?? scenario.seed) >>> 0;
  const sim = new Simulation(scenario, profile, seed);
  if (opts.logCalls) sim.journal = [];
  return run(sim, opts.maxEvents ?? 5_000_000);
}
