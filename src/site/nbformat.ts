/**
 * The part of nbformat 4.5 the site reads: cells, their tags, and the outputs the runner
 * writes (stream, display_data, execute_result, error). Reading is strict about shape and
 * names the file and cell on a mistake, because a silently dropped output is a wrong page.
 */
import { MAX_NOTEBOOK_DEPTH } from "../notebook/nbformat.js";
import { nestingPastLimit, textPosition } from "../parse/json-text.js";
import { readFileSync } from "node:fs";

export type MultilineString = string | readonly string[];
export type MimeBundle = Readonly<Record<string, MultilineString | undefined>>;

export interface StreamOutput {
  readonly output_type: "stream";
  readonly name: "stdout" | "stderr";
  readonly text: MultilineString;
}
export interface DisplayDataOutput {
  readonly output_type: "display_data" | "execute_result";
  readonly data: MimeBundle;
  readonly metadata?: Readonly<Record<string, unknown>>;
}
export interface ErrorOutput {
  readonly output_type: "error";
  readonly ename: string;
  readonly evalue: string;
  readonly traceback: readonly string[];
}
export type Output = StreamOutput | DisplayDataOutput | ErrorOutput;

export interface CellMetadata {
  readonly tags?: readonly string[];
  readonly [key: string]: unknown;
}
export interface MarkdownCell {
  readonly cell_type: "markdown" | "raw";
  readonly id?: string;
  readonly metadata: CellMetadata;
  readonly source: MultilineString;
}
export interface CodeCell {
  readonly cell_type: "code";
  readonly id?: string;
  readonly metadata: CellMetadata;
  readonly source: MultilineString;
  readonly execution_count: number | null;
  readonly outputs: readonly Output[];
}
export type Cell = MarkdownCell | CodeCell;

export interface Notebook {
  readonly cells: readonly Cell[];
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly nbformat: number;
  readonly nbformat_minor: number;
}

export function joinText(s: MultilineString | undefined): string {
  if (s === undefined) return "";
  return typeof s === "string" ? s : s.join("");
}

export function cellTags(cell: Cell): readonly string[] {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

/** Parse a notebook's JSON text; `file` names it in errors. */
export function parseNotebook(text: string, file: string): Notebook {
  // Bounded before anything walks it: JSON.stringify and our checks recurse (docs/limits.md).
  const deep = nestingPastLimit(text, MAX_NOTEBOOK_DEPTH);
  if (deep !== undefined) {
    const { line, column } = textPosition(text, deep);
    throw new NotebookFormatError(`${file}:${line}:${column}: arrays and objects nested more than ${MAX_NOTEBOOK_DEPTH} levels deep (see docs/limits.md)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new NotebookFormatError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || !Array.isArray((raw as { cells?: unknown }).cells)) {
    throw new NotebookFormatError(`${file}: expected an nbformat 4 notebook with a "cells" array`);
  }
  const nb = raw as Notebook;
  if (nb.nbformat !== 4) throw new NotebookFormatError(`${file}: expected nbformat 4, got ${String(nb.nbformat)}`);
  nb.cells.forEach((cell, i) => {
    const where = `${file}: cell ${i + 1}`;
    if (cell.cell_type !== "code" && cell.cell_type !== "markdown" && cell.cell_type !== "raw") {
      throw new NotebookFormatError(`${where}: unknown cell_type ${JSON.stringify((cell as { cell_type?: unknown }).cell_type)}`);
    }
    if (cell.cell_type === "code") {
      if (!Array.isArray(cell.outputs)) throw new NotebookFormatError(`${where}: code cell without an "outputs" array`);
      cell.outputs.forEach((out, j) => {
        const t = (out as { output_type?: unknown }).output_type;
        if (t !== "stream" && t !== "display_data" && t !== "execute_result" && t !== "error") {
          throw new NotebookFormatError(`${where}, output ${j + 1}: unknown output_type ${JSON.stringify(t)}`);
        }
      });
    }
  });
  return nb;
}

export function readNotebook(file: string): Notebook {
  return parseNotebook(readFileSync(file, "utf8"), file);
}

/** The clean source a learner downloads: no outputs, no execution counts. */
export function cleanNotebook(nb: Notebook): Notebook {
  return {
    ...nb,
    cells: nb.cells.map((cell) =>
      cell.cell_type === "code" ? { ...cell, outputs: [], execution_count: null } : cell,
    ),
  };
}

export class NotebookFormatError extends Error {
  override readonly name = "NotebookFormatError";
}
