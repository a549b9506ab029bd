/**
 * What a capture shows about how a connection ended, computed from the file with the library's
 * own pcap reader and replay (src/parse/pcap, src/replay): who closed first and with which
 * segment, whether data still flowed after the first FIN (a half-close, RFC 9293 §3.6 "the
 * user who CLOSEs may continue to RECEIVE"), and what the RST sender had received before it.
 * Node only (reads the file); the judges of chapter 05's read-a-capture exercises use it.
 */
import { fileURLToPath } from "node:url";
import { replayCaptureFile } from "../../capture/file.js";
import type { ReplayedConnection } from "../../replay/types.js";

export type End = "client" | "server";

export interface CloseFacts {
  /** The file the facts come from. */
  readonly file: string;
  /** Segments of the first connection in the file. */
  readonly segments: number;
  /** The first segment carrying FIN or RST: who sent it and which it was (relative seq). */
  readonly firstClose: { readonly by: End; readonly kind: "FIN" | "RST"; readonly seq: number; readonly ack: number } | null;
  /** Payload bytes the side that did NOT send the first FIN sent after it (0 when none). */
  readonly bytesAfterFirstFin: number;
  /**
   * The first RST: who sent it, the payload bytes it had received from the peer before, whether
   * it had sent a FIN before, and whether it had taken part in the handshake (sent a SYN or
   * SYN+ACK) — a RST from a side that never did answers for a connection it has no TCB for
   * (RFC 9293 §3.10.7.1). Null when there is no RST.
   */
  readonly rst: { readonly by: End; readonly receivedBefore: number; readonly finBefore: boolean; readonly openedBefore: boolean } | null;
  /** The one-line-per-segment listing a learner can read (relative numbers, as tcpdump prints them). */
  readonly listing: readonly string[];
}

/** The shipped captures of chapter 05 (made by `tcp-lifecycle`'s own demos on loopback). */
export function chapterCapture(name: string): string {
  return fileURLToPath(new URL(`../../../notebooks/data/05-${name}.pcap`, import.meta.url));
}

const other = (e: End): End => (e === "client" ? "server" : "client");

/** Facts about one replayed connection. */
export function closeFactsOf(c: ReplayedConnection, file: string): CloseFacts {
  const segs = c.segments;
  const closeAt = segs.findIndex((s) => s.flags.includes("FIN") || s.flags.includes("RST"));
  const close = closeAt >= 0 ? segs[closeAt] : undefined;
  const finAt = segs.findIndex((s) => s.flags.includes("FIN"));
  const fin = finAt >= 0 ? segs[finAt] : undefined;
  const bytesAfterFirstFin = fin ? segs.slice(finAt + 1).filter((s) => s.from === other(fin.from)).reduce((n, s) => n + s.len, 0) : 0;
  const rstAt = segs.findIndex((s) => s.flags.includes("RST"));
  const rstSeg = rstAt >= 0 ? segs[rstAt] : undefined;
  const before = segs.slice(0, Math.max(rstAt, 0));
  return {
    file,
    segments: segs.length,
    firstClose: close ? { by: close.from, kind: close.flags.includes("RST") ? "RST" : "FIN", seq: close.seq, ack: close.ack } : null,
    bytesAfterFirstFin,
    rst: rstSeg
      ? {
          by: rstSeg.from,
          receivedBefore: before.filter((s) => s.from === other(rstSeg.from)).reduce((n, s) => n + s.len, 0),
          finBefore: before.some((s) => s.from === rstSeg.from && s.flags.includes("FIN")),
          openedBefore: before.some((s) => s.from === rstSeg.from && s.flags.includes("SYN")),
        }
      : null,
    listing: segs.map(
      (s) => `${s.t.toFixed(3)} s  ${s.from === "client" ? "client → server" : "server → client"}  ${s.flags.join("+").padEnd(8)} seq=${s.seq} ack=${s.ack} len=${s.len}`,
    ),
  };
}

const cache = new Map<string, Promise<CloseFacts>>();

/** Reads and replays `file` once (relative sequence numbers) and returns its first connection's facts. */
export function closeFacts(file: string): Promise<CloseFacts> {
  let p = cache.get(file);
  if (!p) {
    p = replayCaptureFile(file, { relative: true }).then(({ replay }) => {
      const c = replay.connections[0];
      if (!c) throw new Error(`${file}: no TCP connection in the capture`);
      return closeFactsOf(c, file);
    });
    cache.set(file, p);
    p.catch(() => cache.delete(file));
  }
  return p;
}
