import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync, mkdirSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSite, SiteBuildError } from "../src/site/build.js";
import type { SiteBuildResult } from "../src/site/build.js";
import { GLOSSARY } from "../src/teaching/glossary.js";

const FIXTURES = "test/fixtures/site/notebooks";
const fixtureNotebooks = readdirSync(FIXTURES).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(FIXTURES, f));

let dir: string;
let result: SiteBuildResult;
const page = (name: string): string => readFileSync(join(result.outDir, name), "utf8");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "site-build-"));
  result = await buildSite({ notebooks: fixtureNotebooks, outDir: join(dir, "out"), execute: false });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("site build from fixture notebooks", () => {
  it("writes one page per chapter, in order, plus home, 404, search index and assets", () => {
    expect(result.chapters.map((c) => c.slug)).toEqual([
      "00-introduction", "01-four-way-close", "02-why-four-not-three", "03-state-machine", "04-time-wait",
    ]);
    for (const f of ["index.html", "404.html", "search-index.json", "assets/site.css", "assets/site.js", "assets/theme.js", "assets/favicon.svg"]) {
      expect(existsSync(join(result.outDir, f)), f).toBe(true);
    }
    for (const c of result.chapters) {
      expect(existsSync(join(result.outDir, `${c.slug}.html`))).toBe(true);
      const clean = JSON.parse(readFileSync(join(result.outDir, "notebooks", `${c.slug}.ipynb`), "utf8")) as { cells: Array<{ cell_type: string; outputs?: unknown[]; execution_count?: unknown }> };
      for (const cell of clean.cells.filter((x) => x.cell_type === "code")) {
        expect(cell.outputs).toEqual([]);
        expect(cell.execution_count).toBeNull();
      }
      expect(existsSync(join(result.outDir, "notebooks", `${c.slug}.executed.ipynb`))).toBe(true);
    }
  });

  it("gives every page a title, a description and lang=en", () => {
    for (const name of ["index.html", "404.html", ...result.chapters.map((c) => `${c.slug}.html`)]) {
      const html = page(name);
      expect(html).toMatch(/<html lang="en">/);
      expect(html).toMatch(/<title>[^<]+<\/title>/);
      expect(html).toMatch(/<meta name="description" content="[^"]{10,}">/);
    }
    expect(page("04-time-wait.html")).toContain("<title>04 · TIME_WAIT — tcp-lifecycle</title>");
  });

  it("links only to local files: no external script, style, image or font", () => {
    for (const f of result.files.filter((x) => x.path.endsWith(".html"))) {
      const html = page(f.path);
      expect(html, f.path).not.toMatch(/<(script|link|img)[^>]+(src|href)="(https?:)?\/\//);
      expect(html, f.path).not.toMatch(/url\((['"]?)(https?:)?\/\//);
    }
    expect(page("assets/site.css")).not.toMatch(/url\((['"]?)(https?:)?\/\//);
  });

  it("renders markdown: anchored headings, tables, highlighted fenced code, monospaced ASCII diagrams", () => {
    const html = page("01-four-way-close.html");
    expect(html).toMatch(/<h2 id="the-ladder"><a class="heading-anchor" href="#the-ladder" aria-hidden="true">#<\/a><\/h2>|<h2 id="the-ladder">The ladder/);
    expect(html).toContain(`<pre class="plain"><code> client                     server`);
    expect(html).toContain("|---- FIN seq=u --------&gt;|");
    expect(html).toMatch(/<pre class="code"><code class="hljs language-ts"><span class="hljs-keyword">const<\/span>/);
    const intro = page("00-introduction.html");
    expect(intro).toMatch(/<table>\s*<thead>\s*<tr>\s*<th>Cell<\/th>/);
  });

  it("highlights code cells as TypeScript", () => {
    expect(page("01-four-way-close.html")).toMatch(/<div class="cell-input"><pre class="code"><code class="hljs language-typescript"><span class="hljs-keyword">import<\/span>/);
  });

  it("turns asciichart's ANSI colours into classes, and escapes stream text", () => {
    const html = page("04-time-wait.html");
    expect(html).toContain(`<span class="ansi-blue-fg">╭</span>`);
    expect(html).toContain(`<span class="ansi-red-fg">`);
    expect(html).not.toContain("\u001b[");
  });

  it("renders display_data: svg with a text alternative, sanitised html, markdown, png with alt, text", () => {
    const one = page("01-four-way-close.html");
    // Ids are namespaced per output (two copies of one SVG on a page must not share them):
    // the label and the marker still resolve inside this SVG.
    const svg = /<figure class="output output-svg"><svg [^>]*viewBox="0 0 240 120"[^>]*role="img"[^>]*aria-labelledby="([\w-]+)-t1"/.exec(one);
    expect(svg).not.toBeNull();
    const prefix = svg![1]!;
    expect(one).toContain(`id="${prefix}-t1"`);
    expect(one).toContain(`marker-end="url(#${prefix}-arrow)"`);
    expect(one).toContain(`id="${prefix}-arrow"`);
    expect(one).toContain(`<p class="note">Half-closed: the server may still send.</p>`);
    expect(one).not.toMatch(/onerror|<script>alert/);
    expect(one).not.toContain(`<img src="x"`);
    expect(one).toMatch(/<div class="output output-markdown"><p><strong>Wave 2<\/strong> acknowledges the FIN.<\/p>\s*<table>/);
    const two = page("02-why-four-not-three.html");
    expect(two).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+" alt="A red square standing in for a figure">/);
    expect(two).toMatch(/<div class="output output-stream output-stderr"><span class="output-label">stderr<\/span><pre>warning/);
    const three = page("03-state-machine.html");
    expect(three).toContain(`<div class="output output-text"><pre>LISTEN: waiting for a SYN &lt;from anyone&gt;</pre></div>`);
  });

  it("styles an expected error (raises-exception) as an error", () => {
    const html = page("03-state-machine.html");
    expect(html).toMatch(/<div class="output output-error expected" role="note" aria-label="Expected error"><span class="output-label">Expected error<\/span><pre><span class="ansi-red-fg">InvalidTransition<\/span>: CLOSED does not accept RCV_FIN/);
  });

  it("folds solutions behind 'Show solution' and shows only the output of hide-input cells", () => {
    const html = page("04-time-wait.html");
    expect(html).toMatch(/<details class="solution"><summary>Show solution<\/summary><div class="cell cell-code">[\s\S]*littlesLaw[\s\S]*6000[\s\S]*?<\/details>/);
    const one = page("01-four-way-close.html");
    expect(one).toMatch(/<div class="cell cell-code hide-input"><div class="cell-outputs"><figure class="output output-svg">/);
    expect(one).not.toContain("renderSvgLadder(trace)");
  });

  it("has a sidebar in chapter order, an in-page table of contents, and prev/next links", () => {
    const html = page("02-why-four-not-three.html");
    const sidebar = /<nav id="sidebar"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? "";
    const order = [...sidebar.matchAll(/href="([^"]+)\.html"/g)].map((m) => m[1]).filter((slug) => slug !== "glossary");
    expect(order).toEqual(result.chapters.map((c) => c.slug));
    expect(sidebar).toContain(`href="02-why-four-not-three.html" aria-current="page"`);
    expect(html).toMatch(/<nav class="toc" aria-label="On this page">[\s\S]*href="#delayed-ack"/);
    expect(html).toMatch(/<a class="pager-prev" rel="prev" href="01-four-way-close.html">/);
    expect(html).toMatch(/<a class="pager-next" rel="next" href="03-state-machine.html">/);
    expect(page("00-introduction.html")).not.toContain(`rel="prev"`);
    expect(page("04-time-wait.html")).not.toContain(`rel="next"`);
  });

  it("offers both notebook downloads and a run-it-yourself box", () => {
    const html = page("04-time-wait.html");
    expect(html).toContain(`<a href="notebooks/04-time-wait.ipynb" download>clean source</a>`);
    expect(html).toContain(`<a href="notebooks/04-time-wait.executed.ipynb" download>executed copy</a>`);
    expect(html).toContain("npm run kernel:install");
    expect(html).toContain("jupyter notebook notebooks/04-time-wait.ipynb");
  });

  it("indexes every chapter for search; TIME_WAIT finds chapter 04", async () => {
    const { default: MiniSearch } = await import("minisearch");
    const { SEARCH_OPTIONS, SEARCH_QUERY } = await import("../src/site/client/search-options.js");
    const index = MiniSearch.loadJSON(page("search-index.json"), SEARCH_OPTIONS);
    const hits = index.search("TIME_WAIT", { ...SEARCH_QUERY, boost: { ...SEARCH_QUERY.boost } });
    expect(hits[0]?.["url"]).toMatch(/^04-time-wait\.html/);
    expect(index.search("half-closed", { combineWith: "AND" }).map((h) => h["url"] as string)).toContain("01-four-way-close.html#seq-and-ack-arithmetic");
  });

  it("keeps each chapter page (HTML + CSS + JS) under 300 KB", () => {
    const size = (p: string): number => result.files.find((f) => f.path === p)?.bytes ?? 0;
    const shared = size("assets/site.css") + size("assets/site.js") + size("assets/theme.js");
    for (const c of result.chapters) expect(size(`${c.slug}.html`) + shared).toBeLessThan(300 * 1024);
  });

  it("rewrites nothing when nothing changed, and removes pages of deleted chapters", async () => {
    const again = await buildSite({ notebooks: fixtureNotebooks, outDir: result.outDir, execute: false });
    expect(again.written).toEqual([]);
    expect(again.reused).toBe(true);
    expect(again.chapters.map((c) => c.slug)).toEqual(result.chapters.map((c) => c.slug));
    expect(again.files).toEqual(result.files);
    // A page deleted by hand is noticed and written again.
    rmSync(join(result.outDir, "02-why-four-not-three.html"));
    const repaired = await buildSite({ notebooks: fixtureNotebooks, outDir: result.outDir, execute: false });
    expect(repaired.reused).toBe(false);
    expect(repaired.written).toEqual(["02-why-four-not-three.html"]);
    const fewer = await buildSite({ notebooks: fixtureNotebooks.slice(0, 2), outDir: result.outDir, execute: false });
    expect(fewer.chapters).toHaveLength(2);
    expect(existsSync(join(result.outDir, "04-time-wait.html"))).toBe(false);
    result = await buildSite({ notebooks: fixtureNotebooks, outDir: result.outDir, execute: false });
  });

  it("refuses to write into a folder that is not a site build", async () => {
    const other = join(dir, "precious");
    mkdirSync(other);
    writeFileSync(join(other, "thesis.tex"), "keep me");
    await expect(buildSite({ notebooks: fixtureNotebooks, outDir: other, execute: false })).rejects.toThrow(SiteBuildError);
    expect(readFileSync(join(other, "thesis.tex"), "utf8")).toBe("keep me");
  });

  it("names the file and cell of a malformed notebook", async () => {
    const bad = join(dir, "09-bad.ipynb");
    writeFileSync(bad, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "code", source: "", metadata: {} }] }));
    await expect(buildSite({ notebooks: [bad], outDir: join(dir, "bad-out"), execute: false })).rejects.toThrow(/09-bad\.ipynb: cell 1: code cell without an "outputs" array/);
  });
});

describe("site build security", () => {
  it("shows <script> printed by a notebook as text", async () => {
    const out = join(dir, "xss");
    await buildSite({ notebooks: ["test/fixtures/site/xss/00-hostile.ipynb"], outDir: out, execute: false });
    const html = readFileSync(join(out, "00-hostile.html"), "utf8");
    expect(html).toContain("&lt;script&gt;window.__pwned = true&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=&quot;window.__pwned = true&quot;&gt;");
    expect(html).not.toMatch(/<script>window/);
    expect(html).not.toMatch(/<img src=x/);
  });
});

const realNotebooks = existsSync("notebooks") ? readdirSync("notebooks").filter((f) => f.endsWith(".ipynb")).sort().map((f) => join("notebooks", f)) : [];

describe.skipIf(realNotebooks.length === 0)("site build from the real notebooks/", () => {
  let real: SiteBuildResult;
  let out: string;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "site-real-"));
    // Its own executed folder (kept under build/, so a second run is answered by the cache).
    real = await buildSite({ notebooks: realNotebooks, outDir: join(out, "site"), executedDir: "build/site-test/executed-build" });
  }, 900_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("executes every notebook through the runner and renders one page per chapter", () => {
    expect(real.runs.map((r) => r.status)).toEqual(realNotebooks.map(() => "passed"));
    expect(real.chapters.map((c) => `${c.slug}.ipynb`)).toEqual(realNotebooks.map((f) => f.split("/").pop()));
    for (const c of real.chapters) {
      const html = readFileSync(join(real.outDir, `${c.slug}.html`), "utf8");
      expect(html, c.slug).not.toContain("output-unsupported");
      expect(html, c.slug).not.toContain("\u001b[");
      expect(c.title, c.slug).not.toMatch(/^\d/);
    }
  });

  it("embeds the live widget, with its static ladder, in chapters 01–04", () => {
    for (const c of real.chapters.filter((x) => ["01", "02", "03", "04"].includes(x.number))) {
      expect(c.widgets.length, c.slug).toBeGreaterThan(0);
      expect(readFileSync(join(real.outDir, `${c.slug}.html`), "utf8"), c.slug).toMatch(/<div[^>]*data-tcp-widget="[a-z-]+"[^>]*><svg [^>]*class="tcp-ladder"/);
    }
  });

  it("keeps every chapter page, widget included, under 300 KB", () => {
    const size = (p: string): number => real.files.find((f) => f.path === p)?.bytes ?? 0;
    const shared = size("assets/site.css") + size("assets/site.js") + size("assets/theme.js");
    for (const c of real.chapters) {
      const weight = size(`${c.slug}.html`) + shared + (c.widgets.length > 0 ? size("assets/widget.js") : 0);
      expect(weight, c.slug).toBeLessThan(300 * 1024);
    }
  });

  it("shows chapter 07 with its exercises' neutral prompts and every solution folded", () => {
    const c = real.chapters.find((x) => x.slug === "07-cheat-sheet");
    expect(c?.title).toBe("Cheat sheet and self-test");
    const html = readFileSync(join(real.outDir, "07-cheat-sheet.html"), "utf8");
    const prompts = html.match(/write your answer in place of <code>undefined<\/code>|write your answer in place of `undefined`/g) ?? [];
    const solutions = html.match(/<details class="solution"><summary>Show solution<\/summary>/g) ?? [];
    expect(prompts.length).toBeGreaterThanOrEqual(10);
    expect(solutions.length).toBe(prompts.length);
    // Each exercise's own output is the prompt, never a verdict; the verdicts are inside the folds.
    const outside = html.replace(/<details class="solution">[\s\S]*?<\/details>/g, "");
    expect(outside).not.toMatch(/Right: /);
  });

  it("writes the glossary page and links each term's first use in a chapter, never inside code", () => {
    const glossary = readFileSync(join(real.outDir, "glossary.html"), "utf8");
    for (const e of GLOSSARY) expect(glossary, e.anchor).toContain(`<dt id="${e.anchor}">`);
    for (const c of real.chapters) {
      const html = readFileSync(join(real.outDir, `${c.slug}.html`), "utf8");
      for (const block of html.match(/<(pre|code|h[1-6])\b[\s\S]*?<\/\1>/g) ?? []) expect(block, c.slug).not.toContain("glossary-link");
      for (const e of GLOSSARY) {
        const n = html.split(`href="glossary.html#${e.anchor}" class="glossary-link"`).length - 1;
        expect(n, `${c.slug}: ${e.anchor}`).toBeLessThanOrEqual(1);
      }
    }
    // Chapter 01: for every term its prose uses, the first use is the link.
    const one = readFileSync(join(real.outDir, "01-four-way-close.html"), "utf8");
    const article = /<article class="chapter">([\s\S]*)<\/article>/.exec(one)?.[1] ?? "";
    const prose = article
      // Code, headings, pictures and raw HTML outputs are not prose (markdown outputs are).
      .replace(/<(pre|code|h[1-6]|svg|style|figure)\b[\s\S]*?<\/\1>/g, " ")
      .replace(/<div class="output output-html">[\s\S]*?<\/div>/g, " ")
      .replace(/<a href="glossary\.html#[^"]+" class="glossary-link">([^<]*)<\/a>/g, "\u27e6$1\u27e7")
      .replace(/<a\b[\s\S]*?<\/a>/g, " ")
      .replace(/<[^>]+>/g, " ")
      .replace(/&amp;/g, "&");
    let checked = 0;
    for (const e of GLOSSARY) {
      const spellings = [e.term, ...e.aliases].map((t) => t.trim()).filter((t) => t !== "");
      let first: RegExpExecArray | null = null;
      for (const t of spellings) {
        const re = new RegExp(`(?<![\\p{L}\\p{N}_])${t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}\\p{N}_])`, t === t.toLowerCase() ? "iu" : "u");
        const m = re.exec(prose);
        if (m !== null && (first === null || m.index < first.index)) first = m;
      }
      if (first === null) continue;
      checked++;
      expect(prose[first.index - 1], `01: first use of ${e.term} ("${prose.slice(first.index - 40, first.index + 40)}")`).toBe("\u27e6");
      expect(one, e.anchor).toContain(`href="glossary.html#${e.anchor}" class="glossary-link"`);
    }
    // Which terms chapter 01 uses depends on its text; once the glossary is filled, it uses some.
    if (GLOSSARY.length > 0) expect(checked).toBeGreaterThan(0);
  });

  it("search finds TIME_WAIT in chapter 04 first", async () => {
    const { default: MiniSearch } = await import("minisearch");
    const { SEARCH_OPTIONS, SEARCH_QUERY } = await import("../src/site/client/search-options.js");
    const index = MiniSearch.loadJSON(readFileSync(join(real.outDir, "search-index.json"), "utf8"), SEARCH_OPTIONS);
    const hits = index.search("TIME_WAIT", { ...SEARCH_QUERY, boost: { ...SEARCH_QUERY.boost } });
    expect(hits[0]?.["url"]).toMatch(/^04-/);
  });
});
