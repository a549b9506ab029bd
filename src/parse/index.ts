// Parsers: ss, netstat (Linux, BSD, Windows), /proc/net/tcp*, sockstat, ss -s → records. Pure.
export type * from "./types.js";
export { parseSs, countStatesSs, parseSsUsers, STATELESS_REASON, type SsOptions, type CountOptions, type StateCountResult } from "./ss.js";
export { parseSsSummary, type SsSummary, type SsSummaryTcp, type SsSummaryTransport } from "./ss-summary.js";
export { parseProcNetTcp, type ProcOptions } from "./proc.js";
export { parseSockstat, type SockstatSummary, type SockstatTcp } from "./sockstat.js";
export { parseNetstatCounters, type NetstatCounters, type NetstatCountersOptions } from "./netstat-counters.js";
export { parseNetstatLinux } from "./netstat-linux.js";
export { parseNetstatBsd } from "./netstat-bsd.js";
export { parseNetstatWindows } from "./netstat-windows.js";
export { detectFormat, parseAuto, type AutoOptions, type AutoParseResult, type ConnectionFormat, type Detection } from "./detect.js";
export { countByState, emptyCounts, type StateCounts } from "./count.js";
export { STATE_SPELLINGS, stateFromName, stateFromTool, expectedStates, type StateTool } from "./state-names.js";
export { parseSsDuration, parseSsTimer, parseNetstatTimer, PROC_TIMER_KINDS } from "./timer.js";
export { colonAddress, dotAddress, procAddress, formatIpv6, formatAddress } from "./address.js";
export type { ParseOptions } from "./lines.js";
export * from "./pcap/index.js";
