/**
 * Chapter 06's exercises (see ../engine.ts for the shape and the feedback loop). Every judge
 * computes its verdict: the original script's substring count run over net-tools' spellings
 * (src/parse/state-names.ts), the monitor's parser and rules (src/monitor/rules.ts) run over the
 * seeded dumps of src/monitor/lesson.ts, and the transition table's `decide()`.
 */
import { defineExercise, type Exercise, type Read } from "../engine.js";
import { readChoice, readChoices, readInteger, readStates } from "../readers.js";
import { STATES, type TcpState } from "../../fsm/states.js";
import type { TcpEvent } from "../../fsm/events.js";
import { decide } from "../../fsm/machine.js";
import { STATE_SPELLINGS } from "../../parse/state-names.js";
import { ANOMALY_RULES } from "../../monitor/rules.js";
import {
  KERNEL_INTERNAL_SPELLINGS, closeWaitHolders, lessonCount, LESSON_STATE_NAMES, rulesDump, rulesOnDump, sickServerDump,
} from "../../monitor/lesson.js";

// ---- 06.1: the original script over net-tools' netstat ------------------------------------------

/** A net-tools `netstat -ant` line per state, spelled as net-tools prints it. */
function netToolsLine(state: TcpState): string {
  const spelling = STATE_SPELLINGS["netstat-linux"][state].find((x) => !KERNEL_INTERNAL_SPELLINGS.has(x)) ?? state;
  return `tcp        0      0 127.0.0.1:5000          127.0.0.1:41234         ${spelling}`;
}

/** The states the original script never counts under their own name in net-tools' output. */
function missedOnNetTools(): TcpState[] {
  return STATES.filter((s) => {
    const counts = lessonCount(netToolsLine(s));
    return counts[s] !== 1; // the library's names are the script's enum names
  });
}

const inStateOrder = (xs: readonly TcpState[]): TcpState[] => STATES.filter((s) => xs.includes(s));

/** A list of states as a set, in the library's state order (so [] and any order compare equal). */
function readStateSet(raw: unknown): Read<TcpState[]> {
  const r = readStates(raw);
  return r.ok ? { ok: true, value: inStateOrder(r.value) } : r;
}

const missed = missedOnNetTools();

const ex1 = defineExercise<TcpState[]>({
  id: "06.1",
  kind: "transfer",
  form: "choose",
  question:
    "The original script (each line counts under the first of its enum names found in it as a substring) is run over " +
    "net-tools' `netstat -ant` on Linux. Which states would it never count?",
  expects: 'a list of state names, e.g. ["SYN_SENT", "LAST_ACK"] ([] if none)',
  read: readStateSet,
  judge(answer) {
    const why = missed
      .map((s) => `for ${s} net-tools prints ${STATE_SPELLINGS["netstat-linux"][s][0]}, which does not contain "${s}"`)
      .join("; ");
    const same = answer.length === missed.length && answer.every((s, i) => s === missed[i]);
    return {
      correct: same,
      explanation:
        `Running the script's own count over one net-tools line per state misses ${missed.join(", ")}: ${why}. ` +
        `The other ${STATES.length - missed.length} states match because net-tools and BSD agree on them. ` +
        "Two tools that both use underscores still disagree; only a table of each tool's spellings (src/parse/state-names.ts) is safe.",
    };
  },
  solution: missed,
  hint:
    `Write the eleven names net-tools prints (they are the kernel's enum names, include/net/tcp_states.h) and test each against the script's list: ${LESSON_STATE_NAMES.join(", ")}.`,
  misconceptions: [
    {
      answers: [[]],
      says: "Underscores are not enough: net-tools writes some states without the second underscore, or shorter, and a substring test needs every character.",
    },
    {
      answers: [inStateOrder(["ESTABLISHED", "SYN_RCVD", "CLOSED"])],
      says: "That is how ss differs from the RFC (ESTAB, SYN-RECV, UNCONN); net-tools is a different tool with its own spellings.",
    },
    {
      answers: [inStateOrder(["SYN_RCVD", "FIN_WAIT_1"])],
      says: "The two spellings quoted in the text are not the only ones net-tools shortens; check all eleven, including the other FIN-WAIT state and a closed socket.",
    },
  ],
});

// ---- 06.2 and 06.3: the sick server ---------------------------------------------------------------

const SICK_SEED = 6;
const sick = sickServerDump(SICK_SEED);
const holders = closeWaitHolders(sick.text);
const closeWaitRule = rulesOnDump({ text: sick.text, facts: { platform: "linux" }, thresholds: {} }).anomalies.find((a) => a.rule === "close-wait-pileup");
const pidOf = (role: string): number => sick.processes.find((p) => p.role === role)?.pid ?? -1;
const otherNode = sick.processes.find((p) => p.name === "node" && p.role === "healthy")?.pid ?? -1;

const ex2 = defineExercise<number>({
  id: "06.2",
  kind: "diagnostic",
  form: "diagnose-a-dump",
  question: `\`sickServerDump(${SICK_SEED})\` is \`ss -tanop\` on a sick server. Which process leaks connections? Give its pid.`,
  expects: "a process id (a whole number)",
  read: readInteger,
  judge(pid) {
    const top = holders[0];
    if (!top) return { correct: false, explanation: "The dump has no CLOSE_WAIT sockets with a process (a bug in the generator)." };
    const total = holders.reduce((a, h) => a + h.count, 0);
    return {
      correct: pid === top.pid,
      explanation:
        `The monitor's CLOSE_WAIT rule ${closeWaitRule ? `fires (${closeWaitRule.message})` : "does not fire"}; pid ${top.pid} (${top.name}) holds ` +
        `${top.count} of the ${total} CLOSE_WAIT sockets, all on its port ${top.ports.join(", ")}, ${top.unread} of them with unread bytes in Recv-Q. ` +
        "Its peers closed; it has neither read what they sent nor closed. The other sick-looking things are different illnesses.",
    };
  },
  solution: holders[0]?.pid ?? -1,
  hint: "Parse the text with parseSs and group the sockets that wait for *this* host's close by the process that owns them (statsByProcess, or the monitor's rules).",
  misconceptions: [
    {
      answers: [pidOf("closed-first")],
      says: "That process did close: its ends of the leaked connections went to FIN-WAIT-2 (and, orphaned, go away after tcp_fin_timeout). Look at who holds the other end.",
    },
    {
      answers: [pidOf("accept-queue-full")],
      says: "A full accept queue is a real problem, but a different one: connections nobody has accepted yet, not connections nobody closes.",
    },
    {
      answers: [otherNode],
      says: "Same program name, different process: its TIME-WAIT sockets are normal for a side that closes first. Group by pid, not by name.",
    },
  ],
});

const REMEDIES = ["close-on-eof", "nothing-kernel-times-out", "lower-tcp-fin-timeout", "bigger-listen-backlog", "enable-tcp-tw-reuse"] as const;
type Remedy = (typeof REMEDIES)[number];

/** What each remedy would make happen to one of the leaked sockets, as events of the transition table. */
const REMEDY_EVENTS: Readonly<Record<Remedy, { readonly events: readonly TcpEvent[]; readonly what: string }>> = {
  "close-on-eof": { events: ["CLOSE"], what: "the application calls close() when read() returns 0 (Node: 'end')" },
  "nothing-kernel-times-out": { events: ["FIN_WAIT_2_TIMEOUT", "TIME_WAIT_TIMEOUT"], what: "waiting for a closing timer" },
  "lower-tcp-fin-timeout": { events: ["FIN_WAIT_2_TIMEOUT"], what: "a shorter orphaned-FIN_WAIT_2 timer" },
  "bigger-listen-backlog": { events: [], what: "a larger accept queue (it acts on LISTEN only)" },
  "enable-tcp-tw-reuse": { events: [], what: "reusing TIME_WAIT ports for new outgoing connections (it acts on TIME_WAIT only)" },
};

function remedyOutcome(r: Remedy): { leaves: boolean; text: string } {
  const { events, what } = REMEDY_EVENTS[r];
  if (events.length === 0) return { leaves: false, text: `${what}: no event reaches a CLOSE_WAIT socket` };
  const parts = events.map((e) => {
    const o = decide("CLOSE_WAIT", e, "linux").outcome;
    return o.kind === "transition" ? `${e} → ${o.next} (${o.ref})` : `${e} ignored: ${o.reason} (${o.ref})`;
  });
  const leaves = events.some((e) => {
    const o = decide("CLOSE_WAIT", e, "linux").outcome;
    return o.kind === "transition" && o.next !== "CLOSE_WAIT";
  });
  return { leaves, text: `${what}: in CLOSE_WAIT, ${parts.join("; ")}` };
}

const ex3 = defineExercise<Remedy>({
  id: "06.3",
  kind: "diagnostic",
  form: "choose",
  question: "What did the leaking process's code forget (or what would make its leaked sockets go)?",
  expects: `one of ${REMEDIES.map((r) => `"${r}"`).join(", ")}`,
  read: readChoice(REMEDIES),
  judge(answer) {
    const mine = remedyOutcome(answer);
    const right = REMEDIES.filter((r) => remedyOutcome(r).leaves);
    return {
      correct: mine.leaves,
      explanation:
        `${mine.text}. Only ${right.join(", ")} moves a socket out of CLOSE_WAIT: the state waits for the application, ` +
        "and no closing timer runs in it (with SO_KEEPALIVE, Linux's keepalive timer also runs there and can reset it once the " +
        "peer is gone, net/ipv4/tcp_timer.c `tcp_keepalive_timer()`; the file descriptor leaks either way). " +
        "With unread bytes in Recv-Q, close() sends a RST instead of a FIN (RFC 9293 §3.6.1; chapter 05), so read to EOF, then close, on every path (finally).",
    };
  },
  solution: "close-on-eof",
  hint: "CLOSE_WAIT means the peer's FIN has arrived and this end is waiting for something. For what, and from whom?",
  misconceptions: [
    {
      answers: ["nothing-kernel-times-out"],
      says: "The closing timers (tcp_fin_timeout, 2MSL) belong to the side that closed first; nothing in flight here, so no retransmission or user timeout runs either.",
    },
    {
      answers: ["lower-tcp-fin-timeout"],
      says: "tcp_fin_timeout clears the *peer's* orphaned FIN-WAIT-2 ends (nginx's here), not this process's sockets.",
    },
    {
      answers: ["bigger-listen-backlog"],
      says: "The backlog is the accept queue of a listener: that is the Python service's illness, not this one's.",
    },
    {
      answers: ["enable-tcp-tw-reuse"],
      says: "tcp_tw_reuse concerns TIME_WAIT on the side that closed first; these sockets never got that far.",
    },
  ],
});

// ---- 06.4: which rule fires -----------------------------------------------------------------------

const RULES_SEED = 7;
const rdump = rulesDump(RULES_SEED);
const RULE_IDS = ANOMALY_RULES.map((r) => r.id);
const fired = (): string[] => rulesOnDump(rdump).anomalies.map((a) => a.rule).sort();
const sorted = (xs: string[]): string[] => [...xs].sort();

const ex4 = defineExercise<string[]>({
  id: "06.4",
  kind: "diagnostic",
  form: "diagnose-a-dump",
  question:
    `\`rulesDump(${RULES_SEED})\` is \`ss -tano\` on a client host whose ip_local_port_range is ` +
    `${rdump.facts.ephemeralPortRange?.join("–")}. With the default thresholds, which of the monitor's rules fire?`,
  expects: `a list of rule ids, e.g. ["syn-rcvd-backlog"] ([] if none); the ids: ${RULE_IDS.join(", ")}`,
  read: (raw) => (Array.isArray(raw) && raw.length === 0 ? { ok: true, value: [] } : readChoices(RULE_IDS)(raw)),
  judge(answer) {
    const { anomalies } = rulesOnDump(rdump);
    const ids = anomalies.map((a) => a.rule).sort();
    const same = answer.length === ids.length && answer.every((x, i) => x === ids[i]);
    const quiet = RULE_IDS.filter((id) => !ids.includes(id));
    return {
      correct: same,
      explanation:
        `Running the rules on the dump: ${anomalies.map((a) => `${a.rule} fires (${a.message})`).join("; ") || "none fires"}. ` +
        `Quiet: ${quiet.join(", ")}. A rule measures more than a count: the TIME_WAIT rule also compares the ports held towards one ` +
        "destination with the ephemeral range, and FIN_WAIT_2 ends with a timewait timer are orphans that tcp_fin_timeout will clear.",
    };
  },
  solution: fired(),
  hint: "Read each rule's \"why\" in the table above, not only its threshold; then look at what the TIME-WAIT and FIN-WAIT-2 lines have in common.",
  misconceptions: [
    {
      answers: [[]],
      says: "Every count may be under its threshold, yet a rule can measure something else than the count; read the rules' \"why\" column.",
    },
    {
      answers: [sorted(["fin-wait-2-stuck", "time-wait-pileup"]), ["fin-wait-2-stuck"]],
      says: "Look at the timer of those FIN-WAIT-2 lines: an orphaned end (the application has closed it) is one the kernel times out, and the rule counts only the others.",
    },
    {
      answers: [sorted(["close-wait-pileup", "time-wait-pileup"])],
      says: "Count the CLOSE-WAIT lines against the rule's threshold (it fires only above it).",
    },
  ],
});

export const EXERCISES_06: readonly Exercise<never>[] = [ex1, ex2, ex3, ex4];
