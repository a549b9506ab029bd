/**
 * The glossary: every term a chapter uses without explaining it on the spot. Chapter 00 shows
 * it (renderGlossaryMarkdown) before its own text uses any of these words; the site links each
 * chapter's first use of a term (or an alias) to the entry's anchor. Each definition is our own
 * one or two sentences, with the RFC 9293 section or the Linux source it can be checked against.
 * Pure: no Node imports.
 */
export interface GlossaryEntry {
  /** The term as it appears in text, e.g. "2MSL". */
  readonly term: string;
  /** Stable anchor on the site's glossary page, e.g. "two-msl". */
  readonly anchor: string;
  /** Other spellings that count as a use of the term (e.g. "4-tuples"). */
  readonly aliases: readonly string[];
  /** One or two sentences, with its source. */
  readonly definition: string;
}

/** In the order a learner meets them: the segment and its flags first, then state, then timers and failure modes. */
export const GLOSSARY: readonly GlossaryEntry[] = [
  {
    term: "segment",
    anchor: "segment",
    aliases: ["segments"],
    definition:
      "One TCP packet: a header (ports, sequence and acknowledgement numbers, flags, window) and zero or more data bytes (RFC 9293 §3.1). Opening and closing a connection are done with segments that carry control flags.",
  },
  {
    term: "ACK",
    anchor: "ack",
    aliases: ["ACKs", "ACKed"],
    definition:
      "The acknowledgement flag: the segment's acknowledgement number is valid and says \"I have received everything before this number\" (RFC 9293 §3.1, §3.4). Every segment of a synchronized connection carries it; a bare ACK is a segment with only this flag and no data.",
  },
  {
    term: "FIN",
    anchor: "fin",
    aliases: ["FINs"],
    definition:
      "The finish flag: \"I will send no more data\" (RFC 9293 §3.1, §3.6). It closes only the sender's direction and occupies one sequence number, so its acknowledgement is its sequence number plus one (§3.4).",
  },
  {
    term: "RST",
    anchor: "rst",
    aliases: ["RSTs", "reset"],
    definition:
      "The reset flag: \"I have no valid connection for this segment\" or \"I am aborting\" (RFC 9293 §3.5.2). A receiver that accepts it deletes the connection at once, with no FIN exchange and no TIME-WAIT (§3.10.7.4, second step).",
  },
  {
    term: "PSH",
    anchor: "psh",
    aliases: ["push"],
    definition:
      "The push flag: deliver this data to the application now rather than waiting for more (RFC 9293 §3.9.1, SEND). Linux sets it when a write() has been queued (`tcp_push()` in net/ipv4/tcp.c), so most data segments in a capture carry it; it plays no part in closing.",
  },
  {
    term: "4-tuple",
    anchor: "four-tuple",
    aliases: ["4-tuples", "socket pair"],
    definition:
      "The local address, local port, remote address and remote port: together they name one connection (RFC 9293 §3.4.1: \"A connection is defined by a pair of sockets\"). Two connections at the same time can never share all four.",
  },
  {
    term: "TCB",
    anchor: "tcb",
    aliases: ["TCBs", "Transmission Control Block"],
    definition:
      "The transmission control block: the record a TCP keeps for one connection, with its 4-tuple, state, sequence variables, buffers and timers (RFC 9293 §3.3.1). Deleting the TCB is what \"CLOSED\" means; in Linux it is the `struct tcp_sock` behind a socket.",
  },
  {
    term: "ISS",
    anchor: "iss",
    aliases: ["initial send sequence number"],
    definition:
      "The initial send sequence number: the number a side chooses for its own SYN (RFC 9293 §3.3.1, §3.4.1); its first data byte is ISS + 1. Tools such as tcpdump show sequence numbers relative to it.",
  },
  {
    term: "IRS",
    anchor: "irs",
    aliases: ["initial receive sequence number"],
    definition: "The initial receive sequence number: the peer's ISS, learnt from the peer's SYN (RFC 9293 §3.3.1).",
  },
  {
    term: "SND.UNA",
    anchor: "snd-una",
    aliases: [],
    definition:
      "Send unacknowledged: the oldest sequence number this side has sent that the peer has not yet acknowledged (RFC 9293 §3.3.1; Linux `tp->snd_una`).",
  },
  {
    term: "SND.NXT",
    anchor: "snd-nxt",
    aliases: [],
    definition:
      "Send next: the sequence number the next new byte (or FIN) will carry (RFC 9293 §3.3.1; Linux `tp->snd_nxt`). Sending a FIN with sequence number u moves it to u + 1.",
  },
  {
    term: "RCV.NXT",
    anchor: "rcv-nxt",
    aliases: [],
    definition:
      "Receive next: the sequence number this side expects next from the peer, which is the acknowledgement number it sends (RFC 9293 §3.3.1; Linux `tp->rcv_nxt`). Receiving a FIN advances it by one.",
  },
  {
    term: "RCV.WND",
    anchor: "rcv-wnd",
    aliases: [],
    definition:
      "The receive window: how many bytes from RCV.NXT on this side is willing to accept (RFC 9293 §3.3.1). A segment outside it is not acceptable and is answered with an ACK, not processed (§3.10.7.4, first step).",
  },
  {
    term: "half-close",
    anchor: "half-close",
    aliases: ["half-closed", "half-closes"],
    definition:
      "One direction closed by a FIN while the other still carries data (RFC 9293 §3.6). An application does it with shutdown(SHUT_WR): it can no longer send but still reads until the peer's FIN.",
  },
  {
    term: "delayed ACK",
    anchor: "delayed-ack",
    aliases: ["delayed ACKs", "delayed-ACK"],
    definition:
      "A receiver may hold an ACK briefly, hoping to send it on a data segment or a FIN; the delay MUST be less than 0.5 seconds (RFC 9293 §3.8.6.3, MUST-40). Linux holds it about 40 ms once data has arrived, at most 200 ms (`tcp_send_delayed_ack()` in net/ipv4/tcp_output.c).",
  },
  {
    term: "MSL",
    anchor: "msl",
    aliases: ["Maximum Segment Lifetime"],
    definition:
      "The maximum segment lifetime: how long a segment is assumed to survive in the network, taken as 2 minutes (RFC 9293 §3.4.2). It is an engineering choice: nothing in IP enforces it.",
  },
  {
    term: "2MSL",
    anchor: "two-msl",
    aliases: ["2 MSL", "2×MSL"],
    definition:
      "Twice the MSL: how long the side that closed first stays in TIME-WAIT (RFC 9293 §3.3.2, §3.6.1 MUST-13), so it can resend its last ACK and old duplicates can die out. Linux uses a fixed 60 s instead (`TCP_TIMEWAIT_LEN` in include/net/tcp.h).",
  },
  {
    term: "orphan",
    anchor: "orphan",
    aliases: ["orphans", "orphaned"],
    definition:
      "A connection whose application has closed its socket while the kernel is still finishing the close, e.g. in FIN-WAIT-1, FIN-WAIT-2 or LAST-ACK (Linux `tcp_close()` calls `sock_orphan()`). Linux counts them (the \"orphan\" figure of /proc/net/sockstat) and caps them with `tcp_max_orphans`.",
  },
  {
    term: "half-open",
    anchor: "half-open",
    aliases: ["half-opened"],
    definition:
      "A connection that one side still believes is open while the other has lost all record of it, e.g. after a crash and reboot (RFC 9293 §3.5.1). The surviving side finds out only when it sends and draws a RST, or when a keepalive or timeout fires.",
  },
  {
    term: "challenge ACK",
    anchor: "challenge-ack",
    aliases: ["challenge ACKs"],
    definition:
      "An ACK sent in answer to a RST or SYN whose sequence number is in the window but not exactly the expected one: a genuine peer answers it, a blind attacker cannot (RFC 9293 §3.10.7.4, from RFC 5961; Linux `tcp_send_challenge_ack()`).",
  },
];

/** The glossary as a Markdown definition list, one bold term per line with its anchor and aliases. */
export function renderGlossaryMarkdown(entries: readonly GlossaryEntry[] = GLOSSARY): string {
  const lines = ["| Term | Meaning |", "|---|---|"];
  for (const e of entries) {
    const also = e.aliases.length ? ` <br><small>also: ${e.aliases.join(", ")}</small>` : "";
    lines.push(`| <a id="${e.anchor}"></a>**${e.term}**${also} | ${e.definition.replace(/\|/g, "\\|")} |`);
  }
  return lines.join("\n");
}

/** The entry for a term or one of its aliases (case-sensitive, as the terms are written), if any. */
export function glossaryEntry(word: string): GlossaryEntry | undefined {
  return GLOSSARY.find((e) => e.term === word || e.aliases.includes(word));
}
