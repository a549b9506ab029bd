// /proc/net/netstat and /proc/net/snmp → nstat-named counters; bad pairs become diagnostics naming the line.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseNetstatCounters } from "../src/index.js";

const SNMP = [
  "Ip: Forwarding DefaultTTL InReceives",
  "Ip: 2 64 46382",
  "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens EstabResets",
  "Tcp: 1 200 120000 -1 812 77",
  "",
].join("\n");

const NETSTAT = [
  "TcpExt: SyncookiesSent TCPAbortOnClose TCPAbortOnData",
  "TcpExt: 0 3 18446744073709551615",
  "IpExt: InNoRoutes InOctets",
  "IpExt: 0 123456789012",
].join("\r\n");

describe("parseNetstatCounters", () => {
  it("names each counter prefix + name, as nstat does, with exact 64-bit values", () => {
    const { counters, diagnostics } = parseNetstatCounters(SNMP + NETSTAT);
    expect(diagnostics).toEqual([]);
    expect([...counters]).toEqual([
      ["IpForwarding", 2n], ["IpDefaultTTL", 64n], ["IpInReceives", 46382n],
      ["TcpRtoAlgorithm", 1n], ["TcpRtoMin", 200n], ["TcpRtoMax", 120000n], ["TcpMaxConn", -1n], ["TcpActiveOpens", 812n], ["TcpEstabResets", 77n],
      ["TcpExtSyncookiesSent", 0n], ["TcpExtTCPAbortOnClose", 3n], ["TcpExtTCPAbortOnData", 18446744073709551615n],
      ["IpExtInNoRoutes", 0n], ["IpExtInOctets", 123456789012n],
    ]);
  });

  it("a values line with the wrong count, a value that is no integer, a header without values: diagnostics naming the line; other pairs kept", () => {
    const text = [
      "Tcp: ActiveOpens PassiveOpens", // 1
      "Tcp: 5", // 2: one value for two names
      "TcpExt: TCPAbortOnClose", // 3
      "TcpExt: x", // 4: not an integer
      "Udp: InDatagrams", // 5: header…
      "Ip: Forwarding", // 6: …without values; this starts the next pair
      "Ip: 1", // 7
      "garbage", // 8
      "IpExt: InOctets", // 9: the input ends
    ].join("\n");
    const { counters, diagnostics } = parseNetstatCounters(text, { source: "/proc/net/snmp" });
    expect([...counters]).toEqual([["IpForwarding", 1n]]);
    expect(diagnostics.map((d) => [d.line, d.reason])).toEqual([
      [2, '"Tcp:" has 1 values for the 2 names on line 1'],
      [4, '"TcpExt: TCPAbortOnClose" is "x", not a 64-bit integer'],
      [5, '"Udp:" header has no values line (line 6 is "Ip:")'],
      [8, 'expected "Prefix: name name …" or "Prefix: value value …" (e.g. "TcpExt: TCPAbortOnClose …")'],
      [9, '"IpExt:" header has no values line (end of input)'],
    ]);
    expect(diagnostics.every((d) => d.source === "/proc/net/snmp")).toBe(true);
    expect(diagnostics[0]?.text).toBe("Tcp: 5");
  });

  it("values beyond 64 bits are refused; a name seen twice keeps the first value", () => {
    const { counters, diagnostics } = parseNetstatCounters("A: x y\nA: 1 18446744073709551616\nB: z\nB: 1\nB: z\nB: 2\n");
    expect([...counters]).toEqual([["Bz", 1n]]);
    expect(diagnostics.map((d) => d.line)).toEqual([2, 6]);
    expect(diagnostics[1]?.reason).toBe("Bz appears twice; the first value is kept");
  });

  it("empty input: nothing, no diagnostics", () => {
    expect(parseNetstatCounters("")).toEqual({ counters: new Map(), diagnostics: [] });
  });

  it.skipIf(process.platform !== "linux")("this machine's /proc/net/netstat and /proc/net/snmp parse without a diagnostic", () => {
    for (const file of ["/proc/net/netstat", "/proc/net/snmp"]) {
      const text = readFileSync(file, "utf8");
      const { counters, diagnostics } = parseNetstatCounters(text, { source: file });
      expect(diagnostics).toEqual([]);
      // Every name on every header line became a counter (pairs: header, values).
      const lines = text.trim().split("\n");
      const names = lines.filter((_, i) => i % 2 === 0).reduce((n, l) => n + l.trim().split(/\s+/).length - 1, 0);
      expect(counters.size).toBe(names);
    }
  });
});
