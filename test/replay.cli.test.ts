/**
 * `tcp-lifecycle replay`, run as a user runs it: the built CLI in a child process
 * (npm test builds dist/ first).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { classicToPcapng, concat } from "./support/pcap-writer.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const FIXTURES = join(import.meta.dirname, "fixtures", "pcap");
const dir = mkdtempSync(join(tmpdir(), "replay-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, "replay", ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("tcp-lifecycle replay", () => {
  it("draws the ASCII ladder of each connection with its inferred states", () => {
    const r = run(join(FIXTURES, "three-way-close-v4.pcap"), "--relative");
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    const lines = r.out.split("\n");
    expect(lines[0]).toBe("connection 1: 127.0.0.1:54706 → 127.0.0.1:44479, 8 segment(s); client TIME_WAIT, server CLOSED");
    expect(r.out).toContain("FIN, ACK seq=6 ack=1");
    expect(r.out).toMatch(/TIME_WAIT \|<-+\|/);
  });

  it("lists anomalies under the ladder", () => {
    const r = run(join(FIXTURES, "refused-v4.pcap"));
    expect(r.code).toBe(0);
    expect(r.out).toContain("  ! connection-refused: a RST answered the SYN: nothing listened on the port (ECONNREFUSED) (frame 2)");
  });

  it("--format json: connections, segments, states and anomalies (docs/replay-json.md)", () => {
    const r = run(join(FIXTURES, "four-way-close-v6-nano.pcap"), "--format", "json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Record<string, any>;
    expect(Object.keys(doc)).toEqual(["file", "format", "byteOrder", "interfaces", "frames", "skipped", "diagnostics", "sequenceNumbers", "connections"]);
    expect(doc).toMatchObject({ format: "pcap", byteOrder: "little", frames: 11, skipped: {}, diagnostics: [], sequenceNumbers: "absolute" });
    const c = doc.connections[0];
    expect(c.client).toEqual({ address: "::1", port: 47658 });
    expect(c.states).toEqual({
      client: ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"],
      server: ["LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"],
    });
    expect(c.segments.length).toBe(11);
    expect(c.segments[0]).toMatchObject({ index: 0, frame: 1, offset: 24, t: 0, from: "client", to: "server", flags: ["SYN"], seq: 164903172, ack: 0 });
    expect(c.segments[9].states).toEqual({ client: "TIME_WAIT", server: "LAST_ACK" });
    expect(c.trace).toBeUndefined();
  });

  it("--format svg draws one connection", () => {
    const r = run(join(FIXTURES, "rst-v4.pcap"), "--format", "svg");
    expect(r.code).toBe(0);
    expect(r.out.startsWith("<svg")).toBe(true);
  });

  it("reads pcapng", () => {
    const file = join(dir, "four.pcapng");
    writeFileSync(file, classicToPcapng(new Uint8Array(readFileSync(join(FIXTURES, "four-way-close-v4.pcap"))), true));
    const r = run(file, "--format", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).format).toBe("pcapng");
  });

  it("--connection picks one; several connections need it for SVG", () => {
    const a = readFileSync(join(FIXTURES, "four-way-close-v4.pcap"));
    const b = readFileSync(join(FIXTURES, "rst-v4.pcap"));
    const file = join(dir, "two.pcap");
    writeFileSync(file, concat(a, b.subarray(24))); // same link type: append b's records
    const svg = run(file, "--format", "svg");
    expect(svg.code).toBe(2);
    expect(svg.err).toBe(`tcp-lifecycle: ${file} has 2 TCP connections and an SVG holds one ladder: choose one with --connection 1..2\n`);
    const second = run(file, "--format", "json", "--connection", "2");
    expect(second.code).toBe(0);
    const doc = JSON.parse(second.out);
    expect(doc.connections.map((c: { id: number }) => c.id)).toEqual([2]);
    expect(doc.totalConnections).toBe(2);
    const bad = run(file, "--connection", "3");
    expect(bad.code).toBe(2);
    expect(bad.err).toBe("tcp-lifecycle: --connection: expected 1..2 (the capture has 2 TCP connection(s)), got 3\n");
  });

  it("a truncated capture: diagnostics with byte offsets on stderr, the segments before the cut replayed", () => {
    const file = join(dir, "cut.pcap");
    writeFileSync(file, readFileSync(join(FIXTURES, "four-way-close-v4.pcap")).subarray(0, 800));
    const r = run(file, "--format", "json");
    expect(r.code).toBe(0);
    expect(r.err).toBe(`${file}: offset 786: packet record header truncated: need 16 bytes, have 14\n`);
    const doc = JSON.parse(r.out);
    expect(doc.connections[0].segments.length).toBe(9);
    expect(doc.diagnostics).toEqual([{ offset: 786, reason: "packet record header truncated: need 16 bytes, have 14" }]);
  });

  it("user errors exit 2 without a stack: missing file, not a capture, bad format", () => {
    const missing = run(join(dir, "nope.pcap"));
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(`tcp-lifecycle: ${join(dir, "nope.pcap")}: cannot read the capture (no such file)\n`);
    const text = join(dir, "notes.txt");
    writeFileSync(text, "hello world\n");
    const notPcap = run(text);
    expect(notPcap.code).toBe(2);
    expect(notPcap.err).toBe(`tcp-lifecycle: ${text}: not a pcap or pcapng file: magic 0x68656c6c at offset 0\n`);
    const fmt = run(join(FIXTURES, "rst-v4.pcap"), "--format", "png");
    expect(fmt.code).toBe(2);
    expect(fmt.err).toBe('tcp-lifecycle: --format: expected one of ascii, svg, json, got "png"\n');
  });
});
