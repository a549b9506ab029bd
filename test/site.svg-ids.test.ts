import { describe, expect, it } from "vitest";
import { renderChapter } from "../src/site/chapter.js";
import { createMarkdown } from "../src/site/markdown.js";
import { parseNotebook } from "../src/site/nbformat.js";
import { namespaceIds } from "../src/site/outputs.js";
import { simulate } from "../src/sim/index.js";
import { renderSvgLadder } from "../src/render/svg-ladder.js";

const ladder = renderSvgLadder(simulate("four-way-close", { profile: "linux" }));
const handMade = `<svg viewBox="0 0 10 10" aria-labelledby="t d" aria-describedby="d"><title id="t">Two</title><desc id="d">arrows</desc>`
  + `<defs><marker id="m"><path d="M0,0"/></marker><linearGradient id="g"/></defs>`
  + `<line marker-end="url(#m)" style="stroke: url('#g')"/><use href="#m"/><use xlink:href="#m"/><a href="#summary">page</a></svg>`;

const refs = (svg: string): string[] => [
  ...[...svg.matchAll(/\s(?:xlink:)?href="#([^"]*)"/g)].map((m) => m[1]!),
  ...[...svg.matchAll(/url\(['"]?#([^'")]+)['"]?\)/g)].map((m) => m[1]!),
  ...[...svg.matchAll(/\saria-(?:labelledby|describedby)="([^"]*)"/g)].flatMap((m) => m[1]!.split(/\s+/)),
];
const ids = (html: string): string[] => [...html.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]!);

function page(svg: string): string {
  const display = { output_type: "display_data", data: { "image/svg+xml": svg, "text/plain": "a ladder" }, metadata: {} };
  const cell = { cell_type: "code", metadata: {}, execution_count: 1, source: "show()", outputs: [display, display] };
  const nb = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "markdown", metadata: {}, source: "# Ladders\n\n## Summary\n" }, cell, cell] }), "x");
  return renderChapter(nb, "05-x.ipynb", createMarkdown()).html;
}

describe("ids of rich outputs", () => {
  for (const [name, svg] of [["the real ladder", ladder], ["a hand-made SVG with every kind of reference", handMade]] as const) {
    it(`${name}: four copies on one page have unique ids, and each reference resolves inside its own SVG`, () => {
      expect(ids(svg).length).toBeGreaterThan(0);
      const html = page(svg);
      const all = ids(html);
      expect(new Set(all).size).toBe(all.length);
      const svgs = [...html.matchAll(/<svg\b[\s\S]*?<\/svg>/g)].map((m) => m[0]);
      expect(svgs).toHaveLength(4);
      for (const one of svgs) {
        const own = new Set(ids(one));
        const inner = refs(one).filter((r) => r !== "summary");
        expect(inner.length).toBeGreaterThan(0);
        for (const r of inner) expect(own.has(r), `${r} in ${[...own].join(", ")}`).toBe(true);
      }
      // A link to the page's own heading still points at the heading.
      if (svg === handMade) expect(html).toContain(`<h2 id="summary"`);
      if (svg === handMade) expect(svgs.every((s) => s.includes(`href="#summary"`))).toBe(true);
    });
  }

  it("rewrites every kind of reference consistently", () => {
    expect(namespaceIds(handMade, "p")).toBe(
      `<svg viewBox="0 0 10 10" aria-labelledby="p-t p-d" aria-describedby="p-d"><title id="p-t">Two</title><desc id="p-d">arrows</desc>`
      + `<defs><marker id="p-m"><path d="M0,0"/></marker><linearGradient id="p-g"/></defs>`
      + `<line marker-end="url(#p-m)" style="stroke: url('#p-g')"/><use href="#p-m"/><use xlink:href="#p-m"/><a href="#summary">page</a></svg>`,
    );
    expect(namespaceIds(`<svg><rect/></svg>`, "p")).toBe(`<svg><rect/></svg>`);
  });
});
