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
