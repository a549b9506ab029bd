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
 * - rfc5961: the profile implements RFC 5961 (exact RST, challenge ACKs); see profiles.ts.
 */
export type Guard = "passiveOpen" | "orphaned" | "unreadData" | "linger0" | "rfc1337" | "rfc5961";
export const GUARDS: readonly Guard[] = ["passiveOpen", "orphaned", "unreadData", "linger0", "rfc1337", "rfc5961"];
/** Guards that are switches of the profile, not flags of the endpoint. */
export const PROFILE_GUARDS: readonly Guard[] = ["rfc1337", "rfc5961"];

export interface Transition {
  readonly kind: "transition";
  readonly next: TcpState;
  readonly send: readonly SendKind[];
  readonly ref: string;
  /** One sentence for learners. */
  readonly note: string;
  /** A self-loop that restarts the 2MSL timer (a retransmitted FIN in TIME_WAIT). */
  readonly restartsTimeWait?: boolean;
  /** The segment's text is not taken (RCV.NXT does not move over it). */
  readonly discardsText?: boolean;
  /** Seconds: the retransmission timer, if running and nothing was retransmitted yet, fires this soon. */
  readonly retransmitAfter?: number;
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
/** SEND after our FIN: the SEND call's own rule (RFC 9293 §3.10.2), not CLOSE's. */
const SEND_CLOSING_ERROR = refuse('error: "connection closing"', "§3.10.2");
const NO_FIN_SENT = refuse(
  "cannot arise: this state has sent no FIN, so the classifier yields the plain ACK/FIN event instead",
  "§3.10.7.4",
);
const RESET_REPLY = (state: TcpState): Transition =>
  go(state, ["RST"], state === "CLOSED" ? "§3.10.7.1" : "§3.10.7.2 second",
    state === "CLOSED"
      ? "No connection exists, so anything but a RST is answered with a RST."
      : "A listener answers any segment carrying an ACK with a RST <SEQ=SEG.ACK>.");

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
  FIN_WAIT_1: SEND_CLOSING_ERROR, FIN_WAIT_2: SEND_CLOSING_ERROR, CLOSING: SEND_CLOSING_ERROR,
  LAST_ACK: SEND_CLOSING_ERROR, TIME_WAIT: SEND_CLOSING_ERROR,
};

/** RFC 9293 CLOSE: "I have no more to send". The socket API spells it shutdown(SHUT_WR). */
const SHUTDOWN_WRITE: EventColumn = {
  CLOSED: NO_CONNECTION,
  LISTEN: [
    { profile: "linux", outcome: ignore("shutdown(SHUT_WR) on a listener does nothing; only SHUT_RD or SHUT_RDWR stops it",
      "Linux inet_shutdown() (case TCP_LISTEN)") },
    { outcome: go("CLOSED", [], "§3.10.4", "Closing a listener deletes its TCB.") },
  ],
  SYN_SENT: go("CLOSED", [], "§3.10.4", "Closing before the handshake completes deletes the TCB; nothing is sent."),
  SYN_RCVD: go("FIN_WAIT_1", ["FIN"], "§3.10.4", "With nothing queued, a FIN goes out at once."),
  ESTABLISHED: go("FIN_WAIT_1", ["FIN"], "§3.10.4", "Our side is done sending: a FIN goes out."),
  CLOSE_WAIT: go("LAST_ACK", ["FIN"], "§3.10.4", "The peer already closed; our FIN closes the other direction."),
  FIN_WAIT_1: CLOSING_ERROR, FIN_WAIT_2: CLOSING_ERROR, CLOSING: CLOSING_ERROR, LAST_ACK: CLOSING_ERROR,
  TIME_WAIT: CLOSING_ERROR,
};

/**
 * shutdown(SHUT_RD): a sockets-API call with no RFC 9293 counterpart. Nothing is sent; reads
 * return end of file. On a listener or a connection still opening it disconnects
 * (Linux inet_shutdown(): TCP_LISTEN with RCV_SHUTDOWN, TCP_SYN_SENT → disconnect).
 */
const READ_SHUT = ignore("only the receiving half is shut: nothing is sent, and reads return end of file",
  "sockets API; Linux inet_shutdown()");
const SHUTDOWN_READ: EventColumn = {
  CLOSED: refuse('error: "not connected" (ENOTCONN)', "Linux inet_shutdown()"),
  LISTEN: go("CLOSED", [], "Linux inet_shutdown() → tcp_disconnect()", "shutdown(SHUT_RD) stops a listener: its TCB is deleted."),
  SYN_SENT: go("CLOSED", [], "Linux inet_shutdown() → tcp_disconnect()",
    "shutdown() while connecting disconnects: the TCB is deleted, nothing is sent."),
  SYN_RCVD: READ_SHUT, ESTABLISHED: READ_SHUT, FIN_WAIT_1: READ_SHUT, FIN_WAIT_2: READ_SHUT, CLOSE_WAIT: READ_SHUT,
  CLOSING: READ_SHUT, LAST_ACK: READ_SHUT, TIME_WAIT: READ_SHUT,
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
/**
 * close() after shutdown(SHUT_WR). Linux __tcp_close() checks unread data first in every
 * state but LISTEN and CLOSE (RST), then SO_LINGER 0 (tcp_disconnect(): a RST only where
 * tcp_need_reset() says so: FIN_WAIT_1/2 here); otherwise the socket is orphaned and keeps
 * its state. RFC 9293 §3.10.4 allows an "ok" (no second FIN) only in FIN-WAIT-1/2; in
 * CLOSING, LAST-ACK and TIME-WAIT it says "error: connection closing".
 */
const RELEASE_FIN_WAIT = ignore("the socket is released to the kernel (orphaned); no second FIN is sent",
  "§3.10.4 (FIN-WAIT-1/2: an \"ok\" is allowed); Linux __tcp_close()");
const RELEASE_LATE = ignore("the socket is released to the kernel (orphaned) and keeps its state; nothing is sent",
  "Linux __tcp_close() (RFC 9293 §3.10.4 would answer \"error: connection closing\")");
const closeAfterShutdown = (state: TcpState): readonly Case[] => {
  const finWait = state === "FIN_WAIT_1" || state === "FIN_WAIT_2";
  const abort = finWait ? ABORT_RST(state) : ABORT_SILENT(state);
  const cases: Case[] = [];
  if (state === "TIME_WAIT") {
    cases.push({ profile: "linux", outcome: ignore("the connection is a timewait socket; the application's socket was already closed when it entered TIME_WAIT, so close() sends nothing, SO_LINGER or not",
      "Linux tcp_time_wait() → tcp_done()") });
  }
  cases.push(
    { when: "linger0", outcome: { ...abort, ref: "§3.10.5; SO_LINGER 0 (Linux __tcp_close() → tcp_disconnect(), tcp_need_reset())",
      note: `close() with SO_LINGER 0 in ${state} aborts: ${finWait ? "a RST goes out" : "no RST is sent from this state"}, the TCB is deleted.` } },
  );
  if (state !== "TIME_WAIT") {
    cases.push({ when: "unreadData", outcome: go("CLOSED", ["RST"], "§3.6.1; RFC 2525 §2.17; Linux __tcp_close()",
      `close() with unread received data in ${state} sends a RST to show the data was lost.`) });
  }
  cases.push({ profile: "linux", outcome: finWait ? RELEASE_FIN_WAIT : RELEASE_LATE });
  cases.push({ outcome: CLOSING_ERROR });
  return cases;
};
const CLOSE: EventColumn = {
  CLOSED: NO_CONNECTION,
  LISTEN: go("CLOSED", [], "§3.10.4", "Closing a listener deletes its TCB."),
  SYN_SENT: SHUTDOWN_WRITE.SYN_SENT,
  SYN_RCVD: closeCases("SYN_RCVD", SHUTDOWN_WRITE.SYN_RCVD as Outcome),
  ESTABLISHED: closeCases("ESTABLISHED", SHUTDOWN_WRITE.ESTABLISHED as Outcome),
  CLOSE_WAIT: closeCases("CLOSE_WAIT", SHUTDOWN_WRITE.CLOSE_WAIT as Outcome),
  FIN_WAIT_1: closeAfterShutdown("FIN_WAIT_1"), FIN_WAIT_2: closeAfterShutdown("FIN_WAIT_2"),
  CLOSING: closeAfterShutdown("CLOSING"), LAST_ACK: closeAfterShutdown("LAST_ACK"), TIME_WAIT: closeAfterShutdown("TIME_WAIT"),
};

// ---------------------------------------------------------------- segment arrivals (§3.10.7)
//
// A segment reaches these columns after the checks of ./checks.ts have judged it: RCV_SYN …
// RCV_DATA are segments that passed them; the last seven columns are what the checks
// yield for the rest. A "RST" sent in reply to a segment takes the §3.5.2 form: <SEQ=SEG.ACK>
// when the segment had an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. An "ACK"
// is <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.

const CANNOT_ARISE = (why: string): Refused => refuse(`cannot arise: ${why}`, "§3.10.7");
const JUDGED_AS_SYN = CANNOT_ARISE("a SYN+ACK in a synchronized state is judged as a SYN (RCV_SYN or RCV_UNACCEPTABLE)");
const NO_WINDOW = CANNOT_ARISE("this state has no receive window yet, so the sequence checks do not apply");

const CHALLENGE_ACK = (state: TcpState, what: string): Transition =>
  go(state, ["ACK"], "§3.10.7.4; RFC 5961 §3.2, §4.2",
    `${what} draws a challenge ACK: a peer that really lost the connection will answer it with a RST at RCV.NXT.`);
/** Linux turns an orphaned FIN_WAIT_2 socket into a timewait socket with its own checks. */
const FW2_SUBSTATE = "Linux tcp_timewait_state_process() (FIN_WAIT2 substate, after tcp_time_wait())";
const RFC793_SYN_RESET = go("CLOSED", ["RST"], "RFC 793 §3.9 (RFC 5961 off)",
  "Without RFC 5961, a SYN in the window is an error: send a RST and delete the TCB.");
const syncSyn = (state: TcpState): readonly Case[] => [
  { when: "rfc5961", outcome: CHALLENGE_ACK(state, "A SYN in a synchronized state") },
  { outcome: RFC793_SYN_RESET },
];
const RCV_SYN: EventColumn = {
  CLOSED: RESET_REPLY("CLOSED"),
  LISTEN: [
    { profile: "linux", outcome: { ...go("SYN_RCVD", ["SYN+ACK"], "§3.10.7.2 third; Linux tcp_conn_request() (data on a SYN is dropped)",
      "A SYN on a listener: answer SYN+ACK (ack = IRS + 1: Linux drops data carried on the SYN) and wait for the ACK."), discardsText: true } },
    { outcome: go("SYN_RCVD", ["SYN+ACK"], "§3.10.7.2 third",
      "A SYN on a listener: answer SYN+ACK and wait for the ACK; data on the SYN is queued for later (ack = IRS + 1 + length).") },
  ],
  SYN_SENT: [
    { profile: "linux", outcome: { ...go("SYN_RCVD", ["SYN+ACK"], "§3.5 Figure 7; Linux tcp_rcv_synsent_state_process() (rcv_nxt = seq + 1)",
      "Simultaneous open: a bare SYN crossed ours, so we answer SYN+ACK (Linux drops data on it)."), discardsText: true } },
    { outcome: go("SYN_RCVD", ["SYN+ACK"], "§3.10.7.3 fourth; §3.5 Figure 7",
      "Simultaneous open: a bare SYN crossed ours, so we answer SYN+ACK.") },
  ],
  SYN_RCVD: [
    { profile: "linux", when: "passiveOpen", outcome: go("LISTEN", ["RST"], "Linux tcp_check_req() (embryonic_reset)",
      "A new SYN in the window of a half-open connection: Linux answers with a RST and forgets the request.") },
    { when: "passiveOpen", outcome: go("LISTEN", [], "§3.10.7.4 fourth",
      "A SYN in the window after a passive open returns the connection to LISTEN.") },
    ...syncSyn("SYN_RCVD"),
  ],
  ESTABLISHED: syncSyn("ESTABLISHED"), FIN_WAIT_1: syncSyn("FIN_WAIT_1"),
  FIN_WAIT_2: [
    { profile: "linux", when: "orphaned", outcome: go("CLOSED", ["RST"], FW2_SUBSTATE,
      "An orphaned FIN_WAIT_2 is a timewait socket: a SYN in its window draws a RST and ends it (TCP_TW_RST).") },
    ...syncSyn("FIN_WAIT_2"),
  ],
  CLOSE_WAIT: syncSyn("CLOSE_WAIT"), CLOSING: syncSyn("CLOSING"), LAST_ACK: syncSyn("LAST_ACK"),
  TIME_WAIT: [
    { profile: "linux", when: "passiveOpen", outcome: go("SYN_RCVD", ["SYN+ACK"],
      "§3.6.1 (MAY-2); RFC 6191; Linux tcp_timewait_state_process() TCP_TW_SYN",
      "A SYN newer than RCV.NXT reuses the 4-tuple: the listener takes it as a new connection, with an ISS above the old one.") },
    { profile: "linux", outcome: go("TIME_WAIT", ["ACK"], "Linux tcp_timewait_state_process(), tcp_v4_rcv() (no listener: TCP_TW_ACK)",
      "A newer SYN with no listener on this port is acknowledged like any other segment.") },
    { when: "rfc5961", outcome: CHALLENGE_ACK("TIME_WAIT", "A SYN in TIME_WAIT (without timestamps, RFC 6191 cannot vouch for it)") },
    { outcome: RFC793_SYN_RESET },
  ],
};

const RCV_SYN_ACK: EventColumn = {
  CLOSED: RESET_REPLY("CLOSED"),
  LISTEN: RESET_REPLY("LISTEN"),
  SYN_SENT: [
    { profile: "linux", outcome: { ...go("ESTABLISHED", ["ACK"], "Linux tcp_rcv_synsent_state_process() (observed on 6.18)",
      "The SYN+ACK acknowledges our SYN: send ACK, the connection is open; Linux discards data carried on it (ack = IRS + 1)."),
      discardsText: true } },
    { outcome: go("ESTABLISHED", ["ACK"], "§3.10.7.3 fourth",
      "The SYN+ACK acknowledges our SYN: send ACK, the connection is open; data on it is accepted (ack = IRS + 1 + length).") },
  ],
  SYN_RCVD: [
    { profile: "linux", outcome: go("ESTABLISHED", ["ACK"], "Linux tcp_rcv_state_process() (observed on 6.18)",
      "Simultaneous open: the peer's SYN+ACK acknowledges our SYN; its SYN is older than RCV.NXT, so Linux also acknowledges it.") },
    { outcome: go("ESTABLISHED", [], "§3.5 Figure 7",
      "Simultaneous open: the peer's SYN+ACK acknowledges our SYN, so both sides are open.") },
  ],
  ESTABLISHED: JUDGED_AS_SYN, FIN_WAIT_1: JUDGED_AS_SYN, FIN_WAIT_2: JUDGED_AS_SYN, CLOSE_WAIT: JUDGED_AS_SYN,
  CLOSING: JUDGED_AS_SYN, LAST_ACK: JUDGED_AS_SYN, TIME_WAIT: JUDGED_AS_SYN,
};

const SYNSENT_DROP = ignore("neither SYN nor RST: drop the segment", "§3.10.7.3 fifth");
const ACK_ONLY = (state: TcpState, note: string): Transition => go(state, [], "§3.10.7.4 fifth", note);
/** TIME_WAIT and an acceptable segment: RFC 9293 acknowledges it and restarts 2MSL; Linux re-arms on a bare ACK only. */
const TW_RFC_ACK: Transition = { ...go("TIME_WAIT", ["ACK"], "§3.10.7.4 fifth (TIME-WAIT)",
  "TIME_WAIT acknowledges an acceptable segment and restarts 2MSL."), restartsTimeWait: true };
/**
 * A bare ACK at RCV.NXT in TIME_WAIT restarts 2MSL and is not answered. RFC 9293's fifth
 * step says "acknowledge it, and restart", but of the one segment it expects there, a
 * retransmitted FIN; answering a bare ACK with an ACK would make the two TIME_WAIT ends
 * of a simultaneous close acknowledge each other forever. Linux sends nothing either.
 */
const TW_BARE_ACK: Transition = { ...go("TIME_WAIT", [],
  "§3.10.7.4 fifth (TIME-WAIT); Linux tcp_timewait_state_process() (\"in window segment, it may be only reset or bare ack\")",
  "A bare ACK at RCV.NXT restarts 2MSL; it is not answered (an ACK is never sent for a bare ACK, or two TIME_WAIT ends would ACK each other forever)."),
  restartsTimeWait: true };
const RCV_ACK: EventColumn = {
  CLOSED: RESET_REPLY("CLOSED"),
  LISTEN: RESET_REPLY("LISTEN"),
  SYN_SENT: SYNSENT_DROP,
  SYN_RCVD: go("ESTABLISHED", [], "§3.10.7.4 fifth", "The ACK of our SYN completes the three-way handshake."),
  ESTABLISHED: ACK_ONLY("ESTABLISHED", "An ACK of data advances SND.UNA."),
  FIN_WAIT_1: ACK_ONLY("FIN_WAIT_1", "This ACK covers data, not yet our FIN."),
  FIN_WAIT_2: ACK_ONLY("FIN_WAIT_2", "An ACK with nothing new: still waiting for the peer's FIN."),
  CLOSE_WAIT: ACK_ONLY("CLOSE_WAIT", "An ACK of data we sent after the peer's FIN."),
  CLOSING: ACK_ONLY("CLOSING", "This ACK does not yet cover our FIN."),
  LAST_ACK: ACK_ONLY("LAST_ACK", "This ACK does not yet cover our FIN."),
  TIME_WAIT: TW_BARE_ACK,
};

const RCV_ACK_OF_FIN: EventColumn = {
  CLOSED: NO_FIN_SENT, LISTEN: NO_FIN_SENT, SYN_SENT: NO_FIN_SENT, SYN_RCVD: NO_FIN_SENT,
  ESTABLISHED: NO_FIN_SENT, CLOSE_WAIT: NO_FIN_SENT,
  FIN_WAIT_1: go("FIN_WAIT_2", [], "§3.10.7.4 fifth", "Our FIN is acknowledged: our direction is closed; the peer may still send."),
  FIN_WAIT_2: ACK_ONLY("FIN_WAIT_2", "A duplicate ACK of our FIN changes nothing."),
  CLOSING: go("TIME_WAIT", [], "§3.10.7.4 fifth; §3.6 Figure 13", "Simultaneous close: our FIN is acknowledged, so wait 2MSL."),
  LAST_ACK: go("CLOSED", [], "§3.10.7.4 fifth", "The ACK of our FIN ends the passive close: the TCB is deleted."),
  TIME_WAIT: TW_BARE_ACK,
};

const FIN_ACKED = (state: TcpState, note: string): Transition => go(state, ["ACK"], "§3.10.7.4 eighth", note);
const FIN_AFTER_FIN_LINUX = ignore("after the peer's FIN, a segment at or beyond RCV.NXT is not queued, so nothing answers it",
  "Linux tcp_rcv_state_process() (CLOSE_WAIT, CLOSING, LAST_ACK: !before(seq, rcv_nxt) → break)");
const RCV_FIN: EventColumn = {
  CLOSED: RESET_REPLY("CLOSED"),
  LISTEN: RESET_REPLY("LISTEN"),
  SYN_SENT: SYNSENT_DROP,
  SYN_RCVD: go("CLOSE_WAIT", ["ACK"], "§3.10.7.4 fifth, eighth",
    "The FIN acknowledges our SYN and closes the peer's direction: ACK it and wait for our application."),
  ESTABLISHED: go("CLOSE_WAIT", ["ACK"], "§3.10.7.4 eighth",
    "The peer is done sending: ACK its FIN and wait for our application to close."),
  FIN_WAIT_1: go("CLOSING", ["ACK"], "§3.10.7.4 eighth; §3.6 Figure 13",
    "Simultaneous close: the peer's FIN crossed ours before ours was acknowledged."),
  FIN_WAIT_2: go("TIME_WAIT", ["ACK"], "§3.10.7.4 eighth", "The peer's FIN ends the active close: ACK it and wait 2MSL."),
  CLOSE_WAIT: [{ profile: "linux", outcome: FIN_AFTER_FIN_LINUX },
    { outcome: FIN_ACKED("CLOSE_WAIT", "A FIN at RCV.NXT after the peer's FIN: stay and ACK (a retransmitted FIN is older, RCV_UNACCEPTABLE).") }],
  CLOSING: [{ profile: "linux", outcome: FIN_AFTER_FIN_LINUX }, { outcome: FIN_ACKED("CLOSING", "A FIN at RCV.NXT after the peer's FIN: stay and ACK.") }],
  LAST_ACK: [{ profile: "linux", outcome: FIN_AFTER_FIN_LINUX }, { outcome: FIN_ACKED("LAST_ACK", "A FIN at RCV.NXT after the peer's FIN: stay and ACK.") }],
  TIME_WAIT: { ...FIN_ACKED("TIME_WAIT", "A FIN in TIME_WAIT is acknowledged and restarts 2MSL."), restartsTimeWait: true },
};

const RCV_FIN_ACK_OF_FIN: EventColumn = {
  CLOSED: NO_FIN_SENT, LISTEN: NO_FIN_SENT, SYN_SENT: NO_FIN_SENT, SYN_RCVD: NO_FIN_SENT,
  ESTABLISHED: NO_FIN_SENT, CLOSE_WAIT: NO_FIN_SENT,
  FIN_WAIT_1: go("TIME_WAIT", ["ACK"], "§3.10.7.4 fifth, eighth",
    "The peer's FIN also acknowledges ours (FIN+ACK merged): skip FIN_WAIT_2 and wait 2MSL."),
  FIN_WAIT_2: go("TIME_WAIT", ["ACK"], "§3.10.7.4 eighth", "The peer's FIN ends the active close: ACK it and wait 2MSL."),
  CLOSING: [
    { profile: "linux", outcome: go("TIME_WAIT", [], "Linux tcp_rcv_state_process() (CLOSING: tcp_time_wait(), the segment consumed)",
      "A segment that acknowledges our FIN ends CLOSING; Linux does not answer its FIN again.") },
    { outcome: go("TIME_WAIT", ["ACK"], "§3.10.7.4 fifth, eighth", "A FIN that now acknowledges ours: ACK it and wait 2MSL.") },
  ],
  LAST_ACK: go("CLOSED", [], "§3.10.7.4 fifth", "The segment acknowledges our FIN, which ends LAST_ACK."),
  TIME_WAIT: { ...FIN_ACKED("TIME_WAIT", "A FIN in TIME_WAIT is acknowledged and restarts 2MSL."), restartsTimeWait: true },
};

const RESET = (state: TcpState): Transition =>
  go("CLOSED", [], "§3.10.7.4 second", `A RST at RCV.NXT in ${state} resets the connection: the TCB is deleted.`);
const TW_RESET = go("CLOSED", [], "§3.10.7.4 second; Linux tcp_timewait_state_process() with tcp_rfc1337=0",
  "A RST kills the TIME_WAIT socket early (Linux default tcp_rfc1337=0).");
const RFC1337_IGNORE = ignore("RFC 1337 protection: a RST must not assassinate TIME_WAIT", "RFC 1337 §3");
const RCV_RST: EventColumn = {
  CLOSED: ignore("a RST to a connection that does not exist is discarded", "§3.10.7.1"),
  LISTEN: ignore("a RST on a listener is ignored", "§3.10.7.2 first"),
  SYN_SENT: go("CLOSED", [], "§3.10.7.3 second",
    'A RST whose ACK acknowledges our SYN: "connection reset" (connect() fails with ECONNREFUSED).'),
  SYN_RCVD: [
    { when: "passiveOpen", outcome: go("LISTEN", [], "§3.10.7.4 second",
      "A RST in SYN_RCVD after a passive open returns the connection to LISTEN.") },
    { outcome: go("CLOSED", [], "§3.10.7.4 second", "A RST in SYN_RCVD after an active open: connection refused.") },
  ],
  ESTABLISHED: RESET("ESTABLISHED"), FIN_WAIT_1: RESET("FIN_WAIT_1"), FIN_WAIT_2: RESET("FIN_WAIT_2"),
  CLOSE_WAIT: RESET("CLOSE_WAIT"), CLOSING: RESET("CLOSING"), LAST_ACK: RESET("LAST_ACK"),
  TIME_WAIT: [{ when: "rfc1337", outcome: RFC1337_IGNORE }, { outcome: TW_RESET }],
};

const RFC793_RESET = (state: TcpState): Transition =>
  go("CLOSED", [], "RFC 793 §3.9 (RFC 5961 off)", `Without RFC 5961 any RST in the window resets ${state}.`);
const inWindowRst = (state: TcpState): readonly Case[] => [
  { when: "rfc5961", outcome: CHALLENGE_ACK(state, "A RST in the window but not at RCV.NXT") },
  { outcome: RFC793_RESET(state) },
];
const RCV_RST_IN_WINDOW: EventColumn = {
  CLOSED: NO_WINDOW, LISTEN: NO_WINDOW, SYN_SENT: NO_WINDOW,
  SYN_RCVD: [
    { when: "rfc5961", outcome: CHALLENGE_ACK("SYN_RCVD", "A RST in the window but not at RCV.NXT") },
    { when: "passiveOpen", outcome: go("LISTEN", [], "RFC 793 §3.9 (RFC 5961 off)",
      "Without RFC 5961 any RST in the window returns a passive open to LISTEN.") },
    { outcome: RFC793_RESET("SYN_RCVD") },
  ],
  ESTABLISHED: inWindowRst("ESTABLISHED"), FIN_WAIT_1: inWindowRst("FIN_WAIT_1"),
  FIN_WAIT_2: [
    { profile: "linux", when: "orphaned", outcome: go("CLOSED", [], FW2_SUBSTATE,
      "An orphaned FIN_WAIT_2 is a timewait socket, which any RST in its window kills (no RFC 5961 check there).") },
    ...inWindowRst("FIN_WAIT_2"),
  ],
  CLOSE_WAIT: inWindowRst("CLOSE_WAIT"), CLOSING: inWindowRst("CLOSING"), LAST_ACK: inWindowRst("LAST_ACK"),
  TIME_WAIT: [
    { profile: "linux", outcome: ignore("a TIME_WAIT socket takes only a RST at RCV.NXT; any other is dropped",
      "Linux tcp_timewait_state_process()") },
    { when: "rfc5961", outcome: CHALLENGE_ACK("TIME_WAIT", "A RST in the window but not at RCV.NXT") },
    { when: "rfc1337", outcome: RFC1337_IGNORE },
    { outcome: RFC793_RESET("TIME_WAIT") },
  ],
};

const DROP_RST = ignore("a RST that fails the checks is dropped, and never answered", "§3.10.7.4 first; §3.10.7.3");
const RCV_RST_UNACCEPTABLE: EventColumn = {
  CLOSED: NO_WINDOW, LISTEN: NO_WINDOW,
  SYN_SENT: ignore("a RST whose ACK does not acknowledge our SYN (or has none) is dropped", "§3.10.7.3 first, second"),
  SYN_RCVD: DROP_RST, ESTABLISHED: DROP_RST, FIN_WAIT_1: DROP_RST,
  FIN_WAIT_2: [
    { profile: "linux", when: "orphaned", outcome: go("FIN_WAIT_2", ["ACK"], FW2_SUBSTATE,
      "An orphaned FIN_WAIT_2 acknowledges any segment outside its window, a RST included.") },
    { outcome: DROP_RST },
  ],
  CLOSE_WAIT: DROP_RST,
  CLOSING: DROP_RST, LAST_ACK: DROP_RST, TIME_WAIT: DROP_RST,
};

/** Data after close(): the RFC 1122 half-duplex close, which Linux implements (tcp_rcv_state_process). */
const dataWhileClosing = (state: TcpState, what: string): readonly Case[] => [
  { when: "orphaned", outcome: go("CLOSED", ["RST"], "§3.6.1; Linux tcp_rcv_state_process() (TCPAbortOnData)",
    "Data arrived after our application closed the socket: nobody can read it, so send a RST.") },
  { outcome: go(state, ["ACK"], "§3.10.7.4 seventh", what) },
];
const AFTER_PEER_FIN = ignore("the peer already sent its FIN; text after it is ignored", "§3.10.7.4 seventh");
const RCV_DATA: EventColumn = {
  CLOSED: RESET_REPLY("CLOSED"),
  LISTEN: RESET_REPLY("LISTEN"),
  SYN_SENT: SYNSENT_DROP,
  SYN_RCVD: go("ESTABLISHED", ["ACK"], "§3.10.7.4 fifth, seventh", "Data that acknowledges our SYN opens the connection; ACK it."),
  ESTABLISHED: go("ESTABLISHED", ["ACK"], "§3.10.7.4 seventh", "Data is accepted and acknowledged."),
  FIN_WAIT_1: dataWhileClosing("FIN_WAIT_1", "After shutdown(SHUT_WR) we can still receive: the half-closed connection carries data to us."),
  FIN_WAIT_2: dataWhileClosing("FIN_WAIT_2", "After shutdown(SHUT_WR) we can still receive: the half-closed connection carries data to us."),
  CLOSE_WAIT: AFTER_PEER_FIN, CLOSING: AFTER_PEER_FIN, LAST_ACK: AFTER_PEER_FIN,
  TIME_WAIT: TW_RFC_ACK,
};

const ONLY_SYN_RCVD = CANNOT_ARISE("only SYN_RCVD knows the peer's SYN as the one segment before RCV.NXT");
const RCV_SYN_AGAIN: EventColumn = {
  CLOSED: ONLY_SYN_RCVD, LISTEN: ONLY_SYN_RCVD, SYN_SENT: ONLY_SYN_RCVD,
  SYN_RCVD: [
    { profile: "linux", when: "passiveOpen", outcome: go("SYN_RCVD", ["SYN+ACK"], "Linux tcp_check_req() (inet_rtx_syn_ack)",
      "The peer's SYN again means our SYN+ACK was lost: Linux sends it again.") },
    { outcome: go("SYN_RCVD", ["ACK"], "§3.10.7.4 first",
      "SEG.SEQ = IRS is below RCV.NXT: unacceptable, so an ACK <SEQ=SND.NXT><ACK=RCV.NXT> answers it.") },
  ],
  ESTABLISHED: ONLY_SYN_RCVD, FIN_WAIT_1: ONLY_SYN_RCVD, FIN_WAIT_2: ONLY_SYN_RCVD, CLOSE_WAIT: ONLY_SYN_RCVD,
  CLOSING: ONLY_SYN_RCVD, LAST_ACK: ONLY_SYN_RCVD, TIME_WAIT: ONLY_SYN_RCVD,
};

const UNACCEPTABLE_ACK = (state: TcpState): Transition => go(state, ["ACK"], "§3.10.7.4 first",
  "The segment is outside the window (an old duplicate, or beyond it): ACK what we expect and drop it.");
const RCV_UNACCEPTABLE: EventColumn = {
  CLOSED: NO_WINDOW, LISTEN: NO_WINDOW, SYN_SENT: NO_WINDOW,
  SYN_RCVD: UNACCEPTABLE_ACK("SYN_RCVD"), ESTABLISHED: UNACCEPTABLE_ACK("ESTABLISHED"),
  FIN_WAIT_1: UNACCEPTABLE_ACK("FIN_WAIT_1"), FIN_WAIT_2: UNACCEPTABLE_ACK("FIN_WAIT_2"),
  CLOSE_WAIT: UNACCEPTABLE_ACK("CLOSE_WAIT"), CLOSING: UNACCEPTABLE_ACK("CLOSING"), LAST_ACK: UNACCEPTABLE_ACK("LAST_ACK"),
  TIME_WAIT: [
    { profile: "linux", outcome: { ...go("TIME_WAIT", ["ACK"], "Linux tcp_timewait_state_process() (TCP_TW_ACK)",
      "TIME_WAIT acknowledges the segment (a retransmitted FIN, most often) and re-arms its timer."), restartsTimeWait: true } },
    { outcome: { ...go("TIME_WAIT", ["ACK"], "§3.10.7.4 first and fifth (TIME-WAIT)",
      "A retransmitted FIN is older than RCV.NXT, so it fails the first check; the fifth step's TIME-WAIT rule says what it means: acknowledge it and restart 2MSL."),
      restartsTimeWait: true } },
  ],
};

const NOT_SENT = ignore("no ACK field can be unacceptable here: any ACK on a listener draws a RST", "§3.10.7.2 second");
const BAD_ACK_REPLY = (state: TcpState, ref: string): Transition => go(state, ["RST"], ref,
  "The ACK acknowledges nothing we sent: a RST <SEQ=SEG.ACK> answers it, and the connection stays.");
const ACK_UNSENT = (state: TcpState): Transition => go(state, ["ACK"], "§3.10.7.4 fifth; Linux tcp_ack() (challenge ACK)",
  "The ACK acknowledges data not yet sent: send an ACK, drop the segment.");
const RCV_BAD_ACK: EventColumn = {
  CLOSED: CANNOT_ARISE("no connection: the segment is answered by its control bits"), LISTEN: NOT_SENT,
  SYN_SENT: [
    { profile: "linux", outcome: { ...go("SYN_SENT", ["RST"], "§3.10.7.3 first; Linux tcp_rcv_synsent_state_process() (TCP_TIMEOUT_MIN)",
      "The ACK acknowledges nothing we sent: a RST <SEQ=SEG.ACK> answers it; Linux also resends its SYN two ticks later, in case a stale segment was in the way."),
      retransmitAfter: 0.008 } },
    { outcome: BAD_ACK_REPLY("SYN_SENT", "§3.10.7.3 first") },
  ],
  SYN_RCVD: BAD_ACK_REPLY("SYN_RCVD", "§3.10.7.4 fifth (SYN-RECEIVED); Linux tcp_check_req()"),
  ESTABLISHED: ACK_UNSENT("ESTABLISHED"),
  FIN_WAIT_1: ACK_UNSENT("FIN_WAIT_1"),
  FIN_WAIT_2: [
    { profile: "linux", when: "orphaned", outcome: ignore("a timewait socket does not check the ACK field: a bare segment is a duplicate ACK, dropped",
      FW2_SUBSTATE) },
    { outcome: ACK_UNSENT("FIN_WAIT_2") },
  ],
  CLOSE_WAIT: ACK_UNSENT("CLOSE_WAIT"),
  CLOSING: ACK_UNSENT("CLOSING"), LAST_ACK: ACK_UNSENT("LAST_ACK"),
  TIME_WAIT: [
    { profile: "linux", outcome: { ...go("TIME_WAIT", [], "Linux tcp_timewait_state_process() (the ACK field is not checked)",
      "A bare segment at RCV.NXT re-arms the TIME_WAIT timer whatever it acknowledges."), restartsTimeWait: true } },
    { outcome: ACK_UNSENT("TIME_WAIT") },
  ],
};

const FIFTH_DROP = ignore("the ACK bit is off: drop the segment", "§3.10.7.4 fifth");
const RCV_NO_ACK: EventColumn = {
  CLOSED: RESET_REPLY("CLOSED"),
  LISTEN: ignore("neither SYN nor ACK: drop the segment", "§3.10.7.2 fourth"),
  SYN_SENT: SYNSENT_DROP,
  SYN_RCVD: FIFTH_DROP, ESTABLISHED: FIFTH_DROP, FIN_WAIT_1: FIFTH_DROP, FIN_WAIT_2: FIFTH_DROP, CLOSE_WAIT: FIFTH_DROP,
  CLOSING: FIFTH_DROP, LAST_ACK: FIFTH_DROP,
  TIME_WAIT: [
    { profile: "linux", outcome: go("TIME_WAIT", ["ACK"], "Linux tcp_timewait_state_process()",
      "A segment without ACK is acknowledged; only a segment with ACK re-arms the timer.") },
    { outcome: FIFTH_DROP },
  ],
};

const RCV_OUT_OF_ORDER: EventColumn = {
  CLOSED: NO_WINDOW, LISTEN: NO_WINDOW, SYN_SENT: NO_WINDOW,
  SYN_RCVD: go("ESTABLISHED", ["ACK"], "§3.10.7.4 fifth, seventh; RFC 5681 §4.2",
    "Its ACK completes the handshake; its text is beyond RCV.NXT, so a duplicate ACK says what we expect."),
  ESTABLISHED: go("ESTABLISHED", ["ACK"], "§3.10.7.4 seventh; RFC 5681 §4.2",
    "Out of order: the text waits for the gap (this model drops it) and an immediate duplicate ACK says what we expect."),
  FIN_WAIT_1: dataWhileClosing("FIN_WAIT_1", "Out of order: an immediate duplicate ACK says what we expect (RFC 5681 §4.2)."),
  FIN_WAIT_2: dataWhileClosing("FIN_WAIT_2", "Out of order: an immediate duplicate ACK says what we expect (RFC 5681 §4.2)."),
  CLOSE_WAIT: AFTER_PEER_FIN, CLOSING: AFTER_PEER_FIN, LAST_ACK: AFTER_PEER_FIN,
  TIME_WAIT: TW_RFC_ACK,
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
  TIME_WAIT: go("CLOSED", [], "§3.10.8", "2MSL has passed (the wait designed to outlast old duplicates, if none lives longer than MSL): the TCB is deleted."),
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
  TIME_WAIT: [
    { profile: "linux", outcome: ignore("a TIME_WAIT socket has no user timeout; the 2MSL timer ends it",
      "Linux inet_timewait_sock (TCP_USER_TIMEOUT bounds retransmissions only)") },
    { outcome: GIVE_UP("TIME_WAIT") },
  ],
};

const COLUMNS: Record<TcpEvent, EventColumn> = {
  PASSIVE_OPEN, ACTIVE_OPEN, SEND, CLOSE, SHUTDOWN_WRITE, SHUTDOWN_READ, ABORT,
  RCV_SYN, RCV_SYN_ACK, RCV_ACK, RCV_ACK_OF_FIN, RCV_FIN, RCV_FIN_ACK_OF_FIN, RCV_RST, RCV_DATA,
  RCV_SYN_AGAIN, RCV_RST_IN_WINDOW, RCV_RST_UNACCEPTABLE, RCV_UNACCEPTABLE, RCV_BAD_ACK, RCV_NO_ACK, RCV_OUT_OF_ORDER,
  RETRANSMIT_TIMEOUT, TIME_WAIT_TIMEOUT, FIN_WAIT_2_TIMEOUT, USER_TIMEOUT,
};

function toCases(cell: Cell): readonly Case[] {
  return Array.isArray(cell) ? (cell as readonly Case[]) : [{ outcome: cell as Outcome }];
}

/** The whole table, one row per (state, event), in RFC state order then event order. */
export const TRANSITION_TABLE: readonly TableRow[] = STATES.flatMap((state) =>
  EVENTS.map((event) => ({ state, event, cases: toCases(COLUMNS[event][state]) })),
);
