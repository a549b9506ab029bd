#!/usr/bin/env node
/**
 * The benchmark runner: `npm run bench [-- <name…>]`.
 *
 * Each bench/<name>.bench.mjs exports `name` (= <name>) and `async function run()` that
 * returns `{ figures: [{ name, value, unit, baseline: { name, value, unit }, ratio, note?, target? }] }`.
 * A figure's baseline is measured in the same run (or is the target the issue names), and
 * `ratio` is the bench's own comparison (say which way round in `note` or the figure name).
 *
 * `target` (optional) is one of:
 *   { op: "<" | "<=" | ">" | ">=", value, unit? }  the runner checks `value op target.value`
 *   { better: "lower" | "higher", value, unit? }   same as "<=" / ">="
 *   a string, with `met: true|false` on the figure  for targets a number can't express
 *
 * Every bench runs in a fresh child process (`node --expose-gc`), so `process.resourceUsage().maxRSS`
 * is that bench's own peak. The runner builds nothing: dist/ must exist (`npm run build:lib`).
 * It writes bench/results/<name>.json (figures + machine) and regenerates BENCHMARKS.md from
 * every results file, so benches not run this time keep their last figures.
 */
import { fork } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// BENCH_DIR and BENCH_REPORT exist for the runner's own tests (test/bench-runner.test.ts).
const BENCH_DIR = process.env.BENCH_DIR ? path.resolve(process.env.BENCH_DIR) : path.join(ROOT, "bench");
const RESULTS_DIR = path.join(BENCH_DIR, "results");
const REPORT = process.env.BENCH_REPORT ? path.resolve(process.env.BENCH_REPORT) : path.join(ROOT, "BENCHMARKS.md");
const SUFFIX = ".bench.mjs";
/** Per-bench wall-clock limit; a bench that runs longer is killed and reported as failed. */
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 20 * 60_000);

if (process.argv[2] === "--child") {
  await child(process.argv[3]);
} else {
  process.exitCode = await parent(process.argv.slice(2));
}

async function parent(args) {
  if (!existsSync(path.join(ROOT, "dist", "index.js"))) {
    process.stderr.write("bench: dist/index.js is missing; run `npm run build:lib` first (the runner builds nothing).\n");
    return 1;
  }
  const available = readdirSync(BENCH_DIR).filter((f) => f.endsWith(SUFFIX)).map((f) => f.slice(0, -SUFFIX.length)).sort();
  const unknown = args.filter((a) => !available.includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown bench ${unknown.map((u) => `"${u}"`).join(", ")}; available: ${available.join(", ") || "(none)"}\n`);
    return 2;
  }
  const selected = args.length > 0 ? available.filter((n) => args.includes(n)) : available;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const machine = machineInfo();
  let failures = 0;
  for (const name of selected) {
    process.stderr.write(`bench: ${name} …\n`);
    const outcome = await runChild(path.join(BENCH_DIR, name + SUFFIX));
    if (!outcome.ok) {
      failures++;
      process.stderr.write(`bench: ${name} FAILED: ${outcome.error}\n`);
      continue;
    }
    const problems = checkResult(outcome.result);
    if (outcome.name !== name) problems.push(`exports name "${outcome.name}", but the file is ${name}${SUFFIX}`);
    if (problems.length > 0) {
      failures++;
      process.stderr.write(`bench: ${name} returned a malformed result:\n  ${problems.join("\n  ")}\n`);
      continue;
    }
    const record = {
      name,
      date: new Date().toISOString(),
      machine,
      wallSeconds: round(outcome.wallMs / 1000, 3),
      maxRssMB: round(outcome.maxRssKB / 1024, 1),
      figures: outcome.result.figures.map((f) => ({ ...f, met: targetMet(f) })),
    };
    writeFileSync(path.join(RESULTS_DIR, `${name}.json`), JSON.stringify(record, null, 2) + "\n");
    for (const f of record.figures) {
      process.stderr.write(`  ${f.name}: ${fmt(f.value)} ${f.unit} (baseline ${fmt(f.baseline.value)} ${f.baseline.unit}, ratio ${fmt(f.ratio)})${f.met === null ? "" : f.met ? " target met" : " TARGET MISSED"}\n`);
    }
  }
  writeFileSync(REPORT, renderReport(available));
  process.stderr.write(`bench: wrote ${REPORT}\n`);
  return failures > 0 ? 1 : 0;
}

function runChild(file) {
  return new Promise((resolve) => {
    const proc = fork(fileURLToPath(import.meta.url), ["--child", file], {
      cwd: ROOT,
      execArgv: ["--expose-gc"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let settled = false;
    const finish = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      finish({ ok: false, error: `timed out after ${TIMEOUT_MS / 1000} s` });
    }, TIMEOUT_MS);
    proc.on("message", (msg) => finish(msg));
    proc.on("error", (err) => finish({ ok: false, error: String(err) }));
    proc.on("exit", (code, signal) => finish({ ok: false, error: `exited (${signal ?? code}) without a result` }));
  });
}

async function child(file) {
  const t0 = performance.now();
  try {
    const mod = await import(pathToFileURL(file).href);
    if (typeof mod.run !== "function") throw new Error(`${path.basename(file)} does not export async function run()`);
    const result = await mod.run();
    process.send({
      ok: true,
      name: mod.name,
      result,
      wallMs: performance.now() - t0,
      maxRssKB: process.resourceUsage().maxRSS,
    }, () => process.exit(0));
  } catch (err) {
    process.send({ ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) }, () => process.exit(1));
  }
}

/** Names every problem in a bench's return value, so a bench author sees them all at once. */
function checkResult(result) {
  const problems = [];
  if (!result || !Array.isArray(result.figures)) return ["run() must return { figures: [...] }"];
  result.figures.forEach((f, i) => {
    const at = `figures[${i}]${f && typeof f.name === "string" ? ` (${f.name})` : ""}`;
    if (!f || typeof f !== "object") return problems.push(`${at}: expected an object`);
    if (typeof f.name !== "string" || f.name === "") problems.push(`${at}.name: expected a string`);
    if (typeof f.value !== "number" || !Number.isFinite(f.value)) problems.push(`${at}.value: expected a finite number, got ${f.value}`);
    if (typeof f.unit !== "string") problems.push(`${at}.unit: expected a string`);
    const b = f.baseline;
    if (!b || typeof b.name !== "string" || typeof b.value !== "number" || typeof b.unit !== "string") {
      problems.push(`${at}.baseline: expected { name: string, value: number, unit: string }`);
    }
    if (typeof f.ratio !== "number" || Number.isNaN(f.ratio)) problems.push(`${at}.ratio: expected a number`);
    const t = f.target;
    if (t !== undefined && typeof t !== "string" && typeof t !== "boolean") {
      if (typeof t !== "object" || typeof t.value !== "number" || !(["<", "<=", ">", ">="].includes(t.op) || ["lower", "higher"].includes(t.better))) {
        problems.push(`${at}.target: expected { op: "<"|"<="|">"|">=", value } or { better: "lower"|"higher", value } or a string`);
      }
    }
  });
  return problems;
}

/** true / false when the target can be checked, null when there is none (or it can't be). */
function targetMet(f) {
  if (typeof f.met === "boolean") return f.met;
  const t = f.target;
  if (t === undefined || typeof t === "string") return null;
  if (typeof t === "boolean") return t;
  if (t.unit !== undefined && t.unit !== f.unit) return null;
  const op = t.op ?? (t.better === "lower" ? "<=" : ">=");
  switch (op) {
    case "<": return f.value < t.value;
    case "<=": return f.value <= t.value;
    case ">": return f.value > t.value;
    default: return f.value >= t.value;
  }
}

function describeTarget(f) {
  const t = f.target;
  if (t === undefined) return "";
  if (typeof t === "string") return t;
  if (typeof t === "boolean") return "";
  const op = t.op ?? (t.better === "lower" ? "<=" : ">=");
  const sym = { "<": "<", "<=": "≤", ">": ">", ">=": "≥" }[op];
  return `${sym} ${fmt(t.value)} ${t.unit ?? f.unit}`;
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGB: round(os.totalmem() / 2 ** 30, 1),
  };
}

function renderReport(available) {
  const records = readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(RESULTS_DIR, f), "utf8")));
  const lines = [
    "# Benchmarks",
    "",
    "Generated by `npm run bench` (bench/run.mjs) from `bench/results/*.json`; do not edit by hand.",
    "Each bench runs in its own process. Every figure is compared with the baseline the issue",
    "names, measured in the same run (or the issue's target), as a ratio (value ÷ baseline",
    "unless the figure's note says otherwise). `npm run bench -- <name>` re-runs one bench and",
    "keeps the others' last results.",
    "",
  ];
  for (const r of records) {
    const stale = !available.includes(r.name) ? " (its bench file is gone)" : "";
    lines.push(`## ${r.name}${stale}`, "");
    const m = r.machine;
    lines.push(`Run ${r.date.replace("T", " ").replace(/\.\d+Z$/, " UTC")} on Node ${m.node}, ${m.cpu} (${m.cores} cores), ${m.platform}, ${m.memoryGB} GB; the bench process took ${r.wallSeconds} s and peaked at ${r.maxRssMB} MB RSS.`, "");
    lines.push("| Figure | Value | Baseline | Baseline value | Ratio | Target | Met |");
    lines.push("|---|---:|---|---:|---:|---|:---:|");
    const notes = [];
    for (const f of r.figures) {
      const met = f.met === true ? "yes" : f.met === false ? "**no**" : "–";
      lines.push(`| ${cell(f.name)} | ${fmt(f.value)} ${cell(f.unit)} | ${cell(f.baseline.name)} | ${fmt(f.baseline.value)} ${cell(f.baseline.unit)} | ${fmt(f.ratio)} | ${cell(describeTarget(f))} | ${met} |`);
      if (f.note) notes.push(`- ${f.name}: ${f.note}`);
    }
    lines.push("");
    if (notes.length > 0) lines.push(...notes, "");
  }
  if (records.length === 0) lines.push("No results yet: run `npm run build:lib && npm run bench`.", "");
  return lines.join("\n");
}

function cell(s) {
  return String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function fmt(x) {
  if (typeof x !== "number") return String(x);
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

function round(x, digits) {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}
