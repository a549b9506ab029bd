/**
 * Chapter 07's exercises: the self-test, mixed questions across chapters 00–06 (see
 * ../engine.ts for the shape and the feedback loop). Every judge works its answer out from the
 * library: the transition table (`decide`), a simulator trace (`simulate`), the profiles, or a
 * parsed `ss` listing; none holds a verdict of its own.
 */
import { defineExercise, type Assessment, type Exercise, type Read } from "../engine.js";
import { readChoice, readChoices, readInteger, readNumber, readState } from "../readers.js";
import {
  checkClosedDirection, checkNextState, checkPortExhaustion, checkSegmentCount, checkTimeWaitPopulation, checkTimeWaitSide,
} from "../checkers.js";
import type { Verdict } from "../verdict.js";
import { decide } from "../../fsm/machine.js";
import { PROFILES } from "../../fsm/profiles.js";
import type { TcpState } from "../../fsm/states.js";
import { simulate } from "../../sim/simulate.js";
import type { EndpointName, SegmentRecord } from "../../sim/trace.js";
import { parseSs } from "../../parse/ss.js";
import { SICK_SERVER_SS_TANP, TIME_WAIT_LISTING } from "../../teaching/cheat-sheet.js";

/** A checker's verdict as an assessment: the engine adds "Right:" / "Not quite." itself. */
function assess(v: Verdict): Assessment {
  return { correct: v.correct, explanation: v.message.replace(/^(Right|Not quite): /, "") };
}

/** A number, or null for "never". */
function readNumberOrNull(raw: unknown): Read<number | null> {
  if (raw === null || (typeof raw === "string" && /^\s*(null|never)\s*$/i.test(raw))) return { ok: true, value: null };
  return readNumber(raw);
}

const SIDES = ["client", "server", "none"] as const;
type Side = (typeof SIDES)[number];

const CLOSE_ACTIONS = ["FIN", "RST", "nothing"] as const;
type CloseAction = (typeof CLOSE_ACTIONS)[number];

const RST_REACTIONS = ["reset", "challenge-ack", "ignore"] as const;
type RstReaction = (typeof RST_REACTIONS)[number];

/** Port range of the exercise on ephemeral ports: Linux's default ip_local_port_range. */
const DEFAULT_PORT_RANGE: readonly [number, number] = [32768, 60999];

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
  defineExercise<Side[]>({
    id: "07.1",
    kind: "reasoning",
    form: "predict-the-state",
    question: "In the simultaneous-close preset (both applications close at the same instant), which endpoints go through TIME_WAIT?",
    expects: `a list of "client" and/or "server", or "none"`,
    read: readChoices(SIDES),
    judge: (answer) => {
      const sides = answer.filter((s): s is EndpointName => s !== "none");
      return assess(checkTimeWaitSide(simulate("simultaneous-close", { profile: "linux" }), answer.includes("none") ? "none" : sides));
    },
    solution: ["client", "server"],
    hint: "TIME_WAIT belongs to a side that sent its FIN before it received the peer's. In this preset, who sent a FIN before receiving one?",
    misconceptions: [
      { answers: [["client"]], says: "TIME_WAIT is not tied to the client role: it follows who closed first, and here nobody closed after the other." },
      { answers: [["server"]], says: "TIME_WAIT is not a server-side state; it follows the order of the FINs, not the role." },
      { answers: [["none"]], says: "Crossing FINs do not skip TIME_WAIT: each side still sent a FIN before it had the peer's." },
    ],
  }),
  defineExercise<number>({
    id: "07.2",
    kind: "reasoning",
    form: "calculate",
    question: "In the three-way-close preset, how many segments are delivered from the moment the client closes?",
    expects: "a whole number of segments",
    read: readInteger,
    judge: (n) => assess(checkSegmentCount(simulate("three-way-close", { profile: "linux" }), n, { afterState: { endpoint: "client", state: "ESTABLISHED" } })),
    solution: 3,
    hint: "Four messages are needed logically (two FINs, two ACKs). Can one segment carry two of them?",
    misconceptions: [
      { answers: [4], says: "Four is the number of messages, not necessarily of segments: an ACK can ride on a segment that carries something else." },
      { answers: [2], says: "Every FIN must be acknowledged, including the last one, so the close cannot end on a FIN." },
    ],
  }),
  defineExercise<TcpState>({
    id: "07.3",
    kind: "reasoning",
    form: "predict-the-state",
    question: "A socket in FIN_WAIT_1 receives one segment that carries the peer's FIN and acknowledges its own FIN. Which state does it enter?",
    expects: `a state name, e.g. "CLOSING"`,
    read: readState,
    judge: (s) => assess(checkNextState("FIN_WAIT_1", "RCV_FIN_ACK_OF_FIN", s)),
    solution: "TIME_WAIT",
    hint: "FIN_WAIT_1 waits for two things: the ACK of its FIN and the peer's FIN. What if both come at once?",
    misconceptions: [
      { answers: ["FIN_WAIT_2"], says: "FIN_WAIT_2 is where a socket waits for the peer's FIN once its own is acknowledged; this segment already brought that FIN." },
      { answers: ["CLOSING"], says: "CLOSING is for a FIN that does not yet acknowledge ours (a simultaneous close); this one does." },
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
  defineExercise<number | null>({
    id: "07.7",
    kind: "transfer",
    form: "calculate",
    question: "A Linux client opens 2000 connections per second to ONE remote server address and port, and closes each one itself right away. With the default ip_local_port_range, after how many seconds does connect() start failing with EADDRNOTAVAIL (null if never)?",
    expects: "a number of seconds, or null for never",
    read: readNumberOrNull,
    judge: (n) => assess(checkPortExhaustion(2000, DEFAULT_PORT_RANGE, "linux", n)),
    solution: (DEFAULT_PORT_RANGE[1] - DEFAULT_PORT_RANGE[0] + 1) / 2000,
    hint: "Count the ports in 32768–60999, and compare the time to use them all with how long each one stays held after its close.",
    misconceptions: [
      { answers: [null], says: "A port is not free when close() returns: the active closer keeps the 4-tuple for the whole of TIME_WAIT." },
      { answers: [DEFAULT_PORT_RANGE[1] - DEFAULT_PORT_RANGE[0] + 1], says: "That is the number of ports, not a time: divide by how many are taken per second." },
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
      { answers: ["FIN"], says: "close() is not always graceful: a FIN would tell the server its bytes were delivered to the application, and they were not." },
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
  defineExercise<string>({
    id: "07.12",
    kind: "reasoning",
    form: "read-a-capture",
    question: "In the half-close preset, once the server has acknowledged the client's FIN, which direction of the connection is closed?",
    expects: `one of "client-to-server", "server-to-client", "both", "neither"`,
    read: readChoice(["client-to-server", "server-to-client", "both", "neither"] as const),
    // The checker prints sequence numbers relative to each side's ISN, as the ladders do.
    judge: (d) => assess(checkClosedDirection(simulate("half-close", { profile: "linux" }), d)),
    solution: "client-to-server",
    hint: "A FIN says \"no more data from me\". Who sent the first FIN, and could the other side still send afterwards?",
    misconceptions: [
      { answers: ["both"], says: "A FIN does not close the whole connection: TCP is full duplex and each direction closes on its own." },
      { answers: ["server-to-client"], says: "An ACK of a FIN does not close the acknowledger's direction; only its own FIN would." },
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
      { answers: ["ignore"], says: "Silently dropping it would leave a peer that really lost the connection unanswered; the receiver does react, just not by resetting." },
    ],
  }),
];
