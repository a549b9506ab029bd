/**
 * Fuzzing every CLI entry point: argument vectors built from each command's own options
 * (commander's definitions, so a new option is fuzzed without touching this file) and a pool of
 * awkward values and inputs. Each case runs the real CLI as a child and must end with exit 0, 1
 * or 2, no stack trace on stderr, within a time bound and a memory bound.
 *
 * Commands that would run until stopped get a bound appended (`monitor --count 1`,
 * `trace --duration 0.1`); `site serve` is left out (it serves until signalled: test/site.serve).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command, Option } from "commander";
import fc from "fast-check";
import { buildProgram } from "../../src/cli/main.js";

const ROOT = join(import.meta.dirname, "..", "..");
export const CLI = join(ROOT, "dist", "cli", "main.js");
const FIX = join(ROOT, "test", "fixtures");

/** Per case: wall-clock and peak-RSS bounds. */
export const CASE_TIMEOUT_MS = 30_000;
export const CASE_MAX_RSS_KB = 1_500_000;

const scratch = mkdtempSync(join(tmpdir(), "tcp-lifecycle-fuzz-"));
const bom = join(scratch, "bom.json");
writeFileSync(bom, '\ufeff{"steps":{}}');
const deep = join(scratch, "deep.json");
writeFileSync(deep, "[".repeat(20_000) + "]".repeat(20_000));
const crOnly = join(scratch, "cr.txt");
writeFileSync(crOnly, "State Recv-Q Send-Q Local Address:Port Peer Address:Port\rESTAB 0 0 127.0.0.1:1 127.0.0.1:2\r");
const junk = join(scratch, "junk.bin");
writeFileSync(junk, Buffer.from([0, 1, 2, 3, 255, 254, 10, 13, 0]));
export const SCRATCH = scratch;

/** Inputs a command may be given as a file. */
const FILES = [
  join(FIX, "parse", "linux-ss-an.txt"),
  join(FIX, "parse", "linux-proc-tcp.txt"),
  join(FIX, "parse", "linux-netstat-ant.txt"),
  join(FIX, "pcap", "four-way-close-v4.pcap"),
  join(FIX, "pcap", "refused-v4.pcap"),
  "/dev/null",
  "/nonexistent/file",
  scratch, // a folder
  bom,
  deep,
  crOnly,
  junk,
];

const VALUES = [
  "", "0", "-1", "1", "2", "7", "65535", "65536", "1e308", "NaN", "Infinity", "-0", "0x10", "1.5", "abc", "x".repeat(3000),
  "../..", "/dev/null", "[::1]:80", "time-wait", "ESTABLISHED", "json", "svg", "ascii", "markdown", "pkt", "linux", "rfc9293",
  "ss", "proc", "client", "server", "\u0000", "ü", "-", "1h", "500ms", "close-wait=3", "four-way-close", "lost-fin",
];

/** Positional arguments each command accepts, by path ("notebooks run"). */
const POSITIONALS: Readonly<Record<string, readonly string[]>> = {
  demo: ["list", "bogus", "connect-refused", "abort-rst", ""],
  simulate: ["four-way-close", "lost-fin", "simultaneous-open", "bogus", ...FILES],
  replay: FILES,
  parse: FILES,
  script: [join(FIX, "pkt"), ...FILES],
  "notebooks run": ["/dev/null", "/nonexistent/x.ipynb", junk, bom],
  "notebooks clean": ["/dev/null", "/nonexistent/x.ipynb", junk],
  "site build": ["/nonexistent/x.ipynb", junk],
};

/** Appended last, so they win over a fuzzed value: commands that would otherwise not end. */
const BOUNDS: Readonly<Record<string, readonly string[]>> = {
  monitor: ["--count", "1", "--interval", "100ms"],
  trace: ["--duration", "0.1"],
  "site build": ["--out", join(scratch, "site"), "--no-execute"],
  "notebooks run": ["--out", join(scratch, "nb")],
};

const SKIP = new Set(["site serve", "help"]);

export interface Leaf {
  readonly path: string;
  readonly options: readonly Option[];
  /** The command has a required positional argument. */
  readonly needsArgument: boolean;
}

function leaves(cmd: Command, prefix = ""): Leaf[] {
  const out: Leaf[] = [];
  for (const sub of cmd.commands) {
    const path = prefix ? `${prefix} ${sub.name()}` : sub.name();
    if (SKIP.has(path)) continue;
    if (sub.commands.length > 0) out.push(...leaves(sub, path));
    else out.push({ path, options: sub.options, needsArgument: sub.registeredArguments.some((a) => a.required) });
  }
  return out;
}

export const LEAVES = leaves(buildProgram());

/** One argv for one command: its path, some of its options with fuzzed values, positionals, the bounds. */
export function argvArbFor(leaf: Leaf): fc.Arbitrary<string[]> {
  const optionArbs = leaf.options.map((o) => {
    const flag = o.long ?? o.short ?? "";
    const takesValue = o.required || o.optional;
    return takesValue ? fc.constantFrom(...VALUES, ...FILES).map((v) => [flag, v]) : fc.constant([flag]);
  });
  const positional = POSITIONALS[leaf.path] ?? [];
  // Mandatory options are always given (a run that only says "required option missing" tests little).
  const mandatory = leaf.options.flatMap((o, i) => (o.mandatory ? [i] : []));
  const picks =
    optionArbs.length > 0
      ? fc.subarray(optionArbs.map((_, i) => i), { maxLength: Math.min(4, optionArbs.length) }).map((p) => [...new Set([...mandatory, ...p])])
      : fc.constant([] as number[]);
  const values = optionArbs.length > 0 ? fc.tuple(...optionArbs) : fc.constant([] as string[][]);
  const pos =
    positional.length > 0
      ? fc.subarray([...positional], { minLength: leaf.needsArgument ? 1 : 0, maxLength: leaf.needsArgument ? 1 : Math.min(2, positional.length) })
      : fc.constant([] as string[]);
  return fc
    .tuple(picks, values, pos)
    .map(([picked, vals, ps]) => [...leaf.path.split(" "), ...picked.flatMap((i) => vals[i] ?? []), ...ps, ...(BOUNDS[leaf.path] ?? [])]);
}

/** One argv for any command. */
export const argvArb: fc.Arbitrary<string[]> = fc.constantFrom(...LEAVES).chain(argvArbFor);

export interface CaseResult {
  readonly argv: readonly string[];
  readonly code: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  readonly ms: number;
  readonly maxRssKb: number;
}

/** Run the CLI under GNU time (peak RSS), stdin empty, killed after the time bound. */
export function runCase(argv: readonly string[]): Promise<CaseResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn("/usr/bin/time", ["-f", "RSSKB=%M", process.execPath, CLI, ...argv], {
      stdio: ["ignore", "ignore", "pipe"],
      cwd: scratch,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (c: string) => {
      if (stderr.length < 1_000_000) stderr += c;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), CASE_TIMEOUT_MS);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      const m = /RSSKB=(\d+)\s*$/.exec(stderr);
      // GNU time reports the child's status as "Command exited with non-zero status N" / "Command terminated by signal N".
      const own = stderr.replace(/(Command (exited with non-zero status|terminated by signal) \d+\n)?RSSKB=\d+\s*$/, "");
      const killed = /Command terminated by signal (\d+)/.exec(stderr);
      resolve({
        argv,
        code: killed ? null : code,
        signal: signal ?? (killed ? `signal ${killed[1]}` : null),
        stderr: own,
        ms: Date.now() - started,
        maxRssKb: m ? Number(m[1]) : -1,
      });
    });
  });
}

/** What is wrong with a case's outcome, or null. */
export function problem(r: CaseResult): string | null {
  if (r.signal !== null) return `killed by ${r.signal} after ${r.ms} ms`;
  if (r.code !== 0 && r.code !== 1 && r.code !== 2) return `exit code ${r.code}`;
  if (/^\s+at .+(:\d+:\d+\)?|\(native\))$/m.test(r.stderr)) return "a stack trace on stderr";
  if (r.maxRssKb > CASE_MAX_RSS_KB) return `peak RSS ${r.maxRssKb} KiB > ${CASE_MAX_RSS_KB}`;
  return null;
}
