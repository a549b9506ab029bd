/**
 * Picking a source. auto: /proc on Linux (fastest), ss when process names are wanted,
 * the platform's netstat elsewhere. Every sample says which source it came from.
 */
import type { Sample, SourceChoice, SourceName } from "../types.js";
import { collectNetstat, netstatFlavour } from "./netstat.js";
import { collectProc } from "./proc.js";
import { collectSs } from "./ss.js";

export { CollectorError } from "./errors.js";
export { collectProc, PROC_FILES } from "./proc.js";
export { collectSs, ssArgs } from "./ss.js";
export { collectNetstat, netstatCommand, netstatFlavour } from "./netstat.js";

export const SOURCE_CHOICES: readonly SourceChoice[] = ["auto", "proc", "ss", "netstat"];

export interface CollectOptions {
  readonly source?: SourceChoice;
  /** Owning processes wanted: auto then picks ss on Linux. */
  readonly processes?: boolean;
  readonly platform?: string;
  readonly signal?: AbortSignal;
}

export function resolveSource(choice: SourceChoice, platform: string, processes = false): SourceName {
  switch (choice) {
    case "proc":
      return "proc";
    case "ss":
      return "ss";
    case "netstat":
      return netstatFlavour(platform);
    case "auto":
      if (platform === "linux") return processes ? "ss" : "proc";
      return netstatFlavour(platform);
  }
}

export async function collect(opts: CollectOptions = {}): Promise<Sample> {
  const platform = opts.platform ?? process.platform;
  const source = resolveSource(opts.source ?? "auto", platform, opts.processes ?? false);
  const run = opts.signal ? { signal: opts.signal } : {};
  switch (source) {
    case "proc":
      return collectProc();
    case "ss":
      return collectSs({ ...run, processes: opts.processes ?? true });
    default:
      return collectNetstat(source, run);
  }
}
