/**
 * /proc/net/sockstat (and sockstat6): one line per protocol, `NAME: key value key value …`
 * (net/ipv4/proc.c sockstat_seq_show). TCP's line is what the monitor needs:
 * `TCP: inuse X orphan Y tw Z alloc A mem M`, mem in pages.
 */
import { Cursor, LineBook, decimal, isBlank, type ParseOptions } from "./lines.js";
import type { TextParseResult } from "./types.js";

export interface SockstatTcp {
  /** Sockets in any state but TIME_WAIT and LISTEN-less closed ones (inet_sock in use). */
  readonly inuse: number;
  /** Sockets no process holds any more (closed by the application, still finishing). */
  readonly orphan: number;
  /** TIME_WAIT minisockets. */
  readonly tw: number;
  readonly alloc: number;
  /** Pages of memory. */
  readonly mem: number;
}

export interface SockstatSummary {
  /** The line of the TCP entry, or 1. */
  readonly line: number;
  /** `sockets: used N`. */
  readonly socketsUsed?: number;
  /** The TCP line of /proc/net/sockstat. */
  readonly tcp?: SockstatTcp;
  /** Every line, by its name as printed ("TCP", "UDP", "TCP6", "FRAG", …). */
  readonly protocols: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

const TCP_KEYS = ["inuse", "orphan", "tw", "alloc", "mem"] as const;

export function parseSockstat(text: string, opts: ParseOptions = {}): TextParseResult<SockstatSummary> {
  const book = new LineBook<SockstatSummary>(opts.source);
  const protocols: Record<string, Record<string, number>> = {};
  let tcpLine = 0;
  let entries = 0;
  book.walk(text, (line, lineNo) => {
    if (isBlank(line)) return book.blankLine();
    const c = new Cursor(line);
    const head = c.next() ?? "";
    if (!head.endsWith(":") || head.length < 2) {
      return book.reject(lineNo, line, `expected "NAME: key value …" (e.g. "TCP: inuse 3 orphan 0 tw 5 alloc 4 mem 1"), got "${head}"`);
    }
    const name = head.slice(0, -1);
    const values: Record<string, number> = {};
    for (;;) {
      const key = c.next();
      if (key === undefined) break;
      const raw = c.next();
      const value = raw === undefined ? undefined : decimal(raw);
      if (value === undefined) return book.reject(lineNo, line, `"${key}" needs a number after it, got "${raw ?? ""}"`);
      values[key] = value;
    }
    if (Object.keys(values).length === 0) return book.reject(lineNo, line, `"${name}:" has no "key value" pairs`);
    protocols[name] = values;
    if (name === "TCP") tcpLine = lineNo;
    entries++;
    book.summaryLine();
  });
  const tcpValues = protocols.TCP;
  let tcp: SockstatTcp | undefined;
  if (tcpValues) {
    const missing = TCP_KEYS.filter((k) => tcpValues[k] === undefined);
    if (missing.length > 0) book.warn(`TCP line lacks ${missing.join(", ")}`, tcpLine);
    else tcp = { inuse: tcpValues.inuse!, orphan: tcpValues.orphan!, tw: tcpValues.tw!, alloc: tcpValues.alloc!, mem: tcpValues.mem! };
  } else if (entries > 0 && !protocols.TCP6) {
    book.warn('no "TCP:" line (expected "TCP: inuse X orphan Y tw Z alloc A mem M")');
  }
  if (entries > 0) {
    const summary: { -readonly [K in keyof SockstatSummary]: SockstatSummary[K] } = { line: tcpLine || 1, protocols };
    if (protocols.sockets?.used !== undefined) summary.socketsUsed = protocols.sockets.used;
    if (tcp) summary.tcp = tcp;
    book.summary(summary);
  }
  return book.result("sockstat");
}
