/** `tcp-lifecycle demo`, run as a user runs it: the built CLI in a child process. */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { DEMO_NAMES } from "../src/index.js";

const CLI = "dist/cli/main.js";

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("node", [CLI, "demo", ...args], { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tcp-lifecycle demo", () => {
  it("list names every demo", () => {
    const r = run(["list"]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n").map((l) => l.split(/\s+/)[0])).toEqual([...DEMO_NAMES]);
  });

  it("an unknown demo is a user error (exit 2) that lists the names", () => {
    const r = run(["five-way-close"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`tcp-lifecycle: unknown demo "five-way-close": expected one of ${DEMO_NAMES.join(", ")} (or "list")\n`);
    expect(r.stdout).toBe("");
  });

  it("--connections out of range is a user error", () => {
    expect(run(["time-wait-pileup", "--connections", "0"]).status).toBe(2);
    expect(run(["time-wait-pileup", "--connections", "2001"]).status).toBe(2);
  });

  it("--connections for a demo that does not take it is a user error: one line, no stack, nothing run", () => {
    for (const name of DEMO_NAMES.filter((n) => n !== "time-wait-pileup")) {
      const r = run([name, "--connections", "5"]);
      expect(r.status, name).toBe(2);
      expect(r.stderr).toBe(`tcp-lifecycle: --connections: demo "${name}" does not take it; only time-wait-pileup does\n`);
      expect(r.stdout).toBe("");
    }
  });

  it.skipIf(process.platform !== "linux")("--json prints exactly the result object", () => {
    const r = run(["abort-rst", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(["app", "counters", "demo", "ok", "segments", "steps", "title", "tracing", "transitions"]);
    expect(result).toMatchObject({
      demo: "abort-rst",
      ok: true,
      segments: [],
      steps: [
        { expected: { client: "ESTABLISHED", server: "ESTABLISHED" }, observed: { client: "ESTABLISHED", server: "ESTABLISHED" }, ok: true },
        { expected: { client: "CLOSED", server: "CLOSED" }, observed: { client: "CLOSED", server: "CLOSED" }, ok: true, detail: { serverError: "ECONNRESET" } },
      ],
    });
  });

  it.skipIf(process.platform !== "linux")("the table shows expected against observed; --ascii keeps to 7-bit", () => {
    const r = run(["connect-refused", "--ascii"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}connect\(\): the SYN is answered by RST\s+CLOSED\s+CLOSED\s+CLOSED\s+CLOSED$/m);
    expect(r.stdout).toContain("error=ECONNREFUSED");
    expect(r.stdout).toMatch(/^[\x00-\x7f]*$/);
  });
});
