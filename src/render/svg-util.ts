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

export interface SvgHead {
  readonly className: string;
  readonly width: number;
  readonly height: number;
  /** Safe id prefix (see safeId). */
  readonly id: string;
  readonly title: string;
  readonly desc: string;
  readonly style: string;
  /** Arrowhead markers to define: id suffix → fill colour. */
  readonly markers: Readonly<Record<string, string>>;
}

/**
 * The opening of an accessible, self-contained SVG: role="img", a <title> and <desc> it is
 * labelled by, its <style>, and arrowhead markers (#<id>-<suffix>).
 */
export function svgHead(h: SvgHead): string[] {
  const markers = Object.entries(h.markers).map(
    ([suffix, fill]) =>
      `<marker id="${h.id}-${suffix}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${fill}"/></marker>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="${h.className}" viewBox="0 0 ${num(h.width)} ${num(h.height)}" width="${num(h.width)}" height="${num(h.height)}" role="img" aria-labelledby="${h.id}-title ${h.id}-desc" aria-label="${escapeXml(h.title)}">`,
    `<title id="${h.id}-title">${escapeXml(h.title)}</title>`,
    `<desc id="${h.id}-desc">${escapeXml(h.desc)}</desc>`,
    `<style>${h.style}</style>`,
    "<defs>",
    ...markers,
    "</defs>",
  ];
}
