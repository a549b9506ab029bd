/**
 * What `parse`, `parse --counts-only`, `replay` and `simulate <file>` share: reading an input
 * (a file, a FIFO, a device or standard input) within a documented bound, with user errors
 * that name it and the limit, and printing tables and diagnostics. docs/limits.md lists the
 * bounds ("Parsing, replay and standard input").
 *
 * Standard input is read as a stream (process.stdin), never with readFileSync(0): a dependency
 * (execa) puts fd 0 into non-blocking mode, and a synchronous read of an empty pipe then fails
 * with EAGAIN whenever the producer is slower than us.
 */
import { closeSync, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { MAX_CAPTURE_BYTES } from "../../capture/file.js";
import type { AutoParseResult } from "../../parse/detect.js";
import { STATELESS_REASON } from "../../parse/ss.js";
import type { Diagnostic, LineAccount, SkippedLines } from "../../parse/types.js";
import { UserError } from "../errors.js";

const MiB = 1 << 20;

/** The bounds on what the CLI reads (docs/limits.md). */
export const INPUT_LIMITS = {
  /** A listing read by `parse` (streamed, in chunks of whole lines): at most 1 GiB in all. */
  listingBytes: 1024 * MiB,
  /** Listings whose parser needs the whole text (netstat, ss -s, sockstat): at most 128 MiB. */
  wholeListingBytes: 128 * MiB,
  /** One line of a listing: at most 1 MiB (ss -p rows are under 4 KiB). */
  lineBytes: 1 * MiB,
  /** A capture file for `replay`: at most 256 MiB (the same bound as replayCaptureFile's). */
  captureBytes: MAX_CAPTURE_BYTES,
  /** A scenario file for `simulate`: at most 16 MiB. */
  scenarioBytes: 16 * MiB,
} as const;

/** How much of a listing detectFormat samples (it reads the first 80 non-blank lines of it). */
export const SAMPLE_BYTES = 64 << 10;

/** "16 MiB", "1 GiB": a limit as the messages and docs/limits.md spell it. */
export function formatBytes(n: number): string {
  if (n >= 1024 * MiB && n % (1024 * MiB) === 0) return `${n / (1024 * MiB)} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** A failed read of a file as the user's mistake, naming the file. */
export function fileError(file: string, err: unknown): UserError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new UserError(`${file}: no such file`);
  if (code === "EISDIR") return new UserError(`${file}: is a directory, expected a file`);
  return new UserError(`${file}: cannot read (${code ?? (err as Error).message})`);
}

/** The refusal of an input over its limit. `size` when a regular file's size is known before reading. */
export function tooLarge(source: string, what: string, limit: number, size?: number): UserError {
  const seen = size !== undefined ? `is ${size} bytes` : "goes on past it (not a regular file, or still growing)";
  return new UserError(`${source}: ${what} is limited to ${formatBytes(limit)} (${limit} bytes) and this input ${seen}`);
}

function isDirectory(stats: Stats): boolean {
  return stats.isDirectory();
}

/**
 * A whole file, read synchronously within `limit` bytes: a regular file over the limit is
 * refused before any read; anything else (/dev/zero, a FIFO) is refused as soon as it passes
 * the limit, so memory stays bounded. `head` (when given) sees the first `headBytes` bytes
 * (fewer if the file is shorter) before the rest is read, and may throw: replay rejects a
 * file that is not a capture at byte 0 without reading on.
 */
export function readFileBounded(
  file: string,
  opts: { readonly limit: number; readonly what: string; readonly headBytes?: number; readonly head?: (bytes: Buffer) => void },
): Buffer {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw fileError(file, err);
  }
  try {
    let stats: Stats;
    try {
      stats = fstatSync(fd);
    } catch (err) {
      throw fileError(file, err);
    }
    if (isDirectory(stats)) throw fileError(file, Object.assign(new Error("EISDIR"), { code: "EISDIR" }));
    if (stats.isFile() && stats.size > opts.limit) throw tooLarge(file, opts.what, opts.limit, stats.size);
    const chunks: Buffer[] = [];
    let total = 0;
    let headSeen = opts.head === undefined;
    const step = stats.isFile() ? Math.min(opts.limit, stats.size) + 1 : 64 * 1024;
    for (;;) {
      // One byte past the limit is enough to know it was passed.
      const want = Math.min(step, opts.limit + 1 - total);
      const chunk = Buffer.allocUnsafe(want);
      let n: number;
      try {
        n = readSync(fd, chunk, 0, want, null);
      } catch (err) {
        throw fileError(file, err);
      }
      if (n > 0) {
        chunks.push(n === want ? chunk : chunk.subarray(0, n));
        total += n;
      }
      if (total > opts.limit) throw tooLarge(file, opts.what, opts.limit);
      if (!headSeen && (n === 0 || total >= (opts.headBytes ?? 0))) {
        headSeen = true;
        opts.head?.(Buffer.concat(chunks, total).subarray(0, opts.headBytes));
      }
      if (n === 0) break;
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** Where bytes come from: a file opened by us (any kind) or standard input as a stream. */
interface ByteSource {
  /** Up to `length` bytes into `into` at `offset`; 0 at the end. */
  read(into: Buffer, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
}

class FileSource implements ByteSource {
  constructor(private readonly handle: FileHandle) {}
  async read(into: Buffer, offset: number, length: number): Promise<number> {
    return (await this.handle.read(into, offset, length, null)).bytesRead;
  }
  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** process.stdin by async iteration: works whatever the producer's speed and fd 0's O_NONBLOCK. */
class StdinSource implements ByteSource {
  private readonly chunks = process.stdin[Symbol.asyncIterator]();
  private pending: Buffer = Buffer.alloc(0);
  async read(into: Buffer, offset: number, length: number): Promise<number> {
    if (this.pending.length === 0) {
      const next = await this.chunks.next();
      if (next.done) return 0;
      const value: unknown = next.value;
      this.pending = typeof value === "string" ? Buffer.from(value) : (value as Buffer);
    }
    const n = Math.min(length, this.pending.length);
    this.pending.copy(into, offset, 0, n);
    this.pending = this.pending.subarray(n);
    return n;
  }
  async close(): Promise<void> {
    await this.chunks.return?.();
    process.stdin.destroy();
  }
}

/** The name diagnostics and errors use for an input: the file, or `<stdin>` for "-". */
export function sourceName(file: string): string {
  return file === "-" ? "<stdin>" : file;
}

const LF = 10;
const CR = 13;

/**
 * A listing read in runs of whole lines, in bounded memory: one buffer of 1 MiB + 1 byte,
 * reused. Lines end at LF, CRLF or a lone CR; each lone CR is handed on as an LF (the
 * parsers then see the same lines), so a run never ends between a CR and its LF.
 * A line longer than INPUT_LIMITS.lineBytes, or more than `maxBytes` in all, is a UserError
 * that names the limit, raised as soon as it is seen (so /dev/zero costs 1 MiB, not 8 GB).
 */
export class LineReader {
  private buffer: Buffer;
  private start = 0;
  private end = 0;
  private eof = false;
  /** Bytes read from the input so far; the buffer's first byte is at offset read - end. */
  private read = 0;

  private constructor(
    private readonly input: ByteSource,
    readonly source: string,
    /** The file's size when it is a regular file. */
    readonly size: number | undefined,
    private readonly maxBytes: number,
    private readonly what: string,
  ) {
    // One line at the limit (with its LF) fits; a longer one fills the buffer without an LF
    // and is refused. Runs are 0.5-1 MiB, so what a run's records cost stays small.
    this.buffer = Buffer.allocUnsafe(INPUT_LIMITS.lineBytes + 1);
  }

  /** Opens a file or ("-") standard input. A regular file over maxBytes is refused here, unread. */
  static async open(file: string, opts: { readonly maxBytes: number; readonly what: string }): Promise<LineReader> {
    if (file === "-") return new LineReader(new StdinSource(), "<stdin>", undefined, opts.maxBytes, opts.what);
    let handle: FileHandle;
    try {
      handle = await open(file, "r");
    } catch (err) {
      throw fileError(file, err);
    }
    let stats: Stats;
    try {
      stats = await handle.stat();
    } catch (err) {
      await handle.close();
      throw fileError(file, err);
    }
    if (isDirectory(stats)) {
      await handle.close();
      throw fileError(file, Object.assign(new Error("EISDIR"), { code: "EISDIR" }));
    }
    if (stats.isFile() && stats.size > opts.maxBytes) {
      await handle.close();
      throw tooLarge(file, opts.what, opts.maxBytes, stats.size);
    }
    return new LineReader(new FileSource(handle), file, stats.isFile() ? stats.size : undefined, opts.maxBytes, opts.what);
  }

  async close(): Promise<void> {
    await this.input.close();
  }

  /** Reads once more into the free end of the buffer; false at the end of the input. */
  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    if (this.start > 0 && (this.end === this.buffer.length || this.start === this.end || this.start > this.buffer.length / 2)) {
      this.buffer.copy(this.buffer, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (this.end === this.buffer.length) throw new Error("LineReader: the buffer is full (checkLine should have refused the line)");
    const before = this.end;
    let n: number;
    try {
      n = await this.input.read(this.buffer, this.end, this.buffer.length - this.end);
    } catch (err) {
      throw this.source === "<stdin>" ? new UserError(`<stdin>: cannot read standard input (${(err as Error).message})`) : fileError(this.source, err);
    }
    if (n === 0) {
      this.eof = true;
      return false;
    }
    this.read += n;
    if (this.read > this.maxBytes) throw tooLarge(this.source, this.what, this.maxBytes);
    this.end += n;
    // Lone CRs become LFs; a CR at the very end waits for the next read to say whether LF follows.
    const from = Math.max(this.start, before - 1);
    const view = this.buffer.subarray(from, this.end);
    for (let cr = view.indexOf(CR); cr !== -1 && cr < view.length - 1; cr = view.indexOf(CR, cr + 1)) {
      if (view[cr + 1] !== LF) view[cr] = LF;
    }
    return true;
  }

  /** Index of the first (or last) LF in buffer[from, to), or -1. */
  private lf(from: number, to: number, last = false): number {
    const view = this.buffer.subarray(from, to);
    const i = last ? view.lastIndexOf(LF) : view.indexOf(LF);
    return i === -1 ? -1 : from + i;
  }

  /** Refuses a line that has gone on past the line limit without ending. */
  private checkLine(): void {
    if (this.end - this.start > INPUT_LIMITS.lineBytes && this.lf(this.start, this.end, true) === -1) {
      const offset = this.read - this.end + this.start;
      throw new UserError(
        `${this.source}: byte offset ${offset}: a line longer than ${formatBytes(INPUT_LIMITS.lineBytes)}, the limit for one line of a listing (expected text lines from ss, netstat or /proc/net/tcp)`,
      );
    }
  }

  /**
   * About the first `bytes` bytes, cut after their last complete line (at least the first
   * line, whatever its length within the line limit), without consuming them: what
   * detectFormat samples. Refuses a first line over the line limit.
   */
  async sample(bytes: number): Promise<string> {
    while (this.end - this.start < bytes && (await this.fill())) this.checkLine();
    while (!this.eof && this.lf(this.start, this.end) === -1) {
      this.checkLine();
      await this.fill();
    }
    const within = this.lf(this.start, Math.min(this.end, this.start + bytes), true);
    const first = this.lf(this.start, this.end);
    const stop = within !== -1 ? within + 1 : first !== -1 ? first + 1 : this.end;
    return this.buffer.toString("utf8", this.start, stop);
  }

  /**
   * The next run of whole lines (each ended by LF, the input's last line possibly not), or
   * null at the end. The bytes are the reader's buffer: use them before calling next() again.
   */
  async next(): Promise<Buffer | null> {
    for (;;) {
      if (this.eof) {
        if (this.start === this.end) return null;
        const run = this.buffer.subarray(this.start, this.end);
        this.start = this.end;
        return run;
      }
      const last = this.lf(this.start, this.end, true);
      if (last !== -1 && (this.end === this.buffer.length || this.end - this.start >= this.buffer.length / 2)) {
        const run = this.buffer.subarray(this.start, last + 1);
        this.start = last + 1;
        return run;
      }
      this.checkLine();
      if (!(await this.fill())) continue;
    }
  }

  /** Everything not yet handed out, as one buffer, within `limit` bytes in all (for the parsers that need the whole text). */
  async rest(limit: number, what: string): Promise<Buffer> {
    if (this.size !== undefined && this.size > limit) throw tooLarge(this.source, what, limit, this.size);
    const parts: Buffer[] = [];
    let total = 0;
    for (let run = await this.next(); run !== null; run = await this.next()) {
      total += run.length;
      if (total > limit) throw tooLarge(this.source, what, limit);
      parts.push(Buffer.from(run));
    }
    return Buffer.concat(parts, total);
  }
}

/**
 * Standard output with back-pressure: text is gathered and written in pieces of about 1 MiB,
 * waiting for "drain" when the pipe is full, so that a million records never make one string.
 */
export class Output {
  private parts: string[] = [];
  private size = 0;

  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
  }

  /** Writes what was gathered once there is enough of it (or always, with `force`). */
  async flush(force = false): Promise<void> {
    if (this.size === 0 || (!force && this.size < MiB)) return;
    const text = this.parts.join("");
    this.parts = [];
    this.size = 0;
    if (!process.stdout.write(text)) await new Promise<void>((resolve) => process.stdout.once("drain", resolve));
  }
}

/** How many diagnostics a JSON document keeps (all of them go to stderr as they are found). */
export const MAX_KEPT_DIAGNOSTICS = 100_000;

/**
 * The line account, skips and diagnostics of a listing parsed in runs of lines: each run's
 * line numbers are moved on by the lines before it, the counts add up, and ss's one warning
 * about a listing without a State column stays one. Diagnostics go to stderr as they come;
 * the first MAX_KEPT_DIAGNOSTICS are kept for the JSON, the rest counted.
 */
export class ChunkTally {
  /** Lines in the runs before the current one. */
  linesBefore = 0;
  readonly account = { total: 0, blank: 0, header: 0, records: 0, rejected: 0, skipped: 0 };
  readonly diagnostics: Diagnostic[] = [];
  omittedDiagnostics = 0;
  private readonly skips = new Map<string, SkippedLines>();

  constructor(private readonly source: string) {}

  /** Adds one run's result (line numbers relative to the run); returns the run's first line number. */
  add(r: { readonly lines: LineAccount; readonly skipped: readonly SkippedLines[]; readonly diagnostics: readonly Diagnostic[] }): number {
    const before = this.linesBefore;
    const shown: Diagnostic[] = [];
    for (const d of r.diagnostics) {
      if (d.reason === STATELESS_REASON && before > 0 && this.skips.has(STATELESS_REASON)) continue;
      const moved = d.line !== undefined && before > 0 ? { ...d, line: d.line + before } : d;
      shown.push(moved);
      if (this.diagnostics.length < MAX_KEPT_DIAGNOSTICS) this.diagnostics.push(moved);
      else this.omittedDiagnostics++;
    }
    if (shown.length > 0) process.stderr.write(diagnosticLines(shown, this.source).join("\n") + "\n");
    for (const key of Object.keys(this.account) as (keyof LineAccount)[]) this.account[key] += r.lines[key];
    for (const k of r.skipped) {
      const seen = this.skips.get(k.reason);
      this.skips.set(k.reason, seen ? { ...seen, count: seen.count + k.count } : { ...k, firstLine: k.firstLine + before });
    }
    this.linesBefore += r.lines.total;
    return before;
  }

  skipped(): SkippedLines[] {
    return [...this.skips.values()];
  }

  /** The skips on stderr, and a note when the JSON could not keep every diagnostic. */
  finish(json: boolean): void {
    const err = skippedLines(this.skipped(), this.source);
    if (json && this.omittedDiagnostics > 0) {
      err.push(`${this.source}: ${this.omittedDiagnostics} diagnostic(s) after the first ${MAX_KEPT_DIAGNOSTICS} are on stderr above but not in the JSON (diagnosticsOmitted)`);
    }
    if (err.length > 0) process.stderr.write(err.join("\n") + "\n");
  }
}

export function where(d: Diagnostic, source: string): string {
  const file = d.source ?? source;
  if (d.line !== undefined) return `${file}:${d.line}`;
  if (d.offset !== undefined) return `${file}@${d.offset}`;
  return file;
}

/** A plain aligned table; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return tableWith(rows, widths);
}

/** table() with the column widths given (a cell wider than its column pushes the rest right). */
export function tableWith(rows: readonly (readonly string[])[], widths: readonly number[]): string {
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ").trimEnd())
    .join("\n");
}

/** The diagnostics as stderr prints them: `file:line: reason`, then the quoted line. */
export function diagnosticLines(diagnostics: readonly Diagnostic[], source: string): string[] {
  const err: string[] = [];
  for (const d of diagnostics) {
    err.push(`${where(d, source)}: ${d.reason}`);
    if (d.text !== undefined) err.push(`    ${d.text}`);
  }
  return err;
}

export function skippedLines(skipped: AutoParseResult["skipped"], source: string): string[] {
  return skipped.map((s) => `${source}: skipped ${s.count} line(s) from line ${s.firstLine}: ${s.reason}`);
}

export function printDiagnostics(result: Pick<AutoParseResult, "diagnostics" | "skipped">, source: string): void {
  const err = [...diagnosticLines(result.diagnostics, source), ...skippedLines(result.skipped, source)];
  if (err.length > 0) process.stderr.write(err.join("\n") + "\n");
}
