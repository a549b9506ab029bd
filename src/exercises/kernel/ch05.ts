/**
 * Chapter 05's kernel-backed exercises: two read-a-capture exercises whose judge replays a
 * capture made by the project's own demos (notebooks/data/05-capture-*.pcap), and a fix-the-code
 * exercise whose judge runs the exercise's leaky handler ("before") and the learner's handler
 * ("after") as real loopback servers.
 */
import type net from "node:net";
import { defineExercise, type Assessment, type Exercise, type Read } from "../engine.js";
import { readChoice, readInteger } from "../readers.js";
import { chapterCapture, closeFacts, type CloseFacts } from "./capture-facts.js";
import { probeCloseWaitLeak, type ConnectionHandler, type LeakProbeResult } from "./leak-probe.js";

const CLOSES = ["client FIN", "client RST", "server FIN", "server RST"] as const;
type Close = (typeof CLOSES)[number];

/**
 * The captures of exercises 05.1 and 05.2, named neutrally (the name must not give the answer
 * away). 05-capture-a.pcap: the `close-unread-data` demo; 05-capture-b.pcap: the `abort-rst`
 * demo; both captured with tcpdump on the loopback of a private network namespace, so that no
 * other connection is in the file.
 */
export const CAPTURE_05_1 = chapterCapture("capture-a");
export const CAPTURE_05_2 = chapterCapture("capture-b");

function closeOf(f: CloseFacts): Close | undefined {
  return f.firstClose ? (`${f.firstClose.by} ${f.firstClose.kind}` as Close) : undefined;
}

const CAUSES = ["unread data", "abort", "no connection"] as const;
type Cause = (typeof CAUSES)[number];

/**
 * Why the first RST of a capture was sent, judged from the file alone:
 * - its sender never sent a SYN (or SYN+ACK) in it: it had no TCB for the connection, and a
 *   segment for a connection that does not exist is answered with a RST (RFC 9293 §3.10.7.1);
 * - it had received payload it never acknowledged by a FIN of its own: a close with data unread
 *   (RFC 9293 §3.6.1 SHLD-3; Linux __tcp_close(), data_was_unread → TcpExtTCPAbortOnClose);
 * - otherwise it was in the connection with nothing unread, so only its application's abort
 *   (SO_LINGER 0, RFC 9293 §3.10.5 ABORT; Linux __tcp_close() → tcp_disconnect(), counted as
 *   TcpExtTCPAbortOnData) sends a RST there.
 */
function rstCause(f: CloseFacts): { cause: Cause; why: string } | undefined {
  if (!f.rst) return undefined;
  const { by, receivedBefore, finBefore, openedBefore } = f.rst;
  if (!openedBefore) {
    return { cause: "no connection", why: `the ${by} sent no SYN before its RST: it had no connection for what it received, and RFC 9293 §3.10.7.1 answers such a segment with a RST.` };
  }
  if (receivedBefore > 0 && !finBefore) {
    return {
      cause: "unread data",
      why:
        `the ${by} took part in the handshake, acknowledged ${receivedBefore} payload byte(s) from its peer and then sent a RST with no FIN before it: ` +
        "that is how Linux closes a socket whose application never read what arrived (__tcp_close(), data_was_unread → TcpExtTCPAbortOnClose; " +
        "RFC 9293 §3.6.1 SHLD-3, for a host with the half-duplex close of MAY-1, as socket close() is).",
    };
  }
  return {
    cause: "abort",
    why:
      `the ${by} took part in the handshake and had received ${receivedBefore} payload byte(s) — nothing left unread — yet it ended with a RST and no FIN: ` +
      "only its application's abort does that (SO_LINGER {1, 0} then close(), Node's resetAndDestroy(); RFC 9293 §3.10.5 ABORT; Linux __tcp_close() → tcp_disconnect(), " +
      "counted as TcpExtTCPAbortOnData).",
  };
}

const ex1 = defineExercise<Close>({
  id: "05.1",
  kind: "diagnostic",
  form: "read-a-capture",
  question: "In notebooks/data/05-capture-a.pcap, which side ended the connection, and with which segment?",
  expects: `one of ${CLOSES.map((c) => `"${c}"`).join(", ")}`,
  read: readChoice(CLOSES),
  async judge(answer): Promise<Assessment> {
    const f = await closeFacts(CAPTURE_05_1);
    const truth = closeOf(f);
    const first = f.firstClose ? ` (seq=${f.firstClose.seq} ack=${f.firstClose.ack}, relative)` : "";
    const cause = rstCause(f);
    return {
      correct: answer === truth,
      explanation: `the first segment with FIN or RST is a ${truth ?? "none"}${first}; ${cause ? cause.why : "no RST in this capture."}`,
    };
  },
  solution: "client RST",
  hint: "Find the first segment whose flags include FIN or RST; the side is whoever sent it. Then look at what that side had received before.",
  misconceptions: [
    {
      answers: ["server RST", "server FIN"],
      says: "Check the direction as well as the flags: the server is the side that answered the first SYN (SYN+ACK). Which side sent the first segment with F or R?",
    },
    {
      answers: ["client FIN"],
      says: "A close() usually sends a FIN, but not always (RFC 9293 §3.6.1 lets a close with data pending end otherwise). Read the flags of the first segment with F or R, not what a close usually sends.",
    },
  ],
});

const ex2 = defineExercise<Cause>({
  id: "05.2",
  kind: "diagnostic",
  form: "read-a-capture",
  question:
    "notebooks/data/05-capture-b.pcap ends with a RST. Judging from the file alone, why was it sent: its sender closed with \"unread data\", " +
    "its application chose to \"abort\" (SO_LINGER 0), or it had \"no connection\" for what it received?",
  expects: `one of ${CAUSES.map((c) => `"${c}"`).join(", ")}`,
  read: readChoice(CAUSES),
  async judge(answer): Promise<Assessment> {
    const f = await closeFacts(CAPTURE_05_2);
    const c = rstCause(f);
    return { correct: answer === c?.cause, explanation: c ? c.why : "there is no RST in this capture." };
  },
  solution: "abort",
  hint: "Three questions to the file: did the RST's sender take part in the handshake? How many payload bytes had it received before its RST? Had it sent a FIN?",
  misconceptions: [
    {
      answers: ["unread data"],
      says: "A close with unread data needs bytes that arrived and were never read: count the payload (len=) the RST's sender had received before it.",
    },
    {
      answers: ["no connection"],
      says: "A RST for \"no connection\" comes from a side that has no TCB for the segment; a side that sent its own SYN or SYN+ACK in this file had one.",
    },
  ],
});

/** A handler answer: the function, printed as its source (the engine shows answers as JSON). */
export interface HandlerAnswer {
  readonly handler: ConnectionHandler;
  toJSON(): string;
}

function readHandler(raw: unknown): Read<HandlerAnswer> {
  if (typeof raw !== "function") return { ok: false, problem: "that is not a function: pass the handler itself, e.g. check(\"05.3\", handle)." };
  const handler = raw as ConnectionHandler;
  return { ok: true, value: { handler, toJSON: () => String(raw) } };
}

/** Counts in words, for the judge's explanation. */
export function describeLeakProbe(r: LeakProbeResult): string {
  const errors = r.clientErrors.length > 0 ? `; client errors: ${r.clientErrors.join(", ")}` : "";
  const threw = r.handlerError !== undefined ? `; the handler threw: ${r.handlerError}` : "";
  return (
    `${r.connections} clients sent a request and half-closed; CLOSE_WAIT on port ${r.port}: ${r.closeWaitFirst} right after, ` +
    `${r.closeWaitLater} half a second later; ${r.repliesRead} client(s) got the reply, ${r.eofRead} read the server's EOF${errors}${threw}`
  );
}

/**
 * The handler exercise 05.3 starts from (the notebook's cell shows the same code): it answers a
 * GET and forgets the socket on anything else. The judge runs it as the "before".
 */
export const LEAKY_START_HANDLER: ConnectionHandler = (socket) => {
  let request = "";
  socket.on("data", (chunk: Buffer) => (request += chunk.toString()));
  socket.on("end", () => {
    if (request.startsWith("GET ")) socket.end(`200 ${request.trim()}\n`);
  });
};

const ex3 = defineExercise<HandlerAnswer>({
  id: "05.3",
  kind: "transfer",
  form: "fix-the-code",
  question: "Fix the leaking handler so that no connection stays in CLOSE_WAIT, every client gets a reply (an error message is a reply) and a clean EOF, and none is reset.",
  expects: "your fixed handler function, e.g. handle",
  read: readHandler,
  async judge(answer): Promise<Assessment> {
    // Before (the handler the cell starts from) and after (the learner's), one after the other on fresh ports.
    const before = await probeCloseWaitLeak(LEAKY_START_HANDLER);
    const r = await probeCloseWaitLeak(answer.handler);
    const clean = r.closeWaitLater === 0 && r.repliesRead === r.connections && r.eofRead === r.connections && r.clientErrors.length === 0 && r.handlerError === undefined;
    const why = clean
      ? "Every path of the handler ends its side once the client's FIN has arrived, so each CLOSE_WAIT lasts only until the reply is sent."
      : r.closeWaitLater > 0
        ? "The server's kernel ACKed each client's FIN and waits for the application to close its side; on some path the handler never does."
        : "No CLOSE_WAIT left, but the clients did not all get the reply and a clean EOF: closing too early (or destroying with the request unread) loses the answer or sends a RST.";
    const counts = `before (the leaky handler): ${before.closeWaitLater} of ${before.connections} stuck in CLOSE_WAIT; after (yours): ${r.closeWaitLater} of ${r.connections}`;
    return { correct: clean, explanation: `${counts}. Yours in detail: ${describeLeakProbe(r)}. ${why}` };
  },
  solution: {
    handler: (socket: net.Socket) => {
      let request = "";
      socket.on("data", (chunk: Buffer) => (request += chunk.toString()));
      socket.on("end", () => {
        if (request.startsWith("GET ")) socket.end(`200 ${request.trim()}\n`);
        else socket.end("405 only GET\n");
      });
    },
    toJSON: () =>
      'function handle(socket) { let request = ""; socket.on("data", (chunk) => (request += chunk)); ' +
      'socket.on("end", () => { if (request.startsWith("GET ")) socket.end(`200 ${request.trim()}\\n`); else socket.end("405 only GET\\n"); }); }',
  },
  hint: "Follow every path through the 'end' handler: on which one does the server's own FIN never go out?",
  misconceptions: [],
});

export const KERNEL_EXERCISES_05: readonly Exercise<never>[] = [ex1, ex2, ex3];
