/**
 * Every preset against its exact segments (flags, seq, ack, len, from → to, send time) and
 * its exact state sequence on both sides. Sequence numbers are written relative to the ISSs
 * (c = client ISS, s = server ISS), which come from the seed: `c+1` is the client's ISS + 1.
 */
import { describe, expect, it } from "vitest";
import {
  PRESETS, PRESET_NAMES, initialSequenceNumbers, runSimulation, simulate, type Trace,
} from "../src/sim/index.js";
import { renderAsciiLadder } from "../src/render/ascii-ladder.js";
import { renderSvgLadder } from "../src/render/svg-ladder.js";

function rel(n: number, iss: number, name: string): string {
  return n === 0 ? "0" : `${name}+${(n - iss) >>> 0}`;
}

function segments(trace: Trace): string[] {
  const iss = initialSequenceNumbers(trace.seed);
  const issOf = { client: iss.client, server: iss.server };
  const letter = { client: "c", server: "s" } as const;
  return trace.events.flatMap((e) => e.type !== "segment" ? [] : [
    `${e.t} ${e.from}>${e.to} ${e.flags.join(",")} seq=${rel(e.seq, issOf[e.from], letter[e.from])} ` +
    `ack=${rel(e.ack, issOf[e.to], letter[e.to])} len=${e.len}${e.dropped ? " LOST" : ""}${e.retransmission ? " RTX" : ""}`,
  ]);
}

function states(trace: Trace, who: "client" | "server"): string[] {
  return trace.events.flatMap((e) => e.type === "state" && e.endpoint === who ? [`${e.t} ${e.from}>${e.to} ${e.cause}`] : []);
}

interface Expected {
  segments: string[];
  client: string[];
  server: string[];
  final: [string, string];
}

const EXPECTED: Record<(typeof PRESET_NAMES)[number], Expected> = {
  "four-way-close": {
    // Delayed ACK on (M6 of the teaching review): the server's ACK waits for the delayed-ACK
    // timer (0.2 s under rfc9293), goes out alone, and the FIN follows 0.7 s after the EOF.
    segments: [
      "0 client>server FIN,ACK seq=c+1 ack=s+1 len=0",
      "0.25 server>client ACK seq=s+1 ack=c+2 len=0",
      "0.35 server>client PSH,ACK seq=s+1 ack=c+2 len=100",
      "0.6 client>server ACK seq=c+2 ack=s+101 len=0",
      "0.75 server>client FIN,ACK seq=s+101 ack=c+2 len=0",
      "0.8 client>server ACK seq=c+2 ack=s+102 len=0",
    ],
    client: [
      "0 ESTABLISHED>FIN_WAIT_1 SHUTDOWN_WRITE",
      "0.3 FIN_WAIT_1>FIN_WAIT_2 RCV_ACK_OF_FIN",
      "0.8 FIN_WAIT_2>TIME_WAIT RCV_FIN",
      "240.8 TIME_WAIT>CLOSED TIME_WAIT_TIMEOUT",
    ],
    server: [
      "0.05 ESTABLISHED>CLOSE_WAIT RCV_FIN",
      "0.75 CLOSE_WAIT>LAST_ACK CLOSE",
      "0.85 LAST_ACK>CLOSED RCV_ACK_OF_FIN",
    ],
    final: ["CLOSED", "CLOSED"],
  },
  "three-way-close": {
    segments: [
      "0 client>server FIN,ACK seq=c+1 ack=s+1 len=0",
      "0.05 server>client FIN,ACK seq=s+1 ack=c+2 len=0",
      "0.1 client>server ACK seq=c+2 ack=s+2 len=0",
    ],
    client: [
      "0 ESTABLISHED>FIN_WAIT_1 CLOSE",
      "0.1 FIN_WAIT_1>TIME_WAIT RCV_FIN_ACK_OF_FIN",
      "240.1 TIME_WAIT>CLOSED TIME_WAIT_TIMEOUT",
    ],
    server: [
      "0.05 ESTABLISHED>CLOSE_WAIT RCV_FIN",
      "0.05 CLOSE_WAIT>LAST_ACK CLOSE",
      "0.15 LAST_ACK>CLOSED RCV_ACK_OF_FIN",
    ],
    final: ["CLOSED", "CLOSED"],
  },
  "simultaneous-close": {
    segments: [
      "0 client>server FIN,ACK seq=c+1 ack=s+1 len=0",
      "0 server>client FIN,ACK seq=s+1 ack=c+1 len=0",
      "0.05 server>client ACK seq=s+2 ack=c+2 len=0",
      "0.05 client>server ACK seq=c+2 ack=s+2 len=0",
    ],
    client: [
      "0 ESTABLISHED>FIN_WAIT_1 CLOSE",
      "0.05 FIN_WAIT_1>CLOSING RCV_FIN",
      "0.1 CLOSING>TIME_WAIT RCV_ACK_OF_FIN",
      "240.1 TIME_WAIT>CLOSED TIME_WAIT_TIMEOUT",
    ],
    server: [
      "0 ESTABLISHED>FIN_WAIT_1 CLOSE",
      "0.05 FIN_WAIT_1>CLOSING RCV_FIN",
      "0.1 CLOSING>TIME_WAIT RCV_ACK_OF_FIN",
      "240.1 TIME_WAIT>CLOSED TIME_WAIT_TIMEOUT",
    ],
    final: ["CLOSED", "CLOSED"],
  },
  "half-close": {
    segments: [
      "0 client>server PSH,ACK seq=c+1 ack=s+1 len=100",
      "0 client>server FIN,ACK seq=c+101 ack=s+1 len=0",
      "0.05 server>client ACK seq=s+1 ack=c+101 len=0",
      "0.05 server>client ACK seq=s+1 ack=c+102 len=0",
      "0.05 server>client ACK seq=s+1 ack=c+102 len=1460",
      "0.05 server>client PSH,ACK seq=s+1461 ack=c+102 len=540",
      "0.1 client>server ACK seq=c+102 ack=s+1461 len=0",
      "0.1 client>server ACK seq=c+102 ack=s+2001 len=0",
      "0.25 server>client FIN,ACK seq=s+2001 ack=c+102 len=0",
      "0.3 client>server ACK seq=c+102 ack=s+2002 len=0",
    ],
    client: [
      "0 ESTABLISHED>FIN_WAIT_1 SHUTDOWN_WRITE",
      "0.1 FIN_WAIT_1>FIN_WAIT_2 RCV_ACK_OF_FIN",
      "0.3 FIN_WAIT_2>TIME_WAIT RCV_FIN",
      "240.3 TIME_WAIT>CLOSED TIME_WAIT_TIMEOUT",
    ],
    server: [
      "0.05 ESTABLISHED>CLOSE_WAIT RCV_FIN",
      "0.25 CLOSE_WAIT>LAST_ACK CLOSE",
      "0.35 LAST_ACK>CLOSED RCV_ACK_OF_FIN",
    ],
    final: ["CLOSED", "CLOSED"],
  },
  "abort-rst": {
    segments: ["0 client>server RST,ACK seq=c+1 ack=s+1 len=0"],
    client: ["0 ESTABLISHED>CLOSED CLOSE"],
    server: ["0.05 ESTABLISHED>CLOSED RCV_RST"],
    final: ["CLOSED", "CLOSED"],
  },
  "close-unread-data": {
    segments: [
      "0 server>client PSH,ACK seq=s+1 ack=c+1 len=100",
      "0.05 client>server ACK seq=c+1 ack=s+101 len=0",
      "0.2 client>server RST,ACK seq=c+1 ack=s+101 len=0",
    ],
    client: ["0.2 ESTABLISHED>CLOSED CLOSE"],
    server: ["0.25 ESTABLISHED>CLOSED RCV_RST"],
    final: ["CLOSED", "CLOSED"],
  },
  "close-wait-leak": {
    segments: [
      "0 client>server FIN,ACK seq=c+1 ack=s+1 len=0",
      "0.05 server>client ACK seq=s+1 ack=c+2 len=0",
    ],
    client: [
      "0 ESTABLISHED>FIN_WAIT_1 CLOSE",
      "0.1 FIN_WAIT_1>FIN_WAIT_2 RCV_ACK_OF_FIN",
      "60.1 FIN_WAIT_2>CLOSED FIN_WAIT_2_TIMEOUT",
    ],
    server: ["0.05 ESTABLISHED>CLOSE_WAIT RCV_FIN"],
    final: ["CLOSED", "CLOSE_WAIT"],
  },
  "lost-final-ack": {
    segments: [
      "0 client>server FIN,ACK seq=c+1 ack=s+1 len=0",
      "0.05 server>client ACK seq=s+1 ack=c+2 len=0",
      "0.15 server>client FIN,ACK seq=s+1 ack=c+2 len=0",
      "0.2 client>server ACK seq=c+2 ack=s+2 len=0 LOST",
      "1.15 server>client FIN,ACK seq=s+1 ack=c+2 len=0 RTX",
      "1.2 client>server ACK seq=c+2 ack=s+2 len=0",
    ],
    client: [
      "0 ESTABLISHED>FIN_WAIT_1 CLOSE",
      "0.1 FIN_WAIT_1>FIN_WAIT_2 RCV_ACK_OF_FIN",
      "0.2 FIN_WAIT_2>TIME_WAIT RCV_FIN",
      "1.2 TIME_WAIT>TIME_WAIT RCV_UNACCEPTABLE",
      "241.2 TIME_WAIT>CLOSED TIME_WAIT_TIMEOUT",
    ],
    server: [
      "0.05 ESTABLISHED>CLOSE_WAIT RCV_FIN",
      "0.15 CLOSE_WAIT>LAST_ACK CLOSE",
      "1.25 LAST_ACK>CLOSED RCV_ACK_OF_FIN",
    ],
    final: ["CLOSED", "CLOSED"],
  },
  "lost-fin": {
    segments: [
      "0 client>server FIN,ACK seq=c+1 ack=s+1 len=0 LOST",
      "1 client>server FIN,ACK seq=c+1 ack=s+1 len=0 RTX",
      "1.05 server>client ACK seq=s+1 ack=c+2 len=0",
      "1.15 server>client FIN,ACK seq=s+1 ack=c+2 len=0",
      "1.2 client>server ACK seq=c+2 ack=s+2 len=0",
    ],
    client: [
      "0 ESTABLISHED>FIN_WAIT_1 CLOSE",
      "1.1 FIN_WAIT_1>FIN_WAIT_2 RCV_ACK_OF_FIN",
      "1.2 FIN_WAIT_2>TIME_WAIT RCV_FIN",
      "241.2 TIME_WAIT>CLOSED TIME_WAIT_TIMEOUT",
    ],
    server: [
      "1.05 ESTABLISHED>CLOSE_WAIT RCV_FIN",
      "1.15 CLOSE_WAIT>LAST_ACK CLOSE",
      "1.25 LAST_ACK>CLOSED RCV_ACK_OF_FIN",
    ],
    final: ["CLOSED", "CLOSED"],
  },
  "simultaneous-open": {
    segments: [
      "0 client>server SYN seq=c+0 ack=0 len=0",
      "0 server>client SYN seq=s+0 ack=0 len=0",
      "0.05 server>client SYN,ACK seq=s+0 ack=c+1 len=0",
      "0.05 client>server SYN,ACK seq=c+0 ack=s+1 len=0",
    ],
    client: ["0 CLOSED>SYN_SENT ACTIVE_OPEN", "0.05 SYN_SENT>SYN_RCVD RCV_SYN", "0.1 SYN_RCVD>ESTABLISHED RCV_SYN_ACK"],
    server: ["0 CLOSED>SYN_SENT ACTIVE_OPEN", "0.05 SYN_SENT>SYN_RCVD RCV_SYN", "0.1 SYN_RCVD>ESTABLISHED RCV_SYN_ACK"],
    final: ["ESTABLISHED", "ESTABLISHED"],
  },
  "connect-refused": {
    segments: [
      "0 client>server SYN seq=c+0 ack=0 len=0",
      "0.05 server>client RST,ACK seq=0 ack=c+1 len=0",
    ],
    client: ["0 CLOSED>SYN_SENT ACTIVE_OPEN", "0.1 SYN_SENT>CLOSED RCV_RST"],
    server: [],
    final: ["CLOSED", "CLOSED"],
  },
  "three-way-handshake": {
    segments: [
      "0 client>server SYN seq=c+0 ack=0 len=0",
      "0.05 server>client SYN,ACK seq=s+0 ack=c+1 len=0",
      "0.1 client>server ACK seq=c+1 ack=s+1 len=0",
    ],
    client: ["0 CLOSED>SYN_SENT ACTIVE_OPEN", "0.1 SYN_SENT>ESTABLISHED RCV_SYN_ACK"],
    server: ["0 CLOSED>LISTEN PASSIVE_OPEN", "0.05 LISTEN>SYN_RCVD RCV_SYN", "0.15 SYN_RCVD>ESTABLISHED RCV_ACK"],
    final: ["ESTABLISHED", "ESTABLISHED"],
  },
  "peer-reboots": {
    // RFC 9293 §3.5.1 Figure 10: the client's TCB is lost at t = 1 with nothing sent; the
    // server's data at t = 2 meets a CLOSED connection, whose RST takes SEQ from the data's
    // ACK field (§3.10.7.1) — the server's RCV.NXT exactly, so it is accepted.
    segments: [
      "2 server>client PSH,ACK seq=s+1 ack=c+1 len=100",
      "2.05 client>server RST seq=c+1 ack=0 len=0",
    ],
    client: ["1 ESTABLISHED>CLOSED ABORT"],
    server: ["2.1 ESTABLISHED>CLOSED RCV_RST"],
    final: ["CLOSED", "CLOSED"],
  },
};

describe("presets", () => {
  it("has exactly the issue's names, each with a title and a description", () => {
    expect([...PRESET_NAMES].sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const name of PRESET_NAMES) {
      expect(PRESETS[name].title.length, name).toBeGreaterThan(5);
      expect(PRESETS[name].description.length, name).toBeGreaterThan(100);
    }
  });

  for (const name of PRESET_NAMES) {
    it(`${name}: exact segments and states`, () => {
      const result = runSimulation(name);
      const trace = result.trace;
      const want = EXPECTED[name];
      expect(segments(trace)).toEqual(want.segments);
      expect(states(trace, "client")).toEqual(want.client);
      expect(states(trace, "server")).toEqual(want.server);
      expect([trace.final.client, trace.final.server]).toEqual(want.final);
      expect(result.quiescent).toBe(true);
      expect(result.diagnostics).toEqual([]);
      for (const e of trace.events) expect(e.explanation, `${name} ${JSON.stringify(e)}`).toMatch(/\.$/);
    });
  }

  it("every preset draws as an ASCII and an SVG ladder", () => {
    for (const name of PRESET_NAMES) {
      const trace = simulate(name);
      expect(renderAsciiLadder(trace), name).toContain(trace.final.client);
      expect(renderSvgLadder(trace).trimStart(), name).toMatch(/^<svg/);
    }
  });

  it("takes its ISSs from the seed, and is deterministic", () => {
    const a = simulate("three-way-handshake", { seed: 42 });
    const iss = initialSequenceNumbers(42);
    const syn = a.events.find((e) => e.type === "segment");
    expect(syn?.type === "segment" && syn.seq).toBe(iss.client);
    expect(simulate("three-way-handshake", { seed: 42 })).toEqual(a);
    expect(initialSequenceNumbers(43)).not.toEqual(iss);
  });

  it("close-wait-leak under rfc9293 leaves the orphan in FIN_WAIT_2 (no FIN_WAIT_2 timer)", () => {
    const trace = simulate("close-wait-leak", { profile: "rfc9293" });
    expect(trace.final).toEqual({ client: "FIN_WAIT_2", server: "CLOSE_WAIT" });
  });

  it("TIME_WAIT lasts the profile's 2MSL: 60 s under linux, 240 s under rfc9293", () => {
    const last = (t: Trace) => t.events.filter((e) => e.type === "state" && e.endpoint === "client").at(-1)!;
    expect(last(simulate("three-way-close", { profile: "linux" })).t).toBeCloseTo(0.1 + 60, 9);
    expect(last(simulate("three-way-close", { profile: "rfc9293" })).t).toBeCloseTo(0.1 + 240, 9);
  });

  it("three-way-close under linux merges FIN+ACK with the 40 ms delayed ACK too", () => {
    const trace = simulate("three-way-close", { profile: "linux" });
    expect(trace.events.filter((e) => e.type === "segment").map((e) => e.type === "segment" && e.flags.join(","))).toEqual([
      "FIN,ACK", "FIN,ACK", "ACK",
    ]);
  });
});
