/**
 * Sampling at an interval: collect, age, count, check, hand the snapshot to the caller, wait.
 * Bounded three ways: an optional sample count, the series' capacity, and the abort signal
 * (Ctrl-C), which also cancels a running ss/netstat.
 */
import { collect } from "./collectors/index.js";
import { AgeTracker, StateSeries } from "./series.js";
import { buildSnapshot, type Snapshot, type TakeSnapshotOptions } from "./snapshot.js";
import { readSystemFacts } from "./system.js";
import type { Sample } from "./types.js";

export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 3_600_000;

export interface SamplerOptions extends TakeSnapshotOptions {
  readonly intervalMs: number;
  /** Stop after this many samples; unbounded (until aborted) when absent. */
  readonly count?: number;
  readonly signal?: AbortSignal;
  /** Points kept for the chart. */
  readonly seriesCapacity?: number;
  readonly onSnapshot: (snapshot: Snapshot, series: StateSeries, sample: Sample) => void | Promise<void>;
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
    await opts.onSnapshot(snapshot, series, sample);
    if (opts.count !== undefined && taken >= opts.count) break;
    await sleep(Math.max(0, opts.intervalMs - (Date.now() - started)), opts.signal);
  }
  return taken;
}
