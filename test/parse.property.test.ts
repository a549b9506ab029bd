/**
 * Property and fuzz tests: random text, random bytes, and mutations of real fixture lines
 * (deleted, inserted, replaced characters, truncations, swapped and duplicated fields) go
 * through every parser. None may throw, and every input line must be accounted for:
 * blank + header + records + rejected + skipped = total lines. countStatesSs, the counting
 * fast path, must agree exactly with parseSs + countByState on all of it.
 * The seed is printed on failure; replay with FC_SEED=<seed>.
 */
import { readFileSync, readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { STATES } from "../src/fsm/states.js";
import {
  countByState,
  countStatesSs,
  parseAuto,
  parseNetstatBsd,
  parseNetstatLinux,
  parseNetstatWindows,
  parseProcNetTcp,
  parseSockstat,
  parseSs,
  parseSsSummary,
  STATE_SPELLINGS,
  type ConnectionRecord,
  type CountOptions,
  type TextParseResult,
} from "../src/parse/index.js";
import { SEED, check } from "./support/property.js";

const FIXTURE_DIR = new URL("./fixtures/parse/", import.meta.url);
const FIXTURE_LINES: string[] = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith(".txt"))
  .flatMap((f) => readFileSync(new URL(f, FIXTURE_DIR), "utf8").split("\n"));

/** Lines as the parsers count them: a final empty segment after the last newline is not a line. */
/** Lines end at LF, CRLF or a lone CR; a final empty segment is not a line. */
function lineCount(text: string): number {
  if (text === "") return 0;
  const parts = text.split(/\r\n|\r|\n/);
  return /[\r\n]$/.test(text) ? parts.length - 1 : parts.length;
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.string({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), text: fc.constantFrom(":", ".", "[", "]", "%", "(", ")", '"', ",", " ", "\t", "\r", "-", "*", "x", "9", "FF", "é", "\u0000") }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat() }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(line: string, m: Mutation): string {
  const at = (n: number): number => (line.length === 0 ? 0 : n % (line.length + 1));
  switch (m.kind) {
    case "delete":
      return line.slice(0, at(m.at)) + line.slice(at(m.at) + m.length);
    case "insert":
    case "replace":
      return line.slice(0, at(m.at)) + m.text + line.slice(at(m.at) + (m.kind === "replace" ? 1 : 0));
    case "truncate":
      return line.slice(0, at(m.at));
    case "swap":
    case "duplicate": {
      const fields = line.split(/(\s+)/);
      const words = fields.length;
      if (words === 0) return line;
      const i = (m.kind === "swap" ? m.a : m.at) % words;
      if (m.kind === "duplicate") fields.splice(i, 0, fields[i] ?? "", " ");
      else {
        const j = m.b % words;
        [fields[i], fields[j]] = [fields[j] ?? "", fields[i] ?? ""];
      }
      return fields.join("");
    }
  }
}

const fixtureLine = fc.constantFrom(...FIXTURE_LINES);
const mutatedLine = fc.tuple(fixtureLine, fc.array(mutation, { maxLength: 3 })).map(([line, ms]) => ms.reduce(mutate, line));
const newline = fc.constantFrom("\n", "\r\n", "\n\n");

/** Mixed real, mutated and random lines, joined with LF or CRLF, maybe without a final newline. */
const listing = fc
  .tuple(
    fc.array(fc.oneof({ weight: 3, arbitrary: fixtureLine }, { weight: 4, arbitrary: mutatedLine }, { weight: 1, arbitrary: fc.string({ maxLength: 60 }) }), { maxLength: 25 }),
    newline,
    fc.boolean(),
  )
  .map(([lines, nl, trailing]) => lines.join(nl) + (trailing && lines.length > 0 ? nl : ""));

const randomBytes = fc.uint8Array({ maxLength: 400 }).map((bytes) => new TextDecoder("utf-8", { fatal: false }).decode(bytes));
const randomText = fc.string({ unit: "binary", maxLength: 300 });
const anyInput = fc.oneof({ weight: 4, arbitrary: listing }, { weight: 1, arbitrary: randomBytes }, { weight: 1, arbitrary: randomText });

function accounted(text: string, result: TextParseResult<unknown>): void {
  const l = result.lines;
  expect(l.total).toBe(lineCount(text));
  expect(l.blank + l.header + l.records + l.rejected + l.skipped).toBe(l.total);
  expect(result.skipped.reduce((n, s) => n + s.count, 0)).toBe(l.skipped);
  const rejectedDiagnostics = result.diagnostics.filter((d) => d.line !== undefined);
  expect(rejectedDiagnostics.length).toBeGreaterThanOrEqual(l.rejected);
  for (const d of result.diagnostics) {
    expect(d.reason.length).toBeGreaterThan(0);
    if (d.line !== undefined) expect(d.line).toBeGreaterThanOrEqual(1);
    if (d.line !== undefined) expect(d.line).toBeLessThanOrEqual(l.total);
  }
}

function wellFormed(text: string, result: TextParseResult<ConnectionRecord>): void {
  accounted(text, result);
  const seen = new Set<number>();
  for (const r of result.records) {
    expect(STATES).toContain(r.state);
    expect(r.line).toBeGreaterThanOrEqual(1);
    expect(r.line).toBeLessThanOrEqual(result.lines.total);
    expect(seen.has(r.line)).toBe(false);
    seen.add(r.line);
    for (const a of [r.local, r.remote]) {
      expect(a.address.length).toBeGreaterThan(0);
      if (a.port !== null) expect(a.port >= 0 && a.port <= 65535).toBe(true);
    }
  }
}

const CONNECTION_PARSERS = {
  ss: (t: string) => parseSs(t),
  "ss --state TIME_WAIT": (t: string) => parseSs(t, { state: "TIME_WAIT" }),
  proc: (t: string) => parseProcNetTcp(t),
  "netstat-linux": (t: string) => parseNetstatLinux(t),
  "netstat-bsd": (t: string) => parseNetstatBsd(t),
  "netstat-windows": (t: string) => parseNetstatWindows(t),
};

describe(`parsers never throw and account for every line (seed ${SEED})`, () => {
  for (const [name, parse] of Object.entries(CONNECTION_PARSERS)) {
    it(name, () => check(name, anyInput, (text) => wellFormed(text, parse(text))));
  }
  it("sockstat", () => check("sockstat", anyInput, (text) => accounted(text, parseSockstat(text))));
  it("ss -s", () => check("ss -s", anyInput, (text) => accounted(text, parseSsSummary(text))));
  it("parseAuto", () =>
    check("parseAuto", anyInput, (text) => {
      const r = parseAuto(text);
      expect(r.lines.blank + r.lines.header + r.lines.records + r.lines.rejected + r.lines.skipped).toBe(lineCount(text));
    }));
  for (const opts of SS_COUNT_OPTIONS) {
    it(`countStatesSs agrees exactly with parseSs + countByState ${JSON.stringify(opts)}`, () =>
      check("countStatesSs", anyInput, (text) => sameAsParseSs(text, opts)));
    it(`countStatesSs trusting the State column differs from parseSs only on rows that start like a socket ${JSON.stringify(opts)}`, () =>
      check("countStatesSs", anyInput, (text) => differsOnlyOnTrustedRows(text, opts)));
  }
});

/** The options countStatesSs is held to parseSs with: plain, a file name, a given state for stateless listings. */
const SS_COUNT_OPTIONS: CountOptions[] = [{ check: "row" }, { source: "ss.txt", state: "TIME_WAIT", check: "row" }];

/** A row the "state" check trusts: one of ss's spellings at the start of the line, spaces, then Recv-Q's first digit. */
const SS_SPELLINGS = Object.values(STATE_SPELLINGS.ss).flat();
const TRUSTED_ROW = new RegExp(`^(${SS_SPELLINGS.map((w) => w.replace(/[-]/g, "\\-")).join("|")}) +[0-9]`);

/**
 * countStatesSs with check "state" (the default) against check "row", which equals parseSs
 * (sameAsParseSs): every diagnostic of the state check is one of the row check's, every line
 * the row check reports and the state check does not is a row the state check trusts, and
 * each such rejected row is counted once more, never dropped.
 */
function differsOnlyOnTrustedRows(text: string, opts: CountOptions): void {
  const row = countStatesSs(text, { ...opts, check: "row" });
  const state = countStatesSs(text, { ...opts, check: "state" });
  expect(countStatesSs(text, { ...opts, check: undefined })).toEqual(state);
  accounted(text, { ...state, format: "ss", records: [] });
  const key = (d: { line?: number; reason: string }): string => `${d.line}: ${d.reason}`;
  const rowKeys = new Set(row.diagnostics.map(key));
  for (const d of state.diagnostics) expect(rowKeys.has(key(d))).toBe(true);
  const stateKeys = new Set(state.diagnostics.map(key));
  const lines = text.split(/\r\n|\r|\n/);
  for (const d of row.diagnostics) {
    if (stateKeys.has(key(d))) continue;
    expect(lines[d.line! - 1]).toMatch(TRUSTED_ROW);
  }
  expect(state.total - row.total).toBe(row.lines.rejected - state.lines.rejected);
  for (const s of STATES) expect(state.counts[s]).toBeGreaterThanOrEqual(row.counts[s]);
  const bytes = new TextEncoder().encode(text);
  expect(countStatesSs(bytes, opts)).toEqual(countStatesSs(new TextDecoder().decode(bytes), opts));
}

/**
 * countStatesSs (on the text and on its UTF-8 bytes) gives what parseSs + countByState give:
 * the counts by state, the total, the line account, the skips and the diagnostics (line
 * numbers, reasons and quoted text).
 */
function sameAsParseSs(text: string, opts: CountOptions = { check: "row" }): void {
  const full = parseSs(text, opts);
  const expected = {
    counts: countByState(full.records),
    total: full.records.length,
    diagnostics: full.diagnostics,
    lines: full.lines,
    skipped: full.skipped,
  };
  const fast = countStatesSs(text, opts);
  accounted(text, { ...fast, format: "ss", records: [] });
  expect(fast).toEqual(expected);
  expect(fast.diagnostics.map((d) => d.line)).toEqual(full.diagnostics.map((d) => d.line));
  // The bytes as read give the same, where the text is what decoding them gives.
  const bytes = new TextEncoder().encode(text);
  expect(countStatesSs(bytes, opts)).toEqual(countStatesSs(new TextDecoder().decode(bytes), opts));
}

describe("countStatesSs: near-miss lines go to the careful reader (regressions)", () => {
  const HEADER = "State  Recv-Q Send-Q  Local Address:Port  Peer Address:Port Process";
  const GOOD = "ESTAB  0      0       10.0.0.1:443        10.0.0.2:5000";
  const NEAR_MISSES = [
    "TIME-WAIT 0 0 nonsense",
    "TIME-WAIT 0 0 10.0.0.1:443",
    "TIME-WAIT 0 0",
    "ESTAB 0 x 10.0.0.1:443 10.0.0.2:5000",
    "ESTAB 0 0 10.0.0.1:443 10.0.0.2:99999",
    "ESTAB 0 0 10.0.0.1:443 10.0.0.2:",
    "ESTAB 0 0 10.0.0.1 10.0.0.2:5000",
    "ESTAB 0 0 [::1:443 [::1]:5000",
    "ESTAB 0 0 [::1]x:443 [::1]:5000",
    "ESTAB 0 0 10.0.0.1:443 10.0!0.2:5000",
    "ESTAB 0 0 10.0.0.1:443 10.0.0.2:5000 users:((\"nginx\",pid=1,fd=6)",
    "ESTAB 0 0 10.0.0.1:443 10.0.0.2:5000 users:((\"nginx\",fd=6))",
    "ESTAB 0 0 10.0.0.1:443 10.0.0.2:5000 timer:(bogus)",
    "ESTAB 01234567890123456 0 10.0.0.1:443 10.0.0.2:5000",
    "ESTAB 0 0 10.0.0.1:443 10.0.0.2:5000 users:((\"nginx\",pid=1,fd=6))",
    "ESTAB 0 0 [fe80::1]%eth0:22 10.0.0.2:ssh",
    "tcp ESTAB 0 0 10.0.0.1:443 10.0.0.2:5000",
    "tcp TIME-WAIT 0 0 nonsense",
    "0 0 10.0.0.1:443 10.0.0.2:5000",
    "\uFEFFESTAB 0 0 10.0.0.1:443 10.0.0.2:5000",
    "ESTAB 0 0 10.0.0.1:443 10.0.0.2:5000 \u00e9",
  ];

  it("TIME-WAIT 0 0 nonsense: the row check rejects it as parseSs does; the state check trusts its State column", () => {
    const text = `${HEADER}\nTIME-WAIT 0 0 nonsense\n${GOOD}\n`;
    const trusted = countStatesSs(text);
    expect([trusted.counts.TIME_WAIT, trusted.counts.ESTABLISHED, trusted.total, trusted.diagnostics]).toEqual([1, 1, 2, []]);
    const r = countStatesSs(text, { check: "row" });
    expect(r.counts.TIME_WAIT).toBe(0);
    expect(r.counts.ESTABLISHED).toBe(1);
    expect(r.total).toBe(1);
    expect(r.diagnostics).toEqual([
      { line: 2, text: "TIME-WAIT 0 0 nonsense", reason: "expected Local Address:Port and Peer Address:Port after Send-Q" },
    ]);
    expect(countStatesSs(new TextEncoder().encode(text), { check: "row" })).toEqual(r);
  });

  for (const line of NEAR_MISSES) {
    it(JSON.stringify(line), () => {
      for (const opts of SS_COUNT_OPTIONS) {
        // Padded like ss, and long enough for the bytes path's 16-byte compare.
        const text = `${HEADER}\n${line}\n${GOOD}\n${line.replace(/ /g, "      ")}\r\n`;
        sameAsParseSs(text, opts);
        differsOnlyOnTrustedRows(text, opts);
      }
    });
  }
});

describe("unmutated real lines are never rejected by their own parser", () => {
  const byFormat: Array<[string, (t: string) => TextParseResult<unknown>, RegExp]> = [
    ["ss", (t) => parseSs(t, { state: "ESTABLISHED" }), /^(linux-ss-(?!s\.)|ss-tan)/],
    ["proc", (t) => parseProcNetTcp(t), /proc-tcp/],
    ["netstat-linux", (t) => parseNetstatLinux(t), /^linux-netstat/],
    ["netstat-bsd", (t) => parseNetstatBsd(t), /bsd|macos/],
    // -b owner lines only make sense under their row, so the subsets below keep files whole.
    ["netstat-windows", (t) => parseNetstatWindows(t), /^windows-netstat-ano\./],
  ];
  for (const [name, parse, files] of byFormat) {
    it(name, () => {
      const lines = readdirSync(FIXTURE_DIR)
        .filter((f) => files.test(f))
        .flatMap((f) => readFileSync(new URL(f, FIXTURE_DIR), "utf8").split("\n"));
      expect(lines.length).toBeGreaterThan(0);
      check(name, fc.shuffledSubarray(lines), (picked) => {
        const text = picked.join("\n");
        const r = parse(text);
        expect(r.lines.rejected).toBe(0);
        accounted(text, r);
      });
    });
  }
});
