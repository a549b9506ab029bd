/**
 * /proc/net/netstat and /proc/net/snmp: the kernel's protocol counters, printed as pairs of
 * lines, a header naming the counters and a line of values under the same prefix
 * (net/ipv4/proc.c netstat_seq_show, snmp_seq_show):
 *
 *   TcpExt: SyncookiesSent SyncookiesRecv … TCPAbortOnClose …
 *   TcpExt: 0 0 … 3 …
 *
 * Each counter is named as nstat (iproute2) names it: the prefix without its colon, then the
 * counter — `TcpExtTCPAbortOnClose`, `TcpEstabResets`. Values are bigint: the MIB counters
 * are unsigned 64-bit and a few /proc/net/snmp fields are signed (`Tcp: MaxConn` is -1), so
 * neither fits a double in general. Pure: text in, counters and diagnostics out.
 */
import { eachLine, isBlank, quote } from "./lines.js";
import type { Diagnostic } from "./types.js";

export interface NetstatCounters {
  /** nstat-style name → value, in the order the file lists them. */
  readonly counters: ReadonlyMap<string, bigint>;
  /** One per line that could not be used; the pair it belonged to is skipped. */
  readonly diagnostics: readonly Diagnostic[];
}

export interface NetstatCountersOptions {
  /** File name for diagnostics ("/proc/net/netstat"). */
  readonly source?: string;
}

/** A line split into "Prefix:" and its whitespace-separated fields. */
interface SplitLine {
  readonly prefix: string;
  readonly fields: readonly string[];
}

function split(line: string): SplitLine | undefined {
  const fields = line.trim().split(/\s+/);
  const head = fields[0] ?? "";
  if (head.length < 2 || !head.endsWith(":")) return undefined;
  return { prefix: head.slice(0, -1), fields: fields.slice(1) };
}

const INTEGER = /^-?\d{1,20}$/;
/** The widest values the kernel prints: u64 counters and s64 fields. */
const MAX = (1n << 64n) - 1n;
const MIN = -(1n << 63n);

/**
 * Parse /proc/net/netstat or /proc/net/snmp text (or both, concatenated). Never throws: a
 * header without its values line, a values line under another prefix, a count that differs
 * from the header's or a value that is not an integer gives a diagnostic naming the line,
 * and that pair's counters are left out. A name seen twice keeps its first value and warns.
 */
export function parseNetstatCounters(text: string, opts: NetstatCountersOptions = {}): NetstatCounters {
  const counters = new Map<string, bigint>();
  const diagnostics: Diagnostic[] = [];
  const problem = (line: number, content: string, reason: string): void => {
    diagnostics.push({ ...(opts.source !== undefined && { source: opts.source }), line, text: quote(content), reason });
  };
  let header: { split: SplitLine; line: number; text: string } | undefined;
  eachLine(text, (line, lineNo) => {
    if (isBlank(line)) return;
    const s = split(line);
    if (!s) {
      problem(lineNo, line, 'expected "Prefix: name name …" or "Prefix: value value …" (e.g. "TcpExt: TCPAbortOnClose …")');
      header = undefined;
      return;
    }
    if (!header) {
      if (s.fields.length === 0) problem(lineNo, line, `"${s.prefix}:" names no counters`);
      else header = { split: s, line: lineNo, text: line };
      return;
    }
    const names = header.split;
    if (s.prefix !== names.prefix) {
      problem(header.line, header.text, `"${names.prefix}:" header has no values line (line ${lineNo} is "${s.prefix}:")`);
      // This line may itself start the next pair.
      header = s.fields.length > 0 ? { split: s, line: lineNo, text: line } : undefined;
      return;
    }
    header = undefined;
    if (s.fields.length !== names.fields.length) {
      problem(lineNo, line, `"${s.prefix}:" has ${s.fields.length} values for the ${names.fields.length} names on line ${lineNo - 1}`);
      return;
    }
    const bad = s.fields.findIndex((v) => !INTEGER.test(v) || BigInt(v) > MAX || BigInt(v) < MIN);
    if (bad >= 0) {
      problem(lineNo, line, `"${s.prefix}: ${names.fields[bad]}" is "${s.fields[bad]}", not a 64-bit integer`);
      return;
    }
    names.fields.forEach((name, i) => {
      const key = `${s.prefix}${name}`;
      if (counters.has(key)) problem(lineNo, line, `${key} appears twice; the first value is kept`);
      else counters.set(key, BigInt(s.fields[i]!));
    });
  });
  if (header) problem(header.line, header.text, `"${header.split.prefix}:" header has no values line (end of input)`);
  return { counters, diagnostics };
}
