import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const FIX = join(import.meta.dirname, "fixtures", "pkt");
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = mkdtempSync(join(tmpdir(), "tcp-lifecycle-script-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("tcp-lifecycle script", () => {
  it("exit 0 when every line matches; prints the ladder and says so", () => {
    const r = run("script", join(FIX, "challenge.pkt"));
    expect(r.code).toBe(0);
    expect(r.out).toContain("the server is under test, the script plays the client");
    expect(r.out).toMatch(/ESTABLISHED/);
    expect(r.out.trimEnd().split("\n").at(-1)).toBe("passed: every line matched");
  });

  it("exit 1 on a mismatch, naming file:line, expected and got", () => {
    const r = run("script", join(FIX, "challenge.pkt"), "--no-rfc5961");
    expect(r.code).toBe(1);
    expect(r.out.trimEnd().split("\n").at(-1)).toBe(
      `FAILED ✗ ${join(FIX, "challenge.pkt")}:13: no outbound packet by 0.112 s: expected <+0    > . 1:1(0) ack 1> got <(nothing)>`);
  });

  it("--json prints the documented object", () => {
    const r = run("script", join(FIX, "challenge.pkt"), "--json", "--profile", "rfc9293");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(["file", "profile", "rfc5961", "endpoint", "passed", "failure", "skipped", "trace"]);
    expect(j).toMatchObject({ profile: "rfc9293", rfc5961: true, endpoint: "server", passed: true, failure: null, skipped: [] });
    const segs = j.trace.trace.filter((e: { type: string }) => e.type === "segment");
    expect(segs.map((s: { flags: string[] }) => s.flags.join("+"))).toEqual(["SYN", "SYN+ACK", "ACK", "RST+ACK", "ACK", "RST+ACK"]);
    expect(segs[1]).toHaveProperty("win", 65535);
  });

  it("--format svg draws the ladder", () => {
    const r = run("script", join(FIX, "challenge.pkt"), "--format", "svg");
    expect(r.code).toBe(0);
    expect(r.out.startsWith("<svg")).toBe(true);
  });

  it("exit 2 with file:line:column on a syntax error, and on unreadable, oversized or non-regular input", () => {
    const bad = run("script", join(FIX, "bad-syntax.pkt"));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(new RegExp(`^tcp-lifecycle: ${join(FIX, "bad-syntax.pkt").replace(/[.]/g, "\\.")}:2:8: expected `));
    expect(bad.err).not.toMatch(/\n\s+at /);
    expect(run("script", join(tmp, "missing.pkt"))).toMatchObject({ code: 2, err: expect.stringMatching(/no such file/) });
    expect(run("script", tmp)).toMatchObject({ code: 2, err: expect.stringMatching(/not a regular file/) });
    const big = join(tmp, "big.pkt");
    writeFileSync(big, "// x\n".repeat(300_000));
    expect(run("script", big)).toMatchObject({ code: 2, err: expect.stringMatching(/at most 1048576 bytes/) });
    expect(run("script", join(FIX, "challenge.pkt"), "--profile", "bsd")).toMatchObject({ code: 2 });
  });

  it("simulate --format pkt exports a preset that script runs back", () => {
    const exp = run("simulate", "four-way-close", "--format", "pkt", "--profile", "linux");
    expect(exp.code).toBe(0);
    expect(exp.out).toContain("> F. 101:101(0) ack 2");
    const file = join(tmp, "fwc.pkt");
    writeFileSync(file, exp.out);
    expect(run("script", file, "--profile", "linux").code).toBe(0);
    const client = run("simulate", "four-way-close", "--format", "pkt", "--side", "client");
    expect(client.code).toBe(0);
    expect(client.out).toContain("shutdown(4, SHUT_WR) = 0");
  });
});
