/**
 * macOS / FreeBSD / OpenBSD `netstat -an -p tcp`: the port follows a DOT.
 *
 *   Active Internet connections (including servers)
 *   Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
 *   tcp4       0      0  127.0.0.1.8080         127.0.0.1.52345        ESTABLISHED
 *   tcp46      0      0  *.443                  *.*                    LISTEN
 *
 * Proto is tcp4, tcp6, tcp46 (macOS, FreeBSD) or tcp (OpenBSD). macOS `-v` adds columns
 * after the state; a "pid" or "process:pid" column there gives the process.
 */
import { dotAddress } from "./address.js";
import { Cursor, LineBook, decimal, isBlank, type ParseOptions } from "./lines.js";
import { readNetstatRow, type NetstatRowSpec } from "./netstat-row.js";
import type { ConnectionRecord, TextParseResult } from "./types.js";

const ROW: NetstatRowSpec = { tool: "netstat-bsd", address: dotAddress, queues: true };
const TCP_PROTOS = new Set(["tcp", "tcp4", "tcp6", "tcp46"]);
const NOT_TCP_PROTOS = /^(udp|udp4|udp6|udp46|icm4|icm6|icmp|icmp6|raw|raw4|raw6|divert|sctp|sctp4|sctp6|unix)$/;

export function parseNetstatBsd(text: string, opts: ParseOptions = {}): TextParseResult<ConnectionRecord> {
  const book = new LineBook<ConnectionRecord>(opts.source);
  let otherSection: string | null = null;
  /** Index (among the columns after the state) of macOS -v's "pid" or "process:pid" column. */
  let pidColumn = -1;
  book.walk(text, (line, lineNo) => {
    if (isBlank(line)) return book.blankLine();
    if (line.startsWith("Active ")) {
      otherSection = /^Active Internet(v6)? connections/.test(line) ? null : line.trim();
      return book.headerLine();
    }
    if (otherSection !== null) {
      return /^(Address|Proto|Id|Kctl|Flags)\b/.test(line) ? book.headerLine() : book.skip(lineNo, `section "${otherSection}" is not TCP`);
    }
    const c = new Cursor(line);
    const proto = c.next() ?? "";
    if (proto === "Proto") {
      const names = line.replace(/Local Address|Foreign Address|\(state\)|TCP-State/g, (m) => m.replace(/\s/g, "_")).trim().split(/\s+/);
      const stateAt = names.findIndex((n) => n === "(state)" || n === "TCP-State");
      const after = stateAt === -1 ? [] : names.slice(stateAt + 1);
      pidColumn = after.findIndex((n) => n === "pid" || n === "process:pid");
      return book.headerLine();
    }
    if (!TCP_PROTOS.has(proto)) {
      if (NOT_TCP_PROTOS.test(proto)) return book.skip(lineNo, `Proto "${proto}" is not TCP`);
      return book.reject(lineNo, line, `expected Proto tcp4, tcp6, tcp46 or tcp at the start, got "${proto}"`);
    }
    const row = readNetstatRow(c, lineNo, ROW);
    if (typeof row === "string") return book.reject(lineNo, line, row);
    const record = row;
    record.proto = proto;
    if (pidColumn !== -1) {
      const after: string[] = [];
      for (let t = c.next(); t !== undefined; t = c.next()) after.push(t);
      const cell = after[pidColumn] ?? "";
      const colon = cell.lastIndexOf(":");
      const pid = decimal(cell.slice(colon + 1));
      if (pid !== undefined) record.processes = [colon > 0 ? { name: cell.slice(0, colon), pid } : { pid }];
      else book.warn(`pid column "${cell}" is not a number; the socket is kept without it`, lineNo, line);
    }
    book.record(record);
  });
  return book.result("netstat-bsd");
}
