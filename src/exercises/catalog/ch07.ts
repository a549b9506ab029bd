/**
 * Chapter 07's exercises: the self-test, mixed questions across chapters 00–06, none a repeat
 * of an earlier chapter's exercise (see
 * ../engine.ts for the shape and the feedback loop). Every judge works its answer out from the
 * library: the transition table (`decide`), a simulator trace (`simulate`), the profiles, or a
 * parsed `ss` listing; none holds a verdict of its own.
 */
import { defineExercise, type Assessment, type Exercise } from "../engine.js";
import { readChoice, readInteger, readNumber, readState } from "../readers.js";
import { checkNextState, checkTimeWaitPopulation } from "../checkers.js";
import type { Verdict } from "../verdict.js";
import { decide } from "../../fsm/machine.js";
import { PROFILES } from "../../fsm/profiles.js";
import type { TcpState } from "../../fsm/states.js";
import { simulate } from "../../sim/simulate.js";
import type { EndpointName, SegmentRecord } from "../../sim/trace.js";
import { parseSs } from "../../parse/ss.js";
import { ERRNO_TABLE } from "../../teaching/errno.js";
import { CHEAT_SYSCTLS, SICK_SERVER_SS_TANP, TIME_WAIT_LISTING } from "../../teaching/cheat-sheet.js";

/** A checker's verdict as an assessment: the engine adds "Right:" / "Not quite." itself. */
function assess(v: Verdict): Assessment {
  return { correct: v.correct, explanation: v.message.replace(/^(Right|Not quite): /, "") };
}

const CONNECT_RESULTS = ["ok", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET"] as const;
type ConnectResult = (typeof CONNECT_RESULTS)[number];

/**
 * connect() to a port where nothing listens, from the table: CLOSED answers the SYN with a RST
 * (RFC 9293 §3.10.7.1); that RST, acknowledging the SYN, takes SYN_SENT to CLOSED (§3.10.7.3);
 * the errno table's row for a connect() whose SYN was answered by a RST names the result.
 */
function connectToClosedPort(): { result: ConnectResult; why: string } {
  const peer = decide("CLOSED", "RCV_SYN", "linux").outcome;
  const sent = peer.kind === "transition" ? peer.send : [];
  if (!sent.includes("RST")) return { result: "ETIMEDOUT", why: "the host answers nothing, so the SYN is retransmitted until connect() times out." };
  const client = decide("SYN_SENT", "RCV_RST", "linux").outcome;
  const row = ERRNO_TABLE.find((e) => e.call.startsWith("connect()") && /answered by a RST/.test(e.when));
  const result: ConnectResult = client.kind === "transition" && client.next === "CLOSED" && row && (CONNECT_RESULTS as readonly string[]).includes(row.name) ? (row.name as ConnectResult) : "ok";
  return {
    result,
    why: `the host has no connection for the SYN and answers ${sent.join("+")} (RFC 9293 ${peer.kind === "transition" ? peer.ref : ""}); `
      + `${client.kind === "transition" ? `that RST takes the client from SYN_SENT to ${client.next} (RFC 9293 ${client.ref})` : "the client takes it"}, `
      + `and connect() fails: ${row ? `${row.name} — ${row.when} (${row.source})` : "an error"}.`,
  };
}

/** In a trace, the server's retransmitted FIN: when it arrives, the client's state then, and what the table does with it. */
function stateAtRetransmittedFin(trace: ReturnType<typeof simulate>): { state: TcpState; arrives: number; outcome: ReturnType<typeof decide>["outcome"] } {
  const fin = trace.events.find((e): e is SegmentRecord =>
    e.type === "segment" && e.from === "server" && e.flags.includes("FIN") && e.retransmission && !e.dropped);
  const arrives = fin?.arrives ?? Number.POSITIVE_INFINITY;
  let state: TcpState = "CLOSED";
  for (const e of trace.events) if (e.type === "state" && e.endpoint === "client" && e.t < arrives) state = e.to;
  return { state, arrives, outcome: decide(state, "RCV_FIN", "linux").outcome };
}

const CLOSE_ACTIONS = ["FIN", "RST", "nothing"] as const;
type CloseAction = (typeof CLOSE_ACTIONS)[number];

const RST_REACTIONS = ["reset", "challenge-ack", "ignore"] as const;
type RstReaction = (typeof RST_REACTIONS)[number];

/** Exercise 07.7's host: connections closed first per second, and its tcp_max_tw_buckets. */
const TW_OVERFLOW = { rate: 500, buckets: 6000 } as const;

/**
 * tcp_max_tw_buckets in steady state: without the limit, rate × TIME_WAIT length sockets would wait
 * (Little's law). With it, the pool stays full; a new TIME_WAIT socket gets a place only when an
 * old one expires (buckets / TIME_WAIT length per second), and every other closing socket skips
 * TIME_WAIT and counts in TcpExtTCPTimeWaitOverflow (the cheat sheet's tcp_max_tw_buckets row).
 */
function timeWaitOverflow(rate: number, buckets: number): { overflowPerSecond: number; why: string } {
  const tw = PROFILES.linux.timeWait;
  const wanted = rate * tw;
  const row = CHEAT_SYSCTLS.find((x) => x.name === "tcp_max_tw_buckets");
  if (wanted <= buckets) {
    return { overflowPerSecond: 0, why: `${rate}/s × ${tw} s = ${wanted} sockets, within the limit of ${buckets}: none overflows.` };
  }
  const admitted = buckets / tw;
  const overflowPerSecond = rate - admitted;
  return {
    overflowPerSecond,
    why: `unlimited, ${rate}/s × ${tw} s = ${wanted} sockets would wait, more than the ${buckets} allowed. So the pool stays full: `
      + `${buckets} / ${tw} s = ${admitted.toFixed(1)} sockets expire per second and as many new ones take their place; the other `
      + `${rate} − ${admitted.toFixed(1)} = ${overflowPerSecond.toFixed(1)} per second skip TIME_WAIT. tcp_max_tw_buckets: ${row?.effect ?? ""} (${row?.source ?? ""})`,
  };
}

/** The first FIN or RST `side` sends in a trace: how its application's close() went out. */
function closingSegment(side: EndpointName, trace: ReturnType<typeof simulate>): SegmentRecord | undefined {
  return trace.events.find((e): e is SegmentRecord =>
    e.type === "segment" && e.from === side && (e.flags.includes("FIN") || e.flags.includes("RST")));
}

/** What the table says a state does with an event: reset (to CLOSED), a challenge ACK, or nothing. */
function rstReaction(state: TcpState, event: "RCV_RST" | "RCV_RST_IN_WINDOW"): { reaction: RstReaction; why: string } {
  const { outcome } = decide(state, event, "linux");
  if (outcome.kind !== "transition") return { reaction: "ignore", why: `${outcome.reason} (${outcome.ref})` };
  if (outcome.next === "CLOSED") return { reaction: "reset", why: `${outcome.note} (${outcome.ref})` };
  if (outcome.send.includes("ACK")) return { reaction: "challenge-ack", why: `${outcome.note} (${outcome.ref})` };
  return { reaction: "ignore", why: `${outcome.note} (${outcome.ref})` };
}

interface Leak {
  readonly state: TcpState;
  readonly pid: number;
  readonly count: number;
  readonly unread: number;
  readonly timeWait: number;
}

/**
 * The sick server's dump read as an operator would: among the states a process still holds
 * (LISTEN and ESTABLISHED are normal life), the most numerous one, the process that holds
 * most of its sockets, and the bytes left unread in them.
 */
function diagnoseDump(text: string): Leak {
  const records = parseSs(text).records;
  const held = new Map<TcpState, Map<number, number>>();
  let timeWait = 0;
  for (const r of records) {
    if (r.state === "TIME_WAIT") timeWait++;
    const pid = r.processes?.[0]?.pid;
    if (pid === undefined || r.state === "LISTEN" || r.state === "ESTABLISHED") continue;
    const byPid = held.get(r.state) ?? new Map<number, number>();
    byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
    held.set(r.state, byPid);
  }
  let best: Leak = { state: "CLOSED", pid: 0, count: 0, unread: 0, timeWait };
  for (const [state, byPid] of held) {
    for (const [pid, count] of byPid) {
      if (count > best.count) {
        const unread = records
          .filter((r) => r.state === state && r.processes?.[0]?.pid === pid)
          .reduce((n, r) => n + (r.recvQ ?? 0), 0);
        best = { state, pid, count, unread, timeWait };
      }
    }
  }
  return best;
}

function leakExplanation(l: Leak): string {
  return `${l.count} sockets in ${l.state} are held by pid ${l.pid}, with ${l.unread} bytes unread between them: `
    + `each peer closed, and the application neither read to the end nor called close(); CLOSE_WAIT ends only when it does (RFC 9293 §3.10.4). `
    + `The ${l.timeWait} TIME_WAIT sockets belong to no process and expire by themselves after ${PROFILES.linux.timeWait} s on Linux.`;
}

export const EXERCISES_07: readonly Exercise<never>[] = [
  defineExercise<TcpState>({
    id: "07.1",
    kind: "reasoning",
    form: "predict-the-state",
    question:
      "In the lost-final-ack preset the client's last ACK is lost, so the server, in LAST_ACK, retransmits its FIN. " +
      "In which state is the client when that retransmitted FIN reaches it?",
    expects: `a state name, e.g. "FIN_WAIT_2"`,
    read: readState,
    judge: (s) => {
      const trace = simulate("lost-final-ack", { profile: "linux" });
      const { state, arrives, outcome } = stateAtRetransmittedFin(trace);
      const what = outcome.kind === "transition"
        ? `it answers with ${outcome.send.join("+") || "nothing"} and stays in ${outcome.next}${outcome.restartsTimeWait ? ", restarting its 2MSL timer" : ""} (RFC 9293 ${outcome.ref}: ${outcome.note.replace(/\.$/, "")})`
        : `it ${outcome.kind === "ignored" ? "ignores" : "refuses"} it (${outcome.ref})`;
      const why = `the server's retransmitted FIN arrives at ${arrives.toFixed(2)} s, when the client is in ${state}; ${what}. `
        + "That is why the side that closed first keeps the connection's state after its last ACK: had it forgotten the connection, the FIN would meet no TCB and draw a RST (RFC 9293 §3.10.7.1).";
      return { correct: s === state, explanation: s === state ? why : `you said ${s}. ${why}` };
    },
    solution: "TIME_WAIT",
    hint: "The client sent its last ACK when the server's first FIN arrived. What did that FIN do to the client's state, and how long does it stay there?",
    misconceptions: [
      { answers: ["CLOSED"], says: "A CLOSED end has no connection left: it would answer the FIN with a RST (RFC 9293 §3.10.7.1), and a close that went well would end in an error for the server." },
      { answers: ["FIN_WAIT_2"], says: "FIN_WAIT_2 waits for the server's FIN; the first copy of that FIN already arrived — the client's lost ACK was its answer." },
      { answers: ["LAST_ACK"], says: "LAST_ACK is the state of the side that closed second; the client closed first." },
    ],
  }),
  defineExercise<TcpState>({
    id: "07.2",
    kind: "reasoning",
    form: "predict-the-state",
    question: "A server socket has sat in CLOSE_WAIT for a minute (its application was slow). Now the application calls close(). Which state does the socket enter?",
    expects: `a state name, e.g. "FIN_WAIT_1"`,
    read: readState,
    judge: (s) => assess(checkNextState("CLOSE_WAIT", "CLOSE", s, { profile: "linux" })),
    solution: "LAST_ACK",
    hint: "In CLOSE_WAIT the peer's direction is already closed. What does close() still have to send, and what must the socket then wait for?",
    misconceptions: [
      { answers: ["CLOSED"], says: "close() returns at once, but the connection is not gone: the socket's own FIN has yet to be acknowledged, and the kernel keeps the state until it is." },
      { answers: ["TIME_WAIT"], says: "TIME_WAIT is for the side that sent the first FIN; this side's FIN is the second one." },
      { answers: ["FIN_WAIT_1"], says: "FIN_WAIT_1 is the active closer's state, waiting for the peer's ACK and FIN; this side already has the peer's FIN." },
    ],
  }),
  defineExercise<number>({
    id: "07.3",
    kind: "reasoning",
    form: "calculate",
    question: "In the lost-fin preset the link drops the client's FIN once. How many segments carrying the client's FIN does the client put on the wire in all, the lost one included?",
    expects: "a whole number of segments",
    read: readInteger,
    judge: (n) => {
      const trace = simulate("lost-fin", { profile: "linux" });
      const fins = trace.events.filter((e): e is SegmentRecord => e.type === "segment" && e.from === "client" && e.flags.includes("FIN"));
      const lost = fins.filter((f) => f.dropped).length;
      const first = fins[0];
      const again = fins.find((f) => f.retransmission);
      const why = `the client sends its FIN ${fins.length} time(s): ${lost} copy lost at ${first?.t.toFixed(2) ?? "?"} s, then a retransmission at ${again?.t.toFixed(2) ?? "?"} s when the timer fired (initial RTO ${PROFILES.linux.initialRto} s). `
        + "A FIN occupies a sequence number, so it stays queued for retransmission until it is acknowledged, like data (RFC 9293 §3.4, §3.8.1); a pure ACK has none and is never retransmitted.";
      return { correct: n === fins.length, explanation: n === fins.length ? why : `you said ${n}. ${why}` };
    },
    solution: 2,
    hint: "What does the client's kernel do when its FIN is not acknowledged? Count every FIN segment the client sends, including any that are sent again.",
    misconceptions: [
      { answers: [1], says: "A lost FIN is not lost for good: without an acknowledgement of it, the closer cannot know the peer got it." },
    ],
  }),
  defineExercise<TcpState>({
    id: "07.4",
    kind: "reasoning",
    form: "predict-the-state",
    question: "A Linux socket in TIME_WAIT (default sysctls) receives a RST whose sequence number is exactly the one it expects. Which state is it in afterwards?",
    expects: `a state name, e.g. "TIME_WAIT"`,
    read: readState,
    judge: (s) => assess(checkNextState("TIME_WAIT", "RCV_RST", s, { profile: "linux" })),
    solution: "CLOSED",
    hint: "Look up net.ipv4.tcp_rfc1337 in the cheat sheet: what is its default, and what does that default do?",
    misconceptions: [
      { answers: ["TIME_WAIT"], says: "Ignoring a RST in TIME_WAIT is RFC 1337's protection, an option; check whether Linux has it on by default." },
    ],
  }),
  defineExercise<number>({
    id: "07.5",
    kind: "reasoning",
    form: "calculate",
    question: "A Linux client opens and actively closes 500 connections per second, steadily. About how many of its sockets are in TIME_WAIT at any moment?",
    expects: "a number of sockets",
    read: readNumber,
    judge: (n) => assess(checkTimeWaitPopulation(500, "linux", n)),
    solution: 500 * PROFILES.linux.timeWait,
    hint: "Little's law: sockets present = arrival rate × time each one stays. How long does one stay in TIME_WAIT on Linux?",
    misconceptions: [
      { answers: [500 * PROFILES.rfc9293.timeWait], says: "That uses RFC 9293's 2MSL of 4 minutes; Linux's TIME_WAIT has a different, fixed length." },
      { answers: [500], says: "That is the rate per second, not the number present: each socket stays much longer than a second." },
    ],
  }),
  defineExercise<number>({
    id: "07.6",
    kind: "transfer",
    form: "calculate",
    question: "An operator sets net.ipv4.tcp_fin_timeout = 10 to fight a pile of TIME_WAIT sockets. How many seconds does a new TIME_WAIT socket then last on Linux?",
    expects: "a number of seconds",
    read: readNumber,
    judge: (n) => {
      const tw = PROFILES.linux.timeWait;
      const why = `TIME_WAIT lasts TCP_TIMEWAIT_LEN = ${tw} s, compiled into the kernel (include/net/tcp.h); tcp_fin_timeout limits orphaned FIN_WAIT_2 sockets only (default ${PROFILES.linux.finWait2Timeout} s, tcp_close() in net/ipv4/tcp.c).`;
      return { correct: n === tw, explanation: n === tw ? why : `you said ${n}. ${why}` };
    },
    solution: PROFILES.linux.timeWait,
    hint: "Which state does tcp_fin_timeout's timer belong to? The cheat sheet says what the sysctl really governs.",
    misconceptions: [
      { answers: [10], says: "The name suggests it, but tcp_fin_timeout governs a different state than TIME_WAIT." },
      { answers: [20], says: "TIME_WAIT's length on Linux is not computed from any sysctl, doubled or not." },
    ],
  }),
  defineExercise<number>({
    id: "07.7",
    kind: "transfer",
    form: "calculate",
    question:
      `A Linux host closes first ${TW_OVERFLOW.rate} connections per second, steadily, and its operator has set net.ipv4.tcp_max_tw_buckets = ${TW_OVERFLOW.buckets}. ` +
      "Once things are steady, by about how much per second does the counter TcpExtTCPTimeWaitOverflow go up?",
    expects: "a number per second (decimals are fine)",
    read: readNumber,
    judge: (n) => {
      const o = timeWaitOverflow(TW_OVERFLOW.rate, TW_OVERFLOW.buckets);
      const ok = Math.abs(n - o.overflowPerSecond) <= 0.05 * o.overflowPerSecond;
      return { correct: ok, explanation: ok ? o.why : `you said ${n}. ${o.why}` };
    },
    solution: timeWaitOverflow(TW_OVERFLOW.rate, TW_OVERFLOW.buckets).overflowPerSecond,
    hint: "Once the buckets are full, a new TIME_WAIT socket gets a place only when an old one expires. How many expire per second, when each stays for Linux's TIME_WAIT length?",
    misconceptions: [
      { answers: [0], says: "Without the limit there would be rate × TIME_WAIT length sockets waiting; compare that with the limit the operator set." },
      { answers: [TW_OVERFLOW.rate], says: "Not every closing socket is turned away: whenever an old TIME_WAIT socket expires, a new one takes its place." },
    ],
  }),
  defineExercise<CloseAction>({
    id: "07.8",
    kind: "reasoning",
    form: "predict-the-state",
    question: "In the close-unread-data preset the client calls close() while 100 bytes from the server sit unread in its receive buffer. What does its close put on the wire: FIN, RST or nothing?",
    expects: `one of "FIN", "RST", "nothing"`,
    read: readChoice(CLOSE_ACTIONS),
    judge: (answer) => {
      const trace = simulate("close-unread-data", { profile: "linux" });
      const seg = closingSegment("client", trace);
      const sent: CloseAction = seg === undefined ? "nothing" : seg.flags.includes("RST") ? "RST" : "FIN";
      const why = `the client's close sends ${sent === "nothing" ? "no segment" : `[${seg!.flags.join(", ")}]`} and it goes to ${trace.final.client}: `
        + "closing with received data still unread SHOULD send a RST, so the peer learns the data was lost (RFC 9293 §3.6.1, RFC 1122 §4.2.2.13); Linux tcp_close() does, and counts it in TcpExtTCPAbortOnClose.";
      return { correct: answer === sent, explanation: answer === sent ? why : `you said ${answer}, but ${why}` };
    },
    solution: "RST",
    hint: "The server's 100 bytes were acknowledged but never read. How could the closing side tell the server they were lost?",
    misconceptions: [
      { answers: ["FIN"], says: "A FIN only says \"I have nothing more to send\": it would leave the server believing its 100 bytes reached an application, and they never will. RFC 9293 §3.6.1 has a rule for a close with received data pending." },
      { answers: ["nothing"], says: "A close is never silent while the connection is established: the peer must learn of it one way or another." },
    ],
  }),
  defineExercise<TcpState>({
    id: "07.9",
    kind: "diagnostic",
    form: "diagnose-a-dump",
    question: "Read the `ss -tanp` dump of a sick server (SICK_SERVER_SS_TANP). Which state shows the application bug?",
    expects: `a state name, e.g. "ESTABLISHED"`,
    read: readState,
    judge: (s) => {
      const leak = diagnoseDump(SICK_SERVER_SS_TANP);
      const why = leakExplanation(leak);
      return { correct: s === leak.state, explanation: s === leak.state ? why : `you said ${s}. ${why}` };
    },
    solution: "CLOSE_WAIT",
    hint: "Ignore the most numerous line: look for sockets that a process still holds, that carry unread bytes, and that no timer will ever end.",
    misconceptions: [
      { answers: ["TIME_WAIT"], says: "The most numerous state is not the sick one here: those sockets hold no process and end by themselves." },
      { answers: ["LISTEN"], says: "A listener is normal; look at the connections a process holds after their peers have gone." },
      { answers: ["ESTABLISHED"], says: "Those connections are alive and their queues are empty: nothing is stuck there." },
    ],
  }),
  defineExercise<number>({
    id: "07.10",
    kind: "diagnostic",
    form: "diagnose-a-dump",
    question: "In the same dump, which process (its pid) must be fixed?",
    expects: "a pid, a whole number",
    read: readInteger,
    judge: (pid) => {
      const leak = diagnoseDump(SICK_SERVER_SS_TANP);
      const why = leakExplanation(leak);
      return { correct: pid === leak.pid, explanation: pid === leak.pid ? why : `you said ${pid}. ${why}` };
    },
    solution: 4242,
    hint: "The `users:((…))` column names the process behind each socket; TIME_WAIT rows have none.",
    misconceptions: [
      { answers: [900], says: "That process's connections are established with empty queues; the stuck sockets belong to someone else." },
    ],
  }),
  defineExercise<number>({
    id: "07.11",
    kind: "transfer",
    form: "diagnose-a-dump",
    question: "`ss -tan state time-wait | wc -l` printed 5 for the listing TIME_WAIT_LISTING. How many sockets are in TIME_WAIT?",
    expects: "a whole number of sockets",
    read: readInteger,
    judge: (n) => {
      const parsed = parseSs(TIME_WAIT_LISTING, { state: "TIME_WAIT" });
      const lines = TIME_WAIT_LISTING.trimEnd().split("\n").length;
      const count = parsed.records.length;
      const why = `the listing has ${lines} lines, of which ${lines - count} is ss's header; ${count} rows are sockets. \`ss -Htan state time-wait | wc -l\` (-H: no header) counts them exactly.`;
      return { correct: n === count, explanation: n === count ? why : `you said ${n}. ${why}` };
    },
    solution: 4,
    hint: "Read the first line of the listing: is it a socket?",
    misconceptions: [
      { answers: [5], says: "wc -l counts lines, and not every line ss prints is a socket." },
    ],
  }),
  defineExercise<ConnectResult>({
    id: "07.12",
    kind: "reasoning",
    form: "choose",
    question: "A client calls connect() to a port on a host that is up, where nothing listens. What does connect() return: \"ok\", or which errno?",
    expects: `one of ${CONNECT_RESULTS.map((r) => `"${r}"`).join(", ")}`,
    read: readChoice(CONNECT_RESULTS),
    judge: (answer) => {
      const { result, why } = connectToClosedPort();
      return { correct: answer === result, explanation: answer === result ? why : `you said ${answer}. ${why}` };
    },
    solution: "ECONNREFUSED",
    hint: "What does a TCP with no connection (CLOSED) answer to a SYN? Then what does that answer do to a socket in SYN_SENT?",
    misconceptions: [
      { answers: ["ETIMEDOUT"], says: "A timeout needs a SYN that nothing answers (a host that is down, a firewall that drops). This host is up, and its TCP handles every segment it receives (RFC 9293 §3.10.7.1)." },
      { answers: ["ECONNRESET"], says: "ECONNRESET reports a RST on a connection that was established; this one never got past SYN_SENT (RFC 9293 §3.10.7.3)." },
      { answers: ["ok"], says: "connect() succeeds only once a SYN+ACK has come back, and only a listener sends one." },
    ],
  }),
  defineExercise<RstReaction>({
    id: "07.13",
    kind: "reasoning",
    form: "choose",
    question: "An ESTABLISHED Linux socket receives a RST whose sequence number is inside the receive window but not equal to RCV.NXT. Does it reset, send a challenge ACK, or ignore it?",
    expects: `one of "reset", "challenge-ack", "ignore"`,
    read: readChoice(RST_REACTIONS),
    judge: (answer) => {
      const { reaction, why } = rstReaction("ESTABLISHED", "RCV_RST_IN_WINDOW");
      return { correct: answer === reaction, explanation: answer === reaction ? why : `you said ${answer}. ${why}` };
    },
    solution: "challenge-ack",
    hint: "RFC 5961 makes blind reset attacks hard: an attacker can guess a number in the window far more easily than the exact next one.",
    misconceptions: [
      { answers: ["reset"], says: "That was RFC 793's rule for any RST in the window; RFC 5961, which Linux implements, is stricter about where the RST must sit." },
      { answers: ["ignore"], says: "The in-window RST may be genuine — a peer whose numbers are a little behind. Read what RFC 5961 §3.2 asks of a receiver for a RST that is in the window but not exact." },
    ],
  }),
];
