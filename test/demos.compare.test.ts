/** compareWithSimulator itself, on made-up results: it must be able to fail. */
import { describe, expect, it } from "vitest";
import { compareWithSimulator, type DemoResult, type DemoSegment } from "../src/index.js";

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
    capture: { ok: true, filter: "tcp port 1", packets: segments.length, dropped: 0, connections: 1 },
  };
}

describe("compareWithSimulator", () => {
  it("accepts the kernel's abort: handshake, then one RST", () => {
    const cmp = compareWithSimulator(result("abort-rst", [["ESTABLISHED", "ESTABLISHED"], ["CLOSED", "CLOSED"]], [...HANDSHAKE, seg("client", ["RST", "ACK"])]), "abort-rst");
    expect(cmp.problems).toEqual([]);
  });

  it("reports a state the simulator never reaches", () => {
    const cmp = compareWithSimulator(result("abort-rst", [["ESTABLISHED", "ESTABLISHED"], ["TIME_WAIT", "CLOSED"]], [...HANDSHAKE, seg("client", ["RST", "ACK"])]), "abort-rst");
    expect(cmp.states.client.ok).toBe(false);
    expect(cmp.problems[0]).toBe("client: observed ESTABLISHED → TIME_WAIT is not a subsequence of the simulator's ESTABLISHED → CLOSED");
  });

  it("reports segments that differ (a FIN where the simulator sends RST)", () => {
    const cmp = compareWithSimulator(result("abort-rst", [["ESTABLISHED", "ESTABLISHED"]], [...HANDSHAKE, seg("client", ["FIN", "ACK"])]), "abort-rst");
    expect(cmp.segments?.ok).toBe(false);
    expect(cmp.problems).toEqual([
      "captured segments client>server FIN,ACK 0 differ from the simulator's (with no known differences) client>server RST,ACK 0",
    ]);
  });

  it("reports a capture without the handshake", () => {
    const cmp = compareWithSimulator(result("abort-rst", [], [seg("client", ["RST", "ACK"])]), "abort-rst");
    expect(cmp.problems[0]).toMatch(/^capture does not start with the handshake/);
  });

  it("applies a timing-dependent difference only when the kernel shows it", () => {
    const close = [seg("client", ["FIN", "ACK"]), seg("server", ["FIN", "ACK"]), seg("client", ["ACK"])];
    const merged = compareWithSimulator(result("three-way-close", [], [...HANDSHAKE, ...close]), "three-way-close");
    expect(merged.segments?.applied).toEqual([]);
    expect(merged.problems).toEqual([]);
    const split = compareWithSimulator(result("three-way-close", [], [...HANDSHAKE, close[0]!, seg("server", ["ACK"]), ...close.slice(1)]), "three-way-close");
    expect(split.segments?.applied).toEqual(["fin-ack-merge-timing"]);
    expect(split.problems).toEqual([]);
  });
});
