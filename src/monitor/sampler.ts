/**
 * Sampling at an interval: collect, age, count, check, hand the snapshot to the caller, wait.
 * Bounded three ways: an optional sample count, the series' capacity, and the abort signal
 * (Ctrl-C), which also cancels a running ss/netstat.
 *
 * With `transitions`, the kernel's own state changes are followed meanwhile (src/trace, a private
 * tracefs instance) and each snapshot comes with the transitions since the previous one: what
 * polling cannot see (a connection that opens and closes between two samples never shows in
 * /proc). Where tracing is not possible (not root, no tracefs), each snapshot says why instead,
 * and sampling goes on as before. The trace is stopped, and its instance removed, however the
 * sampler ends: count reached, abort, or an error.
 */
import type { TransitionRecord } from "../trace/records.js";
import { startKernelTrace, type KernelTrace } from "../trace/session.js";
import { collect } from "./collectors/index.js";
import { AgeTracker, StateSeries } from "./series.js";
import { buildSnapshot, type Snapshot, type TakeSnapshotOptions } from "./snapshot.js";
import { readSystemFacts } from "./system.js";
import type { MonitorFilter, Sample } from "./types.js";

export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 3_600_000;

export interface SamplerOptions extends TakeSnapshotOptions {
  readonly intervalMs: number;
  /** Stop after this many samples; unbounded (until aborted) when absent. */
  readonly count?: number;
  readonly signal?: AbortSignal;
  /** Points kept for the chart. */
  readonly seriesCapacity?: number;
  /** Follow the kernel's transitions (matching `filter`) and hand them over with each snapshot. */
  readonly transitions?: boolean;
  /**
   * `transitions` is what happened since the previous snapshot (or since tracing started), or
   * why it cannot be known; undefined when `transitions` was not asked for.
   */
  readonly onSnapshot: (snapshot: Snapshot, series: StateSeries, sample: Sample, transitions?: SnapshotTransitions) => void | Promise<void>;
}

/** The transitions the pane remembers (more than any terminal shows). */
export const RECENT_TRANSITIONS_KEPT = 32;
/** Transitions held between two snapshots; beyond this they are counted in `dropped`, not kept. */
export const MAX_TRANSITIONS_PER_SNAPSHOT = 10_000;

export type SnapshotTransitions =
  | {
      readonly ok: true;
      /** Transitions since the previous snapshot, in the kernel's order. */
      readonly since: readonly TransitionRecord[];
      /** Transitions since the previous snapshot beyond MAX_TRANSITIONS_PER_SNAPSHOT (not in `since`). */
      readonly dropped: number;
      /** Events the kernel's ring buffer dropped since the previous snapshot (its LOST lines). */
      readonly lost: number;
      /** The last RECENT_TRANSITIONS_KEPT transitions, oldest first, for the live pane. */
      readonly recent: readonly TransitionRecord[];
      /** Transitions seen since tracing started. */
      readonly seen: number;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Whether a kernel transition belongs in a monitor filtered by `filter`: either end's port is
 * --port (as the snapshot's own filter), and for --state, a transition into or out of that state.
 */
export function transitionMatches(r: TransitionRecord, filter: MonitorFilter): boolean {
  if (filter.port !== undefined && endpointPort(r.local) !== filter.port && endpointPort(r.remote) !== filter.port) return false;
  if (filter.state !== undefined && r.from !== filter.state && r.to !== filter.state) return false;
  return true;
}

/** "127.0.0.1:8080" or "[::1]:8080" → 8080. */
function endpointPort(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(":") + 1));
}

/** A kernel trace feeding snapshots: records buffered (bounded) between two `take()`s. */
class TransitionFeed {
  private since: TransitionRecord[] = [];
  private dropped = 0;
  private lost = 0;
  private seen = 0;
  private readonly recent: TransitionRecord[] = [];
  private trace: KernelTrace | undefined;
  private failure: string | undefined;

  constructor(private readonly filter: MonitorFilter) {}

  /** Start tracing; returns the reason when this machine does not allow it. */
  start(): string | undefined {
    try {
      const started = startKernelTrace({
        ...(this.filter.port !== undefined && { port: this.filter.port }),
        lifecycle: false,
        onRecords: (records) => {
          for (const r of records) {
            if (r.type === "lost") this.lost += r.count;
            if (r.type !== "transition" || !transitionMatches(r, this.filter)) continue;
            this.seen++;
            if (this.since.length < MAX_TRANSITIONS_PER_SNAPSHOT) this.since.push(r);
            else this.dropped++;
            this.recent.push(r);
            if (this.recent.length > RECENT_TRANSITIONS_KEPT) this.recent.shift();
          }
        },
      });
      if (!started.ok) return started.missing;
      this.trace = started.trace;
      return undefined;
    } catch (err) {
      return `the kernel trace could not start: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  /** Everything the kernel reported up to now, handed over once. */
  take(): SnapshotTransitions {
    if (this.failure === undefined) {
      try {
        this.trace?.drain();
      } catch (err) {
        // The instance went away under us (removed by a signal handler, or by hand).
        this.failure = `the kernel trace stopped: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    if (this.failure !== undefined && this.since.length === 0) return { ok: false, reason: this.failure };
    const out: SnapshotTransitions = { ok: true, since: this.since, dropped: this.dropped, lost: this.lost, recent: [...this.recent], seen: this.seen };
    this.since = [];
    this.dropped = 0;
    this.lost = 0;
    return out;
  }

  async stop(): Promise<void> {
    const trace = this.trace;
    this.trace = undefined;
    if (trace) await trace.stop();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Run until `count` samples are taken or the signal aborts; returns the number taken. */
export async function runSampler(opts: SamplerOptions): Promise<number> {
  if (!(opts.intervalMs >= MIN_INTERVAL_MS && opts.intervalMs <= MAX_INTERVAL_MS)) {
    throw new RangeError(`intervalMs must be between ${MIN_INTERVAL_MS} and ${MAX_INTERVAL_MS}, got ${opts.intervalMs}`);
  }
  const series = new StateSeries(opts.seriesCapacity);
  const ages = new AgeTracker();
  let feed: TransitionFeed | undefined;
  let unavailable: SnapshotTransitions | undefined;
  if (opts.transitions) {
    feed = new TransitionFeed(opts.filter ?? {});
    const reason = feed.start();
    if (reason !== undefined) {
      feed = undefined;
      unavailable = { ok: false, reason };
    }
  }
  try {
    return await sampleLoop(opts, series, ages, () => feed?.take() ?? unavailable);
  } finally {
    await feed?.stop();
  }
}

async function sampleLoop(
  opts: SamplerOptions,
  series: StateSeries,
  ages: AgeTracker,
  takeTransitions: () => SnapshotTransitions | undefined,
): Promise<number> {
  let taken = 0;
  while (!opts.signal?.aborted && (opts.count === undefined || taken < opts.count)) {
    const started = Date.now();
    let sample: Sample;
    let facts;
    try {
      [sample, facts] = await Promise.all([collect(opts), readSystemFacts(opts.platform)]);
    } catch (err) {
      // Ctrl-C in a terminal signals the whole process group: ss may die of SIGINT a moment
      // before our own handler aborts. Give the abort a moment to arrive before calling it an error.
      if (!opts.signal?.aborted && (err as { signal?: string }).signal === undefined) throw err;
      await sleep(200, opts.signal);
      if (opts.signal?.aborted) break;
      throw err;
    }
    const snapshot = buildSnapshot(sample, facts, { ...opts, ages: ages.update(sample.records, sample.takenAt) });
    series.push(sample.takenAt, snapshot.counts);
    taken++;
    // After the sample: every transition the kernel made before the listing was read is in it.
    await opts.onSnapshot(snapshot, series, sample, takeTransitions());
    if (opts.count !== undefined && taken >= opts.count) break;
    await sleep(Math.max(0, opts.intervalMs - (Date.now() - started)), opts.signal);
  }
  return taken;
}
