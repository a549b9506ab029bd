/**
 * What every parser returns. States are already normalised to the RFC names: each
 * format's spelling (ESTAB, FIN-WAIT-1, FIN_WAIT2, SYN_RECV, LISTENING, 0A, …) is mapped
 * in that format's parser and nowhere else.
 */
import type { TcpState } from "../fsm/states.js";

export type FormatName =
  | "ss"
  | "ss-summary"
  | "proc"
  | "sockstat"
  | "netstat-linux"
  | "netstat-bsd"
  | "netstat-windows";

export interface SocketAddress {
  /** Textual address without brackets or scope: "127.0.0.1", "::1", "::ffff:1.2.3.4"; "*" for a wildcard. */
  readonly address: string;
  /** null when the tool printed "*" for the port. */
  readonly port: number | null;
  /** IPv6 scope id or interface ("lo", "eth0", "2"), when shown. */
  readonly scope?: string;
  /** The service name when the tool printed one instead of a number ("http" without -n); port is then null. */
  readonly service?: string;
}

export interface SocketTimer {
  /** As the tool names it: "on", "keepalive", "timewait", "persist", "retransmit", … */
  readonly kind: string;
  /** Seconds left, when shown. */
  readonly remaining?: number;
  /** Retransmission or probe count, when shown. */
  readonly count?: number;
}

export interface SocketProcess {
  readonly name?: string;
  readonly pid: number;
  readonly fd?: number;
}

/** One socket from a listing: what the monitor calls a connection. */
export interface ConnectionRecord {
  /** 1-based line number in the input. */
  readonly line: number;
  readonly state: TcpState;
  readonly local: SocketAddress;
  readonly remote: SocketAddress;
  readonly recvQ?: number;
  readonly sendQ?: number;
  readonly timer?: SocketTimer;
  readonly processes?: readonly SocketProcess[];
  readonly inode?: number;
  readonly uid?: number;
  /** "tcp", "tcp6", "tcp4", "tcp46", or ss's Netid, when shown. */
  readonly proto?: string;
  /** The kernel's socket cookie (`ss -e` sk:…), hex: follows one socket across samples. */
  readonly cookie?: string;
}

export interface Diagnostic {
  /** File name, when known. */
  readonly source?: string;
  /** 1-based line number, for text formats. */
  readonly line?: number;
  /** Byte offset, for binary formats (pcap). */
  readonly offset?: number;
  /** The offending text, as read. */
  readonly text?: string;
  /** What was wrong and what was expected. */
  readonly reason: string;
}

export interface ParseResult<T> {
  readonly format: FormatName;
  readonly records: readonly T[];
  readonly diagnostics: readonly Diagnostic[];
  /** How every input line was used (text formats). */
  readonly lines?: LineAccount;
  /** Lines recognised and deliberately not turned into records, grouped by reason. */
  readonly skipped?: readonly SkippedLines[];
}

/**
 * Every line of a text input is accounted for:
 * total = blank + header + records + rejected + skipped.
 */
export interface LineAccount {
  readonly total: number;
  readonly blank: number;
  /** Recognised headers, titles and section banners. */
  readonly header: number;
  /** Lines that became a record (or part of the one summary record, for ss -s and sockstat). */
  readonly records: number;
  /** Lines that became a diagnostic instead of a record. */
  readonly rejected: number;
  /** Lines recognised and skipped on purpose (see `skipped`). */
  readonly skipped: number;
}

export interface SkippedLines {
  /** Why, e.g. `Netid "udp" is not TCP`. */
  readonly reason: string;
  readonly count: number;
  /** The first such line (1-based). */
  readonly firstLine: number;
}

/** A result from a text parser: always carries the line account. */
export interface TextParseResult<T> extends ParseResult<T> {
  readonly lines: LineAccount;
  readonly skipped: readonly SkippedLines[];
}
