/**
 * Linux net-tools `netstat -ant` and its variants: -p (PID/Program name, "-" when the
 * process is not ours to see), -o (Timer: `timewait (59.12/0/0)`), -e (User, Inode).
 *
 *   Active Internet connections (servers and established)
 *   Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name     Timer
 *   tcp        0      0 127.0.0.1:32953         0.0.0.0:*               LISTEN      7922/node            off (0.00/0/0)
 *
 * Rows of other protocols and other sections (UNIX domain sockets) are skipped and counted.
 */
import { colonAddress } from "./address.js";
import { Cursor, LineBook, decimal, isBlank, type ParseOptions } from "./lines.js";
import { readNetstatRow, type NetstatRowSpec } from "./netstat-row.js";
import { parseNetstatTimer } from "./timer.js";
import type { ConnectionRecord, SocketProcess, TextParseResult } from "./types.js";

const ROW: NetstatRowSpec = { tool: "netstat-linux", address: colonAddress, queues: true };

interface Columns {
  user: boolean;
  pid: boolean;
  timer: boolean;
}

const NOT_TCP_PROTOS = /^(udp|udp6|udpl|udpl6|raw|raw6|unix|ipx|ax25|netrom|rose|x25|ddp|bluetooth|l2cap|rfcomm)$/;

/** "7922/node" → the process; "-" → none; anything else is not a PID/Program field. */
export function pidProgram(text: string): SocketProcess | null | undefined {
  if (text === "-") return null;
  const slash = text.indexOf("/");
  if (slash <= 0) return undefined;
  const pid = decimal(text.slice(0, slash));
  if (pid === undefined) return undefined;
  const name = text.slice(slash + 1);
  return name === "" ? { pid } : { name, pid };
}

export function parseNetstatLinux(text: string, opts: ParseOptions = {}): TextParseResult<ConnectionRecord> {
  const book = new LineBook<ConnectionRecord>(opts.source);
  let columns: Columns | null = null;
  let otherSection: string | null = null;
  book.walk(text, (line, lineNo) => {
    if (isBlank(line)) return book.blankLine();
    if (line.startsWith("Active ")) {
      otherSection = /^Active Internet connections/.test(line) ? null : line.trim();
      return book.headerLine();
    }
    if (otherSection !== null) {
      if (line.startsWith("Proto ")) return book.headerLine();
      return book.skip(lineNo, `section "${otherSection}" is not TCP`);
    }
    const c = new Cursor(line);
    const proto = c.next() ?? "";
    if (proto === "Proto") {
      columns = { user: line.includes(" User "), pid: line.includes("PID/Program"), timer: /\bTimer\s*$/.test(line) };
      return book.headerLine();
    }
    if (proto !== "tcp" && proto !== "tcp6") {
      if (NOT_TCP_PROTOS.test(proto)) return book.skip(lineNo, `Proto "${proto}" is not TCP`);
      return book.reject(lineNo, line, `expected Proto tcp or tcp6 at the start, got "${proto}"`);
    }
    const row = readNetstatRow(c, lineNo, ROW);
    if (typeof row === "string") return book.reject(lineNo, line, row);
    const record = row;
    record.proto = proto;
    const tail: string[] = [];
    for (let t = c.next(); t !== undefined; t = c.next()) tail.push(t);
    // Listings get concatenated: the timer is recognised by its shape, whatever the header said.
    const hasTimer = tail.length >= 2 && /^\(.*\)$/.test(tail[tail.length - 1] ?? "");
    const cols: Columns = columns ? { ...columns, timer: hasTimer } : {
      timer: hasTimer,
      user: tail.length >= 2 && decimal(tail[1] ?? "") !== undefined,
      pid: true,
    };
    if (cols.timer && tail.length >= 2) {
      const timerText = `${tail[tail.length - 2]} ${tail[tail.length - 1]}`;
      tail.length -= 2;
      const timer = parseNetstatTimer(timerText);
      if (typeof timer === "string") return book.reject(lineNo, line, timer);
      if (timer) record.timer = timer;
    }
    if (cols.user && tail.length >= 2) {
      const [user = "", inode = ""] = tail.splice(0, 2);
      const uid = decimal(user);
      if (uid !== undefined) record.uid = uid;
      const ino = decimal(inode);
      if (ino === undefined) return book.reject(lineNo, line, `Inode "${inode}" is not a number`);
      record.inode = ino;
    }
    if (tail.length > 0) {
      // A program name may contain spaces: everything left is the PID/Program name column.
      const process = pidProgram(tail.join(" "));
      if (process === undefined) {
        return book.reject(lineNo, line, `"${tail.join(" ")}" is not a PID/Program name (expected PID/name or "-")`);
      }
      if (process) record.processes = [process];
    }
    book.record(record);
  });
  return book.result("netstat-linux");
}
