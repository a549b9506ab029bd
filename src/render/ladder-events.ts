/**
 * What both ladder renderers share: a segment's label, and the trace re-ordered into
 * "moments" with each segment's arrival as its own item (the trace records a segment once,
 * at its send time; the ladder draws it from send to arrival).
 */
import type { EndpointName, SegmentRecord, StateChangeRecord, Trace } from "../sim/trace.js";

/** "FIN, ACK seq=1001 ack=5001 len=100": the acknowledgement number only when ACK is set. */
export function segmentLabel(seg: SegmentRecord): string {
  const parts = [seg.flags.length > 0 ? seg.flags.join(", ") : "(no flags)", `seq=${seg.seq}`];
  if (seg.flags.includes("ACK")) parts.push(`ack=${seg.ack}`);
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
