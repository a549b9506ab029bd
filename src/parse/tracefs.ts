/**
 * Lines of the kernel's tracefs `trace_pipe` for the TCP tracepoints → events (pure).
 *
 * The kernel prints each event with its own format string (see the event's `format` file
 * under /sys/kernel/tracing/events/): `sock:inet_sock_set_state` (include/trace/events/sock.h)
 * and `tcp:tcp_send_reset`, `tcp_receive_reset`, `tcp_retransmit_skb`, `tcp_destroy_sock`
 * (include/trace/events/tcp.h). A line is
 *
 *     <comm>-<tid> (<tgid>) [<cpu>] <flags> <seconds>: <event>: key=value key=value …
 *
 * where `(<tgid>)` is there only with the `record-tgid` option. When the ring buffer
 * overflowed, trace_pipe says so on a line of its own: `CPU:1 [LOST 23 EVENTS]`.
 *
 * The kernel's state names (TCP_FIN_WAIT1, TCP_SYN_RECV, TCP_NEW_SYN_RECV …) are mapped to the
 * RFC names here, through src/parse/state-names.ts, and nowhere else.
 */
import type { TcpState } from "../fsm/states.js";
import { stateFromTool } from "./state-names.js";

/** One end of a connection as the tracepoint printed it. */
export interface TraceAddress {
  readonly address: string;
  readonly port: number;
}

interface EventCommon {
  /** The trace clock, seconds (this project sets the instance's clock to `mono`). */
  readonly ts: number;
  /** The process (thread group) in whose context the event fired; the thread id when tgid was not recorded. */
  readonly pid: number;
  readonly tid: number;
  /** The running task's name ("node", "ksoftirqd/1", "<idle>" …). */
  readonly comm: string;
  readonly cpu: number;
  /** 1-based line number in the input read so far. */
  readonly line: number;
}

export interface TraceStateEvent extends EventCommon {
  readonly kind: "state";
  readonly family: 4 | 6;
  /** sock.h prints sport/saddr as the socket's own (local) end. */
  readonly local: TraceAddress;
  readonly remote: TraceAddress;
  readonly from: TcpState;
  readonly to: TcpState;
  /** The kernel's own names, for the record ("TCP_NEW_SYN_RECV" is mapped to SYN_RCVD). */
  readonly kernelFrom: string;
  readonly kernelTo: string;
}

export interface TraceSocketEvent extends EventCommon {
  /** reset-received: tcp_receive_reset; destroy: tcp_destroy_sock; retransmit: tcp_retransmit_skb. */
  readonly kind: "reset-received" | "destroy" | "retransmit";
  readonly family: 4 | 6;
  readonly local: TraceAddress;
  readonly remote: TraceAddress;
  /** tcp_retransmit_skb prints the state the socket was in. */
  readonly state?: TcpState;
}

export interface TraceResetSentEvent extends EventCommon {
  readonly kind: "reset-sent";
  /** tcp_send_reset's src/dest are the RST's own: src is this host's end. */
  readonly local: TraceAddress;
  readonly remote: TraceAddress;
  /** The socket's state, absent when the RST answered a segment for no socket (state=UNKNOWN). */
  readonly state?: TcpState;
  /** The kernel's reason (NO_SOCKET, TCP_STATE, TCP_ABORT_ON_DATA …), when printed. */
  readonly reason?: string;
}

export interface TraceLostEvent {
  readonly kind: "lost";
  readonly cpu: number;
  /** How many events the ring buffer dropped on that CPU. */
  readonly count: number;
  readonly line: number;
}

export type TraceEvent = TraceStateEvent | TraceSocketEvent | TraceResetSentEvent | TraceLostEvent;

export type TraceLineResult =
  | { readonly ok: true; readonly event: TraceEvent }
  /** A line of another event, a comment, or blank: nothing to report. */
  | { readonly ok: true; readonly event: null }
  | { readonly ok: false; readonly line: number; readonly message: string };

/** The events this parser reads, as `system/event` paths under tracefs `events/`. */
export const TRACE_EVENTS = [
  "sock/inet_sock_set_state",
  "tcp/tcp_send_reset",
  "tcp/tcp_receive_reset",
  "tcp/tcp_retransmit_skb",
  "tcp/tcp_destroy_sock",
] as const;

const HEAD = /^\s*(.+)-(\d+)\s+(?:\(\s*(\d+|-+)\)\s+)?\[(\d+)\]\s+\S+\s+(\d+(?:\.\d+)?):\s+([a-z_0-9]+):\s?(.*)$/;
const LOST = /^\s*CPU:(\d+) \[LOST (\d+) EVENTS\]\s*$/;
/** Bound on what a message quotes of a bad line. */
const EXCERPT = 120;

function excerpt(text: string): string {
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text;
}

/** key=value pairs separated by single spaces; no value contains a space. */
export function traceFields(body: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const token of body.split(" ")) {
    const eq = token.indexOf("=");
    if (eq > 0) fields.set(token.slice(0, eq), token.slice(eq + 1));
  }
  return fields;
}

/** TCP_FIN_WAIT1 → FIN_WAIT_1; TCP_NEW_SYN_RECV → SYN_RCVD. */
export function kernelState(name: string): TcpState | undefined {
  return name.startsWith("TCP_") ? stateFromTool("kernel", name.slice(4)) : undefined;
}

function port(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** `%pISpc`: "127.0.0.1:80" or "[::1]:80". */
export function splitEndpoint(text: string): TraceAddress | undefined {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text) ?? /^(\d{1,3}(?:\.\d{1,3}){3}):(\d+)$/.exec(text);
  const p = port(m?.[2]);
  return m?.[1] !== undefined && p !== undefined ? { address: m[1], port: p } : undefined;
}

type Ends = { family: 4 | 6; local: TraceAddress; remote: TraceAddress } | string;

/** family/sport/dport/saddr/daddr/saddrv6/daddrv6 as sock.h and tcp.h print them. */
function ends(f: Map<string, string>): Ends {
  const fam = f.get("family");
  const family = fam === "AF_INET" ? 4 : fam === "AF_INET6" ? 6 : undefined;
  if (family === undefined) return `family: expected AF_INET or AF_INET6, got ${fam ?? "nothing"}`;
  const sport = port(f.get("sport"));
  const dport = port(f.get("dport"));
  if (sport === undefined || dport === undefined) return `sport/dport: expected ports, got ${f.get("sport")}/${f.get("dport")}`;
  // An AF_INET socket's v6 fields hold the v4-mapped form; an AF_INET6 socket's v4 fields are not meaningful.
  const saddr = family === 4 ? f.get("saddr") : f.get("saddrv6");
  const daddr = family === 4 ? f.get("daddr") : f.get("daddrv6");
  if (!saddr || !daddr) return `saddr/daddr: missing for ${fam}`;
  return { family, local: { address: saddr, port: sport }, remote: { address: daddr, port: dport } };
}

/**
 * One line of trace_pipe. Lines of other events and comments give `event: null`; a line of
 * one of our events that does not read as expected gives an error naming the line and field.
 */
export function parseTraceLine(text: string, line: number): TraceLineResult {
  if (text.trim() === "" || text.startsWith("#")) return { ok: true, event: null };
  const lost = LOST.exec(text);
  if (lost) return { ok: true, event: { kind: "lost", cpu: Number(lost[1]), count: Number(lost[2]), line } };
  const m = HEAD.exec(text);
  if (!m) return { ok: false, line, message: `line ${line}: expected "<task>-<pid> [cpu] flags seconds: event: fields", got "${excerpt(text)}"` };
  const [, comm = "", tidText = "0", tgidText, cpuText = "0", tsText = "0", name = "", body = ""] = m;
  const tid = Number(tidText);
  const common = {
    ts: Number(tsText),
    tid,
    pid: tgidText !== undefined && /^\d+$/.test(tgidText) ? Number(tgidText) : tid,
    comm,
    cpu: Number(cpuText),
    line,
  };
  const bad = (what: string): TraceLineResult => ({ ok: false, line, message: `line ${line}: ${name}: ${what}` });
  const f = traceFields(body);
  switch (name) {
    case "inet_sock_set_state": {
      if (f.get("protocol") !== "IPPROTO_TCP") return { ok: true, event: null };
      const e = ends(f);
      if (typeof e === "string") return bad(e);
      const kernelFrom = f.get("oldstate") ?? "";
      const kernelTo = f.get("newstate") ?? "";
      const from = kernelState(kernelFrom);
      const to = kernelState(kernelTo);
      if (!from || !to) return bad(`oldstate/newstate: expected TCP_<STATE> names, got ${kernelFrom || "nothing"}/${kernelTo || "nothing"}`);
      return { ok: true, event: { kind: "state", ...common, ...e, from, to, kernelFrom, kernelTo } };
    }
    case "tcp_receive_reset":
    case "tcp_destroy_sock":
    case "tcp_retransmit_skb": {
      const e = ends(f);
      if (typeof e === "string") return bad(e);
      const kind = name === "tcp_receive_reset" ? "reset-received" : name === "tcp_destroy_sock" ? "destroy" : "retransmit";
      const state = f.has("state") ? kernelState(f.get("state") ?? "") : undefined;
      return { ok: true, event: { kind, ...common, ...e, ...(state && { state }) } };
    }
    case "tcp_send_reset": {
      const local = splitEndpoint(f.get("src") ?? "");
      const remote = splitEndpoint(f.get("dest") ?? "");
      if (!local || !remote) return bad(`src/dest: expected address:port, got ${f.get("src") ?? "nothing"}/${f.get("dest") ?? "nothing"}`);
      const state = kernelState(f.get("state") ?? "");
      const reason = f.get("reason");
      return { ok: true, event: { kind: "reset-sent", ...common, local, remote, ...(state && { state }), ...(reason && { reason }) } };
    }
    default:
      return { ok: true, event: null };
  }
}
