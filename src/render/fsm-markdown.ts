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
  /**
   * Only rows where some case moves to another state (a self-loop that only sends, like a
   * challenge ACK, is left out). Default false. Chapter 03 shows these first, the rest folded.
   */
  readonly onlyStateChanges?: boolean;
  /**
   * Leave out rows whose every change of state is a reset: a RST received or sent, an ABORT,
   * or the user timeout (chapter 03 lists those rules on their own). Default false.
   */
  readonly omitResets?: boolean;
  /**
   * The complement of `onlyStateChanges` + `omitResets`: only the rows those two leave out
   * (no change of state, or only a reset). For folding "the rest of the table". Default false.
   */
  readonly exceptStateChanges?: boolean;
  /** Leave out the Why column (the HTML form, folded, to keep a page light). Default false. */
  readonly omitWhy?: boolean;
}

/** Is every change of state in this row a reset (RST in or out, ABORT, user timeout)? */
export function onlyResets(row: TableRow): boolean {
  const resetEvent = row.event.startsWith("RCV_RST") || row.event === "ABORT" || row.event === "USER_TIMEOUT";
  return row.cases.every((c) => c.outcome.kind !== "transition" || c.outcome.next === row.state || resetEvent || c.outcome.send.includes("RST"));
}

/** Does some case of the row move to another state? */
export function changesState(row: TableRow): boolean {
  return row.cases.some((c) => c.outcome.kind === "transition" && c.outcome.next !== row.state);
}

/**
 * One row per (state, event) pair: 11 × 26 = 286 data rows. Guarded cases are written
 * "if orphaned: CLOSED; otherwise: FIN_WAIT_1"; ignored and error entries give their reason.
 */
export function renderFsmMarkdown(opts: FsmMarkdownOptions = {}): string {
  const header = opts.omitWhy ? FSM_HEADER.filter((h) => h !== "Why") : FSM_HEADER;
  const lines = [
    "| " + header.join(" | ") + " |",
    "|" + header.map(() => "---|").join(""),
  ];
  for (const r of fsmRows(opts)) lines.push("| " + r.map(cell).join(" | ") + " |");
  return lines.join("\n") + "\n";
}

const FSM_HEADER = ["State", "Event", "Next state", "Sends", "Why", "Reference"] as const;

/** The table's rows as plain cell texts, filtered by the options (shared by the Markdown and HTML forms). */
export function fsmRows(opts: FsmMarkdownOptions = {}): string[][] {
  const rows: string[][] = [];
  for (const row of TRANSITION_TABLE) {
    if (opts.omitErrors && row.cases.every((c) => c.outcome.kind === "error")) continue;
    if (opts.omitIgnored && row.cases.every((c) => c.outcome.kind === "ignored")) continue;
    if (opts.events && !opts.events.includes(row.event)) continue;
    if (opts.onlyStateChanges && !changesState(row)) continue;
    if (opts.omitResets && changesState(row) && onlyResets(row)) continue;
    if (opts.exceptStateChanges && changesState(row) && !onlyResets(row)) continue;
    const cells = [row.state, EVENT_LABELS[row.event], perCase(row, nextOf), perCase(row, sendsOf, true)];
    if (!opts.omitWhy) cells.push(perCase(row, whyOf));
    cells.push(perCase(row, (o) => o.ref, true));
    rows.push(cells);
  }
  return rows;
}

function escapeHtmlText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * The same rows as an HTML table. With `summary`, folded in <details><summary>: a notebook
 * shows it with `display.html` (the site keeps details/summary through its sanitizer, while
 * raw HTML inside Markdown outputs is escaped there).
 */
export function renderFsmHtml(opts: FsmMarkdownOptions & { readonly summary?: string } = {}): string {
  const header = opts.omitWhy ? FSM_HEADER.filter((h) => h !== "Why") : FSM_HEADER;
  const head = `<thead><tr>${header.map((h) => `<th>${h}</th>`).join("")}</tr></thead>`;
  const body = fsmRows(opts).map((r) => `<tr>${r.map((c) => `<td>${escapeHtmlText(c)}</td>`).join("")}</tr>`).join("\n");
  const table = `<table class="fsm-table">${head}<tbody>\n${body}\n</tbody></table>`;
  return opts.summary === undefined ? table + "\n" : `<details><summary>${escapeHtmlText(opts.summary)}</summary>\n${table}\n</details>\n`;
}

/** The 11 states with one sentence each. */
export function renderStatesMarkdown(): string {
  const lines = ["| State | Meaning |", "|---|---|"];
  for (const s of STATES) lines.push(`| ${s} | ${cell(STATE_DESCRIPTIONS[s])} |`);
  return lines.join("\n") + "\n";
}

/** Where SEG.SEQ falls (./checks.ts SeqPosition), in words. */
export const SEQ_POSITION_WORDS: Readonly<Record<string, string>> = {
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
  if (m.seq) parts.push(`SEG.SEQ ${m.seq.map((p) => SEQ_POSITION_WORDS[p]).join(" or ")}`);
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

/**
 * Every rule of the table that sends or receives a RST, or is an ABORT, one line per rule:
 * "STATES: EVENTS → NEXT sends RST [guard]  (reference)". Events that share an outcome in a
 * state are joined, then states that share the whole rule. A case that is the last of several
 * reads "otherwise".
 */
export function resetRuleLines(): string[] {
  const byState = new Map<string, { state: string; events: string[]; rule: string }>();
  for (const row of TRANSITION_TABLE) {
    for (const c of row.cases) {
      const o = c.outcome;
      if (o.kind !== "transition") continue;
      if (!row.event.startsWith("RCV_RST") && row.event !== "ABORT" && !o.send.includes("RST")) continue;
      const last = c === row.cases[row.cases.length - 1] && row.cases.length > 1;
      const guard = [c.profile, c.when && `if ${c.when}`].filter(Boolean).join(", ") || (last ? "otherwise" : "");
      const rule = `→ ${o.next}${o.send.length ? ` sends ${o.send.join("+")}` : ""}${guard ? ` [${guard}]` : ""}  (${o.ref})`;
      const key = `${row.state} ${rule}`;
      const entry = byState.get(key) ?? { state: row.state, events: [], rule };
      entry.events.push(row.event);
      byState.set(key, entry);
    }
  }
  const rules = new Map<string, string[]>();
  for (const { state, events, rule } of byState.values()) {
    const line = `${events.join(", ")} ${rule}`;
    rules.set(line, [...(rules.get(line) ?? []), state]);
  }
  return [...rules].map(([rule, states]) => `${states.join(", ")}: ${rule}`);
}

/** What became of an arriving segment, in the words chapter 03 uses. */
export type ArrivalVerdict = "reset" | "challenge ACK" | "dropped" | "dropped, ACK sent" | "answered with RST" | "accepted";

/** The parts of a judged arrival a verdict needs (a packetdrill run's `judged` lines have them). */
export interface JudgedArrival {
  readonly state: TcpState;
  readonly events: readonly TcpEvent[];
  readonly next: TcpState;
  /** Control bits of each segment sent in reply ("ACK", "RST", "SYN,ACK" …). */
  readonly replies: readonly string[];
}

/**
 * The verdict on one arrival, from the events the checks gave and what the endpoint did:
 * - reset: a RST (or, under RFC 793, an in-window RST or SYN) ended the connection;
 * - challenge ACK: a RST in the window but not at RCV.NXT, or a SYN on a synchronized
 *   connection, answered by an ACK and otherwise ignored (RFC 5961 §3.2, §4; RFC 9293 §3.10.7.4);
 * - dropped: thrown away without a reply (an unacceptable RST, a segment without ACK);
 * - dropped, ACK sent: outside the window, answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
 *   (§3.10.7.4 first check);
 * - answered with RST: no connection takes it (CLOSED, or a bad ACK), so a RST goes back (§3.5.2);
 * - accepted: anything else (it went on to the table as an ordinary event).
 */
export function arrivalVerdict(j: JudgedArrival): ArrivalVerdict {
  const first = j.events[0];
  const left = j.next !== j.state && (j.next === "CLOSED" || (j.state === "SYN_RCVD" && j.next === "LISTEN"));
  const synchronized = j.state !== "CLOSED" && j.state !== "LISTEN" && j.state !== "SYN_SENT";
  if (first === "RCV_RST" && j.state !== "CLOSED" && j.state !== "LISTEN") return left ? "reset" : "dropped";
  if (first === "RCV_RST_IN_WINDOW" || (first === "RCV_SYN" && synchronized && j.state !== "TIME_WAIT")) {
    if (left) return "reset";
    return j.replies.length === 1 && j.replies[0] === "ACK" ? "challenge ACK" : "dropped";
  }
  if (first === "RCV_RST_UNACCEPTABLE" || first === "RCV_NO_ACK" || first === "RCV_RST" || first === "RCV_UNACCEPTABLE") {
    return j.replies.length > 0 ? "dropped, ACK sent" : "dropped";
  }
  if (j.replies.some((r) => r.split(",").includes("RST"))) return "answered with RST";
  return "accepted";
}


/**
 * A packetdrill run's injected segments as the checks judged them (`run.judged`), one row
 * each: the script line, the segment's bits, the state, where SEG.SEQ fell, the rule, the
 * event(s), what was sent back, the next state and the verdict.
 */
export function renderJudgedMarkdown(
  judged: readonly (JudgedArrival & { readonly line: number; readonly flags: string; readonly position: string | null; readonly rule: string })[],
): string {
  const lines = [
    "| Line | Segment | State | SEG.SEQ | Rule | Event | Reply | Next state | Verdict |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const j of judged) {
    lines.push("| " + [
      String(j.line), j.flags, j.state, j.position === null ? "—" : (SEQ_POSITION_WORDS[j.position] ?? j.position), j.rule,
      j.events.map((e) => EVENT_LABELS[e]).join(", "), j.replies.length ? j.replies.join("; ") : "—", j.next, arrivalVerdict(j),
    ].map(cell).join(" | ") + " |");
  }
  return lines.join("\n") + "\n";
}
