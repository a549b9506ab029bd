// Replaying real loopback captures through the transition table: both endpoints' states,
// anomalies, and the Trace the ladder renderers draw.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readPcap } from "../src/parse/pcap/index.js";
import { replayCapture, replayedStates, type ReplayedConnection } from "../src/replay/index.js";
import { renderAsciiLadder } from "../src/render/ascii-ladder.js";
import { renderSvgLadder } from "../src/render/svg-ladder.js";

function replay(name: string, relative = false): ReplayedConnection {
  const bytes = new Uint8Array(readFileSync(new URL(`./fixtures/pcap/${name}`, import.meta.url)));
  const result = replayCapture(readPcap(bytes, { source: name }), { relative });
  expect(result.connections.length).toBe(1);
  return result.connections[0] as ReplayedConnection;
}

/** The states an endpoint passes through from the moment it first leaves ESTABLISHED. */
const closing = (c: ReplayedConnection, who: "client" | "server"): string[] => {
  const seq = replayedStates(c, who);
  return seq.slice(seq.lastIndexOf("ESTABLISHED") + 1);
};

describe.each(["four-way-close-v4.pcap", "four-way-close-v6-nano.pcap"])("%s", (name) => {
  const c = replay(name);

  it("infers the four-way close on both sides", () => {
    expect(replayedStates(c, "client")).toEqual(["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"]);
    expect(replayedStates(c, "server")).toEqual(["LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"]);
    expect(closing(c, "client")).toEqual(["FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"]);
    expect(closing(c, "server")).toEqual(["CLOSE_WAIT", "LAST_ACK", "CLOSED"]);
    expect(c.final).toEqual({ client: "TIME_WAIT", server: "CLOSED" });
    expect(c.handshakeCaptured).toBe(true);
    expect(c.anomalies).toEqual([]);
  });

  it("names the event behind every change, from the table", () => {
    const changes = c.segments.flatMap((s) => s.steps.filter((st) => st.from !== st.to).map((st) => `${s.index}:${st.endpoint}:${st.event}:${st.to}`));
    expect(changes).toEqual([
      "0:client:ACTIVE_OPEN:SYN_SENT", "0:server:RCV_SYN:SYN_RCVD",
      "1:client:RCV_SYN_ACK:ESTABLISHED",
      "2:server:RCV_ACK:ESTABLISHED",
      "5:client:CLOSE:FIN_WAIT_1", "5:server:RCV_FIN:CLOSE_WAIT",
      "6:client:RCV_ACK_OF_FIN:FIN_WAIT_2",
      "9:server:CLOSE:LAST_ACK", "9:client:RCV_FIN:TIME_WAIT", // our FIN was already acknowledged: a plain FIN
      "10:server:RCV_ACK_OF_FIN:CLOSED",
    ]);
    // Data arriving in FIN_WAIT_2 (the half-closed direction) is accepted, not a change.
    expect(c.segments[7]?.steps).toMatchObject([{ endpoint: "client", event: "RCV_DATA", outcome: "transition", from: "FIN_WAIT_2", to: "FIN_WAIT_2" }]);
  });

  it("produces a Trace in the simulator's shape", () => {
    const t = c.trace;
    expect(t.profile).toBe("linux");
    expect(t.initial).toEqual({ client: "CLOSED", server: "LISTEN" });
    expect(t.final).toEqual(c.final);
    const segs = t.events.filter((e) => e.type === "segment");
    expect(segs.length).toBe(11);
    expect(segs.every((s) => s.type === "segment" && !s.dropped && s.arrives === s.t && !s.retransmission)).toBe(true);
    expect(segs.map((s) => (s.type === "segment" ? s.flags.join("+") : ""))).toEqual([
      "SYN", "SYN+ACK", "ACK", "PSH+ACK", "ACK", "FIN+ACK", "ACK", "PSH+ACK", "ACK", "FIN+ACK", "ACK",
    ]);
    const states = t.events.filter((e) => e.type === "state");
    expect(states.map((s) => (s.type === "state" ? `${s.endpoint}:${s.from}>${s.to}:${s.cause}:${s.ref}` : ""))).toContain(
      "client:FIN_WAIT_2>TIME_WAIT:RCV_FIN:§3.10.7.4 eighth",
    );
    // Time order; the sender's change comes before its segment, the receiver's after.
    const times = t.events.map((e) => e.t);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(t.events[0]).toMatchObject({ type: "state", endpoint: "client", to: "SYN_SENT", t: 0 });
    expect(t.events[1]).toMatchObject({ type: "segment", flags: ["SYN"] });
    expect(t.events[2]).toMatchObject({ type: "state", endpoint: "server", to: "SYN_RCVD" });
  });
});

describe("relative sequence numbers (as tcpdump prints them)", () => {
  it("counts each direction from its ISN", () => {
    const c = replay("four-way-close-v4.pcap", true);
    expect(c.segments.map((s) => `${s.from[0]} ${s.flags.join("+")} ${s.seq} ${s.ack} ${s.len}`)).toEqual([
      "c SYN 0 0 0", "s SYN+ACK 0 1 0", "c ACK 1 1 0", "c PSH+ACK 1 1 5", "s ACK 1 6 0", "c FIN+ACK 6 1 0",
      "s ACK 1 7 0", "s PSH+ACK 1 7 3", "c ACK 7 4 0", "s FIN+ACK 4 7 0", "c ACK 7 5 0",
    ]);
    expect(c.base).toEqual({ client: 1942753787, server: 3355287464 });
    const absolute = replay("four-way-close-v4.pcap");
    expect(absolute.base).toEqual({ client: 0, server: 0 });
    expect(absolute.segments[5]).toMatchObject({ seq: 1942753793, ack: 3355287465 });
  });
});

describe.each(["three-way-close-v4.pcap", "three-way-close-v6-nano.pcap"])("%s", (name) => {
  it("infers the three-segment close: the client skips FIN_WAIT_2", () => {
    const c = replay(name);
    expect(closing(c, "client")).toEqual(["FIN_WAIT_1", "TIME_WAIT"]);
    expect(closing(c, "server")).toEqual(["CLOSE_WAIT", "LAST_ACK", "CLOSED"]);
    const fin = c.segments[6];
    expect(fin?.flags).toEqual(["FIN", "ACK"]);
    expect(fin?.steps.map((s) => `${s.endpoint}:${s.event}:${s.from}>${s.to}`)).toEqual([
      "server:CLOSE:CLOSE_WAIT>LAST_ACK", "client:RCV_FIN_ACK_OF_FIN:FIN_WAIT_1>TIME_WAIT",
    ]);
    expect(c.anomalies).toEqual([]);
  });
});

describe("aborts", () => {
  it("rst-v4.pcap: the server's RST is an ABORT; both sides end CLOSED", () => {
    const c = replay("rst-v4.pcap");
    expect(replayedStates(c, "client")).toEqual(["CLOSED", "SYN_SENT", "ESTABLISHED", "CLOSED"]);
    expect(replayedStates(c, "server")).toEqual(["LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSED"]);
    expect(c.segments[5]?.steps.map((s) => `${s.endpoint}:${s.event}`)).toEqual(["server:ABORT", "client:RCV_RST"]);
    expect(c.anomalies).toEqual([{ kind: "rst", endpoint: "server", segment: 5, frame: 6,
      message: "server sent a RST in ESTABLISHED: the connection is aborted, not closed" }]);
  });

  it("refused-v4.pcap: nothing listened, so the server side was CLOSED all along", () => {
    const c = replay("refused-v4.pcap");
    expect(c.initial).toEqual({ client: "CLOSED", server: "CLOSED" });
    expect(replayedStates(c, "client")).toEqual(["CLOSED", "SYN_SENT", "CLOSED"]);
    expect(replayedStates(c, "server")).toEqual(["CLOSED"]);
    expect(c.anomalies.map((a) => a.kind)).toEqual(["connection-refused"]);
  });
});

describe("the ladder renderers draw a capture like a simulation", () => {
  it("ASCII", () => {
    const c = replay("three-way-close-v4.pcap", true);
    const ladder = renderAsciiLadder(c.trace, { time: false, width: 72 });
    const lines = ladder.split("\n");
    expect(lines[1]).toMatch(/^\s+CLOSED \|\s+\| LISTEN$/);
    expect(ladder).toContain("FIN, ACK seq=6 ack=1");
    expect(lines.filter((l) => /TIME_WAIT|LAST_ACK|CLOSE_WAIT|FIN_WAIT_1/.test(l)).map((l) => l.replace(/\s+/g, " ").replace(/-+/g, "-").trim())).toEqual([
      "FIN_WAIT_1 | FIN, ACK seq=6 ack=1 |",
      "|->| CLOSE_WAIT",
      "| FIN, ACK seq=1 ack=7 | LAST_ACK",
      "TIME_WAIT |<-|",
    ]);
  });

  it("SVG", () => {
    const svg = renderSvgLadder(replay("four-way-close-v4.pcap").trace);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/data-index="/g)?.length).toBe(11);
    for (const s of ["FIN_WAIT_2", "TIME_WAIT", "LAST_ACK"]) expect(svg).toContain(s);
  });
});
