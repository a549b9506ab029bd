/**
 * Robustness over random loss, duplication and reordering (fast-check). On failure
 * fast-check prints the counterexample — preset, profile, simulator seed, link — and its own
 * seed and path to replay it.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { allowedTransitions, type TcpState } from "../src/fsm/index.js";
import {
  ACTIONS, PRESETS, PRESET_NAMES, TRIGGERS, formatScenarioError, initialSequenceNumbers, runSimulation, simulate,
  validateScenario, type EndpointName, type PresetName, type Scenario, type Trace,
} from "../src/sim/index.js";

/**
 * Where a run may legitimately stop: states with no timer running. The transient states
 * (SYN_SENT, SYN_RCVD, FIN_WAIT_1, CLOSING, LAST_ACK, TIME_WAIT) always have a
 * retransmission or 2MSL timer, so a run can never end in one. ESTABLISHED, CLOSE_WAIT and
 * FIN_WAIT_2 rest when the peer gave up and nothing more arrives (there is no keepalive),
 * or when the application never closes (close-wait-leak), or under rfc9293 (no FIN_WAIT_2 timer).
 */
const RESTING: readonly TcpState[] = ["CLOSED", "LISTEN", "ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT_2"];
const ALLOWED = allowedTransitions();
const span = (flags: readonly string[], len: number) => len + (flags.includes("SYN") ? 1 : 0) + (flags.includes("FIN") ? 1 : 0);
const diff = (a: number, b: number) => (a - b) | 0;

function withLink(preset: PresetName, link: Partial<Scenario["link"]>, delayedAck?: boolean): Scenario {
  const s = PRESETS[preset].scenario;
  const endpoints = delayedAck === undefined ? s.endpoints : {
    client: { ...s.endpoints.client, delayedAck }, server: { ...s.endpoints.server, delayedAck },
  };
  return { ...s, endpoints, link: { ...s.link, ...link } };
}

/** The checks that hold for any run, whatever its applications do: states and transitions. */
function checkStates(trace: Trace): string[] {
  const problems: string[] = [];
  const current: Record<EndpointName, TcpState> = { ...trace.initial };
  let lastT = 0;
  for (const e of trace.events) {
    if (e.t < lastT) problems.push(`time went backwards at ${e.t}`);
    lastT = e.t;
    if (e.type !== "state") continue;
    if (e.from !== current[e.endpoint]) problems.push(`${e.endpoint} left ${e.from} but was in ${current[e.endpoint]}`);
    if (!ALLOWED.has(`${e.from}/${e.cause}/${e.to}`)) problems.push(`transition ${e.from} --${e.cause}--> ${e.to} is not in the table`);
    current[e.endpoint] = e.to;
  }
  if (current.client !== trace.final.client || current.server !== trace.final.server) problems.push("final does not match the last state changes");
  for (const who of ["client", "server"] as const) {
    if (!RESTING.includes(trace.final[who])) problems.push(`${who} ended in ${trace.final[who]}, which is not a resting state`);
  }
  return problems;
}

/** Every check that must hold for one connection's trace (a preset); returns the problems found. */
function checkTrace(trace: Trace): string[] {
  const problems: string[] = [];
  const current: Record<EndpointName, TcpState> = { ...trace.initial };
  const iss = initialSequenceNumbers(trace.seed);
  const established = trace.initial.client === "ESTABLISHED";
  // The next new sequence number each side may send, and the highest it has sent.
  const next: Record<EndpointName, number> = {
    client: established ? (iss.client + 1) >>> 0 : iss.client,
    server: established ? (iss.server + 1) >>> 0 : iss.server,
  };
  let lastT = 0;
  for (const e of trace.events) {
    if (e.t < lastT) problems.push(`time went backwards at ${e.t}`);
    lastT = e.t;
    if (e.type === "state") {
      if (e.from !== current[e.endpoint]) problems.push(`${e.endpoint} left ${e.from} but was in ${current[e.endpoint]}`);
      if (!ALLOWED.has(`${e.from}/${e.cause}/${e.to}`)) problems.push(`transition ${e.from} --${e.cause}--> ${e.to} is not in the table`);
      current[e.endpoint] = e.to;
      continue;
    }
    if (e.flags.includes("RST")) continue; // a RST reply takes its numbers from the segment it answers
    const own = e.from === "client" ? iss.client : iss.server;
    const peer = e.to === "client" ? iss.client : iss.server;
    const occupies = span(e.flags, e.len);
    if (e.flags.includes("SYN")) {
      if (e.seq !== own) problems.push(`${e.from} SYN with seq ${e.seq}, not its ISS ${own}`);
      if (!e.retransmission && !e.duplicate && e.seq === next[e.from]) next[e.from] = (own + 1) >>> 0;
    } else if (occupies > 0 && !e.retransmission && !e.duplicate) {
      if (e.seq !== next[e.from]) problems.push(`${e.from} new segment at seq ${e.seq}, expected ${next[e.from]} (a gap or overlap)`);
      next[e.from] = (e.seq + occupies) >>> 0;
    } else if (diff(e.seq, next[e.from]) > 0) {
      problems.push(`${e.from} segment seq ${e.seq} is beyond anything it sent (${next[e.from]})`);
    }
    if (e.flags.includes("ACK")) {
      const other = e.to;
      if (diff(e.ack, peer) < 1 || diff(e.ack, next[other]) > 0) {
        problems.push(`${e.from} acks ${e.ack}, outside (${peer}, ${next[other]}] of what ${other} sent`);
      }
    }
  }
  if (current.client !== trace.final.client || current.server !== trace.final.server) problems.push("final does not match the last state changes");
  for (const who of ["client", "server"] as const) {
    if (!RESTING.includes(trace.final[who])) problems.push(`${who} ended in ${trace.final[who]}, which is not a resting state`);
  }
  return problems;
}

const linkArb = fc.record({
  delay: fc.double({ min: 0.001, max: 0.5, noNaN: true }),
  loss: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.5, noNaN: true })),
  duplicate: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.3, noNaN: true })),
  reorder: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.5, noNaN: true })),
  reorderDelay: fc.double({ min: 0, max: 1, noNaN: true }),
});

const caseArb = fc.record({
  preset: fc.constantFrom(...PRESET_NAMES),
  profile: fc.constantFrom("rfc9293" as const, "linux" as const),
  seed: fc.nat({ max: 0xffffffff }),
  link: linkArb,
  delayedAck: fc.boolean(),
});

describe("simulator properties", () => {
  it("quiesces in bounded virtual time, in resting states, with consistent numbers and only table transitions", () => {
    fc.assert(
      fc.property(caseArb, ({ preset, profile, seed, link, delayedAck }) => {
        const r = runSimulation(withLink(preset, link, delayedAck), { profile, seed });
        expect(r.quiescent, `stopped early: ${r.diagnostics.join("; ")}`).toBe(true);
        // Bounded: the longest path is a full retransmission backoff (~15 × maxRto) plus 2MSL.
        expect(r.endTime).toBeLessThan(2400);
        expect(checkTrace(r.trace)).toEqual([]);
      }),
      { numRuns: Number(process.env.SIM_PROPERTY_RUNS ?? 400) },
    );
  });

  it("without loss, duplication and reordering never change how a preset ends", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PRESET_NAMES), fc.nat({ max: 0xffffffff }),
        fc.double({ min: 0, max: 0.3, noNaN: true }), fc.double({ min: 0, max: 0.5, noNaN: true }),
        (preset, seed, duplicate, reorder) => {
          const want = simulate(preset).final;
          const r = runSimulation(withLink(preset, { duplicate, reorder }), { seed });
          expect(checkTrace(r.trace)).toEqual([]);
          expect(r.trace.final).toEqual(want);
        },
      ),
      { numRuns: Number(process.env.SIM_PROPERTY_RUNS ?? 300) },
    );
  });

  it("any teacher's scenario (random steps on both sides) quiesces in a resting state through table transitions only", () => {
    const stepArb = fc.record({
      when: fc.oneof(
        fc.record({ at: fc.double({ min: 0, max: 5, noNaN: true }) }),
        fc.record({ on: fc.constantFrom(...TRIGGERS), after: fc.double({ min: 0, max: 2, noNaN: true }) }),
      ),
      do: fc.constantFrom(...ACTIONS),
      bytes: fc.integer({ min: 1, max: 5000 }),
      linger0: fc.boolean(),
    }).map(({ when, do: action, bytes, linger0 }) => ({
      ...when, do: action, ...(action === "send" ? { bytes } : {}), ...(action === "close" && linger0 ? { linger0 } : {}),
    }));
    const docArb = fc.record({
      profile: fc.constantFrom("rfc9293", "linux"),
      seed: fc.nat({ max: 0xffffffff }),
      start: fc.constantFrom("closed", "established"),
      delayedAck: fc.boolean(),
      endpoints: fc.record({ client: fc.record({ autoRead: fc.boolean() }), server: fc.record({ autoRead: fc.boolean() }) }),
      link: linkArb,
      steps: fc.record({ client: fc.array(stepArb, { maxLength: 5 }), server: fc.array(stepArb, { maxLength: 5 }) }),
      until: fc.constant(86_400),
    });
    fc.assert(
      fc.property(docArb, (doc) => {
        const v = validateScenario(doc);
        expect(v.ok ? [] : v.errors.map(formatScenarioError)).toEqual([]);
        if (!v.ok) return;
        const r = runSimulation(v.scenario);
        expect(r.quiescent, `stopped early: ${r.diagnostics.join("; ")}`).toBe(true);
        expect(checkStates(r.trace)).toEqual([]);
      }),
      { numRuns: Number(process.env.SIM_PROPERTY_RUNS ?? 300) },
    );
  });

  it("is deterministic: the same scenario and seed give the same trace", () => {
    fc.assert(
      fc.property(caseArb, ({ preset, profile, seed, link }) => {
        const s = withLink(preset, link);
        expect(runSimulation(s, { profile, seed }).trace).toEqual(runSimulation(s, { profile, seed }).trace);
      }),
      { numRuns: 50 },
    );
  });
});
