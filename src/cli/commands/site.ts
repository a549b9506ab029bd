import type { Command } from "commander";
import { DEFAULT_EXECUTED_DIR, DEFAULT_OUT_DIR, DEFAULT_PORT } from "../../site/defaults.js";
import type { RunningServer } from "../../site/serve.js";
import { UserError, numberOption } from "../errors.js";
import { outputFolderProblem } from "../../notebook/runner.js";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Notebooks named on the command line (a folder means its *.ipynb), or notebooks/*.ipynb. */
function notebookArgs(args: readonly string[]): string[] | undefined {
  if (args.length === 0) return undefined;
  return args.flatMap((p) => {
    if (!existsSync(p)) throw new UserError(`${p}: no such notebook or folder`);
    if (statSync(p).isDirectory()) {
      return readdirSync(p).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(p, f));
    }
    if (!p.endsWith(".ipynb")) throw new UserError(`${p}: expected a .ipynb notebook`);
    return [p];
  });
}

export function registerSite(program: Command): void {
  const site = program.command("site").description("build and serve the tutorial site");
  site
    .command("build")
    .description(`execute the notebooks (through the runner's cache) and render the site into --out`)
    .argument("[notebooks...]", ".ipynb files or folders, in chapter order (default notebooks/*.ipynb)")
    .option("--out <dir>", "output folder", DEFAULT_OUT_DIR)
    .option("--executed <dir>", "where the runner writes executed notebooks", DEFAULT_EXECUTED_DIR)
    .option("--no-execute", "the notebooks given are executed already: render them as they are")
    .option("--force", "execute every notebook even when the cache is fresh", false)
    .option("--timeout <seconds>", "time limit per cell", "60")
    .action(async (files: string[], opts: { out: string; executed: string; execute: boolean; force: boolean; timeout: string }) => {
      const timeout = numberOption("--timeout", opts.timeout, { min: 0.001 });
      // Up front, before minutes of notebook execution: "--out /dev/null" is one line, exit 2.
      for (const [option, dir] of [["--out", opts.out], ...(opts.execute ? [["--executed", opts.executed]] : [])] as const) {
        const unusable = outputFolderProblem(dir);
        if (unusable !== null) throw new UserError(`${option}: ${unusable}`);
      }
      // Loaded here, not at start-up: the builder pulls in esbuild, highlight.js and sanitize-html.
      const [{ buildSite, SiteBuildError }, { ProgressPrinter }, { NotebookFormatError }] = await Promise.all([
        import("../../site/build.js"),
        import("../../notebook/index.js"),
        import("../../site/nbformat.js"),
      ]);
      const printer = new ProgressPrinter(process.stderr);
      try {
        const result = await buildSite({
          notebooks: notebookArgs(files),
          outDir: opts.out,
          executedDir: opts.executed,
          execute: opts.execute,
          force: opts.force,
          timeoutMs: timeout * 1000,
          onProgress: printer.onProgress,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        process.stdout.write(`built ${result.chapters.length} chapters into ${result.outDir} in ${(result.durationMs / 1000).toFixed(2)} s\n`);
      } catch (err) {
        if (err instanceof SiteBuildError && err.failedCheck) {
          process.stderr.write(`tcp-lifecycle site build: ${err.message}\n`);
          process.exitCode = 1;
          return;
        }
        if (err instanceof SiteBuildError || err instanceof NotebookFormatError) throw new UserError(err.message);
        throw err;
      }
    });
  site
    .command("serve")
    .description("serve the built site on 127.0.0.1 (only) until interrupted")
    .option("--dir <dir>", "the built site", DEFAULT_OUT_DIR)
    .option("--port <n>", `port; a busy port falls back to an ephemeral one (0 = ephemeral)`, String(DEFAULT_PORT))
    .action(async (opts: { dir: string; port: string }) => {
      const port = numberOption("--port", opts.port, { min: 0, integer: true });
      if (port > 65535) throw new UserError(`--port: expected an integer from 0 to 65535, got ${opts.port}`);
      const { serveSite, ServeError } = await import("../../site/serve.js");
      let running: RunningServer;
      try {
        running = await serveSite({ dir: opts.dir, port, log: (line) => process.stderr.write(`${line}\n`) });
      } catch (err) {
        if (err instanceof ServeError) throw new UserError(err.message);
        throw err;
      }
      process.stdout.write(`tcp-lifecycle tutorial: ${running.url}\n(serving ${opts.dir} on 127.0.0.1 only; press Ctrl+C to stop)\n`);
      await new Promise<void>((done) => {
        const stop = (): void => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void running.close().then(done, done);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
