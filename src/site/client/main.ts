/**
 * The page script: theme toggle, the chapters menu on narrow screens, and offline search.
 * The search index is fetched from this site on first use of the search box.
 */
import MiniSearch from "minisearch";
import type { SearchDoc } from "./search-options.js";
import { SEARCH_OPTIONS, SEARCH_QUERY } from "./search-options.js";
import { THEME_KEY } from "./theme-key.js";

type Theme = "light" | "dark";
/** "system" means no stored choice: the stylesheet follows prefers-color-scheme. */
type Choice = Theme | "system";

const systemTheme = (): Theme => (window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
const opposite = (t: Theme): Theme => (t === "dark" ? "light" : "dark");

function currentChoice(): Choice {
  const set = document.documentElement.dataset.theme;
  return set === "light" || set === "dark" ? set : "system";
}

/**
 * Three states, so the reader can go back to following the system: system → the other theme
 * → this theme, chosen → system. The first click always changes what is on screen.
 */
function nextChoice(choice: Choice): Choice {
  const system = systemTheme();
  if (choice === "system") return opposite(system);
  return choice === system ? "system" : system;
}

function describe(choice: Choice): string {
  return choice === "system" ? `follow the system (now ${systemTheme()})` : `${choice} mode`;
}

function setupThemeToggle(): void {
  const button = document.querySelector<HTMLButtonElement>(".theme-toggle");
  if (!button) return;
  const label = (): void => {
    const choice = currentChoice();
    button.setAttribute("aria-label", `Theme: ${describe(choice)}. Switch to ${describe(nextChoice(choice))}`);
    button.title = `Theme: ${describe(choice)}. Click for ${describe(nextChoice(choice))}.`;
    button.dataset.choice = choice;
  };
  button.hidden = false;
  label();
  button.addEventListener("click", () => {
    const next = nextChoice(currentChoice());
    try {
      if (next === "system") localStorage.removeItem(THEME_KEY);
      else localStorage.setItem(THEME_KEY, next);
    } catch {
      // storage disabled: the choice lasts for this page only
    }
    if (next === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = next;
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

/**
 * The site's root folder, from this script's own URL (assets/site.js): the 404 page is served
 * at any depth, where a relative "search-index.json" would point into a missing folder.
 */
const SITE_ROOT = new URL("../", (document.currentScript as HTMLScriptElement | null)?.src ?? new URL("assets/", window.location.href).href);

/** Browsers refuse fetch() from file:// pages, so offline search needs the site served. */
const FILE_MESSAGE = "Search needs the site served over HTTP: run “npm start” (or tcp-lifecycle site serve) and open the printed URL.";

function setupSearch(): void {
  const box = document.querySelector<HTMLElement>(".search");
  const input = document.querySelector<HTMLInputElement>("#search-input");
  const list = document.querySelector<HTMLUListElement>("#search-results");
  if (!box || !input || !list) return;
  box.hidden = false;
  let index: Promise<MiniSearch<SearchDoc>> | null = null;
  const load = (): Promise<MiniSearch<SearchDoc>> => {
    index ??= fetch(new URL("search-index.json", SITE_ROOT))
      .then((r) => {
        if (!r.ok) throw new Error(`search-index.json: HTTP ${r.status}`);
        return r.text();
      })
      .then((json) => MiniSearch.loadJSON<SearchDoc>(json, SEARCH_OPTIONS));
    return index;
  };
  // The ARIA 1.2 combobox pattern: focus stays in the input, and aria-activedescendant names
  // the option the arrow keys picked, so a screen reader announces it.
  let active = -1;
  const items = (): HTMLAnchorElement[] => Array.from(list.querySelectorAll<HTMLAnchorElement>("a"));
  const close = (): void => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const highlightItem = (i: number): void => {
    const all = items();
    all.forEach((a, j) => a.parentElement?.setAttribute("aria-selected", String(i === j)));
    active = i;
    const option = all[i]?.parentElement;
    if (option) input.setAttribute("aria-activedescendant", option.id);
    else input.removeAttribute("aria-activedescendant");
    all[i]?.scrollIntoView({ block: "nearest" });
  };
  const message = (text: string): void => {
    list.replaceChildren();
    const li = document.createElement("li");
    li.className = "search-empty";
    li.setAttribute("role", "option");
    li.setAttribute("aria-disabled", "true");
    li.textContent = text;
    list.append(li);
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const show = (hits: Hit[], query: string): void => {
    if (hits.length === 0) return message(`No results for “${query}”`);
    list.replaceChildren();
    for (const [i, hit] of hits.slice(0, 12).entries()) {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.id = `search-option-${i}`;
      const a = document.createElement("a");
      a.href = new URL(hit.url, SITE_ROOT).href;
      a.tabIndex = -1;
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
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const run = async (): Promise<void> => {
    const query = input.value.trim();
    if (query === "") return close();
    if (window.location.protocol === "file:") return message(FILE_MESSAGE);
    let ms: MiniSearch<SearchDoc>;
    try {
      ms = await load();
    } catch (err) {
      index = null; // try again on the next keystroke
      console.warn("search index failed to load", err);
      return message("Search is unavailable: the search index could not be loaded.");
    }
    if (input.value.trim() !== query) return; // a newer keystroke owns the list
    const hits = ms.search(query, { ...SEARCH_QUERY, boost: { ...SEARCH_QUERY.boost } }) as unknown as Hit[];
    show(hits, query);
  };
  if (window.location.protocol !== "file:") input.addEventListener("focus", () => void load().catch(() => undefined), { once: true });
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
