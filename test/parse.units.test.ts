/** The small pieces: state spellings, addresses, timers, diagnostics wording. */
import { describe, expect, it } from "vitest";
import { STATES } from "../src/fsm/states.js";
import {
  STATE_SPELLINGS,
  colonAddress,
  countStatesSs,
  dotAddress,
  expectedStates,
  formatAddress,
  formatIpv6,
  parseNetstatTimer,
  parseSs,
  parseSsDuration,
  parseSsTimer,
  parseSsUsers,
  procAddress,
  stateFromName,
  stateFromTool,
  type StateTool,
} from "../src/parse/index.js";

describe("state names: one table for every tool", () => {
  it.each([
    ["ss", "ESTAB", "ESTABLISHED"],
    ["ss", "SYN-RECV", "SYN_RCVD"],
    ["ss", "NEW-SYN-RECV", "SYN_RCVD"],
    ["ss", "FIN-WAIT-1", "FIN_WAIT_1"],
    ["ss", "UNCONN", "CLOSED"],
    ["netstat-linux", "SYN_RECV", "SYN_RCVD"],
    ["netstat-linux", "FIN_WAIT1", "FIN_WAIT_1"],
    ["netstat-linux", "CLOSE", "CLOSED"],
    ["netstat-bsd", "SYN_RCVD", "SYN_RCVD"],
    ["netstat-windows", "SYN_RECEIVED", "SYN_RCVD"],
    ["netstat-windows", "LISTENING", "LISTEN"],
    ["kernel", "NEW_SYN_RECV", "SYN_RCVD"],
    ["proc", "0A", "LISTEN"],
    ["proc", "01", "ESTABLISHED"],
    ["proc", "0B", "CLOSING"],
  ] as Array<[StateTool, string, string]>)("%s %s → %s", (tool, spelling, state) => {
    expect(stateFromTool(tool, spelling)).toBe(state);
  });

  it("every tool spells all 11 states, and no spelling means two states", () => {
    const seen = new Map<string, string>();
    for (const [tool, table] of Object.entries(STATE_SPELLINGS)) {
      for (const state of STATES) {
        expect(table[state].length, `${tool} ${state}`).toBeGreaterThan(0);
        for (const name of table[state]) {
          if (tool === "proc") continue;
          expect(seen.get(name) ?? state, `${name}`).toBe(state);
          seen.set(name, state);
        }
      }
    }
  });

  it("the /proc codes are 01..0B in the kernel's order (include/net/tcp_states.h)", () => {
    const order = ["ESTABLISHED", "SYN_SENT", "SYN_RCVD", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"];
    order.forEach((state, i) => expect(stateFromTool("proc", (i + 1).toString(16).toUpperCase().padStart(2, "0"))).toBe(state));
  });

  it("names as a person types them", () => {
    expect(stateFromName("time-wait")).toBe("TIME_WAIT");
    expect(stateFromName("TIME_WAIT")).toBe("TIME_WAIT");
    expect(stateFromName("established")).toBe("ESTABLISHED");
    expect(stateFromName("syn-recv")).toBe("SYN_RCVD");
    expect(stateFromName("fin_wait_1")).toBe("FIN_WAIT_1");
    expect(stateFromName("listening")).toBe("LISTEN");
    expect(stateFromName("nonsense")).toBeUndefined();
  });

  it("an unknown state names the line and what was expected", () => {
    const r = parseSs("ESTAB 0 0 1.2.3.4:5 6.7.8.9:10\nFOO 0 0 1.2.3.4:5 6.7.8.9:10\n");
    expect(r.records).toHaveLength(1);
    expect(r.diagnostics).toEqual([
      {
        line: 2,
        text: "FOO 0 0 1.2.3.4:5 6.7.8.9:10",
        reason: `unknown state "FOO" (expected one of ${expectedStates("ss")})`,
      },
    ]);
    expect(expectedStates("ss")).toMatch(/^ESTAB, SYN-SENT, SYN-RECV, NEW-SYN-RECV, FIN-WAIT-1, /);
  });

  it("diagnostics carry the source name", () => {
    expect(parseSs("garbage\n", { source: "x.txt" }).diagnostics[0]).toMatchObject({ source: "x.txt", line: 1, text: "garbage" });
  });
});

describe("addresses", () => {
  it.each([
    ["127.0.0.1:8080", { address: "127.0.0.1", port: 8080 }],
    ["0.0.0.0:*", { address: "0.0.0.0", port: null }],
    ["*:*", { address: "*", port: null }],
    ["*", { address: "*", port: null }],
    ["[::1]:8080", { address: "::1", port: 8080 }],
    ["[::]:*", { address: "::", port: null }],
    ["[::ffff:1.2.3.4]:80", { address: "::ffff:1.2.3.4", port: 80 }],
    ["[fe80::1]%eth0:22", { address: "fe80::1", scope: "eth0", port: 22 }],
    ["[fe80::1%4]:50000", { address: "fe80::1", scope: "4", port: 50000 }],
    ["127.0.0.53%lo:53", { address: "127.0.0.53", scope: "lo", port: 53 }],
    [":::22", { address: "::", port: 22 }],
    ["::1:631", { address: "::1", port: 631 }],
    ["localhost:http", { address: "localhost", port: null, service: "http" }],
  ])("colon form %s", (text, expected) => {
    expect(colonAddress(text)).toEqual(expected);
  });

  it.each([["1.2.3.4:70000"], ["[::1:80"], ["[::1]x:80"], ["1.2.3.4"], [":80"], ["a b:80"], ["[fe80::1]%:22"]])("rejects %s with a reason", (text) => {
    expect(typeof colonAddress(text)).toBe("string");
  });

  it.each([
    ["[gggg::1]:80", '"gggg::1" is not an IPv6 address (expected up to 8 groups of 1-4 hex digits, one "::" at most, RFC 4291)'],
    ["[1:2:3:4:5:6:7:8:9]:80", '"1:2:3:4:5:6:7:8:9" is not an IPv6 address (expected up to 8 groups of 1-4 hex digits, one "::" at most, RFC 4291)'],
    ["[1::2::3]:80", '"1::2::3" is not an IPv6 address (expected up to 8 groups of 1-4 hex digits, one "::" at most, RFC 4291)'],
    ["[12345::1]:80", '"12345::1" is not an IPv6 address (expected up to 8 groups of 1-4 hex digits, one "::" at most, RFC 4291)'],
    ["[1:2:3:4:5:6:7]:80", '"1:2:3:4:5:6:7" is not an IPv6 address (expected up to 8 groups of 1-4 hex digits, one "::" at most, RFC 4291)'],
    ["[::ffff:1.2.3.4.5]:80", '"::ffff:1.2.3.4.5" is not an IPv6 address (expected up to 8 groups of 1-4 hex digits, one "::" at most, RFC 4291)'],
    ["[::ffff:1.2.3.256]:80", '"::ffff:1.2.3.256" is not an IPv6 address (expected up to 8 groups of 1-4 hex digits, one "::" at most, RFC 4291)'],
    ["999.999.999.999:80", '"999.999.999.999" is not an IPv4 address (expected four numbers 0-255 separated by dots)'],
    ["1.2.3:80", '"1.2.3" is not an IPv4 address (expected four numbers 0-255 separated by dots)'],
    ["1.2.3.4.5:80", '"1.2.3.4.5" is not an IPv4 address (expected four numbers 0-255 separated by dots)'],
    [`[fe80::1]%${"x".repeat(1000)}:22`, `scope "${"x".repeat(64)}…" is not an interface name or zone id (at most 15 letters, digits, ".", "_" or "-")`],
    [`${"h".repeat(300)}:80`, `host name "${"h".repeat(64)}…" is longer than 253 characters`],
  ])("rejects the impossible address %s, quoting at most 64 characters of it", (text, reason) => {
    expect(colonAddress(text)).toBe(reason);
  });

  it.each([
    ["[1:2:3:4:5:6:7:8]:80", "1:2:3:4:5:6:7:8"],
    ["[1:2:3:4:5:6::8]:80", "1:2:3:4:5:6::8"],
    ["[::2:3:4:5:6:7:8]:80", "::2:3:4:5:6:7:8"],
    ["[1::]:80", "1::"],
    ["[::ffff:255.255.255.255]:80", "::ffff:255.255.255.255"],
    ["[1:2:3:4:5:6:1.2.3.4]:80", "1:2:3:4:5:6:1.2.3.4"],
    ["[FE80::ABCD]%enp0s31f6:22", "FE80::ABCD"],
    ["255.255.255.255:80", "255.255.255.255"],
    ["my-host.example_1.com:80", "my-host.example_1.com"],
  ])("keeps the valid address %s", (text, address) => {
    const a = colonAddress(text);
    expect(typeof a === "string" ? a : a.address).toBe(address);
  });

  it("ss: impossible addresses are diagnostics, not records, on the careful and the fast path alike", () => {
    const bad = ["[gggg::1]:80", "[1:2:3:4:5:6:7:8:9]:80", "999.999.999.999:80", "[::ffff:1.2.3.4.5]:80", `[fe80::1]%${"e".repeat(1000)}:80`];
    const text = ["State Recv-Q Send-Q Local Address:Port Peer Address:Port", ...bad.map((a) => `ESTAB 0 0 10.0.0.1:22 ${a}`), "ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000"].join("\n");
    const r = parseSs(text);
    expect(r.records.map((x) => x.line)).toEqual([7]);
    expect(r.diagnostics.map((d) => [d.line, d.reason.split(" is ")[0]])).toEqual([
      [2, 'peer address: "gggg::1"'],
      [3, 'peer address: "1:2:3:4:5:6:7:8:9"'],
      [4, 'peer address: "999.999.999.999"'],
      [5, 'peer address: "::ffff:1.2.3.4.5"'],
      [6, `peer address: scope "${"e".repeat(64)}…"`],
    ]);
    for (const d of r.diagnostics) expect(d.reason.length).toBeLessThan(240);
    expect(r.lines).toEqual({ total: 7, blank: 0, header: 1, records: 1, rejected: 5, skipped: 0 });
    for (const input of [text, new TextEncoder().encode(text)]) {
      const counted = countStatesSs(input, { check: "row" });
      expect(counted.total).toBe(1);
      expect(counted.lines).toEqual(r.lines);
      expect(counted.diagnostics).toEqual(r.diagnostics);
    }
  });

  it.each([
    ["127.0.0.1.8080", { address: "127.0.0.1", port: 8080 }],
    ["*.8080", { address: "*", port: 8080 }],
    ["*.*", { address: "*", port: null }],
    ["::1.631", { address: "::1", port: 631 }],
    ["fe80::1%lo0.631", { address: "fe80::1", scope: "lo0", port: 631 }],
  ])("BSD dot form %s", (text, expected) => {
    expect(dotAddress(text)).toEqual(expected);
  });

  it("/proc hex, little-endian host order", () => {
    expect(procAddress("0100007F:0050")).toEqual({ address: "127.0.0.1", port: 80 });
    expect(procAddress("7F000001:0050", false)).toEqual({ address: "127.0.0.1", port: 80 });
    expect(procAddress("00000000000000000000000001000000:1F90")).toEqual({ address: "::1", port: 8080 });
    expect(procAddress("0000000000000000FFFF00000100007F:0050")).toEqual({ address: "::ffff:127.0.0.1", port: 80 });
    expect(procAddress("000080FE00000000FF005002020000FE:0016")).toEqual({ address: "fe80::250:ff:fe00:2", port: 22 });
    expect(typeof procAddress("0100007:0050")).toBe("string");
    expect(typeof procAddress("0100007F:50")).toBe("string");
  });

  it("RFC 5952 text for IPv6", () => {
    expect(formatIpv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1])).toBe("2001:db8::1:0:0:1");
    expect(formatIpv6(new Array(16).fill(0))).toBe("::");
  });

  it("formatAddress prints any of them back", () => {
    expect(formatAddress({ address: "::1", port: 80 })).toBe("[::1]:80");
    expect(formatAddress({ address: "fe80::1", scope: "eth0", port: 22 })).toBe("[fe80::1]%eth0:22");
    expect(formatAddress({ address: "*", port: null })).toBe("*:*");
    expect(formatAddress({ address: "localhost", port: null, service: "http" })).toBe("localhost:http");
  });
});

describe("timers", () => {
  it.each([
    ["1min2sec", 62],
    ["12min", 720],
    ["59sec", 59],
    ["200ms", 0.2],
    ["1.234sec", 1.234],
    // ss's print_ms_timer() prints 1 s 234 ms as "1.234ms": seconds, a dot, then milliseconds.
    ["1.234ms", 1.234],
    ["", 0],
  ])("ss duration %s = %s s", (text, seconds) => {
    expect(parseSsDuration(text)).toBe(seconds);
  });
  it("ss duration garbage", () => {
    expect(parseSsDuration("soon")).toBeUndefined();
    expect(parseSsDuration("1.2.3sec")).toBeUndefined();
  });
  it("ss timer", () => {
    expect(parseSsTimer("timewait,59sec,0")).toEqual({ kind: "timewait", remaining: 59, count: 0 });
    expect(parseSsTimer("on,200ms,3")).toEqual({ kind: "on", remaining: 0.2, count: 3 });
    expect(parseSsTimer("keepalive,119min")).toEqual({ kind: "keepalive", remaining: 7140 });
    expect(parseSsTimer("on")).toMatch(/is not \(kind,time\[,count\]\)/);
    expect(parseSsTimer("on,fast,0")).toMatch(/not an ss duration/);
  });
  it("netstat -o timer", () => {
    expect(parseNetstatTimer("off (0.00/0/0)")).toBeNull();
    expect(parseNetstatTimer("timewait (59.12/0/0)")).toEqual({ kind: "timewait", remaining: 59.12, count: 0 });
    expect(parseNetstatTimer("on (0.20/3/0)")).toEqual({ kind: "on", remaining: 0.2, count: 3 });
    expect(parseNetstatTimer("keepalive (7139.55/0/2)")).toEqual({ kind: "keepalive", remaining: 7139.55, count: 2 });
    expect(parseNetstatTimer("probe (5.00/0/1)")).toEqual({ kind: "persist", remaining: 5, count: 1 });
    expect(parseNetstatTimer("later")).toMatch(/is not "kind/);
  });
});

describe("ss users:(…)", () => {
  it("several processes, names with spaces and commas", () => {
    expect(parseSsUsers('("nginx",pid=1,fd=6),("nginx",pid=2,fd=6)')).toEqual([
      { name: "nginx", pid: 1, fd: 6 },
      { name: "nginx", pid: 2, fd: 6 },
    ]);
    expect(parseSsUsers('("Web Content, Isolated",pid=9,fd=71)')).toEqual([{ name: "Web Content, Isolated", pid: 9, fd: 71 }]);
    expect(parseSsUsers('("sshd",pid=1,proc_ctx=unconfined,fd=3)')).toEqual([{ name: "sshd", pid: 1, fd: 3 }]);
    expect(parseSsUsers('("x",fd=3)')).toMatch(/no pid=N/);
  });
  it("a broken users:(…) keeps the socket and says why", () => {
    const r = parseSs('ESTAB 0 0 1.2.3.4:5 6.7.8.9:10 users:(("x",fd=3))\n');
    expect(r.records).toHaveLength(1);
    expect(r.records[0]?.processes).toBeUndefined();
    expect(r.diagnostics[0]?.reason).toMatch(/no pid=N; the socket is kept without it/);
  });
});

describe("ss layouts without a fixture", () => {
  it("Netid and no State column (ss -an state established): the given state, TCP only", () => {
    const text = [
      "Netid Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
      "udp   0      0      10.0.0.1:68        10.0.0.254:67",
      "tcp   0      0      10.0.0.1:22        10.0.0.9:50000",
      "",
    ].join("\n");
    const r = parseSs(text, { state: "ESTABLISHED" });
    expect(r.records).toEqual([
      { line: 3, state: "ESTABLISHED", proto: "tcp", local: { address: "10.0.0.1", port: 22 }, remote: { address: "10.0.0.9", port: 50000 }, recvQ: 0, sendQ: 0 },
    ]);
    expect(r.skipped).toEqual([{ reason: 'Netid "udp" is not TCP', count: 1, firstLine: 2 }]);
    expect(r.lines).toEqual({ total: 3, blank: 0, header: 1, records: 1, rejected: 0, skipped: 1 });
  });
  it("CRLF line ends and a missing final newline", () => {
    const r = parseSs("State Recv-Q Send-Q Local Address:Port Peer Address:Port\r\nESTAB 0 0 1.2.3.4:5 6.7.8.9:10\r\nLISTEN 0 128 *:22 *:*");
    expect(r.records.map((x) => [x.line, x.state])).toEqual([[2, "ESTABLISHED"], [3, "LISTEN"]]);
    expect(r.diagnostics).toEqual([]);
  });
  it("truncated rows name the missing column", () => {
    const r = parseSs("ESTAB 0\nESTAB 0 0 1.2.3.4:5\nESTAB x 0 1.2.3.4:5 6.7.8.9:10\n");
    expect(r.diagnostics.map((d) => [d.line, d.reason])).toEqual([
      [1, 'Send-Q "" is not a number'],
      [2, "expected Local Address:Port and Peer Address:Port after Send-Q"],
      [3, 'Recv-Q "x" is not a number'],
    ]);
  });
});

describe("the ss fast paths compare whole spellings", () => {
  // Found by the property test (seed 197425055): ',' and 'L' share the fast table's 5-bit key.
  it.each([",ISTEN", "LISTE,", ".STAB", "ESTA."])("%s is not a state on any path", (spelling) => {
    const line = `${spelling}     0      128               0.0.0.0:2024             0.0.0.0:*`;
    const parsed = parseSs(line);
    expect(parsed.records).toEqual([]);
    expect(parsed.diagnostics).toHaveLength(1);
    expect(parsed.diagnostics[0]!.reason).toMatch(new RegExp(`(unknown state|expected a State).*"${spelling.replace(".", "\\.")}"`));
    expect(countStatesSs(line).total).toBe(0);
    expect(countStatesSs(new TextEncoder().encode(line)).total).toBe(0);
  });
});
