/**
 * The tutorial site build (issue 6), measured in one run on a copy of the notebooks:
 *   - a full build from clean: every notebook executed through the runner, then rendered
 *     (baseline: executing the same notebooks alone, so the ratio is what rendering adds);
 *   - a rebuild with nothing changed, in-process and as the `tcp-lifecycle site build`
 *     command a user runs (node start-up included) — target under 1 s;
 *   - a rebuild after editing one markdown cell of one notebook — it must re-execute only that
 *     notebook (checked on the runner's `cached` flags; the bench fails otherwise);
 *   - page weight per chapter: its HTML, the CSS and the JS it loads (read from the page's own
 *     <link rel="stylesheet"> and <script src>), each in KB, and their total against the 300 KB
 *     limit; the search index, fetched on the first search, is its own figure.
 * The notebooks are notebooks/*.ipynb; while there are none, the runner's passing fixtures.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const name = "site";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "dist", "cli", "main.js");
const FIXTURES = ["passing", "skip-execution", "raises-exception"].map((f) => join(ROOT, "test", "fixtures", "notebooks", `${f}.ipynb`));

function sources() {
  const dir = join(ROOT, "notebooks");
  const chapters = readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(dir, f));
  return chapters.length > 0
    ? { files: chapters, set: "notebooks/*.ipynb" }
    : { files: FIXTURES, set: "the runner's passing fixtures (no chapters yet)" };
}

const r3 = (x) => Math.round(x * 1000) / 1000;

async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

/** Append a sentence to the last markdown cell: a one-cell edit. */
function editOneMarkdownCell(file) {
  const nb = JSON.parse(readFileSync(file, "utf8"));
  const cell = [...nb.cells].reverse().find((c) => c.cell_type === "markdown");
  if (!cell) throw new Error(`${file}: no markdown cell to edit`);
  const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
  cell.source = `${source}\n\nEdited by the site benchmark.\n`;
  writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");
}

/** The bytes one page loads, by kind: the page itself and the stylesheets and scripts it names. */
function pageWeight(siteDir, page) {
  const html = readFileSync(join(siteDir, page), "utf8");
  const local = (href) => !/^[a-z][a-z0-9+.-]*:|^\/\//i.test(href);
  const bytesOf = (hrefs) => hrefs.filter(local).reduce((sum, href) => sum + statSync(join(siteDir, href.split(/[?#]/)[0])).size, 0);
  const attr = (tag, name) => new RegExp(`\\s${name}\\s*=\\s*["']([^"']*)["']`, "i").exec(tag)?.[1];
  const tags = (re) => [...html.matchAll(re)].map((m) => m[0]);
  const css = tags(/<link\b[^>]*>/gi).filter((t) => /\srel\s*=\s*["']?stylesheet/i.test(t)).map((t) => attr(t, "href")).filter(Boolean);
  const js = tags(/<script\b[^>]*>/gi).map((t) => attr(t, "src")).filter(Boolean);
  return { html: Buffer.byteLength(html), css: bytesOf(css), js: bytesOf(js), cssFiles: css, jsFiles: js };
}

export async function run() {
  const { buildSite } = await import(pathToFileURL(join(ROOT, "dist", "site", "index.js")).href);
  const { runNotebooks } = await import(pathToFileURL(join(ROOT, "dist", "notebook", "index.js")).href);
  const { files, set } = sources();
  // Inside the project (build/ is ignored): the notebooks import "tcp-lifecycle" by name,
  // which resolves through this package's node_modules.
  mkdirSync(join(ROOT, "build"), { recursive: true });
  const work = mkdtempSync(join(ROOT, "build", "site-bench-"));
  try {
    const nbDir = join(work, "notebooks");
    mkdirSync(nbDir);
    // Chapter order comes from the file names; fixtures get numbers so they sort like chapters.
    const copies = files.map((f, i) => {
      const base = f.split("/").pop();
      const target = join(nbDir, /^\d/.test(base) ? base : `${String(i).padStart(2, "0")}-${base}`);
      copyFileSync(f, target);
      return target;
    });
    const options = { notebooks: copies, outDir: join(work, "site"), executedDir: join(work, "executed") };

    const executeOnly = await timed(() => runNotebooks(copies, { outDir: join(work, "execute-only"), force: true }));
    const full = await timed(() => buildSite(options));
    // Weighed now, before the one-cell edit below changes a page.
    const weights = full.value.chapters.map((chapter) => ({ chapter, ...pageWeight(options.outDir, `${chapter.slug}.html`) }));
    const searchIndexBytes = statSync(join(options.outDir, "search-index.json")).size;
    const fullFig = { name: `full site build from clean, ${copies.length} notebooks`, value: r3(full.seconds), unit: "s" };

    const unchanged = await timed(() => buildSite(options));
    const rerun = unchanged.value.runs.filter((r) => !r.cached).map((r) => r.file);
    // The cache key includes dist/: a build of the library during the bench rightly re-executes.
    if (rerun.length > 0) throw new Error(`a rebuild with nothing changed executed ${rerun.join(", ")} (was dist/ rebuilt meanwhile?)`);
    const cliBuild = () => {
      const r = spawnSync(process.execPath, [CLI, "site", "build", ...copies, "--out", options.outDir, "--executed", options.executedDir], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`tcp-lifecycle site build exited ${r.status}:\n${r.stderr}`);
      return r;
    };
    cliBuild(); // warm the file cache once
    const cliTimed = await timed(cliBuild);

    const edited = copies[Math.min(1, copies.length - 1)];
    editOneMarkdownCell(edited);
    const oneEdit = await timed(() => buildSite(options));
    const executed = oneEdit.value.runs.filter((r) => !r.cached).map((r) => r.file);
    const onlyThat = executed.length === 1 && executed[0] === edited;
    if (!onlyThat) throw new Error(`editing one markdown cell of ${edited} re-executed: ${executed.join(", ") || "nothing"}`);

    /** A rebuild figure, against the full build. */
    const rebuild = (name, seconds, extra) => ({ name, value: r3(seconds), unit: "s", baseline: fullFig, ratio: r3(seconds / full.seconds), ...extra });
    const figures = [
      {
        ...fullFig,
        baseline: { name: "executing the same notebooks alone (runner, --force)", value: r3(executeOnly.seconds), unit: "s" },
        ratio: r3(full.seconds / executeOnly.seconds),
        note: `${set}; ratio = full build ÷ execution alone (what rendering, search index and bundling add)`,
      },
      rebuild("rebuild, nothing changed (in-process buildSite)", unchanged.seconds, {
        target: { op: "<", value: 1, unit: "s" },
        note: "ratio = rebuild ÷ full build; every notebook answered by the runner's cache, the pages by the site's",
      }),
      rebuild("rebuild, nothing changed (`tcp-lifecycle site build`, node start-up included)", cliTimed.seconds, {
        target: { op: "<", value: 1, unit: "s" },
        note: "ratio = rebuild ÷ full build; wall clock of the command",
      }),
      rebuild("rebuild after editing one markdown cell", oneEdit.seconds, {
        target: "re-executes only the edited notebook",
        met: onlyThat,
        note: `executed: ${executed.map((f) => f.split("/").pop()).join(", ")}; the other ${copies.length - 1} from cache`,
      }),
    ];

    const kb = (bytes) => r3(bytes / 1024);
    const LIMIT = { name: "the issue's limit", value: 300, unit: "KB" };
    /** A weight figure: its share of the 300 KB limit is the ratio. */
    const weight = (name, bytes, extra) => ({ name, value: kb(bytes), unit: "KB", baseline: LIMIT, ratio: r3(bytes / 1024 / LIMIT.value), ...extra });
    for (const w of weights) {
      const total = w.html + w.css + w.js;
      figures.push(
        weight(`page weight: ${w.chapter.slug}, HTML`, w.html, { note: "ratio = share of the 300 KB limit" }),
        weight(`page weight: ${w.chapter.slug}, CSS`, w.css, { note: `${w.cssFiles.join(", ") || "none"}; ratio = share of the limit` }),
        weight(`page weight: ${w.chapter.slug}, JS`, w.js, { note: `${w.jsFiles.join(", ") || "none"}; ratio = share of the limit` }),
        weight(`page weight: ${w.chapter.slug}, total (HTML + CSS + JS)`, total, {
          target: { op: "<=", value: 300, unit: "KB" },
          note: "ratio = weight ÷ limit; notebook downloads, the favicon and the search index (fetched on first search) not counted",
        }),
      );
    }
    const heaviest = weights.reduce((a, b) => (a.html + a.css + a.js >= b.html + b.css + b.js ? a : b));
    figures.push(weight("search index (search-index.json, fetched on the first search)", searchIndexBytes, {
      note: `ratio = share of the limit; the heaviest page (${heaviest.chapter.slug}) plus the index is ${kb(heaviest.html + heaviest.css + heaviest.js + searchIndexBytes)} KB`,
    }));
    return { figures };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
