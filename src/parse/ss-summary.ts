/**
 * `ss -s`: socket totals (misc/ss.c print_summary). Current iproute2 prints
 *
 *   Total: 37
 *   TCP:   19 (estab 9, closed 5, orphaned 0, timewait 5)
 *
 *   Transport Total     IP        IPv6
 *   TCP       14        9         5
 *
 * and older versions add "(kernel N)", "synrecv N", "timewait W/B" and ", ports N".
 */
import { LineBook, decimal, isBlank, type ParseOptions } from "./lines.js";
import type { TextParseResult } from "./types.js";

export interface SsSummaryTcp {
  readonly total: number;
  readonly estab: number;
  readonly closed: number;
  readonly orphaned: number;
  readonly timewait: number;
  /** Older ss only. */
  readonly synrecv?: number;
  readonly ports?: number;
}

export interface SsSummaryTransport {
  readonly total: number;
  /** null where ss printed "-". */
  readonly ip: number | null;
  readonly ipv6: number | null;
}

export interface SsSummary {
  /** The line of the TCP entry, or 1. */
  readonly line: number;
  readonly total?: number;
  readonly tcp?: SsSummaryTcp;
  /** The Transport table, by row name ("RAW", "UDP", "TCP", "INET", "FRAG"). */
  readonly transports: Readonly<Record<string, SsSummaryTransport>>;
}

const TCP_LINE = /^TCP:\s+(\d+)\s+\((.*)\)(?:,\s*ports\s+(\d+))?\s*$/;
const REQUIRED = ["estab", "closed", "orphaned", "timewait"] as const;

function count(text: string): number | null | undefined {
  return text === "-" ? null : decimal(text);
}

export function parseSsSummary(text: string, opts: ParseOptions = {}): TextParseResult<SsSummary> {
  const book = new LineBook<SsSummary>(opts.source);
  let total: number | undefined;
  let tcp: SsSummaryTcp | undefined;
  let tcpLine = 0;
  const transports: Record<string, SsSummaryTransport> = {};
  book.walk(text, (line, lineNo) => {
    if (isBlank(line)) return book.blankLine();
    const trimmed = line.trim();
    if (trimmed.startsWith("Total:")) {
      const n = decimal(trimmed.slice(6).trim().split(/\s+/)[0] ?? "");
      if (n === undefined) return book.reject(lineNo, line, 'expected "Total: N"');
      total = n;
      return book.summaryLine();
    }
    if (trimmed.startsWith("TCP:")) {
      const m = TCP_LINE.exec(trimmed);
      if (!m) return book.reject(lineNo, line, 'expected "TCP: N (estab E, closed C, orphaned O, timewait W)"');
      const values: Record<string, number> = {};
      for (const part of (m[2] ?? "").split(",")) {
        const [key, raw] = part.trim().split(/\s+/);
        // Old ss: "timewait 1/0" = TIME_WAIT sockets / timewait buckets.
        const n = decimal((raw ?? "").split("/")[0] ?? "");
        if (key && n !== undefined) values[key] = n;
      }
      const missing = REQUIRED.filter((k) => values[k] === undefined);
      if (missing.length > 0) return book.reject(lineNo, line, `TCP line lacks ${missing.join(", ")}`);
      const t: { -readonly [K in keyof SsSummaryTcp]: SsSummaryTcp[K] } = {
        total: Number(m[1]),
        estab: values.estab!,
        closed: values.closed!,
        orphaned: values.orphaned!,
        timewait: values.timewait!,
      };
      if (values.synrecv !== undefined) t.synrecv = values.synrecv;
      if (m[3] !== undefined) t.ports = Number(m[3]);
      tcp = t;
      tcpLine = lineNo;
      return book.summaryLine();
    }
    const parts = trimmed.split(/\s+/);
    if (parts[0] === "Transport") return book.headerLine();
    if (parts.length === 4 && /^[A-Z0-9*]+$/.test(parts[0] ?? "")) {
      const [name = "", a = "", b = "", c = ""] = parts;
      const t = count(a);
      const ip = count(b);
      const ipv6 = count(c);
      if (t === undefined || t === null || ip === undefined || ipv6 === undefined) {
        return book.reject(lineNo, line, 'expected a Transport row "NAME total ip ipv6" (numbers or "-")');
      }
      transports[name] = { total: t, ip, ipv6 };
      return book.summaryLine();
    }
    return book.reject(lineNo, line, 'expected "Total:", "TCP:", the Transport header or a Transport row');
  });
  if (total !== undefined || tcp !== undefined || Object.keys(transports).length > 0) {
    if (!tcp) book.warn('no "TCP:" line (expected "TCP: N (estab E, closed C, orphaned O, timewait W)")');
    const summary: { -readonly [K in keyof SsSummary]: SsSummary[K] } = { line: tcpLine || 1, transports };
    if (total !== undefined) summary.total = total;
    if (tcp) summary.tcp = tcp;
    book.summary(summary);
  }
  return book.result("ss-summary");
}
