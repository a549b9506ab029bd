/**
 * `ss` from iproute2: -t TCP, -a all states (listeners too), -n numeric, -o timers,
 * -e uid and inode, and -p owning processes (which needs privileges to see other users'
 * processes, and walks /proc/<pid>/fd, so it is the slow part).
 */
import { parseSs } from "../../parse/ss.js";
import { uniqueConnections } from "./unique.js";
import type { Sample } from "../types.js";
import { runTool, type RunOptions } from "./run-tool.js";

export interface SsOptions extends RunOptions {
  /** Ask for owning processes (-p). Default true: naming the process is why one picks ss. */
  readonly processes?: boolean;
}

export function ssArgs(opts: SsOptions = {}): string[] {
  return [opts.processes === false ? "-tanoe" : "-tanoep"];
}

export async function collectSs(opts: SsOptions = {}): Promise<Sample> {
  const started = performance.now();
  const takenAt = Date.now();
  const args = ssArgs(opts);
  const origin = `ss ${args.join(" ")}`;
  const text = await runTool("ss", args, opts);
  const result = parseSs(text, { source: origin });
  const unique = uniqueConnections(result.records, origin);
  return {
    source: "ss",
    origin,
    takenAt,
    elapsedMs: performance.now() - started,
    records: unique.records,
    diagnostics: [...result.diagnostics, ...unique.diagnostics],
  };
}
