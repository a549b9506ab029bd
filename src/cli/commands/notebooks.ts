import type { Command } from "commander";
import { existsSync, readdirSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, join, resolve } from "node:path";
import { ProgressPrinter, runNotebooks } from "../../notebook/index.js";
import { UserError, numberOption } from "../errors.js";

const DEFAULT_DIR = "notebooks";
const DEFAULT_OUT = "build/notebooks";
// Most of a notebook's time is tslab starting TypeScript in its process: two overlap well.
const DEFAULT_JOBS = Math.min(2, availableParallelism());

/** The notebooks to run: the files given (a folder means its *.ipynb), or notebooks/*.ipynb. */
function notebookFiles(args: readonly string[]): string[] {
  const expand = (p: string): string[] =>
    readdirSync(p)
      .filter((f) => f.endsWith(".ipynb"))
      .sort()
      .map((f) => join(p, f));
  if (args.length === 0) {
    if (!existsSync(DEFAULT_DIR)) throw new UserError(`no notebooks given and no ${DEFAULT_DIR}/ folder here`);
    return expand(DEFAULT_DIR);
  }
  const files = args.flatMap((p) => {
    if (!existsSync(p)) throw new UserError(`${p}: no such notebook`);
    if (statSync(p).isDirectory()) return expand(p);
    if (!p.endsWith(".ipynb")) throw new UserError(`${p}: expected a .ipynb notebook`);
    return [p];
  });
  // Executed notebooks keep their file name: two with one name would overwrite each other.
  const byName = new Map<string, string>();
  for (const f of files) {
    const other = byName.get(basename(f));
    if (other !== undefined && resolve(other) !== resolve(f)) throw new UserError(`${other} and ${f} have the same file name`);
    byName.set(basename(f), f);
  }
  return [...byName.values()];
}

export function registerNotebooks(program: Command): void {
  const notebooks = program.command("notebooks").description("execute the tslab notebooks without Jupyter");
  notebooks
    .command("run")
    .description(`execute notebooks (default ${DEFAULT_DIR}/*.ipynb) into --out; exit 1 when a cell fails`)
    .argument("[files...]", ".ipynb files or folders")
    .option("--out <dir>", "where executed notebooks are written", DEFAULT_OUT)
    .option("--timeout <seconds>", "time limit per cell", "60")
    .option("--force", "execute even notebooks the cache says are unchanged", false)
    .option("--jobs <n>", "notebooks executed at the same time, each in its own process", String(DEFAULT_JOBS))
    .action(async (files: string[], opts: { out: string; timeout: string; force: boolean; jobs: string }) => {
      const timeout = numberOption("--timeout", opts.timeout, { min: 0.001 });
      const jobs = numberOption("--jobs", opts.jobs, { min: 1, integer: true });
      const list = notebookFiles(files);
      if (list.length === 0) {
        process.stderr.write("no notebooks to run\n");
        return;
      }
      const printer = new ProgressPrinter(process.stderr);
      const started = performance.now();
      const results = await runNotebooks(list, {
        outDir: opts.out,
        timeoutMs: timeout * 1000,
        force: opts.force,
        concurrency: jobs,
        onProgress: printer.onProgress,
      });
      const failed = results.filter((r) => r.failure);
      for (const r of failed) process.stderr.write(`\n${r.failure?.report}\n`);
      process.stderr.write(`${failed.length ? "\n" : ""}${printer.summary(results, performance.now() - started)}\n`);
      process.stderr.write(`executed notebooks: ${opts.out}\n`);
      if (failed.length > 0) process.exitCode = 1;
    });
}
