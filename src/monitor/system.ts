/**
 * The Linux settings and counters the anomaly rules compare against, read from /proc.
 * Anything that cannot be read (not Linux, a container without /proc/sys) is left
 * undefined and the rules say what they could not check.
 */
import { readFile } from "node:fs/promises";
import { parseSockstat } from "../parse/sockstat.js";
import type { SockstatTcp } from "../parse/sockstat.js";
import type { SystemFacts } from "./types.js";

export const SYSCTL_FILES = {
  ephemeralPortRange: "/proc/sys/net/ipv4/ip_local_port_range",
  finTimeoutSec: "/proc/sys/net/ipv4/tcp_fin_timeout",
  maxOrphans: "/proc/sys/net/ipv4/tcp_max_orphans",
  maxSynBacklog: "/proc/sys/net/ipv4/tcp_max_syn_backlog",
} as const;

export const SOCKSTAT_FILE = "/proc/net/sockstat";

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "latin1");
  } catch {
    return undefined;
  }
}

function integers(text: string | undefined): number[] {
  if (text === undefined) return [];
  return text
    .trim()
    .split(/\s+/)
    .map(Number)
    .filter((n) => Number.isInteger(n));
}

/** /proc/net/sockstat's TCP counters, or undefined when the file is missing or has no TCP line. */
export async function readSockstat(path: string = SOCKSTAT_FILE): Promise<SockstatTcp | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  return parseSockstat(text, { source: path }).records[0]?.tcp;
}

export async function readSystemFacts(platform: string = process.platform): Promise<SystemFacts> {
  if (platform !== "linux") return { platform };
  const [range, fin, orphans, syn, sockstat] = await Promise.all([
    readText(SYSCTL_FILES.ephemeralPortRange),
    readText(SYSCTL_FILES.finTimeoutSec),
    readText(SYSCTL_FILES.maxOrphans),
    readText(SYSCTL_FILES.maxSynBacklog),
    readSockstat(),
  ]);
  const [lo, hi] = integers(range);
  const [finTimeout] = integers(fin);
  const [maxOrphans] = integers(orphans);
  const [maxSyn] = integers(syn);
  return {
    platform,
    ...(lo !== undefined && hi !== undefined ? { ephemeralPortRange: [lo, hi] as const } : {}),
    ...(finTimeout !== undefined ? { finTimeoutSec: finTimeout } : {}),
    ...(maxOrphans !== undefined ? { maxOrphans } : {}),
    ...(maxSyn !== undefined ? { maxSynBacklog: maxSyn } : {}),
    ...(sockstat ? { sockstat } : {}),
  };
}
