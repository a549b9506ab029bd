import { readFileSync } from "node:fs";
import { it } from "vitest";
import { runScriptOnKernel } from "./support/kernel-pkt.js";
const files = (process.env.ZZ_FILES ?? "").split(",").filter(Boolean);
it("core kernel runs", async () => {
  const res = await Promise.all(files.map(async (f) => {
    try {
      const r = await runScriptOnKernel(readFileSync(f, "utf8"), f);
      return `${f}: ${r.passed ? "PASS" : "FAIL " + JSON.stringify(r.failure)}` + (r.passed && !process.env.ZZ_LOG ? "" : "\n  " + r.log.join("\n  ")) + (r.skipped.length ? "\n  SKIPPED " + JSON.stringify(r.skipped) : "");
    } catch (e) { return `${f}: ERROR ${String(e)}`; }
  }));
  console.log(res.join("\n"));
}, 600_000);
