/**
 * What `parse` and `parse --counts-only` share: reading the input (a file or standard input,
 * with user errors that name it) and printing tables and diagnostics.
 */
import { readFileSync } from "node:fs";
import type { AutoParseResult } from "../../parse/detect.js";
import type { Diagnostic } from "../../parse/types.js";
import { UserError } from "../errors.js";

export function readInput(file: string): { text: string; source: string } {
  const { bytes, source } = readInputBytes(file);
  return { text: bytes.toString("utf8"), source };
}

/** The input as read, undecoded (the counting fast path reads UTF-8 bytes). */
export function readInputBytes(file: string): { bytes: Buffer; source: string } {
  if (file === "-") {
    try {
      return { bytes: readFileSync(0), source: "<stdin>" };
    } catch (err) {
      throw new UserError(`<stdin>: cannot read standard input (${(err as Error).message})`);
    }
  }
  try {
    return { bytes: readFileSync(file), source: file };
  } catch (err) {
    throw fileError(file, err);
  }
}

/** A failed read of a file as the user's mistake, naming the file. */
export function fileError(file: string, err: unknown): UserError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new UserError(`${file}: no such file`);
  if (code === "EISDIR") return new UserError(`${file}: is a directory, expected a file`);
  return new UserError(`${file}: cannot read (${code ?? (err as Error).message})`);
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
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ").trimEnd())
    .join("\n");
}

export function printDiagnostics(result: Pick<AutoParseResult, "diagnostics" | "skipped">, source: string): void {
  const err: string[] = [];
  for (const d of result.diagnostics) {
    err.push(`${where(d, source)}: ${d.reason}`);
    if (d.text !== undefined) err.push(`    ${d.text}`);
  }
  for (const s of result.skipped) {
    err.push(`${source}: skipped ${s.count} line(s) from line ${s.firstLine}: ${s.reason}`);
  }
  if (err.length > 0) process.stderr.write(err.join("\n") + "\n");
}
