/**
 * The packetdrill script reader: text → `Script` (./types.ts), or every syntax error found.
 *
 * The grammar is google/packetdrill's (gtests/net/packetdrill/parser.y), narrowed to what a
 * TCP teardown lesson needs: `--name=value` options, event times (`0.1`, `+0.1`, `*`,
 * `a~b`, `+a~+b`, blocking `a...b`), TCP packets (`< F. 1:1(0) ack 1 win 65535 <nop>`),
 * system calls (`close(4) = 0`, `= -1 ECONNRESET (note)`), shell commands and python
 * blocks. Lines packetdrill accepts but we do not model (ICMP, UDP, IP-level details,
 * system call arguments like `htons(8080)`) become `skipped` events with a reason, so a
 * runner can list what it ignored. Semantic checks packetdrill makes at parse time are made
 * here too: `*` and ranges only before outbound packets, `len = end - start`, 32-bit numbers.
 *
 * Why errors are values: scripts are user input in the browser widget and in the CLI, and a
 * learner gains more from the whole list of mistakes (each with file:line:column, what was
 * expected and what was found) than from an exception. The reader recovers at the next line,
 * bounds its input (MAX_SCRIPT_BYTES, MAX_SCRIPT_EVENTS) and nesting, and never throws.
 * Pure: no Node imports.
 */
import { parseFlagText } from "./format.js";
import { Lexer, Problem, TokenCursor, type Token } from "./lexer.js";
import type {
  Direction,
  EventTime,
  PacketEvent,
  ParseScriptResult,
  ScriptDiagnostic,
  ScriptEvent,
  ScriptEventBody,
  SkippedEvent,
  SyscallArg,
  SyscallEvent,
  TcpOption,
  TimeSpec,
} from "./types.js";

/** Scripts larger than this (UTF-8 bytes) are refused unless `maxBytes` says otherwise. */
export const MAX_SCRIPT_BYTES = 1_048_576;
/** Scripts with more events than this are refused. */
export const MAX_SCRIPT_EVENTS = 100_000;
const MAX_U32 = 4_294_967_295;
/** Deepest `[ ]` / `{ }` nesting in system call arguments (bounds the recursion). */
const MAX_NESTING = 16;
/** Words that start packetdrill's IP-level packet prefixes (`< ipv4 1.2.3.4 > …: …`). */
const IP_LEVEL = new Set(["ipv4", "ipv6", "gre", "GREv0", "mpls"]);

export interface ParseScriptOptions {
  /** The file name messages use; default "<script>". */
  readonly file?: string;
  /** Refuse larger input; default MAX_SCRIPT_BYTES. */
  readonly maxBytes?: number;
}

/** Whether the UTF-8 encoding of `text` is longer than `limit` bytes (counted only if need be). */
function utf8Exceeds(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes > limit;
}

/** Reads a packetdrill script. Never throws; on any syntax error returns all diagnostics. */
export function parseScript(text: string, options: ParseScriptOptions = {}): ParseScriptResult {
  const file = typeof options.file === "string" ? options.file : "<script>";
  const maxBytes = typeof options.maxBytes === "number" && options.maxBytes >= 0 ? options.maxBytes : MAX_SCRIPT_BYTES;
  const refuse = (line: number, column: number, message: string): ParseScriptResult => ({
    ok: false,
    diagnostics: [{ file, line, column, message }],
  });
  if (typeof text !== "string") return refuse(1, 1, "expected the script as a string");
  if (utf8Exceeds(text, maxBytes)) return refuse(1, 1, `expected a script of at most ${maxBytes} bytes (the size limit), got more`);

  const diagnostics: ScriptDiagnostic[] = [];
  const report = (line: number, column: number, message: string): void => {
    diagnostics.push({ file, line, column, message });
  };
  const lexer = new Lexer(text, report);
  const scriptOptions = new Map<string, string>();
  const events: ScriptEvent[] = [];
  let eventSeen = false;
  for (let lexed = lexer.nextLine(); lexed; lexed = lexer.nextLine()) {
    const first = lexed.tokens[0];
    if (first === undefined || lexed.broken) continue;
    try {
      const reader = new LineReader(text, lexed.tokens);
      if (first.kind === "option") {
        if (eventSeen) throw reader.expected("options (--name=value) only before the first event", first);
        reader.options(scriptOptions);
        continue;
      }
      eventSeen = true;
      const event = reader.event();
      if (events.length === MAX_SCRIPT_EVENTS) {
        return refuse(first.line, first.column, `expected at most ${MAX_SCRIPT_EVENTS} events (the event limit), got more`);
      }
      events.push(event);
    } catch (e) {
      if (!(e instanceof Problem)) throw e;
      report(e.line, e.column, e.message);
    }
  }
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  return { ok: true, script: { file, options: Object.fromEntries(scriptOptions), events } };
}

/** Reads one logical line's tokens; a syntax error throws a Problem, caught per line. */
class LineReader extends TokenCursor {
  /** Why a system call's arguments cannot be modelled (the call is then skipped). */
  private unmodelled: string | undefined;

  /** `--name=value --other`: values are the source text up to the next option. */
  options(into: Map<string, string>): void {
    while (this.peek() !== undefined) {
      const opt = this.take()!;
      if (opt.kind !== "option") throw this.expected("an option like --tolerance_usecs=10000", opt);
      let value = "";
      if (this.isPunct("=")) {
        this.take();
        const first = this.peek();
        while (this.peek() !== undefined && this.peek()!.kind !== "option") this.take();
        if (first !== undefined && first.kind !== "option") {
          value = this.sourceFrom(first);
          if (first.kind === "string" && first.end === this.tokens[this.i - 1]!.end) value = first.text.slice(1, -1);
        }
      }
      into.set(opt.text.slice(2), value);
    }
  }

  event(): ScriptEvent {
    const first = this.peek()!;
    const at = { line: first.line, column: first.column };
    if (first.kind === "shell" || first.kind === "python") {
      const body = this.skippedBlock(this.take()!);
      return { at, text: this.sourceFrom(first), body };
    }
    const time = this.time();
    const action = this.peek();
    if ((time.start.kind === "any" || time.rangeEnd) && !this.isPunct(">")) {
      throw this.expected(`an outbound packet (">") after "*" or a time range`, action);
    }
    if (time.blockingEnd && !(action?.kind === "word" && this.isPunct("(", 1))) {
      throw this.expected("a system call after a blocking time (start...end)", action);
    }
    let body: ScriptEventBody;
    if (action !== undefined && action.kind === "punct" && (action.text === "<" || action.text === ">")) {
      this.take();
      body = this.packet(action.text === "<" ? "inbound" : "outbound");
    } else if (action?.kind === "word" && this.isPunct("(", 1)) {
      body = this.syscall();
    } else if (action?.kind === "shell" || action?.kind === "python") {
      body = this.skippedBlock(this.take()!);
    } else {
      throw this.expected("a packet (< or >), a system call, a `shell command` or a %{ python }% block", action);
    }
    return { at, text: this.sourceFrom(first), time, body };
  }

  private skippedBlock(t: Token): SkippedEvent {
    const shell = t.kind === "shell";
    this.end(shell ? "the shell command" : "the python block");
    return shell
      ? { kind: "skipped", what: "shell", reason: "shell commands are not run" }
      : { kind: "skipped", what: "python", reason: "python blocks are not run" };
  }

  private time(): EventTime {
    const first = this.peek()!;
    const start = this.timeSpec(first);
    if (this.isPunct("~")) {
      this.take();
      const rangeEnd = this.timeSpec(undefined);
      const relative = start.kind === "relative";
      if (start.kind === "any" || (rangeEnd.kind === "relative") !== relative) {
        throw this.expected(`a time range like 0.1~0.2 or +0~+0.2`, first, this.sourceFrom(first));
      }
      if (rangeEnd.kind !== "any" && start.seconds > rangeEnd.seconds) {
        throw this.expected("the end of a time range to be at least its start", first, this.sourceFrom(first));
      }
      return { start, rangeEnd };
    }
    if (this.peek()?.kind === "ellipsis") {
      const dots = this.take()!;
      const endTok = this.peek();
      const end = endTok?.kind === "num" ? this.seconds(endTok) : undefined;
      if (start.kind === "any" || end === undefined) {
        const got = this.src.slice(first.offset, (endTok ?? dots).end);
        throw this.expected("a blocking time like 0.1...0.2 or +0...0.5", first, got);
      }
      this.take();
      if (end < start.seconds) throw this.expected("the end of a blocking time to be at least its start", first, this.sourceFrom(first));
      return { start, blockingEnd: { kind: start.kind, seconds: end } };
    }
    return { start };
  }

  /** One time; `first` is the event's first token (then `*` is allowed and errors quote from it). */
  private timeSpec(first: Token | undefined): TimeSpec {
    if (first !== undefined && this.isPunct("*")) {
      this.take();
      return { kind: "any" };
    }
    const plus = this.isPunct("+");
    if (plus) this.take();
    const t = this.peek();
    if (this.isPunct("-") && this.peek(1)?.kind === "num") {
      throw this.expected("a non-negative time", t, this.wordAt(t!));
    }
    const seconds = t?.kind === "num" ? this.seconds(t) : undefined;
    if (seconds === undefined) throw this.expected("a time (like 0, +0.1 or *)", first ?? t);
    this.take();
    return plus ? { kind: "relative", seconds } : { kind: "absolute", seconds };
  }

  /** A decimal time in seconds (no hex), at most MAX_U32. */
  private seconds(t: Token): number | undefined {
    if (!/^(?:\d+(?:\.\d+)?|\.\d+)$/.test(t.text)) return undefined;
    const s = Number(t.text);
    if (s > MAX_U32) throw this.expected(`a time of at most ${MAX_U32} seconds`, t);
    return s;
  }

  /** A decimal unsigned 32-bit number, or undefined if `t` is not a decimal integer. */
  private decimal(t: Token | undefined): number | undefined {
    if (t?.kind !== "num" || !/^\d+$/.test(t.text)) return undefined;
    return this.u32(t);
  }

  private u32(t: Token | undefined): number {
    const n = Number(t?.text);
    if (!(n <= MAX_U32)) throw this.expected(`an unsigned 32-bit number (0..${MAX_U32})`, t, t?.text);
    return n;
  }

  /** `ack N`, `win N`. */
  private numberAfterWord(): number {
    const word = this.take()!.text;
    const n = this.decimal(this.peek());
    if (n === undefined) throw this.expected(`a number after ${word}`, this.peek());
    this.take();
    return n;
  }

  private packet(direction: Direction): PacketEvent | SkippedEvent {
    const t = this.peek();
    const word = t?.kind === "word" ? t.text : "";
    const ipLevel = this.isPunct("[") || this.isPunct("(") || IP_LEVEL.has(word) || (t?.kind === "num" && this.isPunct(">", 1));
    if (word === "icmp" || word === "udp" || ipLevel) {
      this.i = this.tokens.length; // the rest of the line is the skipped packet's
      if (word === "icmp") return { kind: "skipped", what: "icmp", reason: "ICMP packets are not modelled" };
      if (word === "udp") return { kind: "skipped", what: "udp", reason: "UDP packets are not modelled" };
      return { kind: "skipped", what: "other", reason: "IP-level details (encapsulation, ECN/TOS, ports) are not modelled" };
    }
    const flagTok = this.take();
    let flagText = flagTok?.kind === "word" || flagTok?.kind === "punct" ? flagTok.text : "";
    const dot = this.peek();
    if (flagTok?.kind === "word" && dot?.kind === "punct" && dot.text === "." && dot.offset === flagTok.end) {
      this.take();
      flagText += ".";
    }
    const flags = parseFlagText(flagText);
    if (flags === undefined) throw this.expected("TCP flags like S, S., F., R. or -", flagTok);

    const s = this.peek();
    const shaped = [0, 2, 4].every((k) => this.peek(k)?.kind === "num" && /^\d+$/.test(this.peek(k)!.text));
    if (!shaped || !this.isPunct(":", 1) || !this.isPunct("(", 3) || !this.isPunct(")", 5)) {
      throw this.expected("a sequence range like 1:1(0)", s);
    }
    const seq = this.u32(this.peek(0));
    const end = this.u32(this.peek(2));
    const len = this.u32(this.peek(4));
    this.i += 6;
    if (end - seq !== len) {
      throw this.expected(`the length in parentheses to be end - start = ${end - seq}`, s, this.sourceFrom(s!));
    }
    let ack: number | undefined;
    let win: number | undefined;
    let options: TcpOption[] | undefined;
    if (this.isWord("ack")) ack = this.numberAfterWord();
    if (this.isWord("win")) win = this.numberAfterWord();
    if (this.isPunct("<")) options = this.tcpOptions(direction);
    if (this.peek() !== undefined) throw this.expected("ack N, win N, <options> or end of line", this.peek());
    return {
      kind: "packet", direction, flags, flagText, seq, end, len,
      ...(ack !== undefined && { ack }),
      ...(win !== undefined && { win }),
      ...(options !== undefined && { options }),
    };
  }

  /** `<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>`; `<...>` (outbound only) → undefined. */
  private tcpOptions(direction: Direction): TcpOption[] | undefined {
    const open = this.take()!;
    if (this.peek()?.kind === "ellipsis" && this.isPunct(">", 1)) {
      if (direction === "inbound") throw this.expected("TCP options (<...> is only for outbound packets)", open, "<...>");
      this.i += 2;
      return undefined;
    }
    const list: TcpOption[] = [];
    if (this.isPunct(">")) {
      this.take();
      return list;
    }
    for (;;) {
      const from = this.i;
      while (this.peek() !== undefined && !this.isPunct(",") && !this.isPunct(">")) this.take();
      const parts = this.tokens.slice(from, this.i);
      if (parts.length === 0) throw this.expected("a TCP option like mss 1460, nop or sackOK", this.peek());
      list.push(this.tcpOption(parts));
      const sep = this.take();
      if (sep === undefined) throw this.expected(`">" to close the TCP options`, undefined);
      if (sep.text === ">") return list;
    }
  }

  private tcpOption(parts: readonly Token[]): TcpOption {
    const [k, a, b, c, d] = parts;
    const first = k!;
    const text = this.src.slice(first.offset, parts[parts.length - 1]!.end);
    const number = (t: Token | undefined): number | undefined => this.decimal(t); // undefined: not a decimal
    const bad = (form: string): Problem => this.expected(form, first, text);
    const name = first.kind === "word" ? first.text : "";
    switch (name) {
      case "mss":
      case "wscale": {
        const value = number(a);
        if (value === undefined || parts.length !== 2) throw bad(`${name} N`);
        return { kind: name, value };
      }
      case "sackOK":
      case "nop":
      case "eol":
        if (parts.length !== 1) throw bad(name);
        return { kind: name };
      case "TS": {
        const val = number(b);
        const ecr = number(d);
        if (a?.text !== "val" || c?.text !== "ecr" || val === undefined || ecr === undefined || parts.length !== 5) {
          throw bad("TS val N ecr N");
        }
        return { kind: "TS", val, ecr };
      }
      case "sack": {
        const blocks: (readonly [number, number])[] = [];
        for (let j = 1; j < parts.length; j += 3) {
          const left = number(parts[j]);
          const right = number(parts[j + 2]);
          if (left === undefined || right === undefined || parts[j + 1]?.text !== ":") throw bad("sack A:B [C:D …]");
          blocks.push([left, right]);
        }
        if (blocks.length === 0) throw bad("sack A:B [C:D …]");
        return { kind: "sack", blocks };
      }
      default:
        return { kind: "other", text };
    }
  }

  /** `name(arg, …) = result [ERRNO] [(note)]`. */
  private syscall(): SyscallEvent | SkippedEvent {
    const name = this.take()!.text;
    this.take();
    const args = this.list(")", () => this.arg(1));
    if (!this.isPunct("=")) throw this.expected(`"=" and the result after the system call`, this.peek());
    this.take();
    const r = this.peek();
    const negative = this.isPunct("-") && this.peek(1)?.kind === "num" && this.peek(1)!.offset === r!.end;
    const digits = negative ? this.peek(1) : r;
    const value = digits?.kind === "num" && !digits.text.includes(".") ? Number(digits.text) * (negative ? -1 : 1) : NaN;
    if (!Number.isSafeInteger(value)) throw this.expected("an integer result like 0 or -1", r);
    this.i += negative ? 2 : 1;
    const result = value === 0 ? 0 : value;
    let errno: string | undefined;
    let note: string | undefined;
    const e = this.peek();
    if (e !== undefined && !this.isPunct("(")) {
      if (e.kind !== "word" || !/^E[A-Z0-9_]+$/.test(e.text)) throw this.expected("an errno like ECONNRESET, a (note) or end of line", e);
      errno = this.take()!.text;
    }
    if (this.isPunct("(")) {
      const open = this.take()!;
      while (this.peek() !== undefined && !this.isPunct(")")) this.take();
      const close = this.take();
      if (close === undefined) throw this.expected(`")" to close the note`, undefined);
      note = this.src.slice(open.end, close.offset).trim();
    }
    this.end("the system call");
    if (this.unmodelled !== undefined) {
      return { kind: "skipped", what: "other", reason: `${name}(): ${this.unmodelled}` };
    }
    return { kind: "syscall", name, args, result, ...(errno !== undefined && { errno }), ...(note !== undefined && { note }) };
  }

  private skip(reason: string): SyscallArg {
    this.unmodelled ??= reason;
    return { kind: "ellipsis" };
  }

  /** Items up to `close` (the opening bracket already taken), separated by commas. */
  private list<T>(close: string, item: () => T): T[] {
    const items: T[] = [];
    if (this.isPunct(close)) {
      this.take();
      return items;
    }
    for (;;) {
      items.push(item());
      const sep = this.take();
      if (sep?.kind === "punct" && sep.text === close) return items;
      if (sep?.kind !== "punct" || sep.text !== ",") throw this.expected(`"," or "${close}"`, sep);
    }
  }

  /** One argument: a term, or `A|B|C` flags. */
  private arg(depth: number): SyscallArg {
    if (depth > MAX_NESTING) throw this.expected(`at most ${MAX_NESTING} levels of nested brackets`, this.peek());
    const terms = [this.term(depth)];
    while (this.isPunct("|")) {
      this.take();
      terms.push(this.term(depth));
    }
    if (terms.length === 1) return terms[0]!;
    const names = terms.flatMap((t) => (t.kind === "symbol" ? [t.name] : []));
    return names.length === terms.length ? { kind: "flags", names } : this.skip("a | expression with non-symbols is not modelled");
  }

  private term(depth: number): SyscallArg {
    const t = this.peek();
    const next = this.peek(1);
    if (t?.kind === "ellipsis") {
      this.take();
      return { kind: "ellipsis" };
    }
    if (t?.kind === "num" || (t?.kind === "punct" && t.text === "-" && next?.kind === "num" && next.offset === t.end)) {
      const digits = t.kind === "num" ? t : next!;
      const value = digits.text.includes(".") ? NaN : Number(digits.text) * (t === digits ? 1 : -1);
      if (!Number.isSafeInteger(value)) throw this.expected("an integer argument", t);
      this.i += t === digits ? 1 : 2;
      return { kind: "number", value: value === 0 ? 0 : value };
    }
    if (t?.kind === "string") {
      this.take();
      if (this.peek()?.kind === "string" || this.peek()?.kind === "ellipsis") {
        this.take();
        return this.skip(`string forms like "a" "b" or "a"... are not modelled`);
      }
      return { kind: "string", value: t.text.slice(1, -1) };
    }
    if (t?.kind === "word") {
      this.take();
      if (this.isPunct("(")) {
        this.take();
        this.list(")", () => this.arg(depth + 1));
        return this.skip(`expressions like ${t.text}(…) are not modelled`);
      }
      if (this.isPunct("=")) {
        this.take();
        this.arg(depth + 1);
        return this.skip("name=value outside { } is not modelled");
      }
      return { kind: "symbol", name: t.text };
    }
    if (this.isPunct("[")) {
      this.take();
      return { kind: "array", items: this.list("]", () => this.arg(depth + 1)) };
    }
    if (this.isPunct("{")) {
      this.take();
      return { kind: "struct", fields: this.list("}", () => this.field(depth + 1)) };
    }
    throw this.expected(`a system call argument (a number, a NAME, ..., "text", [ ] or { })`, t);
  }

  /** A struct member: `name=value`; an unnamed member (`{..., 100}`) is not modelled. */
  private field(depth: number): { readonly name: string; readonly value: SyscallArg } {
    const t = this.peek();
    if (t?.kind === "word" && this.isPunct("=", 1)) {
      this.i += 2;
      return { name: t.text, value: this.arg(depth) };
    }
    this.arg(depth);
    if (this.isPunct("=")) {
      this.take();
      this.arg(depth);
    }
    return { name: "", value: this.skip("a { } member without a name= is not modelled") };
  }
}
