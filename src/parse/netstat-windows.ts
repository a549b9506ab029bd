/**
 * Windows `netstat -ano` (and `-an`, without the PID column). CRLF line ends.
 *
 *   Active Connections
 *
 *     Proto  Local Address          Foreign Address        State           PID
 *     TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1044
 *     TCP    [::1]:9090             [::1]:50123            TIME_WAIT       0
 *     UDP    0.0.0.0:123            *:*                                    2216
 *
 * Windows prints no queues. LISTENING rows show a foreign 0.0.0.0:0 and TIME_WAIT rows
 * PID 0 (System owns them); both are kept as printed.
 */
import { colonAddress } from "./address.js";
import { Cursor, LineBook, decimal, isBlank, type ParseOptions } from "./lines.js";
import { readNetstatRow, type NetstatRowSpec } from "./netstat-row.js";
import type { ConnectionRecord, TextParseResult } from "./types.js";

const ROW: NetstatRowSpec = { tool: "netstat-windows", address: colonAddress, queues: false };

export function parseNetstatWindows(text: string, opts: ParseOptions = {}): TextParseResult<ConnectionRecord> {
  const book = new LineBook<ConnectionRecord>(opts.source);
  /** Whether the lines since the last TCP row were all its -b owner lines. */
  let underRow: "TCP" | "UDP" | null = null;
  book.walk(text, (line, lineNo) => {
    const wasUnderRow = underRow;
    underRow = null;
    visit(line, lineNo, wasUnderRow);
  });
  function visit(line: string, lineNo: number, lastRow: "TCP" | "UDP" | null): void {
    if (isBlank(line)) return book.blankLine();
    const c = new Cursor(line);
    const proto = c.next() ?? "";
    if (proto === "Active" || proto === "Proto") return book.headerLine();
    if (proto === "UDP") {
      underRow = "UDP";
      return book.skip(lineNo, 'Proto "UDP" is not TCP');
    }
    // netstat -b: the owner follows its row, as " ServiceName" and/or " [program.exe]".
    const last = book.records[book.records.length - 1];
    if (proto !== "TCP" && lastRow !== null) {
      const owner = /^\s*\[(.+)\]\s*$/.exec(line);
      if (owner && lastRow === "TCP" && last?.processes?.length === 1) {
        book.records[book.records.length - 1] = { ...last, processes: [{ ...last.processes[0]!, name: owner[1]! }] };
        underRow = lastRow;
        return book.skip(lineNo, "owner line (netstat -b) merged into the row above");
      }
      if (/^\s*(\[.+\]|\S+)\s*$/.test(line) || /^\s*Can ?not obtain ownership information/.test(line)) {
        underRow = lastRow;
        return book.skip(lineNo, "owner detail line (netstat -b) under the row above");
      }
    }
    if (proto !== "TCP") return book.reject(lineNo, line, `expected Proto TCP at the start, got "${proto}"`);
    const row = readNetstatRow(c, lineNo, ROW);
    if (typeof row === "string") return book.reject(lineNo, line, row);
    const record = row;
    record.proto = record.local.address.includes(":") ? "tcp6" : "tcp";
    const pidText = c.next();
    if (pidText !== undefined) {
      const pid = decimal(pidText);
      if (pid === undefined) return book.reject(lineNo, line, `PID "${pidText}" is not a number`);
      record.processes = [{ pid }];
    }
    if (!c.atEnd()) return book.reject(lineNo, line, `unexpected "${c.rest()}" after the PID`);
    book.record(record);
    underRow = "TCP";
  }
  return book.result("netstat-windows");
}
