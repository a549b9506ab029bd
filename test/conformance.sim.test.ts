/**
 * The conformance suite on the simulator: every script in test/conformance/ passes under each
 * profile its header names; together they exercise every judgement the table distinguishes;
 * docs/conformance.md is the current summary (regenerate with `npm run conformance:doc`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatFailure } from "../src/packetdrill/index.js";
import { renderConformanceMarkdown, runConformance } from "../src/conformance/index.js";
import { ROOT, conformanceFiles } from "./support/conformance-files.js";

describe("conformance suite (simulator)", () => {
  const files = conformanceFiles();
  const report = runConformance(files);

  it("has scripts for every state and the user calls", () => {
    expect(files.length).toBeGreaterThan(60);
  });

  it("every script has a valid header and passes under each profile it names", () => {
    const problems: string[] = [];
    for (const s of report.scripts) {
      if (s.error !== undefined) problems.push(`${s.path}: ${s.error}`);
      for (const r of s.runs) {
        if (!r.passed) problems.push(`${r.profile}: ${formatFailure(s.path, r.failure!)}`);
        if (r.skipped > 0) problems.push(`${s.path} (${r.profile}): ${r.skipped} line(s) skipped; conformance scripts use only the modelled subset`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("exercises every judgement the table distinguishes, under both profiles, with RFC 5961 on and off", () => {
    const missing = report.coverage.flatMap((c) => c.missing.map((m) => `${c.profile}${c.rfc5961 ? "" : " (RFC 5961 off)"}: ${m}`));
    for (const c of report.coverage) expect(c.required.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it("docs/conformance.md is current (npm run conformance:doc)", () => {
    const doc = readFileSync(join(ROOT, "docs", "conformance.md"), "utf8");
    expect(doc).toBe(renderConformanceMarkdown(report));
  });
});
