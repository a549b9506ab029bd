/** Small helpers shared by the SVG renderers: escaping and fixed-precision numbers (for deterministic output). */

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** A coordinate with at most one decimal, so output is byte-stable across platforms. */
export function num(n: number): string {
  const r = Math.round(n * 10) / 10;
  return Object.is(r, -0) ? "0" : String(r);
}

/** An id prefix safe in XML ids and CSS selectors. */
export function safeId(prefix: string): string {
  const cleaned = prefix.replace(/[^A-Za-z0-9_-]/g, "-");
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `x${cleaned}`;
}
