/**
 * `tcp-lifecycle script <file.pkt> [--profile linux|rfc9293] [--no-rfc5961] [--strict] [--json] [--format ascii|svg]`
 *
 * Runs a packetdrill script against one simulated endpoint (src/packetdrill/run.ts) and
 * prints the ladder of the run with the failing line marked, or one JSON object
 * (docs/packetdrill.md). Exit 0: every line matched; 1: the script failed (the first
 * mismatch as `file:line: reason: expected <…> got <…>`, like packetdrill); 2: a user error
 * (unreadable or oversized file, a syntax error with file:line:column and what was expected).
 */
import { readFileSync, statSync } from "node:fs";
import type { Command } from "commander";
import { PROFILE_NAMES, type ProfileName } from "../../fsm/profiles.js";
import { MAX_SCRIPT_BYTES, formatFailure, runScript, type ScriptRun } from "../../packetdrill/index.js";
import { renderAsciiLadder } from "../../render/ascii-ladder.js";
import { renderSvgLadder } from "../../render/svg-ladder.js";
import { traceToJson } from "../../sim/json.js";
import { UserError, choiceOption } from "../errors.js";

const FORMATS = ["ascii", "svg"] as const;

interface ScriptCliOptions {
  profile: string;
  rfc5961: boolean;
  strict?: boolean;
  json?: boolean;
  format: string;
  absolute?: boolean;
}

/** Read a script file: a regular file of at most MAX_SCRIPT_BYTES, or a UserError saying why not. */
export function readScriptFile(file: string): string {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new UserError(`${file}: not a regular file; expected a packetdrill script`);
    size = st.size;
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read the script (${code === "ENOENT" ? "no such file" : code ?? String(err)})`);
  }
  if (size > MAX_SCRIPT_BYTES) throw new UserError(`${file}: ${size} bytes; a script may have at most ${MAX_SCRIPT_BYTES} bytes`);
  return readFileSync(file, "utf8");
}

/** The JSON document of docs/packetdrill.md. */
export function scriptRunToJson(run: ScriptRun): unknown {
  return {
    file: run.file,
    profile: run.profile,
    rfc5961: run.rfc5961,
    endpoint: run.endpoint,
    passed: run.passed,
    failure: run.failure,
    skipped: run.skipped,
    trace: traceToJson(run.trace, run.file),
  };
}

export function registerScript(program: Command): void {
  program
    .command("script")
    .description("run a packetdrill script against one simulated endpoint (the script plays the peer)")
    .argument("<file.pkt>", "a packetdrill script (docs/packetdrill.md lists the subset)")
    .option("--profile <profile>", `behaviour profile: ${PROFILE_NAMES.join(" or ")}`, "linux")
    .option("--no-rfc5961", "turn RFC 5961 off: RFC 793's rules for RST and SYN")
    .option("--strict", "compare window and options too; lines the model cannot run are errors")
    .option("--json", "print one JSON object instead of the ladder")
    .option("--format <format>", `ladder: ${FORMATS.join(", ")}`, "ascii")
    .option("--absolute", "ladder: sequence numbers as in the script (default: relative to each side's ISN)")
    .action((file: string, opts: ScriptCliOptions) => {
      const profile = choiceOption<ProfileName>("--profile", opts.profile, PROFILE_NAMES);
      const format = choiceOption("--format", opts.format, FORMATS);
      const text = readScriptFile(file);
      const r = runScript(text, { file, profile, rfc5961: opts.rfc5961, strict: opts.strict === true });
      if (!r.ok) {
        const shown = r.diagnostics.slice(0, 20).map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`);
        if (r.diagnostics.length > 20) shown.push(`… and ${r.diagnostics.length - 20} more`);
        throw new UserError(shown.join("\n"));
      }
      const run = r.run;
      if (opts.json) {
        process.stdout.write(JSON.stringify(scriptRunToJson(run), null, 2) + "\n");
      } else if (format === "svg") {
        process.stdout.write(renderSvgLadder(run.trace, { absolute: opts.absolute === true }) + "\n");
      } else {
        const peer = run.endpoint === "server" ? "client" : "server";
        const out: string[] = [`${file} (${run.profile} profile${run.rfc5961 ? "" : ", RFC 5961 off"}): the ${run.endpoint} is under test, the script plays the ${peer}`,
          "", renderAsciiLadder(run.trace, { absolute: opts.absolute === true }), ""];
        for (const s of run.skipped) out.push(`skipped ${file}:${s.line}: ${s.reason}`);
        out.push(run.failure === null ? `passed: every line matched` : `FAILED ✗ ${formatFailure(file, run.failure)}`);
        process.stdout.write(out.join("\n") + "\n");
      }
      if (!opts.json) for (const s of run.skipped) process.stderr.write(`tcp-lifecycle: ${file}:${s.line}: skipped: ${s.reason}\n`);
      if (!run.passed) {
        if (opts.json || format === "svg") process.stderr.write(`${formatFailure(file, run.failure!)}\n`);
        process.exitCode = 1;
      }
    });
}
