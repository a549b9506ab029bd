/**
 * The fast reader for the common `ss -tan` row: State, Recv-Q, Send-Q and two plain
 * addresses (`10.0.0.1:443`, `[2001:db8::1]:80`, `*:*`), read in place on the whole text
 * with charCodeAt: no line string, no token strings; the only strings made are the two
 * addresses the record keeps. Whitespace is what Cursor calls whitespace, so the fields
 * are exactly the careful reader's tokens. A row with anything unusual (a scope, a service
 * name, a bad number, a missing field) returns null and parseSs reads it carefully, so
 * its diagnostics are unchanged (test/parse.fastpath.test.ts holds the two to the same records).
 */
import { HOST_OK, MAX_HOST_NAME, hostCode, isAddressText } from "./address.js";
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
  if (hostEnd <= hostStart || !isAddressText(text, hostStart, hostEnd) || hostCode(text, hostStart, hostEnd) !== HOST_OK) return null;
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
  if (bytes[start] === 91 ? !hostBytesOk(bytes, start + 1, close) : !hostBytesOk(bytes, start, colon)) return -1;
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

/**
 * address.ts hostCode on ASCII bytes, as a yes/no: whether the host text is `*`, a valid IPv4
 * or IPv6 address, or a host name. Kept alike with hostCode (the fast-path tests compare the
 * two readers on generated rows, odd addresses included).
 */
function hostBytesOk(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start === 1 && bytes[start]! === 42 /* * */) return true;
  let colons = 0;
  let dots = 0;
  let other = false;
  let star = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c === 58) colons++;
    else if (c === 46) dots++;
    else if (c === 42) star = true;
    else if (c < 48 || c > 57) other = true;
  }
  if (colons > 0) return ipv6CodeBytes(bytes, start, end, dots);
  if (!other) return ipv4CodeBytes(bytes, start, end);
  return !star && end - start <= MAX_HOST_NAME && namedBytes(bytes, start, end);
}

/** Four decimal octets 0-255 (1-3 digits each) in text[start, end), digits and dots only. */
function ipv4CodeBytes(bytes: Uint8Array, start: number, end: number): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 46 : bytes[i]!;
    if (c === 46) {
      if (digits === 0 || value > 255) return false;
      parts++;
      digits = 0;
      value = 0;
    } else {
      if (c < 48 || c > 57 || ++digits > 3) return false;
      value = value * 10 + (c - 48);
    }
  }
  return parts === 4;
}

/** RFC 4291 §2.2 text forms in text[start, end) (which holds at least one ":"). */
function ipv6CodeBytes(bytes: Uint8Array, start: number, end: number, dots: number): boolean {
  let tail = end;
  if (dots > 0) {
    // The dotted quad follows the last ":" and stands for two groups.
    let last = end - 1;
    while (bytes[last]! !== 58) last--;
    if (!ipv4CodeBytes(bytes, last + 1, end)) return false;
    tail = last + 1;
  }
  let groups = dots > 0 ? 2 : 0;
  let doubled = false;
  let i = start;
  if (bytes[i]! === 58) {
    // Only "::" may start the address.
    if (bytes[i + 1]! !== 58) return false;
    doubled = true;
    i += 2;
  }
  while (i < tail) {
    let digits = 0;
    while (i < tail && HEX_BYTE[bytes[i]!] === 1) {
      i++;
      if (++digits > 4) return false;
    }
    if (digits === 0) return false;
    groups++;
    if (i === tail) break;
    // A ":" after the group; a second one is the "::".
    i++;
    if (i === tail) {
      // "1:" ends only where a dotted quad follows.
      if (tail === end) return false;
      break;
    }
    if (bytes[i]! === 58) {
      if (doubled) return false;
      doubled = true;
      i++;
    }
  }
  return doubled ? groups <= 7 : groups === 8;
}

/** Letters, digits, ".", "_", "-" (what isAddressText allows, ":" and "*" having been counted apart). */
function namedBytes(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (BYTE_KIND[bytes[i]!] !== ADDRESS) return false;
  return true;
}

const HEX_BYTE = new Uint8Array(256);
for (const c of "0123456789abcdefABCDEF") HEX_BYTE[c.charCodeAt(0)] = 1;
