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

describe("tcp-lifecycle parse --counts-only", () => {
  const NEAR_MISS = "State Recv-Q Send-Q Local Address:Port Peer Address:Port\nTIME-WAIT 0 0 nonsense\nESTAB 0 0 1.2.3.4:5 6.7.8.9:10\n";

  it("prints all 11 states, the total, the format and the fast path", () => {
    const r = run(["--counts-only", `${FIXTURES}/linux-ss-tanpoe.txt`]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^STATE\s+COUNT$/m);
    for (const [state, n] of [["CLOSED", 0], ["LISTEN", 4], ["ESTABLISHED", 8], ["FIN_WAIT_2", 1], ["CLOSE_WAIT", 1], ["CLOSING", 0], ["TIME_WAIT", 5]] as const) {
      expect(r.stdout).toMatch(new RegExp(`^${state}\\s+${n}$`, "m"));
    }
    expect(r.stdout.match(/^[A-Z_0-9]+\s+\d+$/gm)).toHaveLength(11);
    expect(r.stdout).toMatch(/^total\s+19$/m);
    expect(r.stdout).toContain("format: ss (the ss header on line 1)");
    expect(r.stdout).toContain("counted by: the ss fast path (no records built)");
    expect(r.stdout).not.toContain("LOCAL");
  });

  it("--json gives the full parser's counts, lines, skips and diagnostics, for a file and for stdin", () => {
    for (const fixture of ["linux-ss-tanpoe.txt", "linux-ss-an.txt", "ss-tanpoe-variety.txt", "linux-ss-tanH.txt"]) {
      const file = `${FIXTURES}/${fixture}`;
      const full = JSON.parse(run([file, "--json", "--format", "ss"]).stdout);
      const fast = run(["--counts-only", file, "--json", "--format", "ss"]);
      expect(fast.status, fast.stderr).toBe(0);
      const json = JSON.parse(fast.stdout);
      expect(Object.keys(json)).toEqual(["format", "detection", "countedBy", "check", "counts", "total", "diagnostics", "lines", "skipped"]);
      expect([json.countedBy, json.check]).toEqual(["fast path", "state"]);
      expect(json.counts, fixture).toEqual(full.counts);
      expect(json.total).toBe(full.records.length);
      expect(json.diagnostics).toEqual(full.diagnostics);
      expect(json.lines).toEqual(full.lines);
      expect(json.skipped).toEqual(full.skipped);
      const fromStdin = JSON.parse(run(["--counts-only", "--json", "--format", "ss", "-"], readFileSync(file, "utf8")).stdout);
      expect({ ...fromStdin, diagnostics: [] }).toEqual({ ...json, diagnostics: [] });
      expect(fromStdin.diagnostics.map((d: { line: number; reason: string }) => [d.line, d.reason])).toEqual(json.diagnostics.map((d: { line: number; reason: string }) => [d.line, d.reason]));
    }
  });

  it("a row with a known state and garbled columns: counted by its State column; --strict checks it as parse does (exit 1)", () => {
    const trusted = run(["--counts-only", "--json"], NEAR_MISS);
    expect(trusted.status, trusted.stderr).toBe(0);
    expect(JSON.parse(trusted.stdout)).toMatchObject({ check: "state", total: 2, counts: { TIME_WAIT: 1, ESTABLISHED: 1 }, diagnostics: [] });
    const r = run(["--counts-only", "--json", "--strict"], NEAR_MISS);
    expect(r.status, r.stderr).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.check).toBe("row");
    expect(json.counts.TIME_WAIT).toBe(0);
    expect(json.counts.ESTABLISHED).toBe(1);
    expect(json.total).toBe(1);
    expect(json.lines).toEqual({ total: 3, blank: 0, header: 1, records: 1, rejected: 1, skipped: 0 });
    expect(r.stderr).toBe("<stdin>:2: expected Local Address:Port and Peer Address:Port after Send-Q\n    TIME-WAIT 0 0 nonsense\n");
    expect(run(["--counts-only"], NEAR_MISS).stdout).toContain("trusting rows by their State column (--strict checks every column)");
    expect(run(["--counts-only", "--strict", `${FIXTURES}/linux-ss-tan.txt`]).status).toBe(0);
  });

  it("a listing without a State column: skipped and warned about once, or counted with --state", () => {
    const file = `${FIXTURES}/linux-ss-state-tw.txt`;
    const without = run(["--counts-only", file, "--json"]);
    expect(without.status).toBe(0);
    const full = JSON.parse(run([file, "--json"]).stdout);
    const json = JSON.parse(without.stdout);
    expect(json.total).toBe(0);
    expect(json.skipped).toEqual(full.skipped);
    expect(json.diagnostics).toEqual(full.diagnostics);
    expect(without.stderr).toMatch(new RegExp(`^${file}:2: no State column .*pass that state \\(--state\\)`, "m"));
    const withState = JSON.parse(run(["--counts-only", file, "--json", "--state", "time-wait"]).stdout);
    expect(withState.counts.TIME_WAIT).toBe(5);
    expect(withState.total).toBe(5);
  });

  it("other connection formats are counted by their full parser, and the output says so", () => {
    const file = `${FIXTURES}/windows-netstat-ano.txt`;
    const r = run(["--counts-only", file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("counted by: the full netstat-windows parser (the fast path reads ss listings only)");
    expect(r.stdout).toMatch(/^total\s+14$/m);
    expect(r.stderr).toContain('skipped 2 line(s) from line 18: Proto "UDP" is not TCP');
    const json = JSON.parse(run(["--counts-only", file, "--json"]).stdout);
    expect(json.countedBy).toBe("parser");
    expect(json.counts).toEqual(JSON.parse(run([file, "--json"]).stdout).counts);
    const proc = JSON.parse(run(["--counts-only", "--format", "proc", `${FIXTURES}/linux-proc-tcp.txt`, "--json"]).stdout);
    expect(proc.format).toBe("proc");
    expect(proc.detection.reason).toBe("given by the caller");
    expect(proc.countedBy).toBe("parser");
  });

  it("user errors exit 2 without a stack trace", () => {
    const summary = run(["--counts-only", `${FIXTURES}/linux-sockstat.txt`]);
    expect(summary.status).toBe(2);
    expect(summary.stderr).toBe(
      `tcp-lifecycle: ${FIXTURES}/linux-sockstat.txt: --counts-only counts sockets, and sockstat output has totals, not sockets; run parse without --counts-only\n`,
    );
    expect(run(["--counts-only", "--format", "ss-summary", `${FIXTURES}/linux-ss-s.txt`]).status).toBe(2);
    const missing = run(["--counts-only", "no-such-file.txt"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe("tcp-lifecycle: no-such-file.txt: no such file\n");
    for (const format of ["ss", "auto"]) {
      const dir = run(["--counts-only", "--format", format, FIXTURES]);
      expect(dir.status).toBe(2);
      expect(dir.stderr).toBe(`tcp-lifecycle: ${FIXTURES}: is a directory, expected a file\n`);
    }
    const unknown = run(["--counts-only"], "hello\nworld\n");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^tcp-lifecycle: <stdin>: cannot tell which tool printed this: .*; pass --format\n$/);
  });
});
