/**
 * Every tool's spelling of the TCP states, mapped to the RFC 9293 names. This is the ONE
 * place where ESTAB, SYN-RECV, FIN_WAIT1, LISTENING, 0A … are known; parsers ask here.
 *
 * Sources: iproute2 misc/ss.c `sstate_name[]`; include/net/tcp_states.h (the /proc `st`
 * numbers and the kernel enum names that bcc's tcpstates prints); net-tools netstat.c
 * `tcp_state[]`; FreeBSD/macOS sys/netinet/tcp_fsm.h `tcpstates[]`; Windows MIB_TCP_STATE.
 */
import { STATES, type TcpState } from "../fsm/states.js";

export type StateTool = "ss" | "proc" | "netstat-linux" | "netstat-bsd" | "netstat-windows" | "kernel";

type Spellings = Readonly<Record<TcpState, readonly string[]>>;

/** net-tools netstat.c tcp_state[]: the kernel's enum names. */
const NETSTAT_LINUX: Spellings = {
  ESTABLISHED: ["ESTABLISHED"],
  SYN_SENT: ["SYN_SENT"],
  SYN_RCVD: ["SYN_RECV"],
  FIN_WAIT_1: ["FIN_WAIT1"],
  FIN_WAIT_2: ["FIN_WAIT2"],
  TIME_WAIT: ["TIME_WAIT"],
  CLOSED: ["CLOSE"],
  CLOSE_WAIT: ["CLOSE_WAIT"],
  LAST_ACK: ["LAST_ACK"],
  LISTEN: ["LISTEN"],
  CLOSING: ["CLOSING"],
};

export const STATE_SPELLINGS: Readonly<Record<StateTool, Spellings>> = {
  ss: {
    ESTABLISHED: ["ESTAB"],
    SYN_SENT: ["SYN-SENT"],
    // ss prints request sockets (kernel TCP_NEW_SYN_RECV) as SYN-RECV; some builds say NEW-SYN-RECV.
    SYN_RCVD: ["SYN-RECV", "NEW-SYN-RECV"],
    FIN_WAIT_1: ["FIN-WAIT-1"],
    FIN_WAIT_2: ["FIN-WAIT-2"],
    TIME_WAIT: ["TIME-WAIT"],
    CLOSED: ["UNCONN"],
    CLOSE_WAIT: ["CLOSE-WAIT"],
    LAST_ACK: ["LAST-ACK"],
    LISTEN: ["LISTEN"],
    CLOSING: ["CLOSING"],
  },
  proc: {
    ESTABLISHED: ["01"],
    SYN_SENT: ["02"],
    // /proc prints request sockets (TCP_NEW_SYN_RECV = 12 = 0C inside the kernel) as 03.
    SYN_RCVD: ["03", "0C"],
    FIN_WAIT_1: ["04"],
    FIN_WAIT_2: ["05"],
    TIME_WAIT: ["06"],
    CLOSED: ["07"],
    CLOSE_WAIT: ["08"],
    LAST_ACK: ["09"],
    LISTEN: ["0A"],
    CLOSING: ["0B"],
  },
  "netstat-linux": NETSTAT_LINUX,
  "netstat-bsd": {
    ESTABLISHED: ["ESTABLISHED"],
    SYN_SENT: ["SYN_SENT"],
    SYN_RCVD: ["SYN_RCVD"],
    FIN_WAIT_1: ["FIN_WAIT_1"],
    FIN_WAIT_2: ["FIN_WAIT_2"],
    TIME_WAIT: ["TIME_WAIT"],
    CLOSED: ["CLOSED"],
    CLOSE_WAIT: ["CLOSE_WAIT"],
    LAST_ACK: ["LAST_ACK"],
    LISTEN: ["LISTEN"],
    CLOSING: ["CLOSING"],
  },
  "netstat-windows": {
    ESTABLISHED: ["ESTABLISHED"],
    SYN_SENT: ["SYN_SENT"],
    SYN_RCVD: ["SYN_RECEIVED"],
    FIN_WAIT_1: ["FIN_WAIT_1"],
    FIN_WAIT_2: ["FIN_WAIT_2"],
    TIME_WAIT: ["TIME_WAIT"],
    // DELETE_TCB: the TCB is being deleted, i.e. the connection no longer exists.
    CLOSED: ["CLOSED", "DELETE_TCB"],
    CLOSE_WAIT: ["CLOSE_WAIT"],
    LAST_ACK: ["LAST_ACK"],
    LISTEN: ["LISTENING"],
    CLOSING: ["CLOSING"],
  },
  // include/net/tcp_states.h without the TCP_ prefix, as bcc's tcpstates prints them:
  // net-tools' names plus the request socket's NEW_SYN_RECV.
  kernel: {
    ...NETSTAT_LINUX,
    SYN_RCVD: ["SYN_RECV", "NEW_SYN_RECV"],
  },
};

/**
 * The state names `ss` accepts in a filter (`ss state time-wait`), so `--state time-wait`
 * works too. "listening" and "closed" are already Windows/RFC spellings once upper-cased.
 */
const SS_FILTER_NAMES: Readonly<Record<string, TcpState>> = {
  "SYN-RECV": "SYN_RCVD",
};

function invert(spellings: Spellings): Map<string, TcpState> {
  const map = new Map<string, TcpState>();
  for (const state of STATES) for (const name of spellings[state]) map.set(name, state);
  return map;
}

const BY_TOOL: Readonly<Record<StateTool, Map<string, TcpState>>> = {
  ss: invert(STATE_SPELLINGS.ss),
  proc: invert(STATE_SPELLINGS.proc),
  "netstat-linux": invert(STATE_SPELLINGS["netstat-linux"]),
  "netstat-bsd": invert(STATE_SPELLINGS["netstat-bsd"]),
  "netstat-windows": invert(STATE_SPELLINGS["netstat-windows"]),
  kernel: invert(STATE_SPELLINGS.kernel),
};

/** Every textual spelling of every tool, plus the RFC names. No spelling means two states. */
const ANY_NAME: Map<string, TcpState> = (() => {
  const map = new Map<string, TcpState>();
  for (const state of STATES) map.set(state, state);
  for (const tool of Object.keys(STATE_SPELLINGS) as StateTool[]) {
    if (tool === "proc") continue;
    for (const [name, state] of BY_TOOL[tool]) map.set(name, state);
  }
  for (const [name, state] of Object.entries(SS_FILTER_NAMES)) map.set(name, state);
  return map;
})();

/** The map for one tool: the fast path for parsers that look up millions of lines. */
export function stateTable(tool: StateTool): ReadonlyMap<string, TcpState> {
  return BY_TOOL[tool];
}

/**
 * The RFC state for a tool's spelling. The tool's own table is tried first; then any other
 * tool's spelling (hand-edited or mixed listings), then the same upper-cased.
 */
export function stateFromTool(tool: StateTool, spelling: string): TcpState | undefined {
  return BY_TOOL[tool].get(spelling) ?? ANY_NAME.get(spelling) ?? ANY_NAME.get(spelling.toUpperCase());
}

/** A state as a person types it: any tool's spelling, any case ("time-wait", "TIME_WAIT", "ESTAB"). */
export function stateFromName(name: string): TcpState | undefined {
  const upper = name.trim().toUpperCase();
  return ANY_NAME.get(upper) ?? ANY_NAME.get(upper.replace(/-/g, "_"));
}

/** "ESTAB, SYN-SENT, …": the tool's spellings, for diagnostics that say what was expected. */
export function expectedStates(tool: StateTool): string {
  // The tables are written in the kernel's order (ESTABLISHED = 1 … CLOSING = 11), as the tools list them.
  return Object.values(STATE_SPELLINGS[tool]).flat().join(", ");
}
