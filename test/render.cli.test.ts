/**
 * `tcp-lifecycle fsm`, run as a user runs it: the built CLI in a child process
 * (npm test builds dist/ first).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { XMLValidator } from "fast-xml-parser";
import { SEGMENT_CHECKS, TRANSITION_TABLE } from "../src/fsm/index.js";
import { renderFsmDocument, renderStateDiagram } from "../src/render/index.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, "fsm", ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("tcp-lifecycle fsm", () => {
  it("prints the Markdown tables by default", () => {
    const r = run();
    expect(r.code).toBe(0);
    expect(r.out).toBe(renderFsmDocument());
    expect(r.out.split("\n").filter((l) => /^\| [A-Z_0-9]+ \| /.test(l) && !l.startsWith("| State"))).toHaveLength(11 + SEGMENT_CHECKS.length + 286);
  });

  it("--format json prints the segment checks and the table", () => {
    const r = run("--format", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(JSON.stringify({ checks: SEGMENT_CHECKS, transitions: TRANSITION_TABLE })));
  });

  it("--format svg with --highlight and --path", () => {
    const r = run("--format", "svg", "--highlight", "time-wait", "--path", "active-close");
    expect(r.code).toBe(0);
    expect(XMLValidator.validate(r.out)).toBe(true);
    expect(r.out).toBe(renderStateDiagram({ highlight: { state: "TIME_WAIT", path: "active-close" } }));
  });

  it.each([
    [["--format", "png"], /--format: expected one of markdown, svg, json, got "png"/],
    [["--format", "svg", "--highlight", "HALF_OPEN"], /--highlight: expected one of CLOSED, LISTEN/],
    [["--format", "svg", "--path", "sideways"], /--path: expected one of active-close, passive-close/],
    [["--highlight", "LISTEN"], /apply to --format svg only/],
  ])("%j is a user error (exit 2, no stack)", (args, message) => {
    const r = run(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe("docs/fsm-output.md", () => {
  it("documents every field the json format prints", async () => {
    const { readFileSync } = await import("node:fs");
    const doc = readFileSync(join(import.meta.dirname, "..", "docs", "fsm-output.md"), "utf8");
    const keys = new Set<string>();
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) { if (k !== "outcome") keys.add(k); walk(x); }
    };
    walk({ checks: SEGMENT_CHECKS, transitions: TRANSITION_TABLE });
    for (const k of keys) expect(doc, k).toContain(`\`${k}\``);
    expect(doc).toContain("`outcome`");
  });
});
