/**
 * The feedback loop of src/exercises/engine.ts on a small exercise judged by the transition
 * table: neutral prompt, shape errors, misconception + hint first, the answer on the second
 * wrong try or on request, and what `check` prints.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  check, defineExercise, hint, judgeAnswer, readState, registerExercises, resetTries, reveal,
  setFeedbackReporter, UNANSWERED_PROMPT, type Feedback,
} from "../src/exercises/index.js";
import { decide } from "../src/fsm/machine.js";
import type { TcpState } from "../src/fsm/states.js";

const next = (): TcpState => {
  const { outcome } = decide("CLOSE_WAIT", "CLOSE", "rfc9293", {});
  return outcome.kind === "transition" ? outcome.next : "CLOSE_WAIT";
};

registerExercises([
  defineExercise<TcpState>({
    id: "99.1",
    kind: "reasoning",
    form: "predict-the-state",
    question: "CLOSE_WAIT, the application calls close(): which state?",
    expects: 'a state name such as "FIN_WAIT_2"',
    read: readState,
    judge: (a) => ({ correct: a === next(), explanation: `close() in CLOSE_WAIT sends our FIN and waits for its ACK in ${next()}.` }),
    solution: "LAST_ACK",
    hint: "Which side has already received a FIN here, and what is left to do?",
    misconceptions: [{ answers: ["FIN_WAIT_1"], says: "FIN_WAIT_1 is the active closer's state; this side closes second." }],
  }),
  defineExercise<TcpState>({
    id: "99.2",
    kind: "reasoning",
    form: "predict-the-state",
    question: "async judge",
    expects: "a state",
    read: readState,
    judge: async (a) => ({ correct: a === "CLOSED", explanation: "it ends CLOSED." }),
    solution: "CLOSED",
    hint: "think of the end",
    misconceptions: [],
  }),
]);

const sync = (f: Feedback | Promise<Feedback>): Feedback => {
  if (f instanceof Promise) throw new Error("expected a synchronous judge");
  return f;
};

afterEach(() => resetTries());

describe("the feedback loop", () => {
  it("an unanswered exercise gets a neutral prompt, never the answer or the hint", () => {
    const f = sync(judgeAnswer("99.1", undefined));
    expect(f).toMatchObject({ status: "unanswered", correct: false });
    expect(f.message).toBe(`Exercise 99.1: ${UNANSWERED_PROMPT} Expected: a state name such as "FIN_WAIT_2".`);
    expect(f.message).not.toMatch(/LAST_ACK|Hint/);
  });

  it("an answer of the wrong shape says what was expected and is not a try", () => {
    const f = sync(judgeAnswer("99.1", "FIN_WAIT_9"));
    expect(f.status).toBe("invalid");
    expect(f.message).toContain('"FIN_WAIT_9" is not a TCP state');
    expect(sync(judgeAnswer("99.1", "ESTABLISHED")).status).toBe("hint"); // still the first try
  });

  it("first wrong try: the misconception and the hint; second: the answer", () => {
    const first = sync(judgeAnswer("99.1", "fin-wait-1"));
    expect(first.status).toBe("hint");
    expect(first.message).toBe(
      "Not quite. FIN_WAIT_1 is the active closer's state; this side closes second.\n" +
      "Hint: Which side has already received a FIN here, and what is left to do?\n" +
      'Try again, or run reveal("99.1") to see the answer.');
    expect(first.message).not.toContain("LAST_ACK");
    const second = sync(judgeAnswer("99.1", "TIME_WAIT"));
    expect(second.status).toBe("answer");
    expect(second.misconception).toBeUndefined();
    expect(second.message).toBe(`Not quite.\nThe answer: "LAST_ACK". close() in CLOSE_WAIT sends our FIN and waits for its ACK in ${next()}.`);
  });

  it("right resets the count; ss and RFC spellings are read", () => {
    expect(sync(judgeAnswer("99.1", "ESTABLISHED")).status).toBe("hint");
    expect(sync(judgeAnswer("99.1", "LAST-ACK")).status).toBe("right");
    expect(sync(judgeAnswer("99.1", "ESTABLISHED")).status).toBe("hint");
    expect(sync(judgeAnswer("99.1", "estab")).status).toBe("answer");
  });

  it("check prints through the reporter and returns nothing; reveal and hint print on request", async () => {
    const seen: Feedback[] = [];
    const prev = setFeedbackReporter((f) => seen.push(f));
    try {
      expect(check("99.1", undefined)).toBeUndefined();
      reveal("99.1");
      hint("99.1");
      await check("99.2", "closed");
    } finally {
      setFeedbackReporter(prev);
    }
    expect(seen.map((f) => f.status)).toEqual(["unanswered", "answer", "hint", "right"]);
    expect(seen[1]?.message).toContain('the answer: "LAST_ACK"');
    expect(seen[3]?.message).toBe("Right: it ends CLOSED.");
  });

  it("an unknown id and a duplicate id are errors", () => {
    expect(() => judgeAnswer("99.9", 1)).toThrow(/no exercise "99.9"/);
    expect(() => registerExercises([defineExercise<TcpState>({
      id: "99.1", kind: "recall", form: "choose", question: "", expects: "", read: readState,
      judge: () => ({ correct: true, explanation: "" }), solution: "CLOSED", hint: "", misconceptions: [],
    })])).toThrow(/registered twice/);
  });
});
