/**
 * One executed notebook → one chapter: its article HTML, table of contents, and the text
 * the search index holds. Cell tags decide the shape: `hide-input` shows only the output,
 * `solution` folds the cell behind "Show solution", `raises-exception` marks its error as
 * expected, `remove-cell` drops it.
 */
import { basename } from "node:path";
import type { MarkdownIt } from "markdown-it";
import type { CodeCell, Notebook } from "./nbformat.js";
import { cellTags, joinText } from "./nbformat.js";
import type { Heading } from "./markdown.js";
import { highlight, renderMarkdown } from "./markdown.js";
import { renderOutputs, stripAnsi } from "./outputs.js";
import { findWidgets } from "./widget-marker.js";

export interface SearchSection {
  /** Anchor id within the page, or "" for the top. */
  readonly anchor: string;
  readonly heading: string;
  /** The prose as a reader sees it: no markdown syntax. */
  readonly text: string;
  /** Code shown on the page and its stream output, verbatim: searchable, but not an excerpt. */
  readonly code: string;
}

export interface Chapter {
  /** File name without extension: "04-time-wait". Also the page name. */
  readonly slug: string;
  /** The leading number of the file name: "04", or "" when there is none. */
  readonly number: string;
  readonly title: string;
  readonly description: string;
  readonly html: string;
  readonly toc: readonly Heading[];
  readonly sections: readonly SearchSection[];
  /** Widget presets this page embeds (data-tcp-widget markers). */
  readonly widgets: readonly string[];
}

export function chapterSlug(file: string): string {
  return basename(file).replace(/\.ipynb$/i, "").replace(/[^A-Za-z0-9_-]/g, "-");
}

/** Longer than this and search engines and the home page cut it themselves, mid-word. */
const DESCRIPTION_MAX = 160;
// A sentence ends at . ! or ? (maybe closed by a quote or bracket) before a space or the end;
// "e.g. the" does not qualify because the next word must start a sentence.
const SENTENCE_END = /[.!?]["')\]]?(?=\s+[A-Z0-9"'(`]|$)/g;

/**
 * The first paragraph, whole if it fits; otherwise the sentences that fit; otherwise the words
 * that fit and an ellipsis, so a description never stops mid-sentence without saying so.
 */
export function chapterDescription(title: string, firstParagraph: string): string {
  const text = firstParagraph.replace(/\s+/g, " ").trim();
  if (text === "") return `${title}: a chapter of the tcp-lifecycle tutorial.`;
  if (text.length <= DESCRIPTION_MAX) return text;
  let end = 0;
  for (const m of text.matchAll(SENTENCE_END)) {
    const after = m.index + m[0].length;
    if (after > DESCRIPTION_MAX) break;
    end = after;
  }
  if (end > 0) return text.slice(0, end);
  const cut = text.slice(0, DESCRIPTION_MAX).replace(/\s+\S*$/, "").replace(/[\s,;:—–-]+$/u, "");
  return `${cut}…`;
}

export function renderChapter(nb: Notebook, file: string, md: MarkdownIt): Chapter {
  const slug = chapterSlug(file);
  const number = /^(\d+)/.exec(slug)?.[1] ?? "";
  const env: Record<string, unknown> = {};
  const toc: Heading[] = [];
  const sections: Array<{ anchor: string; heading: string; text: string; code: string }> = [{ anchor: "", heading: "", text: "", code: "" }];
  const section = (): { anchor: string; heading: string; text: string; code: string } => sections[sections.length - 1]!;
  let title = "";
  let firstParagraph = "";
  const parts: string[] = [];

  nb.cells.forEach((cell, index) => {
    const tags = cellTags(cell);
    const solution = tags.includes("solution");
    if (tags.includes("remove-cell")) return;
    if (cell.cell_type === "raw") return;
    if (cell.cell_type !== "code") {
      const result = renderMarkdown(md, joinText(cell.source), env);
      if (firstParagraph === "") firstParagraph = result.paragraphs[0] ?? "";
      for (const block of result.blocks) {
        if (block.heading !== null) {
          toc.push(block.heading);
          if (block.heading.level === 1 && title === "") title = block.heading.text;
          sections.push({ anchor: block.heading.id, heading: block.heading.text, text: "", code: "" });
        }
        // A folded solution stays out of the index: an excerpt would show it unfolded.
        if (solution) continue;
        section().text += block.text;
        section().code += block.code;
      }
      parts.push(wrapSolution(tags, `<section class="cell cell-markdown">${result.html}</section>`));
      return;
    }
    const where = `cell ${index + 1} of ${title || slug}`;
    parts.push(wrapSolution(tags, renderCodeCell(cell, tags, md, env, where, `cell${index + 1}`)));
    if (solution) return;
    // hide-input shows only the output, so only the output is searchable.
    if (!tags.includes("hide-input")) section().code += `${joinText(cell.source)}\n`;
    section().code += streamText(cell);
  });

  if (title === "") title = slug;
  // "4 · TIME_WAIT" in chapter 04: the number is shown beside the title already.
  const numbered = /^0*(\d+)\s*[·.:—–-]\s*(.+)$/u.exec(title);
  if (numbered && number !== "" && Number(numbered[1]) === Number(number)) title = numbered[2]!;
  return {
    slug,
    number,
    title,
    description: chapterDescription(title, firstParagraph),
    html: parts.join("\n"),
    // The h1 is the page title; the table of contents lists the sections under it.
    toc: toc.filter((h) => h.level === 2 || h.level === 3),
    sections: sections
      .filter((s) => s.text.trim() !== "" || s.code.trim() !== "" || s.heading !== "")
      .map((s) => ({ ...s, text: s.text.replace(/\s+/g, " ").trim() })),
    widgets: findWidgets(parts.join("\n")),
  };
}

function streamText(cell: CodeCell): string {
  return cell.outputs
    .map((o) => (o.output_type === "stream" ? stripAnsi(joinText(o.text)) : ""))
    .join("");
}

function renderCodeCell(cell: CodeCell, tags: readonly string[], md: MarkdownIt, env: Record<string, unknown>, where: string, idScope: string): string {
  const hideInput = tags.includes("hide-input");
  const source = joinText(cell.source);
  const input = hideInput || source.trim() === ""
    ? ""
    : `<div class="cell-input"><pre class="code"><code class="hljs language-typescript">${highlight(source)}</code></pre></div>`;
  const outputs = renderOutputs(cell.outputs, {
    markdown: (src) => renderMarkdown(md, src, env).html,
    where,
    expectsError: tags.includes("raises-exception"),
    idScope,
  });
  const out = outputs === "" ? "" : `<div class="cell-outputs">${outputs}</div>`;
  if (input === "" && out === "") return "";
  const classes = ["cell", "cell-code", ...(hideInput ? ["hide-input"] : [])].join(" ");
  return `<div class="${classes}">${input}${out}</div>`;
}

function wrapSolution(tags: readonly string[], html: string): string {
  if (!tags.includes("solution") || html === "") return html;
  return `<details class="solution"><summary>Show solution</summary>${html}</details>`;
}
