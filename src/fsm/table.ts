/**
 * The TCP transition table, as data: state × event → outcome.
 *
 * Every (state, event) pair has an entry (the `Record` types make TypeScript check that,
 * and test/fsm.table.test.ts checks it again at run time). An entry is a list of cases,
 * tried in order; a case may be limited by a guard on the endpoint (was it opened
 * passively? has the application released the socket?) or by a profile. The last case of
 * every entry is unconditional.
 *
 * References are to RFC 9293 sections unless they name another source. Laid out like the
 * RFC's own event processing (§3.10): user calls, then segment arrivals, then timeouts.
 */
import { STATES, type TcpState } from "./states.js";
import { EVENTS, type TcpEvent } from "./events.js";
import type { ProfileName } from "./profiles.js";

/** A segment the endpoint emits as part of a transition. RETRANSMIT = the oldest unacknowledged segment. */
export type SendKind = "SYN" | "SYN+ACK" | "ACK" | "FIN" | "RST" | "DATA" | "RETRANSMIT";

/**
 * Conditions on the endpoint that the state alone does not capture.
 * - passiveOpen: the connection came from LISTEN (§3.10.7.4, RST in SYN_RCVD).
 * - orphaned: the application called close(), not just shutdown(SHUT_WR); Linux then
 *   resets on new data and times out FIN_WAIT_2 (net/ipv4/tcp_input.c, tcp.c).
 * - unreadData: received data the application never read (§3.6.1; Linux tcp_close()).
 * - linger0: SO_LINGER on with a zero timeout: close() becomes an abort.
 * - rfc1337: the profile ignores RST in TIME_WAIT (RFC 1337 §3; Linux tcp_rfc1337=1).
 */
export type Guard = "passiveOpen" | "orphaned" | "unreadData" | "linger0" | "rfc1337";
export const GUARDS: readonly Guard[] = ["passiveOpen", "orphaned", "unreadData", "linger0", "rfc1337"];

export interface Transition {
  readonly kind: "transition";
  readonly next: TcpState;
  readonly send: readonly SendKind[];
  readonly ref: string;
  /** One sentence for learners. */
  readonly note: string;
  /** A self-loop that restarts the 2MSL timer (a retransmitted FIN in TIME_WAIT). */
  readonly restartsTimeWait?: boolean;
}

export interface Ignored {
  readonly kind: "ignored";
  readonly reason: string;
  readonly ref: string;
}

/** The call or input is refused: a user error (§3.10), or a classification that cannot arise. */
export interface Refused {
  readonly kind: "error";
  readonly reason: string;
  readonly ref: string;
}

export type Outcome = Transition | Ignored | Refused;

export interface Case {
  readonly when?: Guard;
  readonly profile?: ProfileName;
  readonly outcome: Outcome;
}

export interface TableRow {
  readonly state: TcpState;
  readonly event: TcpEvent;
  readonly cases: readonly Case[];
}

type Cell = Outcome | readonly Case[];
type EventColumn = Record<TcpState, Cell>;

const go = (next: TcpState, send: readonly SendKind[], ref: string, note: string): Transition => ({
  kind: "transition",
  next,
  send,
  ref,
  note,
});
const ignore = (reason: string, ref: string): Ignored => ({ kind: "ignored", reason, ref });
const refuse = (reason: string, ref: string): Refused => ({ kind: "error", reason, ref });

const NO_CONNECTION = refuse('error: "connection does not exist"', "§3.10");
const ALREADY_EXISTS = refuse('error: "connection already exists"', "§3.10.1");
const CLOSING_ERROR = refuse('error: "connection closing"', "§3.10.4");
const NO_FIN_SENT = refuse(
  "cannot arise: this state has sent no FIN, so the classifier yields the plain ACK/FIN event instead",
  "§3.10.7.4",
);
const RESET_REPLY = (state: TcpState): Transition =>
  go(state, ["RST"], state === "CLOSED" ? "§3.10.7.1" : "§3.10.7.2",
    state === "CLOSED"
      ? "No connection exists, so anything but a RST is answered with a RST."
      : "A listener answers any segment carrying an ACK with a RST.");
const SYNSENT_BAD_ACK = go("SYN_SENT", ["RST"], "§3.10.7.3",
  "An ACK that does not acknowledge our SYN is unacceptable and draws a RST.");

// ---------------------------------------------------------------- user calls (§3.10.1–3.10.5)

const PASSIVE_OPEN: EventColumn = {
  CLOSED: go("LISTEN", [], "§3.10.1", "A passive OPEN creates a TCB and waits for a SYN."),
  LISTEN: ALREADY_EXISTS, SYN_SENT: ALREADY_EXISTS, SYN_RCVD: ALREADY_EXISTS, ESTABLISHED: ALREADY_EXISTS,
  FIN_WAIT_1: ALREADY_EXISTS, FIN_WAIT_2: ALREADY_EXISTS, CLOSE_WAIT: ALREADY_EXISTS, CLOSING: ALREADY_EXISTS,
  LAST_ACK: ALREADY_EXISTS, TIME_WAIT: ALREADY_EXISTS,
};

const ACTIVE_OPEN: EventColumn = {
  CLOSED: go("SYN_SENT", ["SYN"], "§3.10.1", "An active OPEN picks an ISS and sends a SYN."),
  LISTEN: go("SYN_SENT", ["SYN"], "§3.10.1", "A listener may turn active: it sends a SYN to the named peer."),
  SYN_SENT: ALREADY_EXISTS, SYN_RCVD: ALREADY_EXISTS, ESTABLISHED: ALREADY_EXISTS, FIN_WAIT_1: ALREADY_EXISTS,
  FIN_WAIT_2: ALREADY_EXISTS, CLOSE_WAIT: ALREADY_EXISTS, CLOSING: ALREADY_EXISTS, LAST_ACK: ALREADY_EXISTS,
  TIME_WAIT: ALREADY_EXISTS,
};

const QUEUED = ignore("the data is queued and sent once the connection is ESTABLISHED", "§3.10.2");
const SEND: EventColumn = {
  CLOSED: NO_CONNECTION,
  LISTEN: go("SYN_SENT", ["SYN"], "§3.10.2", "SEND on a listener with a named peer turns it active: a SYN goes out."),
  SYN_SENT: QUEUED,
  SYN_RCVD: QUEUED,
  ESTABLISHED: go("ESTABLISHED", ["DATA"], "§3.10.2", "Data is segmented and sent."),
  CLOSE_WAIT: go("CLOSE_WAIT", ["DATA"], "§3.10.2",
    "The peer's FIN closed only its direction: we may still send (a half-closed connection)."),
  FIN_WAIT_1: CLOSING_ERROR, FIN_WAIT_2: CLOSING_ERROR, CLOSING: CLOSING_ERROR, LAST_ACK: CLOSING_ERROR,
  TIME_WAIT: CLOSING_ERROR,
};

/** RFC 9293 CLOSE: "I have no more to send". The socket API spells it shutdown(SHUT_WR). */
const SHUTDOWN_WRITE: EventColumn = {
  CLOSED: NO_CONNECTION,
  LISTEN: go("CLOSED", [], "§3.10.4", "Closing a listener deletes its TCB."),
  SYN_SENT: go("CLOSED", [], "§3.10.4", "Closing before the handshake completes deletes the TCB; nothing is sent."),
  SYN_RCVD: go("FIN_WAIT_1", ["FIN"], "§3.10.4", "With nothing queued, a FIN goes out at once."),
  ESTABLISHED: go("FIN_WAIT_1", ["FIN"], "§3.10.4", "Our side is done sending: a FIN goes out."),
  CLOSE_WAIT: go("LAST_ACK", ["FIN"], "§3.10.4", "The peer already closed; our FIN closes the other direction."),
  FIN_WAIT_1: CLOSING_ERROR, FIN_WAIT_2: CLOSING_ERROR, CLOSING: CLOSING_ERROR, LAST_ACK: CLOSING_ERROR,
  TIME_WAIT: CLOSING_ERROR,
};

const ABORT_RST = (state: TcpState): Transition =>
  go("CLOSED", ["RST"], "§3.10.5", `ABORT in ${state} sends a RST and deletes the TCB.`);
const ABORT_SILENT = (state: TcpState): Transition =>
  go("CLOSED", [], "§3.10.5", `ABORT in ${state} deletes the TCB without a RST.`);

const ABORT: EventColumn = {
  CLOSED: NO_CONNECTION,
  LISTEN: ABORT_SILENT("LISTEN"),
  SYN_SENT: ABORT_SILENT("SYN_SENT"),
  SYN_RCVD: ABORT_RST("SYN_RCVD"),
  ESTABLISHED: ABORT_RST("ESTABLISHED"),
  FIN_WAIT_1: ABORT_RST("FIN_WAIT_1"),
  FIN_WAIT_2: ABORT_RST("FIN_WAIT_2"),
  CLOSE_WAIT: ABORT_RST("CLOSE_WAIT"),
  CLOSING: ABORT_SILENT("CLOSING"),
  LAST_ACK: ABORT_SILENT("LAST_ACK"),
  TIME_WAIT: ABORT_SILENT("TIME_WAIT"),
};

/**
 * The socket API's close(): release the descriptor. Without lingering or unread data it
 * is the RFC's CLOSE, and the socket becomes an orphan owned by the kernel. With SO_LINGER 0
 * it is an ABORT; with unread received data the RFC says a RST SHOULD go out (§3.6.1,
 * RFC 2525 §2.17), which is what Linux tcp_close() does.
 */
const closeCases = (state: TcpState, plain: Outcome): readonly Case[] => [
  { when: "linger0", outcome: { ...ABORT_RST(state), ref: "§3.10.5; SO_LINGER 0 (Linux tcp_close)",
    note: `close() with SO_LINGER 0 in ${state} aborts: a RST goes out, the TCB is deleted.` } },
  { when: "unreadData", outcome: go("CLOSED", ["RST"], "§3.6.1; RFC 2525 §2.17; Linux tcp_close()",
    `close() with unread received data in ${state} sends a RST to show the data was lost.`) },
  { outcome: plain },
];
const LINUX_RELEASE = ignore(
  "the socket is released to the kernel (orphaned); no second FIN is sent", "§3.10.4 (an \"ok\" is allowed); Linux tcp_close()");
const closeAfterShutdown: readonly Case[] = [
  { profile: "linux", outcome: LINUX_RELEASE },
  { outcome: CLOSING_ERROR },
];
const CLOSE: EventColumn = {
  CLOSED: NO_CONNECTION,
  LISTEN: SHUTDOWN_WRITE.LISTEN,
  SYN_SENT: SHUTDOWN_WRITE.SYN_SENT,
  SYN_RCVD: closeCases("SYN_RCVD", SHUTDOWN_WRITE.SYN_RCVD as Outcome),
  ESTABLISHED: closeCases("ESTABLISHED", SHUTDOWN_WRITE.ESTABLISHED as Outcome),
  CLOSE_WAIT: closeCases("CLOSE_WAIT", SHUTDOWN_WRITE.CLOSE_WAIT as Outcome),
  FIN_WAIT_1: closeAfterShutdown, FIN_WAIT_2: closeAfterShutdown, CLOSING: closeAfterShutdown,
  LAST_ACK: closeAfterShutdown, TIME_WAIT: closeAfterShutdown,
};

// ---------------------------------------------------------------- segment arrivals (§3.10.7)

const CHALLENGE_ACK = (state: TcpState): Transition =>
  go(state, ["ACK"], "§3.10.7.4 (RFC 5961 §4.2)", "A SYN in a synchronized state draws a challenge ACK.");
const RCV_SYN: EventColumn = {
  CLOSED: RESET_REPLY("CLOSED"),
  LISTEN: go("SYN_RCVD", ["SYN+ACK"], "§3.10.7.2", "A SYN on a listener: answer SYN+ACK and wait for the ACK."),
  SYN_SENT: go("SYN_RCVD", ["SYN+ACK"], "§3.10.7.3; §3.5 Fig. 8",
    "Simultaneous open: a bare SYN crossed ours, so we answer SYN+ACK."),
  SYN_RCVD: go("SYN_RCVD", ["SYN+ACK"], "§3.10.7.4",
    "A retransmitted SYN means our SYN+ACK was lost: send it again."),
  ESTABLISHED: CHALLENGE_ACK("ESTABLISHED"), FIN_WAIT_1: CHALLENGE_ACK("FIN_WAIT_1"),
  FIN_WAIT_2: CHALLENGE_ACK("FIN_WAIT_2"), CLOSE_WAIT: CHALLENGE_ACK("CLOSE_WAIT"),
  CLOSING: CHALLENGE_ACK("CLOSING"), LAST_ACK: CHALLENGE_ACK("LAST_ACK"),
  TIME_WAIT: go("TIME_WAIT", ["ACK"], "§3.10.7.4 (RFC 5961 §4.2; RFC 6191)",
    "A SYN in TIME_WAIT is answered with an ACK (Linux may instead let a SYN with a higher ISN reuse the pair)."),
};

const DUP_ACK_REPLY = (state: TcpState, what: string): Transition =>
  go(state, ["ACK"], "§3.10.7.4", `A duplicate ${what} is not acceptable: answer with an ACK and stay.`);
const RCV_SYN_ACK: EventColumn = {
  CLOSED: RESET_REPLY("CLOSED"),
  LISTEN: RESET_REPLY("LISTEN"),
  SYN_SENT: go("ESTABLISHED", ["ACK"], "§3.10.7.3", "The SYN+ACK acknowledges our SYN: send ACK, the connection is open."),
  SYN_RCVD: go("ESTABLISHED", [], "§3.5 Fig. 8",
    "Simultaneous open: the peer's SYN+ACK acknowledges our SYN, so both sides are open."),
  ESTABLISHED: DUP_ACK_REPLY("ESTABLISHED", "SYN+ACK (our ACK was lost)"),
  FIN_WAIT_1: DUP_ACK_REPLY("FIN_WAIT_1", "SYN+ACK"), FIN_WAIT_2: DUP_ACK_REPLY("FIN_WAIT_2", "SYN+ACK"),
  CLOSE_WAIT: DUP_ACK_REPLY("CLOSE_WAIT", "SYN+ACK"), CLOSING: DUP_ACK_REPLY("CLOSING", "SYN+ACK"),
  LAST_ACK: DUP_ACK_REPLY("LAST_ACK", "SYN+ACK"), TIME_WAIT: DUP_ACK_REPLY("TIME_WAIT", "SYN+ACK"),
};

const ACK_ONLY = (state: TcpState, note: string): Transition => go(state, [], "§3.10.7.4", note);
const RCV_ACK: EventColumn = {
  CLOSED: RESET_REPLY("CLOSED"),
  LISTEN: RESET_REPLY("LISTEN"),
  SYN_SENT: SYNSENT_BAD_ACK,
  SYN_RCVD: go("ESTABLISHED", [], "§3.10.7.4", "The ACK of our SYN completes the three-way handshake."),
  ESTABLISHED: ACK_ONLY("ESTABLISHED", "An ACK of data advances SND.UNA."),
  FIN_WAIT_1: ACK_ONLY("FIN_WAIT_1", "This ACK covers data, not yet our FIN."),
  FIN_WAIT_2: ACK_ONLY("FIN_WAIT_2", "An ACK with nothing new: still waiting for the peer's FIN."),
  CLOSE_WAIT: ACK_ONLY("CLOSE_WAIT", "An ACK of data we sent after the peer's FIN."),
  CLOSING: ACK_ONLY("CLOSING", "This ACK does not yet cover our FIN."),
  LAST_ACK: ACK_ONLY("LAST_ACK", "This ACK does not yet cover our FIN."),
  TIME_WAIT: ignore("only a retransmitted FIN matters in TIME_WAIT; a plain ACK is dropped", "§3.10.7.4"),
};

const RCV_ACK_OF_FIN: EventColumn = {
  CLOSED: NO_FIN_SENT, LISTEN: NO_FIN_SENT, SYN_SENT: NO_FIN_SENT, SYN_RCVD: NO_FIN_SENT,
  ESTABLISHED: NO_FIN_SENT, CLOSE_WAIT: NO_FIN_SENT,
  FIN_WAIT_1: go("FIN_WAIT_2", [], "§3.10.7.4", "Our FIN is acknowledged: our direction is closed; the peer may still send."),
  FIN_WAIT_2: ACK_ONLY("FIN_WAIT_2", "A duplicate ACK of our FIN changes nothing."),
  CLOSING: go("TIME_WAIT", [], "§3.10.7.4; §3.6 Fig. 13", "Simultaneous close: our FIN is acknowledged, so wait 2MSL."),
  LAST_ACK: go("CLOSED", [], "§3.10.7.4", "The ACK of our FIN ends the passive close: the TCB is deleted."),
  TIME_WAIT: ignore("a duplicate ACK of our FIN is dropped", "§3.10.7.4"),
};

const FIN_ACKED = (state: TcpState, note: string): Transition => go(state, ["ACK"], "§3.10.7.4", note);
const RCV_FIN: EventColumn = {
  CLOSED: RESET_REPLY("CLOSED"),
  LISTEN: RESET_REPLY("LISTEN"),
  SYN_SENT: SYNSENT_BAD_ACK,
  SYN_RCVD: go("CLOSE_WAIT", ["ACK"], "§3.10.7.4",
    "The FIN acknowledges our SYN and closes the peer's direction: ACK it and wait for our application."),
  ESTABLISHED: go("CLOSE_WAIT", ["ACK"], "§3.10.7.4",
    "The peer is done sending: ACK its FIN and wait for our application to close."),
  FIN_WAIT_1: go("CLOSING", ["ACK"], "§3.10.7.4; §3.6 Fig. 13",
    "Simultaneous close: the peer's FIN crossed ours before ours was acknowledged."),
  FIN_WAIT_2: go("TIME_WAIT", ["ACK"], "§3.10.7.4", "The peer's FIN ends the active close: ACK it and wait 2MSL."),
  CLOSE_WAIT: FIN_ACKED("CLOSE_WAIT", "A retransmitted FIN: our ACK was lost, so ACK it again."),
  CLOSING: FIN_ACKED("CLOSING", "A retransmitted FIN: ACK it again."),
  LAST_ACK: FIN_ACKED("LAST_ACK", "A retransmitted FIN: ACK it again."),
  TIME_WAIT: { ...FIN_ACKED("TIME_WAIT", "A retransmitted FIN means our last ACK was lost: ACK again and restart 2MSL."),
    restartsTimeWait: true },
};

const RCV_FIN_ACK_OF_FIN: EventColumn = {
  CLOSED: NO_FIN_SENT, LISTEN: NO_FIN_SENT, SYN_SENT: NO_FIN_SENT, SYN_RCVD: NO_FIN_SENT,
  ESTABLISHED: NO_FIN_SENT, CLOSE_WAIT: NO_FIN_SENT,
  FIN_WAIT_1: go("TIME_WAIT", ["ACK"], "§3.10.7.4",
    "The peer's FIN also acknowledges ours (FIN+ACK merged): skip FIN_WAIT_2 and wait 2MSL."),
  FIN_WAIT_2: go("TIME_WAIT", ["ACK"], "§3.10.7.4", "The peer's FIN ends the active close: ACK it and wait 2MSL."),
  CLOSING: go("TIME_WAIT", ["ACK"], "§3.10.7.4", "A retransmitted FIN that now acknowledges ours: ACK it and wait 2MSL."),
  LAST_ACK: go("CLOSED", [], "§3.10.7.4", "The segment acknowledges our FIN, which ends LAST_ACK."),
  TIME_WAIT: { ...FIN_ACKED("TIME_WAIT", "A retransmitted FIN means our last ACK was lost: ACK again and restart 2MSL."),
    restartsTimeWait: true },
};

const RESET = (state: TcpState): Transition =>
  go("CLOSED", [], "§3.10.7.4", `A RST in ${state} resets the connection: the TCB is deleted.`);
const RCV_RST: EventColumn = {
  CLOSED: ignore("a RST to a connection that does not exist is discarded", "§3.10.7.1"),
  LISTEN: ignore("a RST on a listener is ignored", "§3.10.7.2"),
  SYN_SENT: go("CLOSED", [], "§3.10.7.3", 'A RST answering our SYN: "connection reset" (ECONNREFUSED).'),
  SYN_RCVD: [
    { when: "passiveOpen", outcome: go("LISTEN", [], "§3.10.7.4",
      "A RST in SYN_RCVD after a passive open returns the connection to LISTEN.") },
    { outcome: go("CLOSED", [], "§3.10.7.4", "A RST in SYN_RCVD after an active open: connection refused.") },
  ],
  ESTABLISHED: RESET("ESTABLISHED"), FIN_WAIT_1: RESET("FIN_WAIT_1"), FIN_WAIT_2: RESET("FIN_WAIT_2"),
  CLOSE_WAIT: RESET("CLOSE_WAIT"), CLOSING: RESET("CLOSING"), LAST_ACK: RESET("LAST_ACK"),
  TIME_WAIT: [
    { when: "rfc1337", outcome: ignore("RFC 1337 protection: a RST must not assassinate TIME_WAIT", "RFC 1337 §3") },
    { outcome: go("CLOSED", [], "§3.10.7.4; Linux tcp_timewait_state_process() with tcp_rfc1337=0",
      "A RST kills the TIME_WAIT socket early (Linux default tcp_rfc1337=0).") },
  ],
};

/** Data after close(): the RFC 1122 half-duplex close, which Linux implements (tcp_rcv_state_process). */
const dataWhileClosing = (state: TcpState): readonly Case[] => [
  { when: "orphaned", outcome: go("CLOSED", ["RST"], "§3.6.1; Linux tcp_rcv_state_process() (TCPAbortOnData)",
    "Data arrived after our application closed the socket: nobody can read it, so send a RST.") },
  { outcome: go(state, ["ACK"], "§3.10.7.4",
    "After shutdown(SHUT_WR) we can still receive: the half-closed connection carries data to us.") },
];
const AFTER_PEER_FIN = ignore("the peer already sent its FIN; data after it is ignored", "§3.10.7.4 (seventh)");
const RCV_DATA: EventColumn = {
  CLOSED: RESET_REPLY("CLOSED"),
  LISTEN: RESET_REPLY("LISTEN"),
  SYN_SENT: SYNSENT_BAD_ACK,
  SYN_RCVD: go("ESTABLISHED", ["ACK"], "§3.10.7.4", "Data that acknowledges our SYN opens the connection; ACK it."),
  ESTABLISHED: go("ESTABLISHED", ["ACK"], "§3.10.7.4", "Data is accepted and acknowledged."),
  FIN_WAIT_1: dataWhileClosing("FIN_WAIT_1"),
  FIN_WAIT_2: dataWhileClosing("FIN_WAIT_2"),
  CLOSE_WAIT: AFTER_PEER_FIN, CLOSING: AFTER_PEER_FIN, LAST_ACK: AFTER_PEER_FIN, TIME_WAIT: AFTER_PEER_FIN,
};

// ---------------------------------------------------------------- timeouts (§3.10.8)

const NO_TIMER = (timer: string): Ignored => ignore(`no ${timer} runs in this state`, "§3.10.8");
const RESEND = (state: TcpState, what: string): Transition =>
  go(state, ["RETRANSMIT"], "§3.10.8; RFC 6298 §5", `Resend the oldest unacknowledged segment (${what}) and double the RTO.`);
const RETRANSMIT_TIMEOUT: EventColumn = {
  CLOSED: NO_TIMER("retransmission timer"),
  LISTEN: NO_TIMER("retransmission timer"),
  SYN_SENT: RESEND("SYN_SENT", "the SYN"),
  SYN_RCVD: RESEND("SYN_RCVD", "the SYN+ACK"),
  ESTABLISHED: RESEND("ESTABLISHED", "data"),
  FIN_WAIT_1: RESEND("FIN_WAIT_1", "the FIN, or data before it"),
  FIN_WAIT_2: NO_TIMER("retransmission timer (everything we sent is acknowledged)"),
  CLOSE_WAIT: RESEND("CLOSE_WAIT", "data"),
  CLOSING: RESEND("CLOSING", "the FIN"),
  LAST_ACK: RESEND("LAST_ACK", "the FIN"),
  TIME_WAIT: NO_TIMER("retransmission timer"),
};

const TIME_WAIT_TIMEOUT: EventColumn = {
  CLOSED: NO_TIMER("2MSL timer"), LISTEN: NO_TIMER("2MSL timer"), SYN_SENT: NO_TIMER("2MSL timer"),
  SYN_RCVD: NO_TIMER("2MSL timer"), ESTABLISHED: NO_TIMER("2MSL timer"), FIN_WAIT_1: NO_TIMER("2MSL timer"),
  FIN_WAIT_2: NO_TIMER("2MSL timer"), CLOSE_WAIT: NO_TIMER("2MSL timer"), CLOSING: NO_TIMER("2MSL timer"),
  LAST_ACK: NO_TIMER("2MSL timer"),
  TIME_WAIT: go("CLOSED", [], "§3.10.8", "2MSL has passed: old duplicates are gone, the TCB is deleted."),
};

const FIN_WAIT_2_TIMEOUT: EventColumn = {
  CLOSED: NO_TIMER("FIN_WAIT_2 timer"), LISTEN: NO_TIMER("FIN_WAIT_2 timer"), SYN_SENT: NO_TIMER("FIN_WAIT_2 timer"),
  SYN_RCVD: NO_TIMER("FIN_WAIT_2 timer"), ESTABLISHED: NO_TIMER("FIN_WAIT_2 timer"),
  FIN_WAIT_1: NO_TIMER("FIN_WAIT_2 timer"), CLOSE_WAIT: NO_TIMER("FIN_WAIT_2 timer"),
  CLOSING: NO_TIMER("FIN_WAIT_2 timer"), LAST_ACK: NO_TIMER("FIN_WAIT_2 timer"), TIME_WAIT: NO_TIMER("FIN_WAIT_2 timer"),
  FIN_WAIT_2: [
    { profile: "linux", when: "orphaned", outcome: go("CLOSED", [], "Linux tcp_fin_timeout (ip-sysctl.rst)",
      "The orphaned socket waited tcp_fin_timeout for the peer's FIN; the kernel gives up silently.") },
    { outcome: ignore("RFC 9293 has no FIN_WAIT_2 timer, and Linux times out only orphaned sockets", "§3.10.8") },
  ],
};

const GIVE_UP = (state: TcpState): Transition =>
  go("CLOSED", [], "§3.10.8", `The user timeout expired in ${state}: "connection aborted due to user timeout".`);
const USER_TIMEOUT: EventColumn = {
  CLOSED: NO_TIMER("user timer"),
  LISTEN: NO_TIMER("user timer"),
  SYN_SENT: GIVE_UP("SYN_SENT"), SYN_RCVD: GIVE_UP("SYN_RCVD"), ESTABLISHED: GIVE_UP("ESTABLISHED"),
  FIN_WAIT_1: GIVE_UP("FIN_WAIT_1"), FIN_WAIT_2: GIVE_UP("FIN_WAIT_2"), CLOSE_WAIT: GIVE_UP("CLOSE_WAIT"),
  CLOSING: GIVE_UP("CLOSING"), LAST_ACK: GIVE_UP("LAST_ACK"),
  TIME_WAIT: ignore("nothing awaits acknowledgement in TIME_WAIT; the 2MSL timer ends it", "§3.10.8"),
};

const COLUMNS: Record<TcpEvent, EventColumn> = {
  PASSIVE_OPEN, ACTIVE_OPEN, SEND, CLOSE, SHUTDOWN_WRITE, ABORT,
  RCV_SYN, RCV_SYN_ACK, RCV_ACK, RCV_ACK_OF_FIN, RCV_FIN, RCV_FIN_ACK_OF_FIN, RCV_RST, RCV_DATA,
  RETRANSMIT_TIMEOUT, TIME_WAIT_TIMEOUT, FIN_WAIT_2_TIMEOUT, USER_TIMEOUT,
};

function toCases(cell: Cell): readonly Case[] {
  return Array.isArray(cell) ? (cell as readonly Case[]) : [{ outcome: cell as Outcome }];
}

/** The whole table, one row per (state, event), in RFC state order then event order. */
export const TRANSITION_TABLE: readonly TableRow[] = STATES.flatMap((state) =>
  EVENTS.map((event) => ({ state, event, cases: toCases(COLUMNS[event][state]) })),
);
