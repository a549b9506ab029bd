/**
 * How a segment is judged before the state machine sees it (RFC 9293 §3.10.7), as data.
 *
 * An arriving segment is described by a few facts — its control bits, where its sequence
 * number falls against the receive window, whether its ACK field is acceptable, whether it
 * acknowledges our FIN — and the first rule below whose states, profile, guard and match
 * fit turns it into a table event. The transition table (./table.ts) then says what that
 * event does. Together the two predict the reply and the next state for every (state,
 * segment, position); test/conformance.table.test.ts holds the simulator to that prediction.
 *
 * The rules follow the RFC's order of checks (first the sequence number, second RST,
 * fourth SYN, fifth the ACK field, then text and FIN). Linux's own order differs in a few
 * places, and those rules carry `profile: "linux"` and cite the kernel function; they come
 * first so they win under that profile.
 */
import type { TcpState } from "./states.js";
import type { SegmentEvent } from "./events.js";
import type { Guard } from "./table.js";
import type { Profile, ProfileName } from "./profiles.js";

/**
 * Where SEG.SEQ falls (§3.10.7.4, first check), for states that know RCV.NXT:
 * - before: the whole segment is older than RCV.NXT (an old duplicate);
 * - exact: it starts at RCV.NXT (or overlaps it: the old part is trimmed);
 * - inside: it starts in the window after RCV.NXT (out of order), up to the right edge
 *   RCV.NXT + RCV.WND − 1;
 * - edge: it starts at RCV.NXT + RCV.WND, the first number outside the window (RFC 9293:
 *   outside; Linux's tcp_sequence() and tcp_in_window() still take it: `!after(seq, rcv_nxt + window)`);
 * - after: it starts beyond RCV.NXT + RCV.WND.
 */
export type SeqPosition = "before" | "exact" | "inside" | "edge" | "after";
export const SEQ_POSITIONS: readonly SeqPosition[] = ["before", "exact", "inside", "edge", "after"];

/**
 * The ACK field (§3.10.7.3 and fifth step of §3.10.7.4):
 * - none: the ACK bit is off;
 * - acceptable: in SYN_SENT and SYN_RCVD, SND.UNA < SEG.ACK =< SND.NXT; in the synchronized
 *   states SEG.ACK =< SND.NXT (an old, duplicate ACK is acceptable and ignored);
 * - unacceptable: otherwise (it acknowledges something we never sent).
 */
export type AckField = "none" | "acceptable" | "unacceptable";

export interface SegmentFacts {
  readonly syn: boolean;
  readonly ack: boolean;
  readonly fin: boolean;
  readonly rst: boolean;
  /** It carries payload. */
  readonly data: boolean;
  /** Meaningless (and ignored by the rules) in CLOSED, LISTEN and SYN_SENT. */
  readonly seq: SeqPosition;
  readonly ackField: AckField;
  /** The ACK field covers our FIN (acceptable, and our FIN was sent). */
  readonly acksFin: boolean;
  /** …and our FIN was not acknowledged before this segment. */
  readonly newlyAcksFin: boolean;
  /** SEG.SEQ is the peer's initial sequence number: its SYN again. */
  readonly irs: boolean;
  /** The peer's FIN was received and SEG.SEQ = RCV.NXT − 1, the FIN's own number. */
  readonly atPeerFin: boolean;
}

/** A condition on the facts; every field given must hold (arrays: one of). */
export interface SegmentMatch {
  readonly syn?: boolean;
  readonly ack?: boolean;
  readonly rst?: boolean;
  /** Carries payload or FIN. */
  readonly text?: boolean;
  readonly seq?: readonly SeqPosition[];
  readonly ackField?: readonly AckField[];
  readonly irs?: boolean;
  readonly atPeerFin?: boolean;
  readonly fin?: boolean;
  readonly newlyAcksFin?: boolean;
}

/**
 * The event a rule yields. "BY_CONTROL_BITS": the segment passed the checks and is
 * classified by its control bits (see `eventsByControlBits`).
 */
export type CheckVerdict = SegmentEvent | "BY_CONTROL_BITS";

export interface CheckRule {
  readonly id: string;
  readonly states: readonly TcpState[];
  readonly profile?: ProfileName;
  /** Applies only when the endpoint flag holds / does not hold. */
  readonly when?: Exclude<Guard, "rfc1337" | "rfc5961">;
  readonly unless?: Exclude<Guard, "rfc1337" | "rfc5961">;
  readonly match: SegmentMatch;
  readonly event: CheckVerdict;
  readonly ref: string;
  /** One sentence: what the check is and why. */
  readonly note: string;
}

const SYNCHRONIZED: readonly TcpState[] = [
  "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
];
/**
 * States Linux handles with a full socket (tcp_rcv_established(), tcp_rcv_state_process()).
 * FIN_WAIT_2 is one only while the application holds the socket: an orphaned one becomes a
 * timewait socket in its FIN_WAIT2 substate (tcp_time_wait()), with its own checks.
 */
const FULL_SOCKET_STATES: readonly TcpState[] = ["ESTABLISHED", "FIN_WAIT_1", "CLOSE_WAIT", "CLOSING", "LAST_ACK"];
const OUTSIDE: readonly SeqPosition[] = ["before", "edge", "after"];
const SYNCHRONIZED_NOT_TW: readonly TcpState[] = SYNCHRONIZED.filter((s) => s !== "TIME_WAIT");
const IN_WINDOW: readonly SeqPosition[] = ["exact", "inside"];

export const SEGMENT_CHECKS: readonly CheckRule[] = [
  // ------------------------------------------------------------ CLOSED (§3.10.7.1)
  { id: "closed-rst", states: ["CLOSED"], match: { rst: true }, event: "RCV_RST", ref: "§3.10.7.1",
    note: "No connection exists: a RST is discarded." },
  { id: "closed-any", states: ["CLOSED"], match: {}, event: "BY_CONTROL_BITS", ref: "§3.10.7.1",
    note: "No connection exists: anything else is answered with a RST." },
  // ------------------------------------------------------------ LISTEN (§3.10.7.2)
  { id: "linux-listen-syn-fin", states: ["LISTEN"], profile: "linux", match: { syn: true, fin: true, ack: false, rst: false },
    event: "RCV_NO_ACK", ref: "Linux tcp_rcv_state_process() (TCP_LISTEN: a SYN with FIN is discarded)",
    note: "Linux drops a SYN that also carries FIN." },
  { id: "listen-rst", states: ["LISTEN"], match: { rst: true }, event: "RCV_RST", ref: "§3.10.7.2 first",
    note: "A RST on a listener is ignored." },
  { id: "listen-ack", states: ["LISTEN"], match: { ack: true }, event: "BY_CONTROL_BITS", ref: "§3.10.7.2 second",
    note: "Any segment carrying an ACK is bad on a listener and draws a RST <SEQ=SEG.ACK>." },
  { id: "listen-syn", states: ["LISTEN"], match: { syn: true }, event: "RCV_SYN", ref: "§3.10.7.2 third",
    note: "A SYN is a connection request." },
  { id: "listen-other", states: ["LISTEN"], match: {}, event: "RCV_NO_ACK", ref: "§3.10.7.2 fourth",
    note: "Neither SYN nor ACK (a bare FIN, data): dropped." },
  // ------------------------------------------------------------ SYN_SENT (§3.10.7.3)
  { id: "synsent-bad-ack-rst", states: ["SYN_SENT"], match: { rst: true, ackField: ["unacceptable"] },
    event: "RCV_RST_UNACCEPTABLE", ref: "§3.10.7.3 first",
    note: "A RST whose ACK does not acknowledge our SYN is dropped." },
  { id: "synsent-bad-ack", states: ["SYN_SENT"], match: { ackField: ["unacceptable"] }, event: "RCV_BAD_ACK",
    ref: "§3.10.7.3 first", note: "An ACK of something we never sent (SEG.ACK =< ISS or > SND.NXT) draws a RST <SEQ=SEG.ACK>." },
  { id: "synsent-rst", states: ["SYN_SENT"], match: { rst: true, ack: true }, event: "RCV_RST", ref: "§3.10.7.3 second",
    note: "A RST is acceptable only when its ACK acknowledges our SYN: the connection is refused." },
  { id: "synsent-rst-no-ack", states: ["SYN_SENT"], match: { rst: true }, event: "RCV_RST_UNACCEPTABLE",
    ref: "§3.10.7.3 second", note: "A RST without an ACK cannot be checked against our SYN: dropped." },
  { id: "synsent-syn", states: ["SYN_SENT"], match: { syn: true }, event: "BY_CONTROL_BITS", ref: "§3.10.7.3 fourth",
    note: "A SYN (with an acceptable ACK: the handshake's second segment; without: simultaneous open)." },
  { id: "synsent-other", states: ["SYN_SENT"], match: {}, event: "BY_CONTROL_BITS", ref: "§3.10.7.3 fifth",
    note: "Neither SYN nor RST: dropped (the table says so per control bits)." },
  // ------------------------------------------------------------ Linux's own order
  { id: "linux-tw-new-syn", states: ["TIME_WAIT"], profile: "linux",
    match: { syn: true, ack: false, rst: false, seq: ["inside", "after"] }, event: "RCV_SYN",
    ref: "RFC 9293 §3.6.1 (MAY-2); RFC 6191; Linux tcp_timewait_state_process() TCP_TW_SYN",
    note: "A SYN with a sequence number beyond RCV.NXT may open a new connection on this 4-tuple." },
  { id: "linux-tw-no-ack", states: ["TIME_WAIT"], profile: "linux", match: { rst: false, ack: false },
    event: "RCV_NO_ACK", ref: "Linux tcp_timewait_state_process()",
    note: "A TIME_WAIT socket acknowledges any other segment without ACK, and leaves its timer alone." },
  { id: "linux-tw-not-bare", states: ["TIME_WAIT"], profile: "linux", match: { rst: false, syn: true },
    event: "RCV_UNACCEPTABLE", ref: "Linux tcp_timewait_state_process()",
    note: "A SYN+ACK in TIME_WAIT is acknowledged, and the timer re-armed." },
  { id: "linux-tw-oow", states: ["TIME_WAIT"], profile: "linux", match: { rst: false, seq: ["before", "inside", "after"] },
    event: "RCV_UNACCEPTABLE", ref: "Linux tcp_timewait_state_process()",
    note: "TIME_WAIT takes only a bare ACK or RST at RCV.NXT as in the window; anything else is acknowledged." },
  { id: "linux-tw-text", states: ["TIME_WAIT"], profile: "linux", match: { rst: false, text: true },
    event: "RCV_UNACCEPTABLE", ref: "Linux tcp_timewait_state_process()",
    note: "Data or a FIN at RCV.NXT is not a bare ACK: acknowledged, timer re-armed." },
  { id: "linux-rst-edge", states: SYNCHRONIZED_NOT_TW, profile: "linux", match: { rst: true, seq: ["edge"] },
    event: "RCV_RST_IN_WINDOW", ref: "Linux tcp_sequence(), tcp_in_window() (`!after(seq, rcv_nxt + window)`)",
    note: "Linux counts SEG.SEQ = RCV.NXT + RCV.WND as in the window: a RST there is treated as in the window." },
  { id: "linux-bare-edge", states: SYNCHRONIZED_NOT_TW, profile: "linux", match: { rst: false, syn: false, text: false, seq: ["edge"] },
    event: "BY_CONTROL_BITS", ref: "Linux tcp_sequence(), tcp_in_window()",
    note: "A bare segment at RCV.NXT + RCV.WND passes Linux's window test: its ACK is processed, nothing is sent." },
  { id: "linux-rst-at-fin", states: ["CLOSE_WAIT", "CLOSING", "LAST_ACK"], profile: "linux",
    match: { rst: true, atPeerFin: true }, event: "RCV_RST",
    ref: "Linux tcp_validate_incoming() / tcp_reset_check() (seq == rcv_nxt - 1 after a FIN)",
    note: "After the peer's FIN, Linux also takes a RST at the FIN's own number (RCV.NXT − 1): the peer may not have seen our ACK of it." },
  { id: "linux-fw2-orphan-ack-field", states: ["FIN_WAIT_2"], profile: "linux", when: "orphaned",
    match: { rst: false, syn: false, ackField: ["unacceptable"], seq: ["exact", "inside"] }, event: "BY_CONTROL_BITS",
    ref: "Linux tcp_timewait_state_process() (FIN_WAIT2 substate: the ACK field is not checked)",
    note: "An orphaned FIN_WAIT_2 is a timewait socket, which never looks at the ACK field." },
  { id: "linux-closer-acked", states: ["CLOSING", "LAST_ACK"], profile: "linux",
    match: { rst: false, syn: false, newlyAcksFin: true, seq: ["exact", "inside"] }, event: "RCV_ACK_OF_FIN",
    ref: "Linux tcp_rcv_state_process() (CLOSING: tcp_time_wait(); LAST_ACK: tcp_done(); the segment is consumed)",
    note: "A segment that acknowledges our FIN ends CLOSING or LAST_ACK at once; its text and FIN are not looked at." },
  { id: "linux-closer-fin-again", states: ["CLOSING", "LAST_ACK"], profile: "linux",
    match: { rst: false, syn: false, fin: true, atPeerFin: true, newlyAcksFin: true }, event: "RCV_ACK_OF_FIN",
    ref: "Linux tcp_sequence() (the peer's FIN again ends at rcv_wup, so it is in the window)",
    note: "The peer's FIN again, now acknowledging ours, is taken as that acknowledgment." },
  { id: "linux-flags-first", states: FULL_SOCKET_STATES, profile: "linux", match: { rst: false, syn: false, ack: false },
    event: "RCV_NO_ACK", ref: "Linux tcp_rcv_state_process(), tcp_rcv_established() (SKB_DROP_REASON_TCP_FLAGS)",
    note: "Linux drops a segment with none of ACK, RST, SYN before it checks the sequence number." },
  { id: "linux-fw2-flags-first", states: ["FIN_WAIT_2"], profile: "linux", unless: "orphaned",
    match: { rst: false, syn: false, ack: false }, event: "RCV_NO_ACK", ref: "Linux tcp_rcv_state_process()",
    note: "A FIN_WAIT_2 socket its application still holds checks flags first, like ESTABLISHED." },
  { id: "linux-synrcvd-flags-first", states: ["SYN_RCVD"], profile: "linux", unless: "passiveOpen",
    match: { rst: false, syn: false, ack: false }, event: "RCV_NO_ACK", ref: "Linux tcp_rcv_state_process()",
    note: "After a simultaneous open the socket is a full one: flags are checked before the sequence number." },
  { id: "linux-reqsk-bad-ack", states: ["SYN_RCVD"], profile: "linux", when: "passiveOpen",
    match: { rst: false, ackField: ["unacceptable"] }, event: "RCV_BAD_ACK",
    ref: "Linux tcp_check_req() (ACK checked before the window)",
    note: "A request socket checks the ACK before the window: a wrong ACK draws a RST wherever it falls." },
  // ------------------------------------------------------------ synchronized states (§3.10.7.4)
  { id: "rst-exact", states: SYNCHRONIZED, match: { rst: true, seq: ["exact"] }, event: "RCV_RST",
    ref: "§3.10.7.4 second; RFC 5961 §3.2", note: "A RST whose SEG.SEQ is exactly RCV.NXT resets the connection." },
  { id: "rst-in-window", states: SYNCHRONIZED, match: { rst: true, seq: ["inside"] }, event: "RCV_RST_IN_WINDOW",
    ref: "§3.10.7.4 second; RFC 5961 §3.2",
    note: "A RST in the window but not at RCV.NXT: RFC 5961 answers with a challenge ACK, RFC 793 resets." },
  { id: "rst-outside", states: SYNCHRONIZED, match: { rst: true }, event: "RCV_RST_UNACCEPTABLE",
    ref: "§3.10.7.4 first", note: "A RST outside the window is dropped without a reply." },
  { id: "synrcvd-syn-again", states: ["SYN_RCVD"], match: { syn: true, ack: false, irs: true }, event: "RCV_SYN_AGAIN",
    ref: "§3.10.7.4 first; Linux tcp_check_req()", note: "The peer's SYN again: our SYN+ACK may have been lost." },
  { id: "synrcvd-simultaneous", states: ["SYN_RCVD"], unless: "passiveOpen", match: { syn: true, ack: true, irs: true, ackField: ["acceptable"] },
    event: "BY_CONTROL_BITS", ref: "§3.5 Figure 7",
    note: "Simultaneous open: the peer's SYN+ACK repeats its SYN (trimmed) and acknowledges ours." },
  { id: "syn-in-window", states: SYNCHRONIZED, match: { syn: true, seq: IN_WINDOW }, event: "RCV_SYN",
    ref: "§3.10.7.4 fourth; RFC 5961 §4", note: "A SYN in the window of a synchronized connection." },
  { id: "syn-outside", states: SYNCHRONIZED, match: { syn: true }, event: "RCV_UNACCEPTABLE",
    ref: "§3.10.7.4 first", note: "A SYN outside the window fails the sequence check: acknowledged and dropped." },
  { id: "seq-outside", states: SYNCHRONIZED, match: { seq: OUTSIDE }, event: "RCV_UNACCEPTABLE",
    ref: "§3.10.7.4 first", note: "Outside the window: send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and drop." },
  { id: "no-ack", states: SYNCHRONIZED, match: { ack: false }, event: "RCV_NO_ACK",
    ref: "§3.10.7.4 fifth", note: "The ACK bit is off: drop the segment." },
  { id: "bad-ack", states: SYNCHRONIZED, match: { ackField: ["unacceptable"] }, event: "RCV_BAD_ACK",
    ref: "§3.10.7.4 fifth", note: "The ACK acknowledges something not yet sent." },
  { id: "out-of-order", states: SYNCHRONIZED, match: { text: true, seq: ["inside"] }, event: "RCV_OUT_OF_ORDER",
    ref: "§3.10.7.4 seventh; RFC 5681 §4.2",
    note: "Data or a FIN beyond RCV.NXT: its ACK field is processed, its text waits for the gap." },
  { id: "accepted", states: SYNCHRONIZED, match: {}, event: "BY_CONTROL_BITS", ref: "§3.10.7.4",
    note: "An acceptable segment, classified by its control bits." },
];

function matches(m: SegmentMatch, f: SegmentFacts): boolean {
  if (m.syn !== undefined && m.syn !== f.syn) return false;
  if (m.ack !== undefined && m.ack !== f.ack) return false;
  if (m.rst !== undefined && m.rst !== f.rst) return false;
  if (m.text !== undefined && m.text !== (f.data || f.fin)) return false;
  if (m.irs !== undefined && m.irs !== f.irs) return false;
  if (m.atPeerFin !== undefined && m.atPeerFin !== f.atPeerFin) return false;
  if (m.fin !== undefined && m.fin !== f.fin) return false;
  if (m.newlyAcksFin !== undefined && m.newlyAcksFin !== f.newlyAcksFin) return false;
  if (m.seq !== undefined && !m.seq.includes(f.seq)) return false;
  if (m.ackField !== undefined && !m.ackField.includes(f.ackField)) return false;
  return true;
}

/** The endpoint flags a rule may read. */
export interface CheckFlags {
  readonly passiveOpen?: boolean;
  readonly orphaned?: boolean;
  readonly unreadData?: boolean;
  readonly linger0?: boolean;
}

/** The first rule that applies; the rules end with catch-alls, so there always is one. */
export function checkRule(state: TcpState, facts: SegmentFacts, profile: Profile, flags: CheckFlags = {}): CheckRule {
  for (const r of SEGMENT_CHECKS) {
    if (!r.states.includes(state)) continue;
    if (r.profile !== undefined && r.profile !== profile.name) continue;
    if (r.when !== undefined && flags[r.when] !== true) continue;
    if (r.unless !== undefined && flags[r.unless] === true) continue;
    if (matches(r.match, facts)) return r;
  }
  // Every state has a catch-all rule (test/conformance.table.test.ts checks it): a miss is a bug.
  throw new Error(`no segment check applies in ${state}`);
}

/**
 * A segment that passed the checks, by control bits. Most yield one event; a segment with
 * text whose ACK newly covers our FIN yields the ACK first (§3.10.7.4 processes the ACK
 * field, fifth, before the text, seventh), and data with a FIN yields the data, then the FIN.
 */
export function eventsByControlBits(f: SegmentFacts): readonly SegmentEvent[] {
  if (f.syn) return [f.ack ? "RCV_SYN_ACK" : "RCV_SYN"];
  if (!f.ack) return [f.fin ? "RCV_FIN" : f.data ? "RCV_DATA" : "RCV_NO_ACK"];
  const events: SegmentEvent[] = [];
  if (f.data) {
    if (f.newlyAcksFin) events.push("RCV_ACK_OF_FIN");
    events.push("RCV_DATA");
    if (f.fin) events.push("RCV_FIN");
    return events;
  }
  if (f.fin) return [f.acksFin ? "RCV_FIN_ACK_OF_FIN" : "RCV_FIN"];
  return [f.acksFin ? "RCV_ACK_OF_FIN" : "RCV_ACK"];
}

export interface Judgement {
  readonly rule: CheckRule;
  /** The table events the segment becomes, in order (usually one). */
  readonly events: readonly SegmentEvent[];
}

/** Judge a segment: the rule that applies and the table events it yields. */
export function judgeSegment(state: TcpState, facts: SegmentFacts, profile: Profile, flags: CheckFlags = {}): Judgement {
  const rule = checkRule(state, facts, profile, flags);
  if (rule.event === "BY_CONTROL_BITS") return { rule, events: eventsByControlBits(facts) };
  if (rule.event === "RCV_OUT_OF_ORDER" && facts.newlyAcksFin) return { rule, events: ["RCV_ACK_OF_FIN", "RCV_OUT_OF_ORDER"] };
  return { rule, events: [rule.event] };
}
