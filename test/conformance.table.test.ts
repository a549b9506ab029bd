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
  SEGMENT_CHECKS, STATES, decide, judgeSegment, profileWith, type EndpointFlags, type ProfileName, type SegmentFacts,
  type SeqPosition, type TcpState,
} from "../src/fsm/index.js";
import { ScriptedEndpoint } from "../src/sim/scripted.js";
import type { Flag } from "../src/sim/trace.js";

const P = 1_000_000; // the peer's ISN
const WND = 65535;

interface Setup {
  readonly label: string;
  readonly state: TcpState;
  readonly role: "client" | "server";
  readonly flags: EndpointFlags;
  /** Calls and injections that bring the endpoint there; `a` = the endpoint's ISS + 1. */
  readonly build: (se: ScriptedEndpoint) => void;
}

const add = (a: number, n: number): number => (a + n) >>> 0;
const inj = (se: ScriptedEndpoint, flags: Flag[], seqRel: number, ackAbs: number, len = 0): void =>
  se.inject({ flags, seq: add(P, seqRel), ack: ackAbs, len });
const a1 = (se: ScriptedEndpoint): number => add(se.iss, 1);

const established = (se: ScriptedEndpoint): void => {
  se.call("listen");
  inj(se, ["SYN"], 0, 0);
  inj(se, ["ACK"], 1, a1(se));
};
const finWait1 = (orphan: boolean) => (se: ScriptedEndpoint): void => {
  established(se);
  se.call(orphan ? "close" : "shutdown");
};
const finWait2 = (orphan: boolean) => (se: ScriptedEndpoint): void => {
  finWait1(orphan)(se);
  inj(se, ["ACK"], 1, add(se.iss, 2));
};
const closeWait = (se: ScriptedEndpoint): void => {
  established(se);
  inj(se, ["FIN", "ACK"], 1, a1(se));
};

const SETUPS: readonly Setup[] = [
  { label: "CLOSED", state: "CLOSED", role: "server", flags: {}, build: () => {} },
  { label: "LISTEN", state: "LISTEN", role: "server", flags: { passiveOpen: true }, build: (se) => se.call("listen") },
  { label: "SYN_SENT", state: "SYN_SENT", role: "client", flags: {}, build: (se) => se.call("connect") },
  { label: "SYN_RCVD (passive)", state: "SYN_RCVD", role: "server", flags: { passiveOpen: true },
    build: (se) => { se.call("listen"); inj(se, ["SYN"], 0, 0); } },
  { label: "SYN_RCVD (simultaneous open)", state: "SYN_RCVD", role: "client", flags: {},
    build: (se) => { se.call("connect"); inj(se, ["SYN"], 0, 0); } },
  { label: "ESTABLISHED", state: "ESTABLISHED", role: "server", flags: { passiveOpen: true }, build: established },
  { label: "FIN_WAIT_1 (closed)", state: "FIN_WAIT_1", role: "server", flags: { passiveOpen: true, orphaned: true }, build: finWait1(true) },
  { label: "FIN_WAIT_1 (shut down)", state: "FIN_WAIT_1", role: "server", flags: { passiveOpen: true }, build: finWait1(false) },
  { label: "FIN_WAIT_2 (closed)", state: "FIN_WAIT_2", role: "server", flags: { passiveOpen: true, orphaned: true }, build: finWait2(true) },
  { label: "FIN_WAIT_2 (shut down)", state: "FIN_WAIT_2", role: "server", flags: { passiveOpen: true }, build: finWait2(false) },
  { label: "CLOSE_WAIT", state: "CLOSE_WAIT", role: "server", flags: { passiveOpen: true }, build: closeWait },
  { label: "CLOSING", state: "CLOSING", role: "server", flags: { passiveOpen: true, orphaned: true },
    build: (se) => { finWait1(true)(se); inj(se, ["FIN", "ACK"], 1, a1(se)); } },
  { label: "LAST_ACK", state: "LAST_ACK", role: "server", flags: { passiveOpen: true, orphaned: true },
    build: (se) => { closeWait(se); se.call("close"); } },
  { label: "TIME_WAIT (passive opener)", state: "TIME_WAIT", role: "server", flags: { passiveOpen: true, orphaned: true },
    build: (se) => { finWait2(true)(se); inj(se, ["FIN", "ACK"], 1, add(se.iss, 2)); } },
  { label: "TIME_WAIT (active opener)", state: "TIME_WAIT", role: "client", flags: { orphaned: true },
    build: (se) => {
      se.call("connect");
      inj(se, ["SYN", "ACK"], 0, a1(se));
      se.call("close");
      inj(se, ["ACK"], 1, add(se.iss, 2));
      inj(se, ["FIN", "ACK"], 1, add(se.iss, 2));
    } },
];

interface Kind {
  readonly name: string;
  readonly flags: Flag[];
  readonly len: number;
}
const KINDS: readonly Kind[] = [
  { name: "SYN", flags: ["SYN"], len: 0 },
  { name: "SYN+ACK", flags: ["SYN", "ACK"], len: 0 },
  { name: "ACK", flags: ["ACK"], len: 0 },
  { name: "FIN+ACK", flags: ["FIN", "ACK"], len: 0 },
  { name: "data+ACK", flags: ["PSH", "ACK"], len: 10 },
  { name: "RST", flags: ["RST"], len: 0 },
  { name: "RST+ACK", flags: ["RST", "ACK"], len: 0 },
  { name: "FIN", flags: ["FIN"], len: 0 },
  { name: "data", flags: ["PSH"], len: 10 },
];

/** Test positions: the five classes, with the window's right edge inside as its own case. */
const POSITIONS: readonly { name: string; cls: SeqPosition }[] = [
  { name: "before (old)", cls: "before" },
  { name: "left edge (RCV.NXT)", cls: "exact" },
  { name: "inside", cls: "inside" },
  { name: "right edge (RCV.NXT+WND-1)", cls: "inside" },
  { name: "just outside (RCV.NXT+WND)", cls: "edge" },
  { name: "beyond", cls: "after" },
];

function seqFor(pos: string, rcvNxt: number, segLen: number): number {
  switch (pos) {
    // Zero-length: RCV.NXT − 1 (after the peer's FIN, that is the FIN's own number);
    // with length: ends one before RCV.NXT.
    case "before (old)": return add(rcvNxt, segLen === 0 ? -1 : -segLen - 1);
    case "left edge (RCV.NXT)": return rcvNxt;
    case "inside": return add(rcvNxt, 1000);
    case "right edge (RCV.NXT+WND-1)": return add(rcvNxt, WND - 1);
    case "just outside (RCV.NXT+WND)": return add(rcvNxt, WND);
    default: return add(rcvNxt, WND + 1000);
  }
}

const NO_WINDOW: ReadonlySet<TcpState> = new Set(["CLOSED", "LISTEN", "SYN_SENT"]);
const PEER_FIN_IN: ReadonlySet<TcpState> = new Set(["CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"]);
const OUR_FIN_SENT: ReadonlySet<TcpState> = new Set(["FIN_WAIT_1", "FIN_WAIT_2", "CLOSING", "LAST_ACK", "TIME_WAIT"]);
const OUR_FIN_UNACKED: ReadonlySet<TcpState> = new Set(["FIN_WAIT_1", "CLOSING", "LAST_ACK"]);

/** Events after which RCV.NXT and SND.NXT are what they were. */
const NON_CONSUMING: ReadonlySet<string> = new Set([
  "RCV_UNACCEPTABLE", "RCV_RST_IN_WINDOW", "RCV_BAD_ACK", "RCV_NO_ACK", "RCV_SYN", "RCV_SYN_AGAIN", "RCV_ACK",
]);

interface Case {
  readonly setup: Setup;
  readonly kind: Kind;
  readonly pos: string;
  readonly cls: SeqPosition;
  readonly badAck: boolean;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const setup of SETUPS) {
    for (const kind of KINDS) {
      const positions = NO_WINDOW.has(setup.state) ? [POSITIONS[1]!] : POSITIONS;
      for (const p of positions) out.push({ setup, kind, pos: p.name, cls: p.cls, badAck: false });
      if (kind.flags.includes("ACK") && setup.state !== "CLOSED" && setup.state !== "LISTEN") {
        out.push({ setup, kind, pos: "left edge (RCV.NXT)", cls: "exact", badAck: true });
      }
    }
  }
  return out;
}

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
  const se = new ScriptedEndpoint({ profile, rfc5961, role: c.setup.role });
  c.setup.build(se);
  expect(se.state, `${c.setup.label}: setup`).toBe(c.setup.state);
  se.takeSent();
  const segLen = c.kind.len + (c.kind.flags.includes("SYN") ? 1 : 0) + (c.kind.flags.includes("FIN") ? 1 : 0);
  const rcvNxt = NO_WINDOW.has(c.setup.state) ? P : se.ep.rcvNxt;
  const seq = seqFor(c.pos, rcvNxt, segLen);
  const ack = c.badAck ? add(se.ep.sndNxt, 1000) : c.kind.flags.includes("ACK") ? se.ep.sndNxt : 0;
  const seg = { seq, ack, len: c.kind.len };
  const expected = predict(c, profile, rfc5961, seg, se);
  se.inject({ flags: c.kind.flags, ...seg });
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
