/**
 * One simulated endpoint driven from outside: the system under test of a packetdrill script
 * (src/packetdrill/run.ts) and of the conformance checks. The script plays the remote peer:
 * it injects segments (`inject`), makes the endpoint's system calls (`call`) and reads what
 * the endpoint sent (`takeSent`). Time moves only when told (`advanceTo`), so timers,
 * retransmissions and delayed ACKs fire at their virtual times in between.
 *
 * It is the same engine as a two-endpoint run (./engine.ts `dispatch`): the peer endpoint
 * exists only to name the other side of the trace, and nothing is delivered to it. Segments
 * cross no link (delay 0): an injected segment arrives at once, a sent one is seen at once.
 */
import { profileWith, type Profile, type ProfileName } from "../fsm/profiles.js";
import type { TcpState } from "../fsm/states.js";
import type { Outcome } from "../fsm/table.js";
import type { EndpointName, Flag, SegmentRecord, Trace } from "./trace.js";
import { validateScenario, DEFAULT_WINDOW, type Scenario } from "./scenario.js";
import { Simulation } from "./simulation.js";
import type { Endpoint } from "./endpoint.js";
import { dispatch } from "./engine.js";
import { SimEvent } from "./heap.js";
import { K_ARRIVE, us } from "./clock.js";
import { FLAG_ARRAYS, FLAG_BITS, add, span } from "./segment.js";
import { arrivalPosition, judge } from "./judge.js";
import { EVENTS, type TcpEvent } from "../fsm/events.js";
import type { SeqPosition } from "../fsm/checks.js";
import { userCall, type UserCall } from "./application.js";
import { F_PASSIVE } from "./decisions.js";

export interface ScriptedOptions {
  readonly profile?: ProfileName;
  /** RFC 5961 on or off (default: the profile's). */
  readonly rfc5961?: boolean;
  /** Which side of the trace the endpoint under test is (default "server"). */
  readonly role?: EndpointName;
  /** RCV.WND of the endpoint under test (default 65535). */
  readonly window?: number;
  /** Seeds the endpoint's ISS (default 1). */
  readonly seed?: number;
  /** A name for the trace. */
  readonly name?: string;
  /** Delayed ACK on (the profile's delay), as a scenario endpoint's `delayedAck`. */
  readonly delayedAck?: boolean;
}

/** How an injected segment was judged: the state it met, where it fell, the rule and the table events. */
export interface ArrivalJudgement {
  readonly state: TcpState;
  readonly position: SeqPosition | null;
  readonly rule: string;
  readonly events: readonly TcpEvent[];
  /** The state after it, and the control bits of what the endpoint sent in reply (`SYN,ACK`, `RST` …). */
  readonly next: TcpState;
  readonly replies: readonly string[];
}

/** A segment the script injects, with absolute sequence numbers. */
export interface InjectedSegment {
  readonly flags: readonly Flag[];
  readonly seq: number;
  readonly ack: number;
  readonly len: number;
  readonly win?: number;
}

export class ScriptedEndpoint {
  readonly sim: Simulation;
  readonly ep: Endpoint;
  readonly profile: Profile;
  private readonly peer: Endpoint;
  private sentUpTo = 0;

  constructor(opts: ScriptedOptions = {}) {
    const role = opts.role ?? "server";
    const v = validateScenario({
      name: opts.name ?? "script",
      profile: opts.profile ?? "linux",
      seed: opts.seed ?? 1,
      link: { delay: 0 },
      endpoints: { [role]: { window: opts.window ?? DEFAULT_WINDOW, autoRead: false, delayedAck: opts.delayedAck ?? false } },
      steps: {},
    });
    // The document above is ours and valid; a failure is a bug.
    if (!v.ok) throw new Error(`scripted endpoint: ${v.errors.map((e) => e.message).join("; ")}`);
    const sc: Scenario = v.scenario;
    this.profile = profileWith(sc.profile, opts.rfc5961 === undefined ? {} : { rfc5961: opts.rfc5961 });
    this.sim = new Simulation(sc, this.profile, sc.seed);
    this.sim.scripted = true;
    const i = role === "client" ? 0 : 1;
    this.ep = this.sim.eps[i]!;
    this.peer = this.sim.eps[1 - i]!;
  }

  get state(): TcpState {
    return this.ep.state;
  }

  /** Virtual time, seconds. */
  get now(): number {
    return this.sim.now / 1e6;
  }

  /** Run every timer and pending event up to `seconds` (inclusive), then set the clock there. */
  advanceTo(seconds: number): void {
    const target = us(seconds);
    const q = this.sim.q;
    for (;;) {
      const ev = q.peek();
      if (ev === undefined || ev.t > target) break;
      q.pop();
      dispatch(this.sim, ev);
    }
    if (target > this.sim.now) this.sim.now = target;
  }

  /**
   * Run agenda events one at a time up to `seconds` until the endpoint sends a segment; the
   * clock stops at that segment (true) or at `seconds` (false).
   */
  advanceUntilSent(seconds: number): boolean {
    const target = us(seconds);
    const q = this.sim.q;
    const before = this.sim.segments;
    for (;;) {
      if (this.sim.segments !== before) return true;
      const ev = q.peek();
      if (ev === undefined || ev.t > target) break;
      q.pop();
      dispatch(this.sim, ev);
    }
    if (target > this.sim.now) this.sim.now = target;
    return this.sim.segments !== before;
  }

  /** The time of the next pending agenda event, seconds, or undefined. */
  nextEventTime(): number | undefined {
    const ev = this.sim.q.peek();
    return ev === undefined ? undefined : ev.t / 1e6;
  }

  /** The endpoint's user call, now. */
  call(call: UserCall, bytes = 0, linger0 = false): Outcome {
    return userCall(this.sim, this.ep, call, bytes, linger0);
  }

  /** The peer's segment arrives now; returns how the checks judged it (src/fsm/checks.ts). */
  inject(s: InjectedSegment): ArrivalJudgement {
    const sim = this.sim;
    const flags = s.flags.reduce((m, f) => m | FLAG_BITS[f], 0);
    const segLen = span(flags, s.len);
    const j = judge(this.profile, this.ep, flags, s.seq >>> 0, s.ack >>> 0, s.len, segLen);
    const state = this.ep.state, position = arrivalPosition(this.ep, s.seq >>> 0, segLen);
    const t = sim.now / 1e6;
    const rec: SegmentRecord = {
      type: "segment", t, from: this.peer.name, to: this.ep.name, flags: FLAG_ARRAYS[flags]!, seq: s.seq >>> 0,
      ack: s.ack >>> 0, len: s.len, win: s.win ?? DEFAULT_WINDOW, dropped: false, arrives: t, retransmission: false,
      explanation: "Injected by the script (the remote peer).",
    };
    sim.events.push(rec);
    sim.segments++;
    const index = sim.segments - 1;
    dispatch(sim, new SimEvent(sim.now, -1, K_ARRIVE, this.ep.id, flags, rec.seq, rec.ack, s.len, index));
    const replies: string[] = [];
    for (const e of sim.events) if (e.type === "segment" && e.causeSegment === index) replies.push(e.flags.join(","));
    return { state, position, rule: j.rule.id, events: j.events.map((e) => EVENTS[e]!), next: this.ep.state, replies };
  }

  /** Segments the endpoint sent since the last call, in order. */
  takeSent(): SegmentRecord[] {
    const out: SegmentRecord[] = [];
    const events = this.sim.events;
    for (let i = this.sentUpTo; i < events.length; i++) {
      const e = events[i]!;
      if (e.type === "segment" && e.from === this.ep.name) out.push(e);
    }
    this.sentUpTo = events.length;
    return out;
  }

  /** The endpoint's ISS and the peer's ISN as it knows it (for relative numbers). */
  get iss(): number {
    return this.ep.iss;
  }

  /** Bytes received and not yet read; end of file once the peer's FIN is in. */
  get unread(): number {
    return this.ep.unread;
  }
  get eof(): boolean {
    return this.ep.finRcvd;
  }

  /** The application read `n` bytes (at most what is there); returns how many. */
  read(n: number): number {
    const got = Math.min(n, this.ep.unread);
    this.ep.unread -= got;
    if (this.ep.unread === 0) userCall(this.sim, this.ep, "read");
    return got;
  }

  /** The listener's socket was closed after accept(): a later SYN on a TIME_WAIT finds no listener. */
  dropListener(): void {
    this.ep.fl &= ~F_PASSIVE;
  }

  setWindow(bytes: number): void {
    this.ep.rcvWnd = Math.max(1, Math.min(65535, Math.floor(bytes)));
  }

  /** The trace so far. */
  trace(): Trace {
    const [c, s] = this.sim.eps;
    return {
      name: this.sim.sc.name,
      profile: this.profile.name,
      seed: this.sim.seed,
      events: this.sim.events,
      final: { client: c.state, server: s.state },
      initial: { client: "CLOSED", server: "CLOSED" },
    };
  }
}

/** Relative → absolute sequence number. */
export const absolute = (base: number, rel: number): number => add(base, rel);
