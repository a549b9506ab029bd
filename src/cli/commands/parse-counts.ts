/**
 * `tcp-lifecycle parse --counts-only`: the sockets per state, the total and the diagnostics,
 * without building a record per socket. ss listings go through the counting fast path
 * (countStatesSsFile for a file, countStatesSs for standard input). By default it trusts a
 * row whose State is a known spelling followed by Recv-Q, as the lesson's pipeline trusts
 * its first column; with --strict it checks every row as the full parser does, so the
 * answer equals `parse` exactly and a rejected line means exit 1. The other connection
 * formats are counted by their full parser, and the output says so. ss -s and sockstat print
 * totals, not sockets: a user error.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { STATES, type TcpState } from "../../fsm/states.js";
import { countStatesSsFile } from "../../monitor/count-file.js";
import { countByState } from "../../parse/count.js";
import { detectFormat, parseAuto, type Detection } from "../../parse/detect.js";
import { countStatesSs, type StateCountResult } from "../../parse/ss.js";
import type { FormatName } from "../../parse/types.js";
import { UserError } from "../errors.js";
import { fileError, printDiagnostics, readInputBytes, table } from "./parse-io.js";

/** Enough lines for detectFormat, which samples the first lines of the input. */
const SAMPLE_BYTES = 64 << 10;

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
}

/** The first SAMPLE_BYTES of a file, cut after its last complete line. */
function fileSample(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw fileError(file, err);
  }
  try {
    const buffer = Buffer.alloc(SAMPLE_BYTES);
    const n = readSync(fd, buffer, 0, SAMPLE_BYTES, 0);
    const cut = n === SAMPLE_BYTES ? buffer.lastIndexOf(10, n - 1) + 1 : n;
    return buffer.toString("utf8", 0, cut > 0 ? cut : n);
  } catch (err) {
    throw fileError(file, err);
  } finally {
    closeSync(fd);
  }
}

function count(file: string, opts: CountsOnlyOptions): Counted {
  const fromStdin = file === "-";
  // Standard input can only be read once: read it whole; a file is sampled, then streamed.
  const input = fromStdin ? readInputBytes(file) : null;
  const source = input?.source ?? file;
  const detection: Detection =
    opts.format !== "auto"
      ? { format: opts.format as FormatName, reason: "given by the caller" }
      : detectFormat(input ? input.bytes.toString("utf8", 0, Math.min(input.bytes.length, SAMPLE_BYTES)) : fileSample(file));
  const format = detection.format;
  if (format === null) throw new UserError(`${source}: cannot tell which tool printed this: ${detection.reason}; pass --format`);
  if (format === "ss-summary" || format === "sockstat") {
    throw new UserError(`${source}: --counts-only counts sockets, and ${format} output has totals, not sockets; run parse without --counts-only`);
  }
  const state = opts.state !== undefined ? { state: opts.state } : {};
  if (format === "ss") {
    const check = opts.strict ? "row" : "state";
    if (input) {
      return { format, detection, countedBy: "fast path", check, ...countStatesSs(input.bytes, { source, check, ...state }) };
    }
    let r;
    try {
      r = countStatesSsFile(file, { check, ...state });
    } catch (err) {
      throw fileError(file, err);
    }
    const { bytes: _bytes, ...counted } = r;
    return { format, detection, countedBy: "fast path", check, ...counted };
  }
  const { bytes } = input ?? readInputBytes(file);
  const r = parseAuto(bytes.toString("utf8"), { source, format, ...state });
  if (r.format === null || r.format === "ss-summary" || r.format === "sockstat") throw new Error(`parseAuto gave ${r.format} for ${format}`);
  return { format, detection, countedBy: "parser", counts: countByState(r.records), total: r.records.length, diagnostics: r.diagnostics, lines: r.lines, skipped: r.skipped };
}

function countedByText(c: Counted): string {
  return c.countedBy === "fast path"
    ? c.check === "row"
      ? "counted by: the ss fast path (no records built), every row checked as parse checks it (--strict)"
      : "counted by: the ss fast path (no records built), trusting rows by their State column (--strict checks every column)"
    : `counted by: the full ${c.format} parser (the fast path reads ss listings only)`;
}

export function countsOnly(file: string, opts: CountsOnlyOptions): void {
  const c = count(file, opts);
  if (opts.json) {
    const { format, detection, countedBy, check, counts, total, diagnostics, lines, skipped } = c;
    process.stdout.write(JSON.stringify({ format, detection, countedBy, ...(check ? { check } : {}), counts, total, diagnostics, lines, skipped }, null, 2) + "\n");
  } else {
    const rows = [["STATE", "COUNT"], ...STATES.map((s) => [s, String(c.counts[s])]), ["total", String(c.total)]];
    const out = [table(rows), "", `format: ${c.format} (${c.detection.reason})`, countedByText(c)];
    process.stdout.write(out.join("\n") + "\n");
  }
  printDiagnostics(c, file === "-" ? "<stdin>" : file);
  if (opts.strict && c.lines.rejected > 0) process.exitCode = 1;
}
