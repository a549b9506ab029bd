/**
 * The notebook runner on fixture notebooks (test/fixtures/notebooks): exact outputs, exact
 * failure reports, tags, timeout, cache, and the CLI's exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { runNotebooks, type NotebookResult, type RunProgress } from "../src/notebook/index.js";
import { joinText, parseNotebook, type CodeCell, type Notebook, type Output } from "../src/notebook/nbformat.js";

const FIXTURES = "test/fixtures/notebooks";
const fixture = (name: string): string => join(FIXTURES, `${name}.ipynb`);
const sha = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");

let out: string;
const results = new Map<string, NotebookResult>();
const sourceHashes = new Map<string, string>();

function executed(name: string): Notebook {
  const parsed = parseNotebook(readFileSync(join(out, `${name}.ipynb`), "utf8"), name);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.notebook;
}

/** Outputs with text joined, so assertions read like the notebook. */
function outputsOf(nb: Notebook, cell: number): unknown[] {
  const c = nb.cells[cell - 1] as CodeCell;
  return c.outputs.map((o: Output) => {
    if (o.output_type === "stream") return { stream: o.name, text: joinText(o.text) };
    if (o.output_type === "display_data") return { display: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, joinText(v)])) };
    if (o.output_type === "error") return { error: o.ename, evalue: o.evalue };
    return o;
  });
}

function countsOf(nb: Notebook): (number | null)[] {
  return nb.cells.filter((c): c is CodeCell => c.cell_type === "code").map((c) => c.execution_count);
}

const ALL = ["passing", "runtime-error", "type-error", "raises-exception", "skip-execution", "invalid"];

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "nb-runner-"));
  const files = [...ALL.map(fixture)];
  for (const f of [...files, fixture("timeout")]) sourceHashes.set(f, sha(f));
  const ran = await runNotebooks(files, { outDir: out, force: true, concurrency: 2 });
  ran.forEach((r, i) => results.set(ALL[i] as string, r));
  // A short limit only for the notebook that needs it: a loaded machine may type-check slowly.
  const [timeout] = await runNotebooks([fixture("timeout")], { outDir: out, force: true, timeoutMs: 5000 });
  results.set("timeout", timeout as NotebookResult);
}, 180_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("a passing notebook", () => {
  it("passes and captures stdout, stderr, SVG display, the last expression and display updates", () => {
    const r = results.get("passing");
    expect(r?.status).toBe("passed");
    expect(r?.failure).toBeUndefined();
    expect(r?.cells).toEqual({ total: 8, code: 7, executed: 7, skipped: 0 });
    const nb = executed("passing");
    expect(outputsOf(nb, 2)).toEqual([{ stream: "stdout", text: "states: 11\nCLOSED\n" }]);
    expect(outputsOf(nb, 3)).toEqual([
      { display: { "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10"/></svg>' } },
    ]);
    expect(outputsOf(nb, 4)).toEqual([{ stream: "stdout", text: "30\n" }]);
    expect(outputsOf(nb, 5)).toEqual([
      { stream: "stderr", text: "a warning on stderr\n" },
      { stream: "stdout", text: "back on stdout\n" },
    ]);
    // The working directory is the notebook's folder, as under Jupyter.
    expect(outputsOf(nb, 6)).toEqual([{ stream: "stdout", text: "cwd: notebooks\n" }]);
    expect(outputsOf(nb, 7)).toEqual([{ display: { "text/plain": "second" } }]);
    expect(outputsOf(nb, 8)).toEqual([{ stream: "stdout", text: "awaited\n" }]);
    expect(countsOf(nb)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("writes a valid nbformat 4.5 notebook for the tslab kernel and keeps hide-input", () => {
    const nb = executed("passing");
    expect(nb.nbformat).toBe(4);
    expect(nb.nbformat_minor).toBe(5);
    expect(nb.metadata["kernelspec"]).toEqual({ name: "tslab", display_name: "TypeScript", language: "typescript" });
    expect(nb.metadata["language_info"]).toMatchObject({ name: "typescript", version: "5.0.4", file_extension: ".ts" });
    expect(nb.metadata["tcp-lifecycle"]).toEqual({ status: "passed" });
    expect(nb.cells.map((c) => c.id)).toEqual(["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"]);
    const hidden = nb.cells[5];
    expect(hidden?.metadata.tags).toEqual(["hide-input"]);
    expect(hidden?.metadata["jupyter"]).toEqual({ source_hidden: true });
    // Jupyter's own writer splits stream text into lines that keep their "\n".
    expect((nb.cells[1] as CodeCell).outputs[0]).toEqual({ output_type: "stream", name: "stdout", text: ["states: 11\n", "CLOSED\n"] });
  });

  it("never touches the source notebooks", () => {
    for (const [file, hash] of sourceHashes) expect(sha(file), file).toBe(hash);
  });
});

describe("failures", () => {
  it("stops at a runtime error and reports notebook, cell, first line and error", () => {
    const r = results.get("runtime-error");
    expect(r?.status).toBe("failed");
    expect(r?.failure).toMatchObject({ kind: "error", cell: 3, codeCell: 2, codeCells: 3, firstLine: "// a runtime error", message: "Error: boom at runtime" });
    expect(r?.failure?.report).toBe(
      "test/fixtures/notebooks/runtime-error.ipynb: cell 3 (code cell 2 of 3) failed\n" +
        "  first line: // a runtime error\n" +
        "  Error: boom at runtime",
    );
    const nb = executed("runtime-error");
    expect(outputsOf(nb, 1)).toEqual([{ stream: "stdout", text: "before\n" }]);
    expect(outputsOf(nb, 3)).toEqual([{ stream: "stdout", text: "partial\n" }, { error: "Error", evalue: "boom at runtime" }]);
    expect(outputsOf(nb, 4)).toEqual([]);
    expect(countsOf(nb)).toEqual([1, 2, null]);
    expect(nb.metadata["tcp-lifecycle"]).toEqual({ status: "failed" });
    expect(r?.cells).toEqual({ total: 4, code: 3, executed: 2, skipped: 0 });
  });

  it("reports a type error with its line and column in the cell", () => {
    const r = results.get("type-error");
    expect(r?.failure?.report).toBe(
      "test/fixtures/notebooks/type-error.ipynb: cell 2 (code cell 2 of 3) failed\n" +
        '  first line: const n: number = "not a number";\n' +
        "  1:7 - Type 'string' is not assignable to type 'number'.",
    );
    expect(outputsOf(executed("type-error"), 2)).toEqual([
      { error: "TypeScript", evalue: "1:7 - Type 'string' is not assignable to type 'number'." },
    ]);
    expect(countsOf(executed("type-error"))).toEqual([1, 2, null]);
  });

  it("kills a cell that runs past the timeout and reports it like an error", () => {
    const r = results.get("timeout");
    expect(r?.failure).toMatchObject({ kind: "timeout", cell: 2, firstLine: "while (true) {}" });
    expect(r?.failure?.report).toBe(
      "test/fixtures/notebooks/timeout.ipynb: cell 2 (code cell 2 of 3) timed out\n" +
        "  first line: while (true) {}\n" +
        "  Timeout: the cell did not finish within 5 s; its process was killed",
    );
    const nb = executed("timeout");
    expect(outputsOf(nb, 1)).toEqual([{ stream: "stdout", text: "start\n" }]);
    expect(outputsOf(nb, 2)).toEqual([{ error: "Timeout", evalue: "the cell did not finish within 5 s; its process was killed" }]);
    expect(countsOf(nb)).toEqual([1, 2, null]);
  });

  it("names the file, line and column of a notebook that is not JSON", () => {
    const r = results.get("invalid");
    expect(r?.failure?.kind).toBe("invalid");
    expect(r?.failure?.message).toMatch(/^test\/fixtures\/notebooks\/invalid\.ipynb: not valid JSON at line 4, column 2 \(character offset 53\)/);
  });
});

describe("cell tags", () => {
  it("raises-exception records the expected error and goes on", () => {
    const r = results.get("raises-exception");
    expect(r?.status).toBe("passed");
    const nb = executed("raises-exception");
    expect(outputsOf(nb, 1)).toEqual([{ error: "RangeError", evalue: "expected failure" }]);
    expect(outputsOf(nb, 2)).toEqual([{ stream: "stdout", text: "after the expected failure\n" }]);
    expect(countsOf(nb)).toEqual([1, 2]);
  });

  it("skip-execution leaves the cell unexecuted", () => {
    const r = results.get("skip-execution");
    expect(r?.status).toBe("passed");
    expect(r?.cells).toEqual({ total: 3, code: 3, executed: 2, skipped: 1 });
    const nb = executed("skip-execution");
    expect(outputsOf(nb, 1)).toEqual([{ stream: "stdout", text: "first\n" }]);
    expect(outputsOf(nb, 2)).toEqual([]);
    expect(outputsOf(nb, 3)).toEqual([{ stream: "stdout", text: "third\n" }]);
    expect(countsOf(nb)).toEqual([1, null, 2]);
  });
});

describe("cache and progress", () => {
  it("does not run an unchanged notebook again, and runs it when the notebook or the library changes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nb-cache-"));
    try {
      const lib = join(dir, "lib");
      mkdirSync(lib);
      writeFileSync(join(lib, "index.js"), "export const v = 1;\n");
      const opts = { outDir: join(dir, "out"), libraryDir: lib };
      const nbFile = join(dir, "skip.ipynb");
      copyFileSync(fixture("skip-execution"), nbFile);
      const events: RunProgress["kind"][] = [];
      const [first] = await runNotebooks([nbFile], { ...opts, onProgress: (e) => events.push(e.kind) });
      expect(first?.cached).toBe(false);
      expect(events).toEqual(["notebook-start", "cell-start", "cell-start", "notebook-end"]);
      const [second] = await runNotebooks([nbFile], opts);
      expect(second).toMatchObject({ cached: true, status: "passed", cells: { executed: 2, skipped: 1 } });

      const nb = JSON.parse(readFileSync(nbFile, "utf8")) as Notebook;
      nb.cells[0]!.source = 'console.log("edited");';
      writeFileSync(nbFile, JSON.stringify(nb));
      const [edited] = await runNotebooks([nbFile], opts);
      expect(edited?.cached).toBe(false);
      expect(outputsOf(JSON.parse(readFileSync(join(dir, "out", "skip.ipynb"), "utf8")) as Notebook, 1)).toEqual([
        { stream: "stdout", text: "edited\n" },
      ]);

      // The key's other parts, on a notebook without code cells (no process to start).
      const textOnly = join(dir, "text.ipynb");
      writeFileSync(textOnly, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "markdown", id: "m", metadata: {}, source: "# text" }] }));
      expect((await runNotebooks([textOnly], opts))[0]?.cached).toBe(false);
      expect((await runNotebooks([textOnly], opts))[0]?.cached).toBe(true);
      expect((await runNotebooks([textOnly], { ...opts, force: true }))[0]?.cached).toBe(false);
      writeFileSync(join(lib, "index.js"), "export const v = 2;\n");
      expect((await runNotebooks([textOnly], opts))[0]?.cached).toBe(false);
      expect((await runNotebooks([textOnly], opts))[0]?.cached).toBe(true);
      rmSync(join(dir, "out", "text.ipynb"));
      expect((await runNotebooks([textOnly], opts))[0]?.cached).toBe(false);
      writeFileSync(join(dir, "out", "text.ipynb"), "{}");
      expect((await runNotebooks([textOnly], opts))[0]?.cached).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("tcp-lifecycle notebooks run", () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ["dist/cli/main.js", "notebooks", "run", ...args], { encoding: "utf8" });

  it("exits 1 with the report when a notebook fails, 0 when all pass", () => {
    const dir = mkdtempSync(join(tmpdir(), "nb-cli-"));
    try {
      const failed = cli(fixture("type-error"), fixture("skip-execution"), "--out", dir);
      expect(failed.status).toBe(1);
      expect(failed.stderr).toContain("[1/2] test/fixtures/notebooks/type-error.ipynb  FAILED (2/3 code cells)");
      expect(failed.stderr).toContain("[2/2] test/fixtures/notebooks/skip-execution.ipynb  passed (2/3 code cells, 1 skipped)");
      expect(failed.stderr).toContain(
        "test/fixtures/notebooks/type-error.ipynb: cell 2 (code cell 2 of 3) failed\n" +
          '  first line: const n: number = "not a number";\n' +
          "  1:7 - Type 'string' is not assignable to type 'number'.\n",
      );
      expect(failed.stderr).toMatch(/2 notebook\(s\): 2 run, 0 cached, 1 failed/);
      const passed = cli(fixture("skip-execution"), "--out", dir);
      expect(passed.status).toBe(0);
      expect(passed.stderr).toContain("[1/1] test/fixtures/notebooks/skip-execution.ipynb  cached (3 code cells, unchanged)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("clean strips outputs and execution counts, and --check reports without writing", () => {
    const dir = mkdtempSync(join(tmpdir(), "nb-clean-"));
    try {
      const file = join(dir, "passing.ipynb");
      copyFileSync(join(out, "passing.ipynb"), file);
      const clean = (...args: string[]) =>
        spawnSync(process.execPath, ["dist/cli/main.js", "notebooks", "clean", ...args], { encoding: "utf8" });
      const check = clean(file, "--check");
      expect(check.status).toBe(1);
      expect(check.stderr).toContain(`${file}: not clean\n  cell 2: has 1 output(s)\n  cell 2: has execution_count 1\n`);
      expect(sha(file)).toBe(sha(join(out, "passing.ipynb")));
      expect(clean(file).status).toBe(0);
      expect(clean(file, "--check").status).toBe(0);
      const cleaned = JSON.parse(readFileSync(file, "utf8")) as Notebook;
      const original = JSON.parse(readFileSync(join(out, "passing.ipynb"), "utf8")) as Notebook;
      expect(cleaned.cells.map((c) => c.source)).toEqual(original.cells.map((c) => c.source));
      expect(countsOf(cleaned)).toEqual([null, null, null, null, null, null, null]);
      expect(cleaned.cells.every((c) => c.cell_type !== "code" || c.outputs.length === 0)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 without a stack trace on a missing file or a bad option", () => {
    const missing = cli("no-such.ipynb");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe("tcp-lifecycle: no-such.ipynb: no such notebook\n");
    const bad = cli(fixture("passing"), "--timeout", "soon");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('tcp-lifecycle: --timeout: expected a number >= 0.001, got "soon"\n');
  });
});
