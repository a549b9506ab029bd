/**
 * bench/run.mjs on throw-away bench files: the contract checks, per-bench child processes,
 * results JSON and the merged BENCHMARKS.md. Nothing here is timed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const RUNNER = path.resolve("bench/run.mjs");
let dir: string;

function bench(name: string, body: string): void {
  writeFileSync(path.join(dir, `${name}.bench.mjs`), `export const name = ${JSON.stringify(name)};\n${body}\n`);
}

function runBench(...names: string[]) {
  return spawnSync("node", [RUNNER, ...names], {
    encoding: "utf8",
    env: { ...process.env, BENCH_DIR: dir, BENCH_REPORT: path.join(dir, "BENCHMARKS.md") },
  });
}

const figure = (extra: string) =>
  `{ name: "speed", value: 12, unit: "s", baseline: { name: "target", value: 10, unit: "s" }, ratio: 1.2, ${extra} }`;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "bench-runner-"));
  // Each bench reports its own pid, to prove it ran in its own process.
  bench("alpha", `export async function run() { return { figures: [${figure('target: { op: "<", value: 10 }, note: "pid " + process.pid')}] }; }`);
  bench("beta", `export async function run() { return { figures: [${figure('target: { better: "higher", value: 5 }')}, ${figure('target: "looks right", met: true')}] }; }`);
  bench("broken", `export async function run() { return { figures: [{ name: "x", value: "fast", unit: "s" }] }; }`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!existsSync("dist/index.js"))("bench/run.mjs", () => {
  it("runs a subset, writes results with machine info and a report with target verdicts", () => {
    const r = runBench("alpha", "beta");
    expect(r.stderr).toContain("bench: alpha");
    expect(r.status).toBe(0);
    const alpha = JSON.parse(readFileSync(path.join(dir, "results/alpha.json"), "utf8"));
    expect(alpha.machine.node).toBe(process.version);
    expect(typeof alpha.machine.cpu).toBe("string");
    expect(alpha.date).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(alpha.figures[0].met).toBe(false); // 12 s is not < 10 s
    expect(alpha.figures[0].note).not.toBe(`pid ${process.pid}`);
    const beta = JSON.parse(readFileSync(path.join(dir, "results/beta.json"), "utf8"));
    expect(beta.figures.map((f: { met: boolean }) => f.met)).toEqual([true, true]);
    const report = readFileSync(path.join(dir, "BENCHMARKS.md"), "utf8");
    expect(report).toContain("## alpha");
    expect(report).toContain("## beta");
    expect(report).toContain("| speed | 12.00 s | target | 10.00 s | 1.20 | < 10.00 s | **no** |");
    expect(report).toMatch(/Node v\d+/);
  });

  it("keeps benches not run this time in the report", () => {
    const betaFile = path.join(dir, "results/beta.json");
    writeFileSync(betaFile, JSON.stringify({ ...JSON.parse(readFileSync(betaFile, "utf8")), date: "2000-01-01T00:00:00.000Z" }));
    const r = runBench("alpha");
    expect(r.status).toBe(0);
    const report = readFileSync(path.join(dir, "BENCHMARKS.md"), "utf8");
    expect(report).toContain("## beta");
    expect(report).toContain("Run 2000-01-01 00:00:00 UTC");
  });

  it("names every problem in a malformed result and exits 1", () => {
    const r = runBench("broken");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("figures[0] (x).value: expected a finite number");
    expect(r.stderr).toContain("figures[0] (x).baseline: expected { name: string, value: number, unit: string }");
    expect(existsSync(path.join(dir, "results/broken.json"))).toBe(false);
  });

  it("rejects an unknown bench name with the list of benches", () => {
    const r = runBench("gamma");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown bench "gamma"; available: alpha, beta, broken');
  });

  it("reports a bench that throws, and still writes the others", () => {
    mkdirSync(path.join(dir, "results"), { recursive: true });
    bench("throws", `export async function run() { throw new Error("no socket for you"); }`);
    const r = runBench("throws", "alpha");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/throws FAILED: Error: no socket for you/);
    expect(r.stderr).toContain("speed: 12.00 s");
  });
});
