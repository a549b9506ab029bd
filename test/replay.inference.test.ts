// Replay inference on hand-written segment lists: the cases real loopback captures rarely
// show (lost ACKs, retransmitted FINs, captures that start late or end early, port reuse).
import { describe, expect, it } from "vitest";
import type { PcapSegment } from "../src/parse/pcap/index.js";
import { replaySegments, replayedStates, groupConnections } from "../src/replay/index.js";

const C = { address: "127.0.0.1", port: 40000 };
const S = { address: "127.0.0.1", port: 8080 };
let frame = 0;
function seg(dir: "c>s" | "s>c", flags: string, seq: number, ack: number, len = 0, ports?: [number, number]): PcapSegment {
  frame++;
  const [src, dst] = dir === "c>s" ? [C, S] : [S, C];
  const f = flags.split("+").filter(Boolean) as PcapSegment["flags"][number][];
  return {
    frame, offset: frame * 100, t: 1000 + frame / 100, interface: 0, ipVersion: 4,
    src: ports ? { ...src, port: dir === "c>s" ? ports[0] : ports[1] } : src,
    dst: ports ? { ...dst, port: dir === "c>s" ? ports[1] : ports[0] } : dst,
    flags: (["SYN", "FIN", "RST", "PSH", "ACK"] as const).filter((x) => f.includes(x)),
    flagBits: 0, seq, ack, len, window: 100, urgent: 0, options: {}, sliced: false,
  };
}
const handshake = (): PcapSegment[] => [seg("c>s", "SYN", 100, 0), seg("s>c", "SYN+ACK", 500, 101), seg("c>s", "ACK", 101, 501)];

describe("anomalies", () => {
  it("a lost ACK: the client's FIN is sent again, the server ACKs it again", () => {
    const [c] = replaySegments([
      ...handshake(),
      seg("c>s", "FIN+ACK", 101, 501),
      seg("c>s", "FIN+ACK", 101, 501), // the first ACK of it was lost before the capture point
      seg("s>c", "ACK", 501, 102),
      seg("s>c", "FIN+ACK", 501, 102),
      seg("c>s", "ACK", 102, 502),
    ]);
    expect(c?.anomalies.map((a) => [a.kind, a.endpoint, a.segment])).toEqual([["retransmitted-fin", "client", 4]]);
    expect(c?.segments[4]?.retransmission).toBe(true);
    expect(c?.trace.events.filter((e) => e.type === "segment" && e.retransmission).length).toBe(1);
    // The server, already in CLOSE_WAIT, takes the repeated FIN as "ACK it again".
    expect(c?.segments[4]?.steps).toMatchObject([{ endpoint: "server", event: "RCV_FIN", from: "CLOSE_WAIT", to: "CLOSE_WAIT" }]);
    expect(replayedStates(c!, "client").slice(3)).toEqual(["FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"]);
    expect(replayedStates(c!, "server").slice(3)).toEqual(["CLOSE_WAIT", "LAST_ACK", "CLOSED"]);
  });

  it("a missing final ACK: the server's FIN is never acknowledged, it stays in LAST_ACK", () => {
    const [c] = replaySegments([
      ...handshake(),
      seg("c>s", "FIN+ACK", 101, 501),
      seg("s>c", "FIN+ACK", 501, 102),
    ]);
    expect(c?.final).toEqual({ client: "TIME_WAIT", server: "LAST_ACK" });
    expect(c?.anomalies).toEqual([{ kind: "unacknowledged-fin", endpoint: "server", frame: c?.segments[4]?.frame,
      message: `no segment acknowledges the server's FIN (frame ${c?.segments[4]?.frame}): the final ACK is missing from the capture` }]);
  });

  it("a capture that starts after the handshake assumes ESTABLISHED and says so", () => {
    const [c] = replaySegments([seg("s>c", "PSH+ACK", 900, 300, 10), seg("c>s", "FIN+ACK", 300, 910), seg("s>c", "ACK", 910, 301)]);
    // No SYN: the first sender is taken as the client.
    expect(c?.client).toEqual(S);
    expect(c?.initial).toEqual({ client: "ESTABLISHED", server: "ESTABLISHED" });
    expect(c?.handshakeCaptured).toBe(false);
    expect(c?.anomalies.map((a) => a.kind)).toEqual(["handshake-not-captured"]);
    // The replay's server is then port 40000, which closes first: FIN_WAIT_1 → FIN_WAIT_2.
    expect(replayedStates(c!, "server")).toEqual(["ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2"]);
    expect(replayedStates(c!, "client")).toEqual(["ESTABLISHED", "CLOSE_WAIT"]);
  });

  it("a capture that starts at the SYN+ACK: the receiver of the SYN+ACK is the client", () => {
    const [c] = replaySegments([seg("s>c", "SYN+ACK", 500, 101), seg("c>s", "ACK", 101, 501)]);
    expect(c?.client).toEqual(C);
    expect(c?.initial).toEqual({ client: "SYN_SENT", server: "SYN_RCVD" });
    expect(c?.final).toEqual({ client: "ESTABLISHED", server: "ESTABLISHED" });
  });

  it("data after close() draws a RST: the RST is the kernel refusing it (orphaned socket)", () => {
    const [c] = replaySegments([
      ...handshake(),
      seg("c>s", "FIN+ACK", 101, 501),
      seg("s>c", "ACK", 501, 102),
      seg("s>c", "PSH+ACK", 501, 102, 20),
      seg("c>s", "RST", 102, 0),
    ]);
    expect(c?.segments[6]?.steps.map((s) => `${s.endpoint}:${s.event}:${s.from}>${s.to}`)).toEqual([
      "client:RCV_DATA:FIN_WAIT_2>CLOSED", "server:RCV_RST:CLOSE_WAIT>CLOSED",
    ]);
    expect(c?.segments[6]?.steps[0]?.ref).toContain("TCPAbortOnData");
    expect(c?.anomalies.map((a) => a.kind)).toEqual(["rst"]);
  });

  it("a data retransmission is flagged", () => {
    const [c] = replaySegments([...handshake(), seg("c>s", "PSH+ACK", 101, 501, 50), seg("c>s", "PSH+ACK", 101, 501, 50)]);
    expect(c?.segments.map((s) => s.retransmission)).toEqual([false, false, false, false, true]);
    expect(c?.anomalies.map((a) => a.kind)).toEqual(["retransmission"]);
  });

  it("sequence numbers wrap at 2^32", () => {
    const [c] = replaySegments([
      seg("c>s", "SYN", 0xfffffffe, 0), seg("s>c", "SYN+ACK", 7, 0xffffffff), seg("c>s", "ACK", 0xffffffff, 8),
      seg("c>s", "FIN+ACK", 0xffffffff, 8), seg("s>c", "ACK", 8, 0), seg("s>c", "FIN+ACK", 8, 0), seg("c>s", "ACK", 0, 9),
    ]);
    expect(c?.final).toEqual({ client: "TIME_WAIT", server: "CLOSED" });
    expect(c?.anomalies).toEqual([]);
  });
});

describe("grouping", () => {
  it("separates connections by 4-tuple and orders them by first segment", () => {
    const a = seg("c>s", "SYN", 1, 0, 0, [40001, 8080]);
    const b = seg("c>s", "SYN", 1, 0, 0, [40002, 8080]);
    const a2 = seg("s>c", "SYN+ACK", 9, 2, 0, [40001, 8080]);
    const groups = groupConnections([a, b, a2]);
    expect(groups.map((g) => [g.client.port, g.segments.length])).toEqual([[40001, 2], [40002, 1]]);
  });

  it("a new SYN on a closed 4-tuple starts a new connection (port reuse)", () => {
    const first = [...handshake(), seg("c>s", "RST", 101, 0)];
    const second = [seg("c>s", "SYN", 7000, 0), seg("s>c", "SYN+ACK", 9000, 7001), seg("c>s", "ACK", 7001, 9001)];
    const conns = replaySegments([...first, ...second]);
    expect(conns.map((c) => [c.id, c.segments.length, c.final.client])).toEqual([[1, 4, "CLOSED"], [2, 3, "ESTABLISHED"]]);
  });
});

describe("simultaneous close (RFC 9293 §3.6 Fig. 13)", () => {
  it("FINs that cross: both sides go FIN_WAIT_1 → CLOSING → TIME_WAIT", () => {
    const [c] = replaySegments([
      ...handshake(),
      seg("c>s", "FIN+ACK", 101, 501),
      seg("s>c", "FIN+ACK", 501, 101), // does not acknowledge the client's FIN: it was sent before that arrived
      seg("s>c", "ACK", 502, 102),
      seg("c>s", "ACK", 102, 502),
    ]);
    expect(replayedStates(c!, "client").slice(2)).toEqual(["ESTABLISHED", "FIN_WAIT_1", "CLOSING", "TIME_WAIT"]);
    expect(replayedStates(c!, "server").slice(2)).toEqual(["ESTABLISHED", "FIN_WAIT_1", "CLOSING", "TIME_WAIT"]);
    expect(c?.segments[4]?.steps.map((s) => `${s.endpoint}:${s.event}:${s.from}>${s.to}:${s.arrivedWith ?? "-"}`)).toEqual([
      "server:CLOSE:ESTABLISHED>FIN_WAIT_1:-", "server:RCV_FIN:FIN_WAIT_1>CLOSING:3", "client:RCV_FIN:FIN_WAIT_1>CLOSING:-",
    ]);
    expect(c?.segments[3]?.states).toEqual({ client: "FIN_WAIT_1", server: "ESTABLISHED" });
    expect(c?.anomalies).toEqual([]);
    const order = c?.trace.events.map((e) => (e.type === "segment" ? `seg ${e.flags.join("+")}` : `${e.endpoint} ${e.to}`));
    expect(order?.slice(7)).toEqual([
      "client FIN_WAIT_1", "seg FIN+ACK", "server FIN_WAIT_1", "seg FIN+ACK", "client CLOSING", "server CLOSING",
      "seg ACK", "client TIME_WAIT", "seg ACK", "server TIME_WAIT",
    ]);
  });
});

it("a segment after the connection closed draws a RST from the side that has no connection any more", () => {
  const [c] = replaySegments([
    ...handshake(),
    seg("c>s", "RST", 101, 0),
    seg("s>c", "PSH+ACK", 501, 101, 5), // the server had not seen the RST yet
    seg("c>s", "RST", 101, 0),
  ]);
  // CLOSED × data → answer with a RST (§3.10.7.1); the RST then reaches a server that is CLOSED too.
  expect(c?.segments[4]?.steps.map((s) => `${s.endpoint}:${s.event}:${s.from}>${s.to}`)).toEqual(["client:RCV_DATA:CLOSED>CLOSED"]);
  expect(c?.segments[5]?.steps.map((s) => `${s.endpoint}:${s.event}:${s.outcome}`)).toEqual(["server:RCV_RST:ignored"]);
  expect(c?.anomalies.map((a) => a.message)).toEqual([
    "client sent a RST in ESTABLISHED: the connection is aborted, not closed",
    "client sent a RST in CLOSED: it answers a segment for a connection it does not have",
  ]);
});
