/**
 * Chapter 02's exercises (see ../engine.ts for the shape and the feedback loop): the
 * three-segment close, the state it skips, and a predict-then-run on delayed ACK (judged by the
 * simulator; the notebook then runs the `delayed-ack` demo on the real kernel to compare).
 */
import { decide } from "../../fsm/machine.js";
import type { TcpState } from "../../fsm/states.js";
import { PROFILES } from "../../fsm/profiles.js";
import { simulate } from "../../sim/simulate.js";
import { PRESETS } from "../../sim/presets.js";
import { validateScenario, type Scenario } from "../../sim/scenario.js";
import { closeWaves } from "../../teaching/trace-helpers.js";
import { defineExercise, type Exercise, type Read } from "../engine.js";
import { readInteger, readState } from "../readers.js";

/**
 * The demo's data case as a scenario: a 100-byte request and response, then the client's
 * shutdown(SHUT_WR); the server closes `afterMs` after reading EOF. Delayed ACK on at both ends
 * (the linux profile holds an ACK 40 ms, Linux's TCP_ATO_MIN once data has arrived).
 */
export function delayedAckScenario(afterMs: number): Scenario {
  const r = validateScenario({
    name: `close-${afterMs}ms-after-eof`,
    title: `Server closes ${afterMs} ms after EOF`,
    description: "A request and a response, then the client's shutdown(SHUT_WR); the server closes a little after reading EOF.",
    profile: "linux",
    seed: 1,
    start: "established",
    delayedAck: true,
    steps: {
      client: [{ at: 0, do: "send", bytes: 100 }, { at: 0.5, do: "shutdown" }],
      server: [
        { on: "data", do: "send", bytes: 100 },
        { on: "eof", after: afterMs / 1000, do: "close" },
      ],
    },
  });
  if (!r.ok) throw new Error(`delayed-ack scenario is invalid: ${r.errors.map((e) => e.message).join("; ")}`);
  return r.scenario;
}

/** Segments from the client's FIN to the end, in the simulator, for a server closing `afterMs` after EOF. */
export function simulatedCloseSegments(afterMs: number): number {
  return closeWaves(simulate(delayedAckScenario(afterMs))).segmentsFromFirstFin;
}

/** The three-way-close preset with one change: the server acknowledges at once (delayed ACK off). */
export function withoutServerDelayedAck(): Scenario {
  const s = PRESETS["three-way-close"].scenario;
  return { ...s, endpoints: { ...s.endpoints, server: { ...s.endpoints.server, delayedAck: false } } };
}

export interface ClosePrediction {
  readonly after10ms: number;
  readonly after100ms: number;
}

function readPrediction(raw: unknown): Read<ClosePrediction> {
  const shape = "an object such as { after10ms: 4, after100ms: 3 }";
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { ok: false, problem: `that is not ${shape}.` };
  const o = raw as Record<string, unknown>;
  const a = readInteger(o.after10ms);
  const b = readInteger(o.after100ms);
  if (a.ok !== true || b.ok !== true) return { ok: false, problem: `after10ms and after100ms must be whole numbers, as in ${shape}.` };
  return { ok: true, value: { after10ms: a.value, after100ms: b.value } };
}

export const EXERCISES_02: readonly Exercise<never>[] = [
  defineExercise<number>({
    id: "02.1",
    kind: "reasoning",
    form: "calculate",
    question:
      "Take the three-way-close preset and switch the server's delayed ACK off, nothing else. How many segments, from the first FIN to the end, does the close put on the wire?",
    expects: "a whole number",
    read: readInteger,
    judge(answer) {
      const c = closeWaves(simulate(withoutServerDelayedAck(), { profile: "linux" }));
      const merged = c.mergedAckFin ? "the server's ACK of the client's FIN still rides on its own FIN" : "the server acknowledges the FIN the moment it arrives, before its application has read EOF, so its FIN follows in a segment of its own";
      return {
        correct: answer === c.segmentsFromFirstFin,
        explanation: `${c.segmentsFromFirstFin} segments in the simulator (linux profile): ${merged}; the four messages (two FINs, two ACKs) need ${c.segmentsFromFirstFin} segments.`,
      };
    },
    solution: 4,
    hint: "Without delayed ACK, when does the server's kernel send the ACK of the FIN, and when does its application's close() happen?",
    misconceptions: [
      {
        answers: [3],
        says: "The server still closes at once, but \"at once\" comes after its kernel has received the FIN; with delayed ACK off, the ACK does not wait for anything.",
      },
      { answers: [2], says: "Each FIN needs an acknowledgement, and the last ACK cannot ride on anything: nothing follows it." },
    ],
  }),
  defineExercise<TcpState>({
    id: "02.2",
    kind: "reasoning",
    form: "predict-the-state",
    question: "The client is in FIN_WAIT_1 and receives a FIN that also acknowledges its own FIN. Predict its next state.",
    expects: `a state name such as "CLOSE_WAIT"`,
    read: readState,
    judge(answer) {
      const { outcome } = decide("FIN_WAIT_1", "RCV_FIN_ACK_OF_FIN", "linux", {});
      const next = outcome.kind === "transition" ? outcome.next : "FIN_WAIT_1";
      const ref = outcome.kind === "transition" ? `${outcome.ref}. ${outcome.note}` : outcome.ref;
      return { correct: answer === next, explanation: `FIN_WAIT_1 on a FIN that acknowledges our FIN goes to ${next} (${ref})` };
    },
    solution: "TIME_WAIT",
    hint: "Both things the client was waiting for arrive in one segment. Which state is left after both have happened?",
    misconceptions: [
      { answers: ["FIN_WAIT_2"], says: "FIN_WAIT_2 means \"my FIN is acknowledged, I am still waiting for the peer's FIN\": this segment brings that FIN too." },
      { answers: ["CLOSING"], says: "CLOSING is for a FIN that does not yet acknowledge ours (both closed at once). This one does acknowledge it." },
    ],
  }),
  defineExercise<ClosePrediction>({
    id: "02.3",
    kind: "transfer",
    form: "predict-then-run",
    question:
      "On Linux, after a 100-byte request and response, the client calls shutdown(SHUT_WR). Predict how many segments the close takes (from the client's FIN on) when the server closes 10 ms, and when it closes 100 ms, after reading EOF.",
    expects: "an object such as { after10ms: 4, after100ms: 3 }",
    read: readPrediction,
    judge(answer) {
      const s10 = simulatedCloseSegments(10);
      const s100 = simulatedCloseSegments(100);
      const wait = Math.round(PROFILES.linux.delayedAck * 1000);
      return {
        correct: answer.after10ms === s10 && answer.after100ms === s100,
        explanation:
          `the linux profile holds the ACK of the FIN ${wait} ms (Linux's TCP_ATO_MIN once data has arrived): a close at 10 ms comes first and the ACK rides on the FIN (${s10} segments); ` +
          `at 100 ms the timer has already sent the ACK alone (${s100} segments). The next cell runs the same cases on the real kernel.`,
      };
    },
    solution: { after10ms: 3, after100ms: 4 },
    hint: "Compare each close time with how long Linux holds the ACK once data has been received (this chapter says how long).",
    misconceptions: [
      { answers: [{ after10ms: 4, after100ms: 4 }], says: "The ACK of a FIN is not sent at once on Linux: it is held for a while, hoping to ride on the application's FIN." },
      { answers: [{ after10ms: 3, after100ms: 3 }], says: "The ACK is held, but not for ever: a delayed ACK has a timer, and 100 ms is longer than it." },
      { answers: [{ after10ms: 4, after100ms: 3 }], says: "The later the server closes, the more likely the held ACK has already gone out alone, not the other way round." },
    ],
  }),
];
