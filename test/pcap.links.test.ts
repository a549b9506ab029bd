// Hand-built captures for every link type, byte order and timestamp resolution the reader
// supports, written by test/support/pcap-writer.ts (which shares no code with the reader).
import { describe, expect, it } from "vitest";
import { readPcap, type PcapSegment } from "../src/parse/pcap/index.js";
import {
  classicPcap, concat, ipv4Packet, ipv6Packet, link, pcapngSection, tcpHeader, tcpOption, type TcpSpec,
} from "./support/pcap-writer.js";

const V4: TcpSpec = { src: "10.0.0.1", dst: "192.168.1.20", sport: 40000, dport: 80, flags: ["PSH", "ACK"], seq: 4000000000, ack: 17, window: 512, payload: 7 };
const V6: TcpSpec = { src: "2001:db8::1", dst: "fe80::2", sport: 1234, dport: 443, flags: ["FIN", "ACK"], seq: 99, ack: 0xffffffff, window: 0, payload: 0 };

const brief = (s: PcapSegment | undefined): string =>
  s ? `${s.ipVersion} ${s.src.address}.${s.src.port} > ${s.dst.address}.${s.dst.port} [${s.flags.join(",")}] ${s.seq} ${s.ack} w${s.window} l${s.len}` : "none";
const V4_BRIEF = "4 10.0.0.1.40000 > 192.168.1.20.80 [PSH,ACK] 4000000000 17 w512 l7";
const V6_BRIEF = "6 2001:db8::1.1234 > fe80::2.443 [FIN,ACK] 99 4294967295 w0 l0";

function one(linkType: number, frame: Uint8Array, opts: { little?: boolean; nano?: boolean } = {}) {
  return readPcap(classicPcap([{ sec: 1000, frac: 250, data: frame }], { linkType, ...opts }));
}

describe("link types (classic pcap)", () => {
  const cases: [string, number, Uint8Array, string][] = [
    ["Ethernet, IPv4", 1, link.ethernet(ipv4Packet(V4)), V4_BRIEF],
    ["Ethernet, IPv6", 1, link.ethernet(ipv6Packet(V6)), V6_BRIEF],
    ["Ethernet 802.1Q VLAN", 1, link.ethernet(ipv4Packet(V4), [100]), V4_BRIEF],
    ["Ethernet QinQ (two tags)", 1, link.ethernet(ipv6Packet(V6), [100, 200]), V6_BRIEF],
    ["Linux cooked SLL (113), IPv4", 113, link.sll(ipv4Packet(V4)), V4_BRIEF],
    ["Linux cooked SLL (113), IPv6", 113, link.sll(ipv6Packet(V6)), V6_BRIEF],
    ["Linux cooked SLL2 (276), IPv4", 276, link.sll2(ipv4Packet(V4)), V4_BRIEF],
    ["Linux cooked SLL2 (276), IPv6", 276, link.sll2(ipv6Packet(V6)), V6_BRIEF],
    ["raw IP (101), IPv4", 101, link.raw(ipv4Packet(V4)), V4_BRIEF],
    ["raw IP (101), IPv6", 101, link.raw(ipv6Packet(V6)), V6_BRIEF],
    ["BSD DLT_RAW (12)", 12, link.raw(ipv4Packet(V4)), V4_BRIEF],
    ["OpenBSD DLT_RAW (14)", 14, link.raw(ipv6Packet(V6)), V6_BRIEF],
    ["LINKTYPE_IPV4 (228)", 228, ipv4Packet(V4), V4_BRIEF],
    ["LINKTYPE_IPV6 (229)", 229, ipv6Packet(V6), V6_BRIEF],
    ["null, AF_INET little-endian", 0, link.null(ipv4Packet(V4), 2, true), V4_BRIEF],
    ["null, AF_INET big-endian", 0, link.null(ipv4Packet(V4), 2, false), V4_BRIEF],
    ["null, AF_INET6 24 (NetBSD/OpenBSD) LE", 0, link.null(ipv6Packet(V6), 24, true), V6_BRIEF],
    ["null, AF_INET6 28 (FreeBSD) BE", 0, link.null(ipv6Packet(V6), 28, false), V6_BRIEF],
    ["null, AF_INET6 30 (macOS) LE", 0, link.null(ipv6Packet(V6), 30, true), V6_BRIEF],
    ["null, AF_INET6 30 (macOS) BE", 0, link.null(ipv6Packet(V6), 30, false), V6_BRIEF],
    ["OpenBSD loop (108), always big-endian", 108, link.null(ipv4Packet(V4), 2, false), V4_BRIEF],
  ];
  it.each(cases)("%s", (_name, linkType, frame, expected) => {
    for (const little of [true, false]) {
      const r = one(linkType, frame, { little });
      expect(r.diagnostics).toEqual([]);
      expect(r.segments.map(brief)).toEqual([expected]);
      expect(r.byteOrder).toBe(little ? "little" : "big");
    }
  });
});

describe("timestamps and byte orders (classic)", () => {
  it.each([
    [true, false, 1000.00025], [false, false, 1000.00025], [true, true, 1000.00000025], [false, true, 1000.00000025],
  ])("little %s, nano %s → t = %f", (little, nano, t) => {
    const r = one(1, link.ethernet(ipv4Packet(V4)), { little, nano });
    expect(r.interfaces[0]?.unitsPerSecond).toBe(nano ? 1e9 : 1e6);
    expect(r.segments[0]?.t).toBeCloseTo(t, 9);
  });
});

describe("IP and TCP details", () => {
  it("parses every TCP option kind into a record, and lists unknown ones", () => {
    const options = concat(
      tcpOption.mss(1460), tcpOption.nop(), tcpOption.windowScale(7), tcpOption.sackPermitted(),
      tcpOption.sack([[100, 200]]), tcpOption.timestamp(0xdeadbeef, 42), Uint8Array.of(30, 4, 0, 0),
    );
    const r = one(1, link.ethernet(ipv4Packet({ ...V4, options })));
    expect(r.diagnostics).toEqual([]);
    expect(r.segments[0]?.options).toEqual({
      mss: 1460, windowScale: 7, sackPermitted: true, sack: [{ left: 100, right: 200 }],
      timestamp: { value: 0xdeadbeef, echo: 42 }, unknown: [{ kind: 30, length: 4 }],
    });
    expect(r.segments[0]?.len).toBe(7);
  });

  it("honours the IPv4 IHL (IP options)", () => {
    const r = one(1, link.ethernet(ipv4Packet(V4, { ipOptions: Uint8Array.of(1, 1, 1, 0, 1, 1, 1, 0) })));
    expect(r.segments.map(brief)).toEqual([V4_BRIEF]);
  });

  it("skips IPv6 extension headers (hop-by-hop, destination options, routing, atomic fragment)", () => {
    const ext = (len8: number): Uint8Array => concat(Uint8Array.of(0, len8 - 1), new Uint8Array(len8 * 8 - 2));
    const r = one(1, link.ethernet(ipv6Packet(V6, [[0, ext(1)], [60, ext(2)], [43, ext(1)], [44, new Uint8Array(8)]])));
    expect(r.diagnostics).toEqual([]);
    expect(r.segments.map(brief)).toEqual([V6_BRIEF]);
  });

  it("decodes all nine control bits into flagBits, the five trace flags into flags", () => {
    const r = one(101, ipv4Packet({ ...V4, flags: ["SYN", "ACK", "ECE", "CWR", "URG"] }));
    expect(r.segments[0]?.flags).toEqual(["SYN", "ACK"]);
    expect(r.segments[0]?.flagBits).toBe(0x02 | 0x10 | 0x40 | 0x80 | 0x20);
  });

  it("counts packets that are not TCP, with a reason, and keeps reading", () => {
    const frames = [
      link.ethernetType(0x0806, new Uint8Array(28)),
      link.ethernet(ipv4Packet(V4, { protocol: 17 }, new Uint8Array(12))),
      link.ethernet(ipv6Packet(V6, [], new Uint8Array(8)).map((b, i) => (i === 6 ? 58 : b))),
      link.ethernet(ipv4Packet(V4, { fragment: 0x2000 })),
      link.ethernet(ipv4Packet(V4, { fragment: 0x0010 })),
      link.null(ipv4Packet(V4), 17, true),
      link.null(ipv4Packet(V4), 2, true),
    ];
    const r = readPcap(concat(classicPcap(frames.slice(0, 5).map((data, i) => ({ sec: i, frac: 0, data })), { linkType: 1 })));
    expect(r.frames).toBe(5);
    expect(r.segments).toEqual([]);
    expect(r.skippedByKind).toEqual({ arp: 1, udp: 1, icmpv6: 1, "ipv4-fragment": 2 });
    expect(r.skipped.map((s) => [s.frame, s.reason])).toEqual([
      [1, "not IP: ethertype 0x0806 (arp)"],
      [2, "not TCP: IP protocol 17 (udp)"],
      [3, "not TCP: IP protocol 58 (icmpv6)"],
      [4, "IPv4 fragment (offset 0, more fragments, protocol 6): fragments are not reassembled"],
      [5, "IPv4 fragment (offset 128, protocol 6): fragments are not reassembled"],
    ]);
    const nul = readPcap(classicPcap([frames[5], frames[6]].map((data) => ({ sec: 0, frac: 0, data: data as Uint8Array })), { linkType: 0 }));
    expect(nul.skippedByKind).toEqual({ "AF 17": 1 });
    expect(nul.segments.map(brief)).toEqual([V4_BRIEF]);
    const unsupported = one(105, new Uint8Array(40));
    expect(unsupported.skipped[0]?.reason).toBe("link type 105 is not supported");
    expect(unsupported.interfaces[0]?.linkTypeName).toBe("unsupported link type 105");
  });

  it("computes len from the IP length, so a snaplen cut inside the payload still gives the segment", () => {
    const frame = link.ethernet(ipv4Packet({ ...V4, payload: 1000 }));
    const cut = frame.slice(0, 14 + 20 + 20 + 10);
    const r = readPcap(classicPcap([{ sec: 1, frac: 0, data: cut, origLen: frame.length }], { linkType: 1, snaplen: 64 }));
    expect(r.segments[0]).toMatchObject({ len: 1000, sliced: true });
  });

  it("formats IPv6 addresses per RFC 5952", () => {
    const spec = (src: string): TcpSpec => ({ ...V6, src });
    const got = ["2001:db8:0:0:1:0:0:1", "::1", "::", "2001:db8:0:1:1:1:1:1", "::ffff:c000:0280", "fe80::"]
      .map((a) => one(229, ipv6Packet(spec(a))).segments[0]?.src.address);
    expect(got).toEqual(["2001:db8::1:0:0:1", "::1", "::", "2001:db8:0:1:1:1:1:1", "::ffff:192.0.2.128", "fe80::"]);
  });
});

describe("pcapng", () => {
  it("reads several interfaces with their own link types and resolutions; SPB; skips unknown blocks", () => {
    const bytes = pcapngSection({
      interfaces: [
        { linkType: 1, name: "eth0" },
        { linkType: 113, tsresol: 9 },
        { linkType: 101, tsresol: 0x80 | 10 },
      ],
      blocks: [
        { type: "epb", iface: 0, units: 5_000_250n, data: link.ethernet(ipv4Packet(V4)) },
        { type: "opaque", code: 4, body: new Uint8Array(8) }, // name resolution block
        { type: "epb", iface: 1, units: 6_000_000_001n, data: link.sll(ipv6Packet(V6)) },
        { type: "opaque", code: 0x0bad, body: new Uint8Array(20) }, // a block type nobody knows
        { type: "epb", iface: 2, units: 3n * 1024n + 512n, data: ipv4Packet(V4) },
        { type: "spb", data: link.ethernet(ipv6Packet(V6)) },
        { type: "opaque", code: 5, body: new Uint8Array(16) }, // interface statistics
      ],
    });
    const r = readPcap(bytes);
    expect(r.diagnostics).toEqual([]);
    expect(r.format).toBe("pcapng");
    expect(r.interfaces.map((i) => [i.linkType, i.unitsPerSecond, i.name])).toEqual([[1, 1e6, "eth0"], [113, 1e9, undefined], [101, 1024, undefined]]);
    expect(r.frames).toBe(4);
    expect(r.segments.map((s) => [s.frame, s.interface, brief(s)])).toEqual([
      [1, 0, V4_BRIEF], [2, 1, V6_BRIEF], [3, 2, V4_BRIEF], [4, 0, V6_BRIEF],
    ]);
    expect(r.segments.map((s) => s.t)).toEqual([5.00025, 6.000000001, 3.5, 3.5]);
  });

  it("reads a big-endian section followed by a little-endian one (interfaces reset per section)", () => {
    const a = pcapngSection({ little: false, interfaces: [{ linkType: 101 }], blocks: [{ type: "epb", iface: 0, units: 1n, data: ipv4Packet(V4) }] });
    const b = pcapngSection({ little: true, interfaces: [{ linkType: 1 }], blocks: [{ type: "epb", iface: 0, units: 2n, data: link.ethernet(ipv6Packet(V6)) }] });
    const r = readPcap(concat(a, b));
    expect(r.byteOrder).toBe("big");
    expect(r.diagnostics).toEqual([]);
    expect(r.segments.map(brief)).toEqual([V4_BRIEF, V6_BRIEF]);
    expect(r.interfaces.map((i) => i.linkType)).toEqual([101, 1]);
  });

  it("reports a packet block for an interface that was never described, and reads on", () => {
    const bytes = pcapngSection({ interfaces: [{ linkType: 101 }], blocks: [
      { type: "epb", iface: 3, units: 1n, data: ipv4Packet(V4) },
      { type: "epb", iface: 0, units: 1n, data: ipv4Packet(V4) },
    ] });
    const r = readPcap(bytes);
    expect(r.segments.map((s) => s.frame)).toEqual([2]);
    // SHB 28 bytes + IDB 20 bytes: the first EPB starts at 48, its interface field at 56.
    expect(r.diagnostics).toEqual([{ offset: 56, reason: "enhanced packet block: interface 3 is not described (1 interface(s) in this section)" }]);
  });
});

it("tcpHeader sanity: the writer pads options to 4 bytes", () => {
  expect(tcpHeader({ ...V4, payload: 0, options: tcpOption.windowScale(1) }).length).toBe(24);
});
