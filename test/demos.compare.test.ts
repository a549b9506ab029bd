/** compareWithSimulator itself, on made-up results: it must be able to fail. */
import { describe, expect, it } from "vitest";
import { EXPECTED } from "./support/demo-states.js";
import {
  compareWithSimulator, DEMO_PROGRESS, DEMOS, KNOWN_STATE_DIFFERENCES, presetDocument, settledStates, simulate, simulatedStates, validateScenario,
  type DemoName, type DemoResult, type DemoSegment, type PresetName, type Scenario, type StateDifference,
} from "../src/index.js";

const HANDSHAKE: DemoSegment[] = [
  { connection: 1, from: "client", to: "server", flags: ["SYN"], seq: 0, ack: 0, len: 0 },
  { connection: 1, from: "server", to: "client", flags: ["SYN", "ACK"], seq: 0, ack: 1, len: 0 },
  { connection: 1, from: "client", to: "server", flags: ["ACK"], seq: 1, ack: 1, len: 0 },
];
const seg = (from: "client" | "server", flags: DemoSegment["flags"], len = 0): DemoSegment => ({
  connection: 1, from, to: from === "client" ? "server" : "client", flags, seq: 1, ack: 1, len,
});

function result(demo: DemoResult["demo"], states: [string, string][], segments: DemoSegment[]): DemoResult {
  return {
    demo,
    title: demo,
    ok: true,
    steps: states.map(([client, server], i) => ({ step: `step ${i}`, expected: { client, server }, observed: { client, server }, ok: true }) as DemoResult["steps"][number]),
    segments,
    // No segments: the demo ran without capture, so only the states are compared.
    ...(segments.length > 0 && { capture: { ok: true, filter: "tcp port 1", packets: segments.length, dropped: 0, connections: 1 } }),
  };
}

const ABORT_STEPS: [string, string][] = [["ESTABLISHED", "ESTABLISHED"], ["CLOSED", "CLOSED"]];
const THREE_WAY_STEPS: [string, string][] = [["ESTABLISHED", "ESTABLISHED"], ["TIME_WAIT", "CLOSED"]];
const LEAK_STEPS: [string, string][] = [["ESTABLISHED", "ESTABLISHED"], ["FIN_WAIT_2", "CLOSE_WAIT"], ["FIN_WAIT_2", "CLOSE_WAIT"]];

/** A preset's document with its steps replaced: a simulator that is wrong on purpose. */
function wrongSimulator(name: PresetName, steps: object): Scenario {
  const r = validateScenario({ ...presetDocument(name), steps });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.scenario;
}

describe("compareWithSimulator", () => {
  it("accepts the kernel's abort: handshake, then one RST", () => {
    const cmp = compareWithSimulator(result("abort-rst", [["ESTABLISHED", "ESTABLISHED"], ["CLOSED", "CLOSED"]], [...HANDSHAKE, seg("client", ["RST", "ACK"])]), "abort-rst");
    expect(cmp.problems).toEqual([]);
  });

  it("reports a state the simulator does not settle in at that step", () => {
    const cmp = compareWithSimulator(result("abort-rst", [["ESTABLISHED", "ESTABLISHED"], ["TIME_WAIT", "CLOSED"]], [...HANDSHAKE, seg("client", ["RST", "ACK"])]), "abort-rst");
    expect(cmp.states.client.ok).toBe(false);
    expect(cmp.states.server.ok).toBe(true);
    expect(cmp.problems).toEqual(['step 1 "step 1": client: simulator CLOSED, kernel TIME_WAIT', "final: client: simulator CLOSED, kernel TIME_WAIT"]);
  });

  it("reports segments that differ (a FIN where the simulator sends RST)", () => {
    const cmp = compareWithSimulator(result("abort-rst", ABORT_STEPS, [...HANDSHAKE, seg("client", ["FIN", "ACK"])]), "abort-rst");
    expect(cmp.segments?.ok).toBe(false);
    expect(cmp.problems).toEqual([
      "captured segments client>server FIN,ACK 0 differ from the simulator's (with no known differences) client>server RST,ACK 0",
    ]);
  });

  it("reports a capture without the handshake", () => {
    const cmp = compareWithSimulator(result("abort-rst", ABORT_STEPS, [seg("client", ["RST", "ACK"])]), "abort-rst");
    expect(cmp.problems[0]).toMatch(/^capture does not start with the handshake/);
  });

  it("applies a timing-dependent difference only when the kernel shows it", () => {
    const close = [seg("client", ["FIN", "ACK"]), seg("server", ["FIN", "ACK"]), seg("client", ["ACK"])];
    const merged = compareWithSimulator(result("three-way-close", THREE_WAY_STEPS, [...HANDSHAKE, ...close]), "three-way-close");
    expect(merged.segments?.applied).toEqual([]);
    expect(merged.problems).toEqual([]);
    const split = compareWithSimulator(result("three-way-close", THREE_WAY_STEPS, [...HANDSHAKE, close[0]!, seg("server", ["ACK"]), ...close.slice(1)]), "three-way-close");
    expect(split.segments?.applied).toEqual(["fin-ack-merge-timing"]);
    expect(split.problems).toEqual([]);
  });

  it("fails when the simulator settles in a state the kernel never shows at that step (the old subsequence check passed it)", () => {
    // A simulator whose close-wait-leak server closes on EOF: CLOSE_WAIT → LAST_ACK → CLOSED.
    // The kernel's ESTABLISHED → CLOSE_WAIT is a subsequence of that, but not what settles.
    const wrong = wrongSimulator("close-wait-leak", { client: [{ at: 0, do: "close" }], server: [{ on: "eof", do: "close" }] });
    const cmp = compareWithSimulator(result("close-wait-leak", LEAK_STEPS, []), wrong);
    const full = simulate(wrong, { profile: "linux" });
    expect(simulatedStates(full, "server")).toEqual(["ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"]);
    expect(cmp.states.server.simulated).toEqual(["ESTABLISHED", "CLOSED", "CLOSED"]);
    expect(cmp.states.server.ok).toBe(false);
    expect(cmp.states.client.ok).toBe(false);
    expect(cmp.problems).toEqual([
      'step 1 "step 1": client: simulator TIME_WAIT, kernel FIN_WAIT_2',
      'step 1 "step 1": server: simulator CLOSED, kernel CLOSE_WAIT',
      'step 2 "step 2": client: simulator TIME_WAIT, kernel FIN_WAIT_2',
      'step 2 "step 2": server: simulator CLOSED, kernel CLOSE_WAIT',
      "final: client: simulator TIME_WAIT, kernel FIN_WAIT_2",
      "final: server: simulator CLOSED, kernel CLOSE_WAIT",
    ]);
    // The right simulator agrees with the same kernel observations.
    expect(compareWithSimulator(result("close-wait-leak", LEAK_STEPS, []), "close-wait-leak").problems).toEqual([]);
  });

  it("fails when one side differs at one step only", () => {
    // four-way-close: the kernel's server shown LAST_ACK at the step where the simulator has settled in CLOSE_WAIT.
    const steps: [string, string][] = [["ESTABLISHED", "ESTABLISHED"], ["FIN_WAIT_2", "CLOSE_WAIT"], ["FIN_WAIT_2", "LAST_ACK"], ["TIME_WAIT", "CLOSED"]];
    const cmp = compareWithSimulator(result("four-way-close", steps, []), "four-way-close");
    expect(cmp.steps.map((s) => s.ok)).toEqual([true, true, false, true]);
    expect(cmp.states.client.ok).toBe(true);
    expect(cmp.final.ok).toBe(true);
    expect(cmp.problems).toEqual(['step 2 "step 2": server: simulator CLOSE_WAIT, kernel LAST_ACK']);
  });

  it("fails when the final state differs", () => {
    // half-close, but the demo stops before the server's close: the simulator's full run settles in TIME_WAIT/CLOSED.
    const steps: [string, string][] = [["ESTABLISHED", "ESTABLISHED"], ["FIN_WAIT_2", "CLOSE_WAIT"], ["FIN_WAIT_2", "CLOSE_WAIT"]];
    const cmp = compareWithSimulator(result("half-close", steps, []), "half-close");
    expect(cmp.steps.every((s) => s.ok)).toBe(true);
    expect(cmp.final).toEqual({ simulated: { client: "TIME_WAIT", server: "CLOSED" }, observed: { client: "FIN_WAIT_2", server: "CLOSE_WAIT" }, ok: false });
    expect(cmp.problems).toEqual([
      "half-close: the demo recorded 3 steps, the mapping to the simulator has 4",
      "final: client: simulator TIME_WAIT, kernel FIN_WAIT_2",
      "final: server: simulator CLOSED, kernel CLOSE_WAIT",
    ]);
  });

  it("accepts a documented state difference only where it applies, and reports a stale one", () => {
    const diff: StateDifference = { id: "test-diff", demo: "abort-rst", step: 1, side: "server", simulated: "CLOSED", kernel: "CLOSE_WAIT", why: "test" };
    const steps: [string, string][] = [["ESTABLISHED", "ESTABLISHED"], ["CLOSED", "CLOSE_WAIT"]];
    const cmp = compareWithSimulator(result("abort-rst", steps, [...HANDSHAKE, seg("client", ["RST", "ACK"])]), "abort-rst", [diff]);
    expect(cmp.problems).toEqual([]);
    expect(cmp.stateDifferences).toEqual(["test-diff"]);
    const absent = compareWithSimulator(result("abort-rst", ABORT_STEPS, []), "abort-rst", [diff]);
    expect(absent.problems).toEqual(["known state difference test-diff did not appear: the kernel's server at step 1 was not CLOSE_WAIT"]);
    const stale = compareWithSimulator(result("abort-rst", steps, []), "abort-rst", [{ ...diff, simulated: "LAST_ACK" }]);
    expect(stale.problems).toEqual([
      'step 1 "step 1": server: simulator CLOSED, kernel CLOSE_WAIT',
      "known state difference test-diff no longer applies: the simulator's server at step 1 is CLOSED, not LAST_ACK",
      "final: server: simulator CLOSED, kernel CLOSE_WAIT",
    ]);
  });

  it("maps every demo with a preset, step by step, to the simulator's settled states", () => {
    const withPreset = (Object.values(DEMOS) as { name: DemoName; preset?: PresetName }[]).filter((d) => d.preset !== undefined);
    expect(Object.keys(DEMO_PROGRESS).sort()).toEqual(withPreset.map((d) => d.name).sort());
    const settled = (demo: DemoName): string[] =>
      DEMO_PROGRESS[demo]!.map((p) => settledStates(withPreset.find((d) => d.name === demo)!.preset!, p)).map((s) => `${s.client}/${s.server}`);
    // The simulator settles where the kernel is observed to be (test/demos.kernel.test.ts).
    expect(Object.fromEntries(withPreset.map((d) => [d.name, settled(d.name)]))).toEqual(
      Object.fromEntries(withPreset.map((d) => [d.name, EXPECTED[d.name]])),
    );
    // Settling stops before the long timers: the close-wait-leak client's FIN_WAIT_2 timeout (60 s) has not fired.
    expect(KNOWN_STATE_DIFFERENCES).toEqual([]);
  });
});
