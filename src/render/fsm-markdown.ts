/**
 * The transition table as Markdown, generated from TRANSITION_TABLE so the printed table
 * can never disagree with the machine the simulator runs.
 */
import { STATES, STATE_DESCRIPTIONS } from "../fsm/states.js";
import { EVENT_LABELS } from "../fsm/events.js";
import { TRANSITION_TABLE, type Case, type Outcome, type TableRow } from "../fsm/table.js";

/** Escape what would break a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** How a case's condition is written: "if orphaned", "linux", "if orphaned (linux)", "otherwise". */
export function caseCondition(c: Case, isOnly: boolean): string {
  if (c.when === undefined && c.profile === undefined) return isOnly ? "" : "otherwise";
  const guard = c.when === undefined ? "" : c.when === "rfc1337" ? "if rfc1337 is on" : `if ${c.when}`;
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
}

/**
 * One row per (state, event) pair: 11 × 18 = 198 data rows. Guarded cases are written
 * "if orphaned: CLOSED; otherwise: FIN_WAIT_1"; ignored and error entries give their reason.
 */
export function renderFsmMarkdown(opts: FsmMarkdownOptions = {}): string {
  const lines = [
    "| State | Event | Next state | Sends | Why | Reference |",
    "|---|---|---|---|---|---|",
  ];
  for (const row of TRANSITION_TABLE) {
    if (opts.omitErrors && row.cases.every((c) => c.outcome.kind === "error")) continue;
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

/** Both tables with headings: what `tcp-lifecycle fsm --format markdown` prints. */
export function renderFsmDocument(opts: FsmMarkdownOptions = {}): string {
  return [
    "# The TCP state machine (RFC 9293)",
    "",
    "## States",
    "",
    renderStatesMarkdown(),
    "## Transitions",
    "",
    "Every (state, event) pair. Guarded cases read \"if <condition>: …; otherwise: …\": " +
      "passiveOpen = the connection came from LISTEN, orphaned = the application called close(), " +
      "unreadData = received data was never read, linger0 = SO_LINGER with a zero timeout.",
    "",
    renderFsmMarkdown(opts),
  ].join("\n");
}
