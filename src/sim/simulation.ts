/**
 * One run's state, shared by the modules that carry it out: the scenario and profile, the
 * virtual clock and its agenda, the trace so far, the two endpoints and the link's
 * counters. It holds no behaviour; one object per run keeps a short run's setup cheap.
 */
import type { Profile } from "../fsm/profiles.js";
import type { TraceEvent } from "./trace.js";
import type { Scenario } from "./scenario.js";
import { EventQueue } from "./heap.js";
import { seededRandom } from "./prng.js";
import type { Random } from "./prng.js";
import { Endpoint } from "./endpoint.js";
import { waitingLists } from "./steps.js";
import { FLAG_BITS } from "./segment.js";
import { us } from "./clock.js";
import { SideRecords } from "./records.js";


/** One entry of `Simulation.journal`. `seg` indexes the trace's segment records. */
export type JournalEntry =
  | { readonly kind: "call"; readonly t: number; readonly endpoint: number; readonly call: string; readonly bytes: number;
    readonly linger0: boolean; refused: boolean }
  | { readonly kind: "arrive"; readonly t: number; readonly endpoint: number; readonly seg: number }
  | { readonly kind: "send"; readonly t: number; readonly endpoint: number; readonly seg: number };

/** Never written: a scenario without link rules shares it. */
const NO_RULES: number[] = [];

export class Simulation {
  readonly q = new EventQueue();
  readonly events: TraceEvent[] = [];
  readonly diagnostics: string[] = [];
  readonly eps: [Endpoint, Endpoint];
  /** The one seeded generator of the run: ISSs, then link impairments in sending order. */
  readonly rnd: Random;
  /** How many segments each link rule has matched so far (for `nth`). */
  readonly ruleHits: number[];
  /** Each rule's `flags` as a bit mask, or -1 when the rule names no flags. */
  readonly ruleFlags: number[];
  readonly delayUs: number;
  readonly reorderUs: number;
  readonly rtoInit: number;
  readonly rtoMax: number;
  /** Virtual time, integer microseconds. */
  now = 0;
  /** Segment records in the trace so far. */
  segments = 0;
  /**
   * While an arrival is being processed, that segment's index among the segment records
   * (what it causes is tagged with it: `causeSegment` in ./trace.ts); -1 otherwise.
   */
  arriving = -1;
  /**
   * What happened, in the order it was processed, when asked for (`logCalls`): user calls,
   * arrivals and sends. Exporting a run as a packetdrill script needs that order
   * (src/packetdrill/export.ts). Null, and free, otherwise.
   */
  journal: JournalEntry[] | null = null;
  /** One endpoint driven by a script (./scripted.ts): what it sends is recorded, never delivered. */
  scripted = false;
  /** The trace's side arrays: timer spans and the applications' calls (./records.ts). */
  readonly records = new SideRecords();
  /** While a RST in reply to a segment is sent: it advertises window 0. */
  replyRst = false;

  constructor(
    readonly sc: Scenario,
    readonly profile: Profile,
    readonly seed: number,
  ) {
    const rnd = seededRandom(seed);
    this.rnd = rnd;
    // The first two draws are the ISSs (see initialSequenceNumbers in prng.ts).
    const issC = Math.floor(rnd() * 4294967296) >>> 0;
    const issS = Math.floor(rnd() * 4294967296) >>> 0;
    this.rtoInit = us(profile.initialRto);
    this.rtoMax = us(profile.maxRto);
    const c = sc.endpoints.client, s = sc.endpoints.server;
    const waiting = waitingLists(sc);
    this.eps = [
      new Endpoint(0, "client", issC, c.delayedAck, c.autoRead, sc.steps.client, waiting[0], this.rtoInit, c.window),
      new Endpoint(1, "server", issS, s.delayedAck, s.autoRead, sc.steps.server, waiting[1], this.rtoInit, s.window),
    ];
    const rules = sc.link.rules;
    this.ruleHits = rules.length === 0 ? NO_RULES : rules.map(() => 0);
    this.ruleFlags = rules.length === 0 ? NO_RULES : rules.map((r) => r.flags === undefined ? -1 : r.flags.reduce((m, f) => m | FLAG_BITS[f], 0));
    this.delayUs = us(sc.link.delay);
    this.reorderUs = us(sc.link.reorderDelay);
  }
}
