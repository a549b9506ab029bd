/** compareWithSimulator itself, on made-up results: it must be able to fail. */
import { describe, expect, it } from "vitest";
import { EXPECTED } from "./support/demo-states.js";
import {
  compareWithSimulator, DEMO_PROGRESS, DEMOS, KNOWN_STATE_DIFFERENCES, KNOWN_TRANSITION_DIFFERENCES, presetDocument, settledStates, simulate, simulatedStates, validateScenario,
  type DemoName, type DemoResult, type DemoSegment, type DemoTransition, type KnownTransitionDifference, type PresetName, type Scenario,
  type StateDifference, type TcpState,
} from "../src/index.js";

const HANDSHAKE: DemoSegment[] = [
  { connection: 1, from: "client", to: "server", flags: ["SYN"], seq: 0, ack: 0, len: 0 },
  { connection: 1, from: "server", to: "client", flags: ["SYN", "ACK"], seq: 0, ack: 1, len: 0 },
  { connection: 1, from: "client", to: "server", flags: ["ACK"], seq: 1, ack: 1, len: 0 },
];
const seg = (from: "client" | "server", flags: DemoSegment["flags"], len = 0): DemoSegment => ({
  connection: 1, from, to: from === "client" ? "server" : "client", flags, seq: 1, ack: 1, len,
});

/** "client CLOSED>SYN_SENT" … → DemoTransitions of connection 1, 1 ms apart. */
function traced(tokens: string[]): DemoTransition[] {
  return tokens.map((tok, i) => {
    const [endpoint, move] = tok.split(" ") as ["client" | "server", string];
    const [from, to] = move.split(">") as [TcpState, TcpState];
    return { t: 0.001 * (i + 1), endpoint, connection: 1, from, to, source: "tracepoint" };
  });
}

const NOT_TRACED: DemoResult["tracing"] = { ok: false, reason: "not traced in this test" };

function result(
  demo: DemoResult["demo"],
  states: [string, string][],
  segments: DemoSegment[],
  transitions?: DemoTransition[],
): DemoResult {
  return {
    demo,
    title: demo,
    ok: true,
    steps: states.map(([client, server], i) => ({ step: `step ${i}`, expected: { client, server }, observed: { client, server }, ok: true }) as DemoResult["steps"][number]),
    segments,
    // No segments: the demo ran without capture, so only the states are compared.
    ...(segments.length > 0 && { capture: { ok: true, filter: "tcp port 1", packets: segments.length, dropped: 0, connections: 1 } }),
    // No transitions: the kernel was not traced, so the sequences are skipped.
    transitions: transitions ?? [],
    tracing: transitions ? { ok: true, events: transitions.length, lost: 0 } : NOT_TRACED,
    app: [],
  };
}

/** The kernel's handshake, as the traced kernel reports it (compare.ts HANDSHAKE_TRANSITIONS). */
const KERNEL_HANDSHAKE = ["client CLOSED>SYN_SENT", "client SYN_SENT>ESTABLISHED", "server LISTEN>SYN_RCVD", "server SYN_RCVD>ESTABLISHED"];

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

  describe("transition sequences", () => {
    const FOUR_WAY_STEPS: [string, string][] = [["ESTABLISHED", "ESTABLISHED"], ["FIN_WAIT_2", "CLOSE_WAIT"], ["FIN_WAIT_2", "CLOSE_WAIT"], ["TIME_WAIT", "CLOSED"]];
    const FOUR_WAY = [
      ...KERNEL_HANDSHAKE,
      "client ESTABLISHED>FIN_WAIT_1", "server ESTABLISHED>CLOSE_WAIT", "client FIN_WAIT_1>FIN_WAIT_2",
      "server CLOSE_WAIT>LAST_ACK", "client FIN_WAIT_2>TIME_WAIT", "server LAST_ACK>CLOSED",
    ];

    it("accepts the kernel's four-way close: the handshake, then the simulator's changes up to 2MSL", () => {
      const cmp = compareWithSimulator(result("four-way-close", FOUR_WAY_STEPS, [], traced(FOUR_WAY)), "four-way-close");
      expect(cmp.problems).toEqual([]);
      expect(cmp.transitions).toEqual({
        client: {
          kernel: ["CLOSED>SYN_SENT", "SYN_SENT>ESTABLISHED", "ESTABLISHED>FIN_WAIT_1", "FIN_WAIT_1>FIN_WAIT_2", "FIN_WAIT_2>TIME_WAIT"],
          // TIME_WAIT → CLOSED comes 60 s later, by a timer no demo waits for: cut.
          simulated: ["ESTABLISHED>FIN_WAIT_1", "FIN_WAIT_1>FIN_WAIT_2", "FIN_WAIT_2>TIME_WAIT"],
          expected: ["CLOSED>SYN_SENT", "SYN_SENT>ESTABLISHED", "ESTABLISHED>FIN_WAIT_1", "FIN_WAIT_1>FIN_WAIT_2", "FIN_WAIT_2>TIME_WAIT"],
          ok: true,
        },
        server: {
          kernel: ["LISTEN>SYN_RCVD", "SYN_RCVD>ESTABLISHED", "ESTABLISHED>CLOSE_WAIT", "CLOSE_WAIT>LAST_ACK", "LAST_ACK>CLOSED"],
          simulated: ["ESTABLISHED>CLOSE_WAIT", "CLOSE_WAIT>LAST_ACK", "LAST_ACK>CLOSED"],
          expected: ["LISTEN>SYN_RCVD", "SYN_RCVD>ESTABLISHED", "ESTABLISHED>CLOSE_WAIT", "CLOSE_WAIT>LAST_ACK", "LAST_ACK>CLOSED"],
          ok: true,
        },
        applied: [],
      });
    });

    it("a wrong sequence is a problem naming the endpoint and the first differing transition", () => {
      // A kernel whose server skipped LAST_ACK (went straight from CLOSE_WAIT to CLOSED), settled states unchanged.
      const wrong = FOUR_WAY.filter((t) => t !== "server CLOSE_WAIT>LAST_ACK").map((t) => (t === "server LAST_ACK>CLOSED" ? "server CLOSE_WAIT>CLOSED" : t));
      const cmp = compareWithSimulator(result("four-way-close", FOUR_WAY_STEPS, [], traced(wrong)), "four-way-close");
      expect(cmp.steps.every((s) => s.ok)).toBe(true);
      expect("skipped" in cmp.transitions).toBe(false);
      if ("skipped" in cmp.transitions) return;
      expect(cmp.transitions.client.ok).toBe(true);
      expect(cmp.transitions.server.ok).toBe(false);
      expect(cmp.problems).toEqual([
        "transitions: server: first difference at transition 4: kernel CLOSE_WAIT>CLOSED, simulator CLOSE_WAIT>LAST_ACK " +
          "(kernel LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>CLOSED; " +
          "simulator with no known differences LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED)",
      ]);
    });

    it("a missing transition at the end names the position and '(nothing more)'", () => {
      const short = FOUR_WAY.filter((t) => t !== "client FIN_WAIT_2>TIME_WAIT");
      const cmp = compareWithSimulator(result("four-way-close", FOUR_WAY_STEPS, [], traced(short)), "four-way-close");
      expect(cmp.problems).toHaveLength(1);
      expect(cmp.problems[0]).toMatch(/^transitions: client: first difference at transition 5: kernel \(nothing more\), simulator FIN_WAIT_2>TIME_WAIT /);
    });

    it("without a kernel trace the sequences are skipped with the reason, not failed", () => {
      const cmp = compareWithSimulator(result("four-way-close", FOUR_WAY_STEPS, []), "four-way-close");
      expect(cmp.transitions).toEqual({ skipped: "not traced in this test" });
      expect(cmp.problems).toEqual([]);
      const lossy: DemoResult = { ...result("four-way-close", FOUR_WAY_STEPS, [], traced(FOUR_WAY)), tracing: { ok: true, events: 10, lost: 3 } };
      expect(compareWithSimulator(lossy, "four-way-close").transitions).toEqual({
        skipped: "the kernel's trace buffer lost 3 event(s): the sequences may have gaps",
      });
    });

    it("only connection 1 is compared (a capture's barrier SYN is connection 2)", () => {
      const barrier: DemoTransition[] = [
        { t: 1, endpoint: "client", connection: 2, from: "CLOSED", to: "SYN_SENT", source: "tracepoint" },
        { t: 1.001, endpoint: "client", connection: 2, from: "SYN_SENT", to: "CLOSED", source: "tracepoint" },
      ];
      const cmp = compareWithSimulator(result("four-way-close", FOUR_WAY_STEPS, [], [...traced(FOUR_WAY), ...barrier]), "four-way-close");
      expect(cmp.problems).toEqual([]);
    });

    it("three-way-close: the kernel's FIN_WAIT_2 on the way to TIME_WAIT is the documented difference, and a stale one is reported", () => {
      const kernel = traced([
        ...KERNEL_HANDSHAKE,
        "client ESTABLISHED>FIN_WAIT_1", "server ESTABLISHED>CLOSE_WAIT", "server CLOSE_WAIT>LAST_ACK",
        "client FIN_WAIT_1>FIN_WAIT_2", "client FIN_WAIT_2>TIME_WAIT", "server LAST_ACK>CLOSED",
      ]);
      const cmp = compareWithSimulator(result("three-way-close", THREE_WAY_STEPS, [], kernel), "three-way-close");
      expect(cmp.problems).toEqual([]);
      if ("skipped" in cmp.transitions) throw new Error("not compared");
      expect(cmp.transitions.client.simulated).toEqual(["ESTABLISHED>FIN_WAIT_1", "FIN_WAIT_1>TIME_WAIT"]);
      expect(cmp.transitions.applied).toEqual(["fin-wait-2-before-time-wait"]);
      // Without the documented difference the same kernel fails at the FIN_WAIT_2.
      const bare = compareWithSimulator(result("three-way-close", THREE_WAY_STEPS, [], kernel), "three-way-close", [], []);
      expect(bare.problems).toHaveLength(1);
      expect(bare.problems[0]).toMatch(/^transitions: client: first difference at transition 4: kernel FIN_WAIT_1>FIN_WAIT_2, simulator FIN_WAIT_1>TIME_WAIT /);
      const stale: KnownTransitionDifference = { id: "stale", demo: "three-way-close", endpoint: "server", simulated: ["CLOSE_WAIT>CLOSED"], kernel: [], why: "test" };
      const withStale = compareWithSimulator(result("three-way-close", THREE_WAY_STEPS, [], kernel), "three-way-close", [], [...KNOWN_TRANSITION_DIFFERENCES, stale]);
      expect(withStale.problems).toEqual(["known transition difference stale no longer applies: the simulator's server does not go CLOSE_WAIT>CLOSED"]);
    });
  });
});
