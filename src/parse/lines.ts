/**
 * The line bookkeeping every text parser shares: walking lines (LF, CRLF or lone CR), splitting
 * whitespace-separated fields without a regex, and accounting for every line as blank,
 * header, record, rejected (with a diagnostic) or skipped (with a reason).
 */
import type { Diagnostic, FormatName, LineAccount, SkippedLines, TextParseResult } from "./types.js";

/** Longest offending text a diagnostic quotes; a megabyte of garbage on one line stays readable. */
const MAX_QUOTED = 240;

export function quote(text: string): string {
  return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
}

/**
 * Calls `visit` for every line with its 1-based number. A line ends at LF, CRLF or a lone CR
 * (old Mac files, `tr '\n' '\r'`); a final empty segment after the last line end is not a
 * line. The line end is not part of the line.
 */
export function eachLine(text: string, visit: (line: string, lineNo: number) => void): void {
  eachLineSpan(text, (start, stop, lineNo) => visit(text.slice(start, stop), lineNo));
}

/** eachLine without making a string per line: `visit` gets the line as text[start, stop). */
export function eachLineSpan(text: string, visit: (start: number, stop: number, lineNo: number) => void): void {
  let start = 0;
  let lineNo = 0;
  const length = text.length;
  let cr = text.indexOf("\r");
  if (cr === -1) {
    // LF only: the common case, one search per line.
    while (start < length) {
      let end = text.indexOf("\n", start);
      if (end === -1) end = length;
      visit(start, end, ++lineNo);
      start = end + 1;
    }
    return;
  }
  // The next LF and the next CR, each searched again only once passed: linear overall.
  let lf = text.indexOf("\n");
  while (start < length) {
    if (lf !== -1 && lf < start) lf = text.indexOf("\n", start);
    if (cr !== -1 && cr < start) cr = text.indexOf("\r", start);
    let stop: number;
    let next: number;
    if (cr !== -1 && (lf === -1 || cr < lf)) {
      stop = cr;
      next = cr + 1 === lf ? lf + 1 : cr + 1;
    } else if (lf !== -1) {
      stop = lf;
      next = lf + 1;
    } else {
      stop = length;
      next = length;
    }
    visit(start, stop, ++lineNo);
    start = next;
  }
}

/**
 * The text with every lone CR (a CR not followed by LF) made an LF: the same lines, for the
 * readers that split on LF alone (and strip a CR before it). Same length, so offsets hold.
 * Returns the text itself when it has no lone CR.
 */
export function loneCrToLf(text: string): string {
  let cr = text.indexOf("\r");
  while (cr !== -1 && text.charCodeAt(cr + 1) === 10) cr = text.indexOf("\r", cr + 2);
  return cr === -1 ? text : text.replace(/\r(?!\n)/g, "\n");
}

/** loneCrToLf for bytes: a copy with lone CRs made LF, or the bytes themselves when there are none. */
export function loneCrToLfBytes(bytes: Uint8Array): Uint8Array {
  let cr = bytes.indexOf(13);
  while (cr !== -1 && bytes[cr + 1] === 10) cr = bytes.indexOf(13, cr + 2);
  if (cr === -1) return bytes;
  const copy = Uint8Array.from(bytes);
  for (let i = cr; i < copy.length; i++) if (copy[i] === 13 && copy[i + 1] !== 10) copy[i] = 10;
  return copy;
}

export function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 11 || code === 12;
}

export function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) if (!isSpace(line.charCodeAt(i))) return false;
  return true;
}

/** A non-negative decimal integer, or undefined (no regex: this runs per field). */
export function decimal(text: string): number | undefined {
  const value = decimalAt(text, 0, text.length);
  return value === -1 ? undefined : value;
}

/** decimal() of text[start, end) without the substring: 1-15 digits, or -1. */
export function decimalAt(text: string, start: number, end: number): number {
  const n = end - start;
  if (n <= 0 || n > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** A hexadecimal integer up to 13 digits (exact in a double), or undefined. */
export function hex(text: string): number | undefined {
  const n = text.length;
  if (n === 0 || n > 13) return undefined;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 65 && c <= 70) d = c - 55;
    else if (c >= 97 && c <= 102) d = c - 87;
    else return undefined;
    value = value * 16 + d;
  }
  return value;
}

/** Collects records, diagnostics and the line account for one parse. */
export class LineBook<T> {
  readonly records: T[] = [];
  readonly diagnostics: Diagnostic[] = [];
  private readonly skips = new Map<string, { count: number; firstLine: number }>();
  private total = 0;
  private blank = 0;
  private header = 0;
  private rejected = 0;
  private skipped = 0;
  private recordLines = 0;

  constructor(private readonly source?: string) {}

  /**
   * Visits every line; each visit must end in exactly one of blankLine, headerLine,
   * record, reject or skip, so that the account adds up.
   */
  walk(text: string, visit: (line: string, lineNo: number) => void): void {
    eachLine(text, (line, lineNo) => {
      this.total++;
      visit(line, lineNo);
    });
  }

  /** walk() for parsers that read a line in place: `visit` gets it as text[start, stop). */
  walkSpans(text: string, visit: (start: number, stop: number, lineNo: number) => void): void {
    eachLineSpan(text, (start, stop, lineNo) => {
      this.total++;
      visit(start, stop, lineNo);
    });
  }

  blankLine(): void {
    this.blank++;
  }

  headerLine(): void {
    this.header++;
  }

  record(record: T): void {
    this.records.push(record);
    this.recordLines++;
  }

  /** A line that went into a summary record built at the end (ss -s, sockstat). */
  summaryLine(): void {
    this.recordLines++;
  }

  /** Adds the summary record built from summaryLine() lines. */
  summary(record: T): void {
    this.records.push(record);
  }

  reject(line: number, text: string, reason: string): void {
    this.rejected++;
    this.diagnostics.push(this.diagnostic(reason, line, text));
  }

  skip(line: number, reason: string): void {
    this.skipped++;
    const entry = this.skips.get(reason);
    if (entry) entry.count++;
    else this.skips.set(reason, { count: 1, firstLine: line });
  }

  /** A diagnostic about a line that still became a record, or about the whole input. */
  warn(reason: string, line?: number, text?: string): void {
    this.diagnostics.push(this.diagnostic(reason, line, text));
  }

  private diagnostic(reason: string, line?: number, text?: string): Diagnostic {
    const d: { source?: string; line?: number; text?: string; reason: string } = { reason };
    if (this.source !== undefined) d.source = this.source;
    if (line !== undefined) d.line = line;
    if (text !== undefined) d.text = quote(text);
    return d;
  }

  account(): LineAccount {
    return {
      total: this.total,
      blank: this.blank,
      header: this.header,
      records: this.recordLines,
      rejected: this.rejected,
      skipped: this.skipped,
    };
  }

  skippedLines(): SkippedLines[] {
    return [...this.skips].map(([reason, { count, firstLine }]) => ({ reason, count, firstLine }));
  }

  result(format: FormatName): TextParseResult<T> {
    return {
      format,
      records: this.records,
      diagnostics: this.diagnostics,
      lines: this.account(),
      skipped: this.skippedLines(),
    };
  }
}

export interface ParseOptions {
  /** File name for diagnostics. */
  readonly source?: string;
}

/** Reads whitespace-separated tokens from one line, left to right. */
export class Cursor {
  pos = 0;
  constructor(public line: string) {
    this.skipSpace();
  }

  /** Starts over on another line (one cursor serves a whole parse). */
  reset(line: string): this {
    this.line = line;
    this.pos = 0;
    this.skipSpace();
    return this;
  }

  skipSpace(): void {
    const line = this.line;
    while (this.pos < line.length && isSpace(line.charCodeAt(this.pos))) this.pos++;
  }

  /** The next token, or undefined at the end of the line. */
  next(): string | undefined {
    const line = this.line;
    const start = this.pos;
    if (start >= line.length) return undefined;
    let i = start;
    while (i < line.length && !isSpace(line.charCodeAt(i))) i++;
    this.pos = i;
    this.skipSpace();
    return line.slice(start, i);
  }

  /** The next token without consuming it. */
  peek(): string | undefined {
    const saved = this.pos;
    const token = this.next();
    this.pos = saved;
    return token;
  }

  atEnd(): boolean {
    return this.pos >= this.line.length;
  }

  /** Everything left, trimmed at the end. */
  rest(): string {
    return this.line.slice(this.pos).trimEnd();
  }
}
