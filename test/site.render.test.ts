import { describe, expect, it } from "vitest";
import { sanitize } from "../src/site/sanitize.js";
import { renderOutputs } from "../src/site/outputs.js";
import { createMarkdown, renderMarkdown, slugify } from "../src/site/markdown.js";
import { chapterDescription, renderChapter } from "../src/site/chapter.js";
import { parseNotebook } from "../src/site/nbformat.js";

const ctx = { markdown: (s: string) => s, where: "cell 1 of Test", expectsError: false, idScope: "cell1" };

describe("sanitize", () => {
  it("keeps SVG as written: case-sensitive attributes, markers by fragment, data-state", () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><defs><marker id="a" refX="5" markerWidth="3"><path d="M0,0"/></marker></defs><g data-state="TIME_WAIT" class="node"><line x1="0" y1="0" x2="5" y2="5" marker-end="url(#a)"/></g></svg>`;
    expect(sanitize(svg)).toBe(svg.replace(`<path d="M0,0"/>`, `<path d="M0,0"></path>`).replace(`marker-end="url(#a)"/>`, `marker-end="url(#a)"></line>`));
  });

  it("drops script, event handlers, javascript: URLs, external images and external references", () => {
    const out = sanitize(`<p onclick="x()">hi</p><script>alert(1)</script><a href="javascript:alert(1)">a</a><img src="https://example.com/t.png"><svg><use href="https://example.com/s.svg#x"/><rect fill="url(https://example.com/p)"/></svg>`);
    expect(out).toBe(`<p>hi</p><a>a</a><svg><use></use><rect></rect></svg>`);
  });

  it("keeps the SVG's own <style> but not one that imports or fetches", () => {
    expect(sanitize(`<svg><style>.n rect { fill: none; }</style></svg>`)).toBe(`<svg><style>.n rect { fill: none; }</style></svg>`);
    expect(sanitize(`<svg><style>@import "https://example.com/x.css";</style></svg>`)).toBe(`<svg><style></style></svg>`);
    expect(sanitize(`<svg><style>.n { background: url(https://example.com/x) }</style></svg>`)).toBe(`<svg><style></style></svg>`);
  });

  it("keeps data: PNG images and the widget marker", () => {
    expect(sanitize(`<img src="data:image/png;base64,AAAA" alt="x">`)).toBe(`<img src="data:image/png;base64,AAAA" alt="x" />`);
    expect(sanitize(`<div class="tcp-widget" data-tcp-widget="four-way-close"></div>`)).toBe(`<div class="tcp-widget" data-tcp-widget="four-way-close"></div>`);
  });
});

describe("outputs", () => {
  it("escapes stream text, merges consecutive writes, and colours ANSI with classes", () => {
    const html = renderOutputs([
      { output_type: "stream", name: "stdout", text: ["<b>bold?</b> ", "\u001b[32mok\u001b[39m\n"] },
      { output_type: "stream", name: "stdout", text: "second & last\n" },
    ], ctx);
    expect(html).toBe(`<div class="output output-stream output-stdout"><pre>&lt;b&gt;bold?&lt;/b&gt; <span class="ansi-green-fg">ok</span>\nsecond &amp; last\n</pre></div>`);
  });

  it("labels an SVG without a title by where it came from", () => {
    const html = renderOutputs([{ output_type: "display_data", data: { "image/svg+xml": `<svg viewBox="0 0 1 1"></svg>` }, metadata: {} }], ctx);
    expect(html).toBe(`<figure class="output output-svg"><svg viewBox="0 0 1 1" role="img" aria-label="Figure from cell 1 of Test"></svg></figure>`);
  });

  it("prefers svg over html over markdown over png over text", () => {
    const html = renderOutputs([{ output_type: "display_data", data: { "text/plain": "plain", "text/html": "<em>rich</em>" } }], ctx);
    expect(html).toBe(`<div class="output output-html"><em>rich</em></div>`);
  });

  it("says which output types it cannot show instead of dropping them", () => {
    const html = renderOutputs([{ output_type: "display_data", data: { "application/vnd.custom+json": "{}" } }], ctx);
    expect(html).toContain("application/vnd.custom+json");
  });
});

describe("markdown", () => {
  it("slugs keep state names whole", () => {
    expect(slugify("TIME_WAIT: why 2MSL?")).toBe("time_wait-why-2msl");
    expect(slugify("RFC 240 s against Linux 60 s")).toBe("rfc-240-s-against-linux-60-s");
    expect(slugify("???")).toBe("section");
  });

  it("keeps heading ids unique across the cells of one page", () => {
    const md = createMarkdown();
    const env = {};
    const a = renderMarkdown(md, "## Exercise", env);
    const b = renderMarkdown(md, "## Exercise", env);
    expect(a.headings[0]?.id).toBe("exercise");
    expect(b.headings[0]?.id).toBe("exercise-1");
  });

  it("turns links to other chapters' notebooks into links to their pages", () => {
    const html = renderMarkdown(createMarkdown(), "[next](01-four-way-close.ipynb), [part](./04-time-wait.ipynb#why-2msl), [rfc](https://www.rfc-editor.org/rfc/rfc9293)", {}).html;
    expect(html).toContain(`<a href="01-four-way-close.html">next</a>`);
    expect(html).toContain(`<a href="04-time-wait.html#why-2msl">part</a>`);
    expect(html).toContain(`<a href="https://www.rfc-editor.org/rfc/rfc9293">rfc</a>`);
  });

  it("gives each heading's # link a name and no aria-hidden, with the # itself hidden from screen readers", () => {
    const html = renderMarkdown(createMarkdown(), "## Why `2MSL` & not 1?\n\ntext\n\n### Try it", {}).html;
    expect(html).toContain(`<h2 id="why-2msl-not-1">Why <code>2MSL</code> &amp; not 1? <a class="heading-anchor" href="#why-2msl-not-1"><span class="visually-hidden">Link to this section: Why 2MSL &amp; not 1?</span><span aria-hidden="true">#</span></a></h2>`);
    const links = [...html.matchAll(/<a\b[^>]*>([\s\S]*?)<\/a>/g)];
    expect(links).toHaveLength(2);
    for (const [whole, inner] of links) {
      expect(whole).not.toContain(`aria-hidden="true" href`);
      expect(/^<a\b[^>]*aria-hidden/.test(whole)).toBe(false);
      expect(inner).toMatch(/^<span class="visually-hidden">Link to this section: \S/);
    }
    expect(renderMarkdown(createMarkdown(), "### Try it", {}).headings).toEqual([{ level: 3, id: "try-it", text: "Try it" }]);
  });

  it("escapes raw HTML in markdown", () => {
    const html = renderMarkdown(createMarkdown(), "<script>alert(1)</script> text", {}).html;
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; text");
  });
});

describe("chapter", () => {
  it("takes the title from the first h1 and the description from the first paragraph", () => {
    const nb = parseNotebook(JSON.stringify({
      nbformat: 4, nbformat_minor: 5, metadata: {},
      cells: [{ cell_type: "markdown", metadata: {}, source: "# Half-close\n\nA socket that sent its FIN can **still receive**.\n\n## Try it\n" }],
    }), "07-half-close.ipynb");
    const c = renderChapter(nb, "notebooks/07-half-close.ipynb", createMarkdown());
    expect(c).toMatchObject({ slug: "07-half-close", number: "07", title: "Half-close", description: "A socket that sent its FIN can still receive." });
    expect(c.toc).toEqual([{ level: 2, id: "try-it", text: "Try it" }]);
  });

  it("joins a wrapped first paragraph and ends the description at a sentence boundary", () => {
    const source = [
      "# 1 · The four-way close",
      "",
      "- Follow the four segments of a normal close, and name the flags, sequence number and",
      "  acknowledgement number of each.",
      "- Say which state each side is in.",
    ].join("\n");
    const nb = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "markdown", metadata: {}, source }] }), "x");
    expect(renderChapter(nb, "01-four-way-close.ipynb", createMarkdown()).description)
      .toBe("Follow the four segments of a normal close, and name the flags, sequence number and acknowledgement number of each.");

    const long = "Opening a TCP connection takes three segments (the three-way handshake). Closing it usually\ntakes four, because each direction is shut down on its own and one side may still have data to send when the other is done.";
    const nb2 = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "markdown", metadata: {}, source: `# Intro\n\n${long}\n` }] }), "x");
    expect(renderChapter(nb2, "00-intro.ipynb", createMarkdown()).description)
      .toBe("Opening a TCP connection takes three segments (the three-way handshake).");
  });

  it("cuts a description with no sentence end in reach at a word, with an ellipsis, and keeps state names whole", () => {
    const words = "the TIME_WAIT state holds the port ".repeat(10).trim();
    const d = chapterDescription("T", words);
    expect(d.endsWith("…")).toBe(true);
    expect(d.length).toBeLessThanOrEqual(161);
    expect(words.startsWith(d.slice(0, -1))).toBe(true);
    expect(d).toContain("TIME_WAIT");
    expect(chapterDescription("T", "Short and whole.")).toBe("Short and whole.");
    expect(chapterDescription("Half-close", "")).toBe("Half-close: a chapter of the tcp-lifecycle tutorial.");
  });

  it("drops a leading chapter number from the title, since the page shows it beside the title", () => {
    const nb = parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "markdown", metadata: {}, source: "# 4 · TIME_WAIT\n" }] }), "x");
    expect(renderChapter(nb, "04-time-wait.ipynb", createMarkdown()).title).toBe("TIME_WAIT");
    expect(renderChapter(nb, "05-other.ipynb", createMarkdown()).title).toBe("4 · TIME_WAIT");
  });
});
