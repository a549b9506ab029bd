/**
 * The transition table as Markdown, generated from TRANSITION_TABLE so the printed table
 * can never disagree with the machine the simulator runs.
 */
import { STATES, STATE_DESCRIPTIONS } from "../fsm/states.js";
import { EVENT_LABELS, type TcpEvent } from "../fsm/events.js";
import type { TcpState } from "../fsm/states.js";
import { TRANSITION_TABLE, type Case, type Outcome, type TableRow } from "../fsm/table.js";
import { SEGMENT_CHECKS, type CheckRule, type SegmentMatch } from "../fsm/checks.js";

/** Escape what would break a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** How a case's condition is written: "if orphaned", "linux", "if orphaned (linux)", "otherwise". */
export function caseCondition(c: Case, isOnly: boolean): string {
  if (c.when === undefined && c.profile === undefined) return isOnly ? "" : "otherwise";
  const guard = c.when === undefined ? "" : c.when === "rfc1337" ? "if rfc1337 is on"
    : c.when === "rfc5961" ? "if rfc5961 is on" : `if ${c.when}`;
  if (c.profile === undefined) return guard;
  return guard === "" ? `${c.profile} profile` : `${guard} (${c.profile} profile)`;
}

function nextOf(o: Outcome): string {
  return o.kind === "transition" ? o.next : o.kind === "ignored" ? "— (ignored)" : "— (error)";
}
function sendsOf(o: Outcome): string {
  return o.kind === "transition" && o.send.length > 0 ? o.send.join(", ") : "—";
}
function whyOf(o: Outcome): string {
  if (o.kind !== "transition") return o.reason;
  return o.restartsTimeWait ? `${o.note} (restarts 2MSL)` : o.note;
}

/** Join per-case texts, prefixing each with its condition when the row has several cases. */
function perCase(row: TableRow, text: (o: Outcome) => string, dedupe = false): string {
  const only = row.cases.length === 1;
  const parts = row.cases.map((c) => {
    const cond = caseCondition(c, only);
    return cond === "" ? text(c.outcome) : `${cond}: ${text(c.outcome)}`;
  });
  if (dedupe && !only) {
    const bare = row.cases.map((c) => text(c.outcome));
    if (bare.every((b) => b === bare[0])) return bare[0] ?? "";
  }
  return parts.join("; ");
}

export interface FsmMarkdownOptions {
  /** Leave out rows whose every case is an "error" entry (impossible or refused inputs). Default false. */
  readonly omitErrors?: boolean;
  /** Leave out rows whose every case is "ignored" (the input changes nothing). Default false. */
  readonly omitIgnored?: boolean;
  /** Only these events (default: all). */
  readonly events?: readonly TcpEvent[];
}

/**
 * One row per (state, event) pair: 11 × 26 = 286 data rows. Guarded cases are written
 * "if orphaned: CLOSED; otherwise: FIN_WAIT_1"; ignored and error entries give their reason.
 */
export function renderFsmMarkdown(opts: FsmMarkdownOptions = {}): string {
  const lines = [
    "| State | Event | Next state | Sends | Why | Reference |",
    "|---|---|---|---|---|---|",
  ];
  for (const row of TRANSITION_TABLE) {
    if (opts.omitErrors && row.cases.every((c) => c.outcome.kind === "error")) continue;
    if (opts.omitIgnored && row.cases.every((c) => c.outcome.kind === "ignored")) continue;
    if (opts.events && !opts.events.includes(row.event)) continue;
    lines.push(
      "| " +
        [
          row.state,
          EVENT_LABELS[row.event],
          perCase(row, nextOf),
          perCase(row, sendsOf, true),
          perCase(row, whyOf),
          perCase(row, (o) => o.ref, true),
        ]
          .map(cell)
          .join(" | ") +
        " |",
    );
  }
  return lines.join("\n") + "\n";
}

/** The 11 states with one sentence each. */
export function renderStatesMarkdown(): string {
  const lines = ["| State | Meaning |", "|---|---|"];
  for (const s of STATES) lines.push(`| ${s} | ${cell(STATE_DESCRIPTIONS[s])} |`);
  return lines.join("\n") + "\n";
}

const SEQ_WORDS: Record<string, string> = {
  before: "before RCV.NXT", exact: "at RCV.NXT", inside: "inside the window", edge: "at RCV.NXT+RCV.WND", after: "beyond the window",
};

/** A rule's condition in words: "RST, SEG.SEQ at RCV.NXT", "no ACK", "any segment". */
export function describeMatch(m: SegmentMatch): string {
  const parts: string[] = [];
  const bit = (v: boolean | undefined, name: string): void => {
    if (v !== undefined) parts.push(v ? name : `no ${name}`);
  };
  bit(m.rst, "RST");
  bit(m.syn, "SYN");
  bit(m.ack, "ACK");
  if (m.text !== undefined) parts.push(m.text ? "data or FIN" : "no data or FIN");
  if (m.irs) parts.push("SEG.SEQ = IRS");
  if (m.atPeerFin) parts.push("SEG.SEQ = RCV.NXT − 1 (the peer's FIN)");
  if (m.seq) parts.push(`SEG.SEQ ${m.seq.map((p) => SEQ_WORDS[p]).join(" or ")}`);
  if (m.ackField) parts.push(`ACK field ${m.ackField.join(" or ")}`);
  return parts.length === 0 ? "any segment" : parts.join(", ");
}

function ruleStates(r: CheckRule): string {
  const base = r.states.join(", ");
  const guard = r.when ? ` if ${r.when}` : r.unless ? ` unless ${r.unless}` : "";
  return base + guard;
}

/**
 * The segment checks (src/fsm/checks.ts), one row per rule in the order they are tried:
 * which table event an arriving segment becomes before the transition table sees it.
 */
export function renderChecksMarkdown(opts: { readonly state?: TcpState } = {}): string {
  const lines = ["| # | States | Profile | Segment | Becomes | Why | Reference |", "|---|---|---|---|---|---|---|"];
  SEGMENT_CHECKS.forEach((r, i) => {
    if (opts.state !== undefined && !r.states.includes(opts.state)) return;
    const becomes = r.event === "BY_CONTROL_BITS" ? "by control bits (rcv SYN, SYN+ACK, ACK, FIN, data …)" : EVENT_LABELS[r.event];
    lines.push("| " + [String(i + 1), ruleStates(r), r.profile ?? "both", describeMatch(r.match), becomes, r.note, r.ref].map(cell).join(" | ") + " |");
  });
  return lines.join("\n") + "\n";
}

/** All three tables with headings: what `tcp-lifecycle fsm` prints. */
export function renderFsmDocument(opts: FsmMarkdownOptions = {}): string {
  return [
    "# The TCP state machine (RFC 9293)",
    "",
    "## States",
    "",
    renderStatesMarkdown(),
    "## How a segment is judged (RFC 9293 §3.10.7)",
    "",
    "Before the state machine sees an arriving segment, these checks turn it into an event: the first " +
      "rule whose states, profile and condition fit applies. SEG.SEQ is placed against the receive window " +
      "(RCV.NXT, RCV.WND = 65535 unless set); \"by control bits\" means the segment passed and is an ordinary " +
      "rcv SYN / SYN+ACK / ACK / ACK of FIN / FIN / FIN+ACK of FIN / data event (data whose ACK newly covers " +
      "our FIN is \"rcv ACK of FIN\" first, then \"rcv data\").",
    "",
    renderChecksMarkdown(),
    "## Transitions",
    "",
    "Every (state, event) pair. Guarded cases read \"if <condition>: …; otherwise: …\": " +
      "passiveOpen = the connection came from LISTEN, orphaned = the application called close(), " +
      "unreadData = received data was never read, linger0 = SO_LINGER with a zero timeout, " +
      "rfc5961 = the profile applies RFC 5961 (on in both; off shows RFC 793), rfc1337 = TIME_WAIT ignores RSTs. " +
      "A sent ACK is <SEQ=SND.NXT><ACK=RCV.NXT>; a RST sent in reply to a segment is <SEQ=SEG.ACK>, or " +
      "<SEQ=0><ACK=SEG.SEQ+SEG.LEN> with ACK when the segment had none (§3.5.2).",
    "",
    renderFsmMarkdown(opts),
  ].join("\n");
}
