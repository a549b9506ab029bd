/**
 * The site's static assets: client scripts bundled by esbuild from src/site/client (from the
 * compiled dist/ copy when running from dist), the theme CSS from site/theme with
 * highlight.js's GitHub light and dark themes scoped to the page theme (the light one with
 * site/theme/highlight.css's AA-contrast colours on top), and the favicon.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import * as esbuild from "esbuild";

const require = createRequire(import.meta.url);
export const THEME_DIR = fileURLToPath(new URL("../../site/theme/", import.meta.url));

export interface Asset {
  /** Path under the output folder, with forward slashes. */
  readonly path: string;
  readonly content: string | Uint8Array;
}

/** A client entry point next to this module: the .js in dist/, the .ts in src/. */
export function clientEntry(name: string): string {
  for (const ext of [".js", ".ts"]) {
    const file = fileURLToPath(new URL(`./client/${name}${ext}`, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new Error(`site: client entry ${name} not found next to ${fileURLToPath(import.meta.url)}`);
}

export async function bundleScript(entry: string, outPath: string): Promise<Asset> {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["chrome100", "firefox100", "safari15"],
    minify: true,
    write: false,
    legalComments: "none",
    logLevel: "silent",
  });
  const out = result.outputFiles[0];
  if (out === undefined) throw new Error(`site: esbuild produced nothing for ${entry}`);
  return { path: outPath, content: out.text };
}

function hljsTheme(name: string): string {
  return readFileSync(require.resolve(`highlight.js/styles/${name}.css`), "utf8");
}

/**
 * Light highlighting by default; dark when the reader picked dark, or when the system is dark
 * and the reader did not pick light. Nesting is lowered by esbuild.
 */
export async function buildCss(): Promise<Asset> {
  const dark = hljsTheme("github-dark");
  const source = [
    readFileSync(`${THEME_DIR}site.css`, "utf8"),
    hljsTheme("github"),
    readFileSync(`${THEME_DIR}highlight.css`, "utf8"),
    `:root[data-theme="dark"] { ${dark} }`,
    `@media (prefers-color-scheme: dark) { :root:not([data-theme="light"]) { ${dark} } }`,
    readFileSync(`${THEME_DIR}print.css`, "utf8"),
  ].join("\n");
  const result = await esbuild.transform(source, { loader: "css", minify: true, target: ["chrome100", "firefox100", "safari15"], legalComments: "none" });
  return { path: "assets/site.css", content: result.code };
}

export async function buildAssets(): Promise<Asset[]> {
  return Promise.all([
    buildCss(),
    bundleScript(clientEntry("theme"), "assets/theme.js"),
    bundleScript(clientEntry("main"), "assets/site.js"),
    Promise.resolve({ path: "assets/favicon.svg", content: readFileSync(`${THEME_DIR}favicon.svg`, "utf8") }),
  ]);
}
