/**
 * The offline search index: one MiniSearch document per section (a heading and the text
 * under it), built here and shipped as search-index.json for the page to load.
 */
import MiniSearch from "minisearch";
import type { Chapter } from "./chapter.js";
import type { SearchDoc } from "./client/search-options.js";
import { SEARCH_OPTIONS } from "./client/search-options.js";

export function searchDocs(chapters: readonly Chapter[]): SearchDoc[] {
  const docs: SearchDoc[] = [];
  for (const chapter of chapters) {
    const label = chapter.number === "" ? chapter.title : `${chapter.number} · ${chapter.title}`;
    for (const s of chapter.sections) {
      const code = codeWords(s.code);
      docs.push({
        id: docs.length,
        url: `${chapter.slug}.html${s.anchor === "" ? "" : `#${s.anchor}`}`,
        chapter: label,
        heading: s.heading,
        text: [s.text, code].filter((t) => t !== "").join(" "),
        excerpt: excerpt(s.text === "" ? code : s.text),
      });
    }
  }
  return docs;
}

/**
 * Code and program output as the words the tokenizer would find anyway: `console.log(\`${x}\`)`
 * becomes "console log x", so no quoting or template syntax reaches the index or an excerpt.
 */
function codeWords(code: string): string {
  return code.replace(/[^\p{L}\p{N}_]+/gu, " ").trim();
}

function excerpt(text: string): string {
  return text.length > 140 ? `${text.slice(0, 139).replace(/\s+\S*$/, "")}…` : text;
}

export function buildSearchIndex(chapters: readonly Chapter[]): string {
  const index = new MiniSearch<SearchDoc>(SEARCH_OPTIONS);
  index.addAll(searchDocs(chapters));
  return JSON.stringify(index);
}
