/**
 * Terminal progress for runNotebooks: "[k/n] file  cell i/m" while a notebook runs (redrawn in
 * place on a terminal), then one line per notebook with its outcome and time.
 */
import type { NotebookResult, RunProgress } from "./runner.js";

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** The line for a progress event, or undefined when there is nothing to say. */
export function formatProgress(event: RunProgress): string | undefined {
  const head = `[${event.index + 1}/${event.total}] ${event.file}`;
  switch (event.kind) {
    case "notebook-start":
      return `${head}  starting (${event.codeCells} code cells)`;
    case "cell-start":
      return `${head}  cell ${event.codeCell}/${event.codeCells}`;
    case "notebook-end":
      return `${head}  ${outcome(event.result)}`;
  }
}

function outcome(r: NotebookResult): string {
  if (r.failure?.kind === "invalid") return "FAILED (unreadable notebook)";
  if (r.cached) return `cached (${r.cells.code} code cells, unchanged)  ${seconds(r.durationMs)}`;
  const skipped = r.cells.skipped > 0 ? `, ${r.cells.skipped} skipped` : "";
  const counts = `${r.cells.executed}/${r.cells.code} code cells${skipped}`;
  return `${r.status === "passed" ? "passed" : "FAILED"} (${counts})  ${seconds(r.durationMs)}`;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Prints progress events; on a terminal the running line is redrawn instead of scrolling. */
export class ProgressPrinter {
  private pending = false;

  constructor(private readonly out: ProgressStream) {}

  readonly onProgress = (event: RunProgress): void => {
    const line = formatProgress(event);
    if (line === undefined) return;
    if (event.kind === "notebook-end") {
      this.out.write(`${this.pending ? "\r\x1b[2K" : ""}${line}\n`);
      this.pending = false;
    } else if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${line}`);
      this.pending = true;
    }
  };

  summary(results: readonly NotebookResult[], elapsedMs: number): string {
    const failed = results.filter((r) => r.status === "failed").length;
    const cached = results.filter((r) => r.cached).length;
    const ran = results.length - cached;
    return `${results.length} notebook(s): ${ran} run, ${cached} cached, ${failed} failed  ${seconds(elapsedMs)}`;
  }
}
