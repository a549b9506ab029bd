/**
 * The kernel's own tally of how connections end: the TCP counters of /proc/net/snmp and
 * /proc/net/netstat (what `nstat` prints), read around each demo so that "Linux counts this"
 * is a number a learner sees go up.
 *
 * The counters belong to the network namespace, not to the demo: every socket in the
 * namespace bumps them, so a delta is "at least what the demo did" on a busy machine and
 * exactly what it did only when nothing else ran (a private namespace: `unshare -n`).
 */
import { readFile } from "node:fs/promises";
import { parseNetstatCounters } from "../parse/netstat-counters.js";

export const NETSTAT_FILE = "/proc/net/netstat";
export const SNMP_FILE = "/proc/net/snmp";

/** A snapshot: nstat-style name → value. */
export type TcpCounters = ReadonlyMap<string, bigint>;

export interface TcpCounterInfo {
  /** nstat's name: the /proc prefix and the counter (`TcpExtTCPAbortOnClose`). */
  readonly name: string;
  /** One sentence for a learner: what went up. */
  readonly meaning: string;
  /** Where the kernel increments it (function, file), to check the sentence against. */
  readonly source: string;
}

/**
 * The counters a demo about ending connections can move, in the order they are shown. Each
 * source was read in Linux's net/ipv4 (tcp.c, tcp_input.c, tcp_output.c, tcp_timer.c,
 * tcp_minisocks.c, tcp_ipv4.c, inet_hashtables.c); the demos observed the ones they move.
 */
export const TCP_COUNTERS: readonly TcpCounterInfo[] = [
  {
    name: "TcpActiveOpens",
    meaning: "connect() sent a SYN: one more connection opened actively (CLOSED → SYN_SENT).",
    source: "tcp_connect() in net/ipv4/tcp_output.c (TCP_MIB_ACTIVEOPENS)",
  },
  {
    name: "TcpPassiveOpens",
    meaning: "a listener accepted a handshake and made a new socket for it (LISTEN → SYN_RCVD child).",
    source: "tcp_create_openreq_child() in net/ipv4/tcp_minisocks.c (TCP_MIB_PASSIVEOPENS)",
  },
  {
    name: "TcpAttemptFails",
    meaning: "a connection died before it was established (from SYN_SENT or SYN_RCVD): a refused connect() counts here.",
    source: "tcp_done() in net/ipv4/tcp.c (TCP_MIB_ATTEMPTFAILS)",
  },
  {
    name: "TcpEstabResets",
    meaning: "a connection went straight from ESTABLISHED or CLOSE_WAIT to CLOSED: a RST sent or received, not an orderly close.",
    source: "tcp_set_state() in net/ipv4/tcp.c (TCP_MIB_ESTABRESETS)",
  },
  {
    name: "TcpOutRsts",
    meaning: "a RST was sent, by a socket aborting or in reply to a segment no socket wanted.",
    source: "tcp_send_active_reset() in net/ipv4/tcp_output.c, tcp_v4_send_reset() in net/ipv4/tcp_ipv4.c (TCP_MIB_OUTRSTS)",
  },
  {
    name: "TcpRetransSegs",
    meaning: "a segment was sent again (a timer fired, or loss was detected).",
    source: "__tcp_retransmit_skb() in net/ipv4/tcp_output.c (TCP_MIB_RETRANSSEGS)",
  },
  {
    name: "TcpExtTCPAbortOnClose",
    meaning: "close() found unread data in the receive buffer, so the kernel sent RST instead of FIN (RFC 2525 §2.17).",
    source: "__tcp_close() in net/ipv4/tcp.c, data_was_unread (LINUX_MIB_TCPABORTONCLOSE)",
  },
  {
    name: "TcpExtTCPAbortOnData",
    meaning: "a RST because data arrived that no one will read (after close()), or close() with SO_LINGER 0.",
    source: "tcp_rcv_state_process() in net/ipv4/tcp_input.c, and the zero-linger branch of __tcp_close() in net/ipv4/tcp.c (LINUX_MIB_TCPABORTONDATA)",
  },
  {
    name: "TcpExtTCPAbortOnLinger",
    meaning: "an orphaned FIN_WAIT_2 socket with TCP_LINGER2 below 0 was reset at once instead of waiting for the peer's FIN.",
    source: "__tcp_close() in net/ipv4/tcp.c, linger2 < 0 (LINUX_MIB_TCPABORTONLINGER)",
  },
  {
    name: "TcpExtTCPAbortOnTimeout",
    meaning: "the retransmission timer gave up (tcp_retries2, tcp_orphan_retries or tcp_syn_retries spent): the connection is dropped, ETIMEDOUT.",
    source: "tcp_write_err(), called by tcp_write_timeout(), in net/ipv4/tcp_timer.c (LINUX_MIB_TCPABORTONTIMEOUT)",
  },
  {
    name: "TcpExtTCPTimeWaitOverflow",
    meaning: "TIME_WAIT was full (net.ipv4.tcp_max_tw_buckets): a closing socket was destroyed at once, without its TIME_WAIT.",
    source: "tcp_time_wait() in net/ipv4/tcp_minisocks.c (LINUX_MIB_TCPTIMEWAITOVERFLOW)",
  },
  {
    name: "TcpExtTWRecycled",
    meaning: "connect() took over a 4-tuple still in TIME_WAIT (net.ipv4.tcp_tw_reuse): the old TIME_WAIT socket was dropped.",
    source: "__inet_check_established() in net/ipv4/inet_hashtables.c (LINUX_MIB_TIMEWAITRECYCLED)",
  },
  {
    name: "TcpExtDelayedACKs",
    meaning: "the delayed-ACK timer fired and sent an ACK on its own (nothing to piggyback it on in time).",
    source: "tcp_delack_timer_handler() in net/ipv4/tcp_timer.c (LINUX_MIB_DELAYEDACKS)",
  },
  {
    name: "TcpExtTCPChallengeACK",
    meaning: "an in-window but inexact RST or SYN was answered with an ACK instead of being obeyed (RFC 5961).",
    source: "tcp_send_challenge_ack() in net/ipv4/tcp_input.c (LINUX_MIB_TCPCHALLENGEACK)",
  },
];

export const TCP_COUNTER_NAMES: readonly string[] = TCP_COUNTERS.map((c) => c.name);

/**
 * Read /proc/net/snmp and /proc/net/netstat of this process's network namespace. Undefined
 * when they cannot be read (not Linux) or hold nothing; a malformed pair is left out.
 */
export async function readTcpCounters(files: readonly string[] = [SNMP_FILE, NETSTAT_FILE]): Promise<TcpCounters | undefined> {
  const all = new Map<string, bigint>();
  for (const file of files) {
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text === undefined) return undefined;
    for (const [name, value] of parseNetstatCounters(text, { source: file }).counters) if (!all.has(name)) all.set(name, value);
  }
  return all.size > 0 ? all : undefined;
}

/**
 * after − before for each of `names` both snapshots have, in the order of `names` (a name the
 * kernel does not print is left out). Counters only grow, but a delta is returned as it is,
 * negative or not, as a number (the demos' deltas are small).
 */
export function counterDeltas(before: TcpCounters, after: TcpCounters, names: readonly string[] = TCP_COUNTER_NAMES): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) {
    const a = before.get(name);
    const b = after.get(name);
    if (a !== undefined && b !== undefined) out[name] = Number(b - a);
  }
  return out;
}
