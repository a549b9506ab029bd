/**
 * What an application sees when a connection ends badly: each errno (and read() → 0, the clean
 * end of file), the call that returns it, when the kernel returns it, and where that is written
 * down (RFC 9293 section, the Linux function). Pure data: chapter 05, the cheat sheet and the
 * site print it. Checked on this machine's kernel by the demos named in `demo`.
 */

export interface ErrnoEntry {
  /** The errno's name, or "0 (EOF)" for the end-of-file row. */
  readonly name: string;
  /** The call that returns it, as a learner would write it. */
  readonly call: string;
  /** When the kernel returns it, in a learner's words. */
  readonly when: string;
  /** RFC 9293 section(s) and the Linux function(s) that produce it. */
  readonly source: string;
  /** The project's demo that shows it on the real kernel (`tcp-lifecycle demo <name>`), if one does. */
  readonly demo?: string;
}

export const ERRNO_TABLE: readonly ErrnoEntry[] = [
  {
    name: "0 (EOF)",
    call: "read() / recv()",
    when: "The peer sent a FIN and every byte before it has been read: the peer will send nothing more. Not an error; writing may still work (half-close).",
    source: "RFC 9293 §3.10.7.4 (eighth step, FIN: \"signal the user 'connection closing'\"); Linux tcp_fin() sets RCV_SHUTDOWN, tcp_recvmsg() then returns 0",
    demo: "close-wait-leak",
  },
  {
    name: "ECONNREFUSED",
    call: "connect()",
    when: "The SYN was answered by a RST: nothing listens on that port (or a firewall answers for it).",
    source: "RFC 9293 §3.10.7.1 (CLOSED answers with RST) and §3.10.7.3 (SYN-SENT: \"error: connection reset\"); Linux tcp_reset() in net/ipv4/tcp_input.c, SYN_SENT → ECONNREFUSED",
    demo: "connect-refused",
  },
  {
    name: "ECONNRESET",
    call: "read() / write() / recv() / send()",
    when: "A RST arrived on a synchronized connection: the peer aborted (SO_LINGER 0), closed with data unread, or no longer has the connection (its host rebooted, its orphan timed out).",
    source: "RFC 9293 §3.10.7.4 (second step, the RST bit: in ESTABLISHED and later states, pending RECEIVEs and SENDs get \"reset\" responses) and §3.5.2; Linux tcp_reset() sets sk_err = ECONNRESET",
    demo: "abort-rst",
  },
  {
    name: "EPIPE",
    call: "write() / send()",
    when: "Writing after this side's own sending direction is shut (shutdown(SHUT_WR) or close), or after the connection was reset and the reset already reported. The process also gets SIGPIPE unless it ignores it or passes MSG_NOSIGNAL; Node ignores SIGPIPE, so Node reports EPIPE as an error event.",
    source: "RFC 9293 §3.10.2 (SEND in FIN-WAIT-1/2, CLOSING, LAST-ACK, TIME-WAIT: \"connection closing\"); Linux tcp_sendmsg_locked() → sk_stream_error() (SEND_SHUTDOWN → -EPIPE, send_sig(SIGPIPE))",
  },
  {
    name: "ETIMEDOUT",
    call: "read() / write() / connect()",
    when: "The peer stopped answering: retransmissions ran out (tcp_retries2, or TCP_USER_TIMEOUT), keepalive probes went unanswered (TCP_KEEPCNT), or a SYN was never answered.",
    source: "RFC 9293 §3.8.3 (the R2 retransmission threshold), §3.10.8 (the USER TIMEOUT event: \"error: connection aborted due to user timeout\") and §3.8.4 (keep-alives); RFC 5482 (TCP_USER_TIMEOUT); Linux tcp_write_timeout() and tcp_keepalive_timer() → tcp_write_err() in net/ipv4/tcp_timer.c",
    demo: "half-open",
  },
  {
    name: "EADDRINUSE",
    call: "bind() / listen()",
    when: "Another socket holds the same local address and port: a listener, or (without SO_REUSEADDR) a connection still in TIME_WAIT on that port.",
    source: "Linux inet_csk_get_port() / inet_csk_bind_conflict() in net/ipv4/inet_connection_sock.c (the port table is the implementation's; RFC 9293 §3.4 only asks for unique 4-tuples)",
  },
  {
    name: "EADDRNOTAVAIL",
    call: "connect() (or bind() to an address this host does not have)",
    when: "No free local port is left for this destination: every ephemeral port in ip_local_port_range is in use for it (often by TIME_WAIT sockets).",
    source: "Linux __inet_hash_connect() in net/ipv4/inet_hashtables.c (returns -EADDRNOTAVAIL when no port is free); RFC 9293 §3.4 (a connection is its 4-tuple)",
  },
];

/** One markdown table of ERRNO_TABLE (errno, call, when, source), cells with `|` escaped. */
export function renderErrnoTable(entries: readonly ErrnoEntry[] = ERRNO_TABLE): string {
  const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const rows = entries.map((e) => `| **${cell(e.name)}** | \`${cell(e.call)}\` | ${cell(e.when)} | ${cell(e.source)}${e.demo ? ` (demo \`${e.demo}\`)` : ""} |`);
  return ["| errno | call | when | source |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
