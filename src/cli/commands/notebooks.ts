import type { Command } from "commander";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { DEFAULT_CONCURRENCY, ProgressPrinter, cleanProblems, parseNotebook, runNotebooks } from "../../notebook/index.js";
import { outputFolderProblem } from "../../notebook/runner.js";
import { UserError, numberOption } from "../errors.js";

const DEFAULT_DIR = "notebooks";
const DEFAULT_OUT = "build/notebooks";

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
    .option("--jobs <n>", "notebooks executed at the same time, each in its own process", String(DEFAULT_CONCURRENCY))
    .action(async (files: string[], opts: { out: string; timeout: string; force: boolean; jobs: string }) => {
      const timeout = numberOption("--timeout", opts.timeout, { min: 0.001 });
      const jobs = numberOption("--jobs", opts.jobs, { min: 1, integer: true });
      // Up front, before any notebook runs: /dev/null or a file would fail at the first write.
      const unusable = outputFolderProblem(opts.out);
      if (unusable !== null) throw new UserError(`--out: ${unusable}`);
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
  notebooks
    .command("clean")
    .description(`remove outputs and execution counts (default ${DEFAULT_DIR}/*.ipynb), as notebooks are committed`)
    .argument("[files...]", ".ipynb files or folders")
    .option("--check", "change nothing; exit 1 if a notebook is not clean", false)
    .action((files: string[], opts: { check: boolean }) => {
      let dirty = 0;
      for (const file of notebookFiles(files)) {
        const parsed = parseNotebook(readFileSync(file, "utf8"), file);
        if (!parsed.ok) throw new UserError(parsed.error);
        const problems = cleanProblems(parsed.notebook);
        if (problems.length === 0) continue;
        dirty++;
        if (opts.check) {
          process.stderr.write(`${file}: not clean\n${problems.map((p) => `  ${p}\n`).join("")}`);
          continue;
        }
        for (const cell of parsed.notebook.cells) {
          if (cell.cell_type !== "code") continue;
          cell.outputs = [];
          cell.execution_count = null;
        }
        // Jupyter's own layout (one-space indent, trailing newline) keeps diffs small.
        writeFileSync(file, JSON.stringify(parsed.notebook, null, 1) + "\n");
        process.stderr.write(`${file}: cleaned (${problems.length} problem(s) fixed)\n`);
      }
      if (opts.check && dirty > 0) process.exitCode = 1;
    });
}
