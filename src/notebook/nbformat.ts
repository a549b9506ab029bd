/**
 * The parts of nbformat 4.5 (https://nbformat.readthedocs.io/en/latest/format_description.html)
 * the runner reads and writes, a reader that reports what is wrong with a file, and the
 * "committed clean" check (no outputs, no execution counts).
 */
import { nestingPastLimit, textPosition } from "../parse/json-text.js";

/** nbformat stores text either as one string or as a list of lines that keep their "\n". */
export type MultilineString = string | string[];

export interface StreamOutput {
  output_type: "stream";
  name: "stdout" | "stderr";
  text: MultilineString;
}

/** A MIME bundle: "image/svg+xml" → markup, "image/png" → base64, "text/plain" → text. */
export type MimeBundle = Record<string, MultilineString>;

export interface DisplayDataOutput {
  output_type: "display_data";
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface ExecuteResultOutput {
  output_type: "execute_result";
  execution_count: number | null;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface ErrorOutput {
  output_type: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}

export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export interface CellMetadata {
  tags?: string[];
  [key: string]: unknown;
}

export interface CodeCell {
  cell_type: "code";
  id?: string;
  source: MultilineString;
  metadata: CellMetadata;
  outputs: Output[];
  execution_count: number | null;
}

export interface MarkdownCell {
  cell_type: "markdown";
  id?: string;
  source: MultilineString;
  metadata: CellMetadata;
  attachments?: Record<string, MimeBundle>;
}

export interface RawCell {
  cell_type: "raw";
  id?: string;
  source: MultilineString;
  metadata: CellMetadata;
}

export type Cell = CodeCell | MarkdownCell | RawCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

/** Tags the runner honours (the same names nbclient and Jupyter Book use). */
export const CELL_TAGS = {
  /** The cell is not executed; its outputs stay empty. */
  skipExecution: "skip-execution",
  /** The cell is expected to fail: its error is recorded as an `error` output and the run goes on. */
  raisesException: "raises-exception",
  /** The site shows only the cell's outputs. */
  hideInput: "hide-input",
} as const;

/** The kernel the executed notebooks name: tslab's TypeScript kernel, as `tslab install` registers it. */
export const TSLAB_KERNELSPEC = { name: "tslab", display_name: "TypeScript", language: "typescript" } as const;

export function joinText(text: MultilineString): string {
  return typeof text === "string" ? text : text.join("");
}

/** Split text the way Jupyter writes it: one entry per line, each keeping its "\n". */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

export function cellTags(cell: Cell): string[] {
  const tags = cell.metadata.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

export function hasTag(cell: Cell, tag: string): boolean {
  return cellTags(cell).includes(tag);
}

export type ReadResult = { ok: true; notebook: Notebook } | { ok: false; error: string };

/**
 * How deeply a notebook may nest arrays and objects (a real one needs about 10). Deeper ones
 * are refused before anything walks them: structuredClone and JSON.stringify recurse, and
 * overflow the stack some thousands of levels down. docs/limits.md.
 */
export const MAX_NOTEBOOK_DEPTH = 256;

/** Parse a .ipynb file's text. `file` names it in the error. */
export function parseNotebook(text: string, file: string): ReadResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `${file}: not valid JSON${jsonErrorPosition(text, err)}` };
  }
  const deep = nestingPastLimit(text, MAX_NOTEBOOK_DEPTH);
  if (deep !== undefined) {
    const { line, column } = textPosition(text, deep);
    return { ok: false, error: `${file}:${line}:${column}: arrays and objects nested more than ${MAX_NOTEBOOK_DEPTH} levels deep (see docs/limits.md)` };
  }
  const fail = (what: string): ReadResult => ({ ok: false, error: `${file}: ${what}` });
  if (!isObject(raw)) return fail("expected a JSON object (an nbformat 4 notebook)");
  if (raw["nbformat"] !== 4) return fail(`expected "nbformat": 4, got ${JSON.stringify(raw["nbformat"])}`);
  const cells = raw["cells"];
  if (!Array.isArray(cells)) return fail(`expected "cells" to be an array`);
  for (const [i, cell] of cells.entries()) {
    const where = `cell ${i + 1}`;
    if (!isObject(cell)) return fail(`${where}: expected an object`);
    const type = cell["cell_type"];
    if (type !== "code" && type !== "markdown" && type !== "raw") {
      return fail(`${where}: expected "cell_type" code, markdown or raw, got ${JSON.stringify(type)}`);
    }
    const source = cell["source"];
    if (typeof source !== "string" && !(Array.isArray(source) && source.every((s) => typeof s === "string"))) {
      return fail(`${where}: expected "source" to be a string or a list of strings`);
    }
    if (cell["metadata"] === undefined) cell["metadata"] = {};
    if (!isObject(cell["metadata"])) return fail(`${where}: expected "metadata" to be an object`);
    const tags = cell["metadata"]["tags"];
    if (tags !== undefined && !(Array.isArray(tags) && tags.every((t) => typeof t === "string"))) {
      return fail(`${where}: expected "metadata.tags" to be a list of strings`);
    }
    if (type === "code") {
      if (cell["outputs"] === undefined) cell["outputs"] = [];
      if (!Array.isArray(cell["outputs"])) return fail(`${where}: expected "outputs" to be an array`);
      if (cell["execution_count"] === undefined) cell["execution_count"] = null;
    }
  }
  if (raw["metadata"] === undefined) raw["metadata"] = {};
  if (!isObject(raw["metadata"])) return fail(`expected "metadata" to be an object`);
  if (typeof raw["nbformat_minor"] !== "number") raw["nbformat_minor"] = 0;
  return { ok: true, notebook: raw as unknown as Notebook };
}

/**
 * What keeps a notebook from being committed clean: outputs or execution counts. Empty when
 * clean. Each problem names the cell (1-based, counting every cell).
 */
export function cleanProblems(notebook: Notebook): string[] {
  const problems: string[] = [];
  notebook.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    if (cell.outputs.length > 0) problems.push(`cell ${i + 1}: has ${cell.outputs.length} output(s)`);
    if (cell.execution_count !== null) problems.push(`cell ${i + 1}: has execution_count ${cell.execution_count}`);
  });
  return problems;
}

/** The first non-blank line of a cell, for reports. */
export function firstLine(cell: Cell): string {
  const line = joinText(cell.source).split("\n").find((l) => l.trim() !== "") ?? "";
  return line.length > 100 ? line.slice(0, 99) + "…" : line;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function jsonErrorPosition(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /position (\d+)/.exec(message);
  if (!m) return ` (${message})`;
  const offset = Number(m[1]);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return ` at line ${line}, column ${column} (character offset ${offset}): ${message}`;
}


