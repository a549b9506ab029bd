/**
 * Count the states in a saved `ss -tan` listing of any size, in fixed-size chunks: the file
 * is never held whole in memory, and reusing one buffer avoids faulting in fresh pages for
 * every megabyte (which costs more than the counting itself on a 100 MB file). Each chunk
 * ends at a line end and goes to parse's countStatesSs; diagnostics keep file line numbers.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { STATES } from "../fsm/states.js";
import { emptyCounts } from "../parse/count.js";
import { STATELESS_REASON, countStatesSs, type CountOptions, type StateCountResult } from "../parse/ss.js";
import type { Diagnostic, LineAccount, SkippedLines } from "../parse/types.js";

/** countStatesSs's result for the whole file (line numbers are the file's), and the bytes read. */
export interface FileCountResult extends StateCountResult {
  readonly bytes: number;
}

export interface FileCountOptions {
  /** The state of every line when the listing has no State column. */
  readonly state?: CountOptions["state"];
  /** How much of each row the fast path checks: see CountOptions. Default "state". */
  readonly check?: CountOptions["check"];
  /** Bytes read at a time; grows if one line is longer. Default 4 MiB. */
  readonly chunkBytes?: number;
}

const LF = 10;

export function countStatesSsFile(path: string, opts: FileCountOptions = {}): FileCountResult {
  const counts = emptyCounts();
  const diagnostics: Diagnostic[] = [];
  let buffer = Buffer.allocUnsafe(Math.max(64, opts.chunkBytes ?? 4 << 20));
  let bytes = 0;
  let carry = 0;
  const account = { total: 0, blank: 0, header: 0, records: 0, rejected: 0, skipped: 0 };
  const skipped = new Map<string, SkippedLines>();
  const ssOpts: CountOptions = { source: path, ...(opts.state ? { state: opts.state } : {}), ...(opts.check ? { check: opts.check } : {}) };
  const fd = openSync(path, "r");
  try {
    for (;;) {
      if (carry === buffer.length) {
        // One line fills the buffer: make room rather than split it.
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, carry);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, carry, buffer.length - carry, null);
      bytes += n;
      const end = carry + n;
      if (end === 0) break;
      // At end of file the last line may lack its newline; otherwise stop after the last one.
      let cut = n === 0 ? end : buffer.lastIndexOf(LF, end - 1) + 1;
      if (cut === 0) {
        carry = end;
        continue;
      }
      const r = countStatesSs(buffer.subarray(0, cut), ssOpts);
      // The lines of earlier chunks: this chunk's line numbers start after them.
      const lines = account.total;
      for (const s of STATES) counts[s] += r.counts[s];
      for (const d of r.diagnostics) {
        // countStatesSs warns once per call about a listing without a State column; once per file here.
        if (d.reason === STATELESS_REASON && lines > 0 && skipped.has(STATELESS_REASON)) continue;
        diagnostics.push(d.line !== undefined ? { ...d, line: d.line + lines } : d);
      }
      for (const key of Object.keys(account) as (keyof LineAccount)[]) account[key] += r.lines[key];
      for (const s of r.skipped) {
        const seen = skipped.get(s.reason);
        skipped.set(s.reason, seen ? { ...seen, count: seen.count + s.count } : { ...s, firstLine: s.firstLine + lines });
      }
      buffer.copy(buffer, 0, cut, end);
      carry = end - cut;
      if (n === 0) break;
    }
  } finally {
    closeSync(fd);
  }
  return { counts, total: account.records, lines: account, bytes, diagnostics, skipped: [...skipped.values()] };
}
