/**
 * `tcp-lifecycle parse --counts-only`: the sockets per state, the total and the diagnostics,
 * without building a record per socket. ss listings go through the counting fast path
 * (countStatesSs on each run of lines LineReader reads, from a file or standard input). By default it trusts a
 * row whose State is a known spelling followed by Recv-Q, as the lesson's pipeline trusts
 * its first column; with --strict it checks every row as the full parser does, so the
 * answer equals `parse` exactly and a rejected line means exit 1. The other connection
 * formats are counted by their full parser, and the output says so. ss -s and sockstat print
 * totals, not sockets: a user error.
 */
import { STATES, type TcpState } from "../../fsm/states.js";
import { countByState, emptyCounts } from "../../parse/count.js";
import { detectFormat, parseAuto, type Detection } from "../../parse/detect.js";
import { countStatesSs, type StateCountResult } from "../../parse/ss.js";
import type { FormatName } from "../../parse/types.js";
import { UserError } from "../errors.js";
import { ChunkTally, INPUT_LIMITS, LineReader, SAMPLE_BYTES, table } from "./parse-io.js";

export interface CountsOnlyOptions {
  /** "auto" or a format name. */
  readonly format: string;
  readonly state?: TcpState;
  readonly json?: boolean;
  readonly strict?: boolean;
}

interface Counted extends StateCountResult {
  readonly format: FormatName;
  readonly detection: Detection;
  /** "fast path": countStatesSs; "parser": the format's full parser, then countByState. */
  readonly countedBy: "fast path" | "parser";
  /** For the fast path: how much of each row was checked (CountOptions["check"]). */
  readonly check?: "state" | "row";
  /** Diagnostics found but not kept for the JSON (all went to stderr). */
  readonly omitted: number;
}

/**
 * A file or standard input alike, in runs of whole lines through LineReader (bounded: see
 * INPUT_LIMITS); each run of an ss listing goes to countStatesSs on its bytes, and the runs'
 * line numbers, skips and diagnostics are merged by ChunkTally. Diagnostics reach stderr as
 * they are found.
 */
async function count(reader: LineReader, opts: CountsOnlyOptions): Promise<Counted> {
  const source = reader.source;
  const detection: Detection =
    opts.format !== "auto" ? { format: opts.format as FormatName, reason: "given by the caller" } : detectFormat(await reader.sample(SAMPLE_BYTES));
  const format = detection.format;
  if (format === null) throw new UserError(`${source}: cannot tell which tool printed this: ${detection.reason}; pass --format`);
  if (format === "ss-summary" || format === "sockstat") {
    throw new UserError(`${source}: --counts-only counts sockets, and ${format} output has totals, not sockets; run parse without --counts-only`);
  }
  const state = opts.state !== undefined ? { state: opts.state } : {};
  const tally = new ChunkTally(source);
  if (format === "ss") {
    const check = opts.strict ? "row" : "state";
    const counts = emptyCounts();
    let total = 0;
    for (let run = await reader.next(); run !== null; run = await reader.next()) {
      const r = countStatesSs(run, { source, check, ...state });
      tally.add(r);
      for (const s of STATES) counts[s] += r.counts[s];
      total += r.total;
    }
    tally.finish(opts.json === true);
    return { format, detection, countedBy: "fast path", check, counts, total, ...kept(tally) };
  }
  const what = `a ${format} listing (read whole: its parser carries sections and columns from line to line)`;
  const text = (await reader.rest(INPUT_LIMITS.wholeListingBytes, what)).toString("utf8");
  const r = parseAuto(text, { source, format, ...state });
  if (r.format === null || r.format === "ss-summary" || r.format === "sockstat") throw new Error(`parseAuto gave ${r.format} for ${format}`);
  tally.add(r);
  tally.finish(opts.json === true);
  return { format, detection, countedBy: "parser", counts: countByState(r.records), total: r.records.length, ...kept(tally) };
}

function kept(tally: ChunkTally): Pick<Counted, "diagnostics" | "lines" | "skipped" | "omitted"> {
  return { diagnostics: tally.diagnostics, lines: { ...tally.account }, skipped: tally.skipped(), omitted: tally.omittedDiagnostics };
}

function countedByText(c: Counted): string {
  return c.countedBy === "fast path"
    ? c.check === "row"
      ? "counted by: the ss fast path (no records built), every row checked as parse checks it (--strict)"
      : "counted by: the ss fast path (no records built), trusting rows by their State column (--strict checks every column)"
    : `counted by: the full ${c.format} parser (the fast path reads ss listings only)`;
}

export async function countsOnly(file: string, opts: CountsOnlyOptions): Promise<void> {
  const reader = await LineReader.open(file, { maxBytes: INPUT_LIMITS.listingBytes, what: "a listing" });
  let c: Counted;
  try {
    c = await count(reader, opts);
  } finally {
    await reader.close();
  }
  if (opts.json) {
    const { format, detection, countedBy, check, counts, total, diagnostics, lines, skipped, omitted } = c;
    const doc = { format, detection, countedBy, ...(check ? { check } : {}), counts, total, diagnostics, ...(omitted > 0 ? { diagnosticsOmitted: omitted } : {}), lines, skipped };
    process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
  } else {
    const rows = [["STATE", "COUNT"], ...STATES.map((s) => [s, String(c.counts[s])]), ["total", String(c.total)]];
    const out = [table(rows), "", `format: ${c.format} (${c.detection.reason})`, countedByText(c)];
    process.stdout.write(out.join("\n") + "\n");
  }
  if (opts.strict && c.lines.rejected > 0) process.exitCode = 1;
}
