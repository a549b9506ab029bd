import { describe, expect, it } from "vitest";
import {
  EVENTS, STATES, TRANSITION_TABLE, PROFILES, decide, nextState, tableRow, type TcpState,
} from "../src/fsm/index.js";

describe("transition table", () => {
  it("has exactly one row for every (state, event) pair", () => {
    expect(TRANSITION_TABLE).toHaveLength(STATES.length * EVENTS.length);
    const keys = new Set(TRANSITION_TABLE.map((r) => `${r.state}/${r.event}`));
    expect(keys.size).toBe(11 * 26);
    for (const s of STATES) for (const e of EVENTS) expect(keys.has(`${s}/${e}`)).toBe(true);
  });

  it("ends every row with an unconditional case, and cites a reference everywhere", () => {
    for (const row of TRANSITION_TABLE) {
      const last = row.cases[row.cases.length - 1]!;
      expect(last.when, `${row.state} × ${row.event}`).toBeUndefined();
      expect(last.profile, `${row.state} × ${row.event}`).toBeUndefined();
      for (const c of row.cases) {
        expect(c.outcome.ref.length, `${row.state} × ${row.event}`).toBeGreaterThan(0);
        if (c.outcome.kind !== "transition") expect(c.outcome.reason.length).toBeGreaterThan(0);
        else expect(c.outcome.note).toMatch(/\.$/);
      }
    }
  });

  const must: Array<[TcpState, Parameters<typeof nextState>[1], TcpState, Parameters<typeof decide>[3]?]> = [
    ["SYN_SENT", "RCV_SYN", "SYN_RCVD"],
    ["FIN_WAIT_1", "RCV_FIN", "CLOSING"],
    ["CLOSING", "RCV_ACK_OF_FIN", "TIME_WAIT"],
    ["FIN_WAIT_1", "RCV_FIN_ACK_OF_FIN", "TIME_WAIT"],
    ["SYN_RCVD", "RCV_RST", "LISTEN", { passiveOpen: true }],
    ["SYN_RCVD", "RCV_RST", "CLOSED", { passiveOpen: false }],
    ["LISTEN", "CLOSE", "CLOSED"],
    ["SYN_SENT", "CLOSE", "CLOSED"],
    ["FIN_WAIT_1", "RCV_ACK_OF_FIN", "FIN_WAIT_2"],
    ["FIN_WAIT_2", "RCV_FIN", "TIME_WAIT"],
    ["ESTABLISHED", "RCV_FIN", "CLOSE_WAIT"],
    ["CLOSE_WAIT", "CLOSE", "LAST_ACK"],
    ["LAST_ACK", "RCV_ACK_OF_FIN", "CLOSED"],
    ["TIME_WAIT", "TIME_WAIT_TIMEOUT", "CLOSED"],
    ["TIME_WAIT", "RCV_RST", "CLOSED"],
  ];
  it.each(must)("%s × %s → %s", (from, event, to, flags) => {
    expect(nextState(from, event, "rfc9293", flags)).toBe(to);
    expect(nextState(from, event, "linux", flags)).toBe(to);
  });

  it("restarts 2MSL on a retransmitted FIN in TIME_WAIT", () => {
    const o = decide("TIME_WAIT", "RCV_FIN", "linux").outcome;
    expect(o).toMatchObject({ kind: "transition", next: "TIME_WAIT", send: ["ACK"], restartsTimeWait: true });
  });

  it("sends RST on every ABORT from a synchronized state with unsent obligations, and none otherwise", () => {
    const withRst = STATES.filter((s) => {
      const o = decide(s, "ABORT").outcome;
      return o.kind === "transition" && o.send.includes("RST");
    });
    expect(withRst).toEqual(["SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT"]);
    expect(decide("CLOSED", "ABORT").outcome.kind).toBe("error");
  });

  it("answers RST in every state as RFC 9293 §3.10.7 says", () => {
    const after = Object.fromEntries(STATES.map((s) => [s, nextState(s, "RCV_RST", "rfc9293", { passiveOpen: true })]));
    expect(after).toEqual({
      CLOSED: "CLOSED", LISTEN: "LISTEN", SYN_SENT: "CLOSED", SYN_RCVD: "LISTEN", ESTABLISHED: "CLOSED",
      FIN_WAIT_1: "CLOSED", FIN_WAIT_2: "CLOSED", CLOSE_WAIT: "CLOSED", CLOSING: "CLOSED", LAST_ACK: "CLOSED",
      TIME_WAIT: "CLOSED",
    });
    expect(decide("CLOSED", "RCV_RST").outcome.kind).toBe("ignored");
    expect(decide("LISTEN", "RCV_RST").outcome.kind).toBe("ignored");
  });

  it("applies the linux profile's close() rules", () => {
    expect(decide("ESTABLISHED", "CLOSE", "linux", { unreadData: true }).outcome)
      .toMatchObject({ next: "CLOSED", send: ["RST"] });
    expect(decide("ESTABLISHED", "CLOSE", "linux", { linger0: true }).outcome)
      .toMatchObject({ next: "CLOSED", send: ["RST"] });
    expect(decide("FIN_WAIT_2", "FIN_WAIT_2_TIMEOUT", "linux", { orphaned: true }).outcome)
      .toMatchObject({ kind: "transition", next: "CLOSED" });
    expect(decide("FIN_WAIT_2", "FIN_WAIT_2_TIMEOUT", "linux", { orphaned: false }).outcome.kind).toBe("ignored");
    expect(decide("FIN_WAIT_2", "FIN_WAIT_2_TIMEOUT", "rfc9293", { orphaned: true }).outcome.kind).toBe("ignored");
    expect(PROFILES.linux.timeWait).toBe(60);
    expect(PROFILES.rfc9293.timeWait).toBe(2 * PROFILES.rfc9293.msl);
    expect(PROFILES.rfc9293.timeWait).toBe(240);
  });

  it("refuses CLOSE while already closing, under the RFC", () => {
    for (const s of ["FIN_WAIT_1", "FIN_WAIT_2", "CLOSING", "LAST_ACK", "TIME_WAIT"] as const) {
      expect(decide(s, "CLOSE", "rfc9293").outcome.kind).toBe("error");
      expect(decide(s, "SHUTDOWN_WRITE", "linux").outcome.kind).toBe("error");
    }
    expect(tableRow("LISTEN", "RCV_SYN").cases[0]!.outcome).toMatchObject({ next: "SYN_RCVD", send: ["SYN+ACK"] });
  });
});
