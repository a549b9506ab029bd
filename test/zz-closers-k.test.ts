import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "vitest";
import { runScriptOnKernel } from "./support/kernel-pkt.js";

const ROOT = "/work/main/test/conformance";
const DIRS = ["06-fin-wait-1", "07-fin-wait-2", "08-close-wait", "09-closing", "10-last-ack", "11-time-wait"];
const want = (process.env.PKT ?? "").split(",").filter((s) => s !== "");
const files: string[] = [];
if (process.env.EXP) {
  for (const n of readdirSync(process.env.EXP)) if (n.endsWith(".pkt") && (want.length === 0 || want.some((w) => n.includes(w)))) files.push(join(process.env.EXP, n));
}
for (const d of process.env.EXP ? [] : DIRS) {
  let names: string[] = [];
  try { names = readdirSync(join(ROOT, d)); } catch { continue; }
  for (const n of names) {
    const p = join(ROOT, d, n);
    if (!n.endsWith(".pkt")) continue;
    if (want.length > 0 && !want.some((w) => p.includes(w))) continue;
    if (!/^\/\/\s*kernel:\s*yes\s*$/im.test(readFileSync(p, "utf8"))) continue;
    files.push(p);
  }
}
it.concurrent.each(files)("%s", async (p) => {
  const r = await runScriptOnKernel(readFileSync(p, "utf8"), p);
  const tag = r.passed ? "KPASS" : "KFAIL";
  const extra = r.passed && !process.env.LOG ? "" : "\n" + JSON.stringify(r.failure) + "\n" + r.log.join("\n");
  console.log(`${tag} ${p.replace(ROOT + "/", "")}${r.skipped.length ? " skipped=" + JSON.stringify(r.skipped) : ""}${extra}`);
}, 200_000);
