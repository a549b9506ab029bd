/**
 * A tiny capture writer, for tests only: builds IPv4/IPv6 TCP packets, wraps them in each
 * link layer, and writes classic pcap (either byte order, micro or nano) and pcapng (either
 * byte order, several interfaces, EPB/SPB/unknown blocks). It shares no code with the reader
 * in src/parse/pcap, so the two check each other.
 */

export type Bytes = Uint8Array;

export function concat(...parts: readonly Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function u16(v: number, little = false): Bytes {
  const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, little); return b;
}
function u32(v: number, little = false): Bytes {
  const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, little); return b;
}

export function ipv4(addr: string): Bytes {
  return Uint8Array.from(addr.split(".").map(Number));
}

/** Full (uncompressed) or "::"-compressed IPv6 text → 16 bytes. */
export function ipv6(addr: string): Bytes {
  const [head, tail] = addr.includes("::") ? addr.split("::") as [string, string] : [addr, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return concat(...groups.map((g) => u16(parseInt(g, 16))));
}

const FLAG_BITS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 };

export interface TcpSpec {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly flags: readonly string[];
  readonly seq?: number;
  readonly ack?: number;
  readonly window?: number;
  readonly payload?: number;
  /** Raw option bytes (padded to 4 by the writer). */
  readonly options?: Bytes;
}

export function tcpHeader(spec: TcpSpec): Bytes {
  const raw = spec.options ?? new Uint8Array();
  const opts = concat(raw, new Uint8Array((4 - (raw.length % 4)) % 4));
  const bits = spec.flags.reduce((b, f) => b | (FLAG_BITS[f] ?? 0), 0);
  const offset = (20 + opts.length) / 4;
  return concat(
    u16(spec.sport), u16(spec.dport), u32(spec.seq ?? 0), u32(spec.ack ?? 0),
    Uint8Array.of(offset << 4, bits), u16(spec.window ?? 1000), u16(0), u16(0), opts,
    new Uint8Array(spec.payload ?? 0),
  );
}

export interface Ipv4Extra { readonly protocol?: number; readonly fragment?: number; readonly ipOptions?: Bytes }

/** An IPv4 packet; protocol 6 with a TCP segment unless `extra.protocol` says otherwise. */
export function ipv4Packet(spec: TcpSpec, extra: Ipv4Extra = {}, body: Bytes = tcpHeader(spec)): Bytes {
  const opts = extra.ipOptions ?? new Uint8Array();
  const ihl = 5 + opts.length / 4;
  return concat(
    Uint8Array.of(0x40 | ihl, 0), u16(ihl * 4 + body.length), u16(1), u16(extra.fragment ?? 0x4000),
    Uint8Array.of(64, extra.protocol ?? 6), u16(0), ipv4(spec.src), ipv4(spec.dst), opts, body,
  );
}

/** An IPv6 packet; `extensions` are [next-header code, header bytes] pairs placed before TCP. */
export function ipv6Packet(spec: TcpSpec, extensions: readonly (readonly [number, Bytes])[] = [], body: Bytes = tcpHeader(spec)): Bytes {
  const chain: Bytes[] = [];
  let first = 6;
  for (let i = extensions.length - 1; i >= 0; i--) {
    const [code, header] = extensions[i] as readonly [number, Bytes];
    const withNext = concat(Uint8Array.of(first), header.subarray(1));
    chain.unshift(withNext);
    first = code;
  }
  const payload = concat(...chain, body);
  return concat(u32(0x60000000), u16(payload.length), Uint8Array.of(first, 64), ipv6(spec.src), ipv6(spec.dst), payload);
}

export const link = {
  ethernet(ip: Bytes, vlans: readonly number[] = []): Bytes {
    const type = (ip[0] ?? 0) >> 4 === 6 ? 0x86dd : 0x0800;
    return concat(new Uint8Array(12), ...vlans.map((v) => concat(u16(0x8100), u16(v))), u16(type), ip);
  },
  ethernetType(type: number, body: Bytes): Bytes {
    return concat(new Uint8Array(12), u16(type), body);
  },
  sll(ip: Bytes): Bytes {
    const type = (ip[0] ?? 0) >> 4 === 6 ? 0x86dd : 0x0800;
    return concat(u16(0), u16(772), u16(6), new Uint8Array(8), u16(type), ip);
  },
  sll2(ip: Bytes): Bytes {
    const type = (ip[0] ?? 0) >> 4 === 6 ? 0x86dd : 0x0800;
    return concat(u16(type), u16(0), u32(1), u16(772), Uint8Array.of(0, 6), new Uint8Array(8), ip);
  },
  null(ip: Bytes, family: number, little: boolean): Bytes {
    return concat(u32(family, little), ip);
  },
  raw(ip: Bytes): Bytes {
    return ip;
  },
};

export interface ClassicFrame {
  readonly sec: number;
  readonly frac: number;
  readonly data: Bytes;
  readonly origLen?: number;
}

export function classicPcap(
  frames: readonly ClassicFrame[],
  opts: { readonly linkType: number; readonly little?: boolean; readonly nano?: boolean; readonly snaplen?: number },
): Bytes {
  const le = opts.little ?? true;
  const magic = opts.nano ? 0xa1b23c4d : 0xa1b2c3d4;
  const header = concat(u32(magic, le), u16(2, le), u16(4, le), u32(0, le), u32(0, le), u32(opts.snaplen ?? 262144, le), u32(opts.linkType, le));
  return concat(header, ...frames.map((f) =>
    concat(u32(f.sec, le), u32(f.frac, le), u32(f.data.length, le), u32(f.origLen ?? f.data.length, le), f.data)));
}

/** Split a classic pcap without the reader under test: [sec, frac, data][] and its header fields. */
export function splitClassic(bytes: Bytes): { little: boolean; nano: boolean; linkType: number; frames: ClassicFrame[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = view.getUint32(0, true) === 0xa1b2c3d4 || view.getUint32(0, true) === 0xa1b23c4d;
  const nano = view.getUint32(0, little) === 0xa1b23c4d;
  const linkType = view.getUint32(20, little);
  const frames: ClassicFrame[] = [];
  for (let p = 24; p + 16 <= bytes.length;) {
    const incl = view.getUint32(p + 8, little);
    frames.push({ sec: view.getUint32(p, little), frac: view.getUint32(p + 4, little), data: bytes.slice(p + 16, p + 16 + incl),
      origLen: view.getUint32(p + 12, little) });
    p += 16 + incl;
  }
  return { little, nano, linkType, frames };
}

const pad4 = (b: Bytes): Bytes => concat(b, new Uint8Array((4 - (b.length % 4)) % 4));

function option(code: number, value: Bytes, le: boolean): Bytes {
  return concat(u16(code, le), u16(value.length, le), pad4(value));
}

function block(type: number, body: Bytes, le: boolean): Bytes {
  const padded = pad4(body);
  const len = padded.length + 12;
  return concat(u32(type, le), u32(len, le), padded, u32(len, le));
}

export interface NgInterface { readonly linkType: number; readonly snaplen?: number; readonly tsresol?: number; readonly name?: string }
export type NgBlock =
  | { readonly type: "epb"; readonly iface: number; readonly units: bigint; readonly data: Bytes; readonly origLen?: number }
  | { readonly type: "spb"; readonly data: Bytes; readonly origLen?: number }
  | { readonly type: "opaque"; readonly code: number; readonly body: Bytes };

export function pcapngSection(opts: { readonly little?: boolean; readonly interfaces: readonly NgInterface[]; readonly blocks: readonly NgBlock[] }): Bytes {
  const le = opts.little ?? true;
  const shb = block(0x0a0d0d0a, concat(u32(0x1a2b3c4d, le), u16(1, le), u16(0, le), u32(0xffffffff, le), u32(0xffffffff, le)), le);
  const idbs = opts.interfaces.map((i) => block(1, concat(
    u16(i.linkType, le), u16(0, le), u32(i.snaplen ?? 262144, le),
    ...(i.name !== undefined ? [option(2, new TextEncoder().encode(i.name), le)] : []),
    ...(i.tsresol !== undefined ? [option(9, Uint8Array.of(i.tsresol), le)] : []),
    ...(i.name !== undefined || i.tsresol !== undefined ? [u32(0, le)] : []),
  ), le));
  const blocks = opts.blocks.map((b) => {
    if (b.type === "epb") {
      return block(6, concat(u32(b.iface, le), u32(Number(b.units >> 32n), le), u32(Number(b.units & 0xffffffffn), le),
        u32(b.data.length, le), u32(b.origLen ?? b.data.length, le), pad4(b.data)), le);
    }
    if (b.type === "spb") return block(3, concat(u32(b.origLen ?? b.data.length, le), pad4(b.data)), le);
    return block(b.code, b.body, le);
  });
  return concat(shb, ...idbs, ...blocks);
}

/** A real classic capture rewritten as pcapng, same frames and timestamps (tsresol 6 or 9). */
export function classicToPcapng(bytes: Bytes, little: boolean): Bytes {
  const c = splitClassic(bytes);
  const per = c.nano ? 1_000_000_000n : 1_000_000n;
  return pcapngSection({
    little,
    interfaces: [{ linkType: c.linkType, ...(c.nano && { tsresol: 9 }), name: "lo" }],
    blocks: c.frames.map((f) => ({ type: "epb" as const, iface: 0, units: BigInt(f.sec) * per + BigInt(f.frac), data: f.data,
      ...(f.origLen !== undefined && { origLen: f.origLen }) })),
  });
}

/** TCP option bytes. */
export const tcpOption = {
  mss: (v: number): Bytes => concat(Uint8Array.of(2, 4), u16(v)),
  windowScale: (v: number): Bytes => Uint8Array.of(3, 3, v),
  sackPermitted: (): Bytes => Uint8Array.of(4, 2),
  sack: (blocks: readonly (readonly [number, number])[]): Bytes =>
    concat(Uint8Array.of(5, 2 + 8 * blocks.length), ...blocks.flatMap(([l, r]) => [u32(l), u32(r)])),
  timestamp: (value: number, echo: number): Bytes => concat(Uint8Array.of(8, 10), u32(value), u32(echo)),
  nop: (): Bytes => Uint8Array.of(1),
};
