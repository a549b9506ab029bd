/**
 * Run a packetdrill script against the simulator: one simulated endpoint (the system under
 * test, a src/sim/scripted.ts endpoint under the chosen profile) while the script plays the
 * remote peer, with packetdrill's semantics:
 * - sequence numbers are relative: each side's ISN is 0 in the script (the peer's ISN here
 *   is PEER_ISN; the endpoint's is its own ISS);
 * - times are absolute or `+delta` seconds on the virtual clock, `*` is any time, `a~b` a
 *   range; an outbound segment must appear within the tolerance (`--tolerance_usecs`,
 *   default 4000 µs) of its line's time;
 * - `<` lines inject a segment; `>` lines expect the endpoint's next segment, compared on
 *   flags, sequence number, acknowledgment number and length (window and options too with
 *   `strict`); a segment the endpoint sends that no `>` line expects fails the script at
 *   the next line, as packetdrill's "unexpected outbound packet";
 * - system calls act on the endpoint and their return values and errnos are checked.
 * One connection per script. The supported subset is in docs/packetdrill.md; a line outside
 * it is listed as skipped with the reason (an error with `strict`). Pure: no Node imports.
 */
import type { ProfileName } from "../fsm/profiles.js";
import type { SegmentRecord, Trace, Flag } from "../sim/trace.js";
import { ScriptedEndpoint, type ArrivalJudgement } from "../sim/scripted.js";
import { formatFlags, formatPacket } from "./format.js";
import { parseScript } from "./parse.js";
import type { PacketEvent, PacketFlags, ScriptDiagnostic, ScriptEvent, SyscallArg, SyscallEvent, TimeSpec } from "./types.js";

/** The peer's initial sequence number: script sequence numbers count from it. */
export const PEER_ISN = 1_000_000;
/** packetdrill's default tolerance, microseconds. */
export const DEFAULT_TOLERANCE_USECS = 4000;
/** Longest virtual time a script may cover, seconds (the simulator's bound too). */
export const MAX_SCRIPT_SECONDS = 86_400;

export interface RunScriptOptions {
  /** The name messages use (default "script.pkt"). */
  readonly file?: string;
  readonly profile?: ProfileName;
  /** RFC 5961 on or off (default: the profile's, on). */
  readonly rfc5961?: boolean;
  /** Compare window and options too, and refuse lines the model cannot run. */
  readonly strict?: boolean;
  /** Overrides the script's `--tolerance_usecs`. */
  readonly toleranceUsecs?: number;
}

export interface ScriptFailure {
  readonly line: number;
  /** The script line as written (without its time). */
  readonly expected: string;
  /** What the endpoint did, in the same notation. */
  readonly actual: string;
  readonly reason: string;
}

export interface SkippedLine {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

export interface ScriptRun {
  readonly file: string;
  readonly profile: ProfileName;
  readonly rfc5961: boolean;
  /** Which side of the trace the endpoint under test is (the client when the script connects). */
  readonly endpoint: "client" | "server";
  readonly passed: boolean;
  readonly failure: ScriptFailure | null;
  readonly skipped: readonly SkippedLine[];
  /** The run as a trace: the script's peer and the endpoint under test. */
  readonly trace: Trace;
  /** Each injected segment as the checks judged it (what the conformance suite's coverage counts). */
  readonly judged: readonly JudgedLine[];
}

export interface JudgedLine extends ArrivalJudgement {
  readonly line: number;
  /** The segment's control bits as the script wrote them (`F.`, `R`, `P.` …) and whether it had data. */
  readonly flags: string;
  readonly data: boolean;
}

export type RunScriptResult =
  | { readonly ok: true; readonly run: ScriptRun }
  | { readonly ok: false; readonly diagnostics: readonly ScriptDiagnostic[] };

/** Socket-API errors the model gives (Linux errno names). */
type Errno = "ECONNRESET" | "ECONNREFUSED" | "ETIMEDOUT" | "EPIPE" | "ENOTCONN" | "EAGAIN" | "EINPROGRESS" | "EINVAL"
  | "EBADF" | "EISCONN" | "EALREADY";

interface CallResult {
  readonly value: number;
  readonly errno?: Errno;
}

const O_RDWR = 2, O_NONBLOCK = 0x800;

class Failed extends Error {
  constructor(readonly failure: ScriptFailure) {
    super(failure.reason);
  }
}

/** What the syscalls know beyond the endpoint: file descriptors, blocking mode, errors. */
interface SocketTable {
  /** Script fd → what it is. */
  readonly fds: Map<number, "socket" | "listener" | "connection">;
  nonblocking: boolean;
  linger0: boolean;
  accepted: boolean;
  /** A pending error (SO_ERROR), set when the connection is reset or times out. */
  error: Errno | null;
  /** The error was reported once by read/write: later writes get EPIPE, reads 0. */
  errorSeen: boolean;
  writeShut: boolean;
  readShut: boolean;
  /** The peer's FIN arrived (sticky: a later reset does not undo the end of file). */
  peerFin: boolean;
  /** Linux keeps received data readable after a reset: bytes still to read, then the error. */
  readableAfterReset: number;
  /** Unread bytes at the last look, to know what a reset left behind. */
  lastUnread: number;
}

const ERRNO_NOTE: Record<Errno, string> = {
  ECONNRESET: "Connection reset by peer", ECONNREFUSED: "Connection refused", ETIMEDOUT: "Connection timed out",
  EPIPE: "Broken pipe", ENOTCONN: "Transport endpoint is not connected", EAGAIN: "Resource temporarily unavailable",
  EINPROGRESS: "Operation now in progress", EINVAL: "Invalid argument", EBADF: "Bad file descriptor",
  EISCONN: "Transport endpoint is already connected", EALREADY: "Operation already in progress",
};

/** Parse and run a script. Syntax errors (and, with `strict`, lines the model cannot run) are diagnostics. */
export function runScript(text: string, options: RunScriptOptions = {}): RunScriptResult {
  const file = options.file ?? "script.pkt";
  const parsed = parseScript(text, { file });
  if (!parsed.ok) return parsed;
  const events = parsed.script.events;
  const strict = options.strict === true;
  const skipped: SkippedLine[] = [];
  const runnable: ScriptEvent[] = [];
  for (const e of events) {
    const why = unsupported(e);
    if (why === null) runnable.push(e);
    else skipped.push({ line: e.at.line, text: e.text, reason: why });
  }
  if (strict && skipped.length > 0) {
    return { ok: false, diagnostics: skipped.map((s) => ({ file, line: s.line, column: 1, message: `cannot model this line (--strict): ${s.reason}` })) };
  }
  const tolOpt = parsed.script.options["tolerance_usecs"];
  const tolerance = (options.toleranceUsecs ?? (tolOpt !== undefined && /^\d+$/.test(tolOpt) ? Number(tolOpt) : DEFAULT_TOLERANCE_USECS)) / 1e6;
  const profile = options.profile ?? "linux";
  const role = roleOf(runnable);
  // A tcp-lifecycle extension: `--delayed_ack=1` gives the endpoint the profile's delayed ACK
  // (the kernel runner ignores it; Linux always has one).
  const delayedAck = /^(1|on|true|yes)$/.test(parsed.script.options["delayed_ack"] ?? "");
  const se = new ScriptedEndpoint({ profile, role, name: file, delayedAck, ...(options.rfc5961 !== undefined ? { rfc5961: options.rfc5961 } : {}) });
  const runner = new Runner(se, file, tolerance, strict);
  let failure: ScriptFailure | null = null;
  try {
    for (const e of runnable) runner.step(e);
    runner.finish();
  } catch (err) {
    if (!(err instanceof Failed)) throw err;
    failure = err.failure;
  }
  return {
    ok: true,
    run: { file, profile, rfc5961: se.profile.rfc5961, endpoint: role, passed: failure === null, failure, skipped, trace: se.trace(),
      judged: runner.judged },
  };
}

/** Why the model cannot run this line, or null. */
function unsupported(e: ScriptEvent): string | null {
  const b = e.body;
  if (b.kind === "skipped") return b.reason;
  if (b.kind === "packet") {
    if (b.flags.URG || b.flags.ECE || b.flags.CWR) return "URG, ECE and CWR are not modelled";
    return null;
  }
  if (!SYSCALLS.has(b.name)) return `the system call ${b.name}() is not modelled`;
  if (b.name === "setsockopt" || b.name === "getsockopt") {
    const opt = symbolOf(b.args[2]);
    const known = b.name === "setsockopt" ? SETSOCKOPTS : GETSOCKOPTS;
    if (opt === undefined || !known.has(opt)) return `the socket option ${opt ?? "(unnamed)"} is not modelled`;
  }
  if (b.name === "fcntl") {
    const cmd = symbolOf(b.args[1]);
    if (cmd !== "F_SETFL" && cmd !== "F_GETFL") return `fcntl ${cmd ?? "(unnamed)"} is not modelled`;
  }
  return null;
}

const SYSCALLS = new Set(["socket", "setsockopt", "getsockopt", "fcntl", "bind", "listen", "accept", "connect", "write",
  "send", "read", "recv", "shutdown", "close"]);
const SETSOCKOPTS = new Set(["SO_REUSEADDR", "SO_REUSEPORT", "SO_LINGER", "SO_RCVBUF", "TCP_NODELAY"]);
const GETSOCKOPTS = new Set(["SO_ERROR"]);

function symbolOf(a: SyscallArg | undefined): string | undefined {
  if (a === undefined) return undefined;
  if (a.kind === "symbol") return a.name;
  if (a.kind === "flags") return a.names.join("|");
  return undefined;
}

/** The endpoint is the client when the script connects before it listens. */
function roleOf(events: readonly ScriptEvent[]): "client" | "server" {
  for (const e of events) {
    if (e.body.kind !== "syscall") continue;
    if (e.body.name === "connect") return "client";
    if (e.body.name === "listen" || e.body.name === "accept") return "server";
  }
  return "server";
}

interface Pending {
  readonly event: ScriptEvent;
  readonly call: SyscallEvent;
  /** When the call must have returned, seconds. */
  readonly end: number;
  readonly attempt: () => CallResult | null;
}

class Runner {
  private t = 0;
  private readonly sent: SegmentRecord[] = [];
  private readonly sock: SocketTable = {
    fds: new Map(), nonblocking: false, linger0: false, accepted: false, error: null, errorSeen: false,
    writeShut: false, readShut: false, peerFin: false, readableAfterReset: 0, lastUnread: 0,
  };
  private pending: Pending | null = null;
  private tracedUpTo = 0;
  /** The endpoint's ISN as the script counts it: 0 until it sends a SYN, as packetdrill learns it. */
  private iss = 0;
  private issKnown = false;
  readonly judged: JudgedLine[] = [];

  constructor(private readonly se: ScriptedEndpoint, private readonly file: string, private readonly tolerance: number,
    private readonly strict: boolean) {}

  step(e: ScriptEvent): void {
    const time = e.time!;
    const at = this.resolve(time.start);
    const b = e.body;
    if (b.kind === "packet" && b.direction === "outbound") {
      this.expectOutbound(e, b, at, time.rangeEnd === undefined ? undefined : this.resolveFrom(time.rangeEnd, at), time.start.kind === "any");
      return;
    }
    this.moveTo(e, at);
    this.noStraySegments(e);
    if (b.kind === "packet") this.inject(e, b);
    else if (b.kind === "syscall") {
      const end = time.blockingEnd === undefined ? undefined : this.resolveFrom(time.blockingEnd, at);
      this.syscall(e, b, end);
    }
    this.t = at;
  }

  finish(): void {
    if (this.pending !== null) this.settlePending(this.pending.end + this.tolerance, true);
    this.se.advanceTo(this.t + this.tolerance);
    this.collect();
    const stray = this.sent[0];
    if (stray !== undefined) {
      throw new Failed({ line: 0, expected: "(end of script)", actual: `> ${this.show(stray)}`,
        reason: `unexpected outbound packet at ${fmt(stray.t)} s after the last line` });
    }
  }

  /** Seconds of an event's time on the virtual clock. */
  private resolve(spec: TimeSpec): number {
    return this.resolveFrom(spec, this.t);
  }
  private resolveFrom(spec: TimeSpec, base: number): number {
    const s = spec.kind === "absolute" ? spec.seconds : spec.kind === "relative" ? base + spec.seconds : base;
    return Math.min(s, MAX_SCRIPT_SECONDS);
  }

  /** Advance to `at`, settling a pending blocking call on the way. */
  private moveTo(e: ScriptEvent, at: number): void {
    if (at + 1e-9 < this.se.now - this.tolerance) {
      throw new Failed({ line: e.at.line, expected: e.text, actual: `(the clock is at ${fmt(this.se.now)} s)`,
        reason: `the line's time ${fmt(at)} s is before the previous event` });
    }
    if (this.pending !== null) this.settlePending(at, false);
    this.se.advanceTo(at);
    this.collect();
  }

  private collect(): void {
    const now = this.se.takeSent();
    for (const s of now) {
      if (s.flags.includes("SYN") && !this.issKnown) {
        this.iss = s.seq;
        this.issKnown = true;
      }
      this.sent.push(s);
    }
    this.noteErrors();
  }

  /** A reset or a timeout leaves an error for the next read, write or SO_ERROR. */
  private noteErrors(): void {
    const events = this.se.sim.events;
    const linux = this.se.profile.name === "linux";
    for (let i = this.tracedUpTo; i < events.length; i++) {
      const ev = events[i]!;
      if (ev.type !== "state" || ev.endpoint !== this.se.ep.name) continue;
      if (ev.cause === "RCV_FIN" || ev.cause === "RCV_FIN_ACK_OF_FIN") this.sock.peerFin = true;
      if (ev.to !== "CLOSED") continue;
      if (ev.cause === "USER_TIMEOUT") this.sock.error = "ETIMEDOUT";
      else if (ev.cause === "RCV_RST" || ev.cause === "RCV_RST_IN_WINDOW") {
        // Linux tcp_reset(): ECONNREFUSED in SYN_SENT, EPIPE in CLOSE_WAIT, else ECONNRESET.
        // RFC 9293 §3.10.7.4: a RST in SYN_RCVD after an active open is "connection refused".
        const refusedOpen = ev.from === "SYN_SENT" || (!linux && ev.from === "SYN_RCVD" && this.se.ep.name === "client");
        this.sock.error = refusedOpen ? "ECONNREFUSED" : ev.from === "CLOSE_WAIT" ? "EPIPE" : "ECONNRESET";
        // Linux leaves queued data readable; RFC 9293 flushes the queues on a reset.
        if (linux) this.sock.readableAfterReset = this.sock.lastUnread;
      }
    }
    this.tracedUpTo = events.length;
    this.sock.lastUnread = this.se.unread;
  }

  private noStraySegments(e: ScriptEvent): void {
    const stray = this.sent[0];
    if (stray !== undefined) {
      throw new Failed({ line: e.at.line, expected: e.text, actual: `> ${this.show(stray)}`,
        reason: `unexpected outbound packet at ${fmt(stray.t)} s, before this line` });
    }
  }

  private expectOutbound(e: ScriptEvent, p: PacketEvent, at: number, rangeEnd: number | undefined, any: boolean): void {
    const latest = any ? MAX_SCRIPT_SECONDS : (rangeEnd ?? at) + this.tolerance;
    if (this.pending !== null) this.settlePending(Math.min(latest, this.pending.end), false);
    if (this.sent.length === 0) {
      this.se.advanceUntilSent(latest);
      this.collect();
    }
    const got = this.sent.shift();
    if (got === undefined) {
      throw new Failed({ line: e.at.line, expected: e.text, actual: "(nothing)",
        reason: `no outbound packet by ${fmt(Math.min(latest, this.se.now))} s` });
    }
    const actual = `> ${this.show(got)}`;
    const fail = (reason: string): never => {
      throw new Failed({ line: e.at.line, expected: e.text, actual, reason });
    };
    const f = flagsOfRecord(got.flags);
    if (formatFlags(f) !== formatFlags({ ...p.flags, URG: false, ECE: false, CWR: false })) fail("bad outbound TCP flags");
    if (rel(got.seq, this.iss) !== p.seq) fail("bad outbound seq");
    if (p.ack !== undefined && f.ACK && rel(got.ack, PEER_ISN) !== p.ack) fail("bad outbound ack");
    if (got.len !== p.len) fail("bad outbound payload length");
    if (this.strict) {
      if (p.win !== undefined && got.win !== p.win) fail(`bad outbound window: expected ${p.win}, got ${got.win ?? 0}`);
      if (p.options !== undefined && p.options.length > 0) fail("bad outbound options: the model sends no TCP options");
    }
    if (!any) {
      const lo = at - this.tolerance, hi = (rangeEnd ?? at) + this.tolerance;
      if (got.t < lo - 1e-9 || got.t > hi + 1e-9) fail(`timing: expected at ${fmt(at)} s, sent at ${fmt(got.t)} s`);
    }
    this.t = any ? got.t : at;
  }

  private inject(e: ScriptEvent, p: PacketEvent): void {
    const flags: Flag[] = [];
    if (p.flags.SYN) flags.push("SYN");
    if (p.flags.FIN) flags.push("FIN");
    if (p.flags.RST) flags.push("RST");
    if (p.flags.PSH) flags.push("PSH");
    if (p.flags.ACK) flags.push("ACK");
    const j = this.se.inject({
      flags, seq: (PEER_ISN + p.seq) >>> 0, ack: p.flags.ACK ? (this.iss + (p.ack ?? 0)) >>> 0 : 0, len: p.len,
      ...(p.win !== undefined ? { win: p.win } : {}),
    });
    this.judged.push({ ...j, line: e.at.line, flags: formatFlags({ ...p.flags, URG: false, ECE: false, CWR: false }), data: p.len > 0 });
    this.collect();
  }

  private show(r: SegmentRecord): string {
    const f = flagsOfRecord(r.flags);
    const seq = rel(r.seq, this.iss);
    const packet: PacketEvent = {
      kind: "packet", direction: "outbound", flags: f, flagText: formatFlags(f), seq, end: (seq + r.len) >>> 0, len: r.len,
      ...(f.ACK ? { ack: rel(r.ack, PEER_ISN) } : {}), win: r.win ?? 0,
    };
    return formatPacket(packet);
  }

  // ------------------------------------------------------------------ system calls

  private syscall(e: ScriptEvent, c: SyscallEvent, end: number | undefined): void {
    const attempt = this.callFn(e, c);
    const r = attempt();
    if (r === null) {
      if (end === undefined) {
        throw new Failed({ line: e.at.line, expected: e.text, actual: "(still blocked)",
          reason: `${c.name}() blocks here; write its time as start...end to let it block` });
      }
      this.pending = { event: e, call: c, end, attempt };
      return;
    }
    this.check(e, c, r);
  }

  /** Try a pending blocking call as time moves to `until`; past its end it must have returned. */
  private settlePending(until: number, final: boolean): void {
    const p = this.pending!;
    const stop = Math.min(until, p.end + this.tolerance);
    for (;;) {
      const r = p.attempt();
      if (r !== null) {
        this.pending = null;
        const when = this.se.now;
        if (when < p.end - this.tolerance - 1e-9 || when > p.end + this.tolerance + 1e-9) {
          throw new Failed({ line: p.event.at.line, expected: p.event.text, actual: `returned at ${fmt(when)} s`,
            reason: `timing: ${p.call.name}() expected to return at ${fmt(p.end)} s` });
        }
        this.check(p.event, p.call, r);
        return;
      }
      const next = this.se.nextEventTime();
      if (next === undefined || next > stop) break;
      this.se.advanceTo(next);
      this.collect();
    }
    if (final || until >= p.end + this.tolerance) {
      throw new Failed({ line: p.event.at.line, expected: p.event.text, actual: "(still blocked)",
        reason: `${p.call.name}() did not return by ${fmt(p.end)} s` });
    }
  }

  private check(e: ScriptEvent, c: SyscallEvent, r: CallResult): void {
    const want = c.result, wantErr = c.errno;
    if (r.value === want && r.errno === wantErr) return;
    const actual = r.errno !== undefined ? `= ${r.value} ${r.errno} (${ERRNO_NOTE[r.errno]})` : `= ${r.value}`;
    throw new Failed({ line: e.at.line, expected: e.text, actual,
      reason: `${c.name}() returned ${r.errno !== undefined ? `${r.value} ${r.errno}` : r.value}, expected ${wantErr !== undefined ? `${want} ${wantErr}` : want}` });
  }

  /** The call as a function that returns its result, or null while it would block. */
  private callFn(e: ScriptEvent, c: SyscallEvent): () => CallResult | null {
    const se = this.se, s = this.sock;
    const fd = c.args[0]?.kind === "number" ? c.args[0].value : undefined;
    const kind = fd === undefined ? undefined : s.fds.get(fd);
    const ok = (value = 0): CallResult => ({ value });
    const err = (errno: Errno): CallResult => ({ value: -1, errno });
    const now = (r: CallResult) => (): CallResult => r;
    if (c.name !== "socket" && kind === undefined) return now(err("EBADF"));
    switch (c.name) {
      case "socket": {
        if (s.fds.size > 0) {
          throw new Failed({ line: e.at.line, expected: e.text, actual: "(not run)", reason: "one connection per script is modelled" });
        }
        s.fds.set(c.result, "socket");
        return now(ok(c.result));
      }
      case "setsockopt": {
        const opt = symbolOf(c.args[2]);
        const v = c.args[3];
        if (opt === "SO_LINGER" && v?.kind === "struct") {
          const field = (n: string): number => {
            const f = v.fields.find((x) => x.name === n)?.value;
            return f?.kind === "number" ? f.value : 0;
          };
          s.linger0 = field("onoff") !== 0 && field("linger") === 0;
        } else if (opt === "SO_RCVBUF" && v?.kind === "array" && v.items[0]?.kind === "number") {
          se.setWindow(v.items[0].value);
        }
        return now(ok());
      }
      case "getsockopt": {
        const want = c.args[3];
        const value = s.error;
        s.error = null;
        const shown = value ?? 0;
        const expected = want?.kind === "array" ? want.items[0] : undefined;
        const expectedText = expected === undefined ? undefined : expected.kind === "number" ? expected.value : expected.kind === "symbol" ? expected.name : undefined;
        if (expectedText !== undefined && expectedText !== shown) {
          throw new Failed({ line: e.at.line, expected: e.text, actual: `SO_ERROR = ${shown}`,
            reason: `SO_ERROR is ${shown}, expected ${expectedText}` });
        }
        return now(ok());
      }
      case "fcntl": {
        if (symbolOf(c.args[1]) === "F_GETFL") return now(ok(O_RDWR | (s.nonblocking ? O_NONBLOCK : 0)));
        s.nonblocking = (symbolOf(c.args[2]) ?? "").split("|").includes("O_NONBLOCK");
        return now(ok());
      }
      case "bind":
        return now(ok());
      case "listen": {
        const o = se.call("listen");
        if (o.kind === "error") return now(err("EINVAL"));
        s.fds.set(fd!, "listener");
        return now(ok());
      }
      case "accept": {
        if (kind !== "listener") return now(err("EINVAL"));
        const tryAccept = (): CallResult | null => {
          if (!s.accepted && isConnected(se.state)) {
            s.accepted = true;
            const newFd = c.result >= 0 ? c.result : Math.max(...s.fds.keys()) + 1;
            s.fds.set(newFd, "connection");
            return ok(newFd);
          }
          return s.nonblocking ? err("EAGAIN") : null;
        };
        return tryAccept;
      }
      case "connect": {
        if (se.state !== "CLOSED") return now(err(se.state === "SYN_SENT" ? "EALREADY" : "EISCONN"));
        se.call("connect");
        this.collect();
        s.fds.set(fd!, "connection");
        if (s.nonblocking) return now(err("EINPROGRESS"));
        return () => {
          this.noteErrors();
          if (isConnected(se.state)) return ok();
          if (s.error !== null) {
            const e2 = s.error;
            s.error = null;
            return err(e2);
          }
          return se.state === "CLOSED" ? err("ECONNREFUSED") : null;
        };
      }
      case "write":
      case "send": {
        const n = c.args[2]?.kind === "number" ? c.args[2].value : 0;
        return () => {
          if (s.error !== null) {
            const e2 = s.error;
            s.error = null;
            s.errorSeen = true;
            return err(e2);
          }
          if (s.writeShut || s.errorSeen) return err("EPIPE");
          const st = se.state;
          if (st === "ESTABLISHED" || st === "CLOSE_WAIT") {
            se.call("send", n);
            this.collect();
            return ok(n);
          }
          if (st === "SYN_SENT" || st === "SYN_RCVD") return s.nonblocking ? err("EAGAIN") : null;
          return err("EPIPE");
        };
      }
      case "read":
      case "recv": {
        const n = c.args[2]?.kind === "number" ? c.args[2].value : 0;
        return () => {
          if (se.unread > 0) return ok(se.read(n));
          if (s.readableAfterReset > 0) {
            const got = Math.min(n, s.readableAfterReset);
            s.readableAfterReset -= got;
            return ok(got);
          }
          // Linux tcp_recvmsg() checks the end of file before a pending error (it stays for SO_ERROR).
          if (s.peerFin && se.profile.name === "linux") return ok(0);
          if (s.error !== null) {
            const e2 = s.error === "EPIPE" ? "ECONNRESET" : s.error;
            s.error = null;
            s.errorSeen = true;
            return err(e2);
          }
          if (se.eof || s.readShut || s.errorSeen || se.state === "CLOSED") return ok(0);
          return s.nonblocking ? err("EAGAIN") : null;
        };
      }
      case "shutdown": {
        const how = symbolOf(c.args[1]);
        const linux = se.profile.name === "linux";
        // Linux: a connection in TIME_WAIT is a timewait socket; the application's is already closed.
        if (se.state === "CLOSED" || (linux && se.state === "TIME_WAIT")) return now(err("ENOTCONN"));
        // Linux inet_shutdown() disconnects a connecting socket, and SO_ERROR then says ECONNRESET.
        if (linux && se.state === "SYN_SENT") s.error = "ECONNRESET";
        if (how === "SHUT_RD" || how === "SHUT_RDWR") {
          se.call("shutdown-read");
          s.readShut = true;
        }
        if ((how === "SHUT_WR" || how === "SHUT_RDWR") && (se.state as string) !== "CLOSED") {
          se.call("shutdown");
          s.writeShut = true;
        }
        this.collect();
        return now(ok());
      }
      case "close": {
        s.fds.delete(fd!);
        if (kind === "listener" && s.accepted) {
          se.dropListener();
          return now(ok());
        }
        // Linux inet_csk_listen_stop(): an established connection nobody accepted is reset.
        if (kind === "listener" && se.profile.name === "linux" && isConnected(se.state)) {
          se.call("abort");
          this.collect();
          return now(ok());
        }
        if (se.state !== "CLOSED") se.call("close", 0, s.linger0);
        this.collect();
        return now(ok());
      }
      default:
        return now(err("EINVAL"));
    }
  }
}

function isConnected(st: string): boolean {
  return st !== "CLOSED" && st !== "LISTEN" && st !== "SYN_SENT" && st !== "SYN_RCVD";
}

function flagsOfRecord(flags: readonly Flag[]): PacketFlags {
  return {
    SYN: flags.includes("SYN"), FIN: flags.includes("FIN"), RST: flags.includes("RST"), PSH: flags.includes("PSH"),
    ACK: flags.includes("ACK"), URG: false, ECE: false, CWR: false,
  };
}

const rel = (abs: number, base: number): number => (abs - base) >>> 0;
const fmt = (s: number): string => (Math.round(s * 1e6) / 1e6).toFixed(3);

/** A failure as packetdrill prints it: `file:line: expected <…> got <…> (reason)`. */
export function formatFailure(file: string, f: ScriptFailure): string {
  return `${file}:${f.line}: ${f.reason}: expected <${f.expected}> got <${f.actual}>`;
}
