/**
 * The real Jupyter test: every chapter notebook, and the runner's fixtures, also run through
 * Jupyter itself (`jupyter nbconvert --to notebook --execute`) with the registered tslab
 * kernel. Outside CI it is skipped (with the reason) when Jupyter or the kernel is missing,
 * or when the registered kernel runs another checkout's tslab; in CI it must run with this
 * checkout's (.ci/run installs Jupyter and runs `npm run kernel:install`).
 */
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, sep } from "node:path";
import { hasCommand, inCI, toolGate } from "./support/tools.js";
import { runNotebooks } from "../src/notebook/index.js";
import { joinText, type CodeCell, type Notebook, type Output } from "../src/notebook/nbformat.js";

/** The tslab kernelspec Jupyter would use, if registered and its binary exists. */
function tslabKernel(): { argv: string[] } | undefined {
  if (!hasCommand("jupyter")) return undefined;
  try {
    const listing = JSON.parse(execFileSync("jupyter", ["kernelspec", "list", "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })) as {
      kernelspecs: Record<string, { spec: { argv: string[] } }>;
    };
    const spec = listing.kernelspecs["tslab"]?.spec;
    return spec && existsSync(spec.argv[0] ?? "") ? spec : undefined;
  } catch {
    return undefined;
  }
}

const kernel = tslabKernel();
const gate = toolGate(
  "jupyter with the tslab kernel",
  "apt-get install jupyter-nbconvert jupyter-client python3-nbclient python3-ipykernel, then npm run kernel:install",
  kernel !== undefined,
);

/** This checkout's node_modules, resolved, so a symlinked .bin/tslab compares by where it really is. */
const OUR_MODULES = realpathSync("node_modules") + sep;

/** Where the kernel's argv[0] really is, and whether that is inside this checkout's node_modules. */
function kernelBinary(argv: readonly string[] | undefined): { path: string; ours: boolean } {
  const path = realpathSync(argv?.[0] ?? "");
  return { path, ours: path.startsWith(OUR_MODULES) };
}

// A kernel registered from another checkout would test that checkout's tslab (and its
// tcp-lifecycle). Outside CI skip and say how to fix it; in CI the test below fails instead.
const FOREIGN = "the registered tslab kernel is from another checkout: run npm run kernel:install";
const foreign = !gate.skip && !kernelBinary(kernel?.argv).ours;
if (foreign && !inCI) console.warn(`skipping: ${FOREIGN} (it runs ${kernelBinary(kernel?.argv).path})`);
const skip = gate.skip || (foreign && !inCI);

const chapters = readdirSync("notebooks").filter((f) => f.endsWith(".ipynb")).sort().map((f) => join("notebooks", f));
const FIXTURES = "test/fixtures/notebooks";
const out = mkdtempSync(join(tmpdir(), "nb-jupyter-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function nbconvert(file: string, dir: string): { status: number | null; stderr: string } {
  const r = spawnSync(
    "jupyter",
    ["nbconvert", "--to", "notebook", "--execute", file, "--output-dir", dir, "--ExecutePreprocessor.kernel_name=tslab", "--ExecutePreprocessor.timeout=300"],
    { encoding: "utf8", env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" } },
  );
  return { status: r.status, stderr: r.stderr };
}

/** The Python that runs `jupyter` (from its #! line), which has nbformat. */
function jupyterPython(): string {
  const jupyter = execFileSync("/bin/sh", ["-c", "command -v jupyter"], { encoding: "utf8" }).trim();
  const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(readFileSync(realpathSync(jupyter), "utf8").split("\n", 1)[0] ?? "");
  if (!m) return "python3";
  return m[1]?.endsWith("/env") && m[2] ? m[2] : (m[1] ?? "python3");
}

/** Outputs as the reader sees them: text joined, per code cell. */
function shown(nb: Notebook): unknown[][] {
  return nb.cells
    .filter((c): c is CodeCell => c.cell_type === "code")
    .map((c) =>
      c.outputs.map((o: Output) =>
        o.output_type === "stream"
          ? { stream: o.name, text: joinText(o.text) }
          : o.output_type === "display_data"
            ? { display: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, joinText(v)])) }
            : o,
      ),
    );
}

describe.skipIf(skip)("notebooks through Jupyter and the tslab kernel", () => {
  it("runs this project's tslab", () => {
    const binary = kernelBinary(kernel?.argv);
    expect(binary.ours, `${FOREIGN} (it runs ${binary.path}, not one under ${OUR_MODULES})`).toBe(true);
    expect(binary.path).toBe(realpathSync(join("node_modules", "tslab", "bin", "tslab")));
    expect(kernel?.argv.slice(1)).toEqual(["kernel", "--config-path", "{connection_file}"]);
  });

  it("finds every chapter (with none, the per-chapter tests below would be zero and pass)", () => {
    expect(chapters.length).toBeGreaterThanOrEqual(7);
  });

  it.each(chapters)("%s executes under jupyter nbconvert", (file) => {
    const dir = join(out, "chapters");
    const r = nbconvert(file, dir);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(dir, basename(file)))).toBe(true);
  }, 600_000);

  it("produces the same outputs as the runner on a passing notebook", async () => {
    const file = join(FIXTURES, "passing.ipynb");
    const r = nbconvert(file, join(out, "jupyter"));
    expect(r.status, r.stderr).toBe(0);
    const [ours] = await runNotebooks([file], { outDir: join(out, "runner"), force: true });
    expect(ours?.status).toBe("passed");
    const viaJupyter = JSON.parse(readFileSync(join(out, "jupyter", "passing.ipynb"), "utf8")) as Notebook;
    const viaRunner = JSON.parse(readFileSync(join(out, "runner", "passing.ipynb"), "utf8")) as Notebook;
    expect(shown(viaRunner)).toEqual(shown(viaJupyter));
  }, 300_000);

  it("writes notebooks that nbformat's own validator accepts", async () => {
    const names = ["passing", "runtime-error", "raises-exception", "skip-execution"];
    const dir = join(out, "validate");
    await runNotebooks(names.map((n) => join(FIXTURES, `${n}.ipynb`)), { outDir: dir, force: true });
    const script = "import nbformat, sys\nfor f in sys.argv[1:]:\n    nb = nbformat.read(f, as_version=4)\n    nbformat.validate(nb)\n    print(f, nb.nbformat, nb.nbformat_minor)";
    const r = spawnSync(jupyterPython(), ["-c", script, ...names.map((n) => join(dir, `${n}.ipynb`))], { encoding: "utf8", env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(names.map((n) => `${join(dir, `${n}.ipynb`)} 4 5`));
  }, 300_000);

  it("honours the same tags: raises-exception goes on, skip-execution skips, a type error fails", () => {
    expect(nbconvert(join(FIXTURES, "raises-exception.ipynb"), join(out, "tags")).status).toBe(0);
    const skipped = nbconvert(join(FIXTURES, "skip-execution.ipynb"), join(out, "tags"));
    expect(skipped.status).toBe(0);
    const nb = JSON.parse(readFileSync(join(out, "tags", "skip-execution.ipynb"), "utf8")) as Notebook;
    expect(shown(nb)).toEqual([[{ stream: "stdout", text: "first\n" }], [], [{ stream: "stdout", text: "third\n" }]]);
    const failed = nbconvert(join(FIXTURES, "type-error.ipynb"), join(out, "tags"));
    expect(failed.status).not.toBe(0);
    // tslab reports the type error on stderr; nbclient names the failing cell.
    expect(failed.stderr).toContain('CellExecutionError');
    expect(failed.stderr).toContain('const n: number = "not a number";');
  }, 300_000);
});
