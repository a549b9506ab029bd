/**
 * HTML and SVG from notebook outputs go through sanitize-html before they reach a page.
 * Our own notebooks produce them, but a page must never run script or fetch anything from
 * outside the site, whatever a cell printed: no <script>, no event handlers, no external
 * URLs (images must be data: URLs, SVG references must be #fragments).
 */
import sanitizeHtml from "sanitize-html";

const SVG_TAGS = [
  "svg", "g", "defs", "symbol", "use", "title", "desc", "marker", "path", "line", "polyline",
  "polygon", "rect", "circle", "ellipse", "text", "tspan", "textPath", "clipPath", "mask",
  "linearGradient", "radialGradient", "stop", "pattern", "filter", "feGaussianBlur",
  "feOffset", "feBlend", "feFlood", "feComposite", "feMerge", "feMergeNode", "style",
];

const SVG_ATTRIBUTES = [
  "xmlns", "xmlns:xlink", "viewBox", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r",
  "rx", "ry", "d", "points", "dx", "dy", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width",
  "stroke-dasharray", "stroke-linecap", "stroke-linejoin", "stroke-opacity", "opacity", "transform",
  "font-family", "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline",
  "alignment-baseline", "letter-spacing", "marker-start", "marker-mid", "marker-end", "markerWidth",
  "markerHeight", "markerUnits", "refX", "refY", "orient", "preserveAspectRatio", "offset",
  "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "patternUnits", "clip-path",
  "mask", "filter", "stdDeviation", "in", "in2", "mode", "result", "href", "xlink:href",
  "startOffset", "vector-effect", "shape-rendering", "focusable", "tabindex", "pointer-events",
];

const GLOBAL_ATTRIBUTES = ["class", "id", "role", "title", "lang", "dir", "style", "aria-*", "data-*"];

/** Properties a style attribute may set; anything with url(…) is dropped below. */
const STYLE_PROPS = [
  "color", "background-color", "fill", "stroke", "stroke-width", "stroke-dasharray", "opacity",
  "font-weight", "font-style", "font-size", "font-family", "text-decoration", "text-align",
  "display", "visibility", "white-space",
];
const NO_URL = /^(?![\s\S]*url\()[\s\S]*$/i;

/** An attribute value that would make the browser fetch something from outside the page. */
function fetchesOutside(name: string, value: string): boolean {
  if (name === "href" || name === "xlink:href") return !value.startsWith("#");
  const url = /url\(\s*['"]?([^)'"]*)/i.exec(value);
  return url !== null && !(url[1] ?? "").startsWith("#");
}

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, "img", "details", "summary", "figure", "figcaption", ...SVG_TAGS],
  allowedAttributes: {
    "*": GLOBAL_ATTRIBUTES,
    a: ["href", "name", "target", "rel", ...GLOBAL_ATTRIBUTES],
    img: ["src", "alt", "width", "height", ...GLOBAL_ATTRIBUTES],
    td: ["colspan", "rowspan", "align", ...GLOBAL_ATTRIBUTES],
    th: ["colspan", "rowspan", "align", "scope", ...GLOBAL_ATTRIBUTES],
    details: ["open", ...GLOBAL_ATTRIBUTES],
    ...Object.fromEntries(SVG_TAGS.map((t) => [t, [...SVG_ATTRIBUTES, ...GLOBAL_ATTRIBUTES]])),
  },
  allowedStyles: { "*": Object.fromEntries(STYLE_PROPS.map((p) => [p, [NO_URL]])) },
  allowedSchemes: ["https", "http", "mailto"],
  allowedSchemesByTag: { img: ["data"] },
  allowedSchemesAppliedToAttributes: ["href", "src", "cite"],
  allowProtocolRelative: false,
  // <style> is allowed because our SVG renderers scope their styles with a class inside the
  // SVG (see src/render/state-diagram.ts); textFilter below keeps it from fetching anything.
  allowVulnerableTags: true,
  // SVG is case-sensitive (viewBox, refX) and writes self-closing elements.
  parser: { lowerCaseTags: false, lowerCaseAttributeNames: false, recognizeSelfClosing: true },
  transformTags: {
    "*": (tagName, attribs) => {
      const kept: Record<string, string> = {};
      for (const [name, value] of Object.entries(attribs)) {
        // a <a href> to another site is a link, not a fetch; everything else stays inside.
        if (tagName === "a" && name === "href") kept[name] = value;
        else if (!fetchesOutside(name, value)) kept[name] = value;
      }
      return { tagName, attribs: kept };
    },
  },
  // An <img> must carry its picture with it: a data:image URL, or it is dropped.
  exclusiveFilter: (frame) => frame.tag === "img" && !/^data:image\/(png|jpeg|gif|webp);base64,/i.test(frame.attribs.src ?? ""),
};

/**
 * <style> text is raw text to sanitize-html (its textFilter never sees it), so a style that
 * could fetch (@import, url() other than #fragment) is emptied first. The pattern ends where
 * the HTML parser ends a style element: at the first "</style".
 */
function defuseStyles(html: string): string {
  return html.replace(/(<style\b[^>]*>)([\s\S]*?)(<\/style|$)/gi, (_all, open: string, css: string, close: string) =>
    /@import|url\(\s*['"]?(?!#)/i.test(css) ? `${open}${close}` : `${open}${css}${close}`);
}

export function sanitize(html: string): string {
  return sanitizeHtml(defuseStyles(html), OPTIONS);
}
