/**
 * Line endings (defect 11): LF, CRLF and a lone CR each end a line, so a listing saved with any
 * of them gives the same records, and every line is accounted for
 * (blank + header + records + rejected + skipped = total, the LF file's line count).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { countByState } from "../src/parse/count.js";
import { parseAuto } from "../src/parse/detect.js";
import { eachLine } from "../src/parse/lines.js";
import { countStatesSs, parseSs } from "../src/parse/ss.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "parse");
const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const ENDINGS = { LF: "\n", CRLF: "\r\n", CR: "\r" } as const;
const dir = mkdtempSync(join(tmpdir(), "line-endings-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The fixture's lines, whatever it was saved with. */
function linesOf(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith(".txt")).sort();

describe("every fixture, saved with LF, CRLF or lone CR line ends, gives the same records", () => {
  it("has the fixtures", () => expect(fixtures.length).toBe(27));
  for (const fixture of fixtures) {
    it(fixture, () => {
      const lines = linesOf(readFileSync(join(FIXTURES, fixture), "utf8"));
      const reference = parseAuto(lines.join("\n") + "\n", { source: fixture });
      expect(reference.format).not.toBeNull();
      for (const [name, end] of Object.entries(ENDINGS)) {
        // With the last line end and (when the last line is not empty) without it.
        const texts = lines.at(-1) === "" ? [lines.join(end) + end] : [lines.join(end) + end, lines.join(end)];
        for (const text of texts) {
          const r = parseAuto(text, { source: fixture });
          expect(r.format, name).toBe(reference.format);
          expect(r.records, name).toEqual(reference.records);
          expect(r.diagnostics.map((d) => [d.line, d.reason]), name).toEqual(reference.diagnostics.map((d) => [d.line, d.reason]));
          expect(r.lines, name).toEqual(reference.lines);
          const l = r.lines;
          expect(l.total, name).toBe(lines.length);
          expect(l.blank + l.header + l.records + l.rejected + l.skipped, name).toBe(l.total);
          if (r.format === "ss") {
            const counted = countStatesSs(text, { check: "row" });
            expect(counted.counts, name).toEqual(countByState(parseSs(text).records));
            expect(counted.lines, name).toEqual(l);
            expect(countStatesSs(new TextEncoder().encode(text), { check: "row" }), name).toEqual(counted);
          }
        }
      }
    });
  }
});

describe("line walking", () => {
  it("LF, CRLF, a lone CR, CR before CRLF, and a CR at the very end", () => {
    const seen: [string, number][] = [];
    eachLine("a\nb\r\nc\rd\r\r\ne\r", (line, n) => seen.push([line, n]));
    expect(seen).toEqual([["a", 1], ["b", 2], ["c", 3], ["d", 4], ["", 5], ["e", 6]]);
  });

  it("a header line must be a header: the ss header with anything after it is a rejected line, not a header", () => {
    const r = parseSs("State Recv-Q Send-Q Local Address:Port Peer Address:Port ESTAB 0 0 1.2.3.4:5 6.7.8.9:10\nESTAB 0 0 1.2.3.4:5 6.7.8.9:10\n");
    expect(r.lines).toEqual({ total: 2, blank: 0, header: 0, records: 1, rejected: 1, skipped: 0 });
    expect(r.diagnostics[0]).toMatchObject({ line: 1, reason: expect.stringMatching(/^expected a State \(ESTAB, .*got "State"$/) });
    for (const header of [
      "State      Recv-Q Send-Q      Local Address:Port        Peer Address:Port Process",
      "Netid State      Recv-Q Send-Q      Local Address:Port        Peer Address:Port Process   ",
      "Recv-Q Send-Q Local Address:Port  Peer Address:Port",
    ]) {
      expect(parseSs(header).lines.header, header).toBe(1);
    }
  });
});

describe("tcp-lifecycle parse on a lone-CR file (the reviewer's reproduction)", () => {
  it("finds the 19 sockets, in every output", () => {
    const file = join(dir, "cr.txt");
    writeFileSync(file, readFileSync(join(FIXTURES, "linux-ss-tan.txt"), "utf8").replace(/\n/g, "\r"));
    const json = spawnSync("node", [CLI, "parse", file, "--json"], { encoding: "utf8" });
    expect(json.status).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.lines).toEqual({ total: 20, blank: 0, header: 1, records: 19, rejected: 0, skipped: 0 });
    expect(doc.records).toHaveLength(19);
    const text = spawnSync("node", [CLI, "parse", file], { encoding: "utf8" });
    expect(text.stdout).toMatch(/^total\s+19$/m);
    for (const input of [[file], ["-"]]) {
      const counts = spawnSync("node", [CLI, "parse", "--counts-only", "--json", ...input], { encoding: "utf8", input: readFileSync(file) });
      expect(JSON.parse(counts.stdout)).toMatchObject({ total: 19, lines: doc.lines });
    }
  });
});
