/**
 * The page template: sidebar of chapters, the article, an in-page table of contents,
 * prev/next links, downloads and "run it yourself". Every asset is a local file; the
 * Content-Security-Policy forbids anything else, so a stray external reference fails loudly
 * in the browser test instead of quietly phoning out.
 */
import type { Chapter } from "./chapter.js";
import type { Heading } from "./markdown.js";
import { escapeAttr, escapeHtml } from "./html.js";

export const SITE_NAME = "tcp-lifecycle";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

export interface AssetRefs {
  readonly css: readonly string[];
  /** Loaded synchronously in <head>: sets the theme before first paint. */
  readonly headJs: readonly string[];
  readonly js: readonly string[];
  /** Only on pages with a widget. */
  readonly widgetJs: readonly string[];
  readonly favicon: string;
}

export interface PageInput {
  readonly file: string;
  readonly title: string;
  readonly description: string;
  readonly body: string;
  readonly chapters: readonly Chapter[];
  readonly current: Chapter | null;
  readonly assets: AssetRefs;
  readonly toc?: readonly Heading[];
  readonly widget?: boolean;
  /**
   * Prefix for links to the site's own files: "" (relative, so the site works from file:// or
   * any folder) or "/" for the 404 page, which the server sends at any depth (/notebooks/x.html)
   * where relative links would resolve under the missing folder. A <base> tag cannot fix that:
   * the CSP has base-uri 'none'.
   */
  readonly root?: string;
}

function sidebar(chapters: readonly Chapter[], current: Chapter | null, root: string, file: string): string {
  const items = chapters.map((c) => {
    const here = current?.slug === c.slug ? ` aria-current="page"` : "";
    const num = c.number === "" ? "" : `<span class="num">${escapeHtml(c.number)}</span> `;
    return `<li><a href="${escapeAttr(root + c.slug)}.html"${here}>${num}${escapeHtml(c.title)}</a></li>`;
  });
  return `<nav id="sidebar" class="sidebar" aria-label="Chapters"><p class="sidebar-title">Chapters</p><ol>${items.join("")}</ol>`
    + `<p class="sidebar-title"><a href="${escapeAttr(root)}glossary.html"${file === "glossary.html" ? ` aria-current="page"` : ""}>Glossary</a></p></nav>`;
}

function tocItems(toc: readonly Heading[]): string {
  const items = toc.map((h) => `<li class="toc-l${h.level}"><a href="#${escapeAttr(h.id)}">${escapeHtml(h.text)}</a></li>`);
  items.push(`<li class="toc-l2"><a href="#run-it-yourself">Run it yourself</a></li>`);
  return `<ol>${items.join("")}</ol>`;
}

/** The side column's table of contents, shown on wide screens. */
function tableOfContents(toc: readonly Heading[]): string {
  if (toc.length === 0) return "";
  return `<nav class="toc" aria-label="On this page"><p class="toc-title">On this page</p>${tocItems(toc)}</nav>`;
}

/** The same list folded at the top of the article, shown where the side column does not fit. */
function inlineTableOfContents(toc: readonly Heading[]): string {
  if (toc.length === 0) return "";
  return `<nav class="toc-inline" aria-label="On this page (folded)"><details><summary>On this page</summary>${tocItems(toc)}</details></nav>`;
}

function pager(chapters: readonly Chapter[], current: Chapter): string {
  const i = chapters.findIndex((c) => c.slug === current.slug);
  const prev = i > 0 ? chapters[i - 1] : undefined;
  const next = i >= 0 && i < chapters.length - 1 ? chapters[i + 1] : undefined;
  const link = (c: Chapter, rel: "prev" | "next"): string =>
    `<a class="pager-${rel}" rel="${rel}" href="${escapeAttr(c.slug)}.html"><span class="pager-label">${rel === "prev" ? "Previous" : "Next"}</span>`
    + `<span class="pager-title">${escapeHtml(c.title)}</span></a>`;
  return `<nav class="pager" aria-label="Previous and next chapter">${prev ? link(prev, "prev") : "<span></span>"}${next ? link(next, "next") : "<span></span>"}</nav>`;
}

/** Downloads and "run it yourself", at the end of every chapter. */
export function chapterTools(chapter: Chapter): string {
  const nb = `notebooks/${chapter.slug}.ipynb`;
  return `<section class="chapter-tools" aria-labelledby="run-it-yourself">
<h2 id="run-it-yourself">Run it yourself</h2>
<p class="downloads">Download the notebook: <a href="${escapeAttr(nb)}" download>clean source</a> (no outputs, run it yourself) or <a href="notebooks/${escapeAttr(chapter.slug)}.executed.ipynb" download>executed copy</a> (with the outputs shown here).</p>
<p>In a checkout of tcp-lifecycle, with Node.js 20.19 or later and Jupyter (on Debian or Ubuntu: <code>sudo apt-get install jupyter-notebook</code>):</p>
<pre class="run-box"><code>npm install                 # builds the library the notebooks import
npm run kernel:install      # registers the tslab TypeScript kernel
jupyter notebook ${escapeHtml(nb)}</code></pre>
</section>`;
}

export function renderPage(page: PageInput): string {
  const { assets } = page;
  const root = page.root ?? "";
  const css = assets.css.map((href) => `<link rel="stylesheet" href="${escapeAttr(root + href)}">`).join("\n");
  const headJs = assets.headJs.map((src) => `<script src="${escapeAttr(root + src)}"></script>`).join("\n");
  const js = [...assets.js, ...(page.widget ? assets.widgetJs : [])]
    .map((src) => `<script src="${escapeAttr(root + src)}" defer></script>`).join("\n");
  const tools = page.current ? chapterTools(page.current) : "";
  const pagerNav = page.current ? pager(page.chapters, page.current) : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(CONTENT_SECURITY_POLICY)}">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(page.title)}</title>
<meta name="description" content="${escapeAttr(page.description)}">
<link rel="icon" href="${escapeAttr(root + assets.favicon)}" type="image/svg+xml">
${css}
${headJs}
${js}
</head>
<body>
<a class="skip-link" href="#content">Skip to content</a>
<header class="topbar">
<button class="nav-toggle" type="button" aria-controls="sidebar" aria-expanded="false" hidden>Chapters</button>
<a class="brand" href="${escapeAttr(root)}index.html">${SITE_NAME}</a>
<div class="search" role="search" hidden>
<label for="search-input" class="visually-hidden">Search the tutorial</label>
<input id="search-input" type="search" role="combobox" placeholder="Search (press /)" autocomplete="off" spellcheck="false" aria-controls="search-results" aria-expanded="false" aria-autocomplete="list" aria-haspopup="listbox">
<ul id="search-results" class="search-results" role="listbox" aria-label="Search results" hidden></ul>
</div>
<button class="theme-toggle" type="button" hidden aria-label="Switch to dark mode" title="Switch between light and dark mode"><span aria-hidden="true">◐</span></button>
</header>
<div class="layout">
${sidebar(page.chapters, page.current, root, page.file)}
<main id="content" class="content">
${inlineTableOfContents(page.toc ?? [])}
<article class="chapter">
${page.body}
</article>
${tools}
${pagerNav}
</main>
${tableOfContents(page.toc ?? [])}
</div>
<footer class="footer"><p>${SITE_NAME}: how a TCP connection ends, on a simulator, real kernel sockets and real captures. Built from executed notebooks.</p></footer>
</body>
</html>
`;
}
