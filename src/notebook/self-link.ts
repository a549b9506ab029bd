/**
 * Notebooks import this package by name, and tslab's TypeScript (node10 resolution) finds it
 * only through node_modules/tcp-lifecycle. scripts/link-self.mjs makes that link on
 * `npm install`; `npm install <pkg>` prunes it again as "extraneous", so the runner checks
 * it before every run and restores it.
 */
import { lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";

export function ensureSelfLink(packageRoot: string): void {
  // Installed as a dependency, the package is already reachable by name.
  if (packageRoot.split(/[\\/]/).includes("node_modules")) return;
  let name: string;
  try {
    name = (JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { name: string }).name;
  } catch {
    return;
  }
  const link = join(packageRoot, "node_modules", name);
  let current: string | null = null;
  try {
    const st = lstatSync(link);
    // A real directory is an installed copy (the package used as a dependency): leave it.
    if (!st.isSymbolicLink()) return;
    current = readlinkSync(link);
  } catch {
    current = null;
  }
  if (current === "..") return;
  if (current !== null) rmSync(link, { force: true });
  mkdirSync(join(packageRoot, "node_modules"), { recursive: true });
  symlinkSync("..", link, "dir");
}
