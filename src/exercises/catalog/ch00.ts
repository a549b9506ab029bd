/**
 * Chapter 00's exercises (see ../engine.ts for the shape and the feedback loop): full duplex
 * as two pipes, what shutdown(SHUT_WR) closes, and a close designed for an upload protocol.
 * Every verdict is computed by the simulator or the transition table, never typed in.
 */
import { decide } from "../../fsm/machine.js";
import { simulate } from "../../sim/simulate.js";
import { validateScenario, type Scenario } from "../../sim/scenario.js";
import type { Trace } from "../../sim/trace.js";
import { closeWaves, segmentsOf } from "../../teaching/trace-helpers.js";
import { defineExercise, type Exercise } from "../engine.js";
import { readBoolean, readChoice } from "../readers.js";

const DIRECTIONS = ["client-to-server", "server-to-client", "both", "neither"] as const;
type Direction = (typeof DIRECTIONS)[number];

/** The chapter's picture, as a trace: the client calls shutdown(SHUT_WR); the server still sends, then closes. */
function halfClose(): Trace {
  return simulate("four-way-close", { profile: "linux" });
}

/** Which pipe the first acknowledged FIN closed, and what still flowed the other way, read from the trace. */
function closedPipe(trace: Trace): { closed: Direction; fin: number; after: number } {
  const c = closeWaves(trace);
  const ack = c.waves.find((w) => w.wave === 2);
  const fin3 = c.waves.find((w) => w.wave === 3);
  if (c.activeCloser === undefined || ack === undefined) return { closed: "neither", fin: 0, after: 0 };
  // Both pipes are closed only once the second FIN was sent too; "after the ACK" asks about the moment of wave 2.
  const bothAtOnce = fin3 !== undefined && fin3.position === ack.position;
  const closed: Direction = bothAtOnce ? "both" : c.activeCloser === "client" ? "client-to-server" : "server-to-client";
  return { closed, fin: c.waves[0]!.position, after: c.halfCloseBytes };
}

const UPLOAD_CALLS = ["close", "shutdown", "abort"] as const;
type UploadCall = (typeof UPLOAD_CALLS)[number];

/**
 * An upload: the client sends 5000 bytes, then makes `call`; the server, on EOF, sends a
 * 32-byte receipt and closes 50 ms later. Linux profile: close() orphans the socket, so data
 * arriving afterwards draws a RST (RFC 9293 §3.6.1; Linux tcp_rcv_state_process()).
 */
export function uploadScenario(call: UploadCall): Scenario {
  const r = validateScenario({
    name: `upload-then-${call}`,
    title: `Upload, then ${call}`,
    description: "The client uploads, then ends its side; the server answers with a receipt on EOF and closes.",
    profile: "linux",
    seed: 1,
    start: "established",
    steps: {
      client: [{ at: 0, do: "send", bytes: 5000 }, { at: 0.01, do: call }],
      server: [
        { on: "eof", do: "send", bytes: 32 },
        { on: "eof", after: 0.05, do: "close" },
      ],
    },
  });
  // The document is data in this file; an invalid one is a bug the exercise tests catch.
  if (!r.ok) throw new Error(`upload scenario is invalid: ${r.errors.map((e) => e.message).join("; ")}`);
  return r.scenario;
}

/** What the client got of the receipt, read from the simulated trace. */
export function uploadOutcome(call: UploadCall): { receiptBytes: number; rstFrom: string | undefined; serverSawEof: boolean } {
  const trace = simulate(uploadScenario(call));
  const segs = segmentsOf(trace);
  const rst = segs.find((s) => s.flags.includes("RST"));
  // The receipt reached the client's application only if the client acknowledged it without a RST.
  const receipt = segs.filter((s) => s.from === "server" && s.len > 0 && !s.dropped);
  const acked = receipt.filter((d) => segs.some((a) => a.from === "client" && !a.flags.includes("RST") && a.flags.includes("ACK") && a.ack >= d.seq + d.len));
  const receiptBytes = rst?.from === "client" ? 0 : acked.reduce((n, s) => n + s.len, 0);
  const serverSawEof = segs.some((s) => s.from === "client" && s.flags.includes("FIN"));
  return { receiptBytes, rstFrom: rst?.from, serverSawEof };
}

function describeUpload(call: UploadCall): string {
  const o = uploadOutcome(call);
  const what = { close: "close()", shutdown: "shutdown(SHUT_WR)", abort: "an abort (SO_LINGER 0)" }[call];
  const eof = o.serverSawEof ? "the server read EOF and sent its receipt" : "the server never read EOF";
  const rst = o.rstFrom ? `; the ${o.rstFrom} sent a RST` : "";
  return `after ${what}, ${eof}${rst}, and the client's application received ${o.receiptBytes} of the 32 receipt bytes`;
}

export const EXERCISES_00: readonly Exercise<never>[] = [
  defineExercise<Direction>({
    id: "00.1",
    kind: "reasoning",
    form: "choose",
    question:
      "The client's application calls shutdown(SHUT_WR) and the server acknowledges the FIN. Which pipe of the picture is closed now?",
    expects: `one of ${DIRECTIONS.map((d) => `"${d}"`).join(", ")}`,
    read: readChoice(DIRECTIONS),
    judge(answer) {
      const { closed, fin, after } = closedPipe(halfClose());
      const why =
        `in the simulated close the client's FIN is segment ${fin}; once it is acknowledged the ${closed} pipe is closed, ` +
        `and the server still sent ${after} bytes the other way (RFC 9293 §3.6: a FIN closes only its sender's direction).`;
      return { correct: answer === closed, explanation: why };
    },
    solution: "client-to-server",
    hint: "A FIN is the last thing its sender writes into its own pipe. Whose pipe did the client's FIN go into?",
    misconceptions: [
      {
        answers: ["both"],
        says: "A FIN does not end the connection: it ends one byte stream. The other stream has its own sender, who decides separately.",
      },
      {
        answers: ["server-to-client"],
        says: "The ACK travels from the server, but an ACK closes nothing: it only confirms what arrived.",
      },
    ],
  }),
  defineExercise<boolean>({
    id: "00.2",
    kind: "reasoning",
    form: "choose",
    question: "After its shutdown(SHUT_WR) has been acknowledged, can the client's application still read data the server sends? (true or false)",
    expects: "true or false",
    read: readBoolean,
    judge(answer) {
      const { outcome } = decide("FIN_WAIT_2", "RCV_DATA", "linux", {});
      const accepted = outcome.kind === "transition" && outcome.next === "FIN_WAIT_2" && !outcome.send.includes("RST");
      const sent = closedPipe(halfClose()).after;
      const why = accepted
        ? `data arriving in FIN_WAIT_2 after shutdown(SHUT_WR) is accepted and acknowledged (${outcome.kind === "transition" ? outcome.ref : ""}); in the simulated close the client received ${sent} bytes after its FIN.`
        : `the transition table does not accept data in FIN_WAIT_2 after shutdown(SHUT_WR).`;
      return { correct: answer === accepted, explanation: why };
    },
    solution: true,
    hint: "shutdown(SHUT_WR) names one direction in its argument. Which one?",
    misconceptions: [
      {
        answers: [false],
        says: "That is true after close(), which gives up the socket; shutdown(SHUT_WR) keeps the socket open and ends only the sending side.",
      },
    ],
  }),
  defineExercise<"step 1" | "step 2">({
    id: "00.3",
    kind: "reasoning",
    form: "choose",
    question:
      "In the phone-call picture, which step ends your own talking: step 1 (your FIN) or step 2 (their ACK of it)?",
    expects: `"step 1" or "step 2"`,
    read: readChoice(["step 1", "step 2"] as const),
    judge(answer) {
      const shut = decide("ESTABLISHED", "SHUTDOWN_WRITE", "linux", {}).outcome;
      const send = decide("FIN_WAIT_1", "SEND", "linux", {}).outcome;
      const state = shut.kind === "transition" ? shut.next : "ESTABLISHED";
      const refused = send.kind === "error" ? `refused (${send.reason}, ${send.ref})` : send.kind;
      const why =
        `sending the FIN already moves you to ${state}, and a SEND in ${state} is ${refused}: ` +
        `step 1 ended your talking before any ACK came back; step 2 only confirms the FIN arrived.`;
      return { correct: answer === "step 1", explanation: why };
    },
    solution: "step 1",
    hint: "Ask the transition table what a SEND does in the state you enter the moment your FIN leaves, before any answer arrives.",
    misconceptions: [
      {
        answers: ["step 2"],
        says: "The ACK tells you the FIN arrived; it does not grant or take away anything. Your sending side was ended by your own decision.",
      },
    ],
  }),
  defineExercise<UploadCall>({
    id: "00.4",
    kind: "transfer",
    form: "design",
    question:
      "Design the end of an upload protocol: the client sends a file, then must receive the server's 32-byte receipt. Right after the last byte, the client should call: \"close\", \"shutdown\" (SHUT_WR) or \"abort\"?",
    expects: `one of "close", "shutdown", "abort"`,
    read: readChoice(UPLOAD_CALLS),
    judge(answer) {
      const works = UPLOAD_CALLS.filter((c) => uploadOutcome(c).receiptBytes === 32);
      const correct = works.includes(answer);
      const others = UPLOAD_CALLS.filter((c) => c !== answer).map(describeUpload).join("; ");
      return { correct, explanation: `in the simulator (linux profile), ${describeUpload(answer)}. For comparison: ${others}.` };
    },
    solution: "shutdown",
    hint: "The server needs to learn that the upload is over, and the client must keep one pipe open. Which call closes exactly one pipe?",
    misconceptions: [
      {
        answers: ["close"],
        says: "close() does send a FIN, so the server learns the upload is over, but the client gives up its socket: a reply arriving afterwards has no reader, and Linux answers it with a RST.",
      },
      {
        answers: ["abort"],
        says: "An abort throws away the connection at once with a RST: the server never sees a clean end of the upload.",
      },
    ],
  }),
];
