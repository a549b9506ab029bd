import { describe, expect, it } from "vitest";
import {
  checkChoice, checkClosedDirection, checkFinCount, checkNextState, checkPortExhaustion, checkSegment, checkSegmentCount, checkTimeWaitPopulation,
  checkTimeWaitSide,
} from "../src/exercises/index.js";
import type { SegmentRecord, StateChangeRecord, Trace } from "../src/sim/trace.js";
import { simulate } from "../src/sim/index.js";

const seg = (t: number, from: "client" | "server", flags: SegmentRecord["flags"], seq: number, ack: number, len = 0,
  dropped = false): SegmentRecord => ({
  type: "segment", t, from, to: from === "client" ? "server" : "client", flags, seq, ack, len, dropped,
  arrives: dropped ? null : t + 0.01, retransmission: false, explanation: "",
});
const st = (t: number, endpoint: "client" | "server", from: StateChangeRecord["from"], to: StateChangeRecord["to"]):
  StateChangeRecord => ({ type: "state", t, endpoint, from, to, cause: "CLOSE", ref: "", explanation: "" });

// The textbook close with u = 1000 and v = 5000 (ISNs 999 and 4999: relative u = v = 1).
const fourWay: Trace = {
  name: "four-way", profile: "linux", seed: 1, isn: { client: 999, server: 4999 },
  initial: { client: "ESTABLISHED", server: "ESTABLISHED" },
  final: { client: "TIME_WAIT", server: "CLOSED" },
  events: [
    st(0, "client", "ESTABLISHED", "FIN_WAIT_1"), seg(0, "client", ["FIN", "ACK"], 1000, 5000),
    st(0.01, "server", "ESTABLISHED", "CLOSE_WAIT"), seg(0.01, "server", ["ACK"], 5000, 1001),
    st(0.02, "client", "FIN_WAIT_1", "FIN_WAIT_2"),
    st(0.5, "server", "CLOSE_WAIT", "LAST_ACK"), seg(0.5, "server", ["FIN", "ACK"], 5000, 1001),
    st(0.51, "client", "FIN_WAIT_2", "TIME_WAIT"), seg(0.51, "client", ["ACK"], 1001, 5001),
    st(0.52, "server", "LAST_ACK", "CLOSED"),
  ],
};

describe("exercise checkers", () => {
  it("checks next-state predictions against the table, with the reason", () => {
    const ok = checkNextState("FIN_WAIT_1", "RCV_FIN", "closing");
    expect(ok.correct).toBe(true);
    expect(ok.message).toMatch(/^Right: FIN_WAIT_1 on rcv FIN goes to CLOSING and sends ACK/);
    const no = checkNextState("FIN_WAIT_1", "RCV_FIN", "TIME-WAIT");
    expect(no).toMatchObject({ correct: false });
    expect(no.message).toMatch(/you said TIME_WAIT, but .* goes to CLOSING/);
    expect(checkNextState("SYN_RCVD", "RCV_RST", "LISTEN", { flags: { passiveOpen: true } }).correct).toBe(true);
    expect(checkNextState("SYN_RCVD", "RCV_RST", "LISTEN").correct).toBe(false);
    expect(checkNextState("TIME_WAIT", "CLOSE", "TIME_WAIT").message).toMatch(/refused/);
    expect(checkNextState("ESTABLISHED", "RCV_FIN", "WAITING").message).toMatch(/not a TCP state/);
  });

  it("checks seq and ack of a chosen segment", () => {
    // Relative to each side's ISN by default, as the ladders print them; absolute on request.
    expect(checkSegment(fourWay, 3, { seq: 1, ack: 2 }).correct).toBe(true);
    expect(checkSegment(fourWay, 3, { seq: 5000, ack: 1001 }).correct).toBe(false);
    expect(checkSegment(fourWay, 3, { seq: 5000, ack: 1001 }, { absolute: true }).correct).toBe(true);
    const bad = checkSegment(fourWay, 3, { seq: 1, ack: 1, flags: "FIN" });
    expect(bad.correct).toBe(false);
    expect(bad.message).toContain("ack is 2, not 1");
    expect(bad.message).toContain("the flags are FIN+ACK, not FIN");
    expect(bad.message).toContain("seq=1 ack=2 len=0 (relative to each side's ISN)");
    expect(checkSegment(fourWay, 4, { flags: "ack", ack: 2 }).correct).toBe(true);
    expect(checkSegment(fourWay, 9, {}).message).toContain("fewer than 9 segments");
  });

  it("counts segments and finds the TIME_WAIT side", () => {
    expect(checkSegmentCount(fourWay, 4).correct).toBe(true);
    expect(checkSegmentCount(fourWay, 3).message).toContain("you said 3, but \"four-way\" delivers 4 segments");
    expect(checkTimeWaitSide(fourWay, "client").correct).toBe(true);
    expect(checkTimeWaitSide(fourWay, "server").correct).toBe(false);
    expect(checkTimeWaitSide(fourWay, ["client", "server"]).correct).toBe(false);
  });

  it("applies Little's law and port exhaustion arithmetic", () => {
    expect(checkTimeWaitPopulation(100, "linux", 6000).correct).toBe(true);
    expect(checkTimeWaitPopulation(100, "rfc9293", 6000).message).toContain("= 24000 sockets");
    expect(checkPortExhaustion(100, [32768, 60999], "linux", null).correct).toBe(true);
    const v = checkPortExhaustion(1000, [32768, 60999], "linux", 28.232);
    expect(v.correct).toBe(true);
    expect(v.message).toContain("28232 / 1000/s = 28.2 s");
    expect(checkPortExhaustion(1000, [32768, 60999], "linux", null).correct).toBe(false);
    expect(checkChoice("b", "a", "because.").message).toBe("Not quite: you said b. because.");
  });

  it("counts the FINs of a trace and says whose they are", () => {
    const ok = checkFinCount(fourWay, 2);
    expect(ok.correct).toBe(true);
    expect(ok.message).toBe(
      "Right: in \"four-way\" 2 segments carry a FIN: the client's (seq=1) and the server's (seq=1). " +
      "TCP is full duplex, and a FIN closes only its sender's direction (RFC 9293 §3.6), so each side sends its own, and each FIN is ACKed.");
    const no = checkFinCount(fourWay, 1);
    expect(no.correct).toBe(false);
    expect(no.message).toMatch(/^Not quite: you said 1, but in "four-way" 2 segments carry a FIN: /);
    // A lost FIN is sent again: still one FIN per side.
    expect(checkFinCount(simulate("lost-fin", { profile: "linux" }), 2).correct).toBe(true);
    const rst = checkFinCount(simulate("abort-rst", { profile: "linux" }), 0);
    expect(rst.correct).toBe(true);
    expect(rst.message).toContain("no segment carries a FIN");
  });

  it("finds which direction the first acknowledged FIN closed, from the trace", () => {
    const ok = checkClosedDirection(fourWay, "client-to-server");
    expect(ok.correct).toBe(true);
    expect(ok.message).toBe(
      "Right: when the server acknowledged the client's FIN (ack=2, t=0.010 s), only the client had sent a FIN. " +
      "A FIN closes only its sender's direction, so client-to-server is closed: the client can no longer send, " +
      "but the server still can and the client still receives.");
    expect(checkClosedDirection(fourWay, "Client → Server").correct).toBe(true);
    const both = checkClosedDirection(fourWay, "both");
    expect(both.correct).toBe(false);
    expect(both.message).toMatch(/^Not quite: you said both, but .* so client-to-server is closed/);
    expect(checkClosedDirection(fourWay, "up").message).toBe(
      'Not quite: "up" is not a direction; answer one of "client-to-server", "server-to-client", "both", "neither".');
    // The simulated close: the server's data after the ACK is counted.
    const sim = checkClosedDirection(simulate("half-close", { profile: "linux" }), "client-to-server");
    expect(sim.correct).toBe(true);
    expect(sim.message).toContain("here the server sent 2000 more bytes before its own FIN");
    // With the FIN+ACK merged, the ACK of the first FIN rides on the second FIN: both are closed.
    const three = checkClosedDirection(simulate("three-way-close", { profile: "linux" }), "client-to-server");
    expect(three.correct).toBe(false);
    expect(three.message).toContain("both directions were closed: the ACK rode on the server's own FIN");
    expect(checkClosedDirection(simulate("simultaneous-close", { profile: "linux" }), "both").message)
      .toContain("the server had already sent its own FIN");
    expect(checkClosedDirection(simulate("abort-rst", { profile: "linux" }), "neither").correct).toBe(true);
  });
});
