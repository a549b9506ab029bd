/**
 * A packetdrill script, as this project's reader turns it into data (./parse.ts) and the
 * runners read it: the simulator (./run.ts) and, for the Linux profile's conformance
 * scripts, the real kernel (test/support/kernel-pkt). Pure types, no Node imports.
 *
 * Syntax follows google/packetdrill (its README and gtests); the subset we model is listed
 * in docs/packetdrill.md. Sequence numbers are as written in the script: relative, each
 * side's ISN being 0. A line we parse but cannot model is kept as a `skipped` event with its
 * reason, never dropped.
 */

/** 1-based line and column in the script text. */
export interface ScriptPosition {
  readonly line: number;
  readonly column: number;
}

/**
 * When an event happens, in seconds. packetdrill forms: `0.1` (absolute), `+0.1` (after the
 * previous event), `*` (any time), `0.1~0.2` / `+0~+0.2` (a range), and for a blocking
 * system call `start...end` (the call starts at `start` and returns at `end`).
 */
export type TimeSpec =
  | { readonly kind: "absolute"; readonly seconds: number }
  | { readonly kind: "relative"; readonly seconds: number }
  | { readonly kind: "any" };

export interface EventTime {
  readonly start: TimeSpec;
  /** `a~b`: the event may happen anywhere from `start` to `rangeEnd`. */
  readonly rangeEnd?: TimeSpec;
  /** `a...b`: a blocking system call that returns at `blockingEnd`. */
  readonly blockingEnd?: TimeSpec;
}

/** TCP control bits as packetdrill writes them: S F R P . (ACK) U E W; `-` is none. */
export interface PacketFlags {
  readonly SYN: boolean;
  readonly FIN: boolean;
  readonly RST: boolean;
  readonly PSH: boolean;
  readonly ACK: boolean;
  readonly URG: boolean;
  readonly ECE: boolean;
  readonly CWR: boolean;
}

/** One TCP option inside `<…>`. Unknown kinds are kept by name with their raw text. */
export type TcpOption =
  | { readonly kind: "mss"; readonly value: number }
  | { readonly kind: "wscale"; readonly value: number }
  | { readonly kind: "sackOK" }
  | { readonly kind: "nop" }
  | { readonly kind: "eol" }
  | { readonly kind: "TS"; readonly val: number; readonly ecr: number }
  | { readonly kind: "sack"; readonly blocks: readonly (readonly [number, number])[] }
  | { readonly kind: "other"; readonly text: string };

/** `<` is a segment the script injects (from the remote peer), `>` one the system under test must send. */
export type Direction = "inbound" | "outbound";

export interface PacketEvent {
  readonly kind: "packet";
  readonly direction: Direction;
  readonly flags: PacketFlags;
  /** The flag characters exactly as written (`F.`, `S`, `R.`, `P.`). */
  readonly flagText: string;
  /** `start:end(len)`: relative sequence numbers; end = start + len. */
  readonly seq: number;
  readonly end: number;
  readonly len: number;
  /** `ack N`, relative; undefined when absent. */
  readonly ack?: number;
  /** `win N`; undefined when absent. */
  readonly win?: number;
  /** `<…>`; undefined when absent (an outbound line then does not check options). */
  readonly options?: readonly TcpOption[];
}

/**
 * A system call's argument: a number, a symbol (`SOCK_STREAM`, `SO_LINGER`), a flag
 * expression (`O_RDWR|O_NONBLOCK`), `...` (ellipsis: don't care), a string literal, an
 * array `[1]`, or a struct `{onoff=1, linger=0}`.
 */
export type SyscallArg =
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "symbol"; readonly name: string }
  | { readonly kind: "flags"; readonly names: readonly string[] }
  | { readonly kind: "ellipsis" }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "array"; readonly items: readonly SyscallArg[] }
  | { readonly kind: "struct"; readonly fields: readonly { readonly name: string; readonly value: SyscallArg }[] };

export interface SyscallEvent {
  readonly kind: "syscall";
  /** `socket`, `bind`, `listen`, `accept`, `connect`, `write`, `send`, `read`, `recv`, `shutdown`, `close`, … */
  readonly name: string;
  readonly args: readonly SyscallArg[];
  /** `= 3`, `= -1 ECONNRESET (Connection reset by peer)`: the number, the errno name, the note. */
  readonly result: number;
  readonly errno?: string;
  readonly note?: string;
}

/** A line parsed but outside what we model: kept with why, listed by the runners. */
export interface SkippedEvent {
  readonly kind: "skipped";
  readonly what: "shell" | "python" | "icmp" | "udp" | "other";
  readonly reason: string;
}

export type ScriptEventBody = PacketEvent | SyscallEvent | SkippedEvent;

export interface ScriptEvent {
  /** Where the event starts in the file. */
  readonly at: ScriptPosition;
  /** The event's source text, trimmed (one line, or several for a `%{ … }%` block). */
  readonly text: string;
  /** Absent for a skipped event that has no time (a bare shell command or python block). */
  readonly time?: EventTime;
  readonly body: ScriptEventBody;
}

export interface Script {
  /** The file name messages use. */
  readonly file: string;
  /** `--name=value` lines at the top of the script (e.g. `tolerance_usecs` → "10000"). */
  readonly options: Readonly<Record<string, string>>;
  readonly events: readonly ScriptEvent[];
}

/** A syntax error: where, what was found and what was expected. */
export interface ScriptDiagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** `expected a sequence range like 1:1(0), got "1:"` */
  readonly message: string;
}

export type ParseScriptResult =
  | { readonly ok: true; readonly script: Script }
  | { readonly ok: false; readonly diagnostics: readonly ScriptDiagnostic[] };
