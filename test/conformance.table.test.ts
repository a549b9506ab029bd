/**
 * The table tells the whole truth: for every state (and the endpoint flags that matter),
 * every kind of segment and every sequence position, under both profiles with RFC 5961 on
 * and off, the segment checks (src/fsm/checks.ts) plus the transition table predict the
 * reply and the next state, and the simulator must do exactly that.
 *
 * The prediction reads only the data: judgeSegment() → table events → decide() for each.
 * The simulator is driven as a scripted endpoint (src/sim/scripted.ts).
 */
import { describe, expect, it } from "vitest";
import {
  SEGMENT_CHECKS, STATES, decide, judgeSegment, profileWith, type ProfileName, type SegmentFacts, type TcpState,
} from "../src/fsm/index.js";
import type { ScriptedEndpoint } from "../src/sim/scripted.js";
import { caseSegment, matrixCases, setUp, type MatrixCase } from "../src/conformance/matrix.js";

const add = (a: number, n: number): number => (a + n) >>> 0;
const PEER_FIN_IN: ReadonlySet<TcpState> = new Set(["CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"]);
const OUR_FIN_SENT: ReadonlySet<TcpState> = new Set(["FIN_WAIT_1", "FIN_WAIT_2", "CLOSING", "LAST_ACK", "TIME_WAIT"]);
const OUR_FIN_UNACKED: ReadonlySet<TcpState> = new Set(["FIN_WAIT_1", "CLOSING", "LAST_ACK"]);
type Case = MatrixCase;
const cases = matrixCases;

/** Events after which RCV.NXT and SND.NXT are what they were. */
const NON_CONSUMING: ReadonlySet<string> = new Set([
  "RCV_UNACCEPTABLE", "RCV_RST_IN_WINDOW", "RCV_BAD_ACK", "RCV_NO_ACK", "RCV_SYN", "RCV_SYN_AGAIN", "RCV_ACK",
]);

interface Expected {
  readonly next: TcpState;
  readonly sent: string[];
}

function predict(c: Case, profileName: ProfileName, rfc5961: boolean, seg: { seq: number; ack: number; len: number },
  se: ScriptedEndpoint): Expected {
  const profile = profileWith(profileName, { rfc5961 });
  const st = c.setup.state;
  const syn = c.kind.flags.includes("SYN"), ack = c.kind.flags.includes("ACK"), rst = c.kind.flags.includes("RST");
  const fin = c.kind.flags.includes("FIN");
  const ackField = !ack ? "none" : c.badAck ? "unacceptable" : "acceptable";
  const acksFin = ackField === "acceptable" && OUR_FIN_SENT.has(st);
  const facts: SegmentFacts = {
    syn, ack, fin, rst, data: c.kind.len > 0, seq: c.cls, ackField,
    acksFin, newlyAcksFin: acksFin && OUR_FIN_UNACKED.has(st),
    atPeerFin: PEER_FIN_IN.has(st) && c.pos === "before (old)" && c.kind.len === 0 && !syn && !fin,
    irs: false,
  };
  const j = judgeSegment(st, facts, profile, c.setup.flags);
  let state = st;
  const sent: string[] = [];
  const rcvNxt = se.ep.rcvNxt, sndNxt = se.ep.sndNxt;
  for (const e of j.events) {
    const o = decide(state, e, profile, c.setup.flags).outcome;
    if (o.kind !== "transition") continue;
    for (const k of o.send) {
      if (k === "ACK") {
        // Exact numbers (<SEQ=SND.NXT><ACK=RCV.NXT>) where the segment moves neither.
        const keeps = NON_CONSUMING.has(e) && (e !== "RCV_SYN" || o.next === state);
        sent.push(keeps ? `ACK ${sndNxt}/${rcvNxt}` : "ACK");
      } else if (k === "RST") {
        sent.push(ack ? `RST ${seg.ack}/0` : `RST,ACK 0/${add(seg.seq, seg.len + (syn ? 1 : 0) + (fin ? 1 : 0))}`);
      } else sent.push(k === "SYN+ACK" ? "SYN,ACK" : k);
    }
    state = o.next;
    if (state === "CLOSED") break;
  }
  return { next: state, sent };
}

function run(c: Case, profile: ProfileName, rfc5961: boolean): { expected: Expected; actual: Expected } {
  const se = setUp(c, profile, rfc5961);
  expect(se.state, `${c.setup.label}: setup`).toBe(c.setup.state);
  const seg = caseSegment(c, se);
  const expected = predict(c, profile, rfc5961, seg, se);
  se.inject(seg);
  const exactAck = (s: { flags: readonly string[]; seq: number; ack: number }): boolean =>
    expected.sent.some((e) => e === `ACK ${s.seq}/${s.ack}`);
  const sent = se.takeSent().map((s) => {
    const f = s.flags.join(",");
    if (f === "ACK") return exactAck(s) ? `ACK ${s.seq}/${s.ack}` : "ACK";
    if (f === "RST") return `RST ${s.seq}/0`;
    if (f === "RST,ACK") return `RST,ACK ${s.seq}/${s.ack}`;
    return f;
  });
  return { expected, actual: { next: se.state, sent } };
}

describe("the table predicts the simulator for every (state, segment, position)", () => {
  it("has a catch-all check for every state, so every segment is judged", () => {
    for (const s of STATES) {
      expect(SEGMENT_CHECKS.some((r) => r.states.includes(s) && r.profile === undefined && Object.keys(r.match).length === 0), s)
        .toBe(true);
    }
  });

  const all = cases();
  for (const profile of ["linux", "rfc9293"] as const) {
    for (const rfc5961 of [true, false]) {
      it(`${profile}${rfc5961 ? "" : " without RFC 5961"}: ${all.length} combinations`, () => {
        const mismatches: string[] = [];
        for (const c of all) {
          const { expected, actual } = run(c, profile, rfc5961);
          if (expected.next !== actual.next || expected.sent.join(" | ") !== actual.sent.join(" | ")) {
            mismatches.push(`${c.setup.label} × ${c.kind.name}${c.badAck ? " (bad ACK)" : ""} @ ${c.pos}: ` +
              `table ${expected.next} [${expected.sent.join(" | ")}], simulator ${actual.next} [${actual.sent.join(" | ")}]`);
          }
        }
        expect(mismatches).toEqual([]);
      });
    }
  }

  it("covers the cells the issue names, with the exact replies", () => {
    const one = (label: string, kind: string, pos: string, profile: ProfileName, badAck = false) => {
      const c = all.find((x) => x.setup.label === label && x.kind.name === kind && x.pos === pos && x.badAck === badAck)!;
      return run(c, profile, true).actual;
    };
    // §3.10.7.4 first: an unacceptable segment draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
    expect(one("ESTABLISHED", "data+ACK", "beyond", "rfc9293").sent).toEqual([expect.stringMatching(/^ACK \d+\/\d+$/)]);
    // LISTEN: a bare FIN is dropped (§3.10.7.2 fourth).
    expect(one("LISTEN", "FIN", "left edge (RCV.NXT)", "rfc9293")).toEqual({ next: "LISTEN", sent: [] });
    // SYN_SENT: a RST without an acceptable ACK is dropped; an acceptable ACK alone is dropped.
    expect(one("SYN_SENT", "RST", "left edge (RCV.NXT)", "linux")).toEqual({ next: "SYN_SENT", sent: [] });
    expect(one("SYN_SENT", "RST+ACK", "left edge (RCV.NXT)", "linux", true)).toEqual({ next: "SYN_SENT", sent: [] });
    expect(one("SYN_SENT", "ACK", "left edge (RCV.NXT)", "rfc9293")).toEqual({ next: "SYN_SENT", sent: [] });
    expect(one("SYN_SENT", "RST+ACK", "left edge (RCV.NXT)", "rfc9293").next).toBe("CLOSED");
    // RFC 5961: exact RST resets, in-window RST draws a challenge ACK, outside is dropped.
    expect(one("ESTABLISHED", "RST", "left edge (RCV.NXT)", "linux")).toEqual({ next: "CLOSED", sent: [] });
    expect(one("ESTABLISHED", "RST", "inside", "linux").sent).toEqual([expect.stringMatching(/^ACK /)]);
    expect(one("ESTABLISHED", "RST", "beyond", "rfc9293")).toEqual({ next: "ESTABLISHED", sent: [] });
    // TIME_WAIT: a bare ACK at RCV.NXT restarts 2MSL and is not answered (no ACK war);
    // a segment outside the window is acknowledged.
    expect(one("TIME_WAIT (passive opener)", "ACK", "left edge (RCV.NXT)", "rfc9293").sent).toEqual([]);
    expect(one("TIME_WAIT (passive opener)", "ACK", "left edge (RCV.NXT)", "linux").sent).toEqual([]);
    expect(one("TIME_WAIT (passive opener)", "FIN+ACK", "before (old)", "rfc9293").sent).toEqual([expect.stringMatching(/^ACK /)]);
    // Linux reopens a TIME_WAIT 4-tuple on a newer SYN when a listener owns it.
    expect(one("TIME_WAIT (passive opener)", "SYN", "inside", "linux")).toEqual({ next: "SYN_RCVD", sent: ["SYN,ACK"] });
    expect(one("TIME_WAIT (active opener)", "SYN", "inside", "linux").next).toBe("TIME_WAIT");
  });
});
