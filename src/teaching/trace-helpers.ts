/**
 * Small reading helpers for a Trace (simulated or replayed from a capture), so that notebook
 * cells read as steps: "the segments", "the client's state changes", "the four waves". Pure:
 * no Node imports.
 *
 * The close's numbers are shown the way the lesson and RFC 9293 Fig. 12 discuss them: relative
 * to u (the active closer's FIN sequence number) and v (the passive closer's FIN sequence
 * number), so a learner reads "ack = u+1" rather than a ten-digit number.
 */
import type { EndpointName, SegmentRecord, StateChangeRecord, Trace } from "../sim/trace.js";

/** Every segment of a trace, in order (lost ones included: they were sent). */
export function segmentsOf(trace: Trace): SegmentRecord[] {
  const out: SegmentRecord[] = [];
  for (const e of trace.events) if (e.type === "segment") out.push(e);
  return out;
}

/** The state changes of a trace, of one endpoint or of both. */
export function stateChangesOf(trace: Trace, endpoint?: EndpointName): StateChangeRecord[] {
  const out: StateChangeRecord[] = [];
  for (const e of trace.events) if (e.type === "state" && (endpoint === undefined || e.endpoint === endpoint)) out.push(e);
  return out;
}

/** The segments from the first FIN on (the close), in order. */
export function closingSegments(trace: Trace): SegmentRecord[] {
  const segs = segmentsOf(trace);
  const first = segs.findIndex((s) => s.flags.includes("FIN"));
  return first < 0 ? [] : segs.slice(first);
}

export type WaveNumber = 1 | 2 | 3 | 4;

/** One of the four messages of a close, and the segment that carried it. */
export interface Wave {
  readonly wave: WaveNumber;
  /** 1-based position of the segment in the trace (as checkSegment counts). */
  readonly position: number;
  readonly segment: SegmentRecord;
  /** ①–④ and what the message says. */
  readonly label: string;
}

/** What a close looked like: who started it, the four messages, and the half-closed window. */
export interface CloseWaves {
  /** The side whose FIN came first (the active closer); undefined when no FIN was sent. */
  readonly activeCloser?: EndpointName;
  readonly passiveCloser?: EndpointName;
  /** Sequence number of the active closer's FIN. */
  readonly u?: number;
  /** Sequence number of the passive closer's FIN. */
  readonly v?: number;
  /** The waves found, in order; wave 2 and wave 3 share a segment in a three-segment close. */
  readonly waves: readonly Wave[];
  /** Segments from the first FIN to the end of the trace. */
  readonly segmentsFromFirstFin: number;
  /** True when the passive closer's ACK of the first FIN rode on its own FIN. */
  readonly mergedAckFin: boolean;
  /** Data bytes the passive closer sent after the first FIN (the half-closed window). */
  readonly halfCloseBytes: number;
}

const MARKS: Record<WaveNumber, string> = { 1: "①", 2: "②", 3: "③", 4: "④" };
const SAYS: Record<WaveNumber, string> = {
  1: "FIN: the active closer has no more to send",
  2: "ACK of that FIN",
  3: "FIN: the passive closer has no more to send",
  4: "ACK of that FIN",
};

/**
 * Finds the four messages of a close (RFC 9293 Fig. 12): ① the first FIN (seq u), ② the peer's
 * first segment acknowledging it (ack u+1), ③ the peer's FIN (seq v), ④ the first segment
 * acknowledging that (ack v+1). In a three-segment close ② and ③ are one FIN+ACK segment.
 */
export function closeWaves(trace: Trace): CloseWaves {
  const segs = segmentsOf(trace);
  const i1 = segs.findIndex((s) => s.flags.includes("FIN"));
  if (i1 < 0) return { waves: [], segmentsFromFirstFin: 0, mergedAckFin: false, halfCloseBytes: 0 };
  const fin1 = segs[i1]!;
  const a = fin1.from;
  const b: EndpointName = a === "client" ? "server" : "client";
  const u = fin1.seq;
  const waves: Wave[] = [wave(1, i1, fin1)];
  const i2 = segs.findIndex((s, i) => i > i1 && s.from === b && s.flags.includes("ACK") && s.ack === u + 1);
  if (i2 >= 0) waves.push(wave(2, i2, segs[i2]!));
  const i3 = segs.findIndex((s, i) => i > i1 && s.from === b && s.flags.includes("FIN"));
  let v: number | undefined;
  if (i3 >= 0) {
    v = segs[i3]!.seq;
    waves.push(wave(3, i3, segs[i3]!));
    const fin2 = v;
    const i4 = segs.findIndex((s, i) => i > i3 && s.from === a && s.flags.includes("ACK") && s.ack === fin2 + 1);
    if (i4 >= 0) waves.push(wave(4, i4, segs[i4]!));
  }
  const halfCloseBytes = segs
    .slice(i1 + 1, i3 >= 0 ? i3 : segs.length)
    .filter((s) => s.from === b && !s.dropped && !s.retransmission)
    .reduce((n, s) => n + s.len, 0);
  return {
    activeCloser: a,
    passiveCloser: b,
    u,
    ...(v !== undefined && { v }),
    waves,
    segmentsFromFirstFin: segs.length - i1,
    mergedAckFin: i2 >= 0 && i2 === i3,
    halfCloseBytes,
  };
}

function wave(n: WaveNumber, index: number, segment: SegmentRecord): Wave {
  return { wave: n, position: index + 1, segment, label: `${MARKS[n]} ${SAYS[n]}` };
}

/** A number written relative to a base named `name`: "u", "u+1", "v−100". */
export function relativeTo(n: number, base: number, name: string): string {
  const d = (n - base) | 0; // sequence space wraps at 2^32 (RFC 9293 §3.4); |0 keeps the signed distance
  return d === 0 ? name : d > 0 ? `${name}+${d}` : `${name}−${-d}`;
}

/**
 * One line per wave: the mark, the direction, the flags and seq/ack written relative to u and
 * v (a side's own numbers relative to its own FIN, its acks relative to the peer's).
 */
export function describeCloseWaves(trace: Trace): string[] {
  const c = closeWaves(trace);
  if (c.u === undefined || c.activeCloser === undefined) return ["no FIN in this trace"];
  const u = c.u;
  const v = c.v;
  const a = c.activeCloser;
  const name = (n: number, fromActive: boolean, isSeq: boolean): string => {
    // The active closer's sequence numbers and the passive closer's acks count u's space.
    const inU = fromActive === isSeq;
    if (inU) return relativeTo(n, u, "u");
    return v === undefined ? String(n) : relativeTo(n, v, "v");
  };
  return c.waves.map((w) => {
    const s = w.segment;
    const fromActive = s.from === a;
    const len = s.len ? ` len=${s.len}` : "";
    return `${w.label.padEnd(48)} ${s.from.padEnd(6)} → ${s.to.padEnd(6)} ${s.flags.join("+").padEnd(8)} seq=${name(s.seq, fromActive, true)} ack=${name(s.ack, fromActive, false)}${len}  (segment ${w.position})`;
  });
}

/**
 * Every segment of the trace from the first FIN on, with seq/ack relative to u and v and the
 * wave marks it carries: the half-closed window's data shows up between ② and ③.
 */
export function describeClose(trace: Trace): string[] {
  const c = closeWaves(trace);
  if (c.u === undefined || c.activeCloser === undefined) return ["no FIN in this trace"];
  const segs = segmentsOf(trace);
  const first = c.waves[0]!.position - 1;
  const u = c.u;
  const v = c.v;
  const a = c.activeCloser;
  return segs.slice(first).map((s, k) => {
    const marks = c.waves.filter((w) => w.position === first + k + 1).map((w) => MARKS[w.wave]).join("");
    const fromActive = s.from === a;
    const seq = fromActive ? relativeTo(s.seq, u, "u") : v === undefined ? String(s.seq) : relativeTo(s.seq, v, "v");
    const ack = fromActive ? (v === undefined ? String(s.ack) : relativeTo(s.ack, v, "v")) : relativeTo(s.ack, u, "u");
    const len = s.len ? ` len=${s.len}` : "";
    return `${marks.padEnd(2)} ${s.t.toFixed(3).padStart(7)} s  ${s.from.padEnd(6)} → ${s.to.padEnd(6)} ${s.flags.join("+").padEnd(8)} seq=${seq} ack=${ack}${len}`;
  });
}
