/**
 * Chapter 03's packetdrill steps as one call: run a script against the simulated Linux server
 * and say, in one line, whether every line matched. Pure (the runner is src/packetdrill, which
 * imports nothing from Node); the notebook prints the line and shows the judged segments.
 */
import { runScript, type JudgedLine, type ScriptRun } from "../packetdrill/run.js";

export interface PlayedScript {
  /** The run: its trace, the judged segments, and the first line that did not match, if any. */
  readonly run: ScriptRun;
  /** "<file> (RFC 5961 on): passed, every line matched", or where and why it failed. */
  readonly summary: string;
  /** The judged segments after the handshake (the first two judged are the peer's SYN and ACK). */
  readonly afterHandshake: readonly JudgedLine[];
}

/**
 * Run `script` with the `linux` profile. `rfc5961: false` applies RFC 793's RST and SYN rules
 * instead (RFC 9293 §3.10.7.4 lets a stack choose; Linux implements RFC 5961). A script that
 * does not parse is a bug in the chapter, so it throws with the diagnostics.
 */
export function playScript(file: string, script: string, options: { readonly rfc5961?: boolean } = {}): PlayedScript {
  const result = runScript(script, { file, profile: "linux", rfc5961: options.rfc5961 ?? true });
  if (result.ok !== true) throw new Error(result.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`).join("\n"));
  const run = result.run;
  const f = run.failure;
  const rules = run.rfc5961 ? "RFC 5961 on" : "RFC 793's rules";
  const verdict = f === null ? "passed, every line matched" : `FAILED at line ${f.line}, ${f.reason}: expected ${f.expected.trim()}`;
  return { run, summary: `${file} (${rules}): ${verdict}`, afterHandshake: run.judged.slice(2) };
}
