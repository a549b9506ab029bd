/**
 * The monitor's text view: a header, the table of counts by state, the busiest ports and
 * processes, a chart of counts over time, and the anomalies. Pure (returns a string), so the
 * live CLI, plain snapshots and notebooks share it; colour is opt-in for terminals.
 */
import * as asciichart from "asciichart";
import { STATES, type TcpState } from "../fsm/states.js";
import { STATE_CHART_COLORS, renderStateChart } from "../render/state-counts.js";
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
}

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

function filterText(s: Snapshot): string {
  const parts: string[] = [];
  if (s.filter.port !== undefined) parts.push(`port ${s.filter.port}`);
  if (s.filter.state !== undefined) parts.push(`state ${s.filter.state}`);
  return parts.length > 0 ? ` [filter: ${parts.join(", ")}]` : "";
}

/** The whole view for one snapshot (and the series so far, if any). */
export function renderView(s: Snapshot, series?: StateSeries, opts: ViewOptions = {}): string {
  if (opts.height === undefined) return composeView(s, series, opts, 10);
  // A live terminal: shrink the tables, then the chart, until the anomalies (at the bottom) fit.
  let text = "";
  for (const [rows, chartHeight] of [[10, 8], [5, 6], [3, 4], [0, 4], [0, 2]] as const) {
    text = composeView(s, series, { ...opts, chartHeight: Math.min(chartHeight, opts.chartHeight ?? 8) }, rows);
    if (text.split("\n").length <= opts.height) break;
  }
  return text;
}

function composeView(s: Snapshot, series: StateSeries | undefined, opts: ViewOptions, tableRows: number): string {
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
