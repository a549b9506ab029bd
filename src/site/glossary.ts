/**
 * The site's glossary: a page made from `GLOSSARY` (src/teaching/glossary.ts), and a markdown-it
 * core rule that links the FIRST use of each term on a page to its entry.
 *
 * What counts as a use: the term or one of its aliases as a whole word (no letter, digit or `_`
 * on either side, so "MSL" is not found inside "2MSL"), in prose only: never inside inline code,
 * fenced or indented code, an existing link, or a heading. A term written with capitals
 * (TCB, SND.UNA, "challenge ACK") must match its case; an all-lowercase term ("orphan",
 * "half-close") matches any case, so a sentence may start with it. The pages already linked on
 * are remembered in the markdown `env`, which every cell of one page shares (see chapter.ts), so
 * "first" means first on the page, across cells and rendered markdown outputs.
 */
import type { MarkdownIt as Markdown, Token } from "markdown-it";
import type { GlossaryEntry } from "../teaching/glossary.js";
import { escapeAttr, escapeHtml } from "./html.js";

/** The glossary page's file name; links point at `glossary.html#<anchor>`. */
export const GLOSSARY_PAGE = "glossary.html";

/** Set in a render's env to render without glossary links (the glossary page itself). */
export const NO_GLOSSARY_LINKS = "noGlossaryLinks";
const LINKED = "glossaryLinked";

interface Spelling {
  readonly text: string;
  readonly entry: GlossaryEntry;
  /** Whether the match must have the same case (the spelling has capitals). */
  readonly exactCase: boolean;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** One regular expression for every spelling, longest first, and the spellings by lower case. */
function compile(glossary: readonly GlossaryEntry[]): { re: RegExp; byLower: Map<string, Spelling> } | null {
  const byLower = new Map<string, Spelling>();
  for (const entry of glossary) {
    for (const text of [entry.term, ...entry.aliases]) {
      const t = text.trim();
      if (t === "" || byLower.has(t.toLowerCase())) continue;
      byLower.set(t.toLowerCase(), { text: t, entry, exactCase: t !== t.toLowerCase() });
    }
  }
  if (byLower.size === 0) return null;
  const alternatives = [...byLower.values()].map((s) => s.text).sort((a, b) => b.length - a.length).map(escapeRegExp);
  return { re: new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternatives.join("|")})(?![\\p{L}\\p{N}_])`, "giu"), byLower };
}

/** The first use, in `text`, of a term not linked yet on this page: where, how long, which entry. */
function firstUse(
  text: string,
  compiled: { re: RegExp; byLower: Map<string, Spelling> },
  linked: ReadonlySet<string>,
): { index: number; length: number; entry: GlossaryEntry } | null {
  const re = new RegExp(compiled.re.source, compiled.re.flags);
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const spelling = compiled.byLower.get(m[0].toLowerCase());
    if (spelling === undefined || linked.has(spelling.entry.anchor)) continue;
    if (spelling.exactCase && m[0] !== spelling.text) {
      // "Orphan" may match "orphan", but "tcb" must not match "TCB": try one character later.
      re.lastIndex = m.index + 1;
      continue;
    }
    return { index: m.index, length: m[0].length, entry: spelling.entry };
  }
  return null;
}

/**
 * Installs the first-use linker on `md`. With an empty glossary it does nothing at all, so a
 * site built before the glossary is filled renders exactly as before.
 */
export function glossaryLinks(md: Markdown, glossary: readonly GlossaryEntry[]): void {
  const compiled = compile(glossary);
  if (compiled === null) return;
  md.core.ruler.push("glossary_links", (state) => {
    const env = (state.env ?? {}) as Record<string, unknown>;
    if (env[NO_GLOSSARY_LINKS] === true) return;
    let linked = env[LINKED] as Set<string> | undefined;
    if (!(linked instanceof Set)) {
      linked = new Set<string>();
      env[LINKED] = linked;
    }
    let inHeading = false;
    for (const block of state.tokens) {
      if (block.type === "heading_open") inHeading = true;
      else if (block.type === "heading_close") inHeading = false;
      else if (block.type === "inline" && !inHeading && block.children !== null) {
        block.children = linkChildren(block.children, compiled, linked, state.Token);
      }
    }
  });
}

type TokenClass = new (type: string, tag: string, nesting: 1 | 0 | -1) => Token;

function linkChildren(
  children: Token[],
  compiled: { re: RegExp; byLower: Map<string, Spelling> },
  linked: Set<string>,
  TokenCtor: TokenClass,
): Token[] {
  const out: Token[] = [];
  let linkDepth = 0;
  const text = (content: string): Token => {
    const t = new TokenCtor("text", "", 0);
    t.content = content;
    return t;
  };
  for (const child of children) {
    if (child.type === "link_open") linkDepth++;
    if (child.type === "link_close") linkDepth = Math.max(0, linkDepth - 1);
    if (child.type !== "text" || linkDepth > 0) {
      out.push(child);
      continue;
    }
    let rest = child.content;
    let changed = false;
    for (let use = firstUse(rest, compiled, linked); use !== null; use = firstUse(rest, compiled, linked)) {
      changed = true;
      linked.add(use.entry.anchor);
      if (use.index > 0) out.push(text(rest.slice(0, use.index)));
      const open = new TokenCtor("link_open", "a", 1);
      open.attrs = [["href", `${GLOSSARY_PAGE}#${use.entry.anchor}`], ["class", "glossary-link"]];
      out.push(open, text(rest.slice(use.index, use.index + use.length)), new TokenCtor("link_close", "a", -1));
      rest = rest.slice(use.index + use.length);
    }
    if (!changed) out.push(child);
    else if (rest !== "") out.push(text(rest));
  }
  return out;
}

/** The glossary page's article: one `<dt id=anchor>` per entry, its definition rendered as inline markdown. */
export function renderGlossaryBody(md: Markdown, glossary: readonly GlossaryEntry[]): string {
  const env = { [NO_GLOSSARY_LINKS]: true };
  const items = glossary.map((e) => {
    const also = e.aliases.length === 0 ? "" : ` <span class="glossary-aliases">(also: ${e.aliases.map(escapeHtml).join(", ")})</span>`;
    return `<dt id="${escapeAttr(e.anchor)}">${escapeHtml(e.term)}${also}</dt>\n<dd>${md.renderInline(e.definition, env)}</dd>`;
  });
  const intro = glossary.length === 0
    ? "<p>No terms yet.</p>"
    : `<p>The terms the chapters use, each defined once. In a chapter, the first use of a term links here.</p>`;
  return `<h1 id="glossary">Glossary</h1>\n${intro}\n<dl class="glossary">\n${items.join("\n")}\n</dl>`;
}
