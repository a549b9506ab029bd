import { describe, expect, it } from "vitest";
import {
  checkChoice, checkNextState, checkPortExhaustion, checkSegment, checkSegmentCount, checkTimeWaitPopulation,
  checkTimeWaitSide,
} from "../src/exercises/index.js";
import type { SegmentRecord, StateChangeRecord, Trace } from "../src/sim/trace.js";

const seg = (t: number, from: "client" | "server", flags: SegmentRecord["flags"], seq: number, ack: number, len = 0,
  dropped = false): SegmentRecord => ({
  type: "segment", t, from, to: from === "client" ? "server" : "client", flags, seq, ack, len, dropped,
  arrives: dropped ? null : t + 0.01, retransmission: false, explanation: "",
});
const st = (t: number, endpoint: "client" | "server", from: StateChangeRecord["from"], to: StateChangeRecord["to"]):
  StateChangeRecord => ({ type: "state", t, endpoint, from, to, cause: "CLOSE", ref: "", explanation: "" });

// The textbook close with u = 1000 and v = 5000.
const fourWay: Trace = {
  name: "four-way", profile: "linux", seed: 1,
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
    expect(checkSegment(fourWay, 3, { seq: 5000, ack: 1001 }).correct).toBe(true);
    const bad = checkSegment(fourWay, 3, { seq: 5000, ack: 1000, flags: "FIN" });
    expect(bad.correct).toBe(false);
    expect(bad.message).toContain("ack is 1001, not 1000");
    expect(bad.message).toContain("the flags are FIN+ACK, not FIN");
    expect(checkSegment(fourWay, 4, { flags: "ack", ack: 5001 }).correct).toBe(true);
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
});
