/**
 * Every command that starts child processes or temporary files ends them when its PID (not
 * its process group) gets SIGINT, SIGTERM or SIGHUP, at a random moment (seeded, printed):
 * afterwards no process of the run is alive, its temporary folder is empty, and no tracefs
 * instance or network namespace of its PID is left.
 *
 * Each run gets a marker in its environment, which every child inherits (node children,
 * python, tcpdump through execa, `ip netns exec`), so /proc/<pid>/environ finds what it
 * started even after reparenting to PID 1.
 */
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { checkTracefs, listInstances } from "../src/index.js";
import { SEED } from "./support/property.js";
import { hasCommand, inCI } from "./support/tools.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const isRoot = process.getuid?.() === 0;
if (!isRoot && inCI) throw new Error("CI=true but the signal test needs root (to read other processes' environ and to trace)");
if (!isRoot) console.warn("skipping the signal tests: they need root");

const scratch = mkdtempSync(join(tmpdir(), "tcp-lifecycle-signals-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A notebook whose process starts a grandchild (sleep) and a server, then waits. */
const NOTEBOOK = join(scratch, "waits.ipynb");
writeFileSync(
  NOTEBOOK,
  JSON.stringify({
    cells: [
      {
        cell_type: "code", id: "a", metadata: {}, execution_count: null, outputs: [],
        source: 'import { spawn } from "node:child_process";\nimport * as net from "node:net";\nconst sleeper = spawn("sleep", ["300"], { stdio: "ignore" });\nconst server = net.createServer().listen(0, "127.0.0.1");\nconsole.log("started", sleeper.pid);',
      },
      { cell_type: "code", id: "b", metadata: {}, execution_count: null, outputs: [], source: "await new Promise((r) => setTimeout(r, 60_000));" },
    ],
    metadata: { kernelspec: { display_name: "TypeScript", language: "typescript", name: "tslab" } },
    nbformat: 4,
    nbformat_minor: 5,
  }),
);

interface Target {
  readonly name: string;
  readonly args: readonly string[];
  /** Longest delay before the signal, ms: somewhere inside the command's run. */
  readonly withinMs: number;
  readonly needs?: readonly string[];
}

const TARGETS: readonly Target[] = [
  { name: "demo crash", args: ["demo", "crash"], withinMs: 800 },
  { name: "demo time-wait-pileup --capture", args: ["demo", "time-wait-pileup", "--connections", "300", "--capture"], withinMs: 2500, needs: ["tcpdump"] },
  { name: "demo abort-rst --capture", args: ["demo", "abort-rst", "--capture"], withinMs: 1200, needs: ["tcpdump"] },
  { name: "trace", args: ["trace"], withinMs: 1500 },
  { name: "notebooks run", args: ["notebooks", "run", NOTEBOOK, "--force", "--out", join(scratch, "out")], withinMs: 6000 },
];

function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").includes(marker)) found.push(Number(entry));
    } catch {
      // Gone already, or a kernel thread.
    }
  }
  return found;
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const RUNS_PER_TARGET = Number(process.env.SIGNAL_RUNS ?? 2);
const tracefs = checkTracefs();

describe.skipIf(!isRoot)(`signals to the PID at random moments (seed ${SEED}; replay with FC_SEED=${SEED})`, () => {
  for (const target of TARGETS) {
    const missing = (target.needs ?? []).filter((t) => !hasCommand(t));
    if (missing.length > 0 && inCI) throw new Error(`CI=true but ${target.name} needs ${missing.join(", ")}`);
    it.skipIf(missing.length > 0)(`${target.name}: nothing is left after SIGINT, SIGTERM or SIGHUP`, async () => {
      const seed = (SEED + target.name.length * 7919) | 0;
      const plan = fc.sample(fc.tuple(fc.constantFrom(...SIGNALS), fc.integer({ min: 150, max: target.withinMs })), { seed, numRuns: RUNS_PER_TARGET });
      for (const [signal, delay] of plan) {
        const marker = `TCP_LIFECYCLE_SIGNAL_TEST=${process.pid}-${Math.random().toString(36).slice(2)}`;
        const tmp = join(scratch, `tmp-${Math.random().toString(36).slice(2)}`);
        mkdirSync(tmp);
        const [key, value] = marker.split("=") as [string, string];
        const child = spawn(process.execPath, [CLI, ...target.args], {
          stdio: ["ignore", "ignore", "pipe"],
          env: { ...process.env, [key]: value, TMPDIR: tmp },
        });
        const pid = child.pid ?? -1;
        let stderr = "";
        child.stderr?.setEncoding("utf8").on("data", (c: string) => (stderr += c));
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        await new Promise((r) => setTimeout(r, delay));
        child.kill(signal);
        const outcome = await Promise.race([exited.then(() => "exited"), new Promise((r) => setTimeout(() => r("hung"), 15_000))]);
        const what = `${target.name}: ${signal} after ${delay} ms (seed ${seed})`;
        expect(outcome, `${what}: did not exit within 15 s; stderr: ${stderr.slice(0, 500)}`).toBe("exited");
        // Children get a moment to act on their own signal (a notebook's process runs its cleanups).
        let left = processesWith(marker);
        for (let i = 0; i < 20 && left.length > 0; i++) {
          await new Promise((r) => setTimeout(r, 100));
          left = processesWith(marker);
        }
        const leftover = left.map((p) => `${p}: ${readFileSync(`/proc/${p}/cmdline`, "latin1").replaceAll("\0", " ").slice(0, 120)}`);
        for (const p of left) process.kill(p, "SIGKILL");
        expect(leftover, `${what}: processes left`).toEqual([]);
        expect(readdirSync(tmp), `${what}: temporary files left`).toEqual([]);
        if (tracefs.ok) expect(listInstances(tracefs.root).filter((n) => n.startsWith(`tcp-lifecycle-${pid}-`)), `${what}: tracefs instance left`).toEqual([]);
        if (hasCommand("ip")) {
          const namespaces = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
          expect(namespaces.split("\n").filter((l) => l.includes(String(pid))), `${what}: namespaces left`).toEqual([]);
        }
      }
    }, 120_000);
  }
});
