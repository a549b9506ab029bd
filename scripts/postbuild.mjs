// Finishing touches on dist/ after tsc:
// - tsc does not keep the executable bit; the bin must be runnable through node_modules/.bin.
// - Notebooks type-check our .d.ts files with tslab's bundled TypeScript 5.0 and node10
//   resolution, which rejects the `resolution-mode` attribute newer compilers write on
//   `/// <reference types="node" …/>` (error TS1452). The plain reference means the same here.
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dist = new URL("../dist/", import.meta.url).pathname;
const bin = join(dist, "cli/main.js");
if (existsSync(bin)) chmodSync(bin, 0o755);

const REFERENCE = /^\/\/\/ <reference types="([^"]+)" resolution-mode="(?:require|import)"\s*\/>$/gm;
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
  const file = join(entry.parentPath ?? entry.path, entry.name);
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(REFERENCE, '/// <reference types="$1" />');
  if (fixed !== text) writeFileSync(file, fixed);
}
