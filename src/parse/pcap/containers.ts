/**
 * The two capture file formats, as streams of frames:
 * - classic pcap (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html): a 24-byte
 *   file header, then 16-byte record headers each followed by the packet bytes;
 * - pcapng (RFC draft-ietf-opsawg-pcapng): blocks of type, length, body, length, in sections
 *   that each begin with a Section Header Block and may change the byte order.
 * Structural damage ends the walk with a diagnostic that names the byte offset and what was
 * expected; everything read before it is kept.
 */
import type { Diagnostic } from "../types.js";
import { linkTypeName } from "./link.js";
import type { CaptureFormat, PcapInterface } from "./types.js";

export interface Frame {
  /** 1-based frame number. */
  readonly frame: number;
  /** Offset of the record header or block in the file. */
  readonly offset: number;
  /** Offset of the first packet byte in the file. */
  readonly dataOffset: number;
  /** Bytes captured (the frame is file[dataOffset, dataOffset + captured)). */
  readonly captured: number;
  readonly origLen: number;
  readonly t: number;
  readonly interface: number;
  readonly linkType: number;
}

export interface FrameSink {
  frame(frame: Frame): void;
  diagnostic(offset: number, reason: string): void;
}

export interface Container {
  readonly format: CaptureFormat;
  readonly byteOrder: "little" | "big";
  readonly interfaces: readonly PcapInterface[];
}

export const PCAP_MICRO = 0xa1b2c3d4;
export const PCAP_NANO = 0xa1b23c4d;
export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_BOM = 0x1a2b3c4d;
/** libpcap's MAXIMUM_SNAPLEN: a larger record length means the file is corrupt. */
const MAX_RECORD = 262144;

const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, "0")}`;

/** Seconds from a timestamp counted in units, keeping integer precision for nanosecond counts. */
function seconds(units: bigint, perSecond: bigint): number {
  return Number(units / perSecond) + Number(units % perSecond) / Number(perSecond);
}

/** Identify the container from its first four bytes; null with a reason when it is neither. */
export function sniff(bytes: Uint8Array): { format: CaptureFormat } | { format: null; reason: string } {
  if (bytes.length < 4) {
    return { format: null, reason: `not a pcap or pcapng file: need 4 bytes of magic at offset 0, have ${bytes.length}` };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  if (le === PCAP_MICRO || le === PCAP_NANO || be === PCAP_MICRO || be === PCAP_NANO) return { format: "pcap" };
  if (be === PCAPNG_SHB) return { format: "pcapng" };
  return { format: null, reason: `not a pcap or pcapng file: magic ${hex32(be)} at offset 0` };
}

export function readClassic(bytes: Uint8Array, sink: FrameSink): Container {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLe = view.getUint32(0, true);
  const little = magicLe === PCAP_MICRO || magicLe === PCAP_NANO;
  const nano = (little ? magicLe : view.getUint32(0, false)) === PCAP_NANO;
  const byteOrder = little ? "little" : "big";
  if (bytes.length < 24) {
    sink.diagnostic(0, `pcap file header truncated: need 24 bytes, have ${bytes.length}`);
    return { format: "pcap", byteOrder, interfaces: [] };
  }
  const major = view.getUint16(4, little);
  const minor = view.getUint16(6, little);
  if (major !== 2) sink.diagnostic(4, `pcap version: expected 2.4, got ${major}.${minor}; reading on as 2.4`);
  const snaplen = view.getUint32(16, little);
  // The upper bits of the link-type field carry the FCS length (draft-ietf-opsawg-pcap §4).
  const linkType = view.getUint32(20, little) & 0xffff;
  const unitsPerSecond = nano ? 1e9 : 1e6;
  const iface: PcapInterface = { linkType, linkTypeName: linkTypeName(linkType), snaplen, unitsPerSecond };
  const limit = Math.max(snaplen, MAX_RECORD);
  let p = 24;
  let frame = 0;
  while (p < bytes.length) {
    const have = bytes.length - p;
    if (have < 16) {
      sink.diagnostic(p, `packet record header truncated: need 16 bytes, have ${have}`);
      break;
    }
    const sec = view.getUint32(p, little);
    const frac = view.getUint32(p + 4, little);
    const incl = view.getUint32(p + 8, little);
    const orig = view.getUint32(p + 12, little);
    if (incl > limit) {
      sink.diagnostic(p + 8, `packet record captured length ${incl} exceeds the snapshot length ${limit}: the record header is corrupt`);
      break;
    }
    if (have - 16 < incl) {
      sink.diagnostic(p + 16, `packet data truncated: need ${incl} bytes, have ${have - 16}`);
      break;
    }
    frame++;
    sink.frame({
      frame,
      offset: p,
      dataOffset: p + 16,
      captured: incl,
      origLen: orig,
      t: sec + frac / unitsPerSecond,
      interface: 0,
      linkType,
    });
    p += 16 + incl;
  }
  return { format: "pcap", byteOrder, interfaces: [iface] };
}

interface NgInterface extends PcapInterface {
  readonly perSecond: bigint;
  readonly offsetSeconds: number;
}

function readIdbOptions(
  view: DataView, little: boolean, start: number, end: number, sink: FrameSink,
): { name?: string; perSecond: bigint; unitsPerSecond: number; offsetSeconds: number } {
  let perSecond = 1_000_000n;
  let unitsPerSecond = 1e6;
  let offsetSeconds = 0;
  let name: string | undefined;
  let p = start;
  while (p + 4 <= end) {
    const code = view.getUint16(p, little);
    const length = view.getUint16(p + 2, little);
    if (code === 0) break;
    if (p + 4 + length > end) {
      sink.diagnostic(p + 2, `interface option ${code}: length ${length} runs past the end of the block`);
      break;
    }
    if (code === 2) {
      name = new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset + p + 4, length)).replace(/\0+$/, "");
    } else if (code === 9 && length >= 1) {
      // if_tsresol: MSB clear → 10^-n, set → 2^-n.
      const v = view.getUint8(p + 4);
      perSecond = v & 0x80 ? 1n << BigInt(v & 0x7f) : 10n ** BigInt(v);
      unitsPerSecond = Number(perSecond);
    } else if (code === 14 && length >= 8) {
      offsetSeconds = Number(view.getBigInt64(p + 4, little));
    }
    p += 4 + ((length + 3) & ~3);
  }
  return { ...(name !== undefined && { name }), perSecond, unitsPerSecond, offsetSeconds };
}

export function readPcapng(bytes: Uint8Array, sink: FrameSink): Container {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const all: NgInterface[] = [];
  let section: NgInterface[] = [];
  let little = true;
  let firstOrder: "little" | "big" | null = null;
  let p = 0;
  let frame = 0;
  while (p < bytes.length) {
    const have = bytes.length - p;
    if (have < 12) {
      sink.diagnostic(p, `block header truncated: need 12 bytes, have ${have}`);
      break;
    }
    const typeBe = view.getUint32(p, false);
    if (typeBe === PCAPNG_SHB) {
      const bom = view.getUint32(p + 8, true);
      if (bom === PCAPNG_BOM) little = true;
      else if (view.getUint32(p + 8, false) === PCAPNG_BOM) little = false;
      else {
        sink.diagnostic(p + 8, `section header: expected byte-order magic 0x1a2b3c4d, got ${hex32(view.getUint32(p + 8, false))}`);
        break;
      }
      firstOrder ??= little ? "little" : "big";
      section = [];
    } else if (p === 0) {
      sink.diagnostic(0, `pcapng: expected a Section Header Block (0x0a0d0d0a), got ${hex32(typeBe)}`);
      break;
    }
    const type = view.getUint32(p, little);
    const length = view.getUint32(p + 4, little);
    if (length < 12 || length % 4 !== 0) {
      sink.diagnostic(p + 4, `block length ${length}: expected a multiple of 4, at least 12`);
      break;
    }
    if (length > have) {
      sink.diagnostic(p, `block truncated: need ${length} bytes, have ${have}`);
      break;
    }
    const trailer = view.getUint32(p + length - 4, little);
    if (trailer !== length) {
      sink.diagnostic(p + length - 4, `trailing block length ${trailer} does not match the leading length ${length}`);
      break;
    }
    const end = p + length - 4;
    if (type === PCAPNG_SHB) {
      if (length < 28) sink.diagnostic(p + 4, `section header block: need 28 bytes, block is ${length}`);
      else {
        const major = view.getUint16(p + 12, little);
        if (major !== 1) sink.diagnostic(p + 12, `pcapng version: expected 1.x, got ${major}; reading on`);
      }
    } else if (type === 1) {
      if (length < 20) {
        sink.diagnostic(p + 4, `interface description block: need 20 bytes, block is ${length}`);
      } else {
        const linkType = view.getUint16(p + 8, little);
        const snaplen = view.getUint32(p + 12, little);
        const opts = readIdbOptions(view, little, p + 16, end, sink);
        const iface: NgInterface = { linkType, linkTypeName: linkTypeName(linkType), snaplen, ...opts };
        section.push(iface);
        all.push(iface);
      }
    } else if (type === 6 || type === 2 || type === 3) {
      frame++;
      const packet = packetBlock(type, view, little, p, length, section);
      if ("reason" in packet) sink.diagnostic(packet.at, packet.reason);
      else sink.frame({ frame, offset: p, ...packet });
    }
    // Other blocks (name resolution, statistics, decryption secrets, custom) carry no packets.
    p += length;
  }
  const interfaces: PcapInterface[] = all.map(({ perSecond: _p, offsetSeconds: _o, ...rest }) => rest);
  return { format: "pcapng", byteOrder: firstOrder ?? "little", interfaces };
}

type PacketFields = Omit<Frame, "frame" | "offset">;

function packetBlock(
  type: number, view: DataView, little: boolean, p: number, length: number, section: readonly NgInterface[],
): PacketFields | { at: number; reason: string } {
  const name = type === 6 ? "enhanced packet block" : type === 2 ? "packet block" : "simple packet block";
  const fixed = type === 3 ? 16 : 32;
  if (length < fixed) return { at: p + 4, reason: `${name}: need ${fixed} bytes, block is ${length}` };
  const ifIndex = type === 6 ? view.getUint32(p + 8, little) : type === 2 ? view.getUint16(p + 8, little) : 0;
  const iface = section[ifIndex];
  if (!iface) {
    return { at: p + 8, reason: `${name}: interface ${ifIndex} is not described (${section.length} interface(s) in this section)` };
  }
  let captured: number;
  let origLen: number;
  let dataAt: number;
  let t: number;
  if (type === 3) {
    origLen = view.getUint32(p + 8, little);
    dataAt = p + 12;
    // A simple packet block has no captured length: it is the smaller of the packet and the snaplen.
    captured = Math.min(origLen, length - 16, iface.snaplen === 0 ? Infinity : iface.snaplen);
    t = Number.NaN;
  } else {
    const units = (BigInt(view.getUint32(p + 12, little)) << 32n) | BigInt(view.getUint32(p + 16, little));
    captured = view.getUint32(p + 20, little);
    origLen = view.getUint32(p + 24, little);
    dataAt = p + 28;
    t = seconds(units, iface.perSecond) + iface.offsetSeconds;
    if (28 + captured + 4 > length) {
      return { at: p + 20, reason: `${name}: captured length ${captured} does not fit in a block of ${length} bytes` };
    }
  }
  return {
    dataOffset: dataAt,
    captured,
    origLen,
    t,
    interface: ifIndex,
    linkType: iface.linkType,
  };
}
