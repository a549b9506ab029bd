/**
 * Segments as the simulator carries them: control bits as a bit mask, sequence-number
 * arithmetic (RFC 9293 §3.3.1, §3.4) and the sizes an endpoint uses.
 *
 * Hot path: a segment's flags are one small integer; its trace record's flag list is a
 * shared constant picked by that integer, so recording a segment allocates no array.
 */
import type { Flag } from "./trace.js";

export const SYN = 1, FIN = 2, RST = 4, PSH = 8, ACK = 16;
/** Sender MSS for data segments (Ethernet MTU 1500 − 40 bytes of headers). */
export const MSS = 1460;
/** Receive window used by the acceptability test, bytes. */
export const WINDOW = 65535;

export const FLAG_ARRAYS: readonly (readonly Flag[])[] = Array.from({ length: 32 }, (_, bits) => {
  const list: Flag[] = [];
  if (bits & SYN) list.push("SYN");
  if (bits & FIN) list.push("FIN");
  if (bits & RST) list.push("RST");
  if (bits & PSH) list.push("PSH");
  if (bits & ACK) list.push("ACK");
  return Object.freeze(list);
});

export const FLAG_BITS: Record<Flag, number> = { SYN, FIN, RST, PSH, ACK };

export const add = (a: number, n: number): number => (a + n) >>> 0;
/** Sequence-space comparisons modulo 2^32 (RFC 9293 §3.4). */
export const lt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
export const le = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
/** Sequence space a segment occupies: its payload, plus one each for SYN and FIN. */
export const span = (flags: number, len: number): number => len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
