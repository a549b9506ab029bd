/**
 * Counts of connections (or endpoints) by state over time, and an asciichart of them.
 *
 * The data shape is the one the population mode and the live monitor produce:
 *
 *   interface StateCountSample { t: number; counts: Partial<Record<TcpState, number>> }
 *
 * - stateCountsFromTrace(trace, { step }) samples the two endpoints of a trace.
 * - renderStateChart(series, opts) draws one coloured line per state, a legend and a time
 *   axis (asciichart draws neither), after downsampling to at most `width` columns.
 *   Empty input, NaN and missing states never throw: a state missing from `counts` is 0,
 *   a NaN is drawn at the previous value, and a series with no finite value prints "(no data)".
 */
import * as asciichart from "asciichart";
import { STATES, type TcpState } from "../fsm/states.js";
import type { StateChangeRecord, Trace } from "../sim/trace.js";
import { arrivalTime } from "./ladder-events.js";

export interface StateCountSample {
  /** Seconds. */
  readonly t: number;
  readonly counts: Partial<Record<TcpState, number>>;
}

/** A "nice" step (1, 2 or 5 × 10^k) close to `raw`. */
function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

export interface TraceCountOptions {
  /** Sampling step in seconds. Default: a 1-2-5 step giving about 100 samples over the trace. */
  readonly step?: number;
  /** Last sample time. Default: the last event or arrival of the trace. */
  readonly until?: number;
}

/**
 * How many of the trace's two endpoints are in each state at t = 0, step, 2·step, … .
 * A sample at t reflects every state change at or before t.
 */
export function stateCountsFromTrace(trace: Trace, opts: TraceCountOptions = {}): StateCountSample[] {
  let end = 0;
  for (const ev of trace.events) {
    end = Math.max(end, ev.t);
    if (ev.type === "segment") end = Math.max(end, arrivalTime(ev) ?? ev.t);
  }
  if (opts.until !== undefined) end = opts.until;
  const step = opts.step !== undefined && opts.step > 0 ? opts.step : niceStep(end / 100);
  const changes = trace.events.filter((e): e is StateChangeRecord => e.type === "state");
  const state: Record<"client" | "server", TcpState> = { client: trace.initial.client, server: trace.initial.server };
  const out: StateCountSample[] = [];
  let next = 0;
  const n = Math.floor(end / step + 1e-9);
  for (let i = 0; i <= n + (n * step < end - 1e-9 ? 1 : 0); i++) {
    const t = i * step;
    while (next < changes.length && changes[next]!.t <= t + 1e-9) {
      const c = changes[next++]!;
      state[c.endpoint] = c.to;
    }
    const counts: Record<string, number> = {};
    for (const s of [state.client, state.server]) counts[s] = (counts[s] ?? 0) + 1;
    out.push({ t: Number(t.toFixed(9)), counts: counts as Partial<Record<TcpState, number>> });
  }
  return out;
}

/**
 * Reduce `values` to at most `width` points, each the maximum of its bucket, so a short
 * peak (the TIME_WAIT high-water mark) survives. NaN only where a bucket has no finite value.
 */
export function downsampleMax(values: readonly number[], width: number): number[] {
  const w = Math.max(1, Math.floor(width));
  if (values.length <= w) return [...values];
  const out: number[] = [];
  for (let b = 0; b < w; b++) {
    const from = Math.floor((b * values.length) / w);
    const to = Math.floor(((b + 1) * values.length) / w);
    let m = Number.NaN;
    for (let i = from; i < to; i++) {
      const v = values[i]!;
      if (Number.isFinite(v) && !(v <= m)) m = v;
    }
    out.push(m);
  }
  return out;
}

/** ANSI colour per state, chosen so the usual pairs (ESTABLISHED / TIME_WAIT / CLOSE_WAIT) differ. */
export const STATE_CHART_COLORS: Readonly<Record<TcpState, string>> = {
  CLOSED: asciichart.darkgray,
  LISTEN: asciichart.lightgray,
  SYN_SENT: asciichart.lightcyan,
  SYN_RCVD: asciichart.cyan,
  ESTABLISHED: asciichart.green,
  FIN_WAIT_1: asciichart.lightyellow,
  FIN_WAIT_2: asciichart.yellow,
  CLOSE_WAIT: asciichart.red,
  CLOSING: asciichart.lightmagenta,
  LAST_ACK: asciichart.magenta,
  TIME_WAIT: asciichart.lightblue,
};

export interface StateChartOptions {
  /** Which states get a line. Default: every state with a non-zero count somewhere, in RFC order. */
  readonly states?: readonly TcpState[];
  /** Most columns of the plot; longer series are downsampled (bucket maximum). Default 72. */
  readonly width?: number;
  /** Most rows of the plot. Default 10; fewer when the counts span fewer values. */
  readonly height?: number;
  /** ANSI colours (lines and legend). Default true; pass false for plain text. */
  readonly color?: boolean;
  /** A line printed above the chart. */
  readonly title?: string;
  /** Unit of t on the time axis. Default "s". */
  readonly unit?: string;
}

function fmtTime(t: number): string {
  return Number.isInteger(t) ? String(t) : String(Number(t.toFixed(3)));
}

/** An asciichart of counts by state over time, with a legend line and a time axis line. */
export function renderStateChart(series: readonly StateCountSample[], opts: StateChartOptions = {}): string {
  const color = opts.color ?? true;
  const width = Math.max(2, Math.floor(opts.width ?? 72));
  const lines: string[] = [];
  if (opts.title !== undefined) lines.push(opts.title);
  const states = opts.states ?? STATES.filter((s) => series.some((p) => (p.counts[s] ?? 0) > 0));
  const raw = states.map((s) => series.map((p) => {
    const v = p.counts[s];
    return v === undefined ? 0 : v;
  }));
  const data = raw.map((values) => {
    // asciichart cannot draw NaN (its min/max become NaN): carry the last finite value.
    let last = Number.NaN;
    const filled = downsampleMax(values, width).map((v) => (Number.isFinite(v) ? (last = v) : last));
    const first = filled.find((v) => Number.isFinite(v)) ?? 0;
    return filled.map((v) => (Number.isFinite(v) ? v : first));
  });
  const finite = raw.flat().filter((v) => Number.isFinite(v));
  if (series.length === 0 || states.length === 0 || finite.length === 0) {
    lines.push("(no data)");
    return lines.join("\n") + "\n";
  }
  let min = Math.min(0, ...data.flat());
  let max = Math.max(...data.flat());
  if (max === min) max = min + 1;
  const height = Math.max(1, Math.min(Math.floor(opts.height ?? 10), Math.ceil(max - min)));
  const labelW = Math.max(String(Math.round(max)).length, String(Math.round(min)).length) + 1;
  const pad = " ".repeat(labelW);
  const plot = asciichart.plot(data, {
    min,
    max,
    height,
    colors: color ? states.map((s) => STATE_CHART_COLORS[s]) : [],
    format: (x: number) => (pad + Math.round(x)).slice(-labelW),
  });
  lines.push(plot);
  // The time axis: asciichart has none. Labels at the left and right ends under the plot area.
  const cols = data[0]?.length ?? 0;
  const t0 = fmtTime(series[0]!.t);
  const t1 = fmtTime(series[series.length - 1]!.t);
  const unit = opts.unit ?? "s";
  const indent = " ".repeat(labelW + 2);
  const left = `${t0} ${unit}`;
  const right = `${t1} ${unit}`;
  const gap = Math.max(1, cols - left.length - right.length);
  lines.push(`${indent}${left}${" ".repeat(gap)}${right}`);
  const legend = states
    .map((s) => (color ? `${STATE_CHART_COLORS[s]}──${asciichart.reset} ${s}` : `── ${s}`))
    .join("   ");
  lines.push(`${indent}${legend}`);
  return lines.join("\n") + "\n";
}
