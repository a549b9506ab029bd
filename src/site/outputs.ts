/**
 * Notebook outputs → HTML. Stream text is always escaped (ansi_up escapes it and turns ANSI
 * colours, such as asciichart's, into classes the theme colours for light and dark). Rich
 * display_data is shown by the richest type we trust: svg, html, markdown, png, then text.
 */
import { AnsiUp } from "ansi_up";
import type { DisplayDataOutput, ErrorOutput, Output, StreamOutput } from "./nbformat.js";
import { joinText } from "./nbformat.js";
import { sanitize } from "./sanitize.js";
import { escapeHtml, escapeAttr } from "./html.js";

function ansiToHtml(text: string): string {
  const ansi = new AnsiUp();
  ansi.use_classes = true;
  ansi.escape_html = true;
  ansi.url_allowlist = {};
  return ansi.ansi_to_html(text);
}

// CSI and OSC escape sequences, for the plain text the search index and alt texts use.
const ANSI_PATTERN = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;
export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, "");
}

export interface OutputContext {
  /** Renders a markdown string (for text/markdown outputs). */
  readonly markdown: (src: string) => string;
  /** Names the figure in alt texts: "cell 3 of The four-way close". */
  readonly where: string;
  /** The cell is tagged raises-exception: its error is part of the lesson. */
  readonly expectsError: boolean;
  /** Unique within the page ("cell7"): rich outputs' ids are namespaced under it. */
  readonly idScope: string;
}

export function renderOutputs(outputs: readonly Output[], ctx: OutputContext): string {
  const parts: string[] = [];
  // Consecutive writes to one stream are one block, as Jupyter shows them.
  let pending: StreamOutput["name"] | null = null;
  let buffer = "";
  const flush = (): void => {
    if (pending !== null) parts.push(renderStream(pending, buffer));
    pending = null;
    buffer = "";
  };
  let displays = 0;
  for (const out of outputs) {
    if (out.output_type === "stream") {
      if (pending !== out.name) flush();
      pending = out.name;
      buffer += joinText(out.text);
      continue;
    }
    flush();
    if (out.output_type === "error") parts.push(renderError(out, ctx));
    else parts.push(renderDisplay(out, ctx, `${ctx.idScope}-out${++displays}`));
  }
  flush();
  return parts.join("\n");
}

function renderStream(name: StreamOutput["name"], text: string): string {
  const label = name === "stderr" ? `<span class="output-label">stderr</span>` : "";
  return `<div class="output output-stream output-${name}">${label}<pre>${ansiToHtml(text)}</pre></div>`;
}

function renderError(out: ErrorOutput, ctx: OutputContext): string {
  const label = ctx.expectsError ? "Expected error" : "Error";
  const trace = out.traceback.length > 0 ? out.traceback.join("\n") : `${out.ename}: ${out.evalue}`;
  return `<div class="output output-error${ctx.expectsError ? " expected" : ""}" role="note" aria-label="${label}">`
    + `<span class="output-label">${label}</span><pre>${ansiToHtml(trace)}</pre></div>`;
}

/** A short text alternative: the bundle's text/plain, the SVG's own title, or where it came from. */
function altText(out: DisplayDataOutput, svg: string | null, ctx: OutputContext): string {
  const plain = stripAnsi(joinText(out.data["text/plain"])).trim();
  if (plain !== "") return plain.length > 200 ? `${plain.slice(0, 197)}...` : plain;
  if (svg !== null) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(svg);
    if (title?.[1]) return title[1].replace(/<[^>]*>/g, "").trim();
  }
  return `Figure from ${ctx.where}`;
}

/** Give an inline <svg> a role and label unless it names itself already. */
function labelSvg(svg: string, alt: string): string {
  return svg.replace(/<svg\b([^>]*)>/i, (whole, attrs: string) => {
    let added = "";
    if (!/\brole=/.test(attrs)) added += ` role="img"`;
    if (!/\baria-label(ledby)?=/.test(attrs)) added += ` aria-label="${escapeAttr(alt)}"`;
    return `<svg${attrs}${added}>`;
  });
}

const ID_ATTR = /(\sid\s*=\s*)(["'])([^"']*)\2/g;
const ID_LIST_ATTR = /(\s(?:aria-labelledby|aria-describedby|aria-controls|aria-owns|aria-activedescendant|aria-details|aria-errormessage|aria-flowto|for)\s*=\s*)(["'])([^"']*)\2/g;
const FRAGMENT_HREF = /(\s(?:xlink:)?href\s*=\s*)(["'])#([^"']*)\2/g;
const URL_REF = /url\(\s*(["']?)#([^"')\s]+)\1\s*\)/g;

/**
 * Give every id in one output a prefix, and point its own references at the prefixed ids:
 * id="…", url(#…), href/xlink:href="#…" and the aria id lists. Two copies of one SVG on a page
 * (chapter 05 shows two ladders) otherwise share ids, so the second figure's aria-labelledby
 * names the first figure's title and its markers are drawn from the first SVG's defs.
 * References to ids outside the output (the page's own headings) are left alone.
 */
export function namespaceIds(markup: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of markup.matchAll(ID_ATTR)) if (m[3] !== undefined && m[3] !== "") ids.add(m[3]);
  if (ids.size === 0) return markup;
  const scoped = (id: string): string => (ids.has(id) ? `${prefix}-${id}` : id);
  return markup
    .replace(ID_ATTR, (_w, head: string, q: string, id: string) => `${head}${q}${scoped(id)}${q}`)
    .replace(ID_LIST_ATTR, (_w, head: string, q: string, list: string) => `${head}${q}${list.split(/(\s+)/).map((t) => (/^\s*$/.test(t) ? t : scoped(t))).join("")}${q}`)
    .replace(FRAGMENT_HREF, (_w, head: string, q: string, id: string) => `${head}${q}#${scoped(id)}${q}`)
    .replace(URL_REF, (_w, q: string, id: string) => `url(${q}#${scoped(id)}${q})`);
}

function renderDisplay(out: DisplayDataOutput, ctx: OutputContext, idPrefix: string): string {
  const data = out.data;
  const svgData = data["image/svg+xml"];
  if (svgData !== undefined) {
    const svg = namespaceIds(sanitize(joinText(svgData)), idPrefix);
    return `<figure class="output output-svg">${labelSvg(svg, altText(out, svg, ctx))}</figure>`;
  }
  const htmlData = data["text/html"];
  if (htmlData !== undefined) {
    const html = namespaceIds(sanitize(joinText(htmlData)), idPrefix);
    return `<div class="output output-html">${/<svg\b/i.test(html) ? labelSvg(html, altText(out, html, ctx)) : html}</div>`;
  }
  const mdData = data["text/markdown"];
  if (mdData !== undefined) return `<div class="output output-markdown">${ctx.markdown(joinText(mdData))}</div>`;
  for (const mime of ["image/png", "image/jpeg", "image/gif"] as const) {
    const b64 = data[mime];
    if (b64 !== undefined) {
      const src = `data:${mime};base64,${joinText(b64).replace(/\s+/g, "")}`;
      return `<figure class="output output-image"><img src="${escapeAttr(src)}" alt="${escapeAttr(altText(out, null, ctx))}"></figure>`;
    }
  }
  const text = data["text/plain"];
  if (text !== undefined) return `<div class="output output-text"><pre>${ansiToHtml(joinText(text))}</pre></div>`;
  const mimes = Object.keys(data).map(escapeHtml).join(", ");
  return `<div class="output output-unsupported"><pre>(output of type ${mimes} is not shown on this site)</pre></div>`;
}
