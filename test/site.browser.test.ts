/**
 * The built site in real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; never a downloaded browser). Screenshots go to test-artifacts/site/.
 */
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { toolGate } from "./support/tools.js";
import { buildSite } from "../src/site/build.js";
import type { SiteBuildResult } from "../src/site/build.js";
import { serveSite } from "../src/site/serve.js";
import type { RunningServer } from "../src/site/serve.js";

const gate = toolGate("/usr/bin/chromium", "apt-get install chromium");
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const ARTIFACTS = join("test-artifacts", "site");
const FIXTURES = "test/fixtures/site/notebooks";

let tmp: string;
let site: SiteBuildResult;
let server: RunningServer;
let context: BrowserContext;

interface PageProblems {
  readonly errors: string[];
  readonly failed: string[];
}

/** Open a page and record console errors, page errors, failed and off-site requests. */
async function open(path: string, opts: { width?: number; ctx?: BrowserContext; at?: RunningServer } = {}): Promise<{ page: Page; problems: PageProblems }> {
  const base = opts.at ?? server;
  const page = await (opts.ctx ?? context).newPage();
  await page.setViewportSize({ width: opts.width ?? 1280, height: 900 });
  const problems: PageProblems = { errors: [], failed: [] };
  page.on("console", (msg) => { if (msg.type() === "error") problems.errors.push(`${path}: console: ${msg.text()}`); });
  page.on("pageerror", (err) => problems.errors.push(`${path}: page error: ${err.message}`));
  page.on("requestfailed", (req) => problems.failed.push(`${path}: ${req.url()} ${req.failure()?.errorText ?? ""}`));
  page.on("request", (req) => {
    const url = req.url();
    if (!url.startsWith(base.url) && !url.startsWith("data:")) problems.failed.push(`${path}: off-site request ${url}`);
  });
  page.on("response", (res) => { if (res.status() >= 400) problems.failed.push(`${path}: HTTP ${res.status()} ${res.url()}`); });
  await page.goto(new URL(path, base.url).href, { waitUntil: "load" });
  return { page, problems };
}

/** Every page of a built site: no console error, no failed or off-site request, no broken link or anchor. */
async function checkEveryPage(built: SiteBuildResult, at: RunningServer, ctx?: BrowserContext): Promise<void> {
  // glossary.html too: the chapters' first-use links point at its anchors.
  const pages = ["index.html", "404.html", "glossary.html", ...built.chapters.map((c) => `${c.slug}.html`)];
  const ids = new Map<string, Set<string>>();
  const links: Array<{ from: string; href: string }> = [];
  const problems: string[] = [];
  for (const path of pages) {
    const { page, problems: p } = await open(path, { at, ...(ctx ? { ctx } : {}) });
    await page.waitForLoadState("networkidle");
    ids.set(path, new Set(await page.$$eval("[id]", (els) => els.map((e) => e.id))));
    for (const href of await page.$$eval("a[href]", (els) => els.map((a) => (a as HTMLAnchorElement).href))) links.push({ from: path, href });
    problems.push(...p.errors, ...p.failed);
    await page.close();
  }
  expect(problems).toEqual([]);
  expect(links.length).toBeGreaterThan(10 * built.chapters.length);
  const broken: string[] = [];
  for (const { from, href } of links) {
    const url = new URL(href);
    if (!href.startsWith(at.url)) {
      // A link to another site is not fetched by the page (this machine has no network to check it); only its scheme is.
      if (url.protocol !== "https:" && url.protocol !== "http:" && url.protocol !== "mailto:") broken.push(`${from}: odd link ${href}`);
      continue;
    }
    const target = url.pathname.slice(1) || "index.html";
    const res = await fetch(`${at.url}${target}`, { method: "HEAD" });
    if (res.status !== 200) broken.push(`${from}: ${href} → HTTP ${res.status}`);
    if (url.hash !== "" && !ids.get(target)?.has(decodeURIComponent(url.hash.slice(1)))) broken.push(`${from}: ${href} → no such anchor`);
  }
  expect(broken).toEqual([]);
}

describe.skipIf(gate.skip)("site in headless Chromium", () => {
  beforeAll(async () => {
    const { chromium } = await import("playwright-core");
    tmp = mkdtempSync(join(tmpdir(), "site-browser-"));
    const notebooks = readdirSync(FIXTURES).sort().map((f) => join(FIXTURES, f));
    site = await buildSite({ notebooks, outDir: join(tmp, "site"), execute: false });
    server = await serveSite({ dir: site.outDir, port: 0 });
    context = await chromium.launchPersistentContext(join(tmp, "profile"), {
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: CHROMIUM_ARGS,
      colorScheme: "light",
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("loads every page with no console errors, no failed or off-site requests, and no broken link or anchor", async () => {
    await checkEveryPage(site, server);
  });

  it("search for TIME_WAIT finds chapter 04, and Enter opens it", async () => {
    const { page, problems } = await open("index.html");
    await page.fill("#search-input", "TIME_WAIT");
    const first = page.locator("#search-results li a").first();
    await first.waitFor();
    expect(await first.getAttribute("href")).toMatch(new RegExp(`^${server.url}04-time-wait\\.html`));
    expect(await page.locator("#search-results").innerText()).toContain("04 · TIME_WAIT");
    // The ARIA 1.2 combobox: the arrow keys move aria-activedescendant to an option's id.
    const input = page.locator("#search-input");
    expect(await input.getAttribute("role")).toBe("combobox");
    expect(await input.getAttribute("aria-controls")).toBe("search-results");
    expect(await input.getAttribute("aria-expanded")).toBe("true");
    expect(await input.getAttribute("aria-activedescendant")).toBeNull();
    await page.press("#search-input", "ArrowDown");
    await page.press("#search-input", "ArrowDown");
    const activeId = await input.getAttribute("aria-activedescendant");
    expect(activeId).toBe("search-option-1");
    expect(await page.locator(`#${activeId}`).getAttribute("role")).toBe("option");
    expect(await page.locator(`#${activeId}`).getAttribute("aria-selected")).toBe("true");
    expect(await page.locator('#search-results [aria-selected="true"]').count()).toBe(1);
    await page.press("#search-input", "ArrowUp");
    await page.press("#search-input", "Enter");
    await page.waitForURL(/04-time-wait\.html/);
    expect(await page.title()).toBe("04 · TIME_WAIT — tcp-lifecycle");
    await page.fill("#search-input", "zzzyxw");
    await expect.poll(() => page.locator("#search-results").innerText()).toContain("No results");
    expect([...problems.errors, ...problems.failed]).toEqual([]);
    await page.close();
  });

  it("search opened from file:// says it needs a server instead of failing silently", async () => {
    const page = await context.newPage();
    await page.goto(`file://${site.outDir}/index.html`, { waitUntil: "load" });
    await page.fill("#search-input", "TIME_WAIT");
    await expect.poll(() => page.locator("#search-results").innerText()).toContain("served over HTTP");
    expect(await page.locator("#search-results").isVisible()).toBe(true);
    await page.close();
  });

  it("a 404 at a nested path is styled, and its links and search work", async () => {
    const { page, problems } = await open("notebooks/no-such-chapter.html");
    expect(await page.locator("h1").innerText()).toBe("Page not found");
    // site.css loaded: the layout grid and the sticky top bar are styled.
    expect(await page.evaluate(() => getComputedStyle(document.querySelector(".layout")!).display)).toBe("grid");
    expect(await page.evaluate(() => getComputedStyle(document.querySelector(".topbar")!).position)).toBe("sticky");
    expect(await page.locator(".theme-toggle").isVisible()).toBe(true);
    await page.fill("#search-input", "TIME_WAIT");
    await page.locator("#search-results li a").first().waitFor();
    await page.click("#sidebar a >> nth=0");
    await page.waitForURL(`${server.url}00-introduction.html`);
    // The only failure allowed is the missing page itself.
    expect(problems.errors.filter((e) => !e.includes("404"))).toEqual([]);
    expect(problems.failed).toEqual([`notebooks/no-such-chapter.html: HTTP 404 ${server.url}notebooks/no-such-chapter.html`]);
    await page.close();
  });

  it("the widget steps through four-way-close to TIME_WAIT, and a lost final ACK brings a retransmitted FIN", async () => {
    const { page, problems } = await open("01-four-way-close.html");
    const widget = page.locator(".tcp-widget.live").first();
    await widget.waitFor();
    expect(await widget.locator(".tcp-widget-preset").inputValue()).toBe("four-way-close");
    const client = widget.locator('[data-endpoint-state="client"]');
    const server_ = widget.locator('[data-endpoint-state="server"]');
    expect(await client.innerText()).toBe("ESTABLISHED");
    // Each button's accessible name is its visible word (label in name).
    for (const name of ["Start", "Back", "Forward", "End", "Lose it", "Reset"]) {
      expect(await widget.getByRole("button", { name, exact: true }).count(), name).toBe(1);
    }
    // At step 0 only the initial states are undimmed, matching the panel's ESTABLISHED.
    const laterStates = widget.locator(".tcp-ladder g.state[data-t]");
    expect(await laterStates.count()).toBeGreaterThan(0);
    expect(await widget.locator(".tcp-ladder g.state[data-t]:not(.future)").count()).toBe(0);
    const forward = widget.locator('[data-action="forward"]');
    const seen: string[] = [];
    let steps = 0;
    while (await forward.isEnabled()) {
      await forward.click();
      seen.push(`${await client.innerText()}/${await server_.innerText()}`);
      expect(++steps).toBeLessThan(30);
    }
    expect(seen).toEqual([
      "FIN_WAIT_1/CLOSE_WAIT", "FIN_WAIT_2/CLOSE_WAIT", "FIN_WAIT_2/CLOSE_WAIT", "FIN_WAIT_2/CLOSE_WAIT",
      "TIME_WAIT/LAST_ACK", "TIME_WAIT/CLOSED",
    ]);
    expect(await client.innerText()).toBe("TIME_WAIT");
    expect(await widget.locator('.tcp-fsm-diagram g.node.is-client[data-state="TIME_WAIT"]').count()).toBe(1);
    expect(await widget.locator('.tcp-fsm-diagram g.node.is-server[data-state="CLOSED"]').count()).toBeGreaterThan(0);
    expect(await widget.locator(".tcp-ladder g.segment.current").getAttribute("data-index")).toBe("5");
    await widget.locator('[data-action="back"]').click();
    expect(await server_.innerText()).toBe("LAST_ACK");

    // Lose the final ACK: the server, in LAST_ACK, retransmits its FIN; the client re-ACKs from TIME_WAIT.
    const choice = widget.locator(".tcp-widget-drop-choice");
    const options = await choice.locator("option").allInnerTexts();
    expect(options[5]).toMatch(/^6\. client → server: ACK seq=\d+ ack=\d+$/);
    await choice.selectOption("5");
    await widget.locator('[data-action="drop"]').click();
    expect(await widget.locator(".tcp-ladder g.segment.lost").count()).toBe(1);
    const again = widget.locator(".tcp-ladder g.segment.retransmission");
    expect(await again.count()).toBe(1);
    expect(await again.getAttribute("data-flags")).toBe("FIN ACK");
    expect(await again.getAttribute("data-from")).toBe("server");
    expect(await choice.locator("option").allInnerTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/^7\. server → client: FIN, ACK .*\(retransmission\)$/)]));
    expect(await server_.innerText()).toBe("LAST_ACK");
    await widget.locator('[data-action="end"]').click();
    expect(await client.innerText()).toBe("TIME_WAIT");
    expect(await server_.innerText()).toBe("CLOSED");
    await widget.screenshot({ path: join(ARTIFACTS, "widget-lost-final-ack.png") });
    await widget.locator('[data-action="reset"]').click();
    expect(await widget.locator(".tcp-ladder g.segment.retransmission").count()).toBe(0);
    expect([...problems.errors, ...problems.failed]).toEqual([]);
    await page.close();
  });

  it("the dark-mode toggle switches, persists, and the system preference is followed", async () => {
    const { page } = await open("04-time-wait.html");
    const bg = (): Promise<string> => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(await bg()).toBe("rgb(255, 255, 255)");
    await page.click(".theme-toggle");
    expect(await page.getAttribute("html", "data-theme")).toBe("dark");
    expect(await bg()).toBe("rgb(13, 17, 23)");
    await page.screenshot({ path: join(ARTIFACTS, "04-time-wait-dark-1280.png"), fullPage: true });
    await page.reload();
    expect(await page.getAttribute("html", "data-theme")).toBe("dark");
    expect(await bg()).toBe("rgb(13, 17, 23)");
    await page.click(".theme-toggle");
    expect(await bg()).toBe("rgb(255, 255, 255)");
    expect(await page.getAttribute("html", "data-theme")).toBe("light");
    // The third click goes back to following the system: no attribute, nothing stored.
    await page.click(".theme-toggle");
    expect(await page.getAttribute("html", "data-theme")).toBeNull();
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.getAttribute(".theme-toggle", "aria-label")).toMatch(/^Theme: follow the system/);
    await page.evaluate(() => localStorage.clear());
    await page.emulateMedia({ colorScheme: "dark" });
    await page.reload();
    expect(await page.getAttribute("html", "data-theme")).toBeNull();
    expect(await bg()).toBe("rgb(13, 17, 23)");
    await page.emulateMedia({ colorScheme: "light" });
    await page.close();
  });

  it("lays out at 1280 px and at 390 px (phone), with screenshots", async () => {
    for (const width of [1280, 390]) {
      for (const path of ["index.html", "01-four-way-close.html", "04-time-wait.html"]) {
        const { page, problems } = await open(path, { width });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${path} at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: join(ARTIFACTS, `${path.replace(".html", "")}-${width}.png`), fullPage: true });
        if (path !== "index.html") {
          // Below 75rem the side table of contents folds into "On this page" above the article.
          const side = page.locator("nav.toc");
          const folded = page.locator(".toc-inline details");
          expect(await side.isVisible()).toBe(width === 1280);
          expect(await folded.isVisible()).toBe(width !== 1280);
          if (width !== 1280) {
            expect(await folded.locator("summary").innerText()).toBe("On this page");
            expect(await folded.locator("a").first().isVisible()).toBe(false);
            await folded.locator("summary").click();
            expect(await folded.locator("a").first().isVisible()).toBe(true);
          }
        }
        if (path === "01-four-way-close.html") {
          await page.locator(".tcp-widget.live").first().waitFor();
          for (const svg of [".tcp-widget-ladder svg", ".tcp-widget-diagram svg"]) {
            const box = await page.locator(svg).first().boundingBox();
            expect(box, svg).not.toBeNull();
            expect(box!.x, `${svg} at ${width}px`).toBeGreaterThanOrEqual(0);
            expect(box!.x + box!.width, `${svg} at ${width}px`).toBeLessThanOrEqual(width);
          }
        }
        if (width === 390) {
          expect(await page.locator("#sidebar").isVisible()).toBe(false);
          await page.click(".nav-toggle");
          expect(await page.locator("#sidebar").isVisible()).toBe(true);
          expect(await page.getAttribute(".nav-toggle", "aria-expanded")).toBe("true");
        } else {
          expect(await page.locator("#sidebar").isVisible()).toBe(true);
        }
        expect([...problems.errors, ...problems.failed]).toEqual([]);
        await page.close();
      }
    }
  });

  it("prints charts unwrapped, code wrapped, and the solutions shown", async () => {
    const { page, problems } = await open("04-time-wait.html");
    await page.emulateMedia({ media: "print" });
    const style = (selector: string, prop: string): Promise<string> =>
      page.locator(selector).first().evaluate((el, p) => getComputedStyle(el).getPropertyValue(p), prop);
    const chart = page.locator(".output pre", { hasText: "┤" }).first();
    expect(await chart.count()).toBe(1);
    expect(await chart.evaluate((el) => getComputedStyle(el).whiteSpace)).toBe("pre");
    expect(await chart.evaluate((el) => getComputedStyle(el).overflow)).toBe("visible");
    expect(await style(".cell-input pre", "white-space")).toBe("pre-wrap");
    // No script ran (no beforeprint here): the closed <details> prints its content by CSS alone.
    const solution = page.locator("details.solution").first();
    expect(await solution.getAttribute("open")).toBeNull();
    expect(await solution.locator(".cell-input pre").isVisible()).toBe(true);
    expect(await solution.locator(".cell-input pre").evaluate((el) => el.getBoundingClientRect().height)).toBeGreaterThan(0);
    expect(await page.locator(".topbar").isVisible()).toBe(false);
    await page.pdf({ path: join(ARTIFACTS, "04-time-wait-print.pdf") });
    await page.emulateMedia({ media: "screen" });
    expect(await solution.locator(".cell-input pre").isVisible()).toBe(false);
    expect([...problems.errors, ...problems.failed]).toEqual([]);
    await page.close();
  });

  it("without JavaScript, a chapter still shows the static ladder and the whole text", async () => {
    const { chromium } = await import("playwright-core");
    const noJs = await chromium.launchPersistentContext(join(tmp, "profile-nojs"), {
      executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS, javaScriptEnabled: false,
    });
    try {
      const { page, problems } = await open("01-four-way-close.html", { ctx: noJs });
      const ladder = page.locator('[data-tcp-widget="four-way-close"] svg.tcp-ladder');
      expect(await ladder.isVisible()).toBe(true);
      expect(await ladder.getAttribute("aria-labelledby")).toMatch(/-title /);
      expect(await page.locator("#sidebar").isVisible()).toBe(true);
      expect(await page.locator("details.solution summary").first().innerText()).toBe("Show solution");
      expect([...problems.errors, ...problems.failed]).toEqual([]);
      await page.close();
    } finally {
      await noJs.close();
    }
  });

  it("a notebook that prints <script> shows it as text and never runs it", async () => {
    const hostile = await buildSite({ notebooks: ["test/fixtures/site/xss/00-hostile.ipynb"], outDir: join(tmp, "xss"), execute: false });
    const xssServer = await serveSite({ dir: hostile.outDir, port: 0 });
    try {
      const page = await context.newPage();
      const dialogs: string[] = [];
      page.on("dialog", (d) => { dialogs.push(d.message()); void d.dismiss(); });
      await page.goto(`${xssServer.url}00-hostile.html`, { waitUntil: "load" });
      expect(await page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned)).toBeUndefined();
      expect(await page.locator(".output-stdout pre").innerText()).toContain("<script>window.__pwned = true</script>");
      expect(dialogs).toEqual([]);
      await page.close();
    } finally {
      await xssServer.close();
    }
  });
});

const realNotebooks = existsSync("notebooks") ? readdirSync("notebooks").filter((f) => f.endsWith(".ipynb")).sort().map((f) => join("notebooks", f)) : [];

describe.skipIf(gate.skip || realNotebooks.length === 0)("the real chapters in headless Chromium", () => {
  let real: SiteBuildResult;
  let realServer: RunningServer;
  let realTmp: string;
  let realContext: BrowserContext;
  beforeAll(async () => {
    const { chromium } = await import("playwright-core");
    realTmp = mkdtempSync(join(tmpdir(), "site-browser-real-"));
    real = await buildSite({ notebooks: realNotebooks, outDir: join(realTmp, "site"), executedDir: "build/site-test/executed-browser" });
    realServer = await serveSite({ dir: real.outDir, port: 0 });
    realContext = await chromium.launchPersistentContext(join(realTmp, "profile"), { executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS, colorScheme: "light" });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 900_000);
  afterAll(async () => {
    await realContext?.close();
    await realServer?.close();
    if (realTmp) rmSync(realTmp, { recursive: true, force: true });
  });

  it("loads every page with no console errors, no failed or off-site requests, and no broken link or anchor", async () => {
    await checkEveryPage(real, realServer, realContext);
  });

  it("chapter 01's first glossary link opens the glossary at its entry", async () => {
    const { page, problems } = await open("01-four-way-close.html", { at: realServer, ctx: realContext });
    const link = page.locator("article a.glossary-link").first();
    if (await link.count() === 0) {
      // Nothing to follow until the glossary has entries that chapter 01 uses.
      expect(await page.locator("#sidebar a[href='glossary.html']").count()).toBe(1);
      await page.close();
      return;
    }
    const anchor = (await link.getAttribute("href"))!.split("#")[1]!;
    await link.click();
    await page.waitForURL(/glossary\.html#/);
    expect(await page.locator(`dt[id="${anchor}"]`).isVisible()).toBe(true);
    expect([...problems.errors, ...problems.failed]).toEqual([]);
    await page.close();
  });

  it("search for TIME_WAIT finds chapter 04", async () => {
    const { page, problems } = await open("index.html", { at: realServer, ctx: realContext });
    await page.fill("#search-input", "TIME_WAIT");
    const first = page.locator("#search-results li a").first();
    await first.waitFor();
    expect(await first.getAttribute("href")).toMatch(new RegExp(`^${realServer.url}04-`));
    expect([...problems.errors, ...problems.failed]).toEqual([]);
    await page.close();
  });

  it("every chapter's widget starts, and screenshots at 1280 px and 390 px are saved", async () => {
    for (const chapter of real.chapters) {
      for (const width of [1280, 390]) {
        const { page, problems } = await open(`${chapter.slug}.html`, { at: realServer, width, ctx: realContext });
        if (chapter.widgets.length > 0) await page.locator(".tcp-widget.live").first().waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${chapter.slug} at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: join(ARTIFACTS, `real-${chapter.slug}-${width}.png`), fullPage: true });
        expect([...problems.errors, ...problems.failed]).toEqual([]);
        await page.close();
      }
    }
  });
});
