/**
 * Chapter 01's exercises (see ../engine.ts for the shape and the feedback loop): the four
 * waves' numbers, the active closer's states, and reading a real capture of a half-close.
 * Verdicts come from the simulator, the transition table and closeWaves().
 */
import { decide } from "../../fsm/machine.js";
import type { TcpState } from "../../fsm/states.js";
import { simulate } from "../../sim/simulate.js";
import { validateScenario, type Scenario } from "../../sim/scenario.js";
import type { EndpointName } from "../../sim/trace.js";
import { closeWaves, relativeTo } from "../../teaching/trace-helpers.js";
import { defineExercise, type Exercise, type Read } from "../engine.js";
import { readState } from "../readers.js";

/** "u", "u+1", "v−100" …: a sequence number written relative to the two FINs. */
export interface RelativePair {
  readonly seq: string;
  readonly ack: string;
}

const REL = /^([uv])\s*(?:([+\-−])\s*(\d+))?$/;

function normRel(raw: string): string | undefined {
  const m = REL.exec(raw.trim());
  if (!m) return undefined;
  const n = m[3] === undefined ? 0 : Number(m[3]);
  if (n === 0) return m[1];
  return `${m[1]}${m[2] === "+" ? "+" : "−"}${n}`;
}

/** Reads `{ seq: "u+1", ack: "v+1" }` (spaces and "-" for "−" allowed). */
export function readRelativePair(raw: unknown): Read<RelativePair> {
  const shape = `an object such as { seq: "u", ack: "v+1" }`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { ok: false, problem: `that is not ${shape}.` };
  const o = raw as Record<string, unknown>;
  if (typeof o.seq !== "string" || typeof o.ack !== "string") return { ok: false, problem: `seq and ack must both be strings, as in ${shape}.` };
  const seq = normRel(o.seq);
  const ack = normRel(o.ack);
  if (seq === undefined || ack === undefined) return { ok: false, problem: `write each number as u or v plus or minus a count, as in ${shape}.` };
  return { ok: true, value: { seq, ack } };
}

/** Wave 4 of the four-way-close preset, written relative to u and v. */
function wave4Relative(): { pair: RelativePair; position: number } | undefined {
  const c = closeWaves(simulate("four-way-close", { profile: "linux" }));
  const w4 = c.waves.find((w) => w.wave === 4);
  if (!w4 || c.u === undefined || c.v === undefined) return undefined;
  return { pair: { seq: relativeTo(w4.segment.seq, c.u, "u"), ack: relativeTo(w4.segment.ack, c.v, "v") }, position: w4.position };
}

/**
 * The program that made notebooks/data/01-half-close.pcap, as a scenario: the client sends a
 * 50-byte request and calls shutdown(SHUT_WR) 50 ms later; the server, on EOF, writes 200 bytes
 * three times 60 ms apart, then closes. The exercise is judged on this simulation; the
 * notebook's solution cell reads the same answer from the real capture.
 */
export function halfCloseCaptureScenario(): Scenario {
  const r = validateScenario({
    name: "01-half-close",
    title: "Request, shutdown(SHUT_WR), a reply in three writes",
    description: "The program that produced the chapter's capture, replayed in the simulator.",
    profile: "linux",
    seed: 1,
    start: "established",
    delayedAck: true,
    steps: {
      client: [{ at: 0, do: "send", bytes: 50 }, { at: 0.05, do: "shutdown" }],
      server: [
        { on: "eof", after: 0.06, do: "send", bytes: 200 },
        { on: "eof", after: 0.12, do: "send", bytes: 200 },
        { on: "eof", after: 0.18, do: "send", bytes: 200 },
        { on: "eof", after: 0.24, do: "close" },
      ],
    },
  });
  if (!r.ok) throw new Error(`01-half-close scenario is invalid: ${r.errors.map((e) => e.message).join("; ")}`);
  return r.scenario;
}

export interface CaptureReading {
  /** Who sent the first FIN. */
  readonly first: EndpointName;
  /** Data bytes the other side sent after that FIN (0: no half-closed window was used). */
  readonly bytes: number;
}

function readCaptureReading(raw: unknown): Read<CaptureReading> {
  const shape = `an object such as { first: "server", bytes: 0 }`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { ok: false, problem: `that is not ${shape}.` };
  const o = raw as Record<string, unknown>;
  const first = typeof o.first === "string" ? o.first.trim().toLowerCase() : "";
  if (first !== "client" && first !== "server") return { ok: false, problem: `first must be "client" or "server", as in ${shape}.` };
  const bytes = typeof o.bytes === "number" ? o.bytes : typeof o.bytes === "string" ? Number(o.bytes) : NaN;
  if (!Number.isInteger(bytes) || bytes < 0) return { ok: false, problem: `bytes must be a whole number, as in ${shape}.` };
  return { ok: true, value: { first, bytes } };
}

export const EXERCISES_01: readonly Exercise<never>[] = [
  defineExercise<RelativePair>({
    id: "01.1",
    kind: "reasoning",
    form: "calculate",
    question:
      "The client's FIN carries seq = u; the server's FIN carries seq = v. What seq and ack does the client's last ACK (wave ④) carry, written with u and v?",
    expects: `an object such as { seq: "v", ack: "u" } (u or v, plus or minus a count)`,
    read: readRelativePair,
    judge(answer) {
      const w = wave4Relative();
      if (!w) return { correct: false, explanation: "the four-way-close preset has no wave ④ (a bug: please report it)." };
      const right = answer.seq === w.pair.seq && answer.ack === w.pair.ack;
      return {
        correct: right,
        explanation:
          `in the simulated close, wave ④ is segment ${w.position} with seq = ${w.pair.seq} and ack = ${w.pair.ack}: ` +
          `each FIN occupies one sequence number (RFC 9293 §3.4), so the client's next number after its FIN is u+1, and acknowledging the server's FIN means asking for v+1 next.`,
      };
    },
    solution: { seq: "u+1", ack: "v+1" },
    hint: "A FIN uses up one sequence number, exactly as one byte of data would. What does that do to the sender's next number, and to the acknowledgement of it?",
    misconceptions: [
      { answers: [{ seq: "u", ack: "v+1" }], says: "The client already used u for its FIN; its next segment cannot reuse a number the FIN occupied." },
      { answers: [{ seq: "u+1", ack: "v" }], says: "An acknowledgement names the next number expected, and the server's FIN took v itself." },
      { answers: [{ seq: "v", ack: "u+1" }], says: "That is the server's FIN (wave ③), seen from the other side: the client counts in its own sequence space." },
    ],
  }),
  defineExercise<TcpState>({
    id: "01.2",
    kind: "reasoning",
    form: "predict-the-state",
    question:
      "The client has sent its FIN and is in FIN_WAIT_1. Before the server's ACK of that FIN comes back, a segment from the server arrives with 100 bytes of data, sent before the FIN reached the server: its ACK field does not cover the client's FIN. Predict the client's state after it.",
    expects: `a state name such as "CLOSE_WAIT"`,
    read: readState,
    judge(answer) {
      // The data segment is RCV_DATA: its ACK covers data, not the FIN, so RCV_ACK_OF_FIN does not apply.
      const { outcome } = decide("FIN_WAIT_1", "RCV_DATA", "linux", {});
      const next = outcome.kind === "transition" ? outcome.next : "FIN_WAIT_1";
      const why = outcome.kind === "transition" ? ` (RFC 9293 ${outcome.ref}). ${outcome.note}` : ` (RFC 9293 ${outcome.ref}).`;
      const ofFin = decide("FIN_WAIT_1", "RCV_ACK_OF_FIN", "linux", {}).outcome;
      const later = ofFin.kind === "transition" ? ` Only an ACK that covers the FIN moves it on, to ${ofFin.next} (RFC 9293 ${ofFin.ref}).` : "";
      return { correct: answer === next, explanation: `FIN_WAIT_1 on data whose ACK does not cover our FIN ${next === "FIN_WAIT_1" ? "stays in" : "goes to"} ${next}${why}${later}` };
    },
    solution: "FIN_WAIT_1",
    hint: "FIN_WAIT_1 is waiting for one particular thing. Does this segment bring it? And is the client still allowed to receive?",
    misconceptions: [
      {
        answers: ["FIN_WAIT_2"],
        says: "Not every ACK moves the client on: the one it waits for must acknowledge the FIN itself, and this segment's ACK field stops short of it.",
      },
      { answers: ["CLOSE_WAIT"], says: "CLOSE_WAIT is the state of a side that received a FIN. This segment carries data, not a FIN." },
      { answers: ["CLOSED", "TIME_WAIT"], says: "The server has not even seen the client's FIN yet, let alone sent its own: the close has barely begun." },
    ],
  }),
  defineExercise<CaptureReading>({
    id: "01.3",
    kind: "diagnostic",
    form: "read-a-capture",
    question:
      "Read the captured close above: which side sent the first FIN, and how many data bytes did the other side send after that FIN (0 if none)?",
    expects: `an object such as { first: "server", bytes: 0 }`,
    read: readCaptureReading,
    judge(answer) {
      const c = closeWaves(simulate(halfCloseCaptureScenario()));
      const first = c.activeCloser ?? "client";
      const right = answer.first === first && answer.bytes === c.halfCloseBytes;
      return {
        correct: right,
        explanation:
          `the ${first} sent the first FIN (wave ①, the active closer), and the ${c.passiveCloser ?? "other side"} then sent ${c.halfCloseBytes} bytes ` +
          `between the ACK of that FIN and its own FIN: a half-close, possible because the ${first} used shutdown(SHUT_WR) and kept reading.`,
      };
    },
    solution: { first: "client", bytes: 600 },
    hint: "Find the first segment with F in its flags; then add up the len of the data segments going the other way before the second FIN.",
    misconceptions: [
      {
        answers: [{ first: "server", bytes: 600 }],
        says: "The side that sends data last is not the side that closed first: look at which direction the first FIN travelled.",
      },
      {
        answers: [{ first: "client", bytes: 0 }],
        says: "A FIN closes only its sender's pipe: look for data segments in the other direction after it.",
      },
      {
        answers: [{ first: "client", bytes: 650 }],
        says: "The request went before the FIN: count only what travelled after it.",
      },
    ],
  }),
];
