// Notebooks import this package by name (`import { … } from "tcp-lifecycle"`), and tslab
// resolves types with node10 resolution, which needs a node_modules/tcp-lifecycle entry.
// npm never links a package into its own node_modules, so make a relative symlink
// node_modules/tcp-lifecycle -> .. (idempotent; repairs a wrong or dangling entry).
import { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("..", import.meta.url));
const link = join(root, "node_modules", "tcp-lifecycle");
const target = "..";

let current = null;
try {
  const st = lstatSync(link);
  current = st.isSymbolicLink() ? readlinkSync(link) : "(not a symlink)";
} catch {
  current = null;
}
if (current !== target) {
  if (current === "(not a symlink)") {
    console.error(`link-self: ${link} exists and is not a symlink; remove it and run again`);
    process.exit(1);
  }
  if (current !== null) rmSync(link, { force: true });
  mkdirSync(join(root, "node_modules"), { recursive: true });
  symlinkSync(target, link, "dir");
}
