/**
 * The run cache. A notebook is not executed again when its own bytes AND the library build
 * it imports are unchanged: the key is a hash of both (plus the runner's and tslab's
 * versions, which change how cells run). The record lives in <outDir>/.cache/ next to the
 * executed notebook it vouches for, and holds that notebook's hash, so an edited or deleted
 * output is noticed.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

/** Bump when a change to the runner changes the notebooks it writes. */
export const RUNNER_VERSION = 1;

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Hash of a library build: every file under `dir` (sorted relative paths and contents) and
 * the package.json beside it. "missing" when there is no build.
 */
export function buildHash(dir: string, packageJson?: string): string {
  if (!existsSync(dir)) return "missing";
  const hash = createHash("sha256");
  const walk = (d: string): void => {
    const entries = readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) hash.update(relative(dir, p)).update("\0").update(readFileSync(p)).update("\0");
    }
  };
  walk(dir);
  if (packageJson && existsSync(packageJson)) hash.update(readFileSync(packageJson));
  return hash.digest("hex");
}

export interface CacheRecord<T> {
  key: string;
  /** sha256 of the executed notebook this record vouches for. */
  outHash: string;
  result: T;
}

export function cacheKey(parts: { notebook: string; library: string; tslab: string }): string {
  return sha256(JSON.stringify({ runner: RUNNER_VERSION, ...parts }));
}

export function readCache<T>(cacheFile: string, key: string, outPath: string): T | undefined {
  try {
    const record = JSON.parse(readFileSync(cacheFile, "utf8")) as CacheRecord<T>;
    if (record.key !== key || !existsSync(outPath)) return undefined;
    if (sha256(readFileSync(outPath)) !== record.outHash) return undefined;
    return record.result;
  } catch {
    return undefined;
  }
}

/** The last passing run's result, whatever its key: how long the notebook took last time. */
export function lastRecord<T>(cacheFile: string): T | undefined {
  try {
    return (JSON.parse(readFileSync(cacheFile, "utf8")) as CacheRecord<T>).result;
  } catch {
    return undefined;
  }
}

export function writeCache<T>(cacheFile: string, key: string, outText: string, result: T): void {
  mkdirSync(join(cacheFile, ".."), { recursive: true });
  const record: CacheRecord<T> = { key, outHash: sha256(outText), result };
  writeFileSync(cacheFile, JSON.stringify(record, null, 1) + "\n");
}
