/**
 * The child process that executes one notebook's code cells, started by runner.ts with its
 * working directory at the notebook's folder. It drives tslab's own converter and executor
 * (tslab/dist/converter, tslab/dist/executor) exactly as tslab's kernel does in
 * tslab/dist/main.js startKernel(), and captures what the kernel would publish: stdout/stderr
 * writes as `stream` outputs and tslab.display.* as `display_data` (through the same hook,
 * tslab/dist/jupyter `lastWriteDisplayData`). Like the kernel it prints the value of a cell's
 * last expression to stdout; unlike it, a failing cell's error becomes an nbformat `error`
 * output rather than text on stderr, so a rendered page can show it as an error.
 */
import { createRequire } from "node:module";
import { format, inspect } from "node:util";
import type { ChildCell, ChildMessage, ParentMessage } from "./protocol.js";
import type { ErrorOutput, MimeBundle, Output } from "./nbformat.js";
import { joinText } from "./nbformat.js";
import { installCodeCache, type CodeCache } from "./code-cache.js";

interface TslabConverter {
  convert(prevDecl: string, src: string): unknown;
  close(): void;
}
interface TslabExecutor {
  execute(src: string): Promise<boolean>;
  close(): void;
}
interface TslabDisplayData {
  data: Record<string, string>;
  metadata: Record<string, string>;
  transient?: { display_id?: string };
}

const require = createRequire(import.meta.url);
// argv[2]: the runner's code cache folder. Compiling TypeScript's 8 MB typescript.js and the
// functions that parse lib.*.d.ts and @types is a good part of every process's start-up.
const codeCacheDir = process.argv[2];
const codeCache: CodeCache | undefined = codeCacheDir
  ? installCodeCache(codeCacheDir, (file) => /[\\/]node_modules[\\/](@tslab[\\/]typescript-for-tslab|tslab)[\\/]/.test(file))
  : undefined;
const { createConverter } = require("tslab/dist/converter") as { createConverter(o: object): TslabConverter };
const { createExecutor } = require("tslab/dist/executor") as {
  createExecutor(
    rootDir: string,
    convs: { node: TslabConverter; browser: TslabConverter; close(): void },
    console: { log(...a: unknown[]): void; error(...a: unknown[]): void },
  ): TslabExecutor;
};
const jupyter = require("tslab/dist/jupyter") as {
  lastWriteDisplayData: (data: TslabDisplayData, update: boolean) => void;
};
const typescriptVersion = (require("@tslab/typescript-for-tslab") as { version: string }).version;

// The executor prints type errors as console.error("%s%d:%d - %s", file, line, col, text).
const DIAGNOSTIC_FORMAT = "%s%d:%d - %s";

let current = -1;
let outputs: Output[] = [];
let failures: unknown[][] = [];
const displays = new Map<string, { cell: number; output: number }>();
const decoder = new TextDecoder();

function send(message: ChildMessage): Promise<void> {
  // Wait for the message to leave: the next cell may block the event loop for good.
  return new Promise((resolve) => process.send?.(message, () => resolve()) ?? resolve());
}

function writeStream(name: "stdout" | "stderr", text: string): void {
  if (text === "") return;
  const last = outputs[outputs.length - 1];
  if (last?.output_type === "stream" && last.name === name) last.text = joinText(last.text) + text;
  else outputs.push({ output_type: "stream", name, text });
}

function hookStream(stream: NodeJS.WriteStream, name: "stdout" | "stderr"): void {
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    writeStream(name, typeof chunk === "string" ? chunk : decoder.decode(chunk));
    const callback = rest.find((r): r is () => void => typeof r === "function");
    if (callback) queueMicrotask(callback);
    return true;
  }) as typeof stream.write;
}

function writeDisplayData(display: TslabDisplayData, update: boolean): void {
  const data: MimeBundle = { ...display.data };
  const id = display.transient?.display_id;
  const at = id === undefined ? undefined : displays.get(id);
  if (update && at) {
    if (at.cell === current) {
      const target = outputs[at.output];
      if (target?.output_type === "display_data") target.data = data;
    } else {
      void send({ type: "display-update", index: at.cell, output: at.output, data });
    }
    return;
  }
  outputs.push({ output_type: "display_data", data, metadata: { ...display.metadata } });
  if (id !== undefined) displays.set(id, { cell: current, output: outputs.length - 1 });
}

interface ErrorLike {
  name: string;
  message: string;
  stack?: string;
}

function isErrorLike(x: unknown): x is ErrorLike {
  return typeof x === "object" && x !== null && typeof (x as ErrorLike).name === "string" && typeof (x as ErrorLike).message === "string";
}

/** Stack frames of the cell's own code, without tslab's and Node's machinery. */
function cellFrames(stack: string | undefined): string[] {
  if (!stack) return [];
  const frames: string[] = [];
  for (const line of stack.split("\n")) {
    if (!/^\s+at /.test(line)) continue;
    if (/Script\.runInThisContext|node:vm/.test(line)) break;
    if (/node:internal|tslab[\\/]dist|notebook[\\/]child\.js/.test(line)) continue;
    frames.push(line);
  }
  return frames;
}

function errorOutput(failed: unknown[][]): ErrorOutput {
  const diagnostics = failed.filter((args) => args[0] === DIAGNOSTIC_FORMAT && args.length === 5);
  if (diagnostics.length > 0) {
    const lines = diagnostics.map((args) => format(...args));
    return { output_type: "error", ename: "TypeScript", evalue: lines.join("\n"), traceback: lines };
  }
  const thrown = failed.map((args) => args[0]);
  const err = thrown.find(isErrorLike);
  if (err) {
    return {
      output_type: "error",
      ename: err.name,
      evalue: err.message,
      traceback: [`${err.name}: ${err.message}`, ...cellFrames(err.stack)],
    };
  }
  const text = failed.map((args) => (args.length === 1 ? inspect(args[0]) : format(...args))).join("\n");
  return { output_type: "error", ename: "Thrown", evalue: text || "the cell failed", traceback: [`Uncaught ${text}`] };
}

async function run(cells: ChildCell[]): Promise<void> {
  for (const cell of cells) {
    current = cell.index;
    outputs = [];
    failures = [];
    await send({ type: "cell-start", index: cell.index });
    const started = performance.now();
    let ok: boolean;
    try {
      ok = await executor.execute(cell.source);
    } catch (err) {
      failures.push([err]);
      ok = false;
    }
    let error: ErrorOutput | undefined;
    if (ok) {
      // Module cells (`//@module`) report diagnostics and still succeed, as in the kernel.
      for (const args of failures) writeStream("stderr", format(...args) + "\n");
    } else {
      error = errorOutput(failures);
      outputs.push(error);
    }
    const durationMs = performance.now() - started;
    await send({ type: "cell-end", index: cell.index, ok, outputs, ...(error ? { error } : {}), durationMs });
    if (!ok && !cell.expectError) break;
  }
  await send({ type: "done" });
  executor.close();
  // Whatever the notebook left running (timers, servers) ends with the process, as when
  // Jupyter shuts a kernel down after the last cell.
  process.exit(0);
}

const node = createConverter({});
const converters = { node, browser: node, close: () => node.close() };
const executor = createExecutor(process.cwd(), converters, {
  log: (...args: unknown[]) => writeStream("stdout", format(...args) + "\n"),
  error: (...args: unknown[]) => {
    failures.push(args);
  },
});
// Load lib.*.d.ts and @types once, before the first cell's clock starts.
node.convert("", "");
codeCache?.close();

hookStream(process.stdout, "stdout");
hookStream(process.stderr, "stderr");
jupyter.lastWriteDisplayData = writeDisplayData;
process.on("uncaughtException", (err) => writeStream("stderr", `UncaughtException: ${inspect(err)}\n`));
process.on("unhandledRejection", (reason) => writeStream("stderr", `UnhandledPromiseRejection: ${inspect(reason)}\n`));
process.on("disconnect", () => process.exit(1));
process.on("message", (message: ParentMessage) => {
  if (message.type === "run") void run(message.cells);
});
void send({ type: "ready", typescript: typescriptVersion });
