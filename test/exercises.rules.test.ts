/**
 * The exercise rules of the teaching issue, checked on the committed notebooks and the
 * catalogue (no execution: test/notebooks.execute.test.ts checks what the cells print).
 * - every chapter has ≥ 3 exercises, ≥ 1 of them diagnostic or transfer;
 * - an exercise cell carries `"exercise": {"id": "NN.k"}` (ids in order, chapter = file number),
 *   passes `undefined` to `check`, and is followed by its solution: tagged `solution`, hidden
 *   in Jupyter (`jupyter.source_hidden`), passing a value to `check` for the same id;
 * - every catalogued exercise appears in its chapter once, and every cell's id is catalogued;
 * - each exercise's own solution is judged right, each listed misconception's answers wrong
 *   (with that misconception named), and the first wrong try never shows the answer.
 */
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { joinText, parseNotebook, type Notebook } from "../src/notebook/nbformat.js";
import {
  exerciseIds, getExercise, judgeAnswer, resetTries, THINKING_KINDS, UNANSWERED_PROMPT, type Feedback,
} from "../src/exercises/index.js";
import { registerKernelExercises } from "../src/exercises/kernel/index.js";

registerKernelExercises();

const DIR = "notebooks";
const files = readdirSync(DIR).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();

function load(file: string): Notebook {
  const parsed = parseNotebook(readFileSync(join(DIR, file), "utf8"), file);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.notebook;
}

interface Found { readonly id: string; readonly cell: number; readonly source: string; readonly solution?: { readonly cell: number; readonly source: string; readonly hidden: boolean } }

function exercisesIn(nb: Notebook): Found[] {
  const out: Found[] = [];
  nb.cells.forEach((c, i) => {
    const ex = (c.metadata as Record<string, unknown>)["exercise"];
    if (ex === undefined) return;
    const id = typeof ex === "object" && ex !== null ? (ex as Record<string, unknown>)["id"] : undefined;
    const next = nb.cells[i + 1];
    const tags = next?.metadata.tags ?? [];
    const jupyter = (next?.metadata as Record<string, unknown> | undefined)?.["jupyter"];
    const hidden = typeof jupyter === "object" && jupyter !== null && (jupyter as Record<string, unknown>)["source_hidden"] === true;
    out.push({
      id: String(id),
      cell: i,
      source: joinText(c.source),
      ...(next && next.cell_type === "code" && tags.includes("solution") ? { solution: { cell: i + 1, source: joinText(next.source), hidden } } : {}),
    });
  });
  return out;
}

describe("every chapter meets the exercise rules", () => {
  it("finds the chapters", () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it.each(files)("%s", (file) => {
    const chapter = file.slice(0, 2);
    const nb = load(file);
    const found = exercisesIn(nb);
    expect(found.length, `${file}: exercises`).toBeGreaterThanOrEqual(3);
    expect(found.map((f) => f.id), `${file}: ids in order`).toEqual(found.map((_, k) => `${chapter}.${k + 1}`));
    for (const f of found) {
      const where = `${file} cell ${f.cell} (exercise ${f.id})`;
      expect(nb.cells[f.cell]?.cell_type, where).toBe("code");
      expect(nb.cells[f.cell]?.metadata.tags ?? [], where).toContain("exercise");
      expect(f.source, where).toMatch(new RegExp(`check\\("${f.id.replace(".", "\\.")}", undefined\\)`));
      expect(f.solution, `${where}: the next cell is its solution`).toBeDefined();
      expect(f.solution?.hidden, `${where}: solution hidden in Jupyter`).toBe(true);
      expect(f.solution?.source, `${where}: solution`).toMatch(new RegExp(`check\\("${f.id.replace(".", "\\.")}",\\s*(?!undefined\\))`));
      expect(() => getExercise(f.id), where).not.toThrow();
    }
    const kinds = found.map((f) => getExercise(f.id).kind);
    expect(kinds.some((k) => THINKING_KINDS.includes(k)), `${file}: a diagnostic or transfer exercise (kinds: ${kinds.join(", ")})`).toBe(true);
    // Every catalogued exercise of this chapter is in the notebook.
    expect(exerciseIds().filter((id) => id.startsWith(`${chapter}.`))).toEqual(found.map((f) => f.id));
  });

  it("no exercise id is catalogued without a chapter", () => {
    const chapters = new Set(files.map((f) => f.slice(0, 2)));
    expect(exerciseIds().filter((id) => !chapters.has(id.slice(0, 2)))).toEqual([]);
  });
});

describe("the catalogue", () => {
  const pure = exerciseIds();

  it.each(pure)("exercise %s: its solution is right, its misconceptions are wrong, a first try hides the answer", async (id) => {
    const e = getExercise(id);
    resetTries(id);
    const unanswered = (await judgeAnswer(id, undefined)) as Feedback;
    expect(unanswered.status).toBe("unanswered");
    expect(unanswered.message).toContain(UNANSWERED_PROMPT);
    expect(unanswered.message).not.toContain(e.hint);
    if (e.form === "fix-the-code") return; // judged against the kernel: test/exercises.kernel.test.ts
    const solved = await judgeAnswer(id, e.solution);
    expect(solved.status, `${id}: ${solved.message}`).toBe("right");
    expect(e.misconceptions.length, `${id}: misconceptions`).toBeGreaterThan(0);
    expect(e.hint.length).toBeGreaterThan(10);
    for (const m of e.misconceptions) {
      for (const a of m.answers) {
        resetTries(id);
        const f = await judgeAnswer(id, a);
        expect(f.status, `${id}: ${JSON.stringify(a)} → ${f.message}`).toBe("hint");
        expect(f.misconception).toBe(m.says);
        expect(f.message).toContain(e.hint);
        expect(f.message).not.toContain("The answer:");
        const again = await judgeAnswer(id, a);
        expect(again.status).toBe("answer");
        expect(again.message).toContain("The answer:");
      }
    }
    resetTries(id);
  });
});
