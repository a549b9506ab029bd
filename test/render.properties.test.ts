/**
 * Property tests: random traces (random send times, delays, losses, retransmissions, both
 * directions, state changes interleaved). fast-check prints the seed and the shrunk trace
 * on failure; replay with `fc.assert(..., { seed })`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { XMLValidator } from "fast-xml-parser";
import { STATES, type TcpState } from "../src/fsm/index.js";
import { renderAsciiLadder, renderStateChart, renderSvgLadder, stateCountsFromTrace } from "../src/render/index.js";
import type { EndpointName, Flag, Trace, TraceEvent } from "../src/sim/trace.js";

const endpoint = fc.constantFrom<EndpointName>("client", "server");
const state = fc.constantFrom<TcpState>(...STATES);
const flags = fc.subarray<Flag>(["SYN", "FIN", "RST", "PSH", "ACK"]);
const ms = fc.integer({ min: 0, max: 5000 }).map((n) => n / 1000);

const event: fc.Arbitrary<TraceEvent> = fc.oneof(
  fc.record({
    t: ms, from: endpoint, flags, seq: fc.nat(), ack: fc.nat(), len: fc.nat({ max: 1460 }),
    dropped: fc.boolean(), delay: fc.integer({ min: 0, max: 500 }), retransmission: fc.boolean(),
  }).map((r): TraceEvent => ({
    type: "segment", t: r.t, from: r.from, to: r.from === "client" ? "server" : "client", flags: r.flags,
    seq: r.seq, ack: r.ack, len: r.len, dropped: r.dropped, arrives: r.dropped ? null : r.t + r.delay / 1000,
    retransmission: r.retransmission, explanation: "random.",
  })),
  fc.record({ t: ms, endpoint, from: state, to: state }).map((r): TraceEvent => ({
    type: "state", t: r.t, endpoint: r.endpoint, from: r.from, to: r.to, cause: "CLOSE", ref: "§3.10", explanation: "random.",
  })),
);

const trace: fc.Arbitrary<Trace> = fc.record({
  events: fc.array(event, { maxLength: 25 }).map((evs) => [...evs].sort((a, b) => a.t - b.t)),
  client: state, server: state,
}).map((r) => ({
  name: "random", profile: "linux", seed: 0, events: r.events,
  initial: { client: r.client, server: r.server }, final: { client: r.client, server: r.server },
}));

describe("renderers on random traces", () => {
  it("the ASCII ladder fits its width and draws one arrowhead or X per segment, every state change", () => {
    fc.assert(
      fc.property(trace, fc.integer({ min: 80, max: 100 }), (t, width) => {
        const out = renderAsciiLadder(t, { width });
        const lines = out.split("\n");
        for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
        const body = lines.map((l) => l.slice(l.indexOf("|"), l.lastIndexOf("|") + 1));
        const heads = body.filter((l) => /-->\||\|<--|X/.test(l)).length;
        expect(heads).toBe(t.events.filter((e) => e.type === "segment").length);
        const written = lines.join(" ");
        for (const e of t.events) if (e.type === "state") expect(written).toContain(e.to);
      }),
      { numRuns: 200 },
    );
  });

  it("the SVG ladder is well-formed with one data-index per segment", () => {
    fc.assert(
      fc.property(trace, (t) => {
        const svg = renderSvgLadder(t);
        expect(XMLValidator.validate(svg)).toBe(true);
        const n = t.events.filter((e) => e.type === "segment").length;
        expect([...svg.matchAll(/ data-index="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([...Array(n).keys()]);
        expect(svg).not.toMatch(/NaN|undefined|Infinity/);
      }),
      { numRuns: 150 },
    );
  });

  it("state counts always sum to the two endpoints, and the chart never throws", () => {
    fc.assert(
      fc.property(trace, (t) => {
        const series = stateCountsFromTrace(t);
        for (const p of series) expect(Object.values(p.counts).reduce((a, b) => a + (b ?? 0), 0)).toBe(2);
        expect(typeof renderStateChart(series, { color: false })).toBe("string");
      }),
      { numRuns: 150 },
    );
  });
});
