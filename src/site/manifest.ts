/**
 * `.site-manifest.json`: the list of files the last `site build` wrote into its output folder,
 * read back so the next build can remove the ones it no longer writes — and the paths the
 * build writes and deletes, which must all stay inside that folder.
 *
 * The manifest is input like any other (a copied or downloaded site folder carries one), so:
 *   - it is read only when it is a regular file of at most MANIFEST_MAX_BYTES;
 *   - a manifest that is not JSON, or not an object with a "files" list, refuses the build
 *     (the folder cannot be shown to be a site build's: nothing in it is touched);
 *   - an entry that is not a plain relative path inside the folder ("../victim.txt",
 *     "/etc/passwd", "a/./b", "a\\b") is skipped with a warning and never deleted;
 *   - a path is only written or deleted when no folder on the way to it, inside the output
 *     folder, is a symbolic link, and a file is never written through a link.
 */
import { lstatSync, readFileSync } from "node:fs";
import type { Stats } from "node:fs";
import { join } from "node:path";

export const MANIFEST = ".site-manifest.json";
/** The largest manifest read (a real one is a few KB). */
export const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;
/** The longest path accepted in a manifest entry. */
export const MANIFEST_PATH_MAX = 1024;
/** How much of a bad entry a warning quotes. */
const EXCERPT = 60;

/** A bounded, printable quotation of a manifest value. */
export function excerpt(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > EXCERPT ? `${value.slice(0, EXCERPT)}…` : value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text;
}

/** Why `entry` is not a plain relative path inside the output folder, or null when it is one. */
export function manifestEntryProblem(entry: unknown): string | null {
  if (typeof entry !== "string") return "expected a string";
  if (entry === "") return "expected a path, got an empty string";
  if (entry.length > MANIFEST_PATH_MAX) return `longer than ${MANIFEST_PATH_MAX} characters`;
  if (entry.includes("\0") || entry.includes("\\")) return "contains NUL or a backslash";
  if (entry.startsWith("/")) return "is an absolute path";
  const parts = entry.split("/");
  if (parts.includes("..")) return "has a '..' segment (leaves the output folder)";
  if (parts.some((p) => p === "" || p === ".")) return "is not a normalised path (empty or '.' segment)";
  return null;
}

export interface PreviousManifest {
  readonly files: readonly unknown[];
  readonly key?: unknown;
  readonly chapters?: unknown;
  readonly sizes?: unknown;
}

export type ManifestRead =
  | { readonly kind: "missing" }
  | { readonly kind: "ok"; readonly manifest: PreviousManifest }
  | { readonly kind: "bad"; readonly reason: string };

/** Read `<outDir>/.site-manifest.json`, bounded; never throws for a bad file, only says why. */
export function readManifest(outDir: string): ManifestRead {
  const path = join(outDir, MANIFEST);
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "missing" };
    return { kind: "bad", reason: `cannot read it (${code ?? "error"})` };
  }
  if (st.isSymbolicLink()) return { kind: "bad", reason: "expected a regular file, found a symbolic link" };
  if (!st.isFile()) return { kind: "bad", reason: "expected a regular file" };
  if (st.size > MANIFEST_MAX_BYTES) return { kind: "bad", reason: `expected at most ${MANIFEST_MAX_BYTES} bytes, found ${st.size}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { kind: "bad", reason: `not valid JSON (${message.length > 100 ? `${message.slice(0, 100)}…` : message})` };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !Array.isArray((parsed as { files?: unknown }).files)) {
    return { kind: "bad", reason: `expected an object with a "files" list, got ${excerpt(parsed)}` };
  }
  return { kind: "ok", manifest: parsed as PreviousManifest };
}

/**
 * How `rel` (a checked manifest entry or a path the build writes) lies under `outDir`:
 * "blocked", naming a folder on the way that is a symbolic link or not a folder; else "ok"
 * with the file's own lstat (null when it, or a folder on the way, is not there).
 */
export function walkInside(
  outDir: string,
  rel: string,
): { readonly kind: "blocked"; readonly at: string; readonly what: string } | { readonly kind: "ok"; readonly stat: Stats | null } {
  const parts = rel.split("/");
  let at = outDir;
  for (const part of parts.slice(0, -1)) {
    at = join(at, part);
    let st: Stats;
    try {
      st = lstatSync(at);
    } catch {
      return { kind: "ok", stat: null };
    }
    if (st.isSymbolicLink()) return { kind: "blocked", at, what: "is a symbolic link" };
    if (!st.isDirectory()) return { kind: "blocked", at, what: "is not a folder" };
  }
  try {
    return { kind: "ok", stat: lstatSync(join(outDir, rel)) };
  } catch {
    return { kind: "ok", stat: null };
  }
}
