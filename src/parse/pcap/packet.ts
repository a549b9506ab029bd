/**
 * From one frame to a TCP segment: link layer, IPv4 (RFC 791) or IPv6 (RFC 8200), TCP
 * (RFC 9293 §3.1).
 */
import type { Flag } from "../../sim/trace.js";
import { ipv4ToString, ipv6ToString } from "./address.js";
import { decodeLink } from "./link.js";
import type { PcapEndpoint, PcapSegment, SackBlock, TcpOptions } from "./types.js";

/** The segment's own fields, before the reader adds where and when it was captured. */
export type DecodedTcp = { readonly kind: "tcp" } & Pick<PcapSegment,
  "ipVersion" | "src" | "dst" | "flags" | "flagBits" | "seq" | "ack" | "len" | "window" | "urgent" | "options"> & {
  /** Problems inside a segment that was still decoded (a malformed option). */
  readonly problems: readonly { readonly at: number; readonly reason: string }[];
};

export type DecodedPacket =
  | DecodedTcp
  | { readonly kind: "other"; readonly what: string; readonly reason: string }
  | { readonly kind: "bad"; readonly at: number; readonly reason: string };

const IP_PROTOCOLS: Readonly<Record<number, string>> = {
  1: "icmp", 2: "igmp", 17: "udp", 47: "gre", 50: "esp", 58: "icmpv6", 132: "sctp",
};

const bad = (at: number, reason: string): DecodedPacket => ({ kind: "bad", at, reason });
const truncated = (at: number, what: string, n: number, have: number): DecodedPacket =>
  bad(at, `${what} truncated: need ${n} bytes, have ${Math.max(0, have)}`);

function notTcp(protocol: number): DecodedPacket {
  const what = IP_PROTOCOLS[protocol] ?? `ip-proto ${protocol}`;
  return { kind: "other", what, reason: `not TCP: IP protocol ${protocol}${IP_PROTOCOLS[protocol] ? ` (${what})` : ""}` };
}

interface IpPayload {
  readonly version: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly at: number;
  /** Payload length from the IP header (it may exceed what was captured). */
  readonly length: number;
}

function decodeIpv4(bytes: Uint8Array, view: DataView, at: number, end: number): IpPayload | DecodedPacket {
  if (end < at + 20) return truncated(at, "IPv4 header", 20, end - at);
  const first = bytes[at] ?? 0;
  if (first >> 4 !== 4) return bad(at, `IPv4 header: expected version 4, got ${first >> 4}`);
  const ihl = (first & 0x0f) * 4;
  if (ihl < 20) return bad(at, `IPv4 header: IHL ${first & 0x0f} is below the minimum of 5 (20 bytes)`);
  if (end < at + ihl) return truncated(at, "IPv4 header with options", ihl, end - at);
  const total = view.getUint16(at + 2);
  // A total length of 0 is what TCP segmentation offload leaves in captured super-packets.
  const length = total === 0 ? end - at - ihl : total - ihl;
  if (total !== 0 && total < ihl) return bad(at + 2, `IPv4 total length ${total} is smaller than the header (${ihl})`);
  const fragment = view.getUint16(at + 6);
  const moreFragments = (fragment & 0x2000) !== 0;
  const fragmentOffset = (fragment & 0x1fff) * 8;
  const protocol = bytes[at + 9] ?? 0;
  if (moreFragments || fragmentOffset !== 0) {
    return {
      kind: "other",
      what: "ipv4-fragment",
      reason: `IPv4 fragment (offset ${fragmentOffset}${moreFragments ? ", more fragments" : ""}, protocol ${protocol}): fragments are not reassembled`,
    };
  }
  return { version: 4, src: ipv4ToString(bytes, at + 12), dst: ipv4ToString(bytes, at + 16), protocol, at: at + ihl, length };
}

/** RFC 8200 §4: extension headers that may precede the upper-layer header. */
const IPV6_EXTENSIONS = new Set([0, 43, 60, 135, 139, 140]);

function decodeIpv6(bytes: Uint8Array, view: DataView, at: number, end: number): IpPayload | DecodedPacket {
  if (end < at + 40) return truncated(at, "IPv6 header", 40, end - at);
  const version = (bytes[at] ?? 0) >> 4;
  if (version !== 6) return bad(at, `IPv6 header: expected version 6, got ${version}`);
  const payload = view.getUint16(at + 4);
  const src = ipv6ToString(bytes, at + 8);
  const dst = ipv6ToString(bytes, at + 24);
  let next = bytes[at + 6] ?? 0;
  let p = at + 40;
  // A payload length of 0 means a jumbogram (RFC 2675) or offload: take what was captured.
  let remaining = payload === 0 ? end - p : payload;
  for (;;) {
    if (IPV6_EXTENSIONS.has(next) || next === 44 || next === 51) {
      if (end < p + 8) return truncated(p, `IPv6 extension header ${next}`, 8, end - p);
      const following = bytes[p] ?? 0;
      let size: number;
      if (next === 44) {
        // Fragment header: fixed 8 bytes; only an atomic fragment (offset 0, M=0) is usable.
        const field = view.getUint16(p + 2);
        const offset = field & 0xfff8;
        const more = (field & 1) !== 0;
        if (offset !== 0 || more) {
          return {
            kind: "other",
            what: "ipv6-fragment",
            reason: `IPv6 fragment (offset ${offset}${more ? ", more fragments" : ""}): fragments are not reassembled`,
          };
        }
        size = 8;
      } else if (next === 51) {
        size = ((bytes[p + 1] ?? 0) + 2) * 4; // RFC 4302 §2.2: length in 4-byte units, minus 2
      } else {
        size = ((bytes[p + 1] ?? 0) + 1) * 8;
      }
      if (end < p + size) return truncated(p, `IPv6 extension header ${next}`, size, end - p);
      p += size;
      remaining -= size;
      next = following;
      continue;
    }
    break;
  }
  if (remaining < 0) return bad(at + 4, `IPv6 payload length ${payload} is shorter than its extension headers`);
  return { version: 6, src, dst, protocol: next, at: p, length: remaining };
}

const FLAG_BITS: readonly (readonly [Flag, number])[] = [["SYN", 0x02], ["FIN", 0x01], ["RST", 0x04], ["PSH", 0x08], ["ACK", 0x10]];
/** The flag list for each combination of the five low bits, built once and shared. */
const FLAG_LISTS: readonly (readonly Flag[])[] = Array.from({ length: 32 }, (_, bits) =>
  Object.freeze(FLAG_BITS.filter(([, bit]) => (bits & bit) !== 0).map(([flag]) => flag)));

/** TCP options, RFC 9293 §3.2. A malformed option ends the list and is reported. */
function decodeOptions(
  bytes: Uint8Array, view: DataView, start: number, end: number,
): { options: TcpOptions; problems: { at: number; reason: string }[] } {
  const problems: { at: number; reason: string }[] = [];
  let mss: number | undefined;
  let windowScale: number | undefined;
  let sackPermitted: boolean | undefined;
  let sack: SackBlock[] | undefined;
  let timestamp: { value: number; echo: number } | undefined;
  const unknown: { kind: number; length: number }[] = [];
  const expectLength: Readonly<Record<number, number>> = { 2: 4, 3: 3, 4: 2, 8: 10 };
  let p = start;
  while (p < end) {
    const kind = bytes[p] ?? 0;
    if (kind === 0) break; // End of Option List
    if (kind === 1) { p++; continue; } // NOP
    if (p + 1 >= end) { problems.push({ at: p, reason: `TCP option ${kind}: length byte missing` }); break; }
    const length = bytes[p + 1] ?? 0;
    if (length < 2 || p + length > end) {
      problems.push({ at: p + 1, reason: `TCP option ${kind}: length ${length} does not fit the ${end - p} option bytes left` });
      break;
    }
    const expected = expectLength[kind];
    if (expected !== undefined && length !== expected) {
      problems.push({ at: p + 1, reason: `TCP option ${kind}: expected length ${expected}, got ${length}` });
    } else if (kind === 2) mss = view.getUint16(p + 2);
    else if (kind === 3) windowScale = bytes[p + 2] ?? 0;
    else if (kind === 4) sackPermitted = true;
    else if (kind === 8) timestamp = { value: view.getUint32(p + 2), echo: view.getUint32(p + 6) };
    else if (kind === 5) {
      if ((length - 2) % 8 !== 0) {
        problems.push({ at: p + 1, reason: `TCP SACK option: length ${length} is not 2 + 8n` });
      } else {
        sack = [];
        for (let q = p + 2; q < p + length; q += 8) sack.push({ left: view.getUint32(q), right: view.getUint32(q + 4) });
      }
    } else unknown.push({ kind, length });
    p += length;
  }
  const options: { -readonly [K in keyof TcpOptions]: TcpOptions[K] } = {};
  if (mss !== undefined) options.mss = mss;
  if (windowScale !== undefined) options.windowScale = windowScale;
  if (sackPermitted !== undefined) options.sackPermitted = sackPermitted;
  if (sack !== undefined) options.sack = sack;
  if (timestamp !== undefined) options.timestamp = timestamp;
  if (unknown.length > 0) options.unknown = unknown;
  return { options, problems };
}

function decodeTcp(bytes: Uint8Array, view: DataView, ip: IpPayload, end: number): DecodedPacket {
  const at = ip.at;
  if (end < at + 20) return truncated(at, "TCP header", 20, end - at);
  const dataOffset = ((bytes[at + 12] ?? 0) >> 4) * 4;
  if (dataOffset < 20) return bad(at + 12, `TCP header: data offset ${dataOffset / 4} is below the minimum of 5 (20 bytes)`);
  if (end < at + dataOffset) return truncated(at, "TCP header with options", dataOffset, end - at);
  if (ip.length < dataOffset) {
    return bad(at, `TCP header is ${dataOffset} bytes but the IP payload is only ${ip.length}`);
  }
  const flagBits = view.getUint16(at + 12) & 0x01ff;
  const { options, problems } = decodeOptions(bytes, view, at + 20, at + dataOffset);
  return {
    kind: "tcp",
    ipVersion: ip.version,
    src: { address: ip.src, port: view.getUint16(at) },
    dst: { address: ip.dst, port: view.getUint16(at + 2) },
    flags: FLAG_LISTS[flagBits & 0x1f] ?? [],
    flagBits,
    seq: view.getUint32(at + 4),
    ack: view.getUint32(at + 8),
    len: ip.length - dataOffset,
    window: view.getUint16(at + 14),
    urgent: view.getUint16(at + 18),
    options,
    problems,
  };
}

/**
 * Decode the frame at bytes[start, end) (its captured bytes). Offsets in the result are
 * absolute (positions in `bytes`), so they are file offsets when `bytes` is the file.
 */
export function decodePacket(linkType: number, bytes: Uint8Array, view: DataView, start: number, end: number): DecodedPacket {
  const net = decodeLink(linkType, bytes, view, start, end);
  if (net.kind !== "ip") return net;
  const ip = net.version === 4 ? decodeIpv4(bytes, view, net.at, end) : decodeIpv6(bytes, view, net.at, end);
  if ("kind" in ip) return ip;
  if (ip.protocol !== 6) return notTcp(ip.protocol);
  return decodeTcp(bytes, view, ip, end);
}
