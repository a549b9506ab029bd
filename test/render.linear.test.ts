/**
 * The ladders of large traces (defect 7 of the reliability review): the merge of arrivals
 * (`ladderItems`), the reordering that draws uncrossed segments whole (`untangle`) and the
 * SVG's slot lookup were quadratic or worse; they are now O(n log n). These tests hold the
 * fast versions to the old ones (kept verbatim in test/support/ladder-reference.ts) item for
 * item, on every preset, on random simulator runs and on random hand-made traces (ties,
 * causes, zero delays, times out of order as in a capture), and check the whole text of a
 * 100,000-segment ladder. How the time grows is measured in bench/simulator.bench.mjs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { STATES, type TcpState } from "../src/fsm/index.js";
import { ladderItems } from "../src/render/ladder-events.js";
import { renderAsciiLadder, untangle } from "../src/render/ascii-ladder.js";
import { nearestSlot, renderSvgLadder } from "../src/render/svg-ladder.js";
import { PRESET_NAMES, runScenario, simulate, validateScenario, type Scenario } from "../src/sim/index.js";
import type { EndpointName, Flag, Trace, TraceEvent } from "../src/sim/trace.js";
import { referenceLadderItems, referenceUntangle } from "./support/ladder-reference.js";
import { SEED, check } from "./support/property.js";

function scenario(doc: unknown): Scenario {
  const v = validateScenario(doc);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.scenario;
}

function expectSameOrder(trace: Trace, label: string): void {
  const items = ladderItems(trace);
  expect(items, `${label}: ladderItems`).toEqual(referenceLadderItems(trace));
  expect(untangle(items), `${label}: untangle`).toEqual(referenceUntangle(items));
}

describe("the ladder order is the same as before, faster", () => {
  it("every preset, both profiles, five seeds", () => {
    let traces = 0;
    for (const name of PRESET_NAMES) {
      for (const profile of ["linux", "rfc9293"] as const) {
        for (let seed = 1; seed <= 5; seed++) {
          expectSameOrder(simulate(name, { profile, seed }), `${name}/${profile}/${seed}`);
          traces++;
        }
      }
    }
    expect(traces).toBe(PRESET_NAMES.length * 10);
  });

  it(`random impaired simulator runs (seed ${SEED})`, () => {
    const arb = fc.record({
      bytes: fc.integer({ min: 1, max: 40_000 }),
      serverBytes: fc.integer({ min: 0, max: 8_000 }),
      loss: fc.constantFrom(0, 0.05, 0.3),
      duplicate: fc.constantFrom(0, 0.2, 1),
      reorder: fc.constantFrom(0, 0.3),
      delay: fc.constantFrom(0, 0.001, 0.05),
      delayedAck: fc.boolean(),
      serverClose: fc.constantFrom("eof", "at0", "never"),
      start: fc.constantFrom("closed", "established"),
      seed: fc.integer({ min: 0, max: 1000 }),
    });
    check("untangle equals the reference on simulator runs", arb, (r) => {
      const client = [
        ...(r.start === "closed" ? [{ at: 0, do: "connect" }] : []),
        { on: "established", do: "send", bytes: r.bytes },
        { on: "established", after: 0.5, do: "close" },
      ];
      const server = [
        ...(r.start === "closed" ? [{ at: 0, do: "listen" }] : []),
        ...(r.serverBytes > 0 ? [{ on: "established", do: "send", bytes: r.serverBytes }] : []),
        ...(r.serverClose === "eof" ? [{ on: "eof", do: "close" }] : r.serverClose === "at0" ? [{ on: "established", do: "close" }] : []),
      ];
      const sc = scenario({
        start: r.start, delayedAck: r.delayedAck, until: 300, seed: r.seed,
        link: { delay: r.delay, loss: r.loss, duplicate: r.duplicate, reorder: r.reorder },
        steps: { client, server },
      });
      expectSameOrder(runScenario(sc).trace, JSON.stringify(r));
    });
  });

  it(`random hand-made traces: ties, causes, zero delays, times out of order (seed ${SEED})`, () => {
    const endpoint = fc.constantFrom<EndpointName>("client", "server");
    const state = fc.constantFrom<TcpState>(...STATES);
    // Few distinct times, so that many events share an instant; nearly equal ones as well.
    const time = fc.constantFrom(0, 0.05, 0.05 + 1e-12, 0.1, 0.15, 1);
    const event = fc.oneof(
      fc.record({
        kind: fc.constant("segment" as const), t: time, from: endpoint, dropped: fc.boolean(),
        delay: fc.constantFrom(0, 0.05, 0.1), flags: fc.subarray<Flag>(["SYN", "FIN", "ACK"]), cause: fc.option(fc.nat(30)),
      }),
      fc.record({ kind: fc.constant("state" as const), t: time, endpoint, to: state, cause: fc.option(fc.nat(30)) }),
    );
    const arb = fc.record({ events: fc.array(event, { maxLength: 40 }), sorted: fc.boolean() });
    check("ladderItems and untangle equal the reference on hand-made traces", arb, ({ events, sorted }) => {
      const list = sorted ? [...events].sort((a, b) => a.t - b.t) : events;
      let segments = 0;
      const trace: Trace = {
        name: "random", profile: "linux", seed: 0,
        initial: { client: "ESTABLISHED", server: "ESTABLISHED" }, final: { client: "CLOSED", server: "CLOSED" },
        events: list.map((e): TraceEvent => {
          const causeSegment = e.cause !== null && e.cause < segments ? { causeSegment: e.cause } : {};
          if (e.kind === "state") {
            return { type: "state", t: e.t, endpoint: e.endpoint, from: "ESTABLISHED", to: e.to, cause: "CLOSE", ref: "§3.10", explanation: "x.", ...causeSegment };
          }
          segments++;
          return {
            type: "segment", t: e.t, from: e.from, to: e.from === "client" ? "server" : "client", flags: e.flags, seq: segments, ack: 0,
            len: 0, dropped: e.dropped, arrives: e.dropped ? null : e.t + e.delay, retransmission: false, explanation: "x.", ...causeSegment,
          };
        }),
      };
      expectSameOrder(trace, JSON.stringify(list));
    });
  });

  it("a 3,000-segment bulk transfer with loss and duplicates, item for item", () => {
    const sc = scenario({
      start: "established", seed: 7, link: { loss: 0.01, duplicate: 0.05 },
      steps: { client: [{ at: 0, do: "send", bytes: 3000 * 1460 }, { at: 5, do: "close" }], server: [{ on: "eof", do: "close" }] },
    });
    const trace = runScenario(sc).trace;
    expect(trace.events.filter((e) => e.type === "segment").length).toBeGreaterThan(6000);
    expectSameOrder(trace, "bulk");
  });

  it(`nearestSlot finds what a scan from the start finds (seed ${SEED})`, () => {
    const scan = (times: readonly number[], t: number): number => {
      let best = 0;
      for (let i = 0; i < times.length; i++) if (Math.abs(times[i]! - t) < Math.abs(times[best]! - t)) best = i;
      return best;
    };
    const arb = fc.record({
      times: fc.uniqueArray(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 30 }),
      t: fc.oneof(fc.double({ noNaN: false }), fc.constantFrom(0, 1, -1, Infinity, -Infinity)),
    });
    check("nearestSlot equals a scan", arb, ({ times, t }) => {
      const sorted = [...times].sort((a, b) => a - b);
      expect(nearestSlot(sorted, t)).toBe(scan(sorted, t));
      expect(nearestSlot(sorted, sorted[0]! )).toBe(0);
    });
    expect(nearestSlot([0, 1, 2], 0.5)).toBe(0);
    expect(nearestSlot([0, 1, 2], 1.5)).toBe(1);
    expect(nearestSlot([0, 1, 2], 1.6)).toBe(2);
    expect(nearestSlot([], 3)).toBe(0);
  });
});

describe("a 100,000-segment ladder", () => {
  // 73,000,000 bytes: 50,000 data segments, each ACKed; the ladder has three rows per segment.
  const sc = scenario({ start: "established", steps: { client: [{ at: 0, do: "send", bytes: 50_000 * 1460 }] } });
  const trace = runScenario(sc).trace;

  it("ASCII: every segment drawn, split while the others cross it, time never running backwards", () => {
    const segs = trace.events.filter((e) => e.type === "segment");
    expect(segs.length).toBe(100_000);
    const lines = renderAsciiLadder(trace).split("\n");
    // Heading and initial states; every segment split (label, departure stub, arrival), as
    // the data burst and the ACKs cross; the last data label wraps its "len=1460" (a
    // 5-digit segment number and PSH do not fit 40 columns); the foot, the key and "".
    expect(lines.length).toBe(2 + 3 * 100_000 + 1 + 1 + 2 + 1);
    expect(lines).toContain("                      |  len=1460" + " ".repeat(34) + "|");
    expect(lines[2]).toBe("   0.000              |  #1 ACK seq=1 ack=1 len=1460" + " ".repeat(15) + "|");
    expect(lines[3]).toBe("                      |" + "-".repeat(19) + " #1 ..." + " ".repeat(18) + "|");
    const count = (re: RegExp): number => lines.filter((l) => re.test(l)).length;
    expect(count(/\| {2}#\d+ (PSH, )?ACK seq=\d+ ack=1( len=1460)? +\|$/)).toBe(50_000);
    expect(count(/\| +#\d+ ACK seq=1 ack=\d+ {2}\|$/)).toBe(50_000);
    expect(count(/\|-{19} #\d+ \.{3} +\|$/)).toBe(50_000); // data leaving
    expect(count(/\| +#\d+ \.{3}-+>\|$/)).toBe(50_000); // data arriving
    expect(count(/\| +\.{3} #\d+ -{19}\|$/)).toBe(50_000); // ACKs leaving
    expect(count(/\|<-+\.{3} #\d+ +\|$/)).toBe(50_000); // ACKs arriving
    expect(lines[lines.length - 4]).toMatch(/^ +v +v$/);
    let last = -Infinity;
    for (const l of lines) {
      const m = /^ *(\d+\.\d{3}) /.exec(l);
      if (m === null) continue;
      expect(Number(m[1])).toBeGreaterThanOrEqual(last);
      last = Number(m[1]);
    }
  });

  it("SVG: one <g class=\"segment\"> per segment with its data-index", () => {
    const svg = renderSvgLadder(trace);
    expect(svg.match(/<g class="segment[^"]*" data-index="/g)?.length).toBe(100_000);
    expect(svg).toContain('data-index="99999"');
  });
});
