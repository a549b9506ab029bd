/**
 * The site build: notebooks → (runner, with its cache) → executed notebooks → pages.
 *
 *   buildSite({ notebooks, outDir, execute }) → SiteBuildResult
 *
 * Writes <outDir>/index.html, one <slug>.html per chapter, glossary.html, 404.html, search-index.json,
 * assets/ (CSS, bundled client scripts), and notebooks/<slug>.ipynb (clean source) and
 * <slug>.executed.ipynb per chapter. Files whose bytes did not change are not rewritten, and
 * files a previous build wrote but this one did not are removed (the list is kept in
 * <outDir>/.site-manifest.json; a non-empty folder without one is refused, so a mistyped
 * --out never deletes anything of yours).
 *
 * Nothing is written or deleted outside outDir, whatever the manifest says: its entries are
 * checked (manifest.ts), a bad one is skipped with a warning, and no path is written or
 * removed through a symbolic link inside outDir. The output folders are checked before any
 * notebook runs.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runNotebooks } from "../notebook/index.js";
import { outputFolderProblem } from "../notebook/runner.js";
import { MANIFEST, excerpt, manifestEntryProblem, readManifest, walkInside } from "./manifest.js";
import type { NotebookResult, RunProgress } from "../notebook/index.js";
import type { Chapter } from "./chapter.js";
import { renderChapter, chapterSlug } from "./chapter.js";
import { cleanNotebook, readNotebook } from "./nbformat.js";
import { createMarkdown } from "./markdown.js";
import { buildAssets, THEME_DIR } from "./assets.js";
import type { Asset } from "./assets.js";
import type { AssetRefs } from "./layout.js";
import { renderPage, SITE_NAME } from "./layout.js";
import { buildSearchIndex } from "./search-index.js";
import { escapeAttr, escapeHtml } from "./html.js";
import { prepareWidgets, WidgetMarkerError } from "./widgets.js";
import { GLOSSARY_PAGE, renderGlossaryBody } from "./glossary.js";
import { GLOSSARY, type GlossaryEntry } from "../teaching/glossary.js";

export const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url));
import { DEFAULT_EXECUTED_DIR, DEFAULT_OUT_DIR } from "./defaults.js";
export { DEFAULT_EXECUTED_DIR, DEFAULT_OUT_DIR };

export interface SiteBuildOptions {
  /** Source notebooks, in chapter order. Default: notebooks/*.ipynb, sorted by name. */
  readonly notebooks?: readonly string[];
  /** Default site-dist/ under the current directory. */
  readonly outDir?: string;
  /**
   * true (default): run every notebook through the runner and its cache, then render the
   * executed copies. false: the notebooks given are executed already (test fixtures).
   */
  readonly execute?: boolean;
  /** Where the runner writes executed notebooks. Default build/notebooks. */
  readonly executedDir?: string;
  /** Force the runner to execute even when its cache is fresh. */
  readonly force?: boolean;
  /** Per-cell time limit for the runner. */
  readonly timeoutMs?: number;
  readonly onProgress?: (event: RunProgress) => void;
  readonly log?: (line: string) => void;
  /**
   * The glossary: its page (glossary.html, one anchor per entry) and the first-use links in
   * every chapter. Default GLOSSARY (src/teaching/glossary.ts).
   */
  readonly glossary?: readonly GlossaryEntry[];
}

/** A chapter as the build reports it (its page is on disk). */
export type ChapterSummary = Pick<Chapter, "slug" | "number" | "title" | "description" | "toc" | "widgets">;

export interface PageReport {
  readonly path: string;
  readonly bytes: number;
}

export interface SiteBuildResult {
  readonly outDir: string;
  readonly chapters: readonly ChapterSummary[];
  /** One per notebook when executed through the runner; empty with execute: false. */
  readonly runs: readonly NotebookResult[];
  /** Every file of the site, with its size. */
  readonly files: readonly PageReport[];
  /** Files whose bytes changed in this build. */
  readonly written: readonly string[];
  /** True when nothing the pages are made from changed, so the last build's pages stand. */
  readonly reused: boolean;
  readonly durationMs: number;
}

/**
 * Why the site was not built. `failedCheck`: a notebook failed when run (the CLI exits 1);
 * otherwise the input was wrong (a missing notebook, an unusable --out; the CLI exits 2).
 */
export class SiteBuildError extends Error {
  override readonly name = "SiteBuildError";
  constructor(message: string, readonly failedCheck = false) {
    super(message);
  }
}

export function defaultNotebooks(dir = "notebooks"): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb") && !f.startsWith("."))
    .sort()
    .map((f) => join(dir, f));
}

export async function buildSite(options: SiteBuildOptions = {}): Promise<SiteBuildResult> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const outDir = resolve(options.outDir ?? DEFAULT_OUT_DIR);
  const sources = [...(options.notebooks ?? defaultNotebooks())];
  if (sources.length === 0) throw new SiteBuildError("no notebooks to build (expected notebooks/*.ipynb)");
  const slugs = new Map<string, string>();
  for (const file of sources) {
    if (!existsSync(file)) throw new SiteBuildError(`${file}: no such notebook`);
    const slug = chapterSlug(file);
    const other = slugs.get(slug);
    if (other !== undefined) throw new SiteBuildError(`${other} and ${file} would both become ${slug}.html`);
    slugs.set(slug, file);
  }
  const execute = options.execute ?? true;
  const executedDir = options.executedDir ?? DEFAULT_EXECUTED_DIR;
  for (const [role, dir] of [["output folder", outDir], ...(execute ? [["executed-notebooks folder", executedDir]] : [])] as const) {
    const unusable = outputFolderProblem(dir);
    if (unusable !== null) throw new SiteBuildError(`${role}: ${unusable}`);
  }
  // Before any notebook runs: a folder that is not a site build's is refused now, not later.
  const previousBuild = previousFiles(outDir, log);

  let runs: NotebookResult[] = [];
  let executed = sources;
  if (execute) {
    runs = await runNotebooks(sources, {
      outDir: executedDir,
      force: options.force ?? false,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
    });
    const failed = runs.filter((r) => r.status === "failed");
    if (failed.length > 0) {
      throw new SiteBuildError(`${failed.length} notebook(s) failed, so the site was not built:\n${failed.map((r) => r.failure?.report ?? r.file).join("\n")}`, true);
    }
    executed = runs.map((r) => r.outPath);
    const ran = runs.filter((r) => !r.cached).length;
    log(`notebooks: ${ran} executed, ${runs.length - ran} from cache`);
  }

  const glossary = options.glossary ?? GLOSSARY;
  const key = inputsKey(sources, executed, glossary);
  const previous = reusable(outDir, key);
  if (previous !== null) {
    log(`site: nothing changed since the last build of ${outDir}`);
    return { outDir, chapters: previous.chapters, runs, files: previous.files, written: [], reused: true, durationMs: performance.now() - started };
  }

  const md = createMarkdown({ glossary });
  const files: Array<{ path: string; content: string | Uint8Array }> = [];
  const chapters: Chapter[] = [];
  const widgetAssets: Asset[] = [];
  for (const [i, file] of executed.entries()) {
    const source = sources[i]!;
    const nb = readNotebook(file);
    const chapter = renderChapter(nb, source, md);
    chapters.push(chapter);
    files.push({ path: `notebooks/${chapter.slug}.ipynb`, content: `${JSON.stringify(cleanNotebook(readNotebook(source)), null, 1)}\n` });
    files.push({ path: `notebooks/${chapter.slug}.executed.ipynb`, content: readFileSync(file) });
  }
  const widgets = await prepareWidgets(chapters).catch((err: unknown) => {
    throw err instanceof WidgetMarkerError ? new SiteBuildError(err.message) : err;
  });
  widgetAssets.push(...widgets.assets);

  const assets = [...(await buildAssets()), ...widgetAssets];
  const refs: AssetRefs = {
    css: ["assets/site.css"],
    headJs: ["assets/theme.js"],
    js: ["assets/site.js"],
    widgetJs: widgetAssets.filter((a) => a.path.endsWith(".js")).map((a) => a.path),
    favicon: "assets/favicon.svg",
  };
  for (const chapter of widgets.chapters) {
    files.push({
      path: `${chapter.slug}.html`,
      content: renderPage({
        file: `${chapter.slug}.html`,
        title: `${chapter.number === "" ? "" : `${chapter.number} · `}${chapter.title} — ${SITE_NAME}`,
        description: chapter.description,
        body: chapter.html,
        chapters: widgets.chapters,
        current: chapter,
        assets: refs,
        toc: chapter.toc,
        widget: chapter.widgets.length > 0,
      }),
    });
  }
  files.push({ path: "index.html", content: homePage(widgets.chapters, refs) });
  files.push({ path: GLOSSARY_PAGE, content: glossaryPage(widgets.chapters, refs, renderGlossaryBody(md, glossary)) });
  files.push({ path: "404.html", content: notFoundPage(widgets.chapters, refs) });
  files.push({ path: "search-index.json", content: buildSearchIndex(widgets.chapters) });
  files.push(...assets);

  const summaries: ChapterSummary[] = widgets.chapters.map(({ slug, number, title, description, toc, widgets: w }) => ({ slug, number, title, description, toc, widgets: w }));
  const reports = files.map((f) => ({ path: f.path, bytes: typeof f.content === "string" ? Buffer.byteLength(f.content) : f.content.byteLength }));
  const written = writeSite(outDir, files, { key, chapters: summaries, sizes: reports }, previousBuild, log);
  log(`site: ${files.length} files in ${outDir} (${written.length} changed)`);
  return { outDir, chapters: summaries, runs, files: reports, written, reused: false, durationMs: performance.now() - started };
}

/** Bump when the builder changes what it writes in a way its own files' hash would not show. */
const BUILD_FORMAT = 2;

function hashTree(hash: ReturnType<typeof createHash>, dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) hashTree(hash, path);
    else if (entry.isFile()) hash.update(path).update("\0").update(readFileSync(path)).update("\0");
  }
}

/**
 * What every page is made from: the source and executed notebooks, this builder and its
 * client code, the theme, and the pure core the widget bundles (fsm, sim, render).
 */
function inputsKey(sources: readonly string[], executed: readonly string[], glossary: readonly GlossaryEntry[]): string {
  // The glossary as data (it may be passed in, not read from src/teaching): its page and every link.
  const hash = createHash("sha256").update(`site-build ${BUILD_FORMAT}\0`).update(JSON.stringify(glossary)).update("\0");
  sources.forEach((source, i) => {
    hash.update(resolve(source)).update("\0").update(readFileSync(source)).update("\0").update(readFileSync(executed[i]!)).update("\0");
  });
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [here, THEME_DIR, join(here, "..", "fsm"), join(here, "..", "sim"), join(here, "..", "render")]) hashTree(hash, dir);
  return hash.digest("hex");
}

interface Manifest {
  readonly files: readonly string[];
  readonly key?: string;
  readonly chapters?: readonly ChapterSummary[];
  readonly sizes?: readonly PageReport[];
}

/** The last build's report, when it was made from the same inputs and its files are all there. */
function reusable(outDir: string, key: string): { chapters: readonly ChapterSummary[]; files: readonly PageReport[] } | null {
  const read = readManifest(outDir);
  if (read.kind !== "ok") return null;
  const { key: oldKey, chapters, sizes } = read.manifest;
  if (oldKey !== key || !Array.isArray(chapters) || !Array.isArray(sizes)) return null;
  for (const f of sizes as unknown[]) {
    const entry = f as Partial<PageReport> | null;
    if (typeof entry !== "object" || entry === null || typeof entry.bytes !== "number" || manifestEntryProblem(entry.path) !== null) return null;
    const found = walkInside(outDir, entry.path as string);
    if (found.kind !== "ok" || found.stat === null || !found.stat.isFile() || found.stat.size !== entry.bytes) return null;
  }
  return { chapters: chapters as ChapterSummary[], files: sizes as PageReport[] };
}

/**
 * The files the last build wrote, from its manifest: [] for a new or empty folder. A non-empty
 * folder without a manifest, or with one that is not a site build's, is refused; entries that
 * are not plain paths inside outDir are left out with a warning (so never deleted).
 */
function previousFiles(outDir: string, log: (line: string) => void): string[] {
  if (!existsSync(outDir)) return [];
  let entries: string[];
  try {
    entries = readdirSync(outDir);
  } catch (err) {
    throw new SiteBuildError(`cannot list ${outDir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (entries.length === 0) return [];
  const manifestPath = join(outDir, MANIFEST);
  const read = readManifest(outDir);
  if (read.kind === "missing") {
    throw new SiteBuildError(`${outDir} is not empty and holds no ${MANIFEST}: refusing to write a site into it (choose an empty or new folder)`);
  }
  if (read.kind === "bad") {
    throw new SiteBuildError(`${manifestPath}: ${read.reason}: refusing to write a site into ${outDir} (if it holds a site build, delete the manifest and the folder's contents)`);
  }
  const kept: string[] = [];
  read.manifest.files.forEach((entry, i) => {
    const problem = manifestEntryProblem(entry);
    if (problem === null) kept.push(entry as string);
    else log(`site: warning: ${manifestPath}: files[${i}] ${excerpt(entry)} ${problem}: ignored (not deleted)`);
  });
  return kept;
}

function homePage(chapters: readonly Chapter[], assets: AssetRefs): string {
  const list = chapters.map((c) =>
    `<li><a href="${escapeAttr(c.slug)}.html"><span class="num">${escapeHtml(c.number)}</span> <span class="chapter-title">${escapeHtml(c.title)}</span></a><p>${escapeHtml(c.description)}</p></li>`,
  );
  const body = `<h1 id="top">How a TCP connection ends</h1>
<p class="lead">The four-way close and the complete TCP state machine, taught on things that really run: a deterministic simulator, the Linux kernel's own sockets on loopback, and real packet captures. Every page was built from a notebook that was executed to make it.</p>
<h2 id="chapters">Chapters</h2>
<ol class="chapter-list">${list.join("")}</ol>
<p>Terms are defined in the <a href="${GLOSSARY_PAGE}">glossary</a>.</p>`;
  return renderPage({
    file: "index.html",
    title: `${SITE_NAME}: how a TCP connection ends`,
    description: "A tutorial on the TCP four-way close, TIME_WAIT and the 11-state TCP state machine, with a live simulator and executed TypeScript notebooks.",
    body,
    chapters,
    current: null,
    assets,
  });
}

function glossaryPage(chapters: readonly Chapter[], assets: AssetRefs, body: string): string {
  return renderPage({
    file: GLOSSARY_PAGE,
    title: `Glossary — ${SITE_NAME}`,
    description: "The TCP terms the tutorial uses (TCB, MSL, 2MSL, ISS, SND.UNA, orphan, 4-tuple, half-close …), each defined once with its source.",
    body,
    chapters,
    current: null,
    assets,
  });
}

function notFoundPage(chapters: readonly Chapter[], assets: AssetRefs): string {
  return renderPage({
    file: "404.html",
    title: `Page not found — ${SITE_NAME}`,
    description: "This page does not exist.",
    body: `<h1 id="not-found">Page not found</h1><p>There is no such page. Pick a chapter from the list, or go to the <a href="/index.html">start</a>.</p>`,
    chapters,
    current: null,
    assets,
    root: "/",
  });
}

function sameBytes(file: string, content: string | Uint8Array): boolean {
  if (!existsSync(file)) return false;
  const old = readFileSync(file);
  return typeof content === "string" ? old.toString("utf8") === content : Buffer.compare(old, content) === 0;
}

function writeSite(
  outDir: string,
  files: ReadonlyArray<{ path: string; content: string | Uint8Array }>,
  report: { key: string; chapters: readonly ChapterSummary[]; sizes: readonly PageReport[] },
  previous: readonly string[],
  log: (line: string) => void,
): string[] {
  const manifestPath = join(outDir, MANIFEST);
  const written: string[] = [];
  const attempt = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw new SiteBuildError(`cannot ${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  attempt(`create ${outDir}`, () => mkdirSync(outDir, { recursive: true }));
  for (const f of files) {
    const target = join(outDir, f.path);
    const found = walkInside(outDir, f.path);
    if (found.kind === "blocked") {
      throw new SiteBuildError(`${found.at} ${found.what}: refusing to write ${f.path} through it (site build writes only inside ${outDir})`);
    }
    if (found.stat !== null && !found.stat.isFile()) {
      throw new SiteBuildError(`${target}: expected a regular file or nothing, found ${found.stat.isSymbolicLink() ? "a symbolic link" : "something else"}: refusing to write through it`);
    }
    if (found.stat !== null && sameBytes(target, f.content)) continue;
    attempt(`write ${target}`, () => {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, f.content);
    });
    written.push(f.path);
  }
  const now = new Set(files.map((f) => f.path));
  for (const old of previous) {
    if (now.has(old)) continue;
    const found = walkInside(outDir, old);
    if (found.kind === "blocked") {
      log(`site: warning: ${manifestPath}: ${excerpt(old)} not deleted: ${found.at} ${found.what}`);
    } else if (found.stat?.isDirectory()) {
      log(`site: warning: ${manifestPath}: ${excerpt(old)} not deleted: it is a folder`);
    } else if (found.stat !== null) {
      // A file or a symbolic link inside outDir: rm removes the link, never what it points at.
      attempt(`remove ${join(outDir, old)}`, () => rmSync(join(outDir, old), { force: true }));
    }
  }
  const manifest: Manifest = { files: [...now].sort(), key: report.key, chapters: report.chapters, sizes: report.sizes };
  // A fresh file renamed into place: an interrupted build never leaves half a manifest, and a
  // link planted at the temporary name is removed, not written through ("wx" refuses one).
  const temporary = `${manifestPath}.tmp`;
  attempt(`write ${manifestPath}`, () => {
    rmSync(temporary, { force: true });
    writeFileSync(temporary, `${JSON.stringify(manifest, null, 1)}\n`, { flag: "wx" });
    renameSync(temporary, manifestPath);
  });
  return written;
}
