/**
 * /proc/net/tcp and /proc/net/tcp6 (net/ipv4/tcp_ipv4.c get_tcp4_sock, get_openreq4,
 * get_timewait4_sock; net/ipv6/tcp_ipv6.c). One line per socket:
 *
 *   sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
 *
 * Addresses and ports are hex (see address.ts for the byte order), tm->when is in USER_HZ
 * ticks, uid/timeout/inode are decimal. Both files may be concatenated in one input.
 *
 * Every line first tries the fixed-layout reader in proc-fast.ts (the kernel's own printf
 * layout, read in place with no split or regex); a line it does not recognise goes to the
 * careful reader below, which names what is wrong. Both build identical records.
 */
import { procAddress } from "./address.js";
import { Cursor, LineBook, decimal, hex, isBlank, type ParseOptions } from "./lines.js";
import { ProcFastReader, type ProcRecord } from "./proc-fast.js";
import { expectedStates, stateTable } from "./state-names.js";
import { procTimer } from "./timer.js";
import type { ConnectionRecord, TextParseResult } from "./types.js";

export interface ProcOptions extends ParseOptions {
  /** 4 for /proc/net/tcp, 6 for tcp6. Each line's address length says it anyway; a mismatch is reported. */
  readonly family?: 4 | 6;
  /** Clock ticks per second for tm->when (`getconf CLK_TCK`); 100 on Linux. */
  readonly userHz?: number;
  /** False for a big-endian machine's /proc (addresses then read in network order). */
  readonly littleEndian?: boolean;
}

const PROC_STATES = stateTable("proc");

/** A "HEX:HEX" pair such as tx_queue:rx_queue or tr:tm->when. tm->when may be negative (all Fs, 16 digits). */
function hexPair(text: string): [number, number] | undefined {
  const colon = text.indexOf(":");
  if (colon === -1) return undefined;
  const a = hex(text.slice(0, colon));
  const rawB = text.slice(colon + 1);
  // A 64-bit kernel prints a negative long as 16 hex digits; that is an expired timer, i.e. 0.
  const negative = rawB.length === 16 && /^[89a-fA-F]/.test(rawB);
  const b = negative ? 0 : hex(rawB.length > 8 ? rawB.replace(/^0+(?=.)/, "") : rawB);
  if (a === undefined || b === undefined) return undefined;
  return [a, b];
}

/** The careful reader for one line: a record, or a diagnostic naming the field that is wrong. */
function readCarefully(book: LineBook<ConnectionRecord>, line: string, lineNo: number, opts: ProcOptions, userHz: number, littleEndian: boolean): void {
  if (isBlank(line)) return book.blankLine();
  const c = new Cursor(line);
  const sl = c.next() ?? "";
  if (sl === "sl") return book.headerLine();
  if (!sl.endsWith(":") || decimal(sl.slice(0, -1)) === undefined) {
    return book.reject(lineNo, line, `expected a slot number "N:" at the start, got "${sl}"`);
  }
  const localText = c.next() ?? "";
  const remoteText = c.next() ?? "";
  const st = c.next() ?? "";
  const queues = hexPair(c.next() ?? "");
  const timer = hexPair(c.next() ?? "");
  const retransmits = hex(c.next() ?? "");
  const uid = decimal(c.next() ?? "");
  const probes = decimal(c.next() ?? "");
  const inodeText = c.next() ?? "";
  const inode = decimal(inodeText);
  const local = procAddress(localText, littleEndian);
  if (typeof local === "string") return book.reject(lineNo, line, `local_address: ${local}`);
  const remote = procAddress(remoteText, littleEndian);
  if (typeof remote === "string") return book.reject(lineNo, line, `rem_address: ${remote}`);
  const state = PROC_STATES.get(st.toUpperCase());
  if (state === undefined) return book.reject(lineNo, line, `unknown st "${st}" (expected one of ${expectedStates("proc")})`);
  if (queues === undefined) return book.reject(lineNo, line, "expected tx_queue:rx_queue in hex after st");
  if (timer === undefined) return book.reject(lineNo, line, "expected tr:tm->when in hex after the queues");
  if (retransmits === undefined || uid === undefined || probes === undefined || inode === undefined) {
    return book.reject(lineNo, line, "expected retrnsmt (hex), uid, timeout and inode (decimal) after tr:tm->when");
  }
  const family = localText.indexOf(":") === 8 ? 4 : 6;
  if (opts.family !== undefined && opts.family !== family) {
    book.warn(`an IPv${family} socket in a /proc/net/tcp${opts.family === 6 ? "6" : ""} listing`, lineNo, line);
  }
  const record: ProcRecord = {
    line: lineNo,
    state,
    local,
    remote,
    // For a listener the kernel puts the accept-queue length in rx_queue, as ss does in Recv-Q.
    recvQ: queues[1],
    sendQ: queues[0],
    uid,
    inode,
    proto: family === 4 ? "tcp" : "tcp6",
  };
  const t = procTimer(timer[0], timer[1], retransmits, probes, userHz);
  if (t) record.timer = t;
  book.record(record);
}

/**
 * The careful reader alone, for every line: what parseProcNetTcp gives for lines outside the
 * kernel's layout. Exported for the tests that hold the two readers to the same records.
 */
export function parseProcNetTcpCarefully(text: string, opts: ProcOptions = {}): TextParseResult<ConnectionRecord> {
  const book = new LineBook<ConnectionRecord>(opts.source);
  const userHz = opts.userHz ?? 100;
  const littleEndian = opts.littleEndian ?? true;
  book.walk(text, (line, lineNo) => readCarefully(book, line, lineNo, opts, userHz, littleEndian));
  return book.result("proc");
}

export function parseProcNetTcp(text: string, opts: ProcOptions = {}): TextParseResult<ConnectionRecord> {
  const book = new LineBook<ConnectionRecord>(opts.source);
  const userHz = opts.userHz ?? 100;
  const littleEndian = opts.littleEndian ?? true;
  const fast = new ProcFastReader(userHz, littleEndian);
  book.walkSpans(text, (start, stop, lineNo) => {
    const record = fast.read(text, start, stop, lineNo);
    if (record === null) return readCarefully(book, text.slice(start, stop), lineNo, opts, userHz, littleEndian);
    if (opts.family !== undefined && opts.family !== (record.proto === "tcp" ? 4 : 6)) {
      book.warn(`an IPv${record.proto === "tcp" ? 4 : 6} socket in a /proc/net/tcp${opts.family === 6 ? "6" : ""} listing`, lineNo, text.slice(start, stop));
    }
    book.record(record);
  });
  return book.result("proc");
}
