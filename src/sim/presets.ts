/**
 * The preset scenarios: the lesson's closes and their abnormal cousins. Each is an ordinary
 * scenario document (the same JSON a teacher would write, docs/scenario-format.md), so the
 * presets double as examples of the format. test/sim.presets.test.ts pins each one's exact
 * segments and states.
 */
import type { ProfileName } from "../fsm/profiles.js";
import { validateScenario, type Scenario } from "./scenario.js";

export const PRESET_NAMES = [
  "four-way-close",
  "three-way-close",
  "simultaneous-close",
  "half-close",
  "abort-rst",
  "close-unread-data",
  "close-wait-leak",
  "lost-final-ack",
  "lost-fin",
  "simultaneous-open",
  "connect-refused",
  "three-way-handshake",
  "peer-reboots",
] as const;

export type PresetName = (typeof PRESET_NAMES)[number];

export function isPresetName(value: string): value is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(value);
}

export interface Preset {
  readonly name: PresetName;
  readonly title: string;
  /** One paragraph for learners. */
  readonly description: string;
  readonly profile: ProfileName;
  readonly scenario: Scenario;
}

const DOCS: Record<PresetName, object> = {
  "four-way-close": {
    title: "The four-way close",
    description:
      "The client has nothing more to send and calls shutdown(SHUT_WR) — RFC 9293's CLOSE — so its FIN goes out and it enters FIN_WAIT_1. " +
      "The server's TCP enters CLOSE_WAIT and, with delayed ACK on (as on both sides here, and in three-way-close), holds its ACK for a while hoping to put it on a reply (RFC 1122 §4.2.3.2). " +
      "Its application sends nothing back in time: the delayed-ACK timer (0.2 s under rfc9293, 40 ms under linux) expires and the ACK goes out alone. " +
      "The connection is now half-closed: 0.3 s after the EOF the server sends the 100 bytes it had left, which the client, in FIN_WAIT_2, receives and ACKs. " +
      "Only 0.7 s after the EOF does the server close: its FIN takes it to LAST_ACK, the client's final ACK ends the server's side, and the client, the active closer, waits 2MSL in TIME_WAIT. " +
      "Four control segments because of time: the server closed later than its delayed-ACK timer. Had it closed at once, its FIN would have carried the ACK (three-way-close).",
    delayedAck: true,
    start: "established",
    steps: {
      client: [{ at: 0, do: "shutdown" }],
      server: [
        { on: "eof", after: 0.3, do: "send", bytes: 100 },
        { on: "eof", after: 0.7, do: "close" },
      ],
    },
  },
  "three-way-close": {
    title: "The three-way close (FIN+ACK merged)",
    description:
      "With delayed ACK on (the Linux default, and on here as in four-way-close), the server does not ACK the client's FIN at once. Its application reads EOF and closes immediately, before the delayed-ACK timer expires, " +
      "so when the server's FIN goes out the ACK of the client's FIN rides on it: one FIN+ACK segment instead of an ACK and a FIN. " +
      "The client goes straight from FIN_WAIT_1 to TIME_WAIT, skipping FIN_WAIT_2, and the close takes three segments. " +
      "\"A close always takes four packets\" is a myth: it takes four only when the passive side has something to send, or waits, before closing.",
    delayedAck: true,
    start: "established",
    steps: {
      client: [{ at: 0, do: "close" }],
      server: [{ on: "eof", do: "close" }],
    },
  },
  "simultaneous-close": {
    title: "Simultaneous close",
    description:
      "Both applications close at the same moment, so two FINs cross on the link. Each side, in FIN_WAIT_1, receives a FIN that does not yet acknowledge its own, " +
      "so it ACKs it and enters CLOSING (RFC 9293 Fig. 13). When the ACKs arrive, both sides move to TIME_WAIT: in a simultaneous close there is no passive side, and both wait 2MSL.",
    start: "established",
    steps: {
      client: [{ at: 0, do: "close" }],
      server: [{ at: 0, do: "close" }],
    },
  },
  "half-close": {
    title: "Half-close: shutdown(SHUT_WR) and a reply",
    description:
      "The client sends a request and then calls shutdown(SHUT_WR): its FIN says \"no more from me\", but the socket stays open for reading. " +
      "The server reads the request and the EOF, sends a 2000-byte reply (two segments, MSS 1460) into the half-closed connection, and the client, in FIN_WAIT_2, keeps receiving and acknowledging. " +
      "When the server closes, the normal end follows: LAST_ACK on the server, TIME_WAIT on the client.",
    start: "established",
    steps: {
      client: [{ at: 0, do: "send", bytes: 100 }, { at: 0, do: "shutdown" }],
      server: [
        { on: "eof", do: "send", bytes: 2000 },
        { on: "eof", after: 0.2, do: "close" },
      ],
    },
  },
  "abort-rst": {
    title: "Abortive close: SO_LINGER 0",
    description:
      "The client sets SO_LINGER with a zero timeout and closes (Node's socket.resetAndDestroy() does this). close() becomes an abort: " +
      "a single RST goes out and the client's connection is gone at once. The server, on receiving the RST, deletes its connection too. " +
      "No FIN, no ACK, and no TIME_WAIT on either side — which is why some servers do it, and why it can lose data still in flight.",
    start: "established",
    steps: {
      client: [{ at: 0, do: "close", linger0: true }],
      server: [],
    },
  },
  "close-unread-data": {
    title: "Closing with unread data sends RST",
    description:
      "The server sends 100 bytes, and the client's application closes without reading them. RFC 9293 §3.6.1 (and RFC 2525) say a TCP SHOULD then send a RST, " +
      "so the peer learns the data was lost, and Linux does (TCPAbortOnClose). The client goes from ESTABLISHED straight to CLOSED; the server gets the RST and closes too. " +
      "This, not a crash, is the usual reason a \"closed\" program sends RST: a process that exits has its sockets closed normally, with a FIN, unless data was left unread.",
    start: "established",
    endpoints: { client: { autoRead: false } },
    steps: {
      client: [{ at: 0.2, do: "close" }],
      server: [{ at: 0, do: "send", bytes: 100 }],
    },
  },
  "close-wait-leak": {
    title: "CLOSE_WAIT leak: the server never closes",
    description:
      "The client closes, and the server's kernel ACKs the FIN and moves the connection to CLOSE_WAIT, waiting for the application to close. " +
      "This application never does (a missing close() in an error path): the server stays in CLOSE_WAIT for as long as the process lives. " +
      "The client, having released its socket, is an orphan in FIN_WAIT_2; Linux gives up on it after tcp_fin_timeout (60 s) and deletes it. " +
      "Under the rfc9293 profile, which has no such timer, the client would wait in FIN_WAIT_2 forever. A pile of CLOSE_WAIT sockets always means an application bug.",
    profile: "linux",
    start: "established",
    steps: {
      client: [{ at: 0, do: "close" }],
      server: [],
    },
  },
  "lost-final-ack": {
    title: "The final ACK is lost",
    description:
      "The close goes normally until the client's last ACK is lost. The server, in LAST_ACK, hears nothing, so its retransmission timer fires and it sends its FIN again. " +
      "The client is still in TIME_WAIT — this is the first reason TIME_WAIT exists — so it answers with the ACK again and restarts its 2MSL timer. " +
      "The second ACK arrives, and the server closes. Had the client already been CLOSED, it would have answered the FIN with a RST.",
    start: "established",
    link: { rules: [{ action: "drop", from: "client", flags: ["ACK"], nth: 1 }] },
    steps: {
      client: [{ at: 0, do: "close" }],
      server: [{ on: "eof", after: 0.1, do: "close" }],
    },
  },
  "lost-fin": {
    title: "The first FIN is lost",
    description:
      "The client's FIN is lost on the link. The client stays in FIN_WAIT_1 — its FIN is not acknowledged — until the retransmission timer (initial RTO 1 s) fires " +
      "and the FIN goes again. This time it arrives, and the close continues as usual. A FIN uses a sequence number, so it is retransmitted like data; a lost pure ACK is not.",
    start: "established",
    link: { rules: [{ action: "drop", from: "client", flags: ["FIN", "ACK"], nth: 1 }] },
    steps: {
      client: [{ at: 0, do: "close" }],
      server: [{ on: "eof", after: 0.1, do: "close" }],
    },
  },
  "simultaneous-open": {
    title: "Simultaneous open",
    description:
      "Both sides actively open at once, each sending a SYN to the other. Each SYN arrives while its receiver is in SYN_SENT, so each side answers with SYN+ACK " +
      "and moves to SYN_RCVD (RFC 9293 §3.5, Figure 7). When the SYN+ACKs arrive, both sides are ESTABLISHED: four segments, one connection, and no LISTEN anywhere.",
    steps: {
      client: [{ at: 0, do: "connect" }],
      server: [{ at: 0, do: "connect" }],
    },
  },
  "connect-refused": {
    title: "Connection refused",
    description:
      "The client connects to a port where nothing listens. The server's TCP has no connection for the SYN (it is CLOSED), so it answers with a RST that acknowledges the SYN. " +
      "The RST's ACK matches what the client sent, so the client accepts it and goes from SYN_SENT to CLOSED: connect() fails with ECONNREFUSED.",
    steps: {
      client: [{ at: 0, do: "connect" }],
      server: [],
    },
  },
  "three-way-handshake": {
    title: "The three-way handshake",
    description:
      "The server listens; the client sends a SYN with its initial sequence number (ISS). The server answers SYN+ACK, acknowledging ISS+1 and carrying its own ISS, " +
      "and enters SYN_RCVD. The client's ACK completes the handshake: both sides are ESTABLISHED, and each side's next sequence number is its ISS + 1, because a SYN uses one.",
    steps: {
      client: [{ at: 0, do: "connect" }],
      server: [{ at: 0, do: "listen" }],
    },
  },
  "peer-reboots": {
    title: "The peer's host reboots: a half-open connection",
    description:
      "The connection is established and idle when the client's host crashes and reboots (RFC 9293 §3.5.1, Figure 10). Its TCB is gone, and nothing was sent: " +
      "the server still believes the connection is ESTABLISHED — a half-open connection — and nothing tells it otherwise while it stays quiet. " +
      "When the server's application next writes, its data reaches a host with no connection for it, whose TCP answers with a RST (§3.10.7.1). " +
      "The RST's sequence number is the server's RCV.NXT exactly, so the server accepts it, goes to CLOSED, and its application's read() fails with ECONNRESET (Linux tcp_reset()). While it stayed silent it had no way to know: only keepalive probes (RFC 9293 §3.8.4) would have found out sooner.",
    start: "established",
    steps: {
      client: [{ at: 1, do: "reboot" }],
      server: [{ at: 2, do: "send", bytes: 100 }],
    },
  },
};

function build(name: PresetName): Preset {
  const doc = { name, profile: "rfc9293", seed: 1, ...DOCS[name] };
  const result = validateScenario(doc);
  // The presets are data in this file; an invalid one is a bug, caught by the tests.
  if (!result.ok) throw new Error(`preset ${name} is invalid: ${result.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`);
  const s = result.scenario;
  return { name, title: s.title, description: s.description, profile: s.profile, scenario: s };
}

export const PRESETS: Readonly<Record<PresetName, Preset>> = Object.fromEntries(
  PRESET_NAMES.map((n) => [n, build(n)]),
) as Record<PresetName, Preset>;

/** The documents the presets are made from, as a teacher would write them. */
export function presetDocument(name: PresetName): object {
  return { name, profile: "rfc9293", seed: 1, ...DOCS[name] };
}
