/**
 * The page script: theme toggle, the chapters menu on narrow screens, and offline search.
 * The search index is fetched from this site on first use of the search box.
 */
import MiniSearch from "minisearch";
import type { SearchDoc } from "./search-options.js";
import { SEARCH_OPTIONS, SEARCH_QUERY } from "./search-options.js";
import { THEME_KEY } from "./theme-key.js";

type Theme = "light" | "dark";

function currentTheme(): Theme {
  const set = document.documentElement.dataset.theme;
  if (set === "light" || set === "dark") return set;
  return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function setupThemeToggle(): void {
  const button = document.querySelector<HTMLButtonElement>(".theme-toggle");
  if (!button) return;
  const label = (): void => {
    const next = currentTheme() === "dark" ? "light" : "dark";
    button.setAttribute("aria-label", `Switch to ${next} mode`);
    button.setAttribute("aria-pressed", String(currentTheme() === "dark"));
  };
  button.hidden = false;
  label();
  button.addEventListener("click", () => {
    const next: Theme = currentTheme() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(THEME_KEY, next);
    } catch {
      // storage disabled: the choice lasts for this page only
    }
    label();
  });
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", label);
}

function setupNavToggle(): void {
  const button = document.querySelector<HTMLButtonElement>(".nav-toggle");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    const open = document.body.classList.toggle("nav-open");
    button.setAttribute("aria-expanded", String(open));
  });
}

type Hit = SearchDoc & { score: number };

function setupSearch(): void {
  const box = document.querySelector<HTMLElement>(".search");
  const input = document.querySelector<HTMLInputElement>("#search-input");
  const list = document.querySelector<HTMLUListElement>("#search-results");
  if (!box || !input || !list) return;
  box.hidden = false;
  let index: Promise<MiniSearch<SearchDoc>> | null = null;
  const load = (): Promise<MiniSearch<SearchDoc>> => {
    index ??= fetch("search-index.json")
      .then((r) => {
        if (!r.ok) throw new Error(`search-index.json: HTTP ${r.status}`);
        return r.text();
      })
      .then((json) => MiniSearch.loadJSON<SearchDoc>(json, SEARCH_OPTIONS));
    return index;
  };
  let active = -1;
  const items = (): HTMLAnchorElement[] => Array.from(list.querySelectorAll<HTMLAnchorElement>("a"));
  const close = (): void => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    active = -1;
  };
  const highlightItem = (i: number): void => {
    const all = items();
    all.forEach((a, j) => a.parentElement?.setAttribute("aria-selected", String(i === j)));
    active = i;
    all[i]?.scrollIntoView({ block: "nearest" });
  };
  const show = (hits: Hit[], query: string): void => {
    list.replaceChildren();
    if (hits.length === 0) {
      const li = document.createElement("li");
      li.className = "search-empty";
      li.textContent = `No results for “${query}”`;
      list.append(li);
    }
    for (const hit of hits.slice(0, 12)) {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      const a = document.createElement("a");
      a.href = hit.url;
      const where = document.createElement("span");
      where.className = "search-chapter";
      where.textContent = hit.chapter;
      const heading = document.createElement("span");
      heading.className = "search-heading";
      heading.textContent = hit.heading || hit.chapter;
      const excerpt = document.createElement("span");
      excerpt.className = "search-excerpt";
      excerpt.textContent = hit.excerpt;
      a.append(where, heading, excerpt);
      li.append(a);
      list.append(li);
    }
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    active = -1;
  };
  const run = async (): Promise<void> => {
    const query = input.value.trim();
    if (query === "") return close();
    const ms = await load();
    if (input.value.trim() !== query) return; // a newer keystroke owns the list
    const hits = ms.search(query, { ...SEARCH_QUERY, boost: { ...SEARCH_QUERY.boost } }) as unknown as Hit[];
    show(hits, query);
  };
  input.addEventListener("focus", () => void load().catch(() => undefined), { once: true });
  input.addEventListener("input", () => void run().catch((err: unknown) => console.warn("search failed", err)));
  input.addEventListener("keydown", (e) => {
    const all = items();
    if (e.key === "ArrowDown" && all.length > 0) {
      e.preventDefault();
      highlightItem(Math.min(active + 1, all.length - 1));
    } else if (e.key === "ArrowUp" && all.length > 0) {
      e.preventDefault();
      highlightItem(Math.max(active - 1, 0));
    } else if (e.key === "Enter") {
      const target = all[active >= 0 ? active : 0];
      if (target) {
        e.preventDefault();
        window.location.href = target.href;
      }
    } else if (e.key === "Escape") {
      close();
      input.blur();
    }
  });
  document.addEventListener("keydown", (e) => {
    const target = e.target as HTMLElement | null;
    const typing = target !== null && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
    if (e.key === "/" && !typing) {
      e.preventDefault();
      input.focus();
    }
  });
  document.addEventListener("click", (e) => {
    if (!box.contains(e.target as Node)) close();
  });
}

/** Printed pages show every solution. */
function setupPrint(): void {
  const opened: HTMLDetailsElement[] = [];
  window.addEventListener("beforeprint", () => {
    for (const d of Array.from(document.querySelectorAll<HTMLDetailsElement>("details.solution:not([open])"))) {
      d.open = true;
      opened.push(d);
    }
  });
  window.addEventListener("afterprint", () => {
    for (const d of opened.splice(0)) d.open = false;
  });
}

setupThemeToggle();
setupNavToggle();
setupPrint();
setupSearch();
