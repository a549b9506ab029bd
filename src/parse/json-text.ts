/**
 * Facts about JSON text that must be known before anything walks the parsed value (pure).
 * JSON.parse itself copes with deep nesting; our validators, JSON.stringify and the notebook
 * runner recurse, so scenarios and notebooks bound their depth first (docs/limits.md).
 */

/** The offset of the first "[" or "{" that opens a level past `max` in valid JSON text, or undefined. Iterative. */
export function nestingPastLimit(text: string, max: number): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) {
      // Skip a string: to the next quote that no backslash escapes.
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) return i;
    } else if (ch === 0x5d || ch === 0x7d) {
      depth--;
    }
  }
  return undefined;
}

/** 1-based line and column (in UTF-16 units, as editors that count characters mostly agree) of an offset. */
export function textPosition(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
