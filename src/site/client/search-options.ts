/**
 * Search settings shared by the index built at build time and the page that loads it: both
 * must tokenize alike. State names keep their underscore ("time_wait") and are also indexed
 * as their parts, so "TIME_WAIT", "time_wait" and "time wait" all find chapter 04.
 */
export const SEARCH_FIELDS = ["heading", "chapter", "text"] as const;
export const SEARCH_STORE_FIELDS = ["url", "chapter", "heading", "excerpt"] as const;

export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const word of text.split(/[^\p{L}\p{N}_]+/u)) {
    if (word === "") continue;
    tokens.push(word);
    if (word.includes("_")) for (const part of word.split("_")) if (part !== "") tokens.push(part);
  }
  return tokens;
}

export function processTerm(term: string): string {
  return term.toLowerCase();
}

export const SEARCH_OPTIONS = {
  fields: [...SEARCH_FIELDS],
  storeFields: [...SEARCH_STORE_FIELDS],
  tokenize,
  processTerm,
};

/** How the page queries: every word must match, the last one as a prefix; headings weigh most. */
export const SEARCH_QUERY = {
  prefix: true,
  fuzzy: 0.15,
  boost: { heading: 3, chapter: 2 },
  combineWith: "AND",
} as const;

export interface SearchDoc {
  readonly id: number;
  readonly url: string;
  readonly chapter: string;
  readonly heading: string;
  readonly text: string;
  readonly excerpt: string;
}
