/**
 * The packetdrill reader (src/packetdrill/parse.ts) and printer (format.ts): exact ASTs for
 * every construct we support, exact diagnostics (line:column and message) for syntax
 * errors, the size and event limits, and two properties: the reader never throws (random
 * text, mutations of a valid script), and formatEvent → parseScript gives back the event.
 * The scripts here are written for these tests. The property seed is printed; replay a
 * failure with FC_SEED=<seed>.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatEvent,
  formatFlags,
  formatPacket,
  formatSyscall,
  formatTime,
  MAX_SCRIPT_BYTES,
  MAX_SCRIPT_EVENTS,
  parseFlagText,
  parseScript,
  type EventTime,
  type PacketEvent,
  type PacketFlags,
  type ScriptEvent,
  type SyscallArg,
  type SyscallEvent,
  type TcpOption,
  type TimeSpec,
} from "../src/packetdrill/index.js";
import { SEED } from "./support/property.js";

const RUNS = Number(process.env.FC_RUNS ?? 300);

function events(text: string): readonly ScriptEvent[] {
  const r = parseScript(text);
  if (!r.ok) throw new Error(`unexpected diagnostics: ${JSON.stringify(r.diagnostics)}`);
  return r.script.events;
}

function only(text: string): ScriptEvent {
  const all = events(text);
  expect(all).toHaveLength(1);
  return all[0]!;
}

/** Diagnostics as "line:column message" (the file is checked separately). */
function problems(text: string): string[] {
  const r = parseScript(text, { file: "t.pkt" });
  if (r.ok) throw new Error("expected diagnostics, got none");
  for (const d of r.diagnostics) expect(d.file).toBe("t.pkt");
  return r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
}

const NO_FLAGS: PacketFlags = { SYN: false, FIN: false, RST: false, PSH: false, ACK: false, URG: false, ECE: false, CWR: false };
function bits(...on: (keyof PacketFlags)[]): PacketFlags {
  return { ...NO_FLAGS, ...Object.fromEntries(on.map((b) => [b, true])) };
}

const abs = (seconds: number) => ({ kind: "absolute", seconds }) as const;
const rel = (seconds: number) => ({ kind: "relative", seconds }) as const;
const num = (value: number): SyscallArg => ({ kind: "number", value });
const sym = (name: string): SyscallArg => ({ kind: "symbol", name });
const ELLIPSIS: SyscallArg = { kind: "ellipsis" };

describe("a whole script", () => {
  const script = [
    "// An active close with a lingering FIN, written for this test.",
    "--tolerance_usecs=10000",
    "--ip_version=ipv4 --verbose",
    "",
    "`sysctl -q net.ipv4.tcp_fin_timeout=60`",
    "/* a comment",
    "   over two lines */",
    "0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 // the listener",
    "+0  close(3) = 0",
    "\t+0.1 > F. 1:1(0) ack 1 /* inline */ win 65535",
    "%{",
    "print('done')",
    "}%",
  ].join("\n");

  it("gives options, events with positions, text and times", () => {
    const r = parseScript(script, { file: "close.pkt" });
    expect(r).toStrictEqual({
      ok: true,
      script: {
        file: "close.pkt",
        options: { tolerance_usecs: "10000", ip_version: "ipv4", verbose: "" },
        events: [
          {
            at: { line: 5, column: 1 },
            text: "`sysctl -q net.ipv4.tcp_fin_timeout=60`",
            body: { kind: "skipped", what: "shell", reason: "shell commands are not run" },
          },
          {
            at: { line: 8, column: 1 },
            text: "0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
            time: { start: abs(0) },
            body: { kind: "syscall", name: "socket", args: [ELLIPSIS, sym("SOCK_STREAM"), sym("IPPROTO_TCP")], result: 3 },
          },
          {
            at: { line: 9, column: 1 },
            text: "+0  close(3) = 0",
            time: { start: rel(0) },
            body: { kind: "syscall", name: "close", args: [num(3)], result: 0 },
          },
          {
            at: { line: 10, column: 2 },
            text: "+0.1 > F. 1:1(0) ack 1 /* inline */ win 65535",
            time: { start: rel(0.1) },
            body: { kind: "packet", direction: "outbound", flags: bits("FIN", "ACK"), flagText: "F.", seq: 1, end: 1, len: 0, ack: 1, win: 65535 },
          },
          {
            at: { line: 11, column: 1 },
            text: "%{\nprint('done')\n}%",
            body: { kind: "skipped", what: "python", reason: "python blocks are not run" },
          },
        ],
      },
    });
  });

  it("reads an empty script, or one of comments and blank lines, as no events", () => {
    expect(parseScript("")).toStrictEqual({ ok: true, script: { file: "<script>", options: {}, events: [] } });
    expect(parseScript("\n\n// x\n/* y */\r\n  \t\n")).toStrictEqual({ ok: true, script: { file: "<script>", options: {}, events: [] } });
  });

  it("keeps a quoted option value without its quotes, and an option with no value as empty", () => {
    const r = parseScript('--define=CC="reno" --local_ip=192.168.0.1\n--dry_run\n0 close(3) = 0');
    expect(r.ok && r.script.options).toStrictEqual({ define: 'CC="reno"', local_ip: "192.168.0.1", dry_run: "" });
    const q = parseScript('--name="a b"\n');
    expect(q.ok && q.script.options).toStrictEqual({ name: "a b" });
  });
});

describe("times", () => {
  const cases: [string, EventTime][] = [
    ["0", { start: abs(0) }],
    ["0.100", { start: abs(0.1) }],
    [".1", { start: abs(0.1) }],
    ["2", { start: abs(2) }],
    ["+0", { start: rel(0) }],
    ["+.1", { start: rel(0.1) }],
    ["+0.1", { start: rel(0.1) }],
    ["+ 0.25", { start: rel(0.25) }],
    ["*", { start: { kind: "any" } }],
    ["0.1~0.2", { start: abs(0.1), rangeEnd: abs(0.2) }],
    ["0.1 ~ 0.2", { start: abs(0.1), rangeEnd: abs(0.2) }],
    ["+0~+0.2", { start: rel(0), rangeEnd: rel(0.2) }],
    ["+0 ~ +0.2", { start: rel(0), rangeEnd: rel(0.2) }],
  ];
  it.each(cases)("%s before an outbound packet", (time, expected) => {
    expect(only(`${time} > . 1:1(0) ack 1`).time).toStrictEqual(expected);
  });

  const blocking: [string, EventTime][] = [
    ["+0...0.5", { start: rel(0), blockingEnd: rel(0.5) }],
    ["+0 ... 0.5", { start: rel(0), blockingEnd: rel(0.5) }],
    ["0.1...0.2", { start: abs(0.1), blockingEnd: abs(0.2) }],
    ["0...1", { start: abs(0), blockingEnd: abs(1) }],
    [".1....2", { start: abs(0.1), blockingEnd: abs(0.2) }],
  ];
  it.each(blocking)("%s blocks a system call", (time, expected) => {
    expect(only(`${time} accept(3, ..., ...) = 4`).time).toStrictEqual(expected);
  });
});

describe("packets", () => {
  const flagCases: [string, PacketFlags][] = [
    ["S", bits("SYN")],
    ["S.", bits("SYN", "ACK")],
    [".", bits("ACK")],
    ["F.", bits("FIN", "ACK")],
    ["FP.", bits("FIN", "PSH", "ACK")],
    ["PF.", bits("FIN", "PSH", "ACK")],
    ["R", bits("RST")],
    ["R.", bits("RST", "ACK")],
    ["P.", bits("PSH", "ACK")],
    ["SEW", bits("SYN", "ECE", "CWR")],
    ["U.", bits("URG", "ACK")],
    ["SE.", bits("SYN", "ECE", "ACK")],
    ["-", NO_FLAGS],
  ];
  it.each(flagCases)("flags %s", (flagText, flags) => {
    const e = only(`0 < ${flagText} 0:0(0)`);
    expect(e.body).toStrictEqual({ kind: "packet", direction: "inbound", flags, flagText, seq: 0, end: 0, len: 0 });
  });

  it("reads the sequence range, ack, win and every option kind", () => {
    const e = only("+0 > P. 1001:2001(1000) ack 4294967295 win 0 <mss 1460,sackOK, TS val 100 ecr 0,nop,eol,wscale 7,sack 1:2 3:4,md5 0011,FO>");
    const options: TcpOption[] = [
      { kind: "mss", value: 1460 },
      { kind: "sackOK" },
      { kind: "TS", val: 100, ecr: 0 },
      { kind: "nop" },
      { kind: "eol" },
      { kind: "wscale", value: 7 },
      { kind: "sack", blocks: [[1, 2], [3, 4]] },
      { kind: "other", text: "md5 0011" },
      { kind: "other", text: "FO" },
    ];
    expect(e.body).toStrictEqual({
      kind: "packet", direction: "outbound", flags: bits("PSH", "ACK"), flagText: "P.",
      seq: 1001, end: 2001, len: 1000, ack: 4294967295, win: 0, options,
    });
  });

  it("reads <> as no options and an outbound <...> as options not checked", () => {
    expect(only("0 < . 1:1(0) ack 1 <>").body).toMatchObject({ options: [] });
    const unchecked = only("0 > S. 0:0(0) ack 1 <...>").body;
    expect(unchecked).toStrictEqual({ kind: "packet", direction: "outbound", flags: bits("SYN", "ACK"), flagText: "S.", seq: 0, end: 0, len: 0, ack: 1 });
  });

  it("skips ICMP, UDP and IP-level packet lines with a reason, keeping the whole line", () => {
    const all = events(["0 < icmp unreachable port_unreachable", "+0 > udp (100)", "+0 < [ect0] S 0:0(0)", "+0 < (tos 0x1) . 1:1(0)", "+0 < 8080>80 S 0:0(0)", "+0 < ipv4 1.2.3.4 > 5.6.7.8: gre: S 0:0(0)"].join("\n"));
    expect(all.map((e) => [e.text, e.time, e.body])).toStrictEqual([
      ["0 < icmp unreachable port_unreachable", { start: abs(0) }, { kind: "skipped", what: "icmp", reason: "ICMP packets are not modelled" }],
      ["+0 > udp (100)", { start: rel(0) }, { kind: "skipped", what: "udp", reason: "UDP packets are not modelled" }],
      ["+0 < [ect0] S 0:0(0)", { start: rel(0) }, { kind: "skipped", what: "other", reason: "IP-level details (encapsulation, ECN/TOS, ports) are not modelled" }],
      ["+0 < (tos 0x1) . 1:1(0)", { start: rel(0) }, { kind: "skipped", what: "other", reason: "IP-level details (encapsulation, ECN/TOS, ports) are not modelled" }],
      ["+0 < 8080>80 S 0:0(0)", { start: rel(0) }, { kind: "skipped", what: "other", reason: "IP-level details (encapsulation, ECN/TOS, ports) are not modelled" }],
      ["+0 < ipv4 1.2.3.4 > 5.6.7.8: gre: S 0:0(0)", { start: rel(0) }, { kind: "skipped", what: "other", reason: "IP-level details (encapsulation, ECN/TOS, ports) are not modelled" }],
    ]);
  });
});

describe("system calls", () => {
  const cases: [string, SyscallEvent][] = [
    ["socket(..., SOCK_STREAM, IPPROTO_TCP) = 3", { kind: "syscall", name: "socket", args: [ELLIPSIS, sym("SOCK_STREAM"), sym("IPPROTO_TCP")], result: 3 }],
    ["setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0", { kind: "syscall", name: "setsockopt", args: [num(3), sym("SOL_SOCKET"), sym("SO_REUSEADDR"), { kind: "array", items: [num(1)] }, num(4)], result: 0 }],
    [
      "setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0",
      { kind: "syscall", name: "setsockopt", args: [num(3), sym("SOL_SOCKET"), sym("SO_LINGER"), { kind: "struct", fields: [{ name: "onoff", value: num(1) }, { name: "linger", value: num(0) }] }, num(8)], result: 0 },
    ],
    ["fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0", { kind: "syscall", name: "fcntl", args: [num(3), sym("F_SETFL"), { kind: "flags", names: ["O_RDWR", "O_NONBLOCK"] }], result: 0 }],
    ["bind(3, ..., ...) = 0", { kind: "syscall", name: "bind", args: [num(3), ELLIPSIS, ELLIPSIS], result: 0 }],
    ["listen(3, 1) = 0", { kind: "syscall", name: "listen", args: [num(3), num(1)], result: 0 }],
    ["accept(3, ..., ...) = 4", { kind: "syscall", name: "accept", args: [num(3), ELLIPSIS, ELLIPSIS], result: 4 }],
    ["connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)", { kind: "syscall", name: "connect", args: [num(3), ELLIPSIS, ELLIPSIS], result: -1, errno: "EINPROGRESS", note: "Operation now in progress" }],
    [
      "getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0",
      { kind: "syscall", name: "getsockopt", args: [num(3), sym("SOL_SOCKET"), sym("SO_ERROR"), { kind: "array", items: [sym("ECONNREFUSED")] }, { kind: "array", items: [num(4)] }], result: 0 },
    ],
    ["write(4, ..., 1000) = 1000", { kind: "syscall", name: "write", args: [num(4), ELLIPSIS, num(1000)], result: 1000 }],
    ["read(4, ..., 1000) = 0", { kind: "syscall", name: "read", args: [num(4), ELLIPSIS, num(1000)], result: 0 }],
    ["shutdown(4, SHUT_WR) = 0", { kind: "syscall", name: "shutdown", args: [num(4), sym("SHUT_WR")], result: 0 }],
    ["close(4) = 0", { kind: "syscall", name: "close", args: [num(4)], result: 0 }],
    ["send(4, ..., 100, 0) = 100", { kind: "syscall", name: "send", args: [num(4), ELLIPSIS, num(100), num(0)], result: 100 }],
    ["recv(4, ..., 100, 0) = -1 ECONNRESET (Connection reset by peer)", { kind: "syscall", name: "recv", args: [num(4), ELLIPSIS, num(100), num(0)], result: -1, errno: "ECONNRESET", note: "Connection reset by peer" }],
    ["write(4, \"hello, world\", 12) = -1 EPIPE", { kind: "syscall", name: "write", args: [num(4), { kind: "string", value: "hello, world" }, num(12)], result: -1, errno: "EPIPE" }],
    ["frobnicate() = 0x10 (a note without an errno)", { kind: "syscall", name: "frobnicate", args: [], result: 16, note: "a note without an errno" }],
    ["poll([], 0, -1) = 0", { kind: "syscall", name: "poll", args: [{ kind: "array", items: [] }, num(0), num(-1)], result: 0 }],
    ["ioctl(3, {}, [[1, 2], {a={b=X}}]) = 0", {
      kind: "syscall", name: "ioctl", result: 0,
      args: [num(3), { kind: "struct", fields: [] }, { kind: "array", items: [{ kind: "array", items: [num(1), num(2)] }, { kind: "struct", fields: [{ name: "a", value: { kind: "struct", fields: [{ name: "b", value: sym("X") }] } }] }] }],
    }],
  ];
  it.each(cases)("%s", (line, expected) => {
    const e = only(`+0 ${line}`);
    expect(e.body).toStrictEqual(expected);
    expect(e.text).toBe(`+0 ${line}`);
  });

  it("skips system calls whose arguments we do not model, with the reason", () => {
    const all = events(["0 bind(3, {sa_family=AF_INET, sin_port=htons(8080)}, 16) = 0", '+0 writev(4, [{..., 10}], 1) = 10', "+0 fcntl(3, F_SETFL, O_RDWR|0x800) = 0", '+0 write(4, "a" "b", 2) = 2', "+0 f(x=1) = 0"].join("\n"));
    expect(all.map((e) => e.body)).toStrictEqual([
      { kind: "skipped", what: "other", reason: "bind(): expressions like htons(…) are not modelled" },
      { kind: "skipped", what: "other", reason: "writev(): a { } member without a name= is not modelled" },
      { kind: "skipped", what: "other", reason: "fcntl(): a | expression with non-symbols is not modelled" },
      { kind: "skipped", what: "other", reason: 'write(): string forms like "a" "b" or "a"... are not modelled' },
      { kind: "skipped", what: "other", reason: "f(): name=value outside { } is not modelled" },
    ]);
  });
});

describe("shell commands and python blocks", () => {
  it("skips a timed shell command and keeps its source", () => {
    expect(only("+0 `sysctl -q net.ipv4.tcp_rfc1337=1`")).toStrictEqual({
      at: { line: 1, column: 1 },
      text: "+0 `sysctl -q net.ipv4.tcp_rfc1337=1`",
      time: { start: rel(0) },
      body: { kind: "skipped", what: "shell", reason: "shell commands are not run" },
    });
  });

  it("skips a timed python block over several lines; // inside it is python, not a comment", () => {
    expect(only("\n  0.5 %{\nx = 7 // 2\nassert x == 3\n}%  // done\n")).toStrictEqual({
      at: { line: 2, column: 3 },
      text: "0.5 %{\nx = 7 // 2\nassert x == 3\n}%",
      time: { start: abs(0.5) },
      body: { kind: "skipped", what: "python", reason: "python blocks are not run" },
    });
  });

  it("counts lines after a multi-line block and comment", () => {
    const all = events("%{\na\n}%\n/*\n\n*/ 0 close(3) = 0\n+1 close(4) = 0");
    expect(all.map((e) => [e.at, e.text])).toStrictEqual([
      [{ line: 1, column: 1 }, "%{\na\n}%"],
      [{ line: 6, column: 4 }, "0 close(3) = 0"],
      [{ line: 7, column: 1 }, "+1 close(4) = 0"],
    ]);
  });
});

describe("syntax errors", () => {
  it("reports every error with line, column, what was expected and what was found", () => {
    const script = [
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3", // 1: fine
      "foo bar", // 2
      "0 < S 1:x win 3", // 3
      "0 < S 1:5(3)", // 4
      "-1 close(3) = 0", // 5
      "0 close(3) = 1.5", // 6
      "0 close(3 = 0", // 7
      "0 < . 0:0(0) ack 4294967296", // 8
      "0 < SS 0:0(0)", // 9
      "0 `oops", // 10
      '0 write(3, "abc, 3) = 3', // 11
      "0 close(3) = 0 foo", // 12
      "--late=1", // 13
      "* close(3) = 0", // 14
      "0.2~0.1 > S 0:0(0)", // 15
      "0.2...0.1 close(3) = 0", // 16
      "0 < S 0:0(0) <mss>", // 17
      "0 < S 0:0(0) <mss 1", // 18
      "0 < S 0:0(0) <...>", // 19
      "+0~0.2 > S 0:0(0)", // 20
      "+0...0.5 > S 0:0(0)", // 21
      "0 < S 0:0(0) urg 1", // 22
      "0 ??", // 23
      "0 close(3) = 0 E", // 24
      "0 < S 0:0(0) <TS val 1>", // 25
      "+x close(3) = 0", // 26
      "0 close(3)", // 27
      "0 < S 4294967295:4294967296(1)", // 28
      "0 < S", // 29
      "4294967296 close(3) = 0", // 30
      "0 close(3) = 0 (unclosed", // 31
      "0 f([[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]) = 0", // 32
      "`ls` 0", // 33
      "0 f(1.5) = 0", // 34
      "0 f(#) = 0", // 35
      "0 < S 0:0(0) <mss 1 x>", // 36
      "0 < S 0:0(0) <sack 1:>", // 37
      "0 < X 0:0(0)", // 38
      "0 < S 0:0(0) ack x", // 39
    ].join("\n");
    expect(problems(script)).toStrictEqual([
      '2:1 expected a time (like 0, +0.1 or *), got "foo"',
      '3:7 expected a sequence range like 1:1(0), got "1:x"',
      '4:7 expected the length in parentheses to be end - start = 4, got "1:5(3)"',
      '5:1 expected a non-negative time, got "-1"',
      '6:14 expected an integer result like 0 or -1, got "1.5"',
      '7:11 expected "," or ")", got "="',
      '8:18 expected an unsigned 32-bit number (0..4294967295), got "4294967296"',
      '9:5 expected TCP flags like S, S., F., R. or -, got "SS"',
      "10:3 expected a closing backquote (a shell command ends on its line), got end of line",
      "11:12 expected a closing quote (a string ends on its line), got end of line",
      '12:16 expected an errno like ECONNRESET, a (note) or end of line, got "foo"',
      '13:1 expected options (--name=value) only before the first event, got "--late=1"',
      '14:3 expected an outbound packet (">") after "*" or a time range, got "close(3)"',
      '15:1 expected the end of a time range to be at least its start, got "0.2~0.1"',
      '16:1 expected the end of a blocking time to be at least its start, got "0.2...0.1"',
      '17:15 expected mss N, got "mss"',
      '18:20 expected ">" to close the TCP options, got end of line',
      '19:14 expected TCP options (<...> is only for outbound packets), got "<...>"',
      '20:1 expected a time range like 0.1~0.2 or +0~+0.2, got "+0~0.2"',
      '21:10 expected a system call after a blocking time (start...end), got ">"',
      '22:14 expected ack N, win N, <options> or end of line, got "urg"',
      '23:3 expected a packet (< or >), a system call, a `shell command` or a %{ python }% block, got "??"',
      '24:16 expected an errno like ECONNRESET, a (note) or end of line, got "E"',
      '25:15 expected TS val N ecr N, got "TS val 1"',
      '26:1 expected a time (like 0, +0.1 or *), got "+x"',
      "27:11 expected \"=\" and the result after the system call, got end of line",
      '28:18 expected an unsigned 32-bit number (0..4294967295), got "4294967296"',
      "29:6 expected a sequence range like 1:1(0), got end of line",
      '30:1 expected a time of at most 4294967295 seconds, got "4294967296"',
      '31:25 expected ")" to close the note, got end of line',
      '32:21 expected at most 16 levels of nested brackets, got "[1]]]]]]]]]]]]]]]]])"',
      '33:6 expected end of line after the shell command, got "0"',
      '34:5 expected an integer argument, got "1.5)"',
      '35:5 expected a system call argument (a number, a NAME, ..., "text", [ ] or { }), got "#)"',
      '36:15 expected mss N, got "mss 1 x"',
      '37:15 expected sack A:B [C:D …], got "sack 1:"',
      '38:5 expected TCP flags like S, S., F., R. or -, got "X"',
      '39:18 expected a number after ack, got "x"',
    ]);
  });

  it("reports unclosed blocks and comments at their opening, and quotes at most 40 characters", () => {
    expect(problems("0 close(3) = 0\n+0 %{\nprint(1)\n")).toStrictEqual(['2:4 expected "}%" to close the python block, got end of input']);
    expect(problems("0 close(3) = 0\n  /* no end\n0 close(4) = 0")).toStrictEqual(['2:3 expected "*/" to close the comment, got end of input']);
    const long = "x".repeat(100);
    expect(problems(long)).toStrictEqual([`1:1 expected a time (like 0, +0.1 or *), got "${"x".repeat(40)}…"`]);
  });
});

describe("limits", () => {
  it("exports the limits", () => {
    expect([MAX_SCRIPT_BYTES, MAX_SCRIPT_EVENTS]).toStrictEqual([1_048_576, 100_000]);
  });

  it("refuses a script over maxBytes (UTF-8 bytes) with one diagnostic naming the limit", () => {
    const fits = `//${"x".repeat(MAX_SCRIPT_BYTES - 2)}`;
    expect(parseScript(fits)).toStrictEqual({ ok: true, script: { file: "<script>", options: {}, events: [] } });
    const over = `${fits}x\n0 close(3) = 0\nfoo`;
    expect(parseScript(over)).toStrictEqual({
      ok: false,
      diagnostics: [{ file: "<script>", line: 1, column: 1, message: "expected a script of at most 1048576 bytes (the size limit), got more" }],
    });
    // 11 characters, 20 bytes: é is two bytes in UTF-8.
    expect(parseScript("//ééééééééé", { maxBytes: 19, file: "u.pkt" })).toStrictEqual({
      ok: false,
      diagnostics: [{ file: "u.pkt", line: 1, column: 1, message: "expected a script of at most 19 bytes (the size limit), got more" }],
    });
    expect(parseScript("//ééééééééé", { maxBytes: 20 }).ok).toBe(true);
  });

  it("refuses more than MAX_SCRIPT_EVENTS events with one diagnostic naming the limit", () => {
    const line = "+0 close(3) = 0\n";
    const atLimit = parseScript(line.repeat(MAX_SCRIPT_EVENTS), { maxBytes: 4 * MAX_SCRIPT_BYTES });
    expect(atLimit.ok && atLimit.script.events.length).toBe(MAX_SCRIPT_EVENTS);
    expect(parseScript(line.repeat(MAX_SCRIPT_EVENTS + 1) + "foo", { maxBytes: 4 * MAX_SCRIPT_BYTES })).toStrictEqual({
      ok: false,
      diagnostics: [{ file: "<script>", line: MAX_SCRIPT_EVENTS + 1, column: 1, message: "expected at most 100000 events (the event limit), got more" }],
    });
  });
});

describe("formatting", () => {
  it("writes flags in packetdrill's order with the ACK dot last (as its grammar reads them), - for none", () => {
    expect([bits("FIN", "PSH", "ACK"), bits("SYN", "ACK"), bits("RST"), NO_FLAGS, bits("CWR", "ECE", "URG", "ACK", "PSH", "RST", "SYN", "FIN")].map(formatFlags)).toStrictEqual([
      "FP.",
      "S.",
      "R",
      "-",
      "FSRPUEW.",
    ]);
    expect([parseFlagText("PF."), parseFlagText("-"), parseFlagText(""), parseFlagText(".S"), parseFlagText("FF"), parseFlagText("A.")]).toStrictEqual([bits("FIN", "PSH", "ACK"), NO_FLAGS, undefined, undefined, undefined, undefined]);
  });

  it("writes a packet body, keeping flagText when it spells the flags", () => {
    const p: PacketEvent = { kind: "packet", direction: "outbound", flags: bits("FIN", "ACK"), flagText: "F.", seq: 1001, end: 1001, len: 0, ack: 1, win: 65535 };
    expect(formatPacket(p)).toBe("F. 1001:1001(0) ack 1 win 65535");
    expect(formatPacket({ ...p, flags: bits("FIN", "PSH", "ACK"), flagText: "PF." })).toBe("PF. 1001:1001(0) ack 1 win 65535");
    expect(formatPacket({ ...p, flags: bits("RST"), flagText: "F." })).toBe("R 1001:1001(0) ack 1 win 65535");
    const opts: TcpOption[] = [{ kind: "mss", value: 1460 }, { kind: "sackOK" }, { kind: "TS", val: 1, ecr: 0 }, { kind: "nop" }, { kind: "wscale", value: 7 }, { kind: "sack", blocks: [[1, 2], [3, 4]] }, { kind: "eol" }, { kind: "other", text: "md5 00" }];
    expect(formatPacket({ kind: "packet", direction: "inbound", flags: bits("SYN"), flagText: "S", seq: 0, end: 0, len: 0, options: opts })).toBe(
      "S 0:0(0) <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7,sack 1:2 3:4,eol,md5 00>",
    );
  });

  it("writes times, system calls and whole lines", () => {
    expect([{ start: abs(0) }, { start: rel(0.1) }, { start: { kind: "any" } }, { start: abs(0.1), rangeEnd: abs(0.2) }, { start: rel(0), rangeEnd: rel(0.2) }, { start: rel(0), blockingEnd: rel(0.5) }, { start: abs(1.5e-7) }].map((t) => formatTime(t as EventTime))).toStrictEqual([
      "0",
      "+0.1",
      "*",
      "0.1~0.2",
      "+0~+0.2",
      "+0...0.5",
      "0.00000015",
    ]);
    const s: SyscallEvent = { kind: "syscall", name: "setsockopt", args: [num(3), sym("SOL_SOCKET"), sym("SO_LINGER"), { kind: "struct", fields: [{ name: "onoff", value: num(1) }, { name: "linger", value: num(0) }] }, num(8)], result: 0 };
    expect(formatSyscall(s)).toBe("setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0");
    expect(formatSyscall({ kind: "syscall", name: "recv", args: [num(4), ELLIPSIS, { kind: "flags", names: ["MSG_PEEK", "MSG_DONTWAIT"] }, { kind: "array", items: [] }, { kind: "string", value: "x y" }], result: -1, errno: "ECONNRESET", note: "Connection reset by peer" })).toBe(
      'recv(4, ..., MSG_PEEK|MSG_DONTWAIT, [], "x y") = -1 ECONNRESET (Connection reset by peer)',
    );
    const line = "+0.1 < F. 1:1(0) ack 1001 win 65535";
    expect(formatEvent(only(line))).toBe(line);
    expect(formatEvent(only("  +0 `echo  hi` // c"))).toBe("+0 `echo  hi`");
  });
});

// ---- properties ----------------------------------------------------------------------------

console.log(`packetdrill.parse properties: seed ${SEED} (replay with FC_SEED=${SEED})`);

const VALID = [
  "--tolerance_usecs=10000",
  "`sysctl -q net.ipv4.tcp_rfc1337=1`",
  "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
  "+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0 /* RST on close */",
  "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)",
  "+0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>",
  "+.1 < S. 0:0(0) ack 1 win 65535 <mss 1460,nop,sack 1:2 3:4>",
  "* > . 1:1(0) ack 1",
  "+0...0.5 read(3, ..., 1000) = 0",
  "0.1~0.2 > F. 1:1(0) ack 1",
  "+0~+0.2 > FP. 1:11(10) ack 1 win 0",
  '+0 write(3, "hi", 2) = 2',
  "+0 %{ print(1 // 2)",
  "}%",
  "+0 < icmp unreachable port_unreachable",
  "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0 // done",
].join("\n");

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.string({ maxLength: 8, unit: "binary" }) }),
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), text: fc.constantFrom("<", ">", ":", "(", ")", "[", "{", "}", "]", "%{", "}%", "/*", "*/", "//", "`", '"', "...", "~", "+", "-", "*", "=", ",", "|", "\n", "\r", "\t", " ", "0", "4294967296", "x", "é", "\u0000", "\ud800") }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 80 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(text: string, m: Mutation): string {
  const at = m.at % (text.length + 1);
  switch (m.kind) {
    case "delete":
      return text.slice(0, at) + text.slice(at + m.length);
    case "insert":
      return text.slice(0, at) + m.text + text.slice(at);
    case "replace":
      return text.slice(0, at) + m.text + text.slice(at + 1);
    case "truncate":
      return text.slice(0, at);
    case "duplicate":
      return text.slice(0, at + m.length) + text.slice(at);
  }
}

/** What holds of any result: well-formed diagnostics, or events whose lines print back to themselves. */
function checkResult(text: string): void {
  const r = parseScript(text);
  if (!r.ok) {
    expect(r.diagnostics.length).toBeGreaterThan(0);
    for (const d of r.diagnostics) {
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.column).toBeGreaterThanOrEqual(1);
      expect(d.message.startsWith("expected ")).toBe(true);
      for (const quoted of d.message.match(/"(?:[^"\\]|\\.)*"$/g) ?? []) expect(JSON.parse(quoted).length).toBeLessThanOrEqual(41);
    }
    return;
  }
  for (const e of r.script.events) {
    if (e.body.kind === "skipped") continue;
    const again = parseScript(formatEvent(e));
    expect(again.ok && [again.script.events[0]?.time, again.script.events[0]?.body]).toStrictEqual([e.time, e.body]);
  }
}

const u32 = fc.integer({ min: 0, max: 4_294_967_295 });
const seconds = fc.integer({ min: 0, max: 4_294_967_295 * 1_000_000 }).map((us) => us / 1_000_000);
const word = (re: RegExp): fc.Arbitrary<string> => fc.stringMatching(re);

const tcpOption: fc.Arbitrary<TcpOption> = fc.oneof(
  u32.map((value) => ({ kind: "mss" as const, value })),
  u32.map((value) => ({ kind: "wscale" as const, value })),
  fc.constantFrom({ kind: "sackOK" as const }, { kind: "nop" as const }, { kind: "eol" as const }),
  fc.tuple(u32, u32).map(([val, ecr]) => ({ kind: "TS" as const, val, ecr })),
  fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 4 }).map((blocks) => ({ kind: "sack" as const, blocks })),
  fc.constantFrom("md5 0a0b", "FO", "FO 1234abcd", "FOEXP", "mptcp capable").map((text) => ({ kind: "other" as const, text })),
);

// fc.record makes objects without a prototype; spread them into plain ones for toStrictEqual.
const flagsArb: fc.Arbitrary<PacketFlags> = fc
  .record({ SYN: fc.boolean(), FIN: fc.boolean(), RST: fc.boolean(), PSH: fc.boolean(), ACK: fc.boolean(), URG: fc.boolean(), ECE: fc.boolean(), CWR: fc.boolean() })
  .map((f) => ({ ...f }));

const packet: fc.Arbitrary<PacketEvent> = fc
  .record({
    direction: fc.constantFrom("inbound" as const, "outbound" as const),
    flags: flagsArb,
    seq: u32,
    len: fc.integer({ min: 0, max: 65535 }),
    ack: fc.option(u32, { nil: undefined }),
    win: fc.option(u32, { nil: undefined }),
    options: fc.option(fc.array(tcpOption, { maxLength: 6 }), { nil: undefined }),
  })
  .map(({ direction, flags, seq, len, ack, win, options }) => {
    const start = Math.min(seq, 4_294_967_295 - len);
    return {
      kind: "packet" as const, direction, flags, flagText: formatFlags(flags), seq: start, end: start + len, len,
      ...(ack !== undefined && { ack }), ...(win !== undefined && { win }), ...(options !== undefined && { options }),
    };
  });

const { arg } = fc.letrec<{ arg: SyscallArg }>((tie) => ({
  arg: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }).map((value): SyscallArg => ({ kind: "number", value })),
    word(/^[A-Z_][A-Z0-9_]{0,12}$/).map((name): SyscallArg => ({ kind: "symbol", name })),
    fc.array(word(/^[A-Z_][A-Z0-9_]{0,8}$/), { minLength: 2, maxLength: 4 }).map((names): SyscallArg => ({ kind: "flags", names })),
    fc.constant<SyscallArg>({ kind: "ellipsis" }),
    word(/^[^"\\\n]{0,12}$/).map((value): SyscallArg => ({ kind: "string", value })),
    fc.array(tie("arg"), { maxLength: 3 }).map((items): SyscallArg => ({ kind: "array", items })),
    fc.array(fc.tuple(word(/^[a-z_][a-z0-9_]{0,8}$/), tie("arg")), { maxLength: 3 }).map((fields): SyscallArg => ({ kind: "struct", fields: fields.map(([name, value]) => ({ name, value })) })),
  ),
}));

const syscall: fc.Arbitrary<SyscallEvent> = fc
  .record({
    name: word(/^[a-z_][a-z0-9_]{0,12}$/),
    args: fc.array(arg, { maxLength: 5 }),
    result: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    errno: fc.option(word(/^E[A-Z]{2,10}$/), { nil: undefined }),
    note: fc.option(word(/^[A-Za-z]{1,8}( [A-Za-z]{1,8}){0,4}$/), { nil: undefined }),
  })
  .map(({ errno, note, ...rest }) => ({ kind: "syscall" as const, ...rest, ...(errno !== undefined && { errno }), ...(note !== undefined && { note }) }));

const plainTime: fc.Arbitrary<EventTime> = fc.oneof(seconds.map((s) => ({ start: abs(s) })), seconds.map((s) => ({ start: rel(s) })));
function pair(kind: "absolute" | "relative"): fc.Arbitrary<[TimeSpec, TimeSpec]> {
  return fc.tuple(seconds, seconds).map(([a, b]) => [{ kind, seconds: Math.min(a, b) }, { kind, seconds: Math.max(a, b) }]);
}
const outboundTime: fc.Arbitrary<EventTime> = fc.oneof(
  plainTime,
  fc.constant<EventTime>({ start: { kind: "any" } }),
  fc.oneof(pair("absolute"), pair("relative")).map(([start, rangeEnd]) => ({ start, rangeEnd })),
);
const syscallTime: fc.Arbitrary<EventTime> = fc.oneof(plainTime, fc.oneof(pair("absolute"), pair("relative")).map(([start, blockingEnd]) => ({ start, blockingEnd })));

/** `*` and ranges only before outbound packets, blocking times only for system calls (as packetdrill). */
function timeFor(body: PacketEvent | SyscallEvent): fc.Arbitrary<EventTime> {
  if (body.kind === "syscall") return syscallTime;
  return body.direction === "outbound" ? outboundTime : plainTime;
}
const event: fc.Arbitrary<ScriptEvent> = fc
  .oneof<[fc.Arbitrary<PacketEvent | SyscallEvent>, fc.Arbitrary<PacketEvent | SyscallEvent>]>(packet, syscall)
  .chain((body) => timeFor(body).map((time) => ({ at: { line: 1, column: 1 }, text: "", time, body })));

describe("properties", () => {
  it("never throws on arbitrary text, and every result is well formed", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: "binary" }), (text) => checkResult(text)), { seed: SEED, numRuns: RUNS });
    fc.assert(fc.property(fc.array(fc.constantFrom("0", "+", ".1", "<", ">", "S", ".", "1:1(0)", "ack", "win", "1", "<mss 1>", "close(", ")", "=", " ", "\n", "`", "%{", "}%", "/*", "*/", "//", "...", "~", "*", "[", "{", "}", "]", ",", "|", "-", "E", "--x"), { maxLength: 40 }).map((a) => a.join("")), (text) => checkResult(text)), { seed: SEED, numRuns: RUNS });
  });

  it("never throws on mutations of a valid script", () => {
    expect(parseScript(VALID).ok).toBe(true);
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (ms) => checkResult(ms.reduce(mutate, VALID))), { seed: SEED, numRuns: RUNS });
  });

  it("formatEvent → parseScript gives back packet and system call events", () => {
    fc.assert(
      fc.property(event, (e) => {
        const r = parseScript(formatEvent(e));
        expect(r.ok && r.script.events.map((x) => [x.time, x.body])).toStrictEqual([[e.time, e.body]]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
