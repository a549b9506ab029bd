/**
 * Grouping segments into connections by their 4-tuple, in either direction, and deciding
 * which side is the client.
 */
import type { PcapEndpoint, PcapSegment } from "../parse/pcap/types.js";

export interface SegmentGroup {
  readonly client: PcapEndpoint;
  readonly server: PcapEndpoint;
  readonly segments: readonly PcapSegment[];
}

export const endpointKey = (e: PcapEndpoint): string => `${e.address}|${e.port}`;
const isPureSyn = (s: PcapSegment): boolean => s.flags.includes("SYN") && !s.flags.includes("ACK");
const ended = (segments: readonly PcapSegment[]): boolean =>
  segments.some((s) => s.flags.includes("RST") || s.flags.includes("FIN"));

/**
 * A new SYN on a 4-tuple whose connection already ended (a FIN or RST was seen) starts a new
 * connection: Linux reuses a TIME_WAIT pair for a SYN with a higher ISN (RFC 6191), and
 * tcp_tw_reuse lets a client do it on purpose.
 */
export function groupConnections(segments: readonly PcapSegment[]): SegmentGroup[] {
  const open = new Map<string, PcapSegment[]>();
  const groups: PcapSegment[][] = [];
  for (const s of segments) {
    const a = endpointKey(s.src);
    const b = endpointKey(s.dst);
    const key = a < b ? `${a}/${b}` : `${b}/${a}`;
    let group = open.get(key);
    if (group && isPureSyn(s) && ended(group) && !group.some((g) => isPureSyn(g) && g.seq === s.seq)) group = undefined;
    if (!group) {
      group = [];
      open.set(key, group);
      groups.push(group);
    }
    group.push(s);
  }
  return groups.map((g) => {
    const first = g[0] as PcapSegment;
    // The client sent the first SYN; failing that, it received the first SYN+ACK; failing that,
    // it is whoever spoke first.
    const syn = g.find(isPureSyn);
    const synAck = g.find((s) => s.flags.includes("SYN") && s.flags.includes("ACK"));
    const client = syn ? syn.src : synAck ? synAck.dst : first.src;
    const server = syn ? syn.dst : synAck ? synAck.src : first.dst;
    return { client, server, segments: g };
  });
}
