/**
 * The conformance matrix: every state the endpoint can be brought to (with the endpoint
 * flags that change its checks), every kind of segment, and every sequence position. Used
 * twice: test/conformance.table.test.ts holds the simulator to the table's prediction on each
 * cell, and ./suite.ts counts which distinct judgements the .pkt scripts exercise.
 * Pure: no Node imports.
 */
import type { TcpState } from "../fsm/states.js";
import type { EndpointFlags } from "../fsm/machine.js";
import type { SeqPosition } from "../fsm/checks.js";
import type { ProfileName } from "../fsm/profiles.js";
import type { Flag } from "../sim/trace.js";
import { ScriptedEndpoint, type ArrivalJudgement } from "../sim/scripted.js";

/** The peer's ISN in the matrix runs. */
export const MATRIX_PEER_ISN = 1_000_000;

export interface MatrixSetup {
  readonly label: string;
  readonly state: TcpState;
  readonly role: "client" | "server";
  readonly flags: EndpointFlags;
  /** Calls and injections that bring a fresh endpoint there. */
  readonly build: (se: ScriptedEndpoint) => void;
}

const add = (a: number, n: number): number => (a + n) >>> 0;
const P = MATRIX_PEER_ISN;
const inj = (se: ScriptedEndpoint, flags: Flag[], seqRel: number, ackAbs: number, len = 0): void => {
  se.inject({ flags, seq: add(P, seqRel), ack: ackAbs, len });
};
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

export const MATRIX_SETUPS: readonly MatrixSetup[] = [
  { label: "CLOSED", state: "CLOSED", role: "server", flags: {}, build: () => {} },
  { label: "LISTEN", state: "LISTEN", role: "server", flags: { passiveOpen: true }, build: (se) => { se.call("listen"); } },
  { label: "SYN_SENT", state: "SYN_SENT", role: "client", flags: {}, build: (se) => { se.call("connect"); } },
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

export interface MatrixKind {
  readonly name: string;
  readonly flags: Flag[];
  readonly len: number;
}

export const MATRIX_KINDS: readonly MatrixKind[] = [
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

/** Test positions: the five classes, with the window's right edge as its own (inside) case. */
export const MATRIX_POSITIONS: readonly { readonly name: string; readonly cls: SeqPosition }[] = [
  { name: "before (old)", cls: "before" },
  { name: "left edge (RCV.NXT)", cls: "exact" },
  { name: "inside", cls: "inside" },
  { name: "right edge (RCV.NXT+WND-1)", cls: "inside" },
  { name: "just outside (RCV.NXT+WND)", cls: "edge" },
  { name: "beyond", cls: "after" },
];

export const NO_WINDOW: ReadonlySet<TcpState> = new Set(["CLOSED", "LISTEN", "SYN_SENT"]);

export interface MatrixCase {
  readonly setup: MatrixSetup;
  readonly kind: MatrixKind;
  readonly pos: string;
  readonly cls: SeqPosition;
  /** The ACK field acknowledges something never sent (SND.NXT + 1000). */
  readonly badAck: boolean;
}

export function matrixCases(): MatrixCase[] {
  const out: MatrixCase[] = [];
  for (const setup of MATRIX_SETUPS) {
    for (const kind of MATRIX_KINDS) {
      const positions = NO_WINDOW.has(setup.state) ? [MATRIX_POSITIONS[1]!] : MATRIX_POSITIONS;
      for (const p of positions) out.push({ setup, kind, pos: p.name, cls: p.cls, badAck: false });
      if (kind.flags.includes("ACK") && setup.state !== "CLOSED" && setup.state !== "LISTEN") {
        out.push({ setup, kind, pos: "left edge (RCV.NXT)", cls: "exact", badAck: true });
      }
    }
  }
  return out;
}

/** The segment a case injects, in absolute numbers, for an endpoint already brought to its state. */
export function caseSegment(c: MatrixCase, se: ScriptedEndpoint): { flags: Flag[]; seq: number; ack: number; len: number } {
  const segLen = c.kind.len + (c.kind.flags.includes("SYN") ? 1 : 0) + (c.kind.flags.includes("FIN") ? 1 : 0);
  const rcvNxt = NO_WINDOW.has(c.setup.state) ? P : se.ep.rcvNxt;
  const wnd = se.ep.rcvWnd;
  let seq: number;
  switch (c.pos) {
    // Zero-length: RCV.NXT − 1 (after the peer's FIN, that is the FIN's own number); with length: ends one before RCV.NXT.
    case "before (old)": seq = add(rcvNxt, segLen === 0 ? -1 : -segLen - 1); break;
    case "left edge (RCV.NXT)": seq = rcvNxt; break;
    case "inside": seq = add(rcvNxt, 1000); break;
    case "right edge (RCV.NXT+WND-1)": seq = add(rcvNxt, wnd - 1); break;
    case "just outside (RCV.NXT+WND)": seq = add(rcvNxt, wnd); break;
    default: seq = add(rcvNxt, wnd + 1000); break;
  }
  const ack = c.badAck ? add(se.ep.sndNxt, 1000) : c.kind.flags.includes("ACK") ? se.ep.sndNxt : 0;
  return { flags: c.kind.flags, seq, ack, len: c.kind.len };
}

/** Bring a fresh endpoint to the case's state. */
export function setUp(c: MatrixCase, profile: ProfileName, rfc5961: boolean): ScriptedEndpoint {
  const se = new ScriptedEndpoint({ profile, rfc5961, role: c.setup.role });
  c.setup.build(se);
  se.takeSent();
  return se;
}

/** Run a case and say how its segment was judged. */
export function judgeCase(c: MatrixCase, profile: ProfileName, rfc5961: boolean): ArrivalJudgement {
  const se = setUp(c, profile, rfc5961);
  return se.inject(caseSegment(c, se));
}
