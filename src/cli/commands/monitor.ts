/**
 * `tcp-lifecycle monitor`: the lesson's lifecycle monitor, done right. A live, redrawn view
 * in a terminal; plain snapshots (or one JSON object per line) when stdout is not a terminal;
 * `--once --json` prints one snapshot (docs/monitor-json.md). Ctrl-C stops cleanly, exit 0.
 *
 * While sampling, the kernel's own transitions (src/trace) fill a "recent transitions" pane and
 * each NDJSON line's `transitions`; where tracing is not possible (not root, no tracefs) the view
 * and the JSON say why, and counts come from polling alone. `--no-transitions` turns it off.
 */
import type { Command } from "commander";
import { STATES } from "../../fsm/states.js";
import { stateFromName } from "../../parse/state-names.js";
import {
  CollectorError,
  MAX_INTERVAL_MS,
  MIN_INTERVAL_MS,
  SOURCE_CHOICES,
  parseDuration,
  renderView,
  runSampler,
  takeSnapshot,
  type MonitorFilter,
  type Snapshot,
  type SnapshotTransitions,
  type SourceChoice,
  type StateSeries,
  type Thresholds,
} from "../../monitor/index.js";
import { choiceOption, numberOption, UserError } from "../errors.js";

interface MonitorOpts {
  interval: string;
  once?: boolean;
  json?: boolean;
  port?: string;
  state?: string;
  source: string;
  processes?: boolean;
  count?: string;
  threshold: string[];
  color?: boolean;
  transitions?: boolean;
}

/** --threshold names (close-wait=50). */
const THRESHOLD_NAMES: Readonly<Record<string, keyof Thresholds>> = {
  "close-wait": "closeWait",
  "time-wait": "timeWait",
  "time-wait-port-share": "timeWaitPortShare",
  "fin-wait-2": "finWait2Stuck",
  "syn-rcvd": "synRcvd",
  orphans: "orphans",
  "accept-queue": "acceptQueue",
} satisfies Record<string, keyof Thresholds>;

function parseInterval(raw: string): number {
  const d = parseDuration(raw);
  if (!d.ok) throw new UserError(`--interval: ${d.error}`);
  if (d.ms < MIN_INTERVAL_MS || d.ms > MAX_INTERVAL_MS) {
    throw new UserError(`--interval: expected between ${MIN_INTERVAL_MS}ms and 1h, got "${raw}"`);
  }
  return d.ms;
}

function parseThresholds(raws: readonly string[]): Partial<Thresholds> {
  const out: Partial<Record<keyof Thresholds, number>> = {};
  for (const raw of raws) {
    const m = /^([a-z0-9-]+)=(.+)$/.exec(raw.trim());
    const key = m?.[1] !== undefined ? THRESHOLD_NAMES[m[1]] : undefined;
    if (!m || key === undefined) {
      throw new UserError(`--threshold: expected NAME=VALUE with NAME one of ${Object.keys(THRESHOLD_NAMES).join(", ")}, got "${raw}"`);
    }
    out[key] = numberOption(`--threshold ${m[1]}`, m[2] ?? "", { min: 0 });
  }
  return out;
}

function parseFilter(opts: MonitorOpts): MonitorFilter {
  const filter: { port?: number; state?: MonitorFilter["state"] } = {};
  if (opts.port !== undefined) {
    filter.port = numberOption("--port", opts.port, { min: 0, integer: true });
    if (filter.port > 65535) throw new UserError(`--port: expected an integer from 0 to 65535, got ${opts.port}`);
  }
  if (opts.state !== undefined) {
    const state = stateFromName(opts.state);
    if (state === undefined) {
      throw new UserError(`--state: expected a TCP state such as ${STATES.join(", ")} (ss spellings like time-wait work too), got "${opts.state}"`);
    }
    filter.state = state;
  }
  return filter;
}

const CURSOR_HIDE = "\x1b[?25l";
const CURSOR_SHOW = "\x1b[?25h";
const ALT_SCREEN_ON = "\x1b[?1049h";
const ALT_SCREEN_OFF = "\x1b[?1049l";
const HOME_CLEAR = "\x1b[H\x1b[2J";

async function run(opts: MonitorOpts): Promise<void> {
  const intervalMs = parseInterval(opts.interval);
  const filter = parseFilter(opts);
  const source = choiceOption("--source", opts.source, SOURCE_CHOICES) as SourceChoice;
  if (opts.processes && source === "proc") {
    throw new UserError("--processes: /proc/net/tcp does not show owning processes; use --source ss (or auto)");
  }
  const thresholds = parseThresholds(opts.threshold);
  const count = opts.count !== undefined ? numberOption("--count", opts.count, { min: 1, integer: true }) : undefined;
  const common = { source, filter, thresholds, ...(opts.processes ? { processes: true } : {}) };
  const out = process.stdout;

  if (opts.once) {
    const { snapshot } = await withCollectorErrors(() => takeSnapshot(common));
    out.write(opts.json ? JSON.stringify(snapshot, null, 2) + "\n" : renderView(snapshot, undefined, { width: out.columns ?? 80 }));
    return;
  }

  const live = out.isTTY === true && !opts.json;
  const color = live && opts.color !== false;
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  if (live) out.write(ALT_SCREEN_ON + CURSOR_HIDE);
  let last: Snapshot | undefined;
  let lastTransitions: SnapshotTransitions | undefined;
  try {
    await withCollectorErrors(() =>
      runSampler({
        ...common,
        intervalMs,
        ...(count !== undefined ? { count } : {}),
        signal: controller.signal,
        // On unless --no-transitions (commander: undefined with neither flag given).
        transitions: opts.transitions !== false,
        onSnapshot(snapshot: Snapshot, series: StateSeries, _sample, transitions?: SnapshotTransitions) {
          last = snapshot;
          lastTransitions = transitions;
          const pane = transitions ? { transitions } : {};
          if (opts.json) {
            out.write(JSON.stringify(jsonLine(snapshot, transitions)) + "\n");
          } else if (live) {
            const height = out.rows !== undefined ? out.rows - 2 : undefined;
            const view = renderView(snapshot, series, { color, width: out.columns ?? 80, intervalMs, ...pane, ...(height ? { height } : {}) });
            out.write(HOME_CLEAR + view + "\nCtrl-C to stop\n");
          } else {
            out.write(renderView(snapshot, series, { width: 80, intervalMs, ...pane }) + "\n");
          }
        },
      }),
    );
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    if (live) {
      out.write(CURSOR_SHOW + ALT_SCREEN_OFF);
      // Leave the last view on the normal screen, as `top` users expect to see what they stopped on.
      if (last) out.write(renderView(last, undefined, { width: out.columns ?? 80, intervalMs, ...(lastTransitions && { transitions: lastTransitions }) }));
    }
  }
}

/**
 * One NDJSON line (docs/monitor-json.md): the snapshot, plus `transitions` (the kernel's transitions
 * since the previous line) or `transitionsUnavailable` (why not); neither with --no-transitions.
 */
function jsonLine(snapshot: Snapshot, transitions: SnapshotTransitions | undefined): object {
  if (transitions === undefined) return snapshot;
  if (!transitions.ok) return { ...snapshot, transitionsUnavailable: transitions.reason };
  return {
    ...snapshot,
    transitions: transitions.since,
    ...(transitions.dropped > 0 && { transitionsDropped: transitions.dropped }),
    ...(transitions.lost > 0 && { transitionsLost: transitions.lost }),
  };
}

async function withCollectorErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CollectorError) throw new UserError(err.message);
    throw err;
  }
}

export function registerMonitor(program: Command): void {
  program
    .command("monitor")
    .description("watch TCP connections by state: counts, busiest ports and processes, a chart, anomalies")
    .option("--interval <duration>", "time between samples: 1s, 500ms, 2 (seconds)", "1s")
    .option("--once", "take one snapshot and exit")
    .option("--json", "print JSON (one snapshot; one per line when sampling); see docs/monitor-json.md")
    .option("--port <n>", "only connections whose local or remote port is n")
    .option("--state <state>", "only connections in this state (RFC or tool spelling: TIME_WAIT, time-wait)")
    .option("--source <source>", `where to read connections: ${SOURCE_CHOICES.join(", ")}`, "auto")
    .option("--processes", "show owning processes (auto then uses ss -p)")
    .option("--count <n>", "stop after n samples")
    .option(
      "--threshold <name=value>",
      `override an anomaly threshold (repeatable): ${Object.keys(THRESHOLD_NAMES).join(", ")}`,
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--no-color", "no ANSI colours in the live view")
    .option("--transitions", "follow the kernel's own state changes (tracefs; root): a recent-transitions pane, `transitions` in --json (default when possible)")
    .option("--no-transitions", "poll only: no kernel trace")
    .action(run);
}
