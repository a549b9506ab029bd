/**
 * The glossary on the site: the page (one anchor per entry) and the first-use links in chapters
 * (whole words, first use per page, never in code, links or headings).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMarkdown, renderMarkdown } from "../src/site/markdown.js";
import { renderChapter } from "../src/site/chapter.js";
import { buildSite, type SiteBuildResult } from "../src/site/build.js";
import { GLOSSARY, type GlossaryEntry } from "../src/teaching/glossary.js";
import type { Notebook } from "../src/site/nbformat.js";

const TERMS: readonly GlossaryEntry[] = [
  { term: "FIN", anchor: "fin", aliases: ["FINs"], definition: "The control bit that closes its sender's direction (RFC 9293 §3.1)." },
  { term: "MSL", anchor: "msl", aliases: [], definition: "Maximum segment lifetime, `2 minutes` in RFC 9293 §3.4.2." },
  { term: "2MSL", anchor: "two-msl", aliases: [], definition: "Twice the MSL: how long TIME-WAIT lasts (RFC 9293 §3.6.1)." },
  { term: "orphan", anchor: "orphan", aliases: ["orphans", "orphaned"], definition: "A socket its application has closed." },
  { term: "TCB", anchor: "tcb", aliases: [], definition: "Transmission control block (RFC 9293 §3.3.1)." },
];

const links = (html: string): string[] => [...html.matchAll(/<a href="glossary\.html#([^"]+)" class="glossary-link">([^<]*)<\/a>/g)].map((m) => `${m[1]}:${m[2]}`);

describe("first-use glossary links", () => {
  const md = createMarkdown({ glossary: TERMS });

  it("links the first use of each term only, across the cells of a page", () => {
    const env = {};
    const a = renderMarkdown(md, "The FIN closes one direction; the second FIN closes the other. 2MSL is twice the MSL.", env).html;
    const b = renderMarkdown(md, "Another FIN, another 2MSL, an orphan.", env).html;
    expect(links(a)).toEqual(["fin:FIN", "two-msl:2MSL", "msl:MSL"]);
    expect(links(b)).toEqual(["orphan:orphan"]);
    // A new page (a new env) links again.
    expect(links(renderMarkdown(md, "A FIN.", {}).html)).toEqual(["fin:FIN"]);
  });

  it("matches whole words only, and capitals exactly", () => {
    expect(links(renderMarkdown(md, "FINAL, FIN_WAIT_1, xMSL and tcb are not terms; Orphaned is, and so is TCB.", {}).html))
      .toEqual(["orphan:Orphaned", "tcb:TCB"]);
  });

  it("never links inside inline code, code blocks, links or headings", () => {
    const src = "## The FIN\n\n`FIN` in code, [a FIN link](https://example.org/), then\n\n```\nFIN seq=u\n```\n\n    FIN indented\n\nfinally a FIN.";
    const html = renderMarkdown(md, src, {}).html;
    expect(links(html)).toEqual(["fin:FIN"]);
    expect(html).toContain("<code>FIN</code>");
    expect(html).toContain(`<a href="https://example.org/">a FIN link</a>`);
    expect(html).toMatch(/finally a <a href="glossary\.html#fin" class="glossary-link">FIN<\/a>\./);
    for (const block of html.match(/<(pre|h2)[\s\S]*?<\/\1>/g) ?? []) expect(block).not.toContain("glossary-link");
  });

  it("changes nothing without a glossary", () => {
    const plain = renderMarkdown(createMarkdown(), "A FIN and 2MSL.", {}).html;
    expect(plain).toBe(renderMarkdown(createMarkdown({ glossary: [] }), "A FIN and 2MSL.", {}).html);
    expect(plain).not.toContain("glossary");
  });

  it("links in a chapter's markdown outputs too, still only once per page", () => {
    const nb: Notebook = {
      nbformat: 4, nbformat_minor: 5, metadata: {},
      cells: [
        { cell_type: "markdown", metadata: {}, source: "# 1 · Close\n\nNo terms here." },
        { cell_type: "code", metadata: {}, execution_count: 1, source: "x", outputs: [{ output_type: "display_data", metadata: {}, data: { "text/markdown": "The FIN, an orphan." } }] },
        { cell_type: "markdown", metadata: {}, source: "Then the FIN again." },
      ],
    };
    expect(links(renderChapter(nb, "01-close.ipynb", md).html)).toEqual(["fin:FIN", "orphan:orphan"]);
  });
});

describe("the glossary page in a site build", () => {
  let dir: string;
  let result: SiteBuildResult;
  const fixtures = readdirSync("test/fixtures/site/notebooks").filter((f) => f.endsWith(".ipynb")).sort().map((f) => join("test/fixtures/site/notebooks", f));
  const page = (p: string): string => readFileSync(join(result.outDir, p), "utf8");

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "site-glossary-"));
    result = await buildSite({ notebooks: fixtures, outDir: join(dir, "out"), execute: false, glossary: TERMS });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes glossary.html with one anchor per entry, in the navigation of every page", () => {
    const html = page("glossary.html");
    for (const e of TERMS) expect(html).toContain(`<dt id="${e.anchor}">${e.term}`);
    expect(html).toContain("<code>2 minutes</code>");
    expect(html).not.toContain("glossary-link");
    expect(html).toContain(`href="glossary.html" aria-current="page">Glossary</a>`);
    for (const c of result.chapters) expect(page(`${c.slug}.html`), c.slug).toMatch(/<nav id="sidebar"[\s\S]*href="glossary\.html">Glossary<\/a>[\s\S]*?<\/nav>/);
    expect(result.files.map((f) => f.path)).toContain("glossary.html");
  });

  it("links chapter 01's first FIN to the glossary, and no FIN inside its code", () => {
    const html = page("01-four-way-close.html");
    expect(links(html)).toEqual(["fin:FIN"]);
    expect(html).toContain(`Each side closes its own direction: <a href="glossary.html#fin" class="glossary-link">FIN</a>, ACK, FIN, ACK.`);
    for (const block of html.match(/<pre[\s\S]*?<\/pre>/g) ?? []) expect(block).not.toContain("glossary-link");
    for (const block of html.match(/<h[1-6][\s\S]*?<\/h[1-6]>/g) ?? []) expect(block).not.toContain("glossary-link");
  });

  it("builds with the real GLOSSARY by default: one anchor per entry", async () => {
    const out = join(dir, "default");
    await buildSite({ notebooks: fixtures.slice(0, 2), outDir: out, execute: false });
    const html = readFileSync(join(out, "glossary.html"), "utf8");
    for (const e of GLOSSARY) expect(html, e.anchor).toContain(`<dt id="${e.anchor}">`);
    expect(new Set(GLOSSARY.map((e) => e.anchor)).size).toBe(GLOSSARY.length);
  });
});
