/**
 * Every chapter notebook (notebooks/*.ipynb) executes without error through the runner, the
 * way `npm run notebooks` runs it. Checks on a chapter's key artefacts go in CHECKS.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runNotebooks, type NotebookResult } from "../src/notebook/index.js";
import { joinText, parseNotebook, type Notebook } from "../src/notebook/nbformat.js";

const DIR = "notebooks";
const OUT = "test-artifacts/notebooks";
const files = readdirSync(DIR).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(DIR, f));

/** All text and display data a notebook produced, for artefact checks. */
function outputText(nb: Notebook): string {
  return nb.cells
    .flatMap((c) => (c.cell_type === "code" ? c.outputs : []))
    .map((o) => (o.output_type === "stream" ? joinText(o.text) : o.output_type === "error" ? o.evalue : Object.values(o.data).map(joinText).join("\n")))
    .join("\n");
}

/**
 * Per-chapter checks on what the executed notebook shows (file name → assertions on all its
 * output text), e.g. "01-four-way-close.ipynb": (text) => expect(text).toContain("FIN_WAIT_2").
 */
const CHECKS: Record<string, (text: string, nb: Notebook) => void> = {};

let results: NotebookResult[] = [];

beforeAll(async () => {
  results = await runNotebooks(files, { outDir: OUT, force: true });
}, 600_000);

describe("chapter notebooks execute through the runner", () => {
  it(`runs every notebook in ${DIR}/ (${files.length} found)`, () => {
    expect(results.map((r) => r.file)).toEqual(files);
  });

  it.each(files)("%s executes without error", (file) => {
    const r = results.find((x) => x.file === file);
    expect(r?.failure?.report ?? "").toBe("");
    expect(r?.status).toBe("passed");
    const parsed = parseNotebook(readFileSync(r?.outPath ?? "", "utf8"), file);
    if (!parsed.ok) throw new Error(parsed.error);
    CHECKS[file.slice(DIR.length + 1)]?.(outputText(parsed.notebook), parsed.notebook);
  });
});
