// Real loopback captures (test/fixtures/pcap/make-fixtures.mjs), read back exactly as
// `tcpdump -nn -S -r` prints them; the pcapng copies must read the same.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readPcap, type PcapSegment } from "../src/parse/pcap/index.js";
import { classicToPcapng } from "./support/pcap-writer.js";

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./fixtures/pcap/${name}`, import.meta.url)));
const row = (s: PcapSegment): string =>
  `${s.frame} ${s.src.address}.${s.src.port} > ${s.dst.address}.${s.dst.port} [${s.flags.join(",")}] seq ${s.seq} ack ${s.ack} win ${s.window} len ${s.len}`;

describe("four-way-close-v4.pcap (classic, little-endian, microseconds, Ethernet)", () => {
  const r = readPcap(fixture("four-way-close-v4.pcap"), { source: "four-way-close-v4.pcap" });

  it("reads the container", () => {
    expect(r.format).toBe("pcap");
    expect(r.byteOrder).toBe("little");
    expect(r.interfaces).toEqual([{ linkType: 1, linkTypeName: "ETHERNET", snaplen: 262144, unitsPerSecond: 1e6 }]);
    expect(r.frames).toBe(11);
    expect(r.diagnostics).toEqual([]);
    expect(r.skipped).toEqual([]);
  });

  it("yields exactly the captured segments", () => {
    const c = "127.0.0.1.53054";
    const s = "127.0.0.1.46865";
    expect(r.segments.map(row)).toEqual([
      `1 ${c} > ${s} [SYN] seq 1942753787 ack 0 win 65495 len 0`,
      `2 ${s} > ${c} [SYN,ACK] seq 3355287464 ack 1942753788 win 65483 len 0`,
      `3 ${c} > ${s} [ACK] seq 1942753788 ack 3355287465 win 64 len 0`,
      `4 ${c} > ${s} [PSH,ACK] seq 1942753788 ack 3355287465 win 64 len 5`,
      `5 ${s} > ${c} [ACK] seq 3355287465 ack 1942753793 win 64 len 0`,
      `6 ${c} > ${s} [FIN,ACK] seq 1942753793 ack 3355287465 win 64 len 0`,
      `7 ${s} > ${c} [ACK] seq 3355287465 ack 1942753794 win 64 len 0`,
      `8 ${s} > ${c} [PSH,ACK] seq 3355287465 ack 1942753794 win 64 len 3`,
      `9 ${c} > ${s} [ACK] seq 1942753794 ack 3355287468 win 64 len 0`,
      `10 ${s} > ${c} [FIN,ACK] seq 3355287468 ack 1942753794 win 64 len 0`,
      `11 ${c} > ${s} [ACK] seq 1942753794 ack 3355287469 win 64 len 0`,
    ]);
  });

  it("parses options, offsets and timestamps", () => {
    const [syn, synAck, ack] = r.segments;
    expect(syn?.options).toEqual({ mss: 65495, sackPermitted: true, timestamp: { value: 1400416521, echo: 0 }, windowScale: 10 });
    expect(synAck?.options).toEqual({ mss: 65495, sackPermitted: true, timestamp: { value: 1750015510, echo: 1400416521 }, windowScale: 10 });
    expect(ack?.options).toEqual({ timestamp: { value: 1400416521, echo: 1750015510 } });
    // 24-byte file header; each record is 16 bytes + 66..78 bytes of frame.
    expect(r.segments.map((s) => s.offset)).toEqual([24, 114, 204, 286, 373, 455, 537, 619, 704, 786, 868]);
    expect(syn?.t).toBeCloseTo(1795488588.944854, 6);
    expect(r.segments.at(-1)?.t).toBeCloseTo(1795488589.30564, 6);
    expect(r.segments.every((s) => s.ipVersion === 4 && s.interface === 0 && !s.sliced)).toBe(true);
  });

  it.each([true, false])("reads identically as pcapng (little-endian %s)", (little) => {
    const ng = readPcap(classicToPcapng(fixture("four-way-close-v4.pcap"), little));
    expect(ng.format).toBe("pcapng");
    expect(ng.byteOrder).toBe(little ? "little" : "big");
    expect(ng.interfaces).toEqual([{ linkType: 1, linkTypeName: "ETHERNET", snaplen: 262144, unitsPerSecond: 1e6, name: "lo" }]);
    expect(ng.diagnostics).toEqual([]);
    expect(ng.segments.map(({ offset: _o, ...s }) => s)).toEqual(r.segments.map(({ offset: _o, ...s }) => s));
  });
});

describe("three-way-close-v6-nano.pcap (classic, nanoseconds, IPv6 ::1)", () => {
  const r = readPcap(fixture("three-way-close-v6-nano.pcap"));

  it("yields exactly the captured segments: the close is F. / F. / .", () => {
    expect(r.interfaces[0]?.unitsPerSecond).toBe(1e9);
    const c = "::1.42484";
    const s = "::1.39869";
    expect(r.segments.map(row)).toEqual([
      `1 ${c} > ${s} [SYN] seq 2927728122 ack 0 win 65476 len 0`,
      `2 ${s} > ${c} [SYN,ACK] seq 139391422 ack 2927728123 win 65464 len 0`,
      `3 ${c} > ${s} [ACK] seq 2927728123 ack 139391423 win 64 len 0`,
      `4 ${c} > ${s} [PSH,ACK] seq 2927728123 ack 139391423 win 64 len 5`,
      `5 ${s} > ${c} [ACK] seq 139391423 ack 2927728128 win 64 len 0`,
      `6 ${c} > ${s} [FIN,ACK] seq 2927728128 ack 139391423 win 64 len 0`,
      `7 ${s} > ${c} [FIN,ACK] seq 139391423 ack 2927728129 win 64 len 0`,
      `8 ${c} > ${s} [ACK] seq 2927728129 ack 139391424 win 64 len 0`,
    ]);
    expect(r.segments.every((x) => x.ipVersion === 6)).toBe(true);
  });

  it("keeps nanosecond timestamps (to float precision)", () => {
    // A double holds epoch seconds to ~0.2 µs; the nanosecond count itself is read exactly.
    expect(r.segments[0]?.t).toBeCloseTo(1795488590.551347, 6);
    expect((r.segments[1]?.t ?? 0) - (r.segments[0]?.t ?? 0)).toBeCloseTo(0.000017405, 6);
  });

  it("reads identically as big-endian pcapng with if_tsresol 9", () => {
    const ng = readPcap(classicToPcapng(fixture("three-way-close-v6-nano.pcap"), false));
    expect(ng.interfaces[0]?.unitsPerSecond).toBe(1e9);
    expect(ng.segments.map(({ offset: _o, ...s }) => s)).toEqual(r.segments.map(({ offset: _o, ...s }) => s));
  });
});

describe("other real captures", () => {
  it("refused-v4.pcap: SYN answered by RST+ACK", () => {
    const r = readPcap(fixture("refused-v4.pcap"));
    expect(r.segments.map((s) => [s.flags.join(","), s.seq, s.ack, s.len])).toEqual([
      ["SYN", 1218607052, 0, 0],
      ["RST,ACK", 0, 1218607053, 0],
    ]);
  });

  it("rst-v4.pcap: the server aborts with RST+ACK after reading", () => {
    const r = readPcap(fixture("rst-v4.pcap"));
    expect(r.segments.map((s) => s.flags.join(","))).toEqual(["SYN", "SYN,ACK", "ACK", "PSH,ACK", "ACK", "RST,ACK"]);
    expect(r.segments[5]).toMatchObject({ seq: 1996169631, ack: 3215705280, len: 0 });
  });
});
