/**
 * Notebook execution (issue 3), measured end to end as a user runs it, in one run:
 *   - our runner, forced: `tcp-lifecycle notebooks run --force` (a fresh tslab process per notebook)
 *   - the baseline: `jupyter nbconvert --to notebook --execute` on the same notebooks with the
 *     tslab kernel (one nbconvert process for all of them, its fastest use), when installed
 *   - a second, cached run: `tcp-lifecycle notebooks run` with nothing changed
 * Targets: the full run at least 2× faster than nbconvert; the cached run under 1 s.
 * The notebooks are notebooks/*.ipynb; while there are none, the runner's passing fixtures.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const name = "notebooks";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "dist", "cli", "main.js");
const FIXTURES = ["passing", "raises-exception", "skip-execution"].map((f) => join("test", "fixtures", "notebooks", `${f}.ipynb`));

function notebooks() {
  const chapters = readdirSync(join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join("notebooks", f));
  return chapters.length > 0 ? { files: chapters, set: "notebooks/*.ipynb" } : { files: FIXTURES, set: "the runner's passing fixtures (no chapters yet)" };
}

function timed(cmd, args, env = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return seconds;
}

function hasTslabKernel() {
  try {
    const listing = JSON.parse(execFileSync("jupyter", ["kernelspec", "list", "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
    return Boolean(listing.kernelspecs?.tslab);
  } catch {
    return false;
  }
}

export async function run() {
  const { files, set } = notebooks();
  const work = mkdtempSync(join(tmpdir(), "nb-bench-"));
  const r3 = (x) => Math.round(x * 1000) / 1000;
  try {
    const out = join(work, "runner");
    // The command's defaults: up to 2 notebooks at a time (--jobs), each in a fresh process.
    const full = timed(process.execPath, [CLI, "notebooks", "run", ...files, "--out", out, "--force"]);
    const cached = timed(process.execPath, [CLI, "notebooks", "run", ...files, "--out", out]);
    const serial = timed(process.execPath, [CLI, "notebooks", "run", ...files, "--out", join(work, "serial"), "--force", "--jobs", "1"]);
    const ours = { name: `tcp-lifecycle notebooks run --force, ${files.length} notebooks`, value: r3(full), unit: "s" };
    const figures = [];
    if (hasTslabKernel()) {
      const nbconvert = timed(
        "jupyter",
        ["nbconvert", "--to", "notebook", "--execute", ...files, "--output-dir", join(work, "nbconvert"), "--ExecutePreprocessor.kernel_name=tslab"],
        { PYDEVD_DISABLE_FILE_VALIDATION: "1" },
      );
      const baseline = { name: `jupyter nbconvert --execute (tslab kernel), same ${files.length} notebooks`, value: r3(nbconvert), unit: "s" };
      figures.push({
        ...ours,
        name: `execute ${set}: our runner (default --jobs ${Math.min(2, availableParallelism())})`,
        baseline,
        ratio: r3(nbconvert / full),
        target: { op: ">=", value: 2 },
        note: "ratio = nbconvert time ÷ our time (speed-up); target: at least 2× faster; wall clock of the commands as a user runs them, one run each",
      });
      figures.push({
        name: `execute ${set}: our runner, --jobs 1 (one notebook at a time, like nbconvert)`,
        value: r3(serial),
        unit: "s",
        baseline,
        ratio: r3(nbconvert / serial),
        note: "ratio = nbconvert time ÷ our time",
      });
    } else {
      figures.push({
        name: `execute ${set}: our runner, --jobs 1`,
        value: r3(serial),
        unit: "s",
        baseline: ours,
        ratio: r3(serial / full),
        note: "Jupyter with the tslab kernel is not installed, so the nbconvert comparison was not measured (apt-get install jupyter-nbconvert jupyter-client python3-nbclient python3-ipykernel; npm run kernel:install)",
      });
    }
    figures.push({
      name: `cached run, nothing changed (${files.length} notebooks)`,
      value: r3(cached),
      unit: "s",
      baseline: ours,
      ratio: r3(cached / full),
      target: { op: "<", value: 1, unit: "s" },
      note: "ratio = cached time ÷ full run; includes starting node and the CLI; cache key = notebook hash + dist/ hash",
    });
    return { figures };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
