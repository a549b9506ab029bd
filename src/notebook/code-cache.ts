/**
 * A V8 code cache for the big CommonJS modules a notebook process loads (tslab's own
 * TypeScript, typescript.js, 8 MB; tslab; semver). Node 20 has no module.enableCompileCache
 * (22.1), so this hooks Module.prototype._compile for the selected files and compiles them
 * with vm.Script and `cachedData`, the way Node's own wrapper would run them.
 *
 * The cache is written after warm-up (script.createCachedData() once the converter exists),
 * so it also holds the bytecode of the functions that parsing lib.*.d.ts and @types compiled
 * lazily, not just the top level. One file per module, named by the module's path; its
 * header names the module's path, size and mtime and the Node version and platform it was
 * made for, and a mismatch means a miss (the file is rewritten). V8 checks the data itself
 * (version, flags, source length, checksum) and rejects what does not fit
 * (script.cachedDataRejected), and then the module compiles from source as usual: stale or
 * corrupt data costs a compile, never a wrong result.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { Module, createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Script, constants as vmConstants } from "node:vm";

interface CacheHeader {
  path: string;
  size: number;
  mtimeMs: number;
  node: string;
  arch: string;
}

interface Loaded {
  cacheFile: string;
  header: CacheHeader;
  script: Script;
  /** The data on disk was missing, stale or rejected: write it after warm-up. */
  stale: boolean;
}

export interface CodeCache {
  /**
   * Stop compiling through the cache and write the cache of every module that had none or a
   * rejected one; returns how many were written.
   */
  close(): number;
  /** Modules compiled with accepted cache data, and without. */
  stats(): { hits: number; misses: number };
}

type CompileFn = (this: Module, content: string, filename: string, format?: string) => unknown;

function headerOf(filename: string): CacheHeader {
  const st = statSync(filename);
  return { path: filename, size: st.size, mtimeMs: st.mtimeMs, node: process.version, arch: process.arch };
}

/** The cache data for `header`, or undefined when there is none that matches. */
function readData(cacheFile: string, header: CacheHeader): Buffer | undefined {
  try {
    const bytes = readFileSync(cacheFile);
    const length = bytes.readUInt32LE(0);
    const stored = JSON.parse(bytes.subarray(4, 4 + length).toString("utf8")) as Partial<CacheHeader>;
    const same = (Object.keys(header) as (keyof CacheHeader)[]).every((k) => stored[k] === header[k]);
    return same ? bytes.subarray(4 + length) : undefined;
  } catch {
    return undefined;
  }
}

function writeData(cacheFile: string, header: CacheHeader, data: Buffer): void {
  const head = Buffer.from(JSON.stringify(header), "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(head.length, 0);
  // Several notebook processes may write the same module's cache at once: rename is atomic.
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat([length, head, data]));
  renameSync(tmp, cacheFile);
}

/**
 * Compile the CommonJS files `include` accepts through the code cache in `dir`, from now on.
 * ES modules and every other file load as before.
 */
export function installCodeCache(dir: string, include: (filename: string) => boolean): CodeCache {
  const proto = Module.prototype as unknown as { _compile: CompileFn };
  const original = proto._compile;
  const loaded: Loaded[] = [];
  let hits = 0;
  proto._compile = function (this: Module, content: string, filename: string, format?: string): unknown {
    if (format === "module" || !include(filename)) return original.call(this, content, filename, format);
    const cacheFile = join(dir, createHash("sha256").update(filename).digest("hex").slice(0, 32) + ".v8");
    const header = headerOf(filename);
    const cachedData = readData(cacheFile, header);
    const script = new Script(Module.wrap(content), {
      filename,
      ...(cachedData ? { cachedData } : {}),
      importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    const accepted = cachedData !== undefined && script.cachedDataRejected !== true;
    if (accepted) hits++;
    loaded.push({ cacheFile, header, script, stale: !accepted });
    const wrapper = script.runInThisContext() as (...args: unknown[]) => unknown;
    const require = createRequire(filename);
    return wrapper.call(this.exports, this.exports, require, this, filename, dirname(filename));
  };
  return {
    close(): number {
      proto._compile = original;
      let written = 0;
      for (const entry of loaded) {
        if (!entry.stale) continue;
        try {
          mkdirSync(dir, { recursive: true });
          writeData(entry.cacheFile, entry.header, entry.script.createCachedData());
          entry.stale = false;
          written++;
        } catch {
          // A cache that cannot be written only costs the next process a compile.
        }
      }
      return written;
    },
    stats: () => ({ hits, misses: loaded.length - hits }),
  };
}
