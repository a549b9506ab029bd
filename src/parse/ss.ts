/**
 * iproute2 `ss` listings: `ss -tan` and its variants (-H, -p, -o, -e, -m, -i, a Netid column
 * when several tables are shown, no State column when filtered to one state).
 *
 * The layout is recognised line by line, not from the header, because -H drops the header
 * and the Process column's header comes and goes between iproute2 versions (always in
 * 5.5–6.7, only with -p from 6.8).
 */
import type { TcpState } from "../fsm/states.js";
import { STATES } from "../fsm/states.js";
import { emptyCounts, type StateCounts } from "./count.js";
import { colonAddress } from "./address.js";
import { Cursor, LineBook, decimal, isBlank, loneCrToLf, loneCrToLfBytes, type ParseOptions } from "./lines.js";
import { expectedStates, stateFromTool, stateTable } from "./state-names.js";
import { fastSsRow, vouchSsRow, vouchSsRowBytes } from "./ss-fast.js";
import { parseSsTimer } from "./timer.js";
import type { ConnectionRecord, Diagnostic, LineAccount, SkippedLines, SocketProcess, SocketTimer, TextParseResult } from "./types.js";

export interface SsOptions extends ParseOptions {
  /** The state of every line when the State column is absent (`ss -tan state time-wait`). */
  readonly state?: TcpState;
}

export interface CountOptions extends SsOptions {
  /**
   * How much of a row the counting fast path checks before it counts the row in place.
   * - "state" (default): a known State spelling followed by Recv-Q, as the lesson's
   *   `awk '{print $1}'` pipeline trusts its first column, but with ss's real spellings.
   *   This is what makes counting a million lines several times faster than the pipeline.
   *   A row with a known state and garbled later columns is counted, where parseSs would
   *   reject it.
   * - "row": the whole row, as parseSs reads it, so the counts, line account and
   *   diagnostics equal parseSs + countByState exactly, at about a third of the speed.
   * Lines the fast path does not count go to parseSs's careful reader in both modes.
   */
  readonly check?: "state" | "row";
}

/** ss's Netid column values (misc/ss.c); only "tcp" rows are TCP connections. */
const NETIDS = new Set([
  "tcp", "udp", "raw", "mptcp", "sctp", "dccp", "tipc", "vsock", "xdp",
  "u_str", "u_dgr", "u_seq", "u_sq", "nl", "p_raw", "p_dgr", "v_str", "v_dgr", "v_seq", "???",
]);

const HEADER_FIRST_WORDS = new Set(["State", "Netid", "Recv-Q"]);

const SS_STATES = stateTable("ss");

export const STATELESS_REASON =
  'no State column (the output was filtered to one state, e.g. "ss -tan state time-wait"): pass that state (--state) to read these lines';

/** ss's header, whole: its column names and nothing else (iproute2 5.x-6.x, with or without Netid, State, Process). */
const HEADER_LINE = /^\s*(Netid\s+)?(State\s+)?Recv-Q\s+Send-Q\s+Local\s+Address:Port\s+Peer\s+Address:Port(\s+Process)?\s*$/;

function isHeader(first: string, line: string): boolean {
  return HEADER_FIRST_WORDS.has(first) && HEADER_LINE.test(line);
}

/** Whether a token looks like a state spelling (capitals and dashes/underscores) rather than garbage. */
function looksLikeStateWord(token: string): boolean {
  return /^[A-Z][A-Z0-9_-]*$/.test(token);
}

type Lead =
  | { kind: "row"; state: TcpState | null; proto?: string }
  | { kind: "skip"; reason: string }
  | { kind: "reject"; reason: string };

const ROW: Lead = { kind: "row", state: null };
const TCP_ROW: Lead = { kind: "row", state: null, proto: "tcp" };
/** Rows with a State column share one Lead per (state, Netid): no allocation per line. */
const STATE_ROWS = new Map<string, Lead>();
function stateRow(state: TcpState, proto: string | undefined): Lead {
  const key = proto === undefined ? state : `${proto} ${state}`;
  let lead = STATE_ROWS.get(key);
  if (!lead) {
    lead = proto === undefined ? { kind: "row", state } : { kind: "row", state, proto };
    STATE_ROWS.set(key, lead);
  }
  return lead;
}

/** Reads the leading Netid and State columns; the cursor is left at Recv-Q. */
function readLead(cursor: Cursor, first: string): Lead {
  let token = first;
  let proto: string | undefined;
  let before = 0;
  if (NETIDS.has(token)) {
    if (token !== "tcp") return { kind: "skip", reason: `Netid "${token}" is not TCP` };
    proto = token;
    before = cursor.pos;
    token = cursor.next() ?? "";
  }
  const code = token.charCodeAt(0);
  if (code >= 48 && code <= 57) {
    // No State column: give Recv-Q back.
    if (proto === undefined) cursor.reset(cursor.line);
    else cursor.pos = before;
    return proto ? TCP_ROW : ROW;
  }
  const state = SS_STATES.get(token) ?? stateFromTool("ss", token);
  if (state !== undefined) return stateRow(state, proto);
  if (looksLikeStateWord(token)) {
    return { kind: "reject", reason: `unknown state "${token}" (expected one of ${expectedStates("ss")})` };
  }
  return {
    kind: "reject",
    reason: `expected a State (${expectedStates("ss")}), a Netid or Recv-Q at the start, got "${token}"`,
  };
}

interface Extras {
  timer?: SocketTimer;
  processes?: SocketProcess[];
  inode?: number;
  uid?: number;
  cookie?: string;
  problems: string[];
}

/** Index of the ")" that closes the "(" at `open`, skipping quoted process names. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) quoted = !quoted;
    else if (quoted) continue;
    else if (c === 40) depth++;
    else if (c === 41 && --depth === 0) return i;
  }
  return -1;
}

/** `("nginx",pid=1,fd=6),("nginx",pid=2,fd=6)`: the inside of users:(…). */
export function parseSsUsers(inner: string): SocketProcess[] | string {
  const processes: SocketProcess[] = [];
  let i = 0;
  while (i < inner.length) {
    if (inner[i] === ",") i++;
    if (inner[i] !== "(" || inner[i + 1] !== '"') return `users entry at "${inner.slice(i, i + 20)}" is not ("name",pid=N,fd=N)`;
    const nameEnd = inner.indexOf('"', i + 2);
    if (nameEnd === -1) return `users entry at "${inner.slice(i, i + 20)}" has an unterminated name`;
    const close = inner.indexOf(")", nameEnd);
    if (close === -1) return `users entry at "${inner.slice(i, i + 20)}" has no ")"`;
    const name = inner.slice(i + 2, nameEnd);
    let pid: number | undefined;
    let fd: number | undefined;
    for (const pair of inner.slice(nameEnd + 1, close).split(",")) {
      if (pair === "") continue;
      const eq = pair.indexOf("=");
      const key = pair.slice(0, eq);
      const value = decimal(pair.slice(eq + 1));
      if (key === "pid") pid = value;
      else if (key === "fd") fd = value;
    }
    if (pid === undefined) return `users entry "${inner.slice(i, close + 1)}" has no pid=N`;
    processes.push(fd === undefined ? { name, pid } : { name, pid, fd });
    i = close + 1;
  }
  return processes;
}

/** The Process column and everything after it: users:(…), timer:(…), uid:, ino:, sk:, … */
function readExtras(text: string): Extras {
  const extras: Extras = { problems: [] };
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    if (i >= n) break;
    const colon = text.indexOf(":", i);
    const space = text.indexOf(" ", i);
    const tokenEnd = space === -1 ? n : space;
    if (colon !== -1 && colon < tokenEnd && text.charCodeAt(colon + 1) === 40 /* ( */) {
      const key = text.slice(i, colon);
      const close = closingParen(text, colon + 1);
      if (close === -1) {
        extras.problems.push(`${key}:( is not closed`);
        break;
      }
      const inner = text.slice(colon + 2, close);
      if (key === "users") {
        const users = parseSsUsers(inner);
        if (typeof users === "string") extras.problems.push(users);
        else extras.processes = users;
      } else if (key === "timer") {
        const timer = parseSsTimer(inner);
        if (typeof timer === "string") extras.problems.push(timer);
        else extras.timer = timer;
      }
      i = close + 1;
      continue;
    }
    if (colon !== -1 && colon < tokenEnd) {
      const key = text.slice(i, colon);
      const value = text.slice(colon + 1, tokenEnd);
      if (key === "ino") extras.inode = decimal(value);
      else if (key === "uid") extras.uid = decimal(value);
      else if (key === "sk") extras.cookie = value;
    }
    i = tokenEnd;
  }
  return extras;
}

/**
 * The part of reading an ss line that parseSs and countStatesSs share: blank, detail,
 * header, Netid and State columns. Lines that are not socket rows are accounted for in the
 * book here; a row comes back with the cursor at Recv-Q.
 */
class SsRowReader {
  private readonly cursor = new Cursor("");
  private statelessWarned = false;

  constructor(
    private readonly book: LineBook<unknown>,
    private readonly givenState: TcpState | undefined,
  ) {}

  read(line: string, lineNo: number): { cursor: Cursor; state: TcpState; proto: string | undefined } | null {
    const book = this.book;
    if (isBlank(line)) return book.blankLine(), null;
    // ss -i and -m put details on the next line, indented with a tab.
    if (line.charCodeAt(0) === 9) return book.skip(lineNo, "detail line (ss -i/-m) under the socket above"), null;
    const cursor = this.cursor.reset(line);
    const first = cursor.next() ?? "";
    if (isHeader(first, line)) return book.headerLine(), null;
    const lead = readLead(cursor, first);
    if (lead.kind === "skip") return book.skip(lineNo, lead.reason), null;
    if (lead.kind === "reject") return book.reject(lineNo, line, lead.reason), null;
    const state = lead.state ?? this.givenState;
    if (state === undefined) {
      if (!this.statelessWarned) {
        this.statelessWarned = true;
        book.warn(STATELESS_REASON, lineNo, line);
      }
      return book.skip(lineNo, STATELESS_REASON), null;
    }
    return { cursor, state, proto: lead.proto };
  }
}

type SsRecord = { -readonly [K in keyof ConnectionRecord]: ConnectionRecord[K] };

/** The Process column and what follows (users, timer, ino, uid, sk) onto the record; problems become warnings. */
function addExtras(book: LineBook<unknown>, record: SsRecord, rest: string, lineNo: number, line: () => string): void {
  const extras = readExtras(rest);
  if (extras.timer) record.timer = extras.timer;
  if (extras.processes) record.processes = extras.processes;
  if (extras.inode !== undefined) record.inode = extras.inode;
  if (extras.uid !== undefined) record.uid = extras.uid;
  if (extras.cookie !== undefined) record.cookie = extras.cookie;
  for (const problem of extras.problems) book.warn(`${problem}; the socket is kept without it`, lineNo, line());
}

export function parseSs(text: string, opts: SsOptions = {}): TextParseResult<ConnectionRecord> {
  return readSs(text, opts, true);
}

/** parseSs with every line read by the careful reader: for the tests that hold the fast rows to it. */
export function parseSsCarefully(text: string, opts: SsOptions = {}): TextParseResult<ConnectionRecord> {
  return readSs(text, opts, false);
}

/**
 * The careful reader for one line: every column checked, diagnostics and skips accounted for
 * in the book. Returns the record (extras' problems already warned about), or null when the
 * line is not a socket row. parseSs keeps the record; countStatesSs counts its state.
 */
function carefulReader(book: LineBook<unknown>, givenState: TcpState | undefined): (line: string, lineNo: number) => SsRecord | null {
  const rows = new SsRowReader(book, givenState);
  return (line, lineNo) => {
    const row = rows.read(line, lineNo);
    if (row === null) return null;
    const { cursor, state, proto } = row;
    const recvQText = cursor.next() ?? "";
    const sendQText = cursor.next() ?? "";
    const localText = cursor.next();
    const peerText = cursor.next();
    const recvQ = decimal(recvQText);
    const sendQ = decimal(sendQText);
    if (recvQ === undefined) return book.reject(lineNo, line, `Recv-Q "${recvQText}" is not a number`), null;
    if (sendQ === undefined) return book.reject(lineNo, line, `Send-Q "${sendQText}" is not a number`), null;
    if (localText === undefined || peerText === undefined) {
      return book.reject(lineNo, line, "expected Local Address:Port and Peer Address:Port after Send-Q"), null;
    }
    const local = colonAddress(localText);
    if (typeof local === "string") return book.reject(lineNo, line, `local address: ${local}`), null;
    const remote = colonAddress(peerText);
    if (typeof remote === "string") return book.reject(lineNo, line, `peer address: ${remote}`), null;
    const record: SsRecord = { line: lineNo, state, local, remote, recvQ, sendQ };
    if (proto !== undefined) record.proto = proto;
    if (!cursor.atEnd()) addExtras(book, record, cursor.rest(), lineNo, () => line);
    return record;
  };
}

function readSs(text: string, opts: SsOptions, fast: boolean): TextParseResult<ConnectionRecord> {
  const book = new LineBook<ConnectionRecord>(opts.source);
  const read = carefulReader(book, opts.state);
  const careful = (line: string, lineNo: number): void => {
    const record = read(line, lineNo);
    if (record !== null) book.record(record);
  };
  book.walkSpans(text, (start, stop, lineNo) => {
    // The common row (a known State, then numbers and plain addresses) is read in place.
    const index = fast ? fastStateOfString(text, start, stop) : -1;
    const row = index === -1 ? null : fastSsRow(text, start, stop);
    if (row === null) return careful(text.slice(start, stop), lineNo);
    const record: SsRecord = { line: lineNo, state: STATES[index]!, local: row.local, remote: row.remote, recvQ: row.recvQ, sendQ: row.sendQ };
    if (row.rest < stop) addExtras(book, record, text.slice(row.rest, stop).trimEnd(), lineNo, () => text.slice(start, stop));
    book.record(record);
  });
  return book.result("ss");
}

export interface StateCountResult {
  readonly counts: StateCounts;
  /** Sockets counted. */
  readonly total: number;
  readonly diagnostics: readonly Diagnostic[];
  readonly lines: LineAccount;
  readonly skipped: readonly SkippedLines[];
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * ss spellings by (length, first, last character): a direct-indexed table, so the fast path
 * neither hashes nor allocates. The whole spelling is compared after the lookup. A
 * spelling whose key is taken is left to the careful path.
 */
const MAX_SPELLING = 15;
const fastKey = (length: number, first: number, last: number): number => ((length & 15) << 10) | ((first & 31) << 5) | (last & 31);
const FAST_SLOTS = new Int8Array(1 << 14).fill(-1);
const FAST_CODES: number[][] = [];
const FAST_STATE_INDEX: number[] = [];
for (const [name, state] of SS_STATES) {
  if (name.length < 2 || name.length > MAX_SPELLING) continue;
  const key = fastKey(name.length, name.charCodeAt(0), name.charCodeAt(name.length - 1));
  if (FAST_SLOTS[key] !== -1) continue;
  FAST_SLOTS[key] = FAST_CODES.length;
  FAST_CODES.push([...name].map((ch) => ch.charCodeAt(0)));
  FAST_STATE_INDEX.push(STATES.indexOf(state));
}

/**
 * The fast path for one line: the index in STATES of the line's State when it is a known
 * spelling followed by spaces and a digit (Recv-Q), else -1. Written twice, for strings and
 * for bytes, so that each loop stays monomorphic (this runs a million times).
 */
function fastStateOfString(text: string, start: number, end: number): number {
  let i = start;
  const limit = Math.min(end, start + MAX_SPELLING + 1);
  while (i < limit && text.charCodeAt(i) !== 32) i++;
  const length = i - start;
  if (length < 2 || length > MAX_SPELLING) return -1;
  const slot = FAST_SLOTS[fastKey(length, text.charCodeAt(start), text.charCodeAt(i - 1))]!;
  if (slot === -1) return -1;
  const codes = FAST_CODES[slot]!;
  if (codes.length !== length) return -1;
  // The key keeps only 5 bits of the first and last characters (',' and 'L' share them), so
  // every character is compared.
  for (let k = 0; k < length; k++) if (text.charCodeAt(start + k) !== codes[k]) return -1;
  while (i < end && text.charCodeAt(i) === 32) i++;
  return i < end && isDigit(text.charCodeAt(i)) ? FAST_STATE_INDEX[slot]! : -1;
}

/**
 * The bytes fast path compares 4 bytes at a time: each spelling plus the space after it
 * (at most 16 bytes) as four little-endian words with masks. The first word picks the
 * candidates by open hashing (SYN-SENT and SYN-RECV, FIN-WAIT-1 and -2, CLOSE-WAIT and
 * CLOSING share one, so candidates with the same first word are chained).
 */
const WORD_SLOTS = 64;
const WORD_HASH = new Int8Array(WORD_SLOTS).fill(-1);
const WORD_FIRST = new Uint32Array(WORD_SLOTS);
/** Per candidate: words 1-3 and their masks, the spelling's length with its space, the state's index, the next candidate. */
let candidates = 0;
const WORD_REST = new Uint32Array(3 * 16);
const WORD_MASK = new Uint32Array(3 * 16);
const WORD_LENGTH = new Uint8Array(16);
const WORD_STATE = new Int8Array(16);
const WORD_NEXT = new Int8Array(16).fill(-1);
for (const [name, state] of SS_STATES) {
  const spaced = `${name} `;
  // Four letters and a space at least, so the first word is all spelling; ASCII only; no wider than 16 bytes.
  if (spaced.length < 5 || spaced.length > 16 || !/^[\x21-\x7e]+ $/.test(spaced) || candidates === 16) continue;
  const words = [0, 0, 0, 0];
  const masks = [0, 0, 0, 0];
  for (let k = 0; k < spaced.length; k++) {
    words[k >> 2]! |= spaced.charCodeAt(k) << (8 * (k & 3));
    masks[k >> 2]! |= 0xff << (8 * (k & 3));
  }
  const id = candidates++;
  for (let k = 1; k < 4; k++) {
    WORD_REST[id * 3 + k - 1] = words[k]! >>> 0;
    WORD_MASK[id * 3 + k - 1] = masks[k]! >>> 0;
  }
  WORD_LENGTH[id] = spaced.length;
  WORD_STATE[id] = STATES.indexOf(state);
  const first = words[0]! >>> 0;
  let h = wordHash(first);
  while (WORD_HASH[h] !== -1 && WORD_FIRST[h] !== first) h = (h + 1) & (WORD_SLOTS - 1);
  if (WORD_HASH[h] === -1) {
    WORD_HASH[h] = id;
    WORD_FIRST[h] = first;
  } else {
    let last = WORD_HASH[h]!;
    while (WORD_NEXT[last] !== -1) last = WORD_NEXT[last]!;
    WORD_NEXT[last] = id;
  }
}

function wordHash(word: number): number {
  return Math.imul(word, 0x9e3779b1) >>> 26;
}

/** Where a line shorter than the 16-byte compare is copied, zero-padded: a zero matches no spelling's byte. */
const SHORT_LINE = new Uint8Array(16);
const SHORT_VIEW = new DataView(SHORT_LINE.buffer);

function fastStateOfBytes(bytes: Uint8Array, view: DataView, start: number, end: number): number {
  let id: number;
  if (start + 16 > end) {
    SHORT_LINE.fill(0);
    SHORT_LINE.set(bytes.subarray(start, end));
    id = spellingAt(SHORT_VIEW, 0);
  } else {
    id = spellingAt(view, start);
  }
  if (id === -1) return -1;
  let i = start + WORD_LENGTH[id]!;
  while (i < end && bytes[i] === 32) i++;
  return i < end && isDigit(bytes[i]!) ? WORD_STATE[id]! : -1;
}

/** The spelling (with the space after it) whose 16-byte words match at `start`, or -1. */
function spellingAt(view: DataView, start: number): number {
  const first = view.getUint32(start, true);
  let h = wordHash(first);
  let id: number;
  for (;;) {
    id = WORD_HASH[h]!;
    if (id === -1) return -1;
    if (WORD_FIRST[h] === first) break;
    h = (h + 1) & (WORD_SLOTS - 1);
  }
  const w1 = view.getUint32(start + 4, true);
  const w2 = view.getUint32(start + 8, true);
  const w3 = view.getUint32(start + 12, true);
  while (
    id !== -1 &&
    (((w1 & WORD_MASK[id * 3]!) >>> 0) !== WORD_REST[id * 3] ||
      ((w2 & WORD_MASK[id * 3 + 1]!) >>> 0) !== WORD_REST[id * 3 + 1] ||
      ((w3 & WORD_MASK[id * 3 + 2]!) >>> 0) !== WORD_REST[id * 3 + 2])
  ) {
    id = WORD_NEXT[id]!;
  }
  return id;
}

/** The bytes loop of countStatesSs, on its own so that V8 optimises it alone. Returns [lines, lines counted by the fast path]. */
function countBytes(input: Uint8Array, fast: Float64Array, wholeRow: boolean, careful: (line: string, lineNo: number) => void): [number, number] {
  // ignoreBOM keeps a U+FEFF that starts a line, as the text path sees it (each line is a new decode).
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const length = input.length;
  let lineNo = 0;
  let counted = 0;
  let start = 0;
  while (start < length) {
    let end = input.indexOf(10, start);
    if (end === -1) end = length;
    lineNo++;
    const index = fastStateOfBytes(input, view, start, end);
    if (index !== -1 && (!wholeRow || vouchSsRowBytes(input, start, end))) {
      fast[index]!++;
      counted++;
    } else {
      careful(decoder.decode(input.subarray(start, end > start && input[end - 1] === 13 ? end - 1 : end)), lineNo);
    }
    start = end + 1;
  }
  return [lineNo, counted];
}

/**
 * Counts the states of an `ss -tan` listing without building records: the fast path for a
 * million lines. Give it the text, or the bytes as read (skips decoding 70 MB of UTF-8).
 * A line is counted in place when the fast path can vouch for it (`check`, above): with
 * "row", a known State spelling, two queue numbers, two plain address:port columns, and
 * nothing after them that could become a warning; with "state", a known State spelling
 * followed by Recv-Q. Every other line (headers, -H, Netid, stateless rows, bad lines, and
 * with "row" also scopes, service names, users:(…)) goes to parseSs's careful reader, so
 * nothing is dropped. With "row" the counts, line account, skips and diagnostics are
 * exactly parseSs + countByState's; with "state" they differ only on rows that start like
 * a socket and go wrong later (test/parse.property.test.ts holds both to this).
 */
export function countStatesSs(given: string | Uint8Array, opts: CountOptions = {}): StateCountResult {
  // The loops below split on LF (and strip the CR of a CRLF); a lone CR also ends a line.
  const input = typeof given === "string" ? loneCrToLf(given) : loneCrToLfBytes(given);
  const wholeRow = opts.check === "row";
  const counts = emptyCounts();
  const book = new LineBook<never>(opts.source);
  let counted = 0;
  const read = carefulReader(book, opts.state);
  const careful = (line: string, lineNo: number): void => {
    const record = read(line, lineNo);
    if (record === null) return;
    counts[record.state]++;
    counted++;
  };
  const fast = new Float64Array(STATES.length);
  let lineNo = 0;
  if (typeof input === "string") {
    const length = input.length;
    let start = 0;
    while (start < length) {
      let end = input.indexOf("\n", start);
      if (end === -1) end = length;
      lineNo++;
      const index = fastStateOfString(input, start, end);
      if (index !== -1 && (!wholeRow || vouchSsRow(input, start, end))) {
        fast[index] = fast[index]! + 1;
        counted++;
      } else {
        careful(input.slice(start, end > start && input.charCodeAt(end - 1) === 13 ? end - 1 : end), lineNo);
      }
      start = end + 1;
    }
  } else {
    // careful() counts the lines it reads; countBytes returns the fast path's count.
    const [lines, fastCounted] = countBytes(input, fast, wholeRow, careful);
    lineNo = lines;
    counted += fastCounted;
  }
  STATES.forEach((state, i) => (counts[state] += fast[i]!));
  const lines = book.account();
  return {
    counts,
    total: counted,
    diagnostics: book.diagnostics,
    lines: { ...lines, total: lineNo, records: counted },
    skipped: book.skippedLines(),
  };
}
