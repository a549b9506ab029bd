import { describe, expect, it } from "vitest";
import { renderAsciiLadder } from "../src/render/index.js";
import type { Trace } from "../src/sim/trace.js";
import { FOUR_WAY, LOST_FINAL_ACK, SIMULTANEOUS, seg, st } from "./render.fixtures.js";

// The expected ladders were written out and checked by eye against the lesson's chapter 1
// diagram: FIN seq=u, ACK ack=u+1, FIN seq=v ack=u+1, ACK ack=v+1 with u = 1000, v = 5100.
const drop = (s: string): string => s.slice(1);

describe("renderAsciiLadder", () => {
  it("draws the textbook four-way close with each side's states beside it", () => {
    expect(renderAsciiLadder(FOUR_WAY)).toBe(drop(A1));
  });

  it("splits crossing segments of a simultaneous close into departure and arrival", () => {
    // Both FINs cross (RFC 9293 Fig. 13): each side goes FIN_WAIT_1 → CLOSING → TIME_WAIT.
    expect(renderAsciiLadder(SIMULTANEOUS, { time: false, width: 80 })).toBe(drop(A2));
  });

  it("marks a lost segment with X and a retransmission, and keeps float times in one moment", () => {
    expect(renderAsciiLadder(LOST_FINAL_ACK)).toBe(drop(A3));
  });

  it("draws a burst in one direction whole, and wraps marks that do not fit", () => {
    const burst: Trace = {
      name: "burst", profile: "linux", seed: 0,
      initial: { client: "ESTABLISHED", server: "ESTABLISHED" }, final: { client: "ESTABLISHED", server: "ESTABLISHED" },
      events: [
        seg(0, "server", ["ACK"], 4000000000, 3000000000, { len: 1460 }),
        seg(0, "server", ["PSH", "ACK"], 4000001460, 3000000000, { len: 540, retransmission: true }),
      ],
    };
    expect(renderAsciiLadder(burst)).toBe(drop(`
   t (s)       client                                                          server
          ESTABLISHED |                                                      | ESTABLISHED
   0.000              |          ACK seq=4000000000 ack=3000000000 len=1460  |
   0.050              |<-----------------------------------------------------|
   0.000              |      PSH, ACK seq=4000001460 ack=3000000000 len=540  |
                      |                                    (retransmission)  |
   0.050              |<-----------------------------------------------------|
                      v                                                      v
`));
  });

  it("fits the requested width", () => {
    for (const width of [80, 90, 100]) {
      for (const t of [FOUR_WAY, SIMULTANEOUS, LOST_FINAL_ACK]) {
        for (const line of renderAsciiLadder(t, { width }).split("\n")) expect(line.length).toBeLessThanOrEqual(width);
      }
    }
  });

  it("draws a capture-shaped trace: segments only, arrival unknown", () => {
    const capture: Trace = {
      name: "capture.pcap", profile: "linux", seed: 0,
      initial: { client: "ESTABLISHED", server: "ESTABLISHED" }, final: { client: "ESTABLISHED", server: "ESTABLISHED" },
      events: [
        { ...seg(0.000123, "client", ["FIN", "ACK"], 1, 1), arrives: null },
        { ...seg(0.000456, "server", ["FIN", "ACK"], 1, 2), arrives: null },
        { ...seg(0.000789, "client", ["ACK"], 2, 2), arrives: null },
      ],
    };
    const out = renderAsciiLadder(capture, { timeDecimals: 6 });
    expect(out.split("\n").filter((l) => l.includes("--->|") || l.includes("|<---"))).toHaveLength(3);
    expect(out).toContain("0.000123");
    expect(out).not.toContain("...");
  });

  it("labels data with len and leaves ack out when ACK is not set", () => {
    const t: Trace = {
      name: "syn", profile: "rfc9293", seed: 0,
      initial: { client: "CLOSED", server: "LISTEN" }, final: { client: "SYN_SENT", server: "SYN_RCVD" },
      events: [st(0, "client", "CLOSED", "SYN_SENT", "ACTIVE_OPEN"), seg(0, "client", ["SYN"], 100, 0),
        st(0.05, "server", "LISTEN", "SYN_RCVD", "RCV_SYN")],
    };
    const lines = renderAsciiLadder(t, { time: false }).split("\n");
    expect(lines[2]).toBe("   SYN_SENT |  SYN seq=100" + " ".repeat(64 - 13) + "|");
    expect(lines[3]).toBe("            |" + "-".repeat(63) + ">| SYN_RCVD");
  });
});

const A1 = `
   t (s)       client                                                          server
          ESTABLISHED |                                                      | ESTABLISHED
   0.000   FIN_WAIT_1 |  FIN, ACK seq=1000 ack=5000                          |
   0.050              |----------------------------------------------------->| CLOSE_WAIT
                      |                               ACK seq=5000 ack=1001  |
   0.100   FIN_WAIT_2 |<-----------------------------------------------------|
   0.200              |                  PSH, ACK seq=5000 ack=1001 len=100  |
   0.250              |<-----------------------------------------------------|
                      |  ACK seq=1001 ack=5100                               |
   0.300              |----------------------------------------------------->|
   0.400              |                          FIN, ACK seq=5100 ack=1001  | LAST_ACK
   0.450    TIME_WAIT |<-----------------------------------------------------|
                      |  ACK seq=1001 ack=5101                               |
   0.500              |----------------------------------------------------->| CLOSED
  60.450       CLOSED |                                                      |
                      v                                                      v
`;

const A2 = `
     client                                                          server
ESTABLISHED |                                                      | ESTABLISHED
 FIN_WAIT_1 |                                                      | FIN_WAIT_1
            |  FIN, ACK seq=1000 ack=5000                          |
            |------------------------...                           |
            |                          FIN, ACK seq=5000 ack=1000  |
            |                           ...------------------------|
            |                           ...----------------------->|
    CLOSING |<-----------------------...                           |
            |                                                      | CLOSING
            |  ACK seq=1001 ack=5001                               |
            |------------------------...                           |
            |                               ACK seq=5001 ack=1001  |
            |                           ...------------------------|
            |                           ...----------------------->|
  TIME_WAIT |<-----------------------...                           |
            |                                                      | TIME_WAIT
     CLOSED |                                                      | CLOSED
            v                                                      v
`;

const A3 = `
   t (s)       client                                                          server
          ESTABLISHED |                                                      | ESTABLISHED
   0.000   FIN_WAIT_1 |  FIN, ACK seq=1000 ack=5000                          |
   0.050              |----------------------------------------------------->| CLOSE_WAIT
                      |                          FIN, ACK seq=5000 ack=1001  | LAST_ACK
   0.100    TIME_WAIT |<-----------------------------------------------------|
                      |  ACK seq=1001 ack=5001 (lost)                        |
                      |--------------------------X                           |
   1.050              |         FIN, ACK seq=5000 ack=1001 (retransmission)  |
   1.100              |<-----------------------------------------------------|
                      |  ACK seq=1001 ack=5001                               |
   1.150              |----------------------------------------------------->| CLOSED
  61.100       CLOSED |                                                      |
                      v                                                      v
`;
