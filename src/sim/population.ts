/**
 * Population mode: N short connections arriving at R per second, each going through the
 * RFC 9293 states on both sides, counted per state once a simulated second.
 *
 * Memory is bounded by the connections alive at once, not by N: arrivals are generated one
 * at a time, and a live connection is two numbers (its connect() time and its port) in a
 * ring. Every connection follows the same lifecycle plan (src/sim/population/plan.ts), so
 * connections reach step k in arrival order and each step is a cursor into the ring: the
 * next event is the earliest of about ten cursor heads, with no heap and no per-timer
 * allocation. Only `perSecond` grows, with simulated seconds.
 *
 * Pure core: no Node imports.
 */
import { STATES } from "../fsm/states.js";
import type { TcpState } from "../fsm/states.js";
import { PROFILES, isProfileName } from "../fsm/profiles.js";
import type { Profile, ProfileName } from "../fsm/profiles.js";
import type { EndpointName } from "./trace.js";
import { planPopulationLifecycle } from "./population/plan.js";
import type { PopulationLifecycle, PopulationLifecycleStep } from "./population/plan.js";
import { PortPool } from "./population/ports.js";
import { ARRIVAL_PROCESSES, arrivalClock } from "./population/arrivals.js";
import type { ArrivalProcess } from "./population/arrivals.js";

export type { PopulationLifecycle, PopulationLifecycleStep } from "./population/plan.js";
export { planPopulationLifecycle } from "./population/plan.js";
export type { ArrivalProcess } from "./population/arrivals.js";
export { ARRIVAL_PROCESSES } from "./population/arrivals.js";

/** Linux's default net.ipv4.ip_local_port_range. */
export const DEFAULT_PORT_RANGE: readonly [number, number] = [32768, 60999];

export const POPULATION_DEFAULTS = {
  closer: "client" as EndpointName,
  profile: "linux" as ProfileName,
  portRange: DEFAULT_PORT_RANGE,
  /** 10 ms: a client and server in the same region. */
  rtt: 0.01,
  /** 1 s: a short request/response exchange. */
  holdTime: 1,
  /** 0 s: the passive side closes as soon as it reads EOF (its FIN rides on the ACK). */
  closeDelay: 0,
  arrivals: "uniform" as ArrivalProcess,
  seed: 1,
} as const;

/** No run may produce more per-second rows than this (23 days; about 750 MB of samples). */
export const MAX_SIMULATED_SECONDS = 2_000_000;
/**
 * No run may have more connections than this: the work is about ten steps per connection,
 * so this bounds the wall-clock time (10 million take about a second) as MAX_SIMULATED_SECONDS
 * bounds the samples. docs/limits.md.
 */
export const MAX_CONNECTIONS = 10_000_000;
/** The longest RTT, hold time or close delay, seconds (one day), so that a lifecycle always fits in a run. */
export const MAX_TIMING_SECONDS = 86_400;
/** Seeds are 32-bit, as in `simulate`. */
export const MAX_SEED = 0xffffffff;

export interface PopulationOptions {
  /** Connections per second, > 0. */
  readonly rate: number;
  /** Number of connections, an integer >= 0. */
  readonly count: number;
  /** Which side calls close() first (the active closer, which ends in TIME_WAIT). Default client. */
  readonly closer?: EndpointName;
  /** Timer lengths (TIME_WAIT, FIN_WAIT_2 orphan timeout, delayed ACK). Default linux. */
  readonly profile?: ProfileName | Profile;
  /** The client's ephemeral port range, inclusive. Default 32768–60999. */
  readonly portRange?: readonly [number, number];
  /** Round-trip time, seconds. Default 0.01. */
  readonly rtt?: number;
  /** Seconds the closer stays ESTABLISHED before close(). Default 1. */
  readonly holdTime?: number;
  /** Seconds the passive application takes to close() after EOF; Infinity = never (a close-wait leak). Default 0. */
  readonly closeDelay?: number;
  /** Evenly spaced (default) or Poisson arrivals. */
  readonly arrivals?: ArrivalProcess;
  /** Seed for Poisson arrivals. Default 1. */
  readonly seed?: number;
}

export interface ResolvedPopulationOptions {
  readonly rate: number;
  readonly count: number;
  readonly closer: EndpointName;
  readonly profile: ProfileName;
  readonly portRange: readonly [number, number];
  readonly rtt: number;
  readonly holdTime: number;
  /** null when the passive side never closes. */
  readonly closeDelay: number | null;
  readonly arrivals: ArrivalProcess;
  readonly seed: number;
}

/** Socket counts by state; only the states this run's lifecycle can reach are present. */
export type PopulationCounts = Partial<Record<TcpState, number>>;

export interface PopulationSample {
  /** Simulated seconds since the first connect(). */
  readonly t: number;
  /** Both sides together: what `ss -tan` shows on a host that holds both ends (loopback). */
  readonly counts: PopulationCounts;
  readonly client: PopulationCounts;
  readonly server: PopulationCounts;
}

export interface PopulationSummary {
  readonly options: ResolvedPopulationOptions;
  /** The highest simultaneous count of each state, both sides together. */
  readonly peak: PopulationCounts;
  readonly peakBySide: { readonly client: PopulationCounts; readonly server: PopulationCounts };
  /** Time of the first connect() that found no free port, seconds; null if none did. */
  readonly portsExhaustedAt: number | null;
  /** Connections whose connect() failed with EADDRNOTAVAIL. */
  readonly failed: number;
  /** Connections that got a port and went through the lifecycle. */
  readonly connected: number;
  readonly peakPortsInUse: number;
  /** The most connections whose lifecycle was unfinished at one time: what memory is bounded by. */
  readonly peakLiveConnections: number;
  /** Time of the last state change, seconds. */
  readonly endTime: number;
  /** Sockets left at the end (a side that never closes rests in CLOSE_WAIT or FIN_WAIT_2). */
  readonly final: PopulationCounts;
  /** The lifecycle every connection follows. */
  readonly lifecycle: PopulationLifecycle;
}

export interface PopulationResult extends PopulationSummary {
  readonly perSecond: PopulationSample[];
}

/** Invalid options (a negative rate, a backwards port range …); the message names the option. */
export class PopulationOptionError extends RangeError {
  override readonly name = "PopulationOptionError";
}

/** Runs the population and keeps every per-second sample. */
export function simulatePopulation(options: PopulationOptions): PopulationResult {
  const perSecond: PopulationSample[] = [];
  const summary = runPopulation(options, (sample) => perSecond.push(sample));
  return { ...summary, perSecond };
}

export function resolvePopulationOptions(options: PopulationOptions): ResolvedPopulationOptions {
  const fail = (msg: string): never => {
    throw new PopulationOptionError(msg);
  };
  const { rate, count } = options;
  if (typeof rate !== "number" || !Number.isFinite(rate) || rate <= 0) fail(`rate: expected a number > 0 (connections per second), got ${String(rate)}`);
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0) fail(`count: expected an integer >= 0, got ${String(count)}`);
  if (count > MAX_CONNECTIONS) fail(`count: at most ${MAX_CONNECTIONS} connections per run (see docs/limits.md), got ${String(count)}`);
  const closer = options.closer ?? POPULATION_DEFAULTS.closer;
  if (closer !== "client" && closer !== "server") fail(`closer: expected client or server, got ${String(closer)}`);
  const profileOpt = options.profile ?? POPULATION_DEFAULTS.profile;
  const profile = typeof profileOpt === "string" ? profileOpt : profileOpt.name;
  if (!isProfileName(profile)) fail(`profile: expected rfc9293 or linux, got ${String(profile)}`);
  const portRange = options.portRange ?? POPULATION_DEFAULTS.portRange;
  const [lo, hi] = portRange;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || lo > hi) {
    fail(`portRange: expected two integer ports LO <= HI within 1–65535, got ${String(lo)}–${String(hi)}`);
  }
  const nonNegative = (name: string, v: number | undefined, dflt: number, allowInfinity = false): number => {
    const value = v ?? dflt;
    if (typeof value !== "number" || Number.isNaN(value) || value < 0 || (value > MAX_TIMING_SECONDS && !(allowInfinity && value === Infinity))) {
      fail(`${name}: expected a number of seconds from 0 to ${MAX_TIMING_SECONDS}${allowInfinity ? " (or Infinity)" : ""}, got ${String(value)}`);
    }
    return value;
  };
  const rtt = nonNegative("rtt", options.rtt, POPULATION_DEFAULTS.rtt);
  const holdTime = nonNegative("holdTime", options.holdTime, POPULATION_DEFAULTS.holdTime);
  const closeDelay = nonNegative("closeDelay", options.closeDelay, POPULATION_DEFAULTS.closeDelay, true);
  const arrivals = options.arrivals ?? POPULATION_DEFAULTS.arrivals;
  if (!ARRIVAL_PROCESSES.includes(arrivals)) fail(`arrivals: expected ${ARRIVAL_PROCESSES.join(" or ")}, got ${String(arrivals)}`);
  const seed = options.seed ?? POPULATION_DEFAULTS.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) fail(`seed: expected an integer from 0 to ${MAX_SEED}, got ${String(seed)}`);
  return {
    rate, count, closer, profile, portRange: [lo, hi], rtt, holdTime,
    closeDelay: Number.isFinite(closeDelay) ? closeDelay : null, arrivals, seed,
  };
}

const STATE_INDEX = new Map<TcpState, number>(STATES.map((s, i) => [s, i]));
const CLOSED = STATE_INDEX.get("CLOSED")!;
const SIDE_INDEX: Record<EndpointName, number> = { client: 0, server: 1 };

/**
 * Runs the population, handing each per-second sample to `onSecond` as it is taken, and
 * returns the summary. Memory stays bounded by the live connections.
 */
export function runPopulation(options: PopulationOptions, onSecond: (sample: PopulationSample) => void): PopulationSummary {
  const opts = resolvePopulationOptions(options);
  const profile = typeof options.profile === "object" ? options.profile : PROFILES[opts.profile];
  const plan = planPopulationLifecycle(
    { rtt: opts.rtt, holdTime: opts.holdTime, closeDelay: opts.closeDelay ?? Infinity, closer: opts.closer },
    profile,
  );
  const steps = plan.steps;
  const K = steps.length;
  const lastOffset = steps[K - 1]!.offset;
  const expectedSpan = opts.count === 0 ? 0 : (opts.count - 1) / opts.rate + lastOffset;
  if (expectedSpan > MAX_SIMULATED_SECONDS) {
    throw new PopulationOptionError(
      `rate/count: the run would last about ${Math.round(expectedSpan)} simulated seconds; at most ${MAX_SIMULATED_SECONDS} are sampled (raise the rate or lower the count)`,
    );
  }

  // The plan as flat arrays: step k moves side stepSide[k] from stepFrom[k] (-1: new socket) to stepTo[k].
  const offset = Float64Array.from(steps, (s) => s.offset);
  const stepSide = Uint8Array.from(steps, (s) => SIDE_INDEX[s.side]);
  const stepFrom = Int8Array.from(steps, (s) => (s.from === null ? -1 : STATE_INDEX.get(s.from)!));
  const stepTo = Int8Array.from(steps, (s) => STATE_INDEX.get(s.to)!);
  const releasesPort = steps.map((s) => s.side === "client" && s.to === "CLOSED");

  // Live connections: a ring indexed by arrival sequence number (failed connects never enter it).
  let capacity = 16;
  let mask = capacity - 1;
  let connectAt = new Float64Array(capacity);
  let portOf = new Uint16Array(capacity);
  let head = 0; // sequence number of the next connection to enter
  // cursor[k]: the next connection to take step k. cursor[0] is arrival, i.e. head.
  const cursor = new Float64Array(K);

  const pool = new PortPool(opts.portRange[0], opts.portRange[1]);
  const nextArrival = arrivalClock(opts.arrivals, opts.rate, opts.seed);

  // counts[side * 11 + state]; side 2 is both together.
  const N_STATES = STATES.length;
  const counts = new Int32Array(3 * N_STATES);
  const peaks = new Int32Array(3 * N_STATES);
  // States that went up at the current instant; peaks are taken once an instant is complete,
  // so a state held for zero time (CLOSE_WAIT when the application closes at once) is not a peak.
  const dirty = new Uint8Array(3 * N_STATES);
  const dirtyList: number[] = [];
  const bump = (i: number, by: number): void => {
    counts[i]! += by;
    if (by > 0 && dirty[i] === 0) {
      dirty[i] = 1;
      dirtyList.push(i);
    }
  };
  const flushPeaks = (): void => {
    for (const i of dirtyList) {
      if (counts[i]! > peaks[i]!) peaks[i] = counts[i]!;
      dirty[i] = 0;
    }
    dirtyList.length = 0;
  };

  const reported = reportedStates(steps, plan);
  const sample = (t: number): PopulationSample => ({
    t,
    counts: countsOf(counts, 2 * N_STATES, reported.both),
    client: countsOf(counts, 0, reported.client),
    server: countsOf(counts, N_STATES, reported.server),
  });

  let arrived = 0;
  let arrivalTime = opts.count > 0 ? nextArrival() : Infinity;
  let now = 0;
  let nextSample = 0;
  let failed = 0;
  let portsExhaustedAt: number | null = null;
  let peakPorts = 0;
  let peakLive = 0;

  const apply = (k: number): void => {
    const side = stepSide[k]! * N_STATES;
    const from = stepFrom[k]!;
    const to = stepTo[k]!;
    if (from >= 0) {
      bump(side + from, -1);
      bump(2 * N_STATES + from, -1);
    }
    if (to !== CLOSED) {
      bump(side + to, 1);
      bump(2 * N_STATES + to, 1);
    }
  };

  for (;;) {
    // The earliest pending event. Steps win ties against arrivals (a port freed at t can be
    // taken at t), and lower steps win ties against higher ones (causal order).
    let best = -1;
    let bestTime = Infinity;
    for (let k = 1; k < K; k++) {
      const seq = cursor[k]!;
      if (seq < cursor[k - 1]!) {
        const t = connectAt[seq & mask]! + offset[k]!;
        if (t < bestTime) {
          bestTime = t;
          best = k;
        }
      }
    }
    if (arrivalTime < bestTime) {
      bestTime = arrivalTime;
      best = 0;
    }
    if (best < 0) break;

    if (bestTime > now) {
      flushPeaks();
      while (nextSample < bestTime) onSecond(sample(nextSample++));
      now = bestTime;
    }

    if (best === 0) {
      const port = pool.take();
      if (port < 0) {
        failed++;
        portsExhaustedAt ??= bestTime;
      } else {
        if (head - cursor[K - 1]! === capacity) {
          ({ capacity, mask, connectAt, portOf } = grow(capacity, connectAt, portOf, cursor[K - 1]!, head));
        }
        connectAt[head & mask] = bestTime;
        portOf[head & mask] = port;
        head++;
        cursor[0] = head;
        apply(0);
        if (pool.inUse > peakPorts) peakPorts = pool.inUse;
        const live = head - cursor[K - 1]!;
        if (live > peakLive) peakLive = live;
      }
      arrived++;
      arrivalTime = arrived < opts.count ? nextArrival() : Infinity;
    } else {
      const seq = cursor[best]!;
      apply(best);
      if (releasesPort[best]) pool.release(portOf[seq & mask]!);
      cursor[best] = seq + 1;
    }
  }
  flushPeaks();
  const endTime = now;
  while (nextSample <= Math.ceil(endTime)) onSecond(sample(nextSample++));

  const final = sample(endTime);
  return {
    options: opts,
    peak: countsOf(peaks, 2 * N_STATES, reported.both),
    peakBySide: { client: countsOf(peaks, 0, reported.client), server: countsOf(peaks, N_STATES, reported.server) },
    portsExhaustedAt,
    failed,
    connected: head,
    peakPortsInUse: peakPorts,
    peakLiveConnections: peakLive,
    endTime,
    final: final.counts,
    lifecycle: plan,
  };
}

function grow(capacity: number, connectAt: Float64Array, portOf: Uint16Array, tail: number, head: number) {
  const next = capacity * 2;
  const nextMask = next - 1;
  const mask = capacity - 1;
  const at = new Float64Array(next);
  const ports = new Uint16Array(next);
  for (let seq = tail; seq < head; seq++) {
    at[seq & nextMask] = connectAt[seq & mask]!;
    ports[seq & nextMask] = portOf[seq & mask]!;
  }
  return { capacity: next, mask: nextMask, connectAt: at, portOf: ports };
}

/** The states each side can be in during this run, in RFC order, so every sample has the same keys. */
function reportedStates(steps: readonly PopulationLifecycleStep[], plan: PopulationLifecycle) {
  const seen = { client: new Set<TcpState>(), server: new Set<TcpState>() };
  for (const s of steps) if (s.to !== "CLOSED") seen[s.side].add(s.to);
  for (const side of ["client", "server"] as const) {
    const resting = plan.resting[side];
    if (resting) seen[side].add(resting);
  }
  const ordered = (set: Set<TcpState>): number[] => STATES.flatMap((s, i) => (set.has(s) ? [i] : []));
  return {
    client: ordered(seen.client),
    server: ordered(seen.server),
    both: ordered(new Set([...seen.client, ...seen.server])),
  };
}

function countsOf(array: Int32Array, base: number, states: readonly number[]): PopulationCounts {
  const out: PopulationCounts = {};
  for (const i of states) out[STATES[i]!] = array[base + i]!;
  return out;
}
