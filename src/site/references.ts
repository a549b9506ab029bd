/**
 * Outbound references, as a reader of a polished tutorial expects: every RFC section the prose
 * cites links to it (at its first citation on the page, and in the page's Sources list) on rfc-editor.org ("RFC 1122 §4.2.2.13", or a bare "§3.10.7.4", which in
 * these chapters is RFC 9293's), and every kernel function or constant in inline code
 * (`tcp_fin()`, `TCP_TIMEWAIT_LEN`) to its identifier on elixir.bootlin.com. Links are
 * navigation, never requests: the page's CSP and the zero-external-requests test stay.
 *
 * A markdown-it core rule like the glossary's (src/site/glossary.ts): prose only, never inside an
 * existing link or a heading, and not in computed outputs (`withoutSourceLinks`). Each page's references are collected in the markdown `env` (shared
 * by the page's cells), so chapter.ts can end the page with a "Sources" list.
 */
import type { MarkdownIt as Markdown, Token } from "markdown-it";
import { escapeAttr, escapeHtml } from "./html.js";

/** The RFC the chapters cite with a bare "§": RFC 9293 (TCP). */
export const DEFAULT_RFC = 9293;

const SOURCES = "sourceLinks";
const OFF = "noSourceLinks";

/** Runs `render` with reference linking off for that render (computed outputs), on again after. */
export function withoutSourceLinks<T>(env: Record<string, unknown>, render: () => T): T {
  const before = env[OFF];
  env[OFF] = true;
  try {
    return render();
  } finally {
    env[OFF] = before;
  }
}

/** "RFC 1122 §4.2.2.13", "RFC 5961", "§3.10.7.4". */
const RFC_CITATION = /\bRFC ?(\d{3,4})(?: ?§ ?(\d+(?:\.\d+)*))?|§ ?(\d+(?:\.\d+)*)/g;

/** Kernel identifiers in inline code: functions `tcp_fin()`, `__tcp_close()`, constants `TCP_ATO_MIN`. */
const KERNEL_IDENT = /^(?:(__)?(?:tcp|inet|inet_csk|inet_twsk|sk|sock|ip)_[a-z0-9_]+\(\)|(?:TCP|LINUX_MIB|TCPF)_[A-Z0-9_]{3,})$/;

export function rfcHref(rfc: number, section?: string): string {
  return `https://www.rfc-editor.org/rfc/rfc${rfc}.html${section === undefined ? "" : `#section-${section}`}`;
}

export function kernelHref(ident: string): string {
  return `https://elixir.bootlin.com/linux/latest/A/ident/${ident.replace(/\(\)$/, "")}`;
}

/** The page's references so far: href → the label the Sources list shows, in first-use order. */
export function pageSources(env: Record<string, unknown>): ReadonlyMap<string, string> {
  const s = env[SOURCES];
  return s instanceof Map ? (s as Map<string, string>) : new Map();
}

type TokenClass = new (type: string, tag: string, nesting: 1 | 0 | -1) => Token;

export function referenceLinks(md: Markdown): void {
  md.core.ruler.push("source_links", (state) => {
    const env = (state.env ?? {}) as Record<string, unknown>;
    if (env[OFF] === true) return;
    let sources = env[SOURCES] as Map<string, string> | undefined;
    if (!(sources instanceof Map)) {
      sources = new Map<string, string>();
      env[SOURCES] = sources;
    }
    let inHeading = false;
    for (const block of state.tokens) {
      if (block.type === "heading_open") inHeading = true;
      else if (block.type === "heading_close") inHeading = false;
      else if (block.type === "inline" && !inHeading && block.children !== null) {
        block.children = linkChildren(block.children, sources, state.Token);
      }
    }
  });
}

function linkChildren(children: Token[], sources: Map<string, string>, TokenCtor: TokenClass): Token[] {
  const out: Token[] = [];
  let linkDepth = 0;
  const text = (content: string): Token => {
    const t = new TokenCtor("text", "", 0);
    t.content = content;
    return t;
  };
  // Each source is linked at its first citation on the page (as the glossary links first uses);
  // later citations stay plain and the page's Sources list has them all. Linking all of them
  // cost chapter 03, which cites §3.10.7.4 dozens of times, its page budget.
  const link = (href: string, label: string, inner: Token): void => {
    if (sources.has(href)) {
      out.push(inner);
      return;
    }
    sources.set(href, label);
    const open = new TokenCtor("link_open", "a", 1);
    open.attrs = [["href", href]];
    out.push(open, inner, new TokenCtor("link_close", "a", -1));
  };
  for (const child of children) {
    if (child.type === "link_open") linkDepth++;
    if (child.type === "link_close") linkDepth = Math.max(0, linkDepth - 1);
    if (linkDepth > 0) {
      out.push(child);
      continue;
    }
    if (child.type === "code_inline" && KERNEL_IDENT.test(child.content)) {
      link(kernelHref(child.content), `Linux: ${child.content}`, child);
      continue;
    }
    if (child.type !== "text") {
      out.push(child);
      continue;
    }
    const s = child.content;
    let at = 0;
    for (const m of s.matchAll(RFC_CITATION)) {
      const rfc = m[1] !== undefined ? Number(m[1]) : DEFAULT_RFC;
      const section = m[2] ?? m[3];
      if (m.index > at) out.push(text(s.slice(at, m.index)));
      const label = `RFC ${rfc}${section === undefined ? "" : ` §${section}`}`;
      link(rfcHref(rfc, section), label, text(m[0]));
      at = m.index + m[0].length;
    }
    if (at === 0) out.push(child);
    else if (at < s.length) out.push(text(s.slice(at)));
  }
  return out;
}

/**
 * The page's "Sources" section: every RFC section and kernel identifier it cites, one line per
 * RFC (its sections in order) and one for the kernel: "RFC 9293: §3.5, §3.10.7.4".
 */
export function renderSources(sources: ReadonlyMap<string, string>): string {
  if (sources.size === 0) return "";
  const groups = new Map<string, Array<{ href: string; item: string }>>();
  for (const [href, label] of sources) {
    const m = /^(RFC \d+)(?: (§.+))?$/.exec(label);
    const group = m ? m[1]! : "Linux";
    const item = m ? (m[2] ?? m[1]!) : label.replace(/^Linux: /, "");
    groups.set(group, [...(groups.get(group) ?? []), { href, item }]);
  }
  const num = (s: string): string => s.replace(/\d+/g, (d) => d.padStart(6, "0"));
  const names = [...groups.keys()].sort((a, b) => (a === "Linux" ? 1 : b === "Linux" ? -1 : num(a).localeCompare(num(b))));
  const lines = names.map((name) => {
    const items = groups.get(name)!.sort((a, b) => num(a.item).localeCompare(num(b.item)));
    return `<li>${escapeHtml(name)}: ${items.map((i) => `<a href="${escapeAttr(i.href)}">${escapeHtml(i.item)}</a>`).join(", ")}</li>`;
  });
  return `<section class="sources" aria-labelledby="sources"><h2 id="sources">Sources</h2><ul>${lines.join("")}</ul></section>`;
}
