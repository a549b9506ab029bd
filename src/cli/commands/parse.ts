/**
 * `tcp-lifecycle parse [file|-]`: read a saved ss / netstat / /proc / sockstat listing and
 * print its sockets, the counts by state, the detected format and the diagnostics.
 * `--counts-only` prints the counts alone, by the counting fast path for ss (parse-counts.ts).
 * The JSON output is documented in docs/parse-json.md, the bounds in docs/limits.md: the input
 * is read in runs of lines and ss and /proc records are written as they are parsed, so memory
 * does not grow with the listing.
 */
import type { Command } from "commander";
import { STATES, type TcpState } from "../../fsm/states.js";
import { formatAddress } from "../../parse/address.js";
import { emptyCounts } from "../../parse/count.js";
import { detectFormat, parseAuto, type Detection } from "../../parse/detect.js";
import { stateFromName } from "../../parse/state-names.js";
import type { ConnectionRecord, FormatName } from "../../parse/types.js";
import { UserError, choiceOption } from "../errors.js";
import { countsOnly } from "./parse-counts.js";
import { ChunkTally, INPUT_LIMITS, LineReader, Output, SAMPLE_BYTES, table, tableWith } from "./parse-io.js";

export { table };

const FORMATS = ["auto", "ss", "ss-summary", "proc", "sockstat", "netstat-linux", "netstat-bsd", "netstat-windows"] as const;

interface ParseCommandOptions {
  format: string;
  json?: boolean;
  state?: string;
  strict?: boolean;
  countsOnly?: boolean;
}

function timerText(r: ConnectionRecord): string {
  if (!r.timer) return "";
  const left = r.timer.remaining !== undefined ? `,${r.timer.remaining}s` : "";
  return `${r.timer.kind}${left}`;
}

function processText(r: ConnectionRecord): string {
  return (r.processes ?? []).map((p) => `${p.name ?? "?"}/${p.pid}${p.fd !== undefined ? `:${p.fd}` : ""}`).join(",");
}

/** Records printed as a text table before the column widths are fixed (later rows use those widths). */
const TEXT_BATCH = 10_000;
/** Formats read in runs of lines (their parsers keep nothing from one line to the next but ss's one warning). */
const STREAMED: ReadonlySet<FormatName> = new Set(["ss", "proc"]);

const HEADER_ROW = ["LINE", "STATE", "LOCAL", "REMOTE", "RECV-Q", "SEND-Q", "TIMER", "PROCESS"];

function recordRow(r: ConnectionRecord): string[] {
  return [
    String(r.line),
    r.state,
    formatAddress(r.local),
    formatAddress(r.remote),
    r.recvQ === undefined ? "" : String(r.recvQ),
    r.sendQ === undefined ? "" : String(r.sendQ),
    timerText(r),
    processText(r),
  ];
}

/** JSON.stringify(value, null, 2) as it sits `indent` deep in the document. */
function nested(value: unknown, indent: string): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`);
}

/**
 * Where parsed runs go: the text table (its widths fixed by the first TEXT_BATCH records) or
 * the JSON document, written as it grows: the same bytes JSON.stringify(document, null, 2)
 * gives, without ever holding the document (docs/parse-json.md).
 */
class Sink {
  readonly out = new Output();
  private readonly counts = emptyCounts();
  private records = 0;
  private pending: string[][] = [HEADER_ROW];
  private widths: number[] | null = null;
  private summaries: unknown[] = [];

  constructor(
    private readonly json: boolean,
    private readonly format: FormatName,
    detection: Detection,
  ) {
    if (json) this.out.write(`{\n  "format": ${JSON.stringify(format)},\n  "detection": ${nested(detection, "  ")},\n  "records": [`);
  }

  /** One run's records, their line numbers already the input's. */
  async add(records: readonly unknown[]): Promise<void> {
    if (this.format === "ss-summary" || this.format === "sockstat") this.summaries.push(...records);
    else for (const r of records as readonly ConnectionRecord[]) this.counts[r.state]++;
    if (this.json) this.jsonRecords(records);
    else if (this.format !== "ss-summary" && this.format !== "sockstat") for (const r of records as readonly ConnectionRecord[]) this.textRow(recordRow(r));
    await this.out.flush();
  }

  /** One run's records as the document's "records" array holds them: "[\n    {…},\n    {…}\n  ]" without its brackets. */
  private jsonRecords(records: readonly unknown[]): void {
    if (records.length === 0) return;
    const text = nested(records, "  ");
    this.out.write(`${this.records === 0 ? "" : ","}${text.slice(1, text.length - 4)}`);
    this.records += records.length;
  }

  private textRow(row: string[]): void {
    this.records++;
    if (this.widths !== null) {
      this.out.write(tableWith([row], this.widths) + "\n");
      return;
    }
    this.pending.push(row);
    if (this.pending.length > TEXT_BATCH) this.flushPending();
  }

  private flushPending(): void {
    const widths: number[] = [];
    for (const row of this.pending) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
    this.widths = widths;
    this.out.write(tableWith(this.pending, widths) + "\n");
    this.pending = [];
  }

  async finish(tally: ChunkTally, detection: Detection): Promise<void> {
    const summary = this.format === "ss-summary" || this.format === "sockstat";
    if (this.json) {
      const counts = summary ? null : this.counts;
      const diagnostics = tally.diagnostics.length === 0 ? "[]" : nested(tally.diagnostics, "  ");
      this.out.write(`${this.records > 0 ? "\n  ]" : "]"},\n  "counts": ${nested(counts, "  ")},\n  "diagnostics": ${diagnostics},\n`);
      if (tally.omittedDiagnostics > 0) this.out.write(`  "diagnosticsOmitted": ${tally.omittedDiagnostics},\n`);
      this.out.write(`  "lines": ${nested(tally.account, "  ")},\n  "skipped": ${nested(tally.skipped(), "  ")}\n}\n`);
    } else {
      const out: string[] = [];
      if (summary) {
        for (const record of this.summaries) out.push(JSON.stringify(record, null, 2));
      } else {
        if (this.widths === null) this.flushPending();
        const c = this.counts;
        out.push("", table([["STATE", "COUNT"], ...STATES.filter((s) => c[s] > 0).map((s) => [s, String(c[s])]), ["total", String(this.records)]]));
      }
      out.push("", `format: ${this.format} (${detection.reason})`);
      this.out.write(out.join("\n") + "\n");
    }
    await this.out.flush(true);
  }
}

/**
 * A full parse in bounded memory: the input is read in runs of whole lines; ss and /proc
 * listings are parsed run by run and their records written as they come; the other formats
 * (whose parsers carry sections and columns from line to line) are read whole, within
 * INPUT_LIMITS.wholeListingBytes.
 */
async function parseListing(file: string, opts: { format: string; state?: TcpState; json: boolean; strict: boolean }): Promise<void> {
  const reader = await LineReader.open(file, { maxBytes: INPUT_LIMITS.listingBytes, what: "a listing" });
  try {
    const source = reader.source;
    const detection: Detection =
      opts.format !== "auto" ? { format: opts.format as FormatName, reason: "given by the caller" } : detectFormat(await reader.sample(SAMPLE_BYTES));
    const format = detection.format;
    if (format === null) throw new UserError(`${source}: cannot tell which tool printed this: ${detection.reason}; pass --format`);
    const parseOpts = { source, format, ...(opts.state !== undefined ? { state: opts.state } : {}) };
    const tally = new ChunkTally(source);
    const sink = new Sink(opts.json, format, detection);
    if (STREAMED.has(format)) {
      for (let run = await reader.next(); run !== null; run = await reader.next()) {
        const r = parseAuto(run.toString("utf8"), parseOpts);
        const before = tally.add(r);
        await sink.add(before === 0 ? r.records : r.records.map((record) => ({ ...record, line: record.line + before })));
      }
    } else {
      const what = `a ${format} listing (read whole: its parser carries sections and columns from line to line)`;
      const text = (await reader.rest(INPUT_LIMITS.wholeListingBytes, what)).toString("utf8");
      const r = parseAuto(text, parseOpts);
      tally.add(r);
      await sink.add(r.records);
    }
    await sink.finish(tally, detection);
    tally.finish(opts.json);
    if (opts.strict && tally.account.rejected > 0) process.exitCode = 1;
  } finally {
    await reader.close();
  }
}

export function registerParse(program: Command): void {
  program
    .command("parse")
    .description("parse saved ss, netstat (Linux, BSD, Windows), /proc/net/tcp, ss -s or sockstat output")
    .argument("[file]", 'the listing to read; "-" or nothing reads standard input', "-")
    .option("--format <format>", `one of ${FORMATS.join(", ")}`, "auto")
    .option("--state <state>", "the state of every line when ss printed no State column (ss … state time-wait)")
    .option("--json", "print JSON (docs/parse-json.md): { format, detection, records, counts, diagnostics, lines, skipped }; with --counts-only { format, detection, countedBy, counts, total, diagnostics, lines, skipped }")
    .option("--strict", "exit 1 when any line could not be parsed")
    .option("--counts-only", "print only the sockets per state, the total and the diagnostics; ss listings take the fast path (no records built)")
    .action(async (file: string, opts: ParseCommandOptions) => {
      const format = choiceOption("--format", opts.format, FORMATS);
      let state;
      if (opts.state !== undefined) {
        state = stateFromName(opts.state);
        if (state === undefined) throw new UserError(`--state: expected a TCP state (e.g. TIME_WAIT, time-wait, ESTAB), got "${opts.state}"`);
      }
      if (opts.countsOnly) {
        await countsOnly(file, { format, ...(state !== undefined ? { state } : {}), ...(opts.json ? { json: true } : {}), ...(opts.strict ? { strict: true } : {}) });
        return;
      }
      await parseListing(file, { format, ...(state !== undefined ? { state } : {}), json: opts.json === true, strict: opts.strict === true });
    });
}
