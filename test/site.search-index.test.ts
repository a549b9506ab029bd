import { describe, expect, it } from "vitest";
import MiniSearch from "minisearch";
import { renderChapter } from "../src/site/chapter.js";
import { createMarkdown } from "../src/site/markdown.js";
import { parseNotebook } from "../src/site/nbformat.js";
import { buildSearchIndex, searchDocs } from "../src/site/search-index.js";
import { SEARCH_OPTIONS, SEARCH_QUERY } from "../src/site/client/search-options.js";
import type { SearchDoc } from "../src/site/client/search-options.js";

const cells = [
  { cell_type: "markdown", metadata: {}, source: "# The close\n\nThe client closes first\n(it is the **active closer**); it sends a `FIN` and [waits](04-time-wait.ipynb).\n\n## Exercise\n\nCount the segments of a _normal_ close." },
  { cell_type: "code", metadata: {}, execution_count: 1, source: "const n = trace.length;\nconsole.log(`segments: ${n}`);", outputs: [{ output_type: "stream", name: "stdout", text: "segments: 4\n" }] },
  { cell_type: "code", metadata: { tags: ["solution"] }, execution_count: 2, source: "const zebrasolution = countSegments();", outputs: [{ output_type: "stream", name: "stdout", text: "quagga answer\n" }] },
  { cell_type: "markdown", metadata: { tags: ["solution"] }, source: "Because the **okapi** reason holds." },
  { cell_type: "code", metadata: { tags: ["hide-input"] }, execution_count: 3, source: "renderLadder(hiddenwombat);", outputs: [{ output_type: "stream", name: "stdout", text: "shown narwhal output\n" }] },
];

function docs(): SearchDoc[] {
  const nb = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }), "01-close.ipynb");
  return searchDocs([renderChapter(nb, "01-close.ipynb", createMarkdown())]);
}

function search(term: string): string[] {
  const nb = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }), "01-close.ipynb");
  const index = MiniSearch.loadJSON<SearchDoc>(buildSearchIndex([renderChapter(nb, "01-close.ipynb", createMarkdown())]), SEARCH_OPTIONS);
  return index.search(term, { ...SEARCH_QUERY, fuzzy: false }).map((r) => String(r["url"]));
}

describe("search index", () => {
  it("holds the prose as a reader sees it: no ** or backticks in any text or excerpt", () => {
    const all = docs();
    for (const d of all) {
      for (const field of [d.text, d.excerpt, d.heading]) {
        expect(field).not.toMatch(/\*\*|`|\]\(|(^|\s)_\w/);
      }
    }
    expect(all[0]?.excerpt).toBe("The client closes first (it is the active closer); it sends a FIN and waits.");
    expect(all[1]?.excerpt).toBe("Count the segments of a normal close.");
  });

  it("finds code and its output by their words", () => {
    expect(search("trace")).toEqual(["01-close.html#exercise"]);
    expect(search("narwhal")).toEqual(["01-close.html#exercise"]);
  });

  it("leaves solutions out, code and prose, and the input of hide-input cells", () => {
    for (const secret of ["zebrasolution", "quagga", "okapi", "hiddenwombat"]) {
      expect(search(secret), secret).toEqual([]);
      expect(docs().some((d) => d.text.includes(secret) || d.excerpt.includes(secret)), secret).toBe(false);
    }
  });
});
