/**
 * The parsers' fast paths against their careful paths. parseProcNetTcp reads lines in the
 * kernel's layout with the fixed-offset reader (src/parse/proc-fast.ts) and everything else
 * with the careful reader; countStatesSs counts bytes by comparing words. On every fixture
 * and on generated lines, well-formed and mutated, both paths must give identical records,
 * diagnostics, line accounts and counts. The seed is printed on failure; replay with
 * FC_SEED=<seed>.
 */
import { readFileSync, readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countByState, countStatesSs, parseSs, type ProcOptions, type SsOptions } from "../src/parse/index.js";
import { parseProcNetTcp, parseProcNetTcpCarefully } from "../src/parse/proc.js";
import { ProcFastReader } from "../src/parse/proc-fast.js";
import { parseSsCarefully } from "../src/parse/ss.js";
import { STATE_SPELLINGS } from "../src/parse/state-names.js";
import { SEED, check } from "./support/property.js";

const FIXTURE_DIR = new URL("./fixtures/parse/", import.meta.url);
const FIXTURES: Array<[string, string]> = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith(".txt"))
  .map((f) => [f, readFileSync(new URL(f, FIXTURE_DIR), "utf8")]);

const PROC_OPTIONS: ProcOptions[] = [{}, { family: 4 }, { family: 6, source: "tcp6" }, { littleEndian: false }, { userHz: 250 }];

function sameProc(text: string, opts: ProcOptions = {}): void {
  expect(parseProcNetTcp(text, opts)).toEqual(parseProcNetTcpCarefully(text, opts));
}

// --- generated /proc lines in the kernel's layout -------------------------------------

const hexDigits = (n: number, upper = true): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(..."0123456789abcdef"), { minLength: n, maxLength: n }).map((d) => (upper ? d.join("").toUpperCase() : d.join("")));
const hex8 = fc.oneof(hexDigits(8), fc.constantFrom("0100007F", "00000000", "0F02000A", "FFFFFFFF"), hexDigits(8, false));
const v4Address = fc.tuple(hex8, hexDigits(4)).map(([a, p]) => `${a}:${p}`);
const v6Words = fc.oneof(
  fc.array(hex8, { minLength: 4, maxLength: 4 }).map((w) => w.join("")),
  fc.constantFrom("00000000000000000000000001000000", "00000000000000000000000000000000", "0000000000000000FFFF00000100007F", "000080FE00000000FF005002020000FE"),
);
const v6Address = fc.tuple(v6Words, hexDigits(4)).map(([a, p]) => `${a}:${p}`);
const stCode = fc.oneof(fc.integer({ min: 0, max: 15 }).map((n) => n.toString(16).toUpperCase().padStart(2, "0")), fc.constantFrom("0a", "0c", "06", "0A"));
/** Decimal fields, including 15 digits (the longest a decimal field may be) and 16 (one too many). */
const decimalField = fc.oneof(fc.nat({ max: 70000 }).map(String), fc.constant("0"), fc.nat().map(String), fc.constantFrom("999999999999999", "1234567890123456"));

/** One line as the kernel prints it: "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu …". */
const procLine = fc
  .record({
    sl: fc.oneof(fc.nat({ max: 200000 }).map(String), fc.constantFrom("123456789012345", "1234567890123456")),
    v6: fc.boolean(),
    local4: v4Address,
    remote4: v4Address,
    local6: v6Address,
    remote6: v6Address,
    st: stCode,
    tx: hex8,
    rx: hex8,
    tr: fc.constantFrom("00", "01", "02", "03", "04", "05", "0a"),
    when: fc.oneof(hex8, fc.constant("FFFFFFFFFFFFFF9C")),
    retr: hex8,
    uid: decimalField,
    timeout: decimalField,
    inode: decimalField,
    tail: fc.constantFrom("", " 1 0000000000000000 100 0 0 10 0", " 3 0000000087dddbf1", " 2 000000005b6fe7fa 20 0 0 10 -1"),
    pad: fc.nat({ max: 40 }),
  })
  .map((f) => {
    const local = f.v6 ? f.local6 : f.local4;
    const remote = f.v6 ? f.remote6 : f.remote4;
    const line = `${f.sl.padStart(4)}: ${local} ${remote} ${f.st} ${f.tx}:${f.rx} ${f.tr}:${f.when} ${f.retr} ${f.uid.padStart(5)} ${f.timeout.padStart(8)} ${f.inode}${f.tail}`;
    return line + " ".repeat(f.pad);
  });

const procMutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("delete", "replace", "insert", "truncate"),
  text: fc.constantFrom(" ", "  ", "\t", ":", "x", "G", "9", "-", "\r", "é", "00"),
});

function mutateProc(line: string, m: { at: number; kind: string; text: string }): string {
  const at = m.at % (line.length + 1);
  if (m.kind === "delete") return line.slice(0, at) + line.slice(at + 1);
  if (m.kind === "truncate") return line.slice(0, at);
  return line.slice(0, at) + m.text + line.slice(at + (m.kind === "replace" ? 1 : 0));
}

const PROC_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

const procListing = fc
  .tuple(
    fc.array(fc.oneof({ weight: 3, arbitrary: procLine }, { weight: 2, arbitrary: fc.tuple(procLine, procMutation).map(([l, m]) => mutateProc(l, m)) }, { weight: 1, arbitrary: fc.constantFrom(PROC_HEADER, "", "   ") }), {
      maxLength: 30,
    }),
    fc.constantFrom("\n", "\r\n"),
    fc.boolean(),
  )
  .map(([lines, nl, trailing]) => lines.join(nl) + (trailing ? nl : ""));

describe("/proc: the fixed-layout reader and the careful reader agree", () => {
  it("on every fixture, whole and line by line, with every option", () => {
    for (const [name, text] of FIXTURES) {
      for (const opts of PROC_OPTIONS) {
        try {
          sameProc(text, opts);
        } catch (err) {
          throw new Error(`${name} with ${JSON.stringify(opts)}: ${String(err)}`);
        }
      }
    }
  });

  it("the fixed-layout reader takes every real /proc line (no silent fallback)", () => {
    for (const [name, text] of FIXTURES.filter(([n]) => /proc-tcp/.test(n))) {
      const reader = new ProcFastReader(100, true);
      const lines = text.split("\n");
      lines.forEach((line, i) => {
        if (!/^\s*\d+:/.test(line)) return;
        const record = reader.read(line, 0, line.length, i + 1);
        if (record === null) throw new Error(`${name}:${i + 1} went to the careful reader: ${line}`);
      });
    }
  });

  it("on generated kernel-layout lines: taken by the fast reader, same records", () =>
    check("proc kernel layout", fc.array(procLine, { minLength: 1, maxLength: 20 }), (lines) => {
      const reader = new ProcFastReader(100, true);
      for (const line of lines) {
        const fast = reader.read(line, 0, line.length, 1);
        const careful = parseProcNetTcpCarefully(line);
        if (careful.records.length === 1) {
          // Only the 16-digit negative tm->when is left to the careful reader.
          if (!line.includes("FFFFFFFFFFFFFF9C")) expect(fast).not.toBeNull();
          if (fast !== null) expect(fast).toEqual(careful.records[0]);
        } else {
          expect(fast).toBeNull();
        }
      }
      const text = lines.join("\n");
      for (const opts of PROC_OPTIONS) sameProc(text, opts);
    }));

  it("on generated listings with mutated lines, headers, blanks and CRLF: identical results", () =>
    check("proc listings", procListing, (text) => {
      for (const opts of PROC_OPTIONS) sameProc(text, opts);
    }));
});

// --- ss state counting: bytes (word compare) against text and against parseSs ------------

const ssSpelling = fc.constantFrom(...Object.values(STATE_SPELLINGS.ss).flat());
/** Spellings that share a first word with a real one, or differ by one character. */
const nearMiss = fc.constantFrom("SYN-SENX", "SYN-RECVX", "CLOSE-WAI", "CLOSINGS", "FIN-WAIT-3", "FIN-WAIT-", "ESTABL", "ESTA", "TIME-WAIT-", "LISTENING", "LAST-AC", "UNCONNX", "NEW-SYN-REC", "NEW-SYN-RECVX", "TIME-WAITS", "estab", "Estab");
const ssRow = fc
  .record({
    netid: fc.constantFrom("", "", "", "tcp   ", "udp   "),
    state: fc.oneof({ weight: 4, arbitrary: ssSpelling }, { weight: 1, arbitrary: nearMiss }),
    gap: fc.oneof(fc.nat({ max: 12 }).map((n) => " ".repeat(n)), fc.constantFrom("\t", " \t ", "")),
    recvQ: fc.oneof(fc.nat({ max: 70000 }).map(String), fc.constantFrom("x", "-1", "")),
    rest: fc.constantFrom(
      "      0        127.0.0.1:80        127.0.0.1:53422",
      " 0 [::ffff:10.0.0.1]:443 [2001:db8::1]:5000 users:((\"nginx\",pid=1,fd=6))",
      " 0 *:* *:*",
      "",
    ),
  })
  .map((r) => `${r.netid}${r.state}${r.gap}${r.recvQ}${r.rest}`);

const ssListing = fc
  .tuple(
    fc.array(fc.oneof({ weight: 6, arbitrary: ssRow }, { weight: 1, arbitrary: fc.constantFrom("State Recv-Q Send-Q Local Address:Port Peer Address:Port", "", "\tcubic wscale:7,7", "ESTAB 0 0 1.2.3.4:5 6.7.8.9:10") }), { maxLength: 30 }),
    fc.constantFrom("\n", "\r\n"),
    fc.boolean(),
  )
  .map(([lines, nl, trailing]) => lines.join(nl) + (trailing ? nl : ""));

function sameCounts(text: string): void {
  const fromText = countStatesSs(text, { check: "row" });
  const fromBytes = countStatesSs(new TextEncoder().encode(text), { check: "row" });
  expect(fromBytes).toEqual(fromText);
  expect(countStatesSs(new TextEncoder().encode(text))).toEqual(countStatesSs(text));
  // With the row check, exactly what parseSs accepts is counted, in its state, with the same diagnostics.
  const full = parseSs(text);
  expect(fromText.counts).toEqual(countByState(full.records));
  expect(fromText.total).toBe(full.records.length);
  expect(fromText.diagnostics).toEqual(full.diagnostics);
  expect(fromText.lines).toEqual(full.lines);
  expect(fromText.skipped).toEqual(full.skipped);
}

describe("countStatesSs: bytes and text agree", () => {
  it("on every fixture", () => {
    for (const [name, text] of FIXTURES) {
      try {
        sameCounts(text);
        // Real ss output has no row that starts like a socket and goes wrong later: both checks agree.
        const trusted = countStatesSs(text);
        const full = parseSs(text);
        expect([trusted.counts, trusted.total, trusted.lines]).toEqual([countByState(full.records), full.records.length, full.lines]);
      } catch (err) {
        throw new Error(`${name}: ${String(err)}`);
      }
    }
  });

  it("on a bytes view into a larger buffer (the file reader's chunks)", () => {
    const text = FIXTURES.find(([n]) => n === "linux-ss-tan.txt")![1];
    const encoded = new TextEncoder().encode(text);
    const big = new Uint8Array(encoded.length + 7);
    big.set(encoded, 3);
    expect(countStatesSs(big.subarray(3, 3 + encoded.length))).toEqual(countStatesSs(text));
  });

  it("on generated rows: every spelling, near misses, gaps, tabs, Netid, CRLF", () =>
    check("ss counts", ssListing, (text) => {
      sameCounts(text);
      const rows = countStatesSs(text);
      expect(rows.lines.blank + rows.lines.header + rows.lines.records + rows.lines.rejected + rows.lines.skipped).toBe(rows.lines.total);
    }));
});

// --- parseSs: rows read in place against the careful reader --------------------------------

const SS_OPTIONS: SsOptions[] = [{}, { state: "TIME_WAIT", source: "ss.txt" }];

function sameSs(text: string): void {
  for (const opts of SS_OPTIONS) expect(parseSs(text, opts)).toEqual(parseSsCarefully(text, opts));
}

/** Plain addresses the fast reader takes, and every kind it must leave to colonAddress. */
const ssAddress = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.nat({ max: 255 }), fc.nat({ max: 255 }), fc.nat({ max: 65535 })).map(([a, b, p]) => `10.${a}.${b}.1:${p}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "127.0.0.1:80", "[::1]:80", "[::ffff:1.2.3.4]:443", "[2001:db8::1]:65535", "*:*", "0.0.0.0:*", "[::]:*", "0.0.0.0:0", "host-1.example_x:22",
      "[fe80::1]%eth0:22", "127.0.0.53%lo:53", "[fe80::1%4]:5000", "*", "1.2.3.4:http", "1.2.3.4:65536", "1.2.3.4:", ":80", "[::1]x:80",
      "[::1:80", "[]:80", "[::1]]:80", "1.2.3.4:0080", "1.2.3.4:1234567890123456", "é:80", "1.2.3.4:8a", "a%:1", "[::1]%:1", "1:2:3",
    ),
  },
);
const ssExtras = fc.constantFrom(
  "", "", "    ", " users:((\"nginx\",pid=1,fd=6),(\"nginx\",pid=2,fd=6))", " timer:(keepalive,1min2sec,0)", " timer:(bad)", " ino:123 sk:ffff uid:1000",
  " users:((", "\t", " cubic", " users:((\"a b\",pid=7,fd=3)) timer:(timewait,59sec,0) uid:0 ino:0 sk:1 <->",
);
const ssFullRow = fc
  .record({
    lead: fc.oneof({ weight: 5, arbitrary: ssSpelling.map((s) => `${s}`) }, { weight: 1, arbitrary: nearMiss }, { weight: 1, arbitrary: fc.constantFrom("tcp   ESTAB", "udp   UNCONN", "", " ESTAB", "\tESTAB") }),
    gaps: fc.array(fc.constantFrom(" ", "      ", "\t", " \t"), { minLength: 4, maxLength: 4 }),
    recvQ: fc.oneof(fc.nat({ max: 70000 }).map(String), fc.nat({ max: 9 }).map(String), fc.constantFrom("x", "-1", "1234567890123456")),
    sendQ: fc.oneof(fc.nat({ max: 70000 }).map(String), fc.constantFrom("x", "")),
    local: ssAddress,
    peer: ssAddress,
    extras: ssExtras,
  })
  .map((r) => `${r.lead}${r.gaps[0]}${r.recvQ}${r.gaps[1]}${r.sendQ}${r.gaps[2]}${r.local}${r.gaps[3]}${r.peer}${r.extras}`);

const ssFullListing = fc
  .tuple(
    fc.array(fc.oneof({ weight: 8, arbitrary: ssFullRow }, { weight: 1, arbitrary: fc.constantFrom("State Recv-Q Send-Q Local Address:Port Peer Address:Port Process", "", "\tcubic wscale:7,7", "0 0 1.2.3.4:5 6.7.8.9:10") }), {
      maxLength: 30,
    }),
    fc.constantFrom("\n", "\r\n"),
    fc.boolean(),
  )
  .map(([lines, nl, trailing]) => lines.join(nl) + (trailing ? nl : ""));

describe("parseSs: rows read in place and the careful reader agree", () => {
  it("on every fixture", () => {
    for (const [name, text] of FIXTURES) {
      try {
        sameSs(text);
      } catch (err) {
        throw new Error(`${name}: ${String(err)}`);
      }
    }
  });

  it("on generated rows: plain and unusual addresses, bad numbers, extras, tabs, CRLF", () => check("parseSs rows", ssFullListing, sameSs));

  it("countStatesSs (text and bytes) counts those rows exactly as parseSs does", () => check("countStatesSs rows", ssFullListing, sameCounts));
});
