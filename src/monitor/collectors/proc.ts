/**
 * Linux: read /proc/net/tcp and /proc/net/tcp6 directly. No child process, no /proc/<pid>/fd
 * scan, so it is the fastest source; it shows no process names (ss -p does that by walking
 * every process's file descriptors, which is what makes it slow).
 */
import { closeSync, openSync, readSync } from "node:fs";
import { parseProcNetTcp } from "../../parse/proc.js";
import type { ConnectionRecord, Diagnostic } from "../../parse/types.js";
import type { Sample } from "../types.js";
import { CollectorError } from "./errors.js";
import { uniqueConnections } from "./unique.js";

export const PROC_FILES = [
  { path: "/proc/net/tcp", family: 4 },
  { path: "/proc/net/tcp6", family: 6 },
] as const;

export interface ProcOptions {
  /** Read these instead of /proc (tests). */
  readonly root?: string;
}

export async function collectProc(opts: ProcOptions = {}): Promise<Sample> {
  return collectProcNow(opts);
}

/** The same, synchronously (the kernel tracer looks up timewait sockets between two reads of trace_pipe). */
export function collectProcNow(opts: ProcOptions = {}): Sample {
  const started = performance.now();
  const takenAt = Date.now();
  const records: ConnectionRecord[] = [];
  const diagnostics: Diagnostic[] = [];
  const read: string[] = [];
  // Synchronous on purpose: the kernel hands /proc/net/tcp out one page per read(), so 20,000
  // sockets take ~750 reads, and an async readFile pays a thread-pool round trip for each.
  const texts = PROC_FILES.map(({ path }) => {
    try {
      return readWhole((opts.root ?? "") + path);
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
    const unique = uniqueConnections(result.records, full);
    for (const r of unique.records) records.push(r);
    for (const d of result.diagnostics) diagnostics.push(d);
    for (const d of unique.diagnostics) diagnostics.push(d);
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

/**
 * One buffer kept between samples. readFileSync sees size 0 for a /proc file and allocates a
 * fresh 64 KiB buffer for each of those page-sized reads, then concatenates them: ~50 MB of
 * garbage for 20,000 sockets. Here the reads land side by side in one buffer that only grows.
 */
let scratch = Buffer.allocUnsafe(1 << 20);

function readWhole(path: string): string {
  const fd = openSync(path, "r");
  try {
    let length = 0;
    for (;;) {
      if (scratch.length - length < 64 << 10) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, length);
        scratch = bigger;
      }
      const n = readSync(fd, scratch, length, scratch.length - length, null);
      if (n === 0) break;
      length += n;
    }
    // The kernel prints ASCII; latin1 maps bytes to characters one to one, as the parser expects.
    return scratch.toString("latin1", 0, length);
  } finally {
    closeSync(fd);
  }
}
