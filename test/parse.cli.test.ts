/** `tcp-lifecycle parse`, run as a user runs it: the built CLI in a child process. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const CLI = "dist/cli/main.js";
const FIXTURES = "test/fixtures/parse";

function run(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("node", [CLI, "parse", ...args], { encoding: "utf8", input: input ?? "" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tcp-lifecycle parse", () => {
  it("prints a table, the counts and the detected format", () => {
    const r = run([`${FIXTURES}/linux-ss-tanpoe.txt`]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^LINE\s+STATE\s+LOCAL\s+REMOTE\s+RECV-Q\s+SEND-Q\s+TIMER\s+PROCESS$/m);
    expect(r.stdout).toMatch(/^3\s+LISTEN\s+127\.0\.0\.1:32953\s+0\.0\.0\.0:\*\s+0\s+511\s+node\/7922:19$/m);
    expect(r.stdout).toMatch(/^8\s+TIME_WAIT\s+127\.0\.0\.1:47610\s+127\.0\.0\.1:32953\s+0\s+0\s+timewait,59s$/m);
    expect(r.stdout).toMatch(/^20\s+ESTABLISHED\s+\[::ffff:127\.0\.0\.1\]:45677\s+\[::ffff:127\.0\.0\.1\]:47432/m);
    expect(r.stdout).toMatch(/^TIME_WAIT\s+5$/m);
    expect(r.stdout).toMatch(/^total\s+19$/m);
    expect(r.stdout).toContain("format: ss (the ss header on line 1)");
  });

  it("--json prints format, detection, records, counts (all 11 states), diagnostics", () => {
    const r = run([`${FIXTURES}/windows-netstat-ano.txt`, "--json"]);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(["format", "detection", "records", "counts", "diagnostics", "lines", "skipped"]);
    expect(json.format).toBe("netstat-windows");
    expect(json.records).toHaveLength(14);
    expect(Object.keys(json.counts)).toHaveLength(11);
    expect(json.counts).toMatchObject({ LISTEN: 4, TIME_WAIT: 2, CLOSED: 0 });
    expect(json.diagnostics).toEqual([]);
    expect(json.skipped).toEqual([{ reason: 'Proto "UDP" is not TCP', count: 2, firstLine: 18 }]);
    expect(r.stderr).toContain("skipped 2 line(s) from line 18: Proto \"UDP\" is not TCP");
  });

  it("reads standard input, and --state fills the absent State column", () => {
    const text = readFileSync(`${FIXTURES}/linux-ss-state-tw.txt`, "utf8");
    const without = run(["-", "--json"], text);
    expect(without.status).toBe(0);
    expect(JSON.parse(without.stdout).records).toEqual([]);
    expect(without.stderr).toMatch(/^<stdin>:2: no State column .*pass that state \(--state\)/m);
    const withState = run(["--state", "time-wait", "--json"], text);
    expect(withState.status).toBe(0);
    expect(JSON.parse(withState.stdout).counts.TIME_WAIT).toBe(5);
  });

  it("bad lines are reported with file:line on stderr; exit 0, or 1 with --strict", () => {
    const text = "State Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 1.2.3.4:5 6.7.8.9:10\nFOO 0 0 1.2.3.4:5 6.7.8.9:10\n";
    const r = run(["--format", "ss"], text);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^<stdin>:3: unknown state "FOO" \(expected one of ESTAB, SYN-SENT, /m);
    expect(r.stderr).toContain("    FOO 0 0 1.2.3.4:5 6.7.8.9:10");
    expect(run(["--format", "ss", "--strict"], text).status).toBe(1);
  });

  it("user errors exit 2 without a stack trace", () => {
    const missing = run(["no-such-file.txt"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe("tcp-lifecycle: no-such-file.txt: no such file\n");
    const unknown = run([], "hello\nworld\n");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^tcp-lifecycle: <stdin>: cannot tell which tool printed this: .*; pass --format\n$/);
    const badState = run(["--state", "sleepy"], "x\n");
    expect(badState.status).toBe(2);
    expect(badState.stderr).toMatch(/--state: expected a TCP state/);
    const badFormat = run(["--format", "tcpdump"], "x\n");
    expect(badFormat.status).toBe(2);
    expect(badFormat.stderr).toMatch(/--format: expected one of auto, ss, /);
  });

  it("summaries print their record", () => {
    const r = run([`${FIXTURES}/linux-sockstat.txt`, "--json"]);
    const json = JSON.parse(r.stdout);
    expect(json.format).toBe("sockstat");
    expect(json.counts).toBeNull();
    expect(json.records[0].tcp).toEqual({ inuse: 9, orphan: 0, tw: 5, alloc: 14, mem: 0 });
  });
});
