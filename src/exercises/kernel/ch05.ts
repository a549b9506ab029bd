/**
 * Chapter 05's kernel-backed exercises: two read-a-capture exercises whose judge replays a
 * capture made by the project's own demos (notebooks/data/05-*.pcap), and a fix-the-code
 * exercise whose judge runs the learner's handler as a real loopback server.
 */
import type net from "node:net";
import { defineExercise, type Assessment, type Exercise, type Read } from "../engine.js";
import { readChoice, readInteger } from "../readers.js";
import { chapterCapture, closeFacts, type CloseFacts } from "./capture-facts.js";
import { probeCloseWaitLeak, type ConnectionHandler, type LeakProbeResult } from "./leak-probe.js";

const CLOSES = ["client FIN", "client RST", "server FIN", "server RST"] as const;
type Close = (typeof CLOSES)[number];

/** The capture of exercise 05.1 (`close-unread-data` demo) and 05.2 (`half-close` demo). */
export const CAPTURE_05_1 = chapterCapture("close-unread-data");
export const CAPTURE_05_2 = chapterCapture("half-close");

function closeOf(f: CloseFacts): Close | undefined {
  return f.firstClose ? (`${f.firstClose.by} ${f.firstClose.kind}` as Close) : undefined;
}

function whyRst(f: CloseFacts): string {
  if (!f.rst) return "no RST in this capture.";
  const { by, receivedBefore, finBefore } = f.rst;
  return receivedBefore > 0 && !finBefore
    ? `the ${by} acknowledged ${receivedBefore} byte(s) from its peer and then sent a RST with no FIN before it: ` +
        "that is how Linux closes a socket whose application never read what arrived (__tcp_close(), data_was_unread → " +
        "TcpExtTCPAbortOnClose; RFC 9293 §3.6.1 SHLD-3, for a host with the half-duplex close of MAY-1, as socket close() is). " +
        "An abort (SO_LINGER 0) would look the same on the wire; the application's code would tell them apart."
    : `the ${by} sent a RST without having received data it could have left unread: an abort (SO_LINGER 0) or no connection for the segment (RFC 9293 §3.5.2).`;
}

const ex1 = defineExercise<Close>({
  id: "05.1",
  kind: "diagnostic",
  form: "read-a-capture",
  question: "In notebooks/data/05-close-unread-data.pcap, which side ended the connection, and with which segment?",
  expects: `one of ${CLOSES.map((c) => `"${c}"`).join(", ")}`,
  read: readChoice(CLOSES),
  async judge(answer): Promise<Assessment> {
    const f = await closeFacts(CAPTURE_05_1);
    const truth = closeOf(f);
    const first = f.firstClose ? ` (seq=${f.firstClose.seq} ack=${f.firstClose.ack}, relative)` : "";
    return {
      correct: answer === truth,
      explanation: `the first segment with FIN or RST is a ${truth ?? "none"}${first}; ${whyRst(f)}`,
    };
  },
  solution: "client RST",
  hint: "Find the first segment whose flags include FIN or RST; the side is whoever sent it. Then look at what that side had received before.",
  misconceptions: [
    {
      answers: ["server RST"],
      says: "The side that wrote the data is not the one that refused it: a RST's sender is the side whose kernel had no way to deliver what it got.",
    },
    {
      answers: ["client FIN", "server FIN"],
      says: "A close() usually sends a FIN, but look at the flags of the segment that ended this connection: there is no FIN in it.",
    },
  ],
});

const ex2 = defineExercise<number>({
  id: "05.2",
  kind: "diagnostic",
  form: "read-a-capture",
  question: "In notebooks/data/05-half-close.pcap, how many payload bytes did the other side still send after the first FIN?",
  expects: "a whole number of bytes, e.g. 0",
  read: readInteger,
  async judge(answer): Promise<Assessment> {
    const f = await closeFacts(CAPTURE_05_2);
    const fin = f.firstClose;
    return {
      correct: answer === f.bytesAfterFirstFin,
      explanation:
        `the first FIN is the ${fin?.by ?? "?"}'s (seq=${fin?.seq ?? "?"}); after it the ${fin?.by === "client" ? "server" : "client"} sent ` +
        `${f.bytesAfterFirstFin} payload byte(s), each acknowledged by the side that had already sent its FIN. ` +
        "A FIN closes one direction only: the half-close (RFC 9293 §3.6, \"may continue to RECEIVE until the remote side also CLOSEs\").",
    };
  },
  solution: 2000,
  hint: "Add up the len= of the segments sent after the first FIN by the side that did not send it.",
  misconceptions: [
    {
      answers: [0],
      says: "That would be true if a FIN closed both directions. Look again at the segments after the first FIN, and who sent them.",
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

const ex3 = defineExercise<HandlerAnswer>({
  id: "05.3",
  kind: "transfer",
  form: "fix-the-code",
  question: "Fix the leaking handler so that no connection stays in CLOSE_WAIT, every client gets a reply (an error message is a reply) and a clean EOF, and none is reset.",
  expects: "your fixed handler function, e.g. handle",
  read: readHandler,
  async judge(answer): Promise<Assessment> {
    const r = await probeCloseWaitLeak(answer.handler);
    const clean = r.closeWaitLater === 0 && r.repliesRead === r.connections && r.eofRead === r.connections && r.clientErrors.length === 0 && r.handlerError === undefined;
    const why = clean
      ? "Every path of the handler ends its side once the client's FIN has arrived, so each CLOSE_WAIT lasts only until the reply is sent."
      : r.closeWaitLater > 0
        ? "The server's kernel ACKed each client's FIN and waits for the application to close its side; on some path the handler never does."
        : "No CLOSE_WAIT left, but the clients did not all get the reply and a clean EOF: closing too early (or destroying with the request unread) loses the answer or sends a RST.";
    return { correct: clean, explanation: `${describeLeakProbe(r)}. ${why}` };
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
