/**
 * What both ladder renderers share: a segment's label, and the trace re-ordered into
 * "moments" with each segment's arrival as its own item (the trace records a segment once,
 * at its send time; the ladder draws it from send to arrival).
 */
import type { EndpointName, SegmentRecord, StateChangeRecord, Trace } from "../sim/trace.js";

/**
 * Sequence numbers as a learner reads them: relative to each side's initial sequence number
 * (ISN), as tcpdump prints them without -S and Wireshark by default. A side's ISN is the seq
 * of its SYN (RFC 9293 §3.4.1: the SYN carries the ISN and uses one sequence number, so the
 * first data byte is 1); in a capture that starts after the handshake, the first seq seen
 * from that side (the same base src/replay's `relative` uses, so a replayed trace that is
 * already relative comes out unchanged). The ACK field counts the peer's numbers, so it is
 * made relative to the peer's ISN. Arithmetic is modulo 2^32 (RFC 9293 §3.4).
 */
export interface RelativeNumbers {
  /** Each side's ISN as used for the numbers; null when that side sent nothing. */
  readonly isn: Readonly<Record<EndpointName, number | null>>;
  /** A segment's seq and ack relative to the ISNs (ack unchanged when the peer's ISN is unknown). */
  readonly of: (seg: SegmentRecord) => { readonly seq: number; readonly ack: number };
}

export function relativeNumbers(trace: Trace): RelativeNumbers {
  const syn: Record<EndpointName, number | null> = { client: null, server: null };
  const first: Record<EndpointName, number | null> = { client: null, server: null };
  for (const ev of trace.events) {
    if (ev.type !== "segment") continue;
    if (first[ev.from] === null) first[ev.from] = ev.seq;
    // The first SYN only: a later SYN (a new incarnation after TIME_WAIT) would renumber the
    // whole ladder; its numbers stay relative to the first connection's ISN.
    if (syn[ev.from] === null && ev.flags.includes("SYN")) syn[ev.from] = ev.seq;
  }
  // The simulator records its ISSs: a run that starts ESTABLISHED has no SYN, and its first
  // FIN is then seq=1, as after a real handshake.
  // A side that never sent a SYN and started CLOSED (a RST from a closed port: seq 0) has
  // no ISN to speak of: its first seq is the base, as tcpdump does.
  const known = (side: EndpointName): number | null =>
    trace.isn !== undefined && trace.initial[side] !== "CLOSED" && trace.initial[side] !== "LISTEN" ? trace.isn[side] : null;
  const isn = {
    client: syn.client ?? known("client") ?? first.client,
    server: syn.server ?? known("server") ?? first.server,
  };
  return {
    isn,
    of: (seg) => {
      const mine = isn[seg.from];
      const peer = isn[seg.to];
      return {
        seq: mine === null ? seg.seq : (seg.seq - mine) >>> 0,
        ack: peer === null ? seg.ack : (seg.ack - peer) >>> 0,
      };
    },
  };
}

/** No renumbering: the trace's own (absolute) numbers. */
export const ABSOLUTE_NUMBERS: RelativeNumbers = {
  isn: { client: 0, server: 0 },
  of: (seg) => ({ seq: seg.seq, ack: seg.ack }),
};

/** The numbering a ladder uses: relative unless `absolute` is set. */
export function ladderNumbers(trace: Trace, absolute: boolean | undefined): RelativeNumbers {
  return absolute === true ? ABSOLUTE_NUMBERS : relativeNumbers(trace);
}

/**
 * "FIN, ACK seq=1 ack=1 len=100": the acknowledgement number only when ACK is set. With
 * `numbers` (from relativeNumbers(trace)) the numbers are relative; without, as recorded.
 */
export function segmentLabel(seg: SegmentRecord, numbers?: RelativeNumbers): string {
  const n = numbers ? numbers.of(seg) : seg;
  const parts = [seg.flags.length > 0 ? seg.flags.join(", ") : "(no flags)", `seq=${n.seq}`];
  if (seg.flags.includes("ACK")) parts.push(`ack=${n.ack}`);
  if (seg.len > 0) parts.push(`len=${seg.len}`);
  return parts.join(" ");
}

/** A second copy the link made (the field is optional: a capture never sets it). */
export function isDuplicate(seg: SegmentRecord): boolean {
  return (seg as { readonly duplicate?: boolean }).duplicate === true;
}

/** "(retransmission, lost)": the marks a segment's label carries, or "". */
export function segmentMarks(seg: SegmentRecord): string {
  const marks = [seg.retransmission ? "retransmission" : "", isDuplicate(seg) ? "duplicate" : "", seg.dropped ? "lost" : ""];
  const present = marks.filter((m) => m !== "");
  return present.length > 0 ? ` (${present.join(", ")})` : "";
}

/** When the segment reaches its peer; null when lost. A capture has no arrival time, so it arrives when seen. */
export function arrivalTime(seg: SegmentRecord): number | null {
  if (seg.dropped) return null;
  return seg.arrives ?? seg.t;
}

/**
 * Times within a nanosecond are the same moment: virtual times are sums of floats
 * (1.1 + 0.05 is not 1.15), and the ladder must not split one moment in two.
 */
export const TIME_EPSILON = 1e-9;
export function sameTime(a: number | null, b: number | null): boolean {
  return a !== null && b !== null && Math.abs(a - b) <= TIME_EPSILON;
}

export type LadderItem =
  | { readonly kind: "send"; readonly seg: SegmentRecord; readonly index: number }
  | { readonly kind: "arrive"; readonly seg: SegmentRecord; readonly index: number; readonly t: number }
  | { readonly kind: "state"; readonly change: StateChangeRecord };

/**
 * The trace's events with arrivals merged in, in time order. An arrival at time T comes
 * before trace events at T, because what happens at T on the receiver (a state change, a
 * reply) is caused by it. A simulator trace says more (`causeSegment`): it handles
 * simultaneous arrivals one at a time and records what each causes at once, so an event
 * that names its cause comes right after that arrival and before the arrivals that follow
 * it, and an event that names none (a timer, a user call) comes before an arrival whose
 * consequences come later in the trace. A capture names no causes: there every arrival at
 * T comes first. `index` counts segments from 0 in trace order (the data-index of the SVG
 * ladder).
 */
export function ladderItems(trace: Trace): LadderItem[] {
  const causes = new Set<number>();
  for (const ev of trace.events) if (ev.causeSegment !== undefined) causes.add(ev.causeSegment);
  const items: LadderItem[] = [];
  // Arrivals not yet placed, a binary heap ordered by (t, order): the earliest is pending.peek().
  // `inFlight` answers "is segment `cause` still pending?" without a scan, so the whole merge is
  // O(n log n) in the trace (it was a sort per event and an O(n) shift per arrival).
  const pending = new ArrivalHeap();
  const inFlight = new Set<number>();
  const flush = (upTo: number, cause?: number): void => {
    let open = cause === undefined || inFlight.has(cause);
    for (let p = pending.peek(); p !== undefined && p.t <= upTo + TIME_EPSILON; p = pending.peek()) {
      // Arrivals before `upTo` all go; at `upTo`, only those handled before this event.
      if (sameTime(p.t, upTo) && (!open || (cause === undefined && causes.has(p.index)))) break;
      pending.pop();
      inFlight.delete(p.index);
      items.push({ kind: "arrive", seg: p.seg, index: p.index, t: p.t });
      if (p.index === cause) open = false;
    }
  };
  let index = 0;
  for (const ev of trace.events) {
    flush(ev.t, ev.causeSegment);
    if (ev.type === "state") {
      items.push({ kind: "state", change: ev });
      continue;
    }
    const i = index++;
    items.push({ kind: "send", seg: ev, index: i });
    const at = arrivalTime(ev);
    if (at !== null) {
      pending.push({ seg: ev, index: i, t: Math.max(at, ev.t), order: i });
      inFlight.add(i);
    }
  }
  flush(Infinity);
  return items;
}

interface PendingArrival {
  readonly seg: SegmentRecord;
  readonly index: number;
  readonly t: number;
  readonly order: number;
}

/** A binary min-heap of arrivals by time, then by send order: the order a stable sort by time gives. */
class ArrivalHeap {
  private readonly a: PendingArrival[] = [];
  private static before(x: PendingArrival, y: PendingArrival): boolean {
    const d = x.t - y.t;
    return d < 0 || (!(d > 0) && x.order < y.order);
  }
  peek(): PendingArrival | undefined {
    return this.a[0];
  }
  push(p: PendingArrival): void {
    const a = this.a;
    let i = a.length;
    a.push(p);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!ArrivalHeap.before(p, a[parent]!)) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = p;
  }
  pop(): PendingArrival | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && ArrivalHeap.before(a[r]!, a[l]!) ? r : l;
      if (!ArrivalHeap.before(a[c]!, last)) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

/** Is `item` a state change the arrival of segment `index` caused? */
export function isCausedBy(item: LadderItem, index: number): boolean {
  return item.kind === "state" && item.change.causeSegment === index;
}

export function otherSide(e: EndpointName): EndpointName {
  return e === "client" ? "server" : "client";
}

/**
 * The four "waves" of a normal close, as the lesson's ladder labels them: ① the first FIN
 * (seq = u), ② the segment that acknowledges it (ack = u+1), ③ the other side's FIN
 * (seq = v), ④ the segment that acknowledges that (ack = v+1). When the ACK of the first
 * FIN rides on the second FIN (RFC 9293 §3.6: the passive side had nothing left to send),
 * one segment is ②③. Only delivered segments count (a lost FIN is resent; the copy that
 * arrives is the wave). u and v are relative to the senders' ISNs like every other number.
 */
export interface TeardownWaves {
  /** Segment index (among the trace's segments) → its wave mark, "①" … "④" or "②③". */
  readonly marks: ReadonlyMap<number, string>;
  /** Who sent the first FIN. */
  readonly first: EndpointName;
  readonly u: number;
  readonly v: number;
}

const seqGe = (a: number, b: number): boolean => ((a - b) | 0) >= 0;

export function teardownWaves(trace: Trace, numbers: RelativeNumbers = relativeNumbers(trace)): TeardownWaves | null {
  const segs: SegmentRecord[] = [];
  for (const ev of trace.events) if (ev.type === "segment") segs.push(ev);
  const delivered = (i: number): boolean => !segs[i]!.dropped;
  const fin1 = segs.findIndex((s, i) => delivered(i) && s.flags.includes("FIN") && !s.flags.includes("RST"));
  if (fin1 < 0) return null;
  const a = segs[fin1]!.from;
  const b = otherSide(a);
  // u+1: the first FIN's own number plus its payload plus one for the FIN (RFC 9293 §3.4).
  const u = numbers.of(segs[fin1]!).seq + segs[fin1]!.len;
  const acksU = (s: SegmentRecord): boolean => s.flags.includes("ACK") && seqGe(numbers.of(s).ack, (u + 1) >>> 0);
  let ack1 = -1;
  let fin2 = -1;
  for (let i = fin1 + 1; i < segs.length; i++) {
    const s = segs[i]!;
    if (!delivered(i) || s.from !== b || s.flags.includes("RST")) continue;
    if (ack1 < 0 && acksU(s)) ack1 = i;
    if (fin2 < 0 && s.flags.includes("FIN")) fin2 = i;
    if (ack1 >= 0 && fin2 >= 0) break;
  }
  if (ack1 < 0 || fin2 < 0) return null;
  // A simultaneous close (the second FIN sent before the first arrived, RFC 9293 Figure 13)
  // has no first and second closer: no waves.
  const fin1At = arrivalTime(segs[fin1]!);
  if (fin1At === null || segs[fin2]!.t < fin1At - TIME_EPSILON) return null;
  const v = numbers.of(segs[fin2]!).seq + segs[fin2]!.len;
  let ack2 = -1;
  for (let i = fin2 + 1; i < segs.length; i++) {
    const s = segs[i]!;
    if (delivered(i) && s.from === a && !s.flags.includes("RST") && s.flags.includes("ACK") && seqGe(numbers.of(s).ack, (v + 1) >>> 0)) {
      ack2 = i;
      break;
    }
  }
  if (ack2 < 0) return null;
  const marks = new Map<number, string>();
  marks.set(fin1, "①");
  if (ack1 === fin2) marks.set(ack1, "②③");
  else {
    marks.set(ack1, "②");
    marks.set(fin2, "③");
  }
  marks.set(ack2, "④");
  return { marks, first: a, u, v };
}

/**
 * A wave segment's label with u, u+1, v, v+1 named: "① FIN, ACK seq=u=1 ack=1". Only the
 * fields the lesson's ladder names are named, and only when they hold that value.
 */
export function waveLabel(seg: SegmentRecord, mark: string, waves: TeardownWaves, numbers: RelativeNumbers): string {
  const n = numbers.of(seg);
  // Which fields each wave names, as the lesson's ladder does: ① seq=u; ② ack=u+1;
  // ③ seq=v ack=u+1; ④ seq=u+1 ack=v+1 (②③ merged: seq=v ack=u+1).
  const named = (base: number, plus: number, letter: string) => (value: number): string =>
    value === ((base + plus) >>> 0) ? `${letter}${plus === 0 ? "" : "+1"}=${value}` : String(value);
  const plain = (value: number): string => String(value);
  const [seqOf, ackOf] =
    mark === "①" ? [named(waves.u, 0, "u"), plain] :
    mark === "②" ? [plain, named(waves.u, 1, "u")] :
    mark === "③" || mark === "②③" ? [named(waves.v, 0, "v"), named(waves.u, 1, "u")] :
    [named(waves.u, 1, "u"), named(waves.v, 1, "v")];
  const parts = [mark, seg.flags.length > 0 ? seg.flags.join(", ") : "(no flags)", `seq=${seqOf(n.seq)}`];
  if (seg.flags.includes("ACK")) parts.push(`ack=${ackOf(n.ack)}`);
  if (seg.len > 0) parts.push(`len=${seg.len}`);
  return parts.join(" ");
}
