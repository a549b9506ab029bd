/** checkObservedState: the learner's answer against what a live demo observed. */
import { describe, expect, it } from "vitest";
import { checkObservedState } from "../src/index.js";

const result = {
  steps: [
    { step: "connect()", observed: { client: "ESTABLISHED", server: "ESTABLISHED" } },
    { step: "client close()", observed: { client: "FIN_WAIT_2", server: "CLOSE_WAIT" } },
  ],
} as const;

describe("checkObservedState", () => {
  it("accepts the observed state in any spelling", () => {
    expect(checkObservedState(result, 1, "server", "close-wait")).toMatchObject({ correct: true });
    expect(checkObservedState(result, 1, "client", "FIN_WAIT_2").message).toBe('Right: after "client close()", the kernel showed the client in FIN_WAIT_2.');
  });
  it("explains a wrong answer, a non-state and a missing step", () => {
    expect(checkObservedState(result, 1, "server", "LAST_ACK").message).toBe('Not quite: you said LAST_ACK, but after "client close()", the kernel showed the server in CLOSE_WAIT.');
    expect(checkObservedState(result, 0, "server", "OPEN")).toMatchObject({ correct: false });
    expect(checkObservedState(result, 2, "server", "CLOSED").message).toMatch(/there is no step 2/);
  });
});
