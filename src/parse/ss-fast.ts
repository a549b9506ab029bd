/**
 * The fast reader for the common `ss -tan` row: State, Recv-Q, Send-Q and two plain
 * addresses (`10.0.0.1:443`, `[2001:db8::1]:80`, `*:*`), read in place on the whole text
 * with charCodeAt: no line string, no token strings; the only strings made are the two
 * addresses the record keeps. Whitespace is what Cursor calls whitespace, so the fields
 * are exactly the careful reader's tokens. A row with anything unusual (a scope, a service
 * name, a bad number, a missing field) returns null and parseSs reads it carefully, so
 * its diagnostics are unchanged (test/parse.fastpath.test.ts holds the two to the same records).
 */
import { isAddressText } from "./address.js";
import { decimalAt, isSpace } from "./lines.js";
import type { SocketAddress } from "./types.js";

export interface FastSsRow {
  recvQ: number;
  sendQ: number;
  local: SocketAddress;
  remote: SocketAddress;
  /** Where the text after the peer address starts (whitespace skipped); the line's stop if nothing follows. */
  rest: number;
}

const ANY: SocketAddress = { address: "*", port: null };
/** One row object for every line: the caller copies the fields out before the next call. */
const ROW: FastSsRow = { recvQ: 0, sendQ: 0, local: ANY, remote: ANY, rest: 0 };

/**
 * Reads text[start, stop): the State token (already recognised by the caller), then the
 * four columns. The result is shared and overwritten by the next call.
 */
export function fastSsRow(text: string, start: number, stop: number): FastSsRow | null {
  let p = skipSpace(text, start, stop);
  p = skipToken(text, p, stop);
  p = skipSpace(text, p, stop);
  const recvQEnd = skipToken(text, p, stop);
  const recvQ = decimalAt(text, p, recvQEnd);
  if (recvQ < 0) return null;
  p = skipSpace(text, recvQEnd, stop);
  const sendQEnd = skipToken(text, p, stop);
  const sendQ = decimalAt(text, p, sendQEnd);
  if (sendQ < 0) return null;
  p = skipSpace(text, sendQEnd, stop);
  const localEnd = skipToken(text, p, stop);
  const local = plainAddress(text, p, localEnd);
  if (local === null) return null;
  p = skipSpace(text, localEnd, stop);
  const peerEnd = skipToken(text, p, stop);
  const remote = plainAddress(text, p, peerEnd);
  if (remote === null) return null;
  ROW.recvQ = recvQ;
  ROW.sendQ = sendQ;
  ROW.local = local;
  ROW.remote = remote;
  ROW.rest = skipSpace(text, peerEnd, stop);
  return ROW;
}

function skipSpace(text: string, p: number, stop: number): number {
  while (p < stop && isSpace(text.charCodeAt(p))) p++;
  return p;
}

function skipToken(text: string, p: number, stop: number): number {
  while (p < stop && !isSpace(text.charCodeAt(p))) p++;
  return p;
}

/**
 * `host:port` or `[host]:port` with a numeric port (0-65535) or "*", no scope: what
 * address.ts colonAddress gives for it, or null for colonAddress to decide.
 */
function plainAddress(text: string, start: number, end: number): SocketAddress | null {
  let colon = end - 1;
  while (colon >= start && text.charCodeAt(colon) !== 58) colon--;
  if (colon < start) return null;
  let port: number | null;
  if (colon + 2 === end && text.charCodeAt(colon + 1) === 42 /* * */) port = null;
  else {
    port = decimalAt(text, colon + 1, end);
    if (port < 0 || port > 65535) return null;
  }
  let hostStart = start;
  let hostEnd = colon;
  if (text.charCodeAt(start) === 91 /* [ */) {
    // colonAddress takes the first "]"; here it must close the host, with no %scope after it.
    let close = start + 1;
    while (close < colon && text.charCodeAt(close) !== 93) close++;
    if (close !== colon - 1) return null;
    hostStart = start + 1;
    hostEnd = close;
  }
  if (hostEnd <= hostStart || !isAddressText(text, hostStart, hostEnd)) return null;
  return { address: text.slice(hostStart, hostEnd), port };
}

/**
 * Whether parseSs would keep text[start, stop) as a socket with no diagnostic, for the
 * counting fast path: fastSsRow reads it, and nothing after the peer address can become a
 * warning. Only a `key:(…)` group (users:, timer:) can, so a rest with a "(" goes to the
 * careful reader.
 */
export function vouchSsRow(text: string, start: number, stop: number): boolean {
  const row = fastSsRow(text, start, stop);
  if (row === null) return false;
  for (let i = row.rest; i < stop; i++) if (text.charCodeAt(i) === 40 /* ( */) return false;
  return true;
}

/**
 * vouchSsRow on UTF-8 bytes as read, making no strings: the same checks as fastSsRow, byte by
 * byte. Only ASCII is vouched for in the columns; anything else goes to the careful reader.
 */
export function vouchSsRowBytes(bytes: Uint8Array, start: number, stop: number): boolean {
  let p = start;
  while (p < stop && SPACE_BYTE[bytes[p]!] === 0) p++;
  p = skipSpaceBytes(bytes, p, stop);
  p = queueEnd(bytes, p, stop);
  if (p < 0) return false;
  p = queueEnd(bytes, skipSpaceBytes(bytes, p, stop), stop);
  if (p < 0) return false;
  p = addressEnd(bytes, skipSpaceBytes(bytes, p, stop), stop);
  if (p < 0) return false;
  p = addressEnd(bytes, skipSpaceBytes(bytes, p, stop), stop);
  if (p < 0) return false;
  for (; p < stop; p++) if (bytes[p] === 40 /* ( */) return false;
  return true;
}

/** lines.ts isSpace and address.ts isAddressText as byte tables (":" apart: the port follows the last one). */
const SPACE_BYTE = new Uint8Array(256);
const OTHER = 0;
const SPACE = 1;
const ADDRESS = 2;
const COLON = 3;
const BYTE_KIND = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  SPACE_BYTE[c] = isSpace(c) ? 1 : 0;
  BYTE_KIND[c] = isSpace(c) ? SPACE : c === 58 ? COLON : isAddressText(String.fromCharCode(c)) ? ADDRESS : OTHER;
}

function skipSpaceBytes(bytes: Uint8Array, p: number, stop: number): number {
  while (p < stop && SPACE_BYTE[bytes[p]!] === 1) p++;
  return p;
}

/** The end of a Recv-Q or Send-Q token at p (1-15 digits, as decimalAt takes), or -1. */
function queueEnd(bytes: Uint8Array, p: number, stop: number): number {
  const start = p;
  while (p < stop && bytes[p]! - 48 >>> 0 <= 9) p++;
  if (p === start || p - start > 15 || (p < stop && SPACE_BYTE[bytes[p]!] === 0)) return -1;
  return p;
}

/**
 * The end of the address token at start when plainAddress would take it, or -1: one pass
 * (this runs twice per line of a million-line file), then the port after the last colon.
 */
function addressEnd(bytes: Uint8Array, start: number, stop: number): number {
  let end = start;
  let colon = -1;
  let close = -1;
  for (; end < stop; end++) {
    const c = bytes[end]!;
    const kind = BYTE_KIND[c]!;
    if (kind === ADDRESS) continue;
    if (kind === SPACE) break;
    if (kind === COLON) colon = end;
    else if (c === 91 /* [ */ && end === start) continue;
    else if (c === 93 /* ] */ && close === -1 && bytes[start] === 91) close = end;
    else return -1;
  }
  // After a "[", the first "]" must close the host right before the port's colon.
  if (colon < 0 || (bytes[start] === 91 ? close !== colon - 1 || close === start + 1 : colon === start)) return -1;
  if (colon + 2 === end && bytes[colon + 1] === 42 /* * */) return end;
  const digits = end - colon - 1;
  if (digits < 1 || digits > 15) return -1;
  let port = 0;
  for (let i = colon + 1; i < end; i++) {
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) return -1;
    port = port * 10 + d;
  }
  return port > 65535 ? -1 : end;
}
