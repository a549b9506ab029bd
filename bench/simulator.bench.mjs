/**
 * Simulator throughput (issue 2): segment events per second on one core, with the full
 * trace (every segment and state change recorded with its explanation) — the normal path,
 * not a counting mode.
 *
 * A "segment event" is one segment record in the trace: a segment sent, whether the link
 * then delivers it (one arrival processed) or loses it. Two workloads, each timed for about
 * two seconds after a warm-up:
 *   - presets: all twelve presets in turn, each with a fresh seed (short runs, so this
 *     includes per-run setup, timers and state changes);
 *   - bulk: a 1 MB transfer after a handshake, then a close, over a link with 1 % loss and
 *     1 % reordering (long runs: retransmissions, duplicate ACKs).
 * Baseline: the target, 2,000,000 segment events/s. ratio = value / target, so
 * higher is better and ≥ 1 meets the target.
 *
 * Ladders of large traces (reliability review, defect 7): the time to draw a bulk transfer's
 * ladder, per trace event, at 10,000 and at 100,000 trace events (the most a run may record,
 * docs/limits.md). The baseline is the 10,000-event trace in the same run; ratio =
 * time(100,000) / (10 × time(10,000)): 1 is linear, 10 would be quadratic (the drawing this
 * replaced was worse: 2.6 s for a 1e7-byte transfer, 41 s for 3e7, by the review's figures).
 */
import { PRESET_NAMES, PRESETS, runScenario, validateScenario } from "../dist/sim/index.js";
import { renderAsciiLadder, renderSvgLadder } from "../dist/render/index.js";

export const name = "simulator";

const TARGET = 2_000_000;
const SECONDS = Number(process.env.SIM_BENCH_SECONDS ?? 2);

function bulkScenario() {
  const r = validateScenario({
    name: "bulk",
    steps: {
      client: [{ at: 0, do: "connect" }, { on: "established", do: "send", bytes: 1_000_000 }, { at: 30, do: "close" }],
      server: [{ at: 0, do: "listen" }, { on: "eof", do: "close" }],
    },
    link: { delay: 0.01, loss: 0.01, reorder: 0.01 },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.scenario;
}

/**
 * Run `once(i)` (which returns the segments it produced) for about SECONDS of CPU time.
 * The rate is per CPU second of this process (process.cpuUsage), which is what "on one
 * core" means, and stays meaningful when other processes share the machine; the wall-clock
 * rate is reported beside it.
 */
function measure(once) {
  for (let i = 0; i < 2000; i++) once(i); // warm-up: let the JIT settle
  let segments = 0;
  let runs = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let cpu = 0;
  while (cpu < SECONDS) {
    for (let k = 0; k < 50; k++) segments += once(runs++);
    const c = process.cpuUsage(c0);
    cpu = (c.user + c.system) / 1e6;
  }
  const wall = (performance.now() - t0) / 1000;
  return { rate: segments / cpu, wallRate: segments / wall, segments, runs, seconds: cpu, wall };
}

/** A bulk transfer whose trace has `events` trace events: a data segment and its ACK per 1460 bytes. */
function bulkTrace(events) {
  const r = validateScenario({ start: "established", steps: { client: [{ at: 0, do: "send", bytes: (events / 2) * 1460 }] } });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const trace = runScenario(r.scenario).trace;
  if (trace.events.length !== events) throw new Error(`expected ${events} trace events, got ${trace.events.length}`);
  return trace;
}

/** The median CPU time of `repeats` calls of draw(trace), after one warm-up call, in seconds. */
function drawTime(draw, trace, repeats) {
  draw(trace);
  const times = [];
  for (let i = 0; i < repeats; i++) {
    globalThis.gc?.();
    const c0 = process.cpuUsage();
    const out = draw(trace);
    const c = process.cpuUsage(c0);
    if (out.length === 0) throw new Error("empty ladder");
    times.push((c.user + c.system) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function ladderFigures() {
  const SMALL = 10_000;
  const LARGE = 100_000;
  const small = bulkTrace(SMALL);
  const large = bulkTrace(LARGE);
  const figures = [];
  for (const [label, draw] of [["ASCII", (t) => renderAsciiLadder(t)], ["SVG", (t) => renderSvgLadder(t)]]) {
    const perSmall = (drawTime(draw, small, 9) / SMALL) * 1e6;
    const perLarge = (drawTime(draw, large, 5) / LARGE) * 1e6;
    const ratio = perLarge / perSmall;
    figures.push({
      name: `simulator: ${label} ladder, time per trace event at 100,000 vs 10,000 events`,
      value: Math.round(perLarge * 1000) / 1000,
      unit: "µs per trace event",
      baseline: { name: `the same ladder at ${SMALL} trace events`, value: Math.round(perSmall * 1000) / 1000, unit: "µs per trace event" },
      ratio: Math.round(ratio * 100) / 100,
      target: "≈ 1 (linear in the trace); at most 1.5",
      met: ratio <= 1.5,
      note: `ratio = time(${LARGE}) / (10 × time(${SMALL})); 1 is linear, 10 quadratic (the drawing this replaced took 2.6 s at 1e7 bytes and 41 s at 3e7: worse than quadratic). ` +
        `Bulk transfer (data segments and their ACKs, crossing), CPU time, median of 5 (large) and 9 (small) draws after a warm-up; ` +
        `${LARGE} events is the most a run may record (docs/limits.md): ${(perLarge * LARGE / 1e6).toFixed(2)} s per ladder`,
    });
  }
  return figures;
}

export async function run() {
  const scenarios = PRESET_NAMES.map((n) => PRESETS[n].scenario);
  const presets = measure((i) => runScenario(scenarios[i % scenarios.length], { seed: i + 1 }).segments);
  const bulk = bulkScenario();
  const bulkRun = measure((i) => runScenario(bulk, { seed: i + 1 }).segments);
  const baseline = { name: "issue 2 target", value: TARGET, unit: "segment events/s" };
  const figure = (label, m, what) => ({
    name: label,
    value: Math.round(m.rate),
    unit: "segment events/s",
    baseline,
    ratio: Math.round((m.rate / TARGET) * 1000) / 1000,
    target: { op: ">=", value: TARGET, unit: "segment events/s" },
    note: `higher is better; ratio = value / target. ${what}: ${m.segments} segments in ${m.runs} runs, ${m.seconds.toFixed(2)} s of CPU (${Math.round(m.wallRate)} events/s by wall clock over ${m.wall.toFixed(2)} s), full trace with explanations, one core`,
  });
  return {
    figures: [
      figure("simulator: presets mix", presets, "all 12 presets round-robin, fresh seed per run"),
      figure("simulator: bulk transfer, 1% loss", bulkRun, "1 MB transfer + close, 1% loss, 1% reordering"),
      ...ladderFigures(),
    ],
  };
}
