/**
 * The CLI's inputs under stress (docs/limits.md, "Parsing, replay and standard input"): standard
 * input from a slow producer, endless and oversized inputs refused with exit 2 in bounded
 * memory, `parse --json` on a large listing written as it is parsed, replay's user errors.
 * Each runs the built CLI (dist/cli/main.js) as a user does. Peak memory is the child's
 * maximum RSS as /usr/bin/time reports it.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAuto } from "../src/parse/detect.js";
import { countByState } from "../src/parse/count.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const SS = join(import.meta.dirname, "fixtures", "parse", "linux-ss-tan.txt");
const PCAP = join(import.meta.dirname, "fixtures", "pcap", "four-way-close-v4.pcap");
const dir = mkdtempSync(join(tmpdir(), "hardening-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Peak RSS allowed for a refused input, in MB (the reviewer saw 8-17 GB before). */
const MAX_RSS_MB = 300;
/**
 * Rows of the generated listing for the streaming test. 400,000 rows make about 22 MB of ss
 * and 105 MB of JSON; HARDENING_ROWS=2100000 runs the reviewer's case (about 20 s here).
 */
const ROWS = Number(process.env.HARDENING_ROWS ?? 400_000);
/** The V8 heap the streaming run gets: the old whole-document JSON needed several times this. */
const HEAP_MB = 128;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Peak RSS in MB. */
  rssMb: number;
}

const TIME = "/usr/bin/time";

/** A shell command line with `$CLI` standing for `node dist/cli/main.js`, run under /usr/bin/time. */
function sh(command: string, opts: { input?: string; nodeFlags?: string } = {}): Run {
  const line = command.replace(/\$CLI/g, `node ${opts.nodeFlags ?? ""} ${CLI}`);
  const r = spawnSync(TIME, ["-f", "PEAK-RSS-KB %M", "-o", `${dir}/time.txt`, "sh", "-c", line], {
    encoding: "utf8",
    input: opts.input ?? "",
    timeout: 120_000,
    maxBuffer: 1 << 30,
  });
  const time = existsSync(`${dir}/time.txt`) ? readFileSync(`${dir}/time.txt`, "utf8") : "";
  const kb = Number(/PEAK-RSS-KB (\d+)/.exec(time)?.[1] ?? NaN);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, rssMb: kb / 1024 };
}

beforeAll(() => {
  expect(existsSync(CLI), "build first: npm run build:lib").toBe(true);
  expect(existsSync(TIME), "/usr/bin/time measures peak RSS").toBe(true);
});

describe("standard input from a slow producer (defect 2)", () => {
  const fixture = readFileSync(SS, "utf8");
  const fixtureLines = fixture.split("\n").length - 1;

  it("parse waits for a producer that writes after a second", () => {
    const r = sh(`(sleep 1; cat ${SS}) | $CLI parse --json`);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.records).toHaveLength(19);
    expect(doc.lines).toEqual({ total: 20, blank: 0, header: 1, records: 19, rejected: 0, skipped: 0 });
  });

  it("parse --counts-only waits too, and reads a producer that writes in two bursts", () => {
    const late = sh(`(sleep 1; cat ${SS}) | $CLI parse --counts-only --json`);
    expect(late.stderr).toBe("");
    expect(late.status).toBe(0);
    expect(JSON.parse(late.stdout).total).toBe(19);
    for (const args of ["--json", "--counts-only --json"]) {
      const r = sh(`(cat ${SS}; sleep 0.3; cat ${SS}) | $CLI parse ${args}`);
      expect(r.status, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.lines).toEqual({ total: 2 * fixtureLines, blank: 0, header: 2, records: 38, rejected: 0, skipped: 0 });
      expect(doc.counts.TIME_WAIT).toBe(2 * countByState(parseAuto(fixture).records as never).TIME_WAIT);
    }
  });
});

describe("endless, non-regular and oversized inputs are refused with exit 2, naming the limit, in bounded memory (defect 8)", () => {
  it("/dev/zero: parse and parse --counts-only stop at the 1 MiB line limit", () => {
    for (const args of ["", "--counts-only", "--format ss", "--counts-only --format netstat-linux"]) {
      const r = sh(`$CLI parse /dev/zero ${args}`);
      expect(r.status, args).toBe(2);
      expect(r.stderr).toBe(
        "tcp-lifecycle: /dev/zero: byte offset 0: a line longer than 1 MiB, the limit for one line of a listing (expected text lines from ss, netstat or /proc/net/tcp)\n",
      );
      expect(r.rssMb).toBeLessThan(MAX_RSS_MB);
    }
  });

  it("/dev/zero: replay refuses at the magic, before reading on; simulate at 16 MiB", () => {
    const replay = sh("$CLI replay /dev/zero");
    expect(replay.status).toBe(2);
    expect(replay.stderr).toBe("tcp-lifecycle: /dev/zero: not a pcap or pcapng file: magic 0x00000000 at offset 0\n");
    expect(replay.rssMb).toBeLessThan(MAX_RSS_MB);
    const simulate = sh("$CLI simulate /dev/zero");
    expect(simulate.status).toBe(2);
    expect(simulate.stderr).toMatch(/^tcp-lifecycle: \/dev\/zero: .*16 MiB/);
    expect(simulate.stderr.split("\n")).toHaveLength(2);
    expect(simulate.rssMb).toBeLessThan(MAX_RSS_MB);
  });

  it("a FIFO that never ends: garbage stops at the line limit, valid rows at the 1 GiB listing limit", async () => {
    const fifo = join(dir, "endless");
    spawnSync("mkfifo", [fifo]);
    for (const [writer, args, message] of [
      ["cat /dev/zero", "", "a line longer than 1 MiB"],
      ["yes 'ESTAB 0 0 1.2.3.4:5 6.7.8.9:10'", "--counts-only --format ss", "a listing is limited to 1 GiB (1073741824 bytes) and this input goes on past it"],
    ] as const) {
      const producer = spawn("sh", ["-c", `${writer} > ${fifo} 2>/dev/null`], { stdio: "ignore", detached: true });
      try {
        const r = sh(`$CLI parse ${fifo} ${args}`);
        expect(r.status, writer).toBe(2);
        expect(r.stderr).toContain(message);
        expect(r.stderr.split("\n")).toHaveLength(2);
        expect(r.rssMb).toBeLessThan(MAX_RSS_MB);
      } finally {
        if (producer.pid !== undefined) {
          try {
            process.kill(-producer.pid, "SIGKILL");
          } catch {
            // the writer ended on SIGPIPE when the reader closed
          }
        }
      }
    }
  }, 60_000);

  it("a file one byte over the limit is refused before it is read (sparse files)", () => {
    const cases = [
      ["listing", 1024 ** 3, "$CLI parse FILE", "a listing is limited to 1 GiB (1073741824 bytes) and this input is 1073741825 bytes"],
      ["listing", 1024 ** 3, "$CLI parse --counts-only FILE", "a listing is limited to 1 GiB (1073741824 bytes) and this input is 1073741825 bytes"],
      ["capture", 256 * 1024 ** 2, "$CLI replay FILE", "a capture file is limited to 256 MiB (268435456 bytes) and this input is 268435457 bytes"],
      ["scenario.json", 16 * 1024 ** 2, "$CLI simulate FILE", "a scenario file is limited to 16 MiB (16777216 bytes) and this input is 16777217 bytes"],
    ] as const;
    for (const [name, limit, command, message] of cases) {
      const file = join(dir, name);
      writeFileSync(file, "");
      truncateSync(file, limit + 1);
      const r = sh(command.replace("FILE", file));
      expect(r.status, command).toBe(2);
      expect(r.stderr).toBe(`tcp-lifecycle: ${file}: ${message}\n`);
      expect(r.rssMb).toBeLessThan(MAX_RSS_MB);
      // At the limit exactly, the size is not what stops it.
      truncateSync(file, limit);
      expect(sh(command.replace("FILE", file)).stderr).not.toContain("limited to");
      rmSync(file);
    }
  }, 60_000);

  it("netstat listings, read whole, stop at 128 MiB; a line over 1 MiB after good rows names its byte offset", () => {
    const file = join(dir, "long-line.txt");
    const head = readFileSync(SS, "utf8");
    writeFileSync(file, head + "ESTAB 0 0 1.2.3.4:5 " + "x".repeat(2 * 1024 * 1024) + "\n");
    for (const args of ["", "--counts-only", "--json"]) {
      const r = sh(`$CLI parse ${file} ${args}`);
      expect(r.status).toBe(2);
      expect(r.stderr.split("\n").at(-2)).toBe(
        `tcp-lifecycle: ${file}: byte offset ${Buffer.byteLength(head)}: a line longer than 1 MiB, the limit for one line of a listing (expected text lines from ss, netstat or /proc/net/tcp)`,
      );
    }
    const netstat = join(dir, "netstat.txt");
    writeFileSync(netstat, "Active Internet connections (servers and established)\n");
    truncateSync(netstat, 128 * 1024 * 1024 + 1);
    const r = sh(`$CLI parse ${netstat}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `tcp-lifecycle: ${netstat}: a netstat-linux listing (read whole: its parser carries sections and columns from line to line) is limited to 128 MiB (134217728 bytes) and this input is 134217729 bytes\n`,
    );
  });
});

describe("parse --json on a large listing is written as it is parsed (defects 3 and 4)", () => {
  const STATES = ["ESTAB", "TIME-WAIT", "LISTEN", "CLOSE-WAIT", "FIN-WAIT-2"];
  function row(i: number): string {
    return `${STATES[i % 5]}  0  0  10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${1024 + (i % 60000)}  192.168.${(i >> 8) & 255}.${i & 255}:443`;
  }
  async function listing(file: string, rows: number): Promise<void> {
    const out = createWriteStream(file);
    out.write("State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n");
    for (let i = 0; i < rows; i += 10_000) {
      const lines: string[] = [];
      for (let j = i; j < Math.min(rows, i + 10_000); j++) lines.push(row(j));
      if (!out.write(lines.join("\n") + "\n")) await new Promise((resolve) => out.once("drain", resolve));
    }
    await new Promise((resolve) => out.end(resolve));
  }

  it(`${ROWS} rows: valid JSON with every record, within a ${HEAP_MB} MB heap`, async () => {
    const file = join(dir, "big.txt");
    await listing(file, ROWS);
    const r = sh(`$CLI parse ${file} --json`, { nodeFlags: `--max-old-space-size=${HEAP_MB}` });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.rssMb).toBeLessThan(MAX_RSS_MB);
    const doc = JSON.parse(r.stdout);
    expect(doc.records).toHaveLength(ROWS);
    expect(doc.records[ROWS - 1]).toEqual({
      line: ROWS + 1,
      state: ["ESTABLISHED", "TIME_WAIT", "LISTEN", "CLOSE_WAIT", "FIN_WAIT_2"][(ROWS - 1) % 5],
      local: { address: `10.${((ROWS - 1) >> 16) & 255}.${((ROWS - 1) >> 8) & 255}.${(ROWS - 1) & 255}`, port: 1024 + ((ROWS - 1) % 60000) },
      remote: { address: `192.168.${((ROWS - 1) >> 8) & 255}.${(ROWS - 1) & 255}`, port: 443 },
      recvQ: 0,
      sendQ: 0,
    });
    expect(doc.lines).toEqual({ total: ROWS + 1, blank: 0, header: 1, records: ROWS, rejected: 0, skipped: 0 });
    expect(doc.counts.ESTABLISHED).toBe(Math.ceil(ROWS / 5));
    rmSync(file);
  }, 180_000);

  it("the streamed JSON is byte for byte JSON.stringify of the whole parse, across runs of lines, with diagnostics renumbered", async () => {
    const file = join(dir, "runs.txt");
    // About 6 MB: more than one 4 MiB run; bad rows and ss -i detail lines throughout.
    const lines = ["State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process"];
    for (let i = 0; i < 100_000; i++) lines.push(i % 9_999 === 0 ? `BOGUS 0 0 1.2.3.4:5 6.7.8.9:${i}` : i % 25_000 === 1 ? "\tcubic wscale:7,7" : row(i));
    const text = lines.join("\n") + "\n";
    writeFileSync(file, text);
    const r = sh(`$CLI parse ${file} --json`);
    expect(r.status).toBe(0);
    const whole = parseAuto(text, { source: file });
    if (whole.format === null) throw new Error("not detected");
    const { format, detection, records, diagnostics, lines: account, skipped } = whole;
    const counts = countByState(records as never);
    expect(r.stdout).toBe(JSON.stringify({ format, detection, records, counts, diagnostics, lines: account, skipped }, null, 2) + "\n");
    const bogus = lines.flatMap((l, i) => (l.startsWith("BOGUS") ? [i + 1] : []));
    expect(bogus).toHaveLength(11);
    expect(diagnostics.map((d) => d.line)).toEqual(bogus);
    const text2 = sh(`$CLI parse ${file}`);
    expect(text2.stdout).toMatch(/^total\s+99985$/m);
    expect(text2.stderr.split("\n").filter((l) => l.includes("unknown state"))).toHaveLength(11);
    expect(text2.stderr).toContain(`${file}: skipped 4 line(s) from line 3: detail line (ss -i/-m) under the socket above`);
  }, 60_000);
});

describe("replay: the user error is the first stderr line and the exit status does not depend on --format (defect 18)", () => {
  it("a capture with no TCP segments exits 2 for ascii, svg and json, the reader's diagnostics after the error", () => {
    const file = join(dir, "tr.pcap");
    writeFileSync(file, readFileSync(PCAP).subarray(0, 44));
    for (const format of ["ascii", "svg", "json"]) {
      const r = sh(`$CLI replay ${file} --format ${format}`);
      expect(r.status, format).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        `tcp-lifecycle: ${file}: no TCP segments to draw (0 packet(s) read)\n${file}: offset 40: packet data truncated: need 74 bytes, have 4\n`,
      );
    }
  });

  it("--connection out of range on a damaged capture: the error first, then the diagnostics", () => {
    const file = join(dir, "cut.pcap");
    writeFileSync(file, readFileSync(PCAP).subarray(0, 800));
    const r = sh(`$CLI replay ${file} --connection 5`);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `tcp-lifecycle: --connection: expected 1..1 (the capture has 1 TCP connection(s)), got 5\n${file}: offset 786: packet record header truncated: need 16 bytes, have 14\n`,
    );
  });
});
