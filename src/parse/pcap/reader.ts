/**
 * readPcap: a capture file's bytes → TCP segments, packets that are not TCP segments
 * (counted, with a reason) and diagnostics with byte offsets. Pure: no Node APIs, so the
 * site can run it in a browser on a dropped file.
 */
import type { Diagnostic } from "../types.js";
import { readClassic, readPcapng, sniff, type Frame } from "./containers.js";
import { decodePacket } from "./packet.js";
import type { PcapResult, PcapSegment, ReadPcapOptions, SkippedPacket } from "./types.js";

export function readPcap(bytes: Uint8Array, options: ReadPcapOptions = {}): PcapResult {
  const source = options.source;
  const diagnostics: Diagnostic[] = [];
  const segments: PcapSegment[] = [];
  const skipped: SkippedPacket[] = [];
  const skippedByKind: Record<string, number> = {};
  const diagnose = (offset: number, reason: string): void => {
    diagnostics.push({ ...(source !== undefined && { source }), offset, reason });
  };
  const skip = (frame: Frame, kind: string, reason: string): void => {
    skipped.push({ frame: frame.frame, offset: frame.offset, kind, reason });
    skippedByKind[kind] = (skippedByKind[kind] ?? 0) + 1;
  };

  const kind = sniff(bytes);
  if (kind.format === null) {
    diagnose(0, kind.reason);
    return { format: null, byteOrder: null, ...(source !== undefined && { source }), interfaces: [], frames: 0,
      segments, skipped, skippedByKind, diagnostics };
  }

  let frames = 0;
  let lastT = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sink = {
    diagnostic: diagnose,
    frame(frame: Frame): void {
      frames++;
      // Simple packet blocks carry no timestamp: they get the previous packet's time.
      const t = Number.isNaN(frame.t) ? lastT : frame.t;
      lastT = t;
      const sliced = frame.captured < frame.origLen;
      const packet = decodePacket(frame.linkType, bytes, view, frame.dataOffset, frame.dataOffset + frame.captured);
      if (packet.kind === "other") {
        skip(frame, packet.what, packet.reason);
        return;
      }
      if (packet.kind === "bad") {
        const reason = sliced
          ? `${packet.reason} (the record holds ${frame.captured} of ${frame.origLen} bytes: snapshot length too small)`
          : packet.reason;
        diagnose(packet.at, `frame ${frame.frame}: ${reason}`);
        skip(frame, "malformed", reason);
        return;
      }
      for (const problem of packet.problems) diagnose(problem.at, `frame ${frame.frame}: ${problem.reason}`);
      segments.push({
        frame: frame.frame,
        offset: frame.offset,
        t,
        interface: frame.interface,
        ipVersion: packet.ipVersion,
        src: packet.src,
        dst: packet.dst,
        flags: packet.flags,
        flagBits: packet.flagBits,
        seq: packet.seq,
        ack: packet.ack,
        len: packet.len,
        window: packet.window,
        urgent: packet.urgent,
        options: packet.options,
        sliced,
      });
    },
  };
  const container = kind.format === "pcap" ? readClassic(bytes, sink) : readPcapng(bytes, sink);
  return {
    format: container.format,
    byteOrder: container.byteOrder,
    ...(source !== undefined && { source }),
    interfaces: container.interfaces,
    frames,
    segments,
    skipped,
    skippedByKind,
    diagnostics,
  };
}

/** One line per diagnostic, as the CLI prints them: `file: offset N: reason`. */
export function formatPcapDiagnostic(d: Diagnostic): string {
  const where = d.offset !== undefined ? `offset ${d.offset}: ` : "";
  return `${d.source !== undefined ? `${d.source}: ` : ""}${where}${d.reason}`;
}
