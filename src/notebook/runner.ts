/**
 * Runs .ipynb notebooks without Jupyter: each notebook in a fresh child process (child.ts)
 * whose working directory is the notebook's folder, as under Jupyter, executing its code
 * cells through tslab's converter and executor. Writes the executed notebook (nbformat 4.5)
 * to the output folder and never touches the source.
 */
import { fork, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { buildHash, cacheKey, lastRecord, readCache, sha256, writeCache } from "./cache.js";
import {
  CELL_TAGS,
  TSLAB_KERNELSPEC,
  firstLine,
  hasTag,
  joinText,
  parseNotebook,
  splitLines,
  type Cell,
  type CodeCell,
  type ErrorOutput,
  type Notebook,
  type Output,
} from "./nbformat.js";
import type { ChildCell, ChildMessage, ParentMessage } from "./protocol.js";
import { ensureSelfLink } from "./self-link.js";
import { onTerminate } from "../process/cleanup.js";

export interface RunOptions {
  /** Where executed notebooks go (file name kept). Default "build/notebooks". */
  outDir?: string;
  /** Per-cell time limit. Default 60 000 ms. A cell over it fails and its process is killed. */
  timeoutMs?: number;
  /** Execute even when the cache says nothing changed. */
  force?: boolean;
  /** Cache records. Default <outDir>/.cache. */
  cacheDir?: string;
  /** The library build whose hash is part of the cache key. Default this package's dist/. */
  libraryDir?: string;
  /** Notebooks run at the same time, each in its own process. Default 1. */
  concurrency?: number;
  onProgress?: (event: RunProgress) => void;
}

export type RunProgress =
  | { kind: "notebook-start"; file: string; index: number; total: number; codeCells: number }
  | { kind: "cell-start"; file: string; index: number; total: number; codeCell: number; codeCells: number; cell: number }
  | { kind: "notebook-end"; file: string; index: number; total: number; result: NotebookResult };

export interface NotebookFailure {
  /** error: a cell failed (runtime or type error); timeout; crash: the process died; invalid: unreadable file. */
  kind: "error" | "timeout" | "crash" | "invalid";
  /** 1-based position of the failing cell among all cells. */
  cell?: number;
  /** 1-based position among code cells, and their count. */
  codeCell?: number;
  codeCells?: number;
  firstLine?: string;
  /** The error text: "1:7 - Type 'string' is not assignable…", "Error: boom", … */
  message: string;
  /** The whole report as printed: notebook, cell, first line, error text. */
  report: string;
}

export interface CellCounts {
  /** All cells, code cells, code cells executed, code cells skipped (skip-execution). */
  total: number;
  code: number;
  executed: number;
  skipped: number;
}

export interface NotebookResult {
  /** The notebook as given (absolute or relative to the current directory). */
  file: string;
  status: "passed" | "failed";
  /** True when the cache answered and nothing ran. */
  cached: boolean;
  durationMs: number;
  cells: CellCounts;
  /** The executed notebook (written even when a cell failed, for inspection). */
  outPath: string;
  failure?: NotebookFailure;
  /** The TypeScript tslab compiled with. */
  typescript?: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;
// Creating tslab's converter loads TypeScript and every lib/@types declaration: seconds on a busy machine.
const STARTUP_TIMEOUT_MS = 120_000;

const packageRoot = fileURLToPath(new URL("../..", import.meta.url));
const require = createRequire(import.meta.url);

/** tslab's version, part of the cache key. */
function tslabVersion(): string {
  return (require("tslab/package.json") as { version: string }).version;
}

/** The TypeScript tslab bundles (it compiles the cells). */
function tslabTypescriptVersion(): string {
  const fromTslab = createRequire(require.resolve("tslab/package.json"));
  return (fromTslab("@tslab/typescript-for-tslab/package.json") as { version: string }).version;
}

function childScript(): string {
  const beside = fileURLToPath(new URL("./child.js", import.meta.url));
  // Under vitest this module is the .ts source; the child always runs from the build.
  return existsSync(beside) ? beside : join(packageRoot, "dist", "notebook", "child.js");
}

/**
 * How many notebooks run at once by default: one more than the cores. The chapters that use
 * live sockets spend much of their time waiting on timers and the kernel, and the spare
 * process keeps the CPU busy meanwhile (measured: 7 chapters on 2 cores, 16.8 s with 2,
 * 15.0 s with 3, no gain from 4).
 */
export const DEFAULT_CONCURRENCY = availableParallelism() + 1;

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "name too long",
};

/**
 * Why `dir` cannot be an output folder, or null when it is one or can be created: it must be a
 * folder this process can write into, or a path whose nearest existing ancestor is such a
 * folder. Creates nothing. The message names `dir` as given and says what was expected.
 */
export function outputFolderProblem(dir: string): string | null {
  const errno = (err: unknown): string => {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    return ERRNO_TEXT[code] !== undefined ? `${code} (${ERRNO_TEXT[code]})` : code;
  };
  const wanted = resolve(dir);
  let at = wanted;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Missing, or a parent is a file: look further up for what is there.
      if ((code === "ENOENT" || code === "ENOTDIR") && dirname(at) !== at) {
        at = dirname(at);
        continue;
      }
      return `cannot create ${dir}: ${errno(err)}`;
    }
    if (!isDir) return at === wanted ? `${dir} exists and is not a folder` : `cannot create ${dir}: ${at} is not a folder`;
    try {
      accessSync(at, fsConstants.W_OK | fsConstants.X_OK);
    } catch (err) {
      return at === wanted ? `cannot write into ${dir}: ${errno(err)}` : `cannot create ${dir}: ${errno(err)} on ${at}`;
    }
    return null;
  }
}

/** Run notebooks `concurrency` at a time (default DEFAULT_CONCURRENCY); results in input order. */
export async function runNotebooks(files: readonly string[], options: RunOptions = {}): Promise<NotebookResult[]> {
  const outDir = resolve(options.outDir ?? "build/notebooks");
  const unusable = outputFolderProblem(outDir) ?? (options.cacheDir !== undefined ? outputFolderProblem(options.cacheDir) : null);
  if (unusable !== null) throw new Error(`runNotebooks: ${unusable}`);
  const names = new Map<string, string>();
  for (const f of files) {
    const other = names.get(basename(f));
    if (other !== undefined && resolve(other) !== resolve(f)) {
      throw new Error(`two notebooks would write ${join(outDir, basename(f))}: ${other} and ${f}`);
    }
    names.set(basename(f), f);
  }
  ensureSelfLink(packageRoot);
  const library = buildHash(options.libraryDir ?? join(packageRoot, "dist"), join(packageRoot, "package.json"));
  const context: RunContext = { ...options, outDir, library, tslab: tslabVersion() };
  const results: NotebookResult[] = new Array(files.length);
  const order = longestFirst(files, context);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < order.length) {
      const index = order[next++] as number;
      results[index] = await runOne(files[index] as string, index, files.length, context);
    }
  };
  const lanes = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, files.length));
  await Promise.all(Array.from({ length: lanes }, worker));
  return results;
}

/**
 * The order to start notebooks in: the longest last time first, never-run ones before all
 * (they may be long). With several lanes this is the classic longest-processing-time rule:
 * the chapters that mostly wait on sockets and timers start together, and the short,
 * CPU-bound ones fill the gaps instead of queueing behind them at the end.
 */
function longestFirst(files: readonly string[], ctx: RunContext): number[] {
  const last = files.map((f) => lastRecord<NotebookResult>(cacheFileOf(f, ctx))?.durationMs ?? Infinity);
  return files.map((_, i) => i).sort((a, b) => (last[b] as number) - (last[a] as number) || a - b);
}

function cacheFileOf(file: string, ctx: RunContext): string {
  return join(cacheDirOf(ctx), basename(file) + ".json");
}

function cacheDirOf(ctx: RunContext): string {
  return ctx.cacheDir ?? join(ctx.outDir, ".cache");
}

/** Run one notebook. */
export async function runNotebook(file: string, options: RunOptions = {}): Promise<NotebookResult> {
  const [result] = await runNotebooks([file], options);
  return result as NotebookResult;
}

interface RunContext extends RunOptions {
  outDir: string;
  library: string;
  tslab: string;
}

async function runOne(file: string, index: number, total: number, ctx: RunContext): Promise<NotebookResult> {
  const started = performance.now();
  const outPath = join(ctx.outDir, basename(file));
  const cacheFile = cacheFileOf(file, ctx);
  const done = (result: NotebookResult): NotebookResult => {
    ctx.onProgress?.({ kind: "notebook-end", file, index, total, result });
    return result;
  };
  const shown = displayPath(file);

  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const message = `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
    return done(invalid(file, outPath, started, `${shown}: ${message}`));
  }
  const parsed = parseNotebook(bytes.toString("utf8"), shown);
  if (!parsed.ok) return done(invalid(file, outPath, started, parsed.error));
  const notebook = parsed.notebook;

  const key = cacheKey({ notebook: sha256(bytes), library: ctx.library, tslab: ctx.tslab });
  if (!ctx.force) {
    const hit = readCache<NotebookResult>(cacheFile, key, outPath);
    if (hit) return done({ ...hit, file, outPath, cached: true, durationMs: performance.now() - started });
  }

  const codeIndexes = notebook.cells.flatMap((c, i) => (c.cell_type === "code" ? [i] : []));
  ctx.onProgress?.({ kind: "notebook-start", file, index, total, codeCells: codeIndexes.length });
  const toRun: ChildCell[] = codeIndexes
    .filter((i) => !hasTag(notebook.cells[i] as Cell, CELL_TAGS.skipExecution))
    .map((i) => ({
      index: i,
      source: joinText((notebook.cells[i] as Cell).source),
      expectError: hasTag(notebook.cells[i] as Cell, CELL_TAGS.raisesException),
    }));

  const codeCacheDir = join(cacheDirOf(ctx), "v8");
  const outcome = await executeInChild(resolve(file), toRun, codeCacheDir, ctx.timeoutMs ?? DEFAULT_TIMEOUT_MS, (cellIndex) =>
    ctx.onProgress?.({
      kind: "cell-start",
      file,
      index,
      total,
      cell: cellIndex + 1,
      codeCell: codeIndexes.indexOf(cellIndex) + 1,
      codeCells: codeIndexes.length,
    }),
  );

  const executed = assemble(notebook, outcome);
  let failure: NotebookFailure | undefined;
  if (outcome.failure) {
    const at = outcome.failure.index;
    const cell = at === undefined ? undefined : notebook.cells[at];
    const codeCell = at === undefined ? undefined : codeIndexes.indexOf(at) + 1;
    const line = cell ? firstLine(cell) : undefined;
    const where = at === undefined ? "" : `: cell ${at + 1} (code cell ${codeCell} of ${codeIndexes.length})`;
    const what = outcome.failure.kind === "timeout" ? "timed out" : outcome.failure.kind === "crash" ? "crashed" : "failed";
    const report = [
      `${shown}${where} ${what}`,
      ...(line !== undefined ? [`  first line: ${line}`] : []),
      ...outcome.failure.message.split("\n").map((l) => `  ${l}`),
    ].join("\n");
    failure = {
      kind: outcome.failure.kind,
      ...(at !== undefined ? { cell: at + 1, codeCell, codeCells: codeIndexes.length } : {}),
      ...(line !== undefined ? { firstLine: line } : {}),
      message: outcome.failure.message,
      report,
    };
  }
  executed.metadata["tcp-lifecycle"] = { status: failure ? "failed" : "passed" };
  const text = JSON.stringify(executed, null, 1) + "\n";
  mkdirSync(ctx.outDir, { recursive: true });
  writeFileSync(outPath, text);

  const result: NotebookResult = {
    file,
    status: failure ? "failed" : "passed",
    cached: false,
    durationMs: performance.now() - started,
    cells: {
      total: notebook.cells.length,
      code: codeIndexes.length,
      executed: outcome.cells.size,
      skipped: codeIndexes.length - toRun.length,
    },
    outPath,
    ...(failure ? { failure } : {}),
    ...(outcome.typescript ? { typescript: outcome.typescript } : {}),
  };
  if (!failure) writeCache(cacheFile, key, text, result);
  return done(result);
}

function invalid(file: string, outPath: string, started: number, message: string): NotebookResult {
  return {
    file,
    status: "failed",
    cached: false,
    durationMs: performance.now() - started,
    cells: { total: 0, code: 0, executed: 0, skipped: 0 },
    outPath,
    failure: { kind: "invalid", message, report: message },
  };
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), resolve(file));
  return rel.startsWith("..") || isAbsolute(rel) ? resolve(file) : rel;
}

interface ChildOutcome {
  /** Outputs of each executed cell, by cell index, in execution order. */
  cells: Map<number, Output[]>;
  failure?: { kind: NotebookFailure["kind"]; index?: number; message: string };
  typescript?: string;
}

function errorText(error: ErrorOutput): string {
  return error.ename === "TypeScript" ? error.evalue : `${error.ename}: ${error.evalue}`;
}

/** Signal a notebook's process and everything it started (its process group), or the process alone if that fails. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    child.kill(signal);
  }
}

/** Execute cells in a fresh child process; resolves after the process has exited. */
function executeInChild(
  file: string,
  cells: ChildCell[],
  codeCacheDir: string,
  timeoutMs: number,
  onCell: (index: number) => void,
): Promise<ChildOutcome> {
  const outcome: ChildOutcome = { cells: new Map() };
  if (cells.length === 0) return Promise.resolve(outcome);
  return new Promise((resolvePromise) => {
    const child = fork(childScript(), [codeCacheDir], {
      cwd: dirname(file),
      // Its own process group, so that ending it also ends whatever the notebook started.
      detached: true,
      execArgv: [],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
    });
    // A signal to the runner's PID ends the notebook's process too: SIGTERM, so that what the
    // notebook started (a demo's child, a tracefs instance) is cleaned up by its own handlers.
    const forget = onTerminate(() => {
      if (child.exitCode === null && child.signalCode === null) killGroup(child, "SIGTERM");
    });
    child.once("exit", forget);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString("utf8")).slice(-4000);
    });
    child.stdout?.resume();
    let running: number | undefined;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number, onFire: () => void): void => {
      clearTimeout(timer);
      // setTimeout fires at once beyond 2^31-1 ms (about 24.8 days).
      timer = setTimeout(onFire, Math.min(ms, 2 ** 31 - 1));
    };
    const stop = (failure: NonNullable<ChildOutcome["failure"]>): void => {
      if (outcome.failure === undefined) outcome.failure = failure;
      killGroup(child, "SIGKILL");
    };
    arm(Math.max(STARTUP_TIMEOUT_MS, timeoutMs), () =>
      stop({ kind: "timeout", message: `tslab did not start within ${Math.max(STARTUP_TIMEOUT_MS, timeoutMs) / 1000} s` }),
    );
    child.on("message", (message: ChildMessage) => {
      switch (message.type) {
        case "ready": {
          outcome.typescript = message.typescript;
          clearTimeout(timer);
          const run: ParentMessage = { type: "run", cells };
          child.send(run);
          break;
        }
        case "cell-start":
          running = message.index;
          outcome.cells.set(message.index, []);
          onCell(message.index);
          arm(timeoutMs, () => {
            const seconds = timeoutMs / 1000;
            const error: ErrorOutput = {
              output_type: "error",
              ename: "Timeout",
              evalue: `the cell did not finish within ${seconds} s; its process was killed`,
              traceback: [`Timeout: the cell did not finish within ${seconds} s; its process was killed`],
            };
            outcome.cells.set(message.index, [error]);
            stop({ kind: "timeout", index: message.index, message: errorText(error) });
          });
          break;
        case "cell-end": {
          clearTimeout(timer);
          running = undefined;
          outcome.cells.set(message.index, message.outputs);
          const expected = cells.find((c) => c.index === message.index)?.expectError ?? false;
          if (!message.ok && !expected && message.error && outcome.failure === undefined) {
            outcome.failure = { kind: "error", index: message.index, message: errorText(message.error) };
          }
          break;
        }
        case "display-update": {
          const target = outcome.cells.get(message.index)?.[message.output];
          if (target?.output_type === "display_data") target.data = message.data;
          break;
        }
        case "done":
          finished = true;
          break;
      }
    });
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolvePromise(outcome);
    };
    child.on("error", (err) => {
      if (outcome.failure === undefined) outcome.failure = { kind: "crash", message: `cannot start the notebook process: ${err.message}` };
      // After a failed spawn "exit" may never come.
      if (child.pid === undefined) settle();
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (!finished && outcome.failure === undefined) {
        const during = running === undefined ? "" : " during this cell";
        const tail = stderr.trim() ? `\n${stderr.trim()}` : "";
        outcome.failure = {
          kind: "crash",
          ...(running !== undefined ? { index: running } : {}),
          message: `the notebook process exited (${signal ?? `code ${code}`})${during}${tail}`,
        };
      }
      settle();
    });
  });
}

/** The executed notebook: nbformat 4.5, fresh outputs and counts, the tslab kernelspec. */
function assemble(source: Notebook, outcome: ChildOutcome): Notebook {
  const notebook = structuredClone(source);
  notebook.nbformat_minor = Math.max(notebook.nbformat_minor, 5);
  const used = new Set<string>();
  let count = 0;
  notebook.cells.forEach((cell, i) => {
    if (typeof cell.id !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(cell.id) || used.has(cell.id)) {
      cell.id = sha256(`${i}\0${joinText(cell.source)}`).slice(0, 12);
    }
    used.add(cell.id);
    if (hasTag(cell, CELL_TAGS.hideInput)) {
      cell.metadata.jupyter = { ...(cell.metadata.jupyter as object | undefined), source_hidden: true };
    }
    if (cell.cell_type !== "code") return;
    const code: CodeCell = cell;
    const outputs = outcome.cells.get(i);
    code.execution_count = outputs === undefined ? null : ++count;
    code.outputs = (outputs ?? []).map(jupyterStyle);
  });
  notebook.metadata.kernelspec = { ...TSLAB_KERNELSPEC };
  notebook.metadata.language_info = {
    name: "typescript",
    version: outcome.typescript ?? tslabTypescriptVersion(),
    mimetype: "text/typescript",
    file_extension: ".ts",
  };
  return notebook;
}

/** Text as Jupyter writes it: a list of lines. */
function jupyterStyle(output: Output): Output {
  if (output.output_type === "stream") return { ...output, text: splitLines(joinText(output.text)) };
  return output;
}
