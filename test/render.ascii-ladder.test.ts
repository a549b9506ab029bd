import { describe, expect, it } from "vitest";
import { renderAsciiLadder } from "../src/render/index.js";
import { ladderItems } from "../src/render/ladder-events.js";
import { PRESET_NAMES, simulate, validateScenario } from "../src/sim/index.js";
import type { ProfileName } from "../src/fsm/profiles.js";
import type { Trace } from "../src/sim/trace.js";
import { FOUR_WAY, LOST_FINAL_ACK, SIMULTANEOUS, seg, st } from "./render.fixtures.js";

// The expected ladders were written out and checked by eye against the lesson's chapter 1
// diagram: FIN seq=u, ACK ack=u+1, FIN seq=v ack=u+1, ACK ack=v+1 with u = 1000, v = 5100.
const drop = (s: string): string => s.slice(1);

describe("renderAsciiLadder", () => {
  it("draws the textbook four-way close with each side's states beside it", () => {
    // No SYN in the trace and no recorded ISN: each side's first seq is its base (tcpdump's rule).
    expect(renderAsciiLadder(FOUR_WAY)).toBe(drop(A1));
  });

  it("absolute: true prints the trace's own numbers; key: false leaves the key out", () => {
    expect(renderAsciiLadder(FOUR_WAY, { absolute: true, key: false })).toBe(drop(A1_ABSOLUTE));
  });

  it("splits crossing segments of a simultaneous close into departure and arrival", () => {
    // Both FINs cross (RFC 9293 Fig. 13): each side goes FIN_WAIT_1 → CLOSING → TIME_WAIT.
    expect(renderAsciiLadder(SIMULTANEOUS, { time: false, width: 80 })).toBe(drop(A2));
  });

  it("marks a lost segment with X and a retransmission, and keeps float times in one moment", () => {
    expect(renderAsciiLadder(LOST_FINAL_ACK)).toBe(drop(A3));
  });

  it("splits a burst in one direction (time never runs back), and wraps what does not fit", () => {
    const burst: Trace = {
      name: "burst", profile: "linux", seed: 0,
      initial: { client: "ESTABLISHED", server: "ESTABLISHED" }, final: { client: "ESTABLISHED", server: "ESTABLISHED" },
      events: [
        seg(0, "server", ["ACK"], 4000000000, 3000000000, { len: 1460 }),
        seg(0, "server", ["PSH", "ACK"], 4000001460, 3000000000, { len: 540, retransmission: true }),
      ],
    };
    expect(renderAsciiLadder(burst)).toBe(drop(`
   t (s)       client                                                server
          ESTABLISHED |                                            | ESTABLISHED
   0.000              |      #1 ACK seq=0 ack=3000000000 len=1460  |
                      |                  ... #1 -------------------|
                      |       #2 PSH, ACK seq=1460 ack=3000000000  |
                      |                  len=540 (retransmission)  |
                      |                  ... #2 -------------------|
   0.050              |<---------------... #1                      |
                      |<---------------... #2                      |
                      v                                            v
key: label row = sent, arrow row = arrived; #n = segment n in flight; X = lost
seq/ack: relative to each side's initial sequence number (ISN)
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
    // The SYN carries the ISN: relative to it, the SYN is seq=0 (RFC 9293 §3.4.1).
    const lines = renderAsciiLadder(t, { time: false }).split("\n");
    expect(lines[2]).toBe("   SYN_SENT |  SYN seq=0" + " ".repeat(54 - 11) + "|");
    expect(lines[3]).toBe("            |" + "-".repeat(53) + ">| SYN_RCVD");
    expect(renderAsciiLadder(t, { time: false, absolute: true }).split("\n")[2]).toBe("   SYN_SENT |  SYN seq=100" + " ".repeat(54 - 13) + "|");
  });
});

// The real presets, as chapters 00 and 01 print them. Several segments arrive at one instant
// here (the server's ACK of the FIN and its data, or its ACK and its FIN): each state change
// must sit beside the arrow of the segment that caused it, as the trace's causeSegment says.
describe("renderAsciiLadder on simulated traces", () => {
  const lines = (t: Trace): string[] => renderAsciiLadder(t).split("\n");
  const row = (ls: readonly string[], text: string): number => {
    const i = ls.findIndex((l) => l.includes(text));
    expect(i, `no line contains ${JSON.stringify(text)}`).toBeGreaterThanOrEqual(0);
    return i;
  };

  it("four-way-close (linux): FIN_WAIT_2 beside the ACK of the FIN, not beside the data", () => {
    expect(renderAsciiLadder(simulate("four-way-close", { profile: "linux" }))).toBe(drop(FOUR_WAY_LINUX));
  });

  it("four-way-close (rfc9293): the same rows, the 200 ms delayed ACK and the 240 s 2MSL differ", () => {
    const ls = lines(simulate("four-way-close", { profile: "rfc9293" }));
    const ackLabel = row(ls, "ACK seq=1 ack=2  |");
    expect(ls[ackLabel]).toMatch(/^ {3}0\.250 +\| +ACK seq=1 ack=2 {2}\|$/);
    expect(ls[ackLabel + 1]).toBe("   0.300   FIN_WAIT_2 |<" + "-".repeat(43) + "|");
    expect(ls[ackLabel + 2]).toContain("PSH, ACK seq=1 ack=2 len=100");
    const finLabel = row(ls, "FIN, ACK seq=101 ack=2");
    expect(ls[finLabel]).toMatch(/\| LAST_ACK$/);
    expect(ls[finLabel + 1]).toBe("   0.800    TIME_WAIT |<" + "-".repeat(43) + "|");
    expect(ls.filter((l) => l.includes("FIN_WAIT_2"))).toHaveLength(1);
    expect(ls[row(ls, "CLOSED |")]).toMatch(/^ 240\.800 +CLOSED \|/);
  });

  it("three-way-close: FIN_WAIT_1 straight to TIME_WAIT beside the merged FIN+ACK", () => {
    expect(renderAsciiLadder(simulate("three-way-close"))).toBe(drop(THREE_WAY));
  });

  it("a server that closes on EOF without delayed ACK: ACK and FIN cross nothing but each other's flight", () => {
    const v = validateScenario({
      name: "close-on-eof", start: "established",
      steps: { client: [{ at: 0, do: "close" }], server: [{ on: "eof", do: "close" }] },
    });
    if (!v.ok) throw new Error(v.errors.join("; "));
    for (const profile of ["linux", "rfc9293"] as const) {
      const ls = lines(simulate(v.scenario, { profile }));
      const ackLabel = row(ls, "#2 ACK seq=1 ack=2  |");
      // LAST_ACK sits beside the FIN the close() sent, not beside the ACK before it.
      expect(ls[ackLabel], profile).toMatch(/\|$/);
      expect(ls[ackLabel + 1], profile).toBe("                      |" + " ".repeat(18) + "... #2 " + "-".repeat(19) + "|");
      expect(ls[ackLabel + 2], profile).toMatch(/^ +\| +#3 FIN, ACK seq=1 ack=2 {2}\| LAST_ACK$/);
      expect(ls[ackLabel + 4], profile).toBe("   0.100   FIN_WAIT_2 |<" + "-".repeat(15) + "... #2" + " ".repeat(22) + "|");
      expect(ls[ackLabel + 5], profile).toBe("            TIME_WAIT |<" + "-".repeat(15) + "... #3" + " ".repeat(22) + "|");
      expect(ls[ackLabel + 6], profile).toContain("ACK seq=2 ack=2");
    }
  });

  it("every preset, both profiles: a state change an arrival caused comes right after that arrival", () => {
    for (const name of PRESET_NAMES) {
      for (const profile of ["linux", "rfc9293"] as ProfileName[]) {
        const items = ladderItems(simulate(name, { profile }));
        items.forEach((it, i) => {
          if (it.kind !== "state" || it.change.causeSegment === undefined) return;
          const k = it.change.causeSegment;
          let j = i - 1;
          while (j >= 0 && items[j]!.kind === "state" && (items[j] as { change: { causeSegment?: number } }).change.causeSegment === k) j--;
          const before = items[j];
          expect(before?.kind === "arrive" && before.index === k, `${name}/${profile}: ${it.change.endpoint} ${it.change.to} after item ${j}`).toBe(true);
        });
      }
    }
  });
});

const FOUR_WAY_LINUX = `
   t (s)       client                                                server
          ESTABLISHED |                                            | ESTABLISHED
   0.000   FIN_WAIT_1 |  FIN, ACK seq=1 ack=1                      |
   0.050              |------------------------------------------->| CLOSE_WAIT
   0.090              |                           ACK seq=1 ack=2  |
   0.140   FIN_WAIT_2 |<-------------------------------------------|
   0.350              |              PSH, ACK seq=1 ack=2 len=100  |
   0.400              |<-------------------------------------------|
   0.440              |  ACK seq=2 ack=101                         |
   0.490              |------------------------------------------->|
   0.750              |                    FIN, ACK seq=101 ack=2  | LAST_ACK
   0.800    TIME_WAIT |<-------------------------------------------|
                      |  ACK seq=2 ack=102                         |
   0.850              |------------------------------------------->| CLOSED
  60.800       CLOSED |                                            |
                      v                                            v
key: label row = sent, arrow row = arrived; #n = segment n in flight; X = lost
seq/ack: relative to each side's initial sequence number (ISN)
`;

const THREE_WAY = `
   t (s)       client                                                server
          ESTABLISHED |                                            | ESTABLISHED
   0.000   FIN_WAIT_1 |  FIN, ACK seq=1 ack=1                      |
   0.050              |------------------------------------------->| CLOSE_WAIT
                      |                      FIN, ACK seq=1 ack=2  | LAST_ACK
   0.100    TIME_WAIT |<-------------------------------------------|
                      |  ACK seq=2 ack=2                           |
   0.150              |------------------------------------------->| CLOSED
 240.100       CLOSED |                                            |
                      v                                            v
key: label row = sent, arrow row = arrived; #n = segment n in flight; X = lost
seq/ack: relative to each side's initial sequence number (ISN)
`;

const A1 = `
   t (s)       client                                                server
          ESTABLISHED |                                            | ESTABLISHED
   0.000   FIN_WAIT_1 |  FIN, ACK seq=0 ack=0                      |
   0.050              |------------------------------------------->| CLOSE_WAIT
                      |                           ACK seq=0 ack=1  |
   0.100   FIN_WAIT_2 |<-------------------------------------------|
   0.200              |              PSH, ACK seq=0 ack=1 len=100  |
   0.250              |<-------------------------------------------|
                      |  ACK seq=1 ack=100                         |
   0.300              |------------------------------------------->|
   0.400              |                    FIN, ACK seq=100 ack=1  | LAST_ACK
   0.450    TIME_WAIT |<-------------------------------------------|
                      |  ACK seq=1 ack=101                         |
   0.500              |------------------------------------------->| CLOSED
  60.450       CLOSED |                                            |
                      v                                            v
key: label row = sent, arrow row = arrived; #n = segment n in flight; X = lost
seq/ack: relative to each side's initial sequence number (ISN)
`;

const A1_ABSOLUTE = `
   t (s)       client                                                server
          ESTABLISHED |                                            | ESTABLISHED
   0.000   FIN_WAIT_1 |  FIN, ACK seq=1000 ack=5000                |
   0.050              |------------------------------------------->| CLOSE_WAIT
                      |                     ACK seq=5000 ack=1001  |
   0.100   FIN_WAIT_2 |<-------------------------------------------|
   0.200              |        PSH, ACK seq=5000 ack=1001 len=100  |
   0.250              |<-------------------------------------------|
                      |  ACK seq=1001 ack=5100                     |
   0.300              |------------------------------------------->|
   0.400              |                FIN, ACK seq=5100 ack=1001  | LAST_ACK
   0.450    TIME_WAIT |<-------------------------------------------|
                      |  ACK seq=1001 ack=5101                     |
   0.500              |------------------------------------------->| CLOSED
  60.450       CLOSED |                                            |
                      v                                            v
`;

const A2 = `
     client                                                          server
ESTABLISHED |                                                      | ESTABLISHED
 FIN_WAIT_1 |  #1 FIN, ACK seq=0 ack=0                             |
            |------------------------ #1 ...                       |
            |                             #2 FIN, ACK seq=0 ack=0  | FIN_WAIT_1
            |                       ... #2 ------------------------|
            |                           #1 ...-------------------->|
    CLOSING |<--------------------... #2                           |
            |  #3 ACK seq=1 ack=1                                  |
            |------------------------ #3 ...                       |
            |                                  #4 ACK seq=1 ack=1  | CLOSING
            |                       ... #4 ------------------------|
            |                           #3 ...-------------------->|
  TIME_WAIT |<--------------------... #4                           |
            |                                                      | TIME_WAIT
     CLOSED |                                                      | CLOSED
            v                                                      v
key: label row = sent, arrow row = arrived; #n = segment n in flight; X = lost
seq/ack: relative to each side's initial sequence number (ISN)
`;

const A3 = `
   t (s)       client                                                server
          ESTABLISHED |                                            | ESTABLISHED
   0.000   FIN_WAIT_1 |  FIN, ACK seq=0 ack=0                      |
   0.050              |------------------------------------------->| CLOSE_WAIT
                      |                      FIN, ACK seq=0 ack=1  | LAST_ACK
   0.100    TIME_WAIT |<-------------------------------------------|
                      |  ACK seq=1 ack=1 (lost)                    |
                      |---------------------X                      |
   1.050              |     FIN, ACK seq=0 ack=1 (retransmission)  |
   1.100              |<-------------------------------------------|
                      |  ACK seq=1 ack=1                           |
   1.150              |------------------------------------------->| CLOSED
  61.100       CLOSED |                                            |
                      v                                            v
key: label row = sent, arrow row = arrived; #n = segment n in flight; X = lost
seq/ack: relative to each side's initial sequence number (ISN)
`;
