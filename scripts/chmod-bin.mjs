// tsc does not keep the executable bit; the bin must be runnable through node_modules/.bin.
import { chmodSync, existsSync } from "node:fs";
const bin = new URL("../dist/cli/main.js", import.meta.url);
if (existsSync(bin)) chmodSync(bin, 0o755);
