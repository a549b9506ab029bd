/** The glossary: every term a chapter uses before explaining it (filled in by the teaching issue). */
export interface GlossaryEntry {
  /** The term as it appears in text, e.g. "2MSL". */
  readonly term: string;
  /** Stable anchor on the site's glossary page, e.g. "two-msl". */
  readonly anchor: string;
  /** Other spellings that count as a use of the term (e.g. "4-tuples"). */
  readonly aliases: readonly string[];
  /** One or two sentences, with its source. */
  readonly definition: string;
}

export const GLOSSARY: readonly GlossaryEntry[] = [];
