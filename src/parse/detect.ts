/**
 * Which tool printed this? Headers decide at once; without one (ss -H, a pasted excerpt),
 * the data lines vote. The answer always says why, so a wrong guess is easy to see.
 */
import type { TcpState } from "../fsm/states.js";
import { eachLine } from "./lines.js";
import { parseNetstatBsd } from "./netstat-bsd.js";
import { parseNetstatLinux } from "./netstat-linux.js";
import { parseNetstatWindows } from "./netstat-windows.js";
import { parseProcNetTcp } from "./proc.js";
import { parseSockstat, type SockstatSummary } from "./sockstat.js";
import { parseSsSummary, type SsSummary } from "./ss-summary.js";
import { parseSs } from "./ss.js";
import { stateTable } from "./state-names.js";
import type { ConnectionRecord, Diagnostic, FormatName, LineAccount, SkippedLines, TextParseResult } from "./types.js";

export interface Detection {
  readonly format: FormatName | null;
  readonly reason: string;
}

/** How many non-blank lines detection looks at. */
const SAMPLE_LINES = 80;

interface Rule {
  readonly format: FormatName;
  readonly what: string;
  readonly test: RegExp;
}

/** A header or banner settles the question. */
const HEADER_RULES: readonly Rule[] = [
  { format: "proc", what: "the /proc/net/tcp header", test: /^\s*sl\s+local_address\s+rem(ote)?_address\s+st\b/ },
  { format: "sockstat", what: "the sockstat line", test: /^(sockets: used \d+|TCP6?: inuse \d+)/ },
  { format: "ss-summary", what: "the ss -s TCP line", test: /^TCP:\s+\d+\s+\(estab \d+/ },
  { format: "ss-summary", what: "the ss -s Transport header", test: /^Transport\s+Total\s+IP\s+IPv6/ },
  { format: "netstat-windows", what: "the Windows banner", test: /^\s*Active Connections\s*$/ },
  { format: "netstat-windows", what: "the Windows header", test: /^\s+Proto\s+Local Address\s+Foreign Address\s+State/ },
  { format: "netstat-bsd", what: "the BSD netstat header", test: /^Proto\s+Recv-Q\s+Send-Q\s+Local Address\s+Foreign Address\s+(\(state\)|TCP-State)/ },
  { format: "netstat-bsd", what: "the BSD netstat banner", test: /^Active Internet connections \(including servers\)/ },
  { format: "netstat-linux", what: "the Linux netstat header", test: /^Proto\s+Recv-Q\s+Send-Q\s+Local Address\s+Foreign Address\s+State\b/ },
  { format: "netstat-linux", what: "the Linux netstat banner", test: /^Active Internet connections \((servers and established|only servers|w\/o servers)\)/ },
  { format: "ss", what: "the ss header", test: /^(Netid\s+)?(State\s+)?Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port/ },
];

const SS_STATES = stateTable("ss");
const SS_NETIDS = /^(tcp|udp|raw|mptcp|sctp|u_str|u_dgr|u_seq|nl|p_raw|p_dgr|v_str|v_dgr)$/;

/** A data line that only one tool prints. */
const DATA_RULES: readonly Rule[] = [
  { format: "proc", what: "/proc/net/tcp rows", test: /^\s*\d+: [0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{24})?:[0-9A-Fa-f]{4} / },
  { format: "netstat-windows", what: "Windows netstat rows", test: /^\s+(TCP|UDP)\s+\S+:(\d+|\*)\s+\S+:(\d+|\*)\s/ },
  { format: "netstat-bsd", what: "BSD netstat rows (tcp4/tcp6/tcp46)", test: /^(tcp4|tcp6|tcp46)\s+\d+\s+\d+\s/ },
  { format: "netstat-bsd", what: "BSD netstat rows (port after a dot)", test: /^tcp\s+\d+\s+\d+\s+\S+\.(\d+|\*)\s+\S+\.(\d+|\*)\s/ },
  { format: "netstat-linux", what: "Linux netstat rows", test: /^(tcp|tcp6)\s+\d+\s+\d+\s+\S+:(\d+|\*|[a-z][\w-]*)\s+\S+:(\d+|\*|[a-z][\w-]*)\s+[A-Z][A-Z0-9_]+\b/ },
  { format: "ss", what: "ss rows without a State column", test: /^\d+\s+\d+\s+\S+:\S+\s+\S+:\S+/ },
];

function ssRow(line: string): boolean {
  const m = /^(\S+)\s+(\S+)\s+(\S+)\s+\S+\s+\S+/.exec(line);
  if (!m) return false;
  const [, a = "", b = "", c = ""] = m;
  const number = /^\d+$/;
  if (SS_STATES.has(a) && number.test(b) && number.test(c)) return true;
  return SS_NETIDS.test(a) && (SS_STATES.has(b) || number.test(b)) && number.test(c);
}

export function detectFormat(text: string): Detection {
  const votes = new Map<FormatName, { count: number; what: string; line: number }>();
  let seen = 0;
  let header: Detection | null = null;
  eachLine(text, (line, lineNo) => {
    if (header || seen >= SAMPLE_LINES || line.trim() === "") return;
    seen++;
    for (const rule of HEADER_RULES) {
      if (rule.test.test(line)) {
        header = { format: rule.format, reason: `${rule.what} on line ${lineNo}` };
        return;
      }
    }
    let format: FormatName | null = null;
    let what = "";
    for (const rule of DATA_RULES) {
      if (rule.test.test(line)) {
        format = rule.format;
        what = rule.what;
        break;
      }
    }
    if (format === null && ssRow(line)) {
      format = "ss";
      what = "ss rows (ss state names)";
    }
    if (format) {
      const vote = votes.get(format);
      if (vote) vote.count++;
      else votes.set(format, { count: 1, what, line: lineNo });
    }
  });
  if (header) return header;
  let best: [FormatName, { count: number; what: string; line: number }] | null = null;
  for (const entry of votes) if (!best || entry[1].count > best[1].count) best = entry;
  if (best) {
    return { format: best[0], reason: `${best[1].count} line(s) look like ${best[1].what}, from line ${best[1].line}` };
  }
  if (seen === 0) return { format: null, reason: "the input is empty" };
  return {
    format: null,
    reason: `none of the first ${seen} non-blank line(s) looks like ss, netstat (Linux, BSD, Windows), /proc/net/tcp, ss -s or sockstat output`,
  };
}

export interface AutoOptions {
  readonly source?: string;
  /** For ss output without a State column. */
  readonly state?: TcpState;
  /** Skip detection. */
  readonly format?: FormatName;
}

export type ConnectionFormat = Exclude<FormatName, "ss-summary" | "sockstat">;

export type AutoParseResult =
  | (TextParseResult<ConnectionRecord> & { readonly format: ConnectionFormat; readonly detection: Detection })
  | (TextParseResult<SsSummary> & { readonly format: "ss-summary"; readonly detection: Detection })
  | (TextParseResult<SockstatSummary> & { readonly format: "sockstat"; readonly detection: Detection })
  | {
      readonly format: null;
      readonly detection: Detection;
      readonly records: readonly never[];
      readonly diagnostics: readonly Diagnostic[];
      readonly lines: LineAccount;
      readonly skipped: readonly SkippedLines[];
    };

/** Parses with the named format, or the detected one; the result says which and why. */
export function parseAuto(text: string, opts: AutoOptions = {}): AutoParseResult {
  const detection: Detection = opts.format ? { format: opts.format, reason: "given by the caller" } : detectFormat(text);
  const common = { source: opts.source };
  switch (detection.format) {
    case "ss":
      return { ...parseSs(text, { ...common, state: opts.state }), format: "ss", detection };
    case "proc":
      return { ...parseProcNetTcp(text, common), format: "proc", detection };
    case "netstat-linux":
      return { ...parseNetstatLinux(text, common), format: "netstat-linux", detection };
    case "netstat-bsd":
      return { ...parseNetstatBsd(text, common), format: "netstat-bsd", detection };
    case "netstat-windows":
      return { ...parseNetstatWindows(text, common), format: "netstat-windows", detection };
    case "ss-summary":
      return { ...parseSsSummary(text, common), format: "ss-summary", detection };
    case "sockstat":
      return { ...parseSockstat(text, common), format: "sockstat", detection };
    case null: {
      let total = 0;
      let blank = 0;
      eachLine(text, (line) => {
        total++;
        if (line.trim() === "") blank++;
      });
      const diagnostic: Diagnostic = { reason: `unrecognised format: ${detection.reason}` };
      return {
        format: null,
        detection,
        records: [],
        diagnostics: [opts.source === undefined ? diagnostic : { ...diagnostic, source: opts.source }],
        lines: { total, blank, header: 0, records: 0, rejected: 0, skipped: total - blank },
        skipped: total - blank > 0 ? [{ reason: "format not recognised", count: total - blank, firstLine: 1 }] : [],
      };
    }
  }
}
