#!/usr/bin/env node
// Regenerates docs/conformance.md from the scripts in test/conformance/ (run after `npm run build:lib`).
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { renderConformanceMarkdown, runConformance } from "../dist/conformance/index.js";

const root = join(import.meta.dirname, "..");
const dir = join(root, "test", "conformance");
const files = [];
const walk = (d) => {
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith(".pkt")) files.push({ path: relative(root, p), text: readFileSync(p, "utf8") });
  }
};
walk(dir);
const report = runConformance(files);
writeFileSync(join(root, "docs", "conformance.md"), renderConformanceMarkdown(report));
const failed = report.scripts.filter((s) => s.error || s.runs.some((r) => !r.passed));
console.log(`docs/conformance.md: ${files.length} scripts, ${failed.length} failing`);
