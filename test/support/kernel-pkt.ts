/**
 * Runs a packetdrill script against the real Linux kernel: the script is read with our parser
 * (src/packetdrill) and its events are handed, as JSON, to ./kernel-pkt/executor.py, which
 * plays the remote peer through a TUN device inside a private network namespace and runs the
 * system calls on real sockets (conventions and semantics: the executor's header comment).
 *
 *   const r = await runScriptOnKernel(text, "close.pkt");   // { passed, failure, skipped, log }
 *   const gate = kernelPktAvailable();                      // { ok: true } | { ok: false, reason }
 *
 * Needs Linux, root, /dev/net/tun, python3 (standard library only) and iproute2's `ip`.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { parseScript } from "../../src/packetdrill/index.js";

export const EXECUTOR = fileURLToPath(new URL("./kernel-pkt/executor.py", import.meta.url));
/** packetdrill's default timing tolerance. */
export const DEFAULT_TOLERANCE_USECS = 4000;
/** The executor caps itself at 150 s of wall clock; this is the safety net above it. */
const RUN_TIMEOUT_MS = 170_000;

export interface KernelFailure {
  readonly line: number;
  readonly expected: string | null;
  readonly actual: string | null;
  readonly reason: string;
}

export interface KernelResult {
  readonly passed: boolean;
  readonly failure: KernelFailure | null;
  /** Events the executor did not run (shell commands, python blocks, lines we cannot model). */
  readonly skipped: readonly { readonly line: number; readonly text: string; readonly reason: string }[];
  /** What happened, one line per event or segment: `t=0.010 > S. 0:0(0) ack 1 win 64240 <...>`. */
  readonly log: readonly string[];
}

export function pythonCommand(): string {
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

/**
 * Parses `text` and runs it on this machine's kernel. A syntax error throws (with every
 * diagnostic); a script that runs and fails resolves with `passed: false` and the failure.
 * The tolerance is `opts.toleranceUsecs`, else the script's `--tolerance_usecs`, else 4000.
 */
export async function runScriptOnKernel(text: string, file: string, opts: { toleranceUsecs?: number } = {}): Promise<KernelResult> {
  const parsed = parseScript(text, { file });
  if (!parsed.ok) {
    throw new Error(`${file}: cannot parse:\n${parsed.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`).join("\n")}`);
  }
  const fromScript = Number(parsed.script.options["tolerance_usecs"]);
  const toleranceUsecs = opts.toleranceUsecs ?? (Number.isInteger(fromScript) && fromScript >= 0 ? fromScript : DEFAULT_TOLERANCE_USECS);
  const input = JSON.stringify({
    file,
    toleranceUsecs,
    events: parsed.script.events.map((e) => ({ line: e.at.line, text: e.text, time: e.time, body: e.body })),
  });
  const run = await execa(pythonCommand(), ["-B", EXECUTOR], { input, timeout: RUN_TIMEOUT_MS, reject: false, stripFinalNewline: true });
  const lastLine = String(run.stdout).trim().split("\n").pop() ?? "";
  let result: KernelResult | undefined;
  try {
    result = JSON.parse(lastLine) as KernelResult;
  } catch {
    result = undefined;
  }
  if (result === undefined || typeof result.passed !== "boolean") {
    const why = run.timedOut ? `timed out after ${RUN_TIMEOUT_MS} ms` : `exit ${String(run.exitCode)}`;
    throw new Error(`${file}: the kernel executor gave no result (${why}):\n${String(run.stdout)}\n${String(run.stderr)}`);
  }
  if (run.exitCode !== 0) {
    throw new Error(`${file}: the kernel executor could not run the script (exit ${String(run.exitCode)}): ${result.failure?.reason ?? ""}`);
  }
  return result;
}

let availability: { ok: true } | { ok: false; reason: string } | undefined;

/** Whether scripts can run on this machine's kernel, and if not why (checked once, then cached). */
export function kernelPktAvailable(): { ok: true } | { ok: false; reason: string } {
  availability ??= checkAvailability();
  return availability;
}

function checkAvailability(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== "linux") return { ok: false, reason: `not Linux (${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: "not running as root (a TUN device and a network namespace need it)" };
  if (!existsSync("/dev/net/tun")) return { ok: false, reason: "/dev/net/tun does not exist" };
  let out: string;
  try {
    // --probe: a private network namespace, tun0 up with its addresses and route, then exit.
    out = execFileSync(pythonCommand(), ["-B", EXECUTOR, "--probe"], { encoding: "utf8", timeout: 20_000, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    return { ok: false, reason: `${pythonCommand()} cannot run the executor probe: ${(e as Error).message.split("\n")[0]}` };
  }
  try {
    const probe = JSON.parse(out.trim()) as { ok: boolean; reason?: string };
    return probe.ok ? { ok: true } : { ok: false, reason: `probe failed: ${probe.reason ?? "unknown"}` };
  } catch {
    return { ok: false, reason: `probe printed no result: ${out.slice(0, 200)}` };
  }
}
