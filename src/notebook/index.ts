/**
 * The notebook runner (Node only; not part of the pure core).
 *
 *   runNotebooks(files, { outDir, timeoutMs, force, concurrency, onProgress }) → NotebookResult[]
 *
 * Executes each .ipynb WITHOUT Jupyter, in a fresh child process per notebook whose working
 * directory is the notebook's folder, through tslab's own converter and executor (the code
 * the tslab kernel runs cells with). Writes the executed notebook to `outDir` (default
 * build/notebooks, same file name) as nbformat 4.5: cell ids, execution counts, `stream`
 * outputs (stdout/stderr; the value of a cell's last expression is printed to stdout, as
 * tslab does), `display_data` from tslab.display.*, and an `error` output for a failing cell;
 * metadata.kernelspec names the tslab kernel and metadata["tcp-lifecycle"].status says
 * "passed" or "failed". The source notebook is never written.
 *
 * It stops a notebook at its first failing cell; NotebookResult.failure gives the cell, its
 * first line and the error text (type errors included), and `report` prints all of it.
 * Cell tags: skip-execution (not run), raises-exception (failure expected: recorded, the run
 * goes on), hide-input (kept in metadata.tags, and metadata.jupyter.source_hidden = true).
 * A cell running past `timeoutMs` fails as a "timeout" and its process is killed.
 * A notebook whose bytes and library build (dist/ + package.json) are unchanged since its
 * last passing run is not run again (`cached: true`); records live in <outDir>/.cache/.
 */
export { DEFAULT_CONCURRENCY, runNotebooks, runNotebook } from "./runner.js";
export type { RunOptions, RunProgress, NotebookResult, NotebookFailure, CellCounts } from "./runner.js";
export * from "./nbformat.js";
export { formatProgress, ProgressPrinter } from "./progress.js";
