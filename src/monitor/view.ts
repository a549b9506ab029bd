/**
 * The monitor's text view: a header, the table of counts by state, the busiest ports and
 * processes, a chart of counts over time, the kernel's recent transitions, and the anomalies.
 * Pure (returns a string), so the live CLI, plain snapshots and notebooks share it; colour is
 * opt-in for terminals.
 */
import * as asciichart from "asciichart";
import { STATES, type TcpState } from "../fsm/states.js";
import { STATE_CHART_COLORS, renderStateChart } from "../render/state-counts.js";
import { formatSeconds, type TransitionRecord } from "../trace/records.js";
import { formatDuration } from "./duration.js";
import type { StateSeries } from "./series.js";
import type { Snapshot } from "./snapshot.js";
import type { PortStats, ProcessStats } from "./types.js";

export interface ViewOptions {
  /** ANSI colours (a terminal); plain text otherwise. */
  readonly color?: boolean;
  /** Terminal width; bars and the chart fit in it. */
  readonly width?: number;
  readonly chartHeight?: number;
  /** Terminal rows: the live view drops table rows and chart height to fit. */
  readonly height?: number;
  readonly intervalMs?: number;
  /** The recent-transitions pane: the kernel's last transitions, or why there are none. Absent: no pane. */
  readonly transitions?: TransitionsPane;
  /** Transitions the pane lists at most (default 8); the live view lists fewer to fit the terminal. */
  readonly transitionLines?: number;
}

/** What the recent-transitions pane shows (the sampler's SnapshotTransitions fits it). */
export type TransitionsPane =
  | {
      readonly ok: true;
      /** Oldest first; the pane shows the last ones. */
      readonly recent: readonly TransitionRecord[];
      /** Transitions seen since tracing started. */
      readonly seen?: number;
      /** Events the kernel's ring buffer dropped (since the previous snapshot). */
      readonly lost?: number;
    }
  | { readonly ok: false; readonly reason: string };

export const DEFAULT_TRANSITION_LINES = 8;

const BOLD = "\x1b[1m";
const RESET = asciichart.reset;

function paint(text: string, code: string, color: boolean): string {
  return color ? `${code}${text}${RESET}` : text;
}

const fmt = (n: number): string => n.toLocaleString("en-US");

function countsTable(s: Snapshot, width: number, color: boolean): string[] {
  const max = Math.max(1, ...STATES.map((st) => s.counts[st]));
  const barRoom = Math.max(10, Math.min(50, width - 26));
  const lines = [paint("STATE        COUNT", BOLD, color)];
  for (const st of STATES) {
    const n = s.counts[st];
    const bar = n === 0 ? "" : "█".repeat(Math.max(1, Math.round((n / max) * barRoom)));
    lines.push(`${st.padEnd(12)} ${fmt(n).padStart(6)}  ${paint(bar, STATE_CHART_COLORS[st], color)}`);
  }
  lines.push(`${"total".padEnd(12)} ${fmt(s.total).padStart(6)}`);
  return lines;
}

function breakdown(counts: Partial<Record<TcpState, number>>): string {
  return STATES.filter((st) => counts[st]).map((st) => `${st} ${fmt(counts[st] ?? 0)}`).join(", ");
}

function portsTable(rows: readonly PortStats[], color: boolean): string[] {
  if (rows.length === 0) return [];
  return [
    paint("Busiest local ports", BOLD, color),
    ...rows.map((r) => `  ${String(r.port).padStart(5)}  ${fmt(r.total).padStart(6)}  ${breakdown(r.counts)}`),
  ];
}

function processTable(rows: readonly ProcessStats[], color: boolean): string[] {
  if (rows.length === 0) return [];
  return [
    paint("Processes", BOLD, color),
    ...rows.map(
      (r) => `  ${(r.name ?? "?").slice(0, 16).padEnd(16)} ${String(r.pid).padStart(7)}  ${fmt(r.total).padStart(6)}  ${breakdown(r.counts)}`,
    ),
  ];
}

/** The chart of counts over time (render/state-counts), time in seconds since the first sample. */
export function renderSeriesChart(series: StateSeries, opts: ViewOptions = {}): string[] {
  const points = series.points;
  if (points.length < 2 || series.activeStates().length === 0) return [];
  const t0 = points[0]!.time;
  const every = opts.intervalMs !== undefined ? `, every ${formatDuration(opts.intervalMs)}` : "";
  const chart = renderStateChart(
    points.map((p) => ({ t: (p.time - t0) / 1000, counts: p.counts })),
    {
      color: opts.color ?? false,
      width: Math.max(10, (opts.width ?? 80) - 12),
      height: opts.chartHeight ?? 8,
      title: paint(`Counts over time (last ${points.length} samples${every})`, BOLD, opts.color ?? false),
    },
  );
  return [chart.trimEnd()];
}

export function renderAnomalies(s: Snapshot, color = false): string[] {
  if (s.anomalies.length === 0) return [paint("Anomalies", BOLD, color), "  none"];
  const lines = [paint("Anomalies", BOLD, color)];
  for (const a of s.anomalies) {
    const mark = a.severity === "critical" ? paint("‼", asciichart.red, color) : paint("!", asciichart.yellow, color);
    lines.push(`${mark} ${a.rule}: ${a.message}`);
    lines.push(`    ${a.explanation}`);
    for (const h of a.holders ?? []) lines.push(`    - ${h}`);
  }
  return lines;
}

/**
 * One transition, compactly: "12.345 127.0.0.1:41234 → 127.0.0.1:8080 FIN_WAIT_1 → FIN_WAIT_2 (3.0ms)":
 * seconds since tracing started, local → remote end, old → new state, time spent in the old one
 * (when the trace saw it begin). A change seen in /proc rather than reported by the kernel (a
 * timewait socket's end, which has no tracepoint) is dated to within the poll and says so.
 */
export function formatTransition(r: TransitionRecord): string {
  const inState = r.inState === null ? "" : ` (${formatSeconds(r.inState)})`;
  const seen = r.source === "procfs" ? " [seen in /proc]" : "";
  return `${r.t.toFixed(3)} ${r.local} → ${r.remote} ${r.from} → ${r.to}${inState}${seen}`;
}

/**
 * The recent-transitions pane: the last `lines` transitions, or one line saying why there are
 * none and that counts still come from polling (`where` the states are read, every `intervalMs`).
 */
export function renderTransitionsPane(
  pane: TransitionsPane,
  opts: { lines?: number; color?: boolean; width?: number; intervalMs?: number; where?: string } = {},
): string[] {
  const where = opts.where ?? "/proc";
  if (!pane.ok) {
    const every = opts.intervalMs !== undefined ? ` every ${formatDuration(opts.intervalMs)}` : "";
    return [`recent transitions: unavailable (${pane.reason}); states are polled from ${where}${every}`];
  }
  const lines = Math.max(0, opts.lines ?? DEFAULT_TRANSITION_LINES);
  const shown = lines === 0 ? [] : pane.recent.slice(-lines);
  const seen = pane.seen !== undefined ? `, ${fmt(pane.seen)} seen` : "";
  const title = paint(`Recent transitions (kernel trace${seen})`, BOLD, opts.color ?? false);
  const width = opts.width ?? Infinity;
  const body = shown.map((r) => {
    const line = `  ${formatTransition(r)}`;
    // Cut rather than wrap: a wrapped line would push the anomalies off a live screen.
    return line.length > width ? line.slice(0, Math.max(1, width - 1)) + "…" : line;
  });
  if (shown.length === 0) body.push("  none yet");
  if (pane.lost) body.push(`  the kernel's ring buffer dropped ${fmt(pane.lost)} events: some transitions are missing`);
  return [title, ...body];
}

function filterText(s: Snapshot): string {
  const parts: string[] = [];
  if (s.filter.port !== undefined) parts.push(`port ${s.filter.port}`);
  if (s.filter.state !== undefined) parts.push(`state ${s.filter.state}`);
  return parts.length > 0 ? ` [filter: ${parts.join(", ")}]` : "";
}

/** The whole view for one snapshot (and the series so far, if any). */
export function renderView(s: Snapshot, series?: StateSeries, opts: ViewOptions = {}): string {
  const transitionLines = opts.transitionLines ?? DEFAULT_TRANSITION_LINES;
  if (opts.height === undefined) return composeView(s, series, opts, 10, transitionLines);
  // A live terminal: shrink the tables, the chart and the transitions until the anomalies (at the bottom) fit.
  let text = "";
  for (const [rows, chartHeight, transitions] of [[10, 8, 8], [5, 6, 8], [3, 4, 6], [0, 4, 4], [0, 2, 2]] as const) {
    text = composeView(s, series, { ...opts, chartHeight: Math.min(chartHeight, opts.chartHeight ?? 8) }, rows, Math.min(transitions, transitionLines));
    if (text.split("\n").length <= opts.height) break;
  }
  return text;
}

function composeView(s: Snapshot, series: StateSeries | undefined, opts: ViewOptions, tableRows: number, transitionLines: number): string {
  const color = opts.color ?? false;
  const width = opts.width ?? 80;
  const header =
    `${paint("tcp-lifecycle monitor", BOLD, color)}  ${s.time}  source ${s.source} (${s.origin}, ${s.elapsedMs} ms)` +
    `  ${fmt(s.total)} connections${filterText(s)}`;
  const blocks: string[][] = [
    [header],
    countsTable(s, width, color),
    portsTable(s.byPort.slice(0, tableRows), color),
    processTable(s.byProcess.slice(0, tableRows), color),
    series ? renderSeriesChart(series, opts) : [],
    opts.transitions
      ? renderTransitionsPane(opts.transitions, {
          lines: transitionLines,
          color,
          width,
          ...(opts.intervalMs !== undefined && { intervalMs: opts.intervalMs }),
          where: s.source === "proc" ? "/proc" : s.origin,
        })
      : [],
    renderAnomalies(s, color),
  ];
  if (s.diagnosticCount > 0) {
    blocks.push([
      `${s.diagnosticCount} line(s) could not be read; first: ` +
        (s.diagnostics[0] ? `${s.diagnostics[0].source ?? ""}:${s.diagnostics[0].line ?? "?"} ${s.diagnostics[0].reason}` : ""),
    ]);
  }
  return blocks.filter((b) => b.length > 0).map((b) => b.join("\n")).join("\n\n") + "\n";
}
