import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PRESETS, PRESET_NAMES } from "../src/sim/index.js";
import { formatFailure, runScript, scenarioToScript, type ScriptRun } from "../src/packetdrill/index.js";
import { renderAsciiLadder } from "../src/render/index.js";

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, "fixtures", "pkt", name), "utf8");
const ran = (text: string, opts: Parameters<typeof runScript>[1] = {}): ScriptRun => {
  const r = runScript(text, opts);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.run;
};
const LISTEN = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535
+0 > S. 0:0(0) ack 1 <...>
+0.01 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
`;

describe("runScript", () => {
  it("runs a script that passes, and records how each injected segment was judged", () => {
    const run = ran(fixture("challenge.pkt"), { file: "challenge.pkt", profile: "linux" });
    expect(run.failure).toBeNull();
    expect(run.passed).toBe(true);
    expect(run.endpoint).toBe("server");
    expect(run.judged.map((j) => `${j.line}:${j.state}:${j.rule}:${j.next}:${j.replies.join(" ")}`)).toEqual([
      "8:LISTEN:listen-syn:SYN_RCVD:SYN,ACK",
      "10:SYN_RCVD:accepted:ESTABLISHED:",
      "12:ESTABLISHED:rst-in-window:ESTABLISHED:ACK",
      "14:ESTABLISHED:rst-exact:CLOSED:",
    ]);
    expect(run.trace.final.server).toBe("CLOSED");
  });

  it("fails at the first mismatch like packetdrill: file:line, expected and actual, with a reason", () => {
    // Without RFC 5961 the in-window RST resets at once: no challenge ACK.
    const run = ran(fixture("challenge.pkt"), { file: "challenge.pkt", profile: "linux", rfc5961: false });
    expect(run.passed).toBe(false);
    expect(run.failure).toEqual({ line: 13, expected: "+0    > . 1:1(0) ack 1", actual: "(nothing)", reason: "no outbound packet by 0.112 s" });
    expect(formatFailure("challenge.pkt", run.failure!)).toBe(
      "challenge.pkt:13: no outbound packet by 0.112 s: expected <+0    > . 1:1(0) ack 1> got <(nothing)>");
  });

  it("compares flags, seq, ack, length and timing; names the field", () => {
    const reason = (tail: string): string => ran(LISTEN + tail, { profile: "linux" }).failure?.reason ?? "passed";
    expect(reason("+0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n")).toBe("passed");
    expect(reason("+0 close(4) = 0\n+0 > R. 1:1(0) ack 1\n")).toBe("bad outbound TCP flags");
    expect(reason("+0 close(4) = 0\n+0 > F. 2:2(0) ack 1\n")).toBe("bad outbound seq");
    expect(reason("+0 close(4) = 0\n+0 > F. 1:1(0) ack 5\n")).toBe("bad outbound ack");
    expect(reason("+0 write(4, ..., 10) = 10\n+0 > P. 1:12(11) ack 1\n")).toBe("bad outbound payload length");
    expect(reason("+0 close(4) = 0\n+0.5 > F. 1:1(0) ack 1\n")).toMatch(/^timing: expected at 0\.510 s, sent at 0\.010 s$/);
    expect(reason("+0 close(4) = 0\n+0.1 < . 1:1(0) ack 2 win 65535\n")).toMatch(/^unexpected outbound packet at 0\.010 s/);
    expect(reason("+0 write(4, ..., 10) = 9\n")).toBe("write() returned 10, expected 9");
  });

  it("checks errnos: EPIPE after shutdown, ECONNREFUSED on a refused connect, EAGAIN on an empty non-blocking read", () => {
    expect(ran(LISTEN + "+0 shutdown(4, SHUT_WR) = 0\n+0 > F. 1:1(0) ack 1\n+0 write(4, ..., 1) = -1 EPIPE (Broken pipe)\n").passed).toBe(true);
    const refused = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <...>
+0.01 < R. 0:0(0) ack 1 win 0
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0
+0 read(3, ..., 10) = 0
`;
    const r = ran(refused, { profile: "rfc9293" });
    expect(r.failure).toBeNull();
    expect(r.endpoint).toBe("client");
    expect(ran(LISTEN + "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 read(4, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)\n").passed).toBe(true);
  });

  it("lists lines it cannot model as skipped, never silently; --strict makes them errors", () => {
    const text = LISTEN + "+0 `sysctl -q net.ipv4.tcp_rfc1337=1`\n+0 poll([{fd=4, events=POLLIN}], 1, 0) = 0\n+0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n";
    const run = ran(text);
    expect(run.passed).toBe(true);
    expect(run.skipped.map((s) => [s.line, s.reason])).toEqual([
      [9, expect.stringMatching(/shell/i)],
      [10, "the system call poll() is not modelled"],
    ]);
    const strict = runScript(text, { file: "x.pkt", strict: true });
    expect(strict.ok).toBe(false);
    if (!strict.ok) expect(strict.diagnostics.map((d) => `${d.file}:${d.line}`)).toEqual(["x.pkt:9", "x.pkt:10"]);
  });

  it("compares window and options only with strict", () => {
    const text = LISTEN + "+0 close(4) = 0\n+0 > F. 1:1(0) ack 1 win 1000\n";
    expect(ran(text).passed).toBe(true);
    expect(ran(text, { strict: true }).failure?.reason).toBe("bad outbound window: expected 1000, got 65535");
  });

  it("reports a syntax error as diagnostics with file, line and column", () => {
    const r = runScript(fixture("bad-syntax.pkt"), { file: "bad-syntax.pkt" });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.diagnostics).toHaveLength(1);
      expect(r.diagnostics[0]).toMatchObject({ file: "bad-syntax.pkt", line: 2, column: 8 });
      expect(r.diagnostics[0]!.message).toMatch(/^expected /);
    }
  });
});

describe("presets as scripts (simulate --format pkt)", () => {
  for (const name of PRESET_NAMES) {
    for (const side of ["server", "client"] as const) {
      for (const profile of ["linux", "rfc9293"] as const) {
        // No socket call makes the endpoint under test lose its TCB silently: the export refuses it.
        if (name === "peer-reboots" && side === "client") continue;
        it(`${name}, the ${side} under test, ${profile}: the exported script passes`, () => {
          const text = scenarioToScript(PRESETS[name].scenario, { side, profile });
          const run = ran(text, { file: `${name}.pkt`, profile });
          if (!run.passed) console.log(text + "\n" + renderAsciiLadder(run.trace));
          expect(run.failure).toBeNull();
          expect(run.skipped).toEqual([]);
        });
      }
    }
  }

  it("a changed line fails the exported script", () => {
    const text = scenarioToScript(PRESETS["four-way-close"].scenario, { side: "server" }).replace("> F. 101:101(0) ack 2", "> F. 101:101(0) ack 3");
    const run = ran(text, { profile: "rfc9293" });
    expect(run.failure?.reason).toBe("bad outbound ack");
  });
});

describe("pure core", () => {
  it("src/packetdrill, src/conformance and src/fsm import nothing from Node (they run in the browser)", async () => {
    const { readdirSync, readFileSync: read } = await import("node:fs");
    const root = join(import.meta.dirname, "..", "src");
    const files = ["packetdrill", "conformance", "fsm"].flatMap((d) =>
      readdirSync(join(root, d)).filter((f) => f.endsWith(".ts")).map((f) => join(root, d, f)));
    expect(files.length).toBeGreaterThan(12);
    for (const f of files) {
      const text = read(f, "utf8");
      expect(text, f).not.toMatch(/from\s+["'](node:|fs|path|os|child_process)/);
      expect(text, f).not.toMatch(/\bprocess\.|\bBuffer\b/);
    }
  });
});
