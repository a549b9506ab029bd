/**
 * Every fixture parsed with exact expectations. The linux-* fixtures are real output captured
 * on a Linux 6.18 machine (iproute2 6.1, net-tools 2.10) while a node script held loopback
 * connections in LISTEN, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_2 and TIME_WAIT; the others are
 * built from the tools' source (misc/ss.c, netstat.c, BSD netstat, Windows netstat).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  countByState,
  countStatesSs,
  detectFormat,
  parseAuto,
  parseNetstatBsd,
  parseNetstatLinux,
  parseNetstatWindows,
  parseProcNetTcp,
  parseSockstat,
  parseSs,
  parseSsSummary,
  type ConnectionRecord,
  type LineAccount,
} from "../src/parse/index.js";

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/parse/${name}`, import.meta.url), "utf8");

function balanced(lines: LineAccount): void {
  expect(lines.blank + lines.header + lines.records + lines.rejected + lines.skipped).toBe(lines.total);
}

/** Non-zero counts only, to keep expectations short. */
function nonZero(records: readonly ConnectionRecord[]): Record<string, number> {
  return Object.fromEntries(Object.entries(countByState(records)).filter(([, n]) => n > 0));
}

// The sockets the capture script held: the same 19 in every Linux listing.
const LINUX_COUNTS = { LISTEN: 4, ESTABLISHED: 8, FIN_WAIT_2: 1, CLOSE_WAIT: 1, TIME_WAIT: 5 };

describe("ss (real output)", () => {
  for (const name of ["linux-ss-tan.txt", "linux-ss-tanH.txt", "linux-ss-tanp.txt", "linux-ss-tano.txt", "linux-ss-tanpoe.txt"]) {
    it(`${name}: 19 sockets, no diagnostics`, () => {
      const r = parseSs(fixture(name));
      expect(r.diagnostics).toEqual([]);
      expect(r.records).toHaveLength(19);
      expect(nonZero(r.records)).toEqual(LINUX_COUNTS);
      expect(r.lines.header).toBe(name === "linux-ss-tanH.txt" ? 0 : 1);
      balanced(r.lines);
    });
  }

  it("reads -p -o -e columns", () => {
    const r = parseSs(fixture("linux-ss-tanpoe.txt"));
    expect(r.records[1]).toEqual({
      line: 3,
      state: "LISTEN",
      local: { address: "127.0.0.1", port: 32953 },
      remote: { address: "0.0.0.0", port: null },
      recvQ: 0,
      sendQ: 511,
      processes: [{ name: "node", pid: 7922, fd: 19 }],
      inode: 12824,
      cookie: "2",
    });
    expect(r.records[6]).toMatchObject({ line: 8, state: "TIME_WAIT", timer: { kind: "timewait", remaining: 59, count: 0 }, inode: 0 });
    expect(r.records[18]).toMatchObject({
      state: "ESTABLISHED",
      local: { address: "::ffff:127.0.0.1", port: 45677 },
      remote: { address: "::ffff:127.0.0.1", port: 47432 },
    });
    expect(r.records[15]).toMatchObject({ state: "LISTEN", local: { address: "*", port: 45677 }, remote: { address: "*", port: null } });
    expect(r.records[14]).toMatchObject({ local: { address: "::1", port: 41815 }, remote: { address: "::", port: null } });
  });

  it("ss -an: keeps tcp rows, skips and counts the rest by Netid", () => {
    const r = parseSs(fixture("linux-ss-an.txt"));
    expect(r.records).toHaveLength(19);
    expect(r.records.every((x) => x.proto === "tcp")).toBe(true);
    expect(r.skipped).toEqual([
      { reason: 'Netid "nl" is not TCP', count: 11, firstLine: 2 },
      { reason: 'Netid "u_str" is not TCP', count: 8, firstLine: 13 },
    ]);
    expect(r.lines).toEqual({ total: 39, blank: 0, header: 1, records: 19, rejected: 0, skipped: 19 });
  });

  it("no State column: asks for the state, then uses it", () => {
    const text = fixture("linux-ss-state-tw.txt");
    const without = parseSs(text);
    expect(without.records).toEqual([]);
    expect(without.diagnostics).toHaveLength(1);
    expect(without.diagnostics[0]?.reason).toMatch(/no State column.*pass that state/);
    expect(without.lines).toEqual({ total: 6, blank: 0, header: 1, records: 0, rejected: 0, skipped: 5 });
    const withState = parseSs(text, { state: "TIME_WAIT" });
    expect(withState.diagnostics).toEqual([]);
    expect(nonZero(withState.records)).toEqual({ TIME_WAIT: 5 });
    expect(withState.records[3]).toMatchObject({ line: 5, local: { address: "192.0.2.2", port: 54510 }, remote: { address: "203.0.113.80", port: 80 } });
    expect(nonZero(parseSs(fixture("linux-ss-state-estab-o.txt"), { state: "ESTABLISHED" }).records)).toEqual({ ESTABLISHED: 8 });
  });

  it("variety: several processes, every timer spelling, uid, scope, -i detail lines", () => {
    const r = parseSs(fixture("ss-tanpoe-variety.txt"));
    expect(r.diagnostics).toEqual([]);
    expect(r.records).toHaveLength(16);
    expect(r.skipped).toEqual([{ reason: "detail line (ss -i/-m) under the socket above", count: 1, firstLine: 17 }]);
    balanced(r.lines);
    const byLine = new Map(r.records.map((x) => [x.line, x]));
    expect(byLine.get(2)).toMatchObject({ local: { address: "127.0.0.53", scope: "lo", port: 53 }, uid: 990, processes: [{ name: "systemd-resolve", pid: 612, fd: 14 }] });
    expect(byLine.get(3)?.processes).toEqual([
      { name: "nginx", pid: 1201, fd: 6 },
      { name: "nginx", pid: 1200, fd: 6 },
      { name: "nginx", pid: 1199, fd: 6 },
    ]);
    expect(byLine.get(4)).toMatchObject({ recvQ: 3, sendQ: 128 });
    expect(byLine.get(5)?.timer).toEqual({ kind: "on", remaining: 0.2, count: 0 });
    expect(byLine.get(6)?.timer).toEqual({ kind: "keepalive", remaining: 7140, count: 0 });
    expect(byLine.get(7)).toMatchObject({ processes: [{ name: "Web Content", pid: 16100, fd: 71 }], timer: { remaining: 62 } });
    // ss prints 1.204 SECONDS as "1.204ms" (print_ms_timer); patched builds say "1.234sec".
    expect(byLine.get(8)).toMatchObject({ state: "SYN_SENT", timer: { kind: "on", remaining: 1.204, count: 2 } });
    expect(byLine.get(9)).toMatchObject({ state: "SYN_RCVD", timer: { remaining: 1.234, count: 1 } });
    expect(byLine.get(10)).toMatchObject({ state: "FIN_WAIT_1", sendQ: 517 });
    expect(byLine.get(11)).toMatchObject({ state: "FIN_WAIT_2", timer: { kind: "timewait", remaining: 38 } });
    expect(byLine.get(12)).toMatchObject({ state: "CLOSE_WAIT", recvQ: 1 });
    expect(byLine.get(13)?.state).toBe("LAST_ACK");
    expect(byLine.get(14)).toMatchObject({ state: "CLOSING", timer: { remaining: 720, count: 5 } });
    expect(byLine.get(16)).toMatchObject({
      local: { address: "fe80::a00:27ff:fe4e:66a1", scope: "eth0", port: 22 },
      remote: { address: "fe80::1", scope: "eth0", port: 50022 },
    });
    expect(byLine.get(18)).toMatchObject({ local: { address: "::ffff:192.0.2.10", port: 8080 } });
  });

  it("old iproute2: unbracketed IPv6 and service names", () => {
    const r = parseSs(fixture("ss-tan-old-iproute2.txt"));
    expect(r.diagnostics).toEqual([]);
    expect(r.records.map((x) => x.local)).toEqual([
      { address: "*", port: 22 },
      { address: "::", port: 22 },
      { address: "10.0.2.15", port: 22 },
      { address: "10.0.2.15", port: 43406 },
      { address: "::ffff:10.0.2.15", port: 8080 },
      { address: "127.0.0.1", port: null, service: "http" },
    ]);
  });

  it("countStatesSs agrees with parseSs on every ss fixture", () => {
    for (const name of ["linux-ss-tan.txt", "linux-ss-tanH.txt", "linux-ss-tanpoe.txt", "linux-ss-an.txt", "ss-tanpoe-variety.txt", "ss-tan-old-iproute2.txt"]) {
      const text = fixture(name);
      const full = parseSs(text);
      const fast = countStatesSs(text);
      expect(fast.counts, name).toEqual(countByState(full.records));
      expect(fast.lines, name).toEqual(full.lines);
      expect(fast.skipped, name).toEqual(full.skipped);
      const fromBytes = countStatesSs(new TextEncoder().encode(text));
      expect(fromBytes.counts, `${name} as bytes`).toEqual(fast.counts);
      expect(fromBytes.lines, `${name} as bytes`).toEqual(fast.lines);
    }
    expect(countStatesSs(fixture("linux-ss-state-tw.txt"), { state: "TIME_WAIT" }).counts.TIME_WAIT).toBe(5);
  });
});

describe("ss -s", () => {
  it("current iproute2 (real)", () => {
    const r = parseSsSummary(fixture("linux-ss-s.txt"));
    expect(r.diagnostics).toEqual([]);
    expect(r.records).toEqual([
      {
        line: 2,
        total: 37,
        tcp: { total: 19, estab: 9, closed: 5, orphaned: 0, timewait: 5 },
        transports: {
          RAW: { total: 0, ip: 0, ipv6: 0 },
          UDP: { total: 0, ip: 0, ipv6: 0 },
          TCP: { total: 14, ip: 9, ipv6: 5 },
          INET: { total: 14, ip: 9, ipv6: 5 },
          FRAG: { total: 0, ip: 0, ipv6: 0 },
        },
      },
    ]);
    balanced(r.lines);
  });
  it("old iproute2: kernel count, synrecv, timewait W/B, ports, the * row", () => {
    const r = parseSsSummary(fixture("ss-s-old.txt"));
    expect(r.diagnostics).toEqual([]);
    expect(r.records[0]?.tcp).toEqual({ total: 9, estab: 2, closed: 1, orphaned: 0, timewait: 1, synrecv: 0, ports: 0 });
    expect(r.records[0]?.transports["*"]).toEqual({ total: 0, ip: null, ipv6: null });
    balanced(r.lines);
  });
});

describe("/proc/net/tcp and tcp6", () => {
  it("tcp (real): hex addresses in host byte order, timers in USER_HZ ticks", () => {
    const r = parseProcNetTcp(fixture("linux-proc-tcp.txt"), { family: 4 });
    expect(r.diagnostics).toEqual([]);
    expect(r.records).toHaveLength(14);
    expect(r.records[0]).toEqual({
      line: 2,
      state: "LISTEN",
      local: { address: "0.0.0.0", port: 2024 },
      remote: { address: "0.0.0.0", port: 0 },
      recvQ: 0,
      sendQ: 0,
      uid: 0,
      inode: 172,
      proto: "tcp",
    });
    expect(r.records[6]).toMatchObject({
      state: "TIME_WAIT",
      local: { address: "127.0.0.1", port: 47610 },
      remote: { address: "127.0.0.1", port: 32953 },
      timer: { kind: "timewait", remaining: 59.51, count: 0 },
      inode: 0,
    });
    expect(r.records[11]).toMatchObject({ local: { address: "192.0.2.2", port: 54510 }, remote: { address: "203.0.113.80", port: 80 } });
  });
  it("tcp6 (real): four little-endian words, ::1 and ::ffff:127.0.0.1", () => {
    const r = parseProcNetTcp(fixture("linux-proc-tcp6.txt"), { family: 6 });
    expect(r.diagnostics).toEqual([]);
    expect(r.records.map((x) => [x.local.address, x.local.port, x.state, x.proto])).toEqual([
      ["::1", 41815, "LISTEN", "tcp6"],
      ["::", 45677, "LISTEN", "tcp6"],
      ["::1", 35372, "ESTABLISHED", "tcp6"],
      ["::1", 41815, "ESTABLISHED", "tcp6"],
      ["::ffff:127.0.0.1", 45677, "ESTABLISHED", "tcp6"],
    ]);
  });
  it("tcp + tcp6 concatenated count the same sockets as ss", () => {
    const r = parseProcNetTcp(fixture("linux-proc-tcp.txt") + fixture("linux-proc-tcp6.txt"));
    expect(nonZero(r.records)).toEqual(LINUX_COUNTS);
    expect(r.lines.header).toBe(2);
  });
  it("every timer kind, SYN_RECV request sockets, probes", () => {
    const r = parseProcNetTcp(fixture("proc-tcp-timers.txt"));
    expect(r.diagnostics).toEqual([]);
    expect(r.records.map((x) => [x.state, x.timer])).toEqual([
      ["SYN_RCVD", { kind: "on", remaining: 1, count: 1 }],
      ["ESTABLISHED", { kind: "keepalive", remaining: 448.8, count: 0 }],
      ["SYN_SENT", { kind: "on", remaining: 1.2, count: 2 }],
      ["FIN_WAIT_1", { kind: "on", remaining: 0.4, count: 3 }],
      ["ESTABLISHED", { kind: "persist", remaining: 5, count: 2 }],
      ["FIN_WAIT_2", { kind: "timewait", remaining: 38, count: 0 }],
    ]);
    expect(r.records[0]).toMatchObject({ local: { address: "10.0.2.15", port: 80 }, remote: { address: "203.0.113.9", port: 40000 }, uid: 1000 });
    expect(r.records[3]).toMatchObject({ sendQ: 517, recvQ: 0 });
  });
});

describe("sockstat", () => {
  it("real /proc/net/sockstat", () => {
    const r = parseSockstat(fixture("linux-sockstat.txt"));
    expect(r.diagnostics).toEqual([]);
    expect(r.records).toHaveLength(1);
    expect(r.records[0]?.tcp).toEqual({ inuse: 9, orphan: 0, tw: 5, alloc: 14, mem: 0 });
    expect(r.records[0]?.socketsUsed).toBe(36);
    expect(r.records[0]?.protocols.FRAG).toEqual({ inuse: 0, memory: 0 });
    balanced(r.lines);
  });
  it("sockstat6 has TCP6 and no TCP line, without complaint", () => {
    const r = parseSockstat(fixture("linux-sockstat6.txt"));
    expect(r.diagnostics).toEqual([]);
    expect(r.records[0]?.protocols.TCP6).toEqual({ inuse: 5 });
  });
});

describe("netstat (Linux, real)", () => {
  it.each([["linux-netstat-ant.txt"], ["linux-netstat-antp.txt"], ["linux-netstat-anto.txt"], ["linux-netstat-antpo.txt"]])("%s", (name) => {
    const r = parseNetstatLinux(fixture(name));
    expect(r.diagnostics).toEqual([]);
    expect(nonZero(r.records)).toEqual(LINUX_COUNTS);
    expect(r.lines.header).toBe(2);
    balanced(r.lines);
  });
  it("PID/Program name, '-' and timers", () => {
    const r = parseNetstatLinux(fixture("linux-netstat-antpo.txt"));
    expect(r.records[0]).toEqual({
      line: 3,
      state: "LISTEN",
      local: { address: "0.0.0.0", port: 2024 },
      remote: { address: "0.0.0.0", port: null },
      recvQ: 0,
      sendQ: 0,
      proto: "tcp",
    });
    expect(r.records[1]?.processes).toEqual([{ name: "node", pid: 7922 }]);
    expect(r.records[6]).toMatchObject({ state: "TIME_WAIT", timer: { kind: "timewait", remaining: 59.46, count: 0 } });
    expect(r.records[6]?.processes).toBeUndefined();
    expect(r.records[9]?.state).toBe("FIN_WAIT_2");
    expect(r.records[14]).toMatchObject({ proto: "tcp6", local: { address: "::1", port: 41815 }, remote: { address: "::", port: null } });
    expect(r.records[18]).toMatchObject({ proto: "tcp6", local: { address: "127.0.0.1", port: 45677 } });
  });
});

describe("netstat (BSD, macOS)", () => {
  it("macOS -an -p tcp: dot before the port, tcp4/tcp6/tcp46, every state", () => {
    const r = parseNetstatBsd(fixture("macos-netstat-an-p-tcp.txt"));
    expect(r.diagnostics).toEqual([]);
    expect(r.records).toHaveLength(17);
    expect(nonZero(r.records)).toEqual({
      CLOSED: 1, LISTEN: 4, SYN_SENT: 1, SYN_RCVD: 1, ESTABLISHED: 4, FIN_WAIT_1: 1, FIN_WAIT_2: 1, CLOSE_WAIT: 1, CLOSING: 1, LAST_ACK: 1, TIME_WAIT: 1,
    });
    expect(r.records[4]).toMatchObject({ proto: "tcp6", local: { address: "::1", port: 631 }, remote: { address: "*", port: null } });
    expect(r.records[6]).toMatchObject({ local: { address: "fe80::1", scope: "lo0", port: 631 } });
    expect(r.records[7]).toMatchObject({ proto: "tcp46", local: { address: "*", port: 443 } });
    expect(r.records[9]).toMatchObject({ state: "FIN_WAIT_1", sendQ: 31, remote: { address: "93.184.216.34", port: 80 } });
    expect(r.records[15]).toMatchObject({ local: { address: "::ffff:127.0.0.1", port: 8443 } });
  });
  it("FreeBSD and OpenBSD layouts", () => {
    const f = parseNetstatBsd(fixture("freebsd-netstat-an-p-tcp.txt"));
    expect(f.diagnostics).toEqual([]);
    expect(nonZero(f.records)).toEqual({ ESTABLISHED: 1, LISTEN: 3, TIME_WAIT: 1 });
    const o = parseNetstatBsd(fixture("openbsd-netstat-an-p-tcp.txt"));
    expect(o.diagnostics).toEqual([]);
    expect(o.records.map((x) => x.proto)).toEqual(["tcp", "tcp", "tcp6"]);
  });
  it("macOS -v: process:pid column", () => {
    const r = parseNetstatBsd(fixture("macos-netstat-anv-p-tcp.txt"));
    expect(r.diagnostics).toEqual([]);
    expect(r.records.map((x) => x.processes)).toEqual([[{ name: "node", pid: 4242 }], [{ name: "node", pid: 4242 }]]);
  });
});

describe("netstat (Windows)", () => {
  it("-ano: CRLF, LISTENING, [::1]:port, scope, PID; UDP skipped and counted", () => {
    const text = fixture("windows-netstat-ano.txt");
    expect(text).toContain("\r\n");
    const r = parseNetstatWindows(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.records).toHaveLength(14);
    expect(r.skipped).toEqual([{ reason: 'Proto "UDP" is not TCP', count: 2, firstLine: 18 }]);
    expect(nonZero(r.records)).toEqual({ LISTEN: 4, ESTABLISHED: 3, TIME_WAIT: 2, CLOSE_WAIT: 1, SYN_SENT: 1, FIN_WAIT_2: 1, SYN_RCVD: 1, LAST_ACK: 1 });
    expect(r.records[0]).toEqual({
      line: 4,
      state: "LISTEN",
      local: { address: "0.0.0.0", port: 135 },
      remote: { address: "0.0.0.0", port: 0 },
      proto: "tcp",
      processes: [{ pid: 1044 }],
    });
    expect(r.records[12]).toMatchObject({ state: "TIME_WAIT", local: { address: "::1", port: 9090 }, proto: "tcp6", processes: [{ pid: 0 }] });
    expect(r.records[13]).toMatchObject({ local: { address: "fe80::1c2d:3eff:fe4a:1b2c", scope: "12", port: 50300 } });
    balanced(r.lines);
  });
  it("-anob: owner lines name the process", () => {
    const r = parseNetstatWindows(fixture("windows-netstat-anob.txt"));
    expect(r.diagnostics).toEqual([]);
    expect(r.records.map((x) => x.processes)).toEqual([[{ pid: 1044, name: "svchost.exe" }], [{ pid: 4 }], [{ pid: 5120, name: "node.exe" }]]);
    balanced(r.lines);
  });
});

describe("detectFormat and parseAuto", () => {
  const cases: Array<[string, string]> = [
    ["linux-ss-tan.txt", "ss"],
    ["linux-ss-tanH.txt", "ss"],
    ["linux-ss-an.txt", "ss"],
    ["linux-ss-state-tw.txt", "ss"],
    ["ss-tanpoe-variety.txt", "ss"],
    ["ss-tan-old-iproute2.txt", "ss"],
    ["linux-ss-s.txt", "ss-summary"],
    ["ss-s-old.txt", "ss-summary"],
    ["linux-proc-tcp.txt", "proc"],
    ["linux-proc-tcp6.txt", "proc"],
    ["proc-tcp-timers.txt", "proc"],
    ["linux-sockstat.txt", "sockstat"],
    ["linux-sockstat6.txt", "sockstat"],
    ["linux-netstat-ant.txt", "netstat-linux"],
    ["linux-netstat-antpo.txt", "netstat-linux"],
    ["macos-netstat-an-p-tcp.txt", "netstat-bsd"],
    ["freebsd-netstat-an-p-tcp.txt", "netstat-bsd"],
    ["openbsd-netstat-an-p-tcp.txt", "netstat-bsd"],
    ["macos-netstat-anv-p-tcp.txt", "netstat-bsd"],
    ["windows-netstat-ano.txt", "netstat-windows"],
    ["windows-netstat-anob.txt", "netstat-windows"],
  ];
  it.each(cases)("%s → %s", (name, format) => {
    const text = fixture(name);
    expect(detectFormat(text).format).toBe(format);
    // Without headers, the data lines alone must still decide.
    const body = text.split("\n").slice(2).join("\n");
    if (!["linux-sockstat.txt", "linux-sockstat6.txt", "linux-ss-s.txt", "ss-s-old.txt", "windows-netstat-anob.txt"].includes(name)) {
      expect(detectFormat(body).format, `${name} without its first two lines`).toBe(format);
    }
    const auto = parseAuto(text);
    expect(auto.format).toBe(format);
    expect(auto.detection.reason).not.toBe("");
  });
  it("says why when it cannot tell", () => {
    expect(detectFormat("")).toEqual({ format: null, reason: "the input is empty" });
    const r = parseAuto("hello\nworld\n");
    expect(r.format).toBeNull();
    expect(r.diagnostics[0]?.reason).toMatch(/^unrecognised format: none of the first 2 non-blank line/);
    expect(r.lines).toEqual({ total: 2, blank: 0, header: 0, records: 0, rejected: 0, skipped: 2 });
  });
});
