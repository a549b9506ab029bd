// Replay on random segment streams (fast-check; the seed is printed on failure): it never
// throws, keeps every segment, orders the trace by time, and every state change it infers
// is one the transition table allows.
import fc from "fast-check";
import { expect, it } from "vitest";
import { allowedTransitions } from "../src/fsm/machine.js";
import type { PcapSegment } from "../src/parse/pcap/index.js";
import { replaySegments } from "../src/replay/index.js";

const SEED = Number(process.env.FC_SEED ?? 5_2026);
const A = { address: "::1", port: 1000 };
const B = { address: "::1", port: 2000 };
const FLAGS = ["SYN", "FIN", "RST", "PSH", "ACK"] as const;

const segment = fc.record({
  fromA: fc.boolean(),
  flags: fc.subarray([...FLAGS]),
  seq: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 0xffffffff })),
  ack: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 0xffffffff })),
  len: fc.integer({ min: 0, max: 3 }),
});

it("random segment streams: no exception, every segment kept, only allowed transitions", () => {
  const allowed = allowedTransitions();
  fc.assert(
    fc.property(fc.array(segment, { maxLength: 25 }), fc.boolean(), (specs, relative) => {
      const segments: PcapSegment[] = specs.map((s, i) => ({
        frame: i + 1, offset: 24 + i * 80, t: 10 + i * 0.001, interface: 0, ipVersion: 6,
        src: s.fromA ? A : B, dst: s.fromA ? B : A, flags: s.flags, flagBits: 0,
        seq: s.seq, ack: s.ack, len: s.len, window: 1, urgent: 0, options: {}, sliced: false,
      }));
      const conns = replaySegments(segments, { relative });
      expect(conns.reduce((n, c) => n + c.segments.length, 0)).toBe(segments.length);
      for (const c of conns) {
        const times = c.trace.events.map((e) => e.t);
        expect(times).toEqual([...times].sort((x, y) => x - y));
        expect(c.trace.events.filter((e) => e.type === "segment").length).toBe(c.segments.length);
        for (const e of c.trace.events) {
          if (e.type === "state") expect(allowed.has(`${e.from}/${e.cause}/${e.to}`), `${e.from} ${e.cause} ${e.to}`).toBe(true);
        }
        for (const s of c.segments) {
          expect(s.seq).toBeGreaterThanOrEqual(0);
          expect(s.seq).toBeLessThanOrEqual(0xffffffff);
        }
      }
    }),
    { seed: SEED, numRuns: 400 },
  );
});
