/**
 * The notebook process's V8 code cache (src/notebook/code-cache.ts, run from dist/): a module compiled
 * through it behaves as under Node's own loader, its cache is written on close and accepted
 * next time, and stale or corrupt cache data is a miss, never an error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

let root: string;
let n = 0;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "code-cache-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh package (Node's require cache holds each path once): main.js requires ./dep.js. */
function makePackage(): { dir: string; main: string } {
  const dir = join(root, `pkg${n++}`);
  const lib = join(dir, "node_modules", "lib");
  mkdirSync(lib, { recursive: true });
  writeFileSync(join(lib, "dep.js"), "exports.answer = 42;\n");
  writeFileSync(
    join(lib, "main.js"),
    [
      "const dep = require('./dep.js');",
      "function square(x) { return x * x; }",
      "module.exports = { file: __filename, dir: __dirname, answer: dep.answer, self: this === module.exports,",
      "  resolved: require.resolve('./dep.js'), big: square(dep.answer) };",
      "",
    ].join("\n"),
  );
  return { dir, main: join(lib, "main.js") };
}

const codeCacheModule = pathToFileURL(join(process.cwd(), "dist", "notebook", "code-cache.js")).href;

/**
 * Load `main` through a code cache in `cacheDir` in a fresh Node process (V8 also caches
 * compiled scripts within a process, which would hide what the cache files do), close the
 * cache, and report.
 */
function load(main: string, cacheDir: string, select = true): { exports: Record<string, unknown>; hits: number; misses: number; written: number } {
  const script = [
    `import { installCodeCache } from ${JSON.stringify(codeCacheModule)};`,
    `import { createRequire } from "node:module";`,
    `const cache = installCodeCache(${JSON.stringify(cacheDir)}, (f) => ${select} && f.includes(${JSON.stringify(join("node_modules", "lib"))}));`,
    `const exports = createRequire(${JSON.stringify(main)})(${JSON.stringify(main)});`,
    `const { hits, misses } = cache.stats();`,
    `console.log(JSON.stringify({ exports, hits, misses, written: cache.close() }));`,
  ].join("\n");
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ReturnType<typeof load>;
}

describe("code cache", () => {
  it("runs a module as Node's loader does, writes its cache on close and accepts it next time", () => {
    const { main } = makePackage();
    const cacheDir = join(root, "cache-a");
    const first = load(main, cacheDir);
    expect(first.exports).toMatchObject({ file: main, dir: join(main, ".."), answer: 42, self: true, resolved: join(main, "..", "dep.js"), big: 1764 });
    expect([first.hits, first.misses, first.written]).toEqual([0, 2, 2]);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith(".v8"))).toHaveLength(2);

    const second = load(main, cacheDir);
    expect(second.exports).toMatchObject({ answer: 42, big: 1764 });
    expect([second.hits, second.misses, second.written]).toEqual([2, 0, 0]);
  });

  it("treats a changed module (mtime) as a miss and rewrites its cache", () => {
    const { main } = makePackage();
    const cacheDir = join(root, "cache-b");
    load(main, cacheDir);
    utimesSync(main, new Date(), new Date(Date.now() + 5000));
    const again = load(main, cacheDir);
    expect([again.hits, again.misses, again.written]).toEqual([1, 1, 1]);
    expect(load(main, cacheDir).hits).toBe(2);
  });

  it("ignores corrupt and truncated cache files", () => {
    const { main } = makePackage();
    const cacheDir = join(root, "cache-c");
    load(main, cacheDir);
    const files = readdirSync(cacheDir).map((f) => join(cacheDir, f));
    // One file keeps a valid header but its V8 data is garbage (V8 rejects it); the other
    // is cut short inside the header.
    for (const [i, file] of files.entries()) {
      const bytes = readFileSync(file);
      const headerEnd = 4 + bytes.readUInt32LE(0);
      const broken = i === 0 ? Buffer.concat([bytes.subarray(0, headerEnd), Buffer.alloc(64, 7)]) : bytes.subarray(0, 10);
      writeFileSync(file, broken);
    }
    const after = load(main, cacheDir);
    expect(after.exports).toMatchObject({ answer: 42, big: 1764 });
    expect([after.hits, after.misses, after.written]).toEqual([0, 2, 2]);
    expect(load(main, cacheDir).hits).toBe(2);
  });

  it("leaves modules it does not select to Node", () => {
    const { main } = makePackage();
    const cacheDir = join(root, "cache-d");
    const run = load(main, cacheDir, false);
    expect(run.exports).toMatchObject({ answer: 42, big: 1764 });
    expect([run.hits, run.misses, run.written]).toEqual([0, 0, 0]);
  });
});
