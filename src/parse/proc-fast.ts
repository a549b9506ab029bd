/**
 * The fast reader for /proc/net/tcp and tcp6: a line in the exact layout the kernel prints
 * (net/ipv4/tcp_ipv4.c get_tcp4_sock and friends, net/ipv6/tcp_ipv6.c get_tcp6_sock):
 *
 *   "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu …"
 *
 * is read in place with charCodeAt: hex digits by table, every field at its known offset,
 * no substring, split or regex. Twenty thousand TIME_WAIT sockets on loopback have a
 * handful of distinct addresses, so each address's text is made once and cached.
 * Anything else (a header, a blank, a mutated field, another spacing) returns null and goes
 * to the careful reader in proc.ts, which names what is wrong; so on every line it accepts
 * this reader must build exactly the careful reader's record (test/parse.fastpath.test.ts).
 */
import type { TcpState } from "../fsm/states.js";
import { procAddress } from "./address.js";
import { stateTable } from "./state-names.js";
import { procTimer } from "./timer.js";
import type { ConnectionRecord, SocketAddress } from "./types.js";

export type ProcRecord = { -readonly [K in keyof ConnectionRecord]: ConnectionRecord[K] };

const SPACE = 32;
const COLON = 58;

/** Hex digit value by character code (either case), -1 for anything else. */
const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let d = 0; d < 10; d++) HEX_DIGIT[48 + d] = d;
for (let d = 0; d < 6; d++) {
  HEX_DIGIT[65 + d] = 10 + d;
  HEX_DIGIT[97 + d] = 10 + d;
}

/** The st field's value → state; "0A" and "0a" both mean 10, as the careful reader's toUpperCase() has it. */
const STATE_BY_CODE: (TcpState | undefined)[] = new Array<TcpState | undefined>(256).fill(undefined);
for (const [spelling, state] of stateTable("proc")) STATE_BY_CODE[parseInt(spelling, 16)] = state;

/** Characters from the address to the retrnsmt field's trailing space, by address width. */
const FIXED_V4 = 13 + 1 + 13 + 1 + 2 + 1 + 17 + 1 + 11 + 1 + 8 + 1;
const FIXED_V6 = 37 + 1 + 37 + 1 + 2 + 1 + 17 + 1 + 11 + 1 + 8 + 1;

/** `digits` hex digits at text[pos…] as a number, or -1. The caller has checked the bounds. */
function hexAt(text: string, pos: number, digits: number): number {
  let value = 0;
  for (let i = pos, end = pos + digits; i < end; i++) {
    const c = text.charCodeAt(i);
    const d = c < 128 ? HEX_DIGIT[c]! : -1;
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

const CACHE_SLOTS = 256;

/** One parse's reader; holds the address caches (their text depends on the byte order). */
export class ProcFastReader {
  private readonly v4Keys = new Float64Array(CACHE_SLOTS).fill(-1);
  private readonly v4Text: string[] = new Array<string>(CACHE_SLOTS).fill("");
  private readonly v6Keys = new Float64Array(CACHE_SLOTS * 4).fill(-1);
  private readonly v6Text: string[] = new Array<string>(CACHE_SLOTS).fill("");
  /** Where the last decimal() stopped. */
  private pos = 0;

  constructor(
    private readonly userHz: number,
    private readonly littleEndian: boolean,
  ) {}

  /** The record for text[start, stop), or null when the line is not in the kernel's layout. */
  read(text: string, start: number, stop: number, lineNo: number): ProcRecord | null {
    let p = start;
    while (p < stop && text.charCodeAt(p) === SPACE) p++;
    // sl: 1-15 digits, ":" and one space.
    const slStart = p;
    while (p < stop && p - slStart < 16) {
      const c = text.charCodeAt(p);
      if (c < 48 || c > 57) break;
      p++;
    }
    if (p === slStart || p - slStart > 15 || text.charCodeAt(p) !== COLON || text.charCodeAt(p + 1) !== SPACE) return null;
    p += 2;
    const v4 = text.charCodeAt(p + 8) === COLON;
    if (!v4 && text.charCodeAt(p + 32) !== COLON) return null;
    const width = v4 ? 8 : 32;
    if (p + (v4 ? FIXED_V4 : FIXED_V6) > stop) return null;
    const local = this.address(text, p, width);
    if (local === null) return null;
    p += width + 6;
    const remote = this.address(text, p, width);
    if (remote === null) return null;
    p += width + 6;
    const code = hexAt(text, p, 2);
    const state = code < 0 ? undefined : STATE_BY_CODE[code];
    if (state === undefined || text.charCodeAt(p + 2) !== SPACE) return null;
    p += 3;
    const tx = hexAt(text, p, 8);
    const rx = hexAt(text, p + 9, 8);
    if (tx < 0 || rx < 0 || text.charCodeAt(p + 8) !== COLON || text.charCodeAt(p + 17) !== SPACE) return null;
    p += 18;
    const tr = hexAt(text, p, 2);
    const ticks = hexAt(text, p + 3, 8);
    if (tr < 0 || ticks < 0 || text.charCodeAt(p + 2) !== COLON || text.charCodeAt(p + 11) !== SPACE) return null;
    p += 12;
    const retransmits = hexAt(text, p, 8);
    if (retransmits < 0 || text.charCodeAt(p + 8) !== SPACE) return null;
    this.pos = p + 9;
    const uid = this.decimal(text, stop);
    if (uid < 0) return null;
    const probes = this.decimal(text, stop);
    if (probes < 0) return null;
    const inode = this.decimal(text, stop);
    if (inode < 0) return null;
    const record: ProcRecord = {
      line: lineNo,
      state,
      local,
      remote,
      // For a listener the kernel puts the accept-queue length in rx_queue, as ss does in Recv-Q.
      recvQ: rx,
      sendQ: tx,
      uid,
      inode,
      proto: v4 ? "tcp" : "tcp6",
    };
    const timer = procTimer(tr, ticks, retransmits, probes, this.userHz);
    if (timer) record.timer = timer;
    return record;
  }

  /**
   * Spaces, then a decimal field of 1-15 digits ended by a space or the line's end; -1
   * otherwise. Reads from and advances this.pos.
   */
  private decimal(text: string, stop: number): number {
    let p = this.pos;
    while (p < stop && text.charCodeAt(p) === SPACE) p++;
    const first = p;
    let value = 0;
    while (p < stop) {
      const d = text.charCodeAt(p) - 48;
      if (d < 0 || d > 9) break;
      value = value * 10 + d;
      p++;
    }
    if (p === first || p - first > 15 || (p < stop && text.charCodeAt(p) !== SPACE)) return -1;
    this.pos = p;
    return value;
  }

  /** HEXADDR:HEXPORT followed by a space at text[p…], or null. */
  private address(text: string, p: number, width: number): SocketAddress | null {
    const port = hexAt(text, p + width + 1, 4);
    if (port < 0 || text.charCodeAt(p + width) !== COLON || text.charCodeAt(p + width + 5) !== SPACE) return null;
    const address = width === 8 ? this.v4(text, p) : this.v6(text, p);
    return address === null ? null : { address, port };
  }

  private v4(text: string, p: number): string | null {
    const word = hexAt(text, p, 8);
    if (word < 0) return null;
    const slot = (word ^ (word >>> 8) ^ (word >>> 16) ^ (word >>> 24)) & (CACHE_SLOTS - 1);
    if (this.v4Keys[slot] === word) return this.v4Text[slot]!;
    const address = this.made(text, p, 8);
    this.v4Keys[slot] = word;
    this.v4Text[slot] = address;
    return address;
  }

  private v6(text: string, p: number): string | null {
    const a = hexAt(text, p, 8);
    const b = hexAt(text, p + 8, 8);
    const c = hexAt(text, p + 16, 8);
    const d = hexAt(text, p + 24, 8);
    if (a < 0 || b < 0 || c < 0 || d < 0) return null;
    const mixed = a ^ b ^ c ^ d;
    const slot = (mixed ^ (mixed >>> 8) ^ (mixed >>> 16) ^ (mixed >>> 24)) & (CACHE_SLOTS - 1);
    const keys = this.v6Keys;
    const k = slot * 4;
    if (keys[k] === a && keys[k + 1] === b && keys[k + 2] === c && keys[k + 3] === d) return this.v6Text[slot]!;
    const address = this.made(text, p, 32);
    keys[k] = a;
    keys[k + 1] = b;
    keys[k + 2] = c;
    keys[k + 3] = d;
    this.v6Text[slot] = address;
    return address;
  }

  /** A cache miss: the careful reader's own conversion, so both readers print addresses alike. */
  private made(text: string, p: number, width: number): string {
    const parsed = procAddress(text.slice(p, p + width + 5), this.littleEndian);
    // The digits were checked above, so this cannot fail; a failure would be a bug here.
    if (typeof parsed === "string") throw new Error(`proc-fast: ${parsed}`);
    return parsed.address;
  }
}
