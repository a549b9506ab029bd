/**
 * Linux: read /proc/net/tcp and /proc/net/tcp6 directly. No child process, no /proc/<pid>/fd
 * scan, so it is the fastest source; it shows no process names (ss -p does that by walking
 * every process's file descriptors, which is what makes it slow).
 */
import { readFileSync } from "node:fs";
import { parseProcNetTcp } from "../../parse/proc.js";
import type { ConnectionRecord, Diagnostic } from "../../parse/types.js";
import type { Sample } from "../types.js";
import { CollectorError } from "./errors.js";

export const PROC_FILES = [
  { path: "/proc/net/tcp", family: 4 },
  { path: "/proc/net/tcp6", family: 6 },
] as const;

export interface ProcOptions {
  /** Read these instead of /proc (tests). */
  readonly root?: string;
}

export async function collectProc(opts: ProcOptions = {}): Promise<Sample> {
  const started = performance.now();
  const takenAt = Date.now();
  const records: ConnectionRecord[] = [];
  const diagnostics: Diagnostic[] = [];
  const read: string[] = [];
  // Synchronous on purpose: the kernel hands /proc/net/tcp out one page per read(), so 20,000
  // sockets take ~1,000 reads, and an async readFile pays a thread-pool round trip for each.
  const texts = PROC_FILES.map(({ path }) => {
    try {
      return readFileSync((opts.root ?? "") + path, "latin1");
    } catch (err) {
      return err as NodeJS.ErrnoException;
    }
  });
  PROC_FILES.forEach(({ path, family }, i) => {
    const text = texts[i];
    const full = (opts.root ?? "") + path;
    if (text instanceof Error) {
      // A kernel without IPv6 has no tcp6; that is not an error, but say so.
      if (family === 6 && text.code === "ENOENT") {
        diagnostics.push({ source: full, reason: "not present (IPv6 disabled?); IPv6 connections not listed" });
        return;
      }
      throw new CollectorError(
        text.code === "ENOENT"
          ? `${full} does not exist: the proc source needs Linux (use --source ss or netstat)`
          : `cannot read ${full}: ${text.message}`,
        full,
      );
    }
    const result = parseProcNetTcp(text ?? "", { family, source: full });
    for (const r of result.records) records.push(r);
    for (const d of result.diagnostics) diagnostics.push(d);
    read.push(full);
  });
  return {
    source: "proc",
    origin: read.join(" + "),
    takenAt,
    elapsedMs: performance.now() - started,
    records,
    diagnostics,
  };
}
