/**
 * `netstat`, the fallback where there is no /proc and no ss: macOS and the BSDs
 * (`netstat -an -p tcp`, a dot before the port), Windows (`netstat -ano`, with PIDs), and
 * Linux hosts that only have net-tools (`netstat -antpo`: PID/Program and timers).
 */
import { parseNetstatBsd } from "../../parse/netstat-bsd.js";
import { parseNetstatLinux } from "../../parse/netstat-linux.js";
import { parseNetstatWindows } from "../../parse/netstat-windows.js";
import type { ConnectionRecord, ParseResult } from "../../parse/types.js";
import { uniqueConnections } from "./unique.js";
import type { Sample, SourceName } from "../types.js";
import { runTool, type RunOptions } from "./run-tool.js";

type NetstatSource = Extract<SourceName, `netstat-${string}`>;

interface Flavour {
  readonly source: NetstatSource;
  readonly args: readonly string[];
  readonly parse: (text: string, opts: { source: string }) => ParseResult<ConnectionRecord>;
}

const FLAVOURS: Readonly<Record<NetstatSource, Flavour>> = {
  "netstat-linux": { source: "netstat-linux", args: ["-antpo"], parse: parseNetstatLinux },
  "netstat-bsd": { source: "netstat-bsd", args: ["-an", "-p", "tcp"], parse: parseNetstatBsd },
  "netstat-windows": { source: "netstat-windows", args: ["-ano"], parse: parseNetstatWindows },
};

/** Which netstat this platform has (process.platform values). */
export function netstatFlavour(platform: string): NetstatSource {
  if (platform === "win32") return "netstat-windows";
  if (platform === "linux") return "netstat-linux";
  return "netstat-bsd";
}

export function netstatCommand(source: NetstatSource): string {
  return `netstat ${FLAVOURS[source].args.join(" ")}`;
}

export async function collectNetstat(source: NetstatSource, opts: RunOptions = {}): Promise<Sample> {
  const flavour = FLAVOURS[source];
  const started = performance.now();
  const takenAt = Date.now();
  const origin = netstatCommand(source);
  const text = await runTool("netstat", flavour.args, opts);
  const result = flavour.parse(text, { source: origin });
  const unique = uniqueConnections(result.records, origin);
  const diagnostics = [...result.diagnostics, ...unique.diagnostics];
  return { source, origin, takenAt, elapsedMs: performance.now() - started, records: unique.records, diagnostics };
}
