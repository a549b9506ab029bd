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
      const text = s.text;
      docs.push({
        id: docs.length,
        url: `${chapter.slug}.html${s.anchor === "" ? "" : `#${s.anchor}`}`,
        chapter: label,
        heading: s.heading,
        text,
        excerpt: text.length > 140 ? `${text.slice(0, 137).replace(/\s+\S*$/, "")}...` : text,
      });
    }
  }
  return docs;
}

export function buildSearchIndex(chapters: readonly Chapter[]): string {
  const index = new MiniSearch<SearchDoc>(SEARCH_OPTIONS);
  index.addAll(searchDocs(chapters));
  return JSON.stringify(index);
}
