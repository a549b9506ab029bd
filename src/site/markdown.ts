/**
 * Markdown cells → HTML with markdown-it: tables, fenced code highlighted by highlight.js,
 * heading anchors from markdown-it-anchor, raw HTML escaped (html: false). Fenced blocks
 * without a language are the lesson's ASCII diagrams and stay plain and monospaced.
 */
import MarkdownIt from "markdown-it";
import type { MarkdownIt as Markdown, Token } from "markdown-it";
import anchor from "markdown-it-anchor";
import hljs from "highlight.js/lib/core";
import typescript from "highlight.js/lib/languages/typescript";
import javascript from "highlight.js/lib/languages/javascript";
import bash from "highlight.js/lib/languages/bash";
import json from "highlight.js/lib/languages/json";
import { escapeHtml } from "./html.js";
import type { GlossaryEntry } from "../teaching/glossary.js";
import { glossaryLinks } from "./glossary.js";

hljs.registerLanguage("typescript", typescript);
hljs.registerLanguage("javascript", javascript);
hljs.registerLanguage("bash", bash);
hljs.registerLanguage("json", json);
hljs.registerAliases(["ts", "tsx"], { languageName: "typescript" });
hljs.registerAliases(["sh", "shell", "console"], { languageName: "bash" });

/** Syntax-highlighted code as the inner HTML of a <code class="hljs">. */
export function highlight(code: string, lang = "typescript"): string {
  if (hljs.getLanguage(lang) === undefined) return escapeHtml(code);
  return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
}

/** "TIME_WAIT: why 2MSL?" → "time_wait-why-2msl". Underscores stay: they are part of state names. */
export function slugify(text: string): string {
  const slug = text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\s-]/gu, "")
    .replace(/\s+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  return slug === "" ? "section" : slug;
}

/** "01-four-way-close.ipynb#the-ladder" → "01-four-way-close.html#the-ladder"; other links unchanged. */
export function chapterHref(href: string): string {
  const m = /^(?:\.\/)?([A-Za-z0-9_-]+)\.ipynb(#.*)?$/.exec(href);
  return m ? `${m[1]}.html${m[2] ?? ""}` : href;
}

export interface Heading {
  readonly level: number;
  readonly id: string;
  readonly text: string;
}

interface Block {
  heading: Heading | null;
  /** The prose as a reader sees it, one line per paragraph, list item or table cell. */
  text: string;
  /** Fenced and indented code blocks, verbatim. */
  code: string;
}

/** What one markdown render produces: HTML, its headings, and plain text for search. */
export interface MarkdownResult {
  readonly html: string;
  readonly headings: readonly Heading[];
  /** Plain text and fenced code, split where a heading starts, for the search index. */
  readonly blocks: ReadonlyArray<Readonly<Block>>;
  /** Each paragraph's plain text on one line (a wrapped source paragraph joined), in order. */
  readonly paragraphs: readonly string[];
}

/** An inline token's children as the reader sees them: no `**`, backticks or link syntax. */
export function inlineText(children: readonly Token[] | null): string {
  let text = "";
  for (const child of children ?? []) {
    if (child.type === "text" || child.type === "code_inline") text += child.content;
    else if (child.type === "softbreak" || child.type === "hardbreak") text += " ";
    else if (child.type === "image") text += inlineText(child.children);
  }
  return text;
}

export interface MarkdownOptions {
  /**
   * Link the first use of each term on a page to the glossary page (src/site/glossary.ts).
   * Off unless given: the site build passes GLOSSARY.
   */
  readonly glossary?: readonly GlossaryEntry[];
}

export function createMarkdown(options: MarkdownOptions = {}): Markdown {
  const md: Markdown = new MarkdownIt({
    html: false,
    linkify: false,
    typographer: false,
    highlight: (code: string, info: string): string => {
      const lang = info.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
      if (lang === "" || lang === "text" || lang === "ascii" || lang === "diagram" || hljs.getLanguage(lang) === undefined) {
        return `<pre class="plain"><code>${escapeHtml(code)}</code></pre>`;
      }
      return `<pre class="code"><code class="hljs language-${escapeHtml(lang)}">${highlight(code, lang)}</code></pre>`;
    },
  });
  // A link from one chapter to another names its notebook; on the site it is that chapter's page.
  const defaultLinkOpen = md.renderer.rules.link_open;
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    const token = tokens[idx]!;
    const href = token.attrGet("href");
    if (href !== null) token.attrSet("href", chapterHref(String(href)));
    return defaultLinkOpen ? defaultLinkOpen(tokens, idx, options, env, self) : self.renderToken(tokens, idx, options);
  };
  md.use(anchor, {
    level: [1, 2, 3, 4],
    slugify,
    tabIndex: false,
    permalink: labelledPermalink,
  });
  if (options.glossary !== undefined) glossaryLinks(md, options.glossary);
  return md;
}

/**
 * The "#" after a heading is a focusable link, so it needs a name: a visually hidden "Link to
 * this section: <heading>" read by screen readers, with the "#" itself hidden from them. It
 * stays inside the heading (markdown-it-anchor's linkInsideHeader) so the theme can show it on
 * hover; only the symbol differs per heading.
 */
const labelledPermalink: anchor.PermalinkGenerator = (slug, opts, state, index) => {
  const title = inlineText(state.tokens[index + 1]?.children ?? null).trim();
  anchor.permalink.linkInsideHeader({
    class: "heading-anchor",
    placement: "after",
    ariaHidden: false,
    symbol: `<span class="visually-hidden">Link to this section: ${escapeHtml(title)}</span><span aria-hidden="true">#</span>`,
  })(slug, opts, state, index);
};

/**
 * Render one markdown source. `env` is shared by every cell of a page, so heading ids stay
 * unique across cells (markdown-it-anchor keeps its slugs in env).
 */
export function renderMarkdown(md: Markdown, src: string, env: Record<string, unknown>): MarkdownResult {
  const tokens = md.parse(src, env);
  const headings: Heading[] = [];
  const blocks: Block[] = [{ heading: null, text: "", code: "" }];
  const paragraphs: string[] = [];
  const current = (): Block => blocks[blocks.length - 1]!;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok.type === "heading_open") {
      const text = inlineText(tokens[i + 1]?.children ?? null).trim();
      const heading: Heading = { level: Number(tok.tag.slice(1)), id: String(tok.attrGet("id") ?? slugify(text)), text };
      headings.push(heading);
      blocks.push({ heading, text: "", code: "" });
      i += 2;
    } else if (tok.type === "inline") {
      const text = inlineText(tok.children).replace(/\s+/g, " ").trim();
      if (text === "") continue;
      current().text += `${text}\n`;
      if (tokens[i - 1]?.type === "paragraph_open") paragraphs.push(text);
    } else if (tok.type === "fence" || tok.type === "code_block") {
      current().code += `${tok.content}\n`;
    }
  }
  return {
    html: md.renderer.render(tokens, md.options, env),
    headings,
    blocks: blocks.filter((b) => b.heading !== null || b.text !== "" || b.code !== ""),
    paragraphs,
  };
}
