/**
 * Counts by state over time, for the chart, and how long each connection has been in its
 * state, for rules that need an age (FIN_WAIT_2 past tcp_fin_timeout). Both are bounded.
 * Pure: no Node imports.
 */
import { STATES, type TcpState } from "../fsm/states.js";
import type { ConnectionRecord } from "../parse/types.js";
import { connectionKey } from "./rules.js";
import type { StateCounts } from "../parse/count.js";

export interface SeriesPoint {
  /** Epoch milliseconds. */
  readonly time: number;
  readonly counts: StateCounts;
}

/** The last `capacity` points; older ones are dropped. */
export class StateSeries {
  private readonly buffer: SeriesPoint[] = [];
  constructor(readonly capacity = 120) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  push(time: number, counts: StateCounts): void {
    this.buffer.push({ time, counts: { ...counts } });
    if (this.buffer.length > this.capacity) this.buffer.splice(0, this.buffer.length - this.capacity);
  }

  get points(): readonly SeriesPoint[] {
    return this.buffer;
  }

  get length(): number {
    return this.buffer.length;
  }

  /** One array of values per state, oldest first. */
  values(state: TcpState): number[] {
    return this.buffer.map((p) => p.counts[state]);
  }

  /** The states that were non-zero at some point in the window, in RFC order. */
  activeStates(): TcpState[] {
    return STATES.filter((s) => this.buffer.some((p) => p.counts[s] > 0));
  }
}

/**
 * Remembers when each connection was first seen in its current state. A key missing from a
 * sample is forgotten, so memory is bounded by the number of live connections.
 */
export class AgeTracker {
  private firstSeen = new Map<string, number>();

  /** Record a sample taken at `now` and return each connection's age in ms. */
  update(records: readonly ConnectionRecord[], now: number): Map<string, number> {
    const next = new Map<string, number>();
    const ages = new Map<string, number>();
    for (const r of records) {
      const key = connectionKey(r);
      const since = this.firstSeen.get(key) ?? next.get(key) ?? now;
      next.set(key, since);
      ages.set(key, now - since);
    }
    this.firstSeen = next;
    return ages;
  }
}
