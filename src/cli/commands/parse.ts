/**
 * `tcp-lifecycle parse [file|-]`: read a saved ss / netstat / /proc / sockstat listing and
 * print its sockets, the counts by state, the detected format and the diagnostics.
 * The JSON output is documented in docs/parse-json.md.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { STATES } from "../../fsm/states.js";
import { formatAddress } from "../../parse/address.js";
import { countByState } from "../../parse/count.js";
import { parseAuto, type AutoParseResult } from "../../parse/detect.js";
import { stateFromName } from "../../parse/state-names.js";
import type { ConnectionRecord, Diagnostic, FormatName } from "../../parse/types.js";
import { UserError, choiceOption } from "../errors.js";

const FORMATS = ["auto", "ss", "ss-summary", "proc", "sockstat", "netstat-linux", "netstat-bsd", "netstat-windows"] as const;

interface ParseCommandOptions {
  format: string;
  json?: boolean;
  state?: string;
  strict?: boolean;
}

function readInput(file: string): { text: string; source: string } {
  if (file === "-") {
    try {
      return { text: readFileSync(0, "utf8"), source: "<stdin>" };
    } catch (err) {
      throw new UserError(`<stdin>: cannot read standard input (${(err as Error).message})`);
    }
  }
  try {
    return { text: readFileSync(file, "utf8"), source: file };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UserError(`${file}: no such file`);
    if (code === "EISDIR") throw new UserError(`${file}: is a directory, expected a file`);
    throw new UserError(`${file}: cannot read (${code ?? (err as Error).message})`);
  }
}

function where(d: Diagnostic, source: string): string {
  const file = d.source ?? source;
  if (d.line !== undefined) return `${file}:${d.line}`;
  if (d.offset !== undefined) return `${file}@${d.offset}`;
  return file;
}

function timerText(r: ConnectionRecord): string {
  if (!r.timer) return "";
  const left = r.timer.remaining !== undefined ? `,${r.timer.remaining}s` : "";
  return `${r.timer.kind}${left}`;
}

function processText(r: ConnectionRecord): string {
  return (r.processes ?? []).map((p) => `${p.name ?? "?"}/${p.pid}${p.fd !== undefined ? `:${p.fd}` : ""}`).join(",");
}

/** A plain aligned table; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ").trimEnd())
    .join("\n");
}

function connectionTable(records: readonly ConnectionRecord[]): string {
  const rows: string[][] = [["LINE", "STATE", "LOCAL", "REMOTE", "RECV-Q", "SEND-Q", "TIMER", "PROCESS"]];
  for (const r of records) {
    rows.push([
      String(r.line),
      r.state,
      formatAddress(r.local),
      formatAddress(r.remote),
      r.recvQ === undefined ? "" : String(r.recvQ),
      r.sendQ === undefined ? "" : String(r.sendQ),
      timerText(r),
      processText(r),
    ]);
  }
  return table(rows);
}

function counts(result: AutoParseResult): Record<string, number> | null {
  if (result.format === null || result.format === "ss-summary" || result.format === "sockstat") return null;
  return countByState(result.records);
}

function printText(result: AutoParseResult): void {
  const out: string[] = [];
  if (result.format === "ss-summary" || result.format === "sockstat") {
    for (const record of result.records) out.push(JSON.stringify(record, null, 2));
  } else if (result.format !== null) {
    out.push(connectionTable(result.records), "");
    const c = countByState(result.records);
    out.push(table([["STATE", "COUNT"], ...STATES.filter((s) => c[s] > 0).map((s) => [s, String(c[s])]), ["total", String(result.records.length)]]));
  }
  out.push("", `format: ${result.format ?? "unknown"} (${result.detection.reason})`);
  process.stdout.write(out.join("\n") + "\n");
}

function printDiagnostics(result: AutoParseResult, source: string): void {
  const err: string[] = [];
  for (const d of result.diagnostics) {
    err.push(`${where(d, source)}: ${d.reason}`);
    if (d.text !== undefined) err.push(`    ${d.text}`);
  }
  for (const s of result.skipped) {
    err.push(`${source}: skipped ${s.count} line(s) from line ${s.firstLine}: ${s.reason}`);
  }
  if (err.length > 0) process.stderr.write(err.join("\n") + "\n");
}

export function registerParse(program: Command): void {
  program
    .command("parse")
    .description("parse saved ss, netstat (Linux, BSD, Windows), /proc/net/tcp, ss -s or sockstat output")
    .argument("[file]", 'the listing to read; "-" or nothing reads standard input', "-")
    .option("--format <format>", `one of ${FORMATS.join(", ")}`, "auto")
    .option("--state <state>", "the state of every line when ss printed no State column (ss … state time-wait)")
    .option("--json", "print { format, detection, records, counts, diagnostics, lines, skipped } (docs/parse-json.md)")
    .option("--strict", "exit 1 when any line could not be parsed")
    .action((file: string, opts: ParseCommandOptions) => {
      const format = choiceOption("--format", opts.format, FORMATS);
      let state;
      if (opts.state !== undefined) {
        state = stateFromName(opts.state);
        if (state === undefined) throw new UserError(`--state: expected a TCP state (e.g. TIME_WAIT, time-wait, ESTAB), got "${opts.state}"`);
      }
      const { text, source } = readInput(file);
      const result = parseAuto(text, {
        source,
        ...(state !== undefined ? { state } : {}),
        ...(format !== "auto" ? { format: format as FormatName } : {}),
      });
      if (result.format === null) {
        throw new UserError(`${source}: cannot tell which tool printed this: ${result.detection.reason}; pass --format`);
      }
      if (opts.json) {
        const { format: f, detection, records, diagnostics, lines, skipped } = result;
        const json = { format: f, detection, records, counts: counts(result), diagnostics, lines, skipped };
        process.stdout.write(JSON.stringify(json, null, 2) + "\n");
      } else {
        printText(result);
      }
      printDiagnostics(result, source);
      if (opts.strict && result.lines.rejected > 0) process.exitCode = 1;
    });
}
