/**
 * One snapshot: a sample, filtered, counted and checked against the anomaly rules. This is
 * what `tcp-lifecycle monitor --json` prints; docs/monitor-json.md documents the schema.
 * `buildSnapshot` is pure; `takeSnapshot` collects and reads /proc first.
 */
import type { Diagnostic } from "../parse/types.js";
import { collect, type CollectOptions } from "./collectors/index.js";
import { evaluateRules, type Thresholds } from "./rules.js";
import { countByState } from "../parse/count.js";
import { applyFilter, statsByLocalPort, statsByProcess, timewaitSockets } from "./stats.js";
import { readSystemFacts } from "./system.js";
import type { StateCounts } from "../parse/count.js";
import type { Anomaly, MonitorFilter, PortStats, ProcessStats, Sample, SourceName, SystemFacts } from "./types.js";

export const SNAPSHOT_SCHEMA = 1;

/** At most this many diagnostics are listed; `diagnosticCount` always has the total. */
export const MAX_LISTED_DIAGNOSTICS = 20;

export interface Snapshot {
  readonly schema: typeof SNAPSHOT_SCHEMA;
  /** ISO 8601, when the sample was taken. */
  readonly time: string;
  readonly source: SourceName;
  readonly origin: string;
  readonly elapsedMs: number;
  readonly filter: MonitorFilter;
  /** Connections after filtering. */
  readonly total: number;
  /** All 11 RFC states as keys, zeros included. */
  readonly counts: StateCounts;
  /** TIME_WAIT plus orphaned FIN_WAIT_2: the number comparable with sockstat's tw (unfiltered). */
  readonly timewaitSockets: number;
  readonly byPort: readonly PortStats[];
  readonly byProcess: readonly ProcessStats[];
  readonly system: SystemFacts;
  readonly anomalies: readonly Anomaly[];
  readonly diagnosticCount: number;
  readonly diagnostics: readonly Diagnostic[];
}

export interface SnapshotOptions {
  readonly filter?: MonitorFilter;
  readonly thresholds?: Partial<Thresholds>;
  /** Time in current state per connection key, from an AgeTracker; empty for one snapshot. */
  readonly ages?: ReadonlyMap<string, number>;
  /** Rows in the per-port and per-process tables. */
  readonly limit?: number;
}

export function buildSnapshot(sample: Sample, facts: SystemFacts, opts: SnapshotOptions = {}): Snapshot {
  const filter = opts.filter ?? {};
  const records = applyFilter(sample.records, filter);
  const counts = countByState(records);
  const anomalies = evaluateRules({ records, counts, facts, ages: opts.ages ?? new Map() }, opts.thresholds);
  return {
    schema: SNAPSHOT_SCHEMA,
    time: new Date(sample.takenAt).toISOString(),
    source: sample.source,
    origin: sample.origin,
    elapsedMs: Math.round(sample.elapsedMs * 100) / 100,
    filter,
    total: records.length,
    counts,
    timewaitSockets: timewaitSockets(sample.records),
    byPort: statsByLocalPort(records, opts.limit),
    byProcess: statsByProcess(records, opts.limit),
    system: facts,
    anomalies,
    diagnosticCount: sample.diagnostics.length,
    diagnostics: sample.diagnostics.slice(0, MAX_LISTED_DIAGNOSTICS),
  };
}

export interface TakeSnapshotOptions extends SnapshotOptions, CollectOptions {}

/** Collect one sample and read the kernel's settings at the same time, then build the snapshot. */
export async function takeSnapshot(opts: TakeSnapshotOptions = {}): Promise<{ sample: Sample; snapshot: Snapshot }> {
  const [sample, facts] = await Promise.all([collect(opts), readSystemFacts(opts.platform)]);
  return { sample, snapshot: buildSnapshot(sample, facts, opts) };
}
