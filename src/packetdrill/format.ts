/**
 * Script events → packetdrill text: what the runners print when a line fails, and the
 * inverse of ./parse.ts (for every packet and system call event `e`,
 * `parseScript(formatEvent(e))` gives back `e.body` and `e.time`).
 *
 * The spelling follows packetdrill's own printer (gtests/net/packetdrill/packet_to_string.c
 * and tcp_options_to_string.c): flags in its order F S R P U E W, except that the ACK dot
 * goes last, because packetdrill's grammar reads flags as a word then an optional `.`
 * (parser.y: `flags: WORD opt_ack_flag`), so its scripts write `S.`, `F.`, `FP.`, `R.`,
 * `SE.`; `-` when none. Then `start:end(len)`, `ack N`, `win N` and options as
 * `<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>` with SACK blocks as `sack 1:2 3:4`.
 * Pure: no Node imports.
 */
import type { EventTime, PacketEvent, PacketFlags, ScriptEvent, SyscallArg, SyscallEvent, TcpOption, TimeSpec } from "./types.js";

const FLAG_ORDER: readonly (readonly [keyof PacketFlags, string])[] = [
  ["FIN", "F"],
  ["SYN", "S"],
  ["RST", "R"],
  ["PSH", "P"],
  ["URG", "U"],
  ["ECE", "E"],
  ["CWR", "W"],
  ["ACK", "."],
];

/** `S`, `F.`, `FP.`, `.`: packetdrill's flag letters, each at most once; `-` is none. */
export function parseFlagText(text: string): PacketFlags | undefined {
  if (text === "-") return flagsOf("");
  if (text === "" || !/^[SFRPUEW]*\.?$/.test(text) || new Set(text).size !== text.length) return undefined;
  return flagsOf(text);
}

function flagsOf(t: string): PacketFlags {
  const has = (c: string): boolean => t.includes(c);
  return { SYN: has("S"), FIN: has("F"), RST: has("R"), PSH: has("P"), ACK: has("."), URG: has("U"), ECE: has("E"), CWR: has("W") };
}

/** The canonical flag text for a set of control bits (FSRPUEW, then `.`); `-` for none. */
export function formatFlags(flags: PacketFlags): string {
  const text = FLAG_ORDER.filter(([bit]) => flags[bit]).map(([, c]) => c).join("");
  return text === "" ? "-" : text;
}

/**
 * Seconds without an exponent, as short as round-trips (`0.1`, `1.5`, `0.00000015`).
 * Times the parser accepts are below 2^32, so String() never uses a positive exponent.
 */
function formatSeconds(s: number): string {
  const text = String(s);
  const m = /^(\d)(?:\.(\d+))?e-(\d+)$/.exec(text);
  if (m === null) return text;
  return `0.${"0".repeat(Number(m[3]) - 1)}${m[1]}${m[2] ?? ""}`;
}

function formatSpec(t: TimeSpec): string {
  if (t.kind === "any") return "*";
  return (t.kind === "relative" ? "+" : "") + formatSeconds(t.seconds);
}

/** `0.1`, `+0.1`, `*`, `0.1~0.2`, `+0~+0.2`, `+0...0.5` (a blocking end has no `+`). */
export function formatTime(t: EventTime): string {
  let text = formatSpec(t.start);
  if (t.rangeEnd) text += `~${formatSpec(t.rangeEnd)}`;
  if (t.blockingEnd && t.blockingEnd.kind !== "any") text += `...${formatSeconds(t.blockingEnd.seconds)}`;
  return text;
}

export function formatTcpOption(o: TcpOption): string {
  switch (o.kind) {
    case "mss":
    case "wscale":
      return `${o.kind} ${o.value}`;
    case "sackOK":
    case "nop":
    case "eol":
      return o.kind;
    case "TS":
      return `TS val ${o.val} ecr ${o.ecr}`;
    case "sack":
      return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(" ")}`;
    case "other":
      return o.text;
  }
}

function sameFlags(a: PacketFlags, b: PacketFlags): boolean {
  return FLAG_ORDER.every(([bit]) => a[bit] === b[bit]);
}

/**
 * A packet line's body after the direction: `F. 1001:1001(0) ack 1 win 65535`. The flags
 * are written as `flagText` when that spells exactly `flags`, otherwise canonically.
 */
export function formatPacket(p: PacketEvent): string {
  const spelled = parseFlagText(p.flagText);
  let text = `${spelled && sameFlags(spelled, p.flags) ? p.flagText : formatFlags(p.flags)} ${p.seq}:${p.end}(${p.len})`;
  if (p.ack !== undefined) text += ` ack ${p.ack}`;
  if (p.win !== undefined) text += ` win ${p.win}`;
  if (p.options !== undefined) text += ` <${p.options.map(formatTcpOption).join(",")}>`;
  return text;
}

/** One argument; a string's value is written between quotes as it is (no escaping). */
export function formatSyscallArg(a: SyscallArg): string {
  switch (a.kind) {
    case "number":
      return String(a.value);
    case "symbol":
      return a.name;
    case "flags":
      return a.names.join("|");
    case "ellipsis":
      return "...";
    case "string":
      return `"${a.value}"`;
    case "array":
      return `[${a.items.map(formatSyscallArg).join(", ")}]`;
    case "struct":
      return `{${a.fields.map((f) => `${f.name}=${formatSyscallArg(f.value)}`).join(", ")}}`;
  }
}

/** `connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)`. */
export function formatSyscall(s: SyscallEvent): string {
  let text = `${s.name}(${s.args.map(formatSyscallArg).join(", ")}) = ${s.result}`;
  if (s.errno !== undefined) text += ` ${s.errno}`;
  if (s.note !== undefined) text += ` (${s.note})`;
  return text;
}

/** A whole line: `+0.1 < F. 1:1(0) ack 1001 win 65535`. A skipped event is its source text. */
export function formatEvent(e: ScriptEvent): string {
  const body = e.body;
  if (body.kind === "skipped") return e.text;
  const time = e.time ? `${formatTime(e.time)} ` : "";
  if (body.kind === "packet") return `${time}${body.direction === "inbound" ? "<" : ">"} ${formatPacket(body)}`;
  return `${time}${formatSyscall(body)}`;
}
