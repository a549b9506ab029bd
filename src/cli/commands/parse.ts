/**
 * `tcp-lifecycle parse [file|-]`: read a saved ss / netstat / /proc / sockstat listing and
 * print its sockets, the counts by state, the detected format and the diagnostics.
 * `--counts-only` prints the counts alone, by the counting fast path for ss (parse-counts.ts).
 * The JSON output is documented in docs/parse-json.md.
 */
import type { Command } from "commander";
import { STATES } from "../../fsm/states.js";
import { formatAddress } from "../../parse/address.js";
import { countByState } from "../../parse/count.js";
import { parseAuto, type AutoParseResult } from "../../parse/detect.js";
import { stateFromName } from "../../parse/state-names.js";
import type { ConnectionRecord, FormatName } from "../../parse/types.js";
import { UserError, choiceOption } from "../errors.js";
import { countsOnly } from "./parse-counts.js";
import { printDiagnostics, readInput, table } from "./parse-io.js";

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
    .action((file: string, opts: ParseCommandOptions) => {
      const format = choiceOption("--format", opts.format, FORMATS);
      let state;
      if (opts.state !== undefined) {
        state = stateFromName(opts.state);
        if (state === undefined) throw new UserError(`--state: expected a TCP state (e.g. TIME_WAIT, time-wait, ESTAB), got "${opts.state}"`);
      }
      if (opts.countsOnly) {
        countsOnly(file, { format, ...(state !== undefined ? { state } : {}), ...(opts.json ? { json: true } : {}), ...(opts.strict ? { strict: true } : {}) });
        return;
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
