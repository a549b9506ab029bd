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

/** A piece of an excerpt: text, and whether it is a match to mark. */
export interface ExcerptPart {
  readonly text: string;
  readonly mark: boolean;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A regular expression for the matched terms as words in text (case ignored; a term may be the
 * start of a longer word, as the search matches prefixes), longest first; null for no terms.
 */
export function termPattern(terms: readonly string[]): RegExp | null {
  const list = [...new Set(terms.map((t) => t.trim()).filter((t) => t !== ""))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return null;
  return new RegExp(`(?<![\\p{L}\\p{N}_])(?:${list.map(escapeRegExp).join("|")})`, "giu");
}

/**
 * (For issue 12's search excerpts, not wired in yet: the index must first store each section's
 * prose, and chapter 03's page budget must have room for the page script's part.)
 * About `width` characters of `prose` around the first match of `terms`, cut at word
 * boundaries, with every match inside marked; the start of the prose when nothing matches
 * (a hit found only in the code or the heading).
 */
export function excerptAround(prose: string, terms: readonly string[], width = 160): ExcerptPart[] {
  const re = termPattern(terms);
  const first = re ? re.exec(prose) : null;
  // A match near the start shows the prose from its beginning; a later one keeps a third of the window before it.
  let start = first && first.index > Math.floor(width / 2) ? first.index - Math.floor(width / 3) : 0;
  if (start > 0) {
    const space = prose.indexOf(" ", start);
    start = space < 0 || (first && space > first.index) ? start : space + 1;
  }
  let end = Math.min(prose.length, start + width);
  if (end < prose.length) {
    const space = prose.lastIndexOf(" ", end);
    if (space > start && (!first || space >= first.index + first[0].length)) end = space;
  }
  const window = prose.slice(start, end);
  const parts: ExcerptPart[] = [];
  if (start > 0) parts.push({ text: "…", mark: false });
  let at = 0;
  if (re) {
    re.lastIndex = 0;
    for (const m of window.matchAll(re)) {
      if (m.index > at) parts.push({ text: window.slice(at, m.index), mark: false });
      parts.push({ text: m[0], mark: true });
      at = m.index + m[0].length;
    }
  }
  if (at < window.length) parts.push({ text: window.slice(at), mark: false });
  if (end < prose.length) parts.push({ text: "…", mark: false });
  return parts;
}
