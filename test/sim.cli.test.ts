/**
 * `tcp-lifecycle simulate`, run as a user runs it: the built CLI in a child process
 * (npm test builds dist/ first).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { initialSequenceNumbers, simulate, traceToJson } from "../src/sim/index.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const dir = mkdtempSync(join(tmpdir(), "sim-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, "simulate", ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("tcp-lifecycle simulate", () => {
  it("--format json prints one object: name, profile, seed, trace, final", () => {
    const r = run("four-way-close", "--format", "json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(["name", "title", "profile", "seed", "initial", "trace", "final", "isn", "timers", "calls"]);
    expect(doc).toMatchObject({ name: "four-way-close", profile: "rfc9293", seed: 1, final: { client: "CLOSED", server: "CLOSED" } });
    const trace = doc.trace as Array<Record<string, unknown>>;
    expect(trace.map((e) => e.type === "segment" ? (e.flags as string[]).join(",") : `${e.endpoint}:${e.to}`)).toEqual([
      "client:FIN_WAIT_1", "FIN,ACK", "server:CLOSE_WAIT", "ACK", "client:FIN_WAIT_2", "PSH,ACK", "ACK",
      "server:LAST_ACK", "FIN,ACK", "client:TIME_WAIT", "ACK", "server:CLOSED", "client:CLOSED",
    ]);
    const seg = trace[1]!;
    const iss = initialSequenceNumbers(1);
    expect(seg).toMatchObject({ t: 0, type: "segment", from: "client", to: "server", flags: ["FIN", "ACK"],
      seq: iss.client + 1, ack: iss.server + 1, len: 0, dropped: false, arrives: 0.05, retransmission: false });
    expect(trace.at(-1)).toMatchObject({ t: 240.8, type: "state", endpoint: "client", from: "TIME_WAIT", to: "CLOSED" });
    expect(doc.isn).toEqual(iss);
    // The CLI prints exactly what the library computes.
    expect(doc).toEqual(JSON.parse(JSON.stringify(traceToJson(simulate("four-way-close"), "The four-way close"))));
  });

  it("--profile and --seed change the run", () => {
    const doc = JSON.parse(run("three-way-close", "--format", "json", "--profile", "linux", "--seed", "7").out);
    expect(doc).toMatchObject({ profile: "linux", seed: 7 });
    expect(doc.trace.at(-1).t).toBeCloseTo(60.1, 9);
    expect(doc.trace.find((e: { type: string }) => e.type === "segment").seq).toBe((initialSequenceNumbers(7).client + 1) >>> 0);
  });

  it("draws the ladder in ASCII (the default) and SVG", () => {
    const ascii = run("three-way-close");
    expect(ascii.code, ascii.err).toBe(0);
    expect(ascii.out).toMatch(/^The three-way close \(FIN\+ACK merged\) \(rfc9293 profile, seed 1\)\n/);
    expect(ascii.out).toMatch(/FIN_WAIT_1/);
    expect(ascii.out).toMatch(/final: client CLOSED, server CLOSED\n$/);
    const svg = run("lost-final-ack", "--format", "svg");
    expect(svg.code, svg.err).toBe(0);
    expect(svg.out.trimStart()).toMatch(/^<svg/);
  });

  it("ladders are relative by default; --absolute, --waves and --app change them", () => {
    const iss = initialSequenceNumbers(1);
    const rel = run("three-way-close");
    expect(rel.out).toContain("  FIN, ACK seq=1 ack=1 ");
    expect(rel.out).not.toContain(String(iss.client + 1));
    const abs = run("three-way-close", "--absolute");
    expect(abs.out).toContain(`  FIN, ACK seq=${iss.client + 1} ack=${iss.server + 1} `);
    expect(run("three-way-close", "--waves").out).toContain("②③ FIN, ACK seq=v=1 ack=u+1=2");
    expect(run("abort-rst", "--app").out).toContain("read() -> ECONNRESET");
    expect(run("abort-rst", "--app", "--format", "svg").out).toContain(">read() → ECONNRESET</text>");
  });

  it("runs a scenario file, and reports refused steps as warnings", () => {
    const file = join(dir, "ok.json");
    writeFileSync(file, JSON.stringify({
      name: "mine", start: "established",
      steps: { client: [{ at: 0, do: "close" }, { at: 0.01, do: "close" }], server: [{ on: "eof", do: "close" }] },
    }));
    const r = run(file, "--format", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ name: "mine", final: { client: "CLOSED", server: "CLOSED" } });
    expect(r.err).toContain('warning: t=0.01s client step "close" (at 0.01s) refused in FIN_WAIT_1');
  });

  it("exits 2 with a clear message on user errors, without a stack trace", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ steps: { server: [{ at: 0, do: "listen" }, { at: 1, do: "close" }, { at: 2, do: "hangup" }] } }));
    const broken = join(dir, "broken.json");
    writeFileSync(broken, '{\n  "steps": {,}\n}\n');
    const cases: Array<[string[], RegExp]> = [
      [["no-such-preset"], /unknown preset "no-such-preset" and no such file: expected one of four-way-close, three-way-close, .*three-way-handshake, peer-reboots, or a scenario file/],
      [[bad], /bad\.json: invalid scenario.*\n  steps\.server\[2\]\.do: expected one of listen, connect, send, close, shutdown, abort, read, reboot, got "hangup"/],
      [[broken], /broken\.json: invalid scenario.*\n  not valid JSON at line 2, column 13/],
      [[join(dir, "missing.json")], /missing\.json: cannot read the scenario file \(no such file\)/],
      [["four-way-close", "--format", "png"], /--format: expected one of ascii, svg, json, pkt, got "png"/],
      [["four-way-close", "--profile", "bsd"], /--profile: expected one of rfc9293, linux, got "bsd"/],
      [["four-way-close", "--seed", "x"], /--seed: expected an integer from 0 to 4294967295, got "x"/],
      [["four-way-close", "--seed", "4294967296"], /--seed: expected an integer from 0 to 4294967295/],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.out).toBe("");
    }
  });
});
