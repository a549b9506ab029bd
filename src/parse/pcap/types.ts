/**
 * What the pcap reader produces. Pure data: no Node types, so the site can bundle it.
 */
import type { Flag } from "../../sim/trace.js";
import type { Diagnostic } from "../types.js";

export type CaptureFormat = "pcap" | "pcapng";

/** One end of a TCP segment: a textual IP address (RFC 5952 for IPv6) and a port. */
export interface PcapEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface SackBlock {
  readonly left: number;
  readonly right: number;
}

/** TCP options (RFC 9293 §3.2; RFC 7323 window scale and timestamps; RFC 2018 SACK). */
export interface TcpOptions {
  /** Maximum segment size (kind 2). */
  readonly mss?: number;
  /** Window scale shift count (kind 3). */
  readonly windowScale?: number;
  /** SACK permitted (kind 4). */
  readonly sackPermitted?: boolean;
  /** SACK blocks (kind 5). */
  readonly sack?: readonly SackBlock[];
  /** Timestamps (kind 8): TSval and TSecr. */
  readonly timestamp?: { readonly value: number; readonly echo: number };
  /** Any other option, by kind and total length, in the order seen. */
  readonly unknown?: readonly { readonly kind: number; readonly length: number }[];
}

/** One TCP segment read from a capture. */
export interface PcapSegment {
  /** 1-based frame number, counting every packet record in the file (as Wireshark does). */
  readonly frame: number;
  /** Byte offset of the packet's record (pcap record header or pcapng block) in the file. */
  readonly offset: number;
  /** Capture time, seconds since the Unix epoch (float; sub-microsecond digits are rounded). */
  readonly t: number;
  /** pcapng interface index (0 for classic pcap). */
  readonly interface: number;
  readonly ipVersion: 4 | 6;
  readonly src: PcapEndpoint;
  readonly dst: PcapEndpoint;
  /** SYN, FIN, RST, PSH, ACK, in that order when present. */
  readonly flags: readonly Flag[];
  /** All nine control bits as on the wire (FIN = 0x001 … CWR = 0x080, NS/AE = 0x100). */
  readonly flagBits: number;
  /** Absolute sequence and acknowledgment numbers (unsigned 32-bit). */
  readonly seq: number;
  readonly ack: number;
  /** Payload bytes, from the IP length (a snaplen cut does not shrink it). */
  readonly len: number;
  /** The window field as sent, not scaled. */
  readonly window: number;
  readonly urgent: number;
  readonly options: TcpOptions;
  /** True when the record holds fewer bytes than the packet had (snaplen). */
  readonly sliced: boolean;
}

/** A packet that is not a TCP segment, or cannot be decoded as one; counted, never dropped silently. */
export interface SkippedPacket {
  readonly frame: number;
  readonly offset: number;
  /** A short category used for counting: "arp", "udp", "icmp", "ipv4-fragment", "link-type 105", … */
  readonly kind: string;
  readonly reason: string;
}

export interface PcapInterface {
  readonly linkType: number;
  readonly linkTypeName: string;
  readonly snaplen: number;
  /** Timestamp units per second (1e6 for microseconds, 1e9 for nanoseconds). */
  readonly unitsPerSecond: number;
  readonly name?: string;
}

export interface PcapResult {
  /** null when the bytes are not a capture at all (see the diagnostics). */
  readonly format: CaptureFormat | null;
  readonly byteOrder: "little" | "big" | null;
  readonly source?: string;
  readonly interfaces: readonly PcapInterface[];
  /** Packet records read (TCP or not). */
  readonly frames: number;
  readonly segments: readonly PcapSegment[];
  readonly skipped: readonly SkippedPacket[];
  /** skipped, counted by kind. */
  readonly skippedByKind: Readonly<Record<string, number>>;
  readonly diagnostics: readonly Diagnostic[];
}

export interface ReadPcapOptions {
  /** File name, put into every diagnostic. */
  readonly source?: string;
}
