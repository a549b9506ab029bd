/**
 * The ladder's item order as it was first written (commit 3a86aab): a sort of the pending
 * arrivals per trace event and a search of the whole list per segment, O(n²) and worse.
 * Kept verbatim as the reference the fast versions in src/render/ must agree with exactly
 * (test/render.linear.test.ts); use it only on small traces.
 */
import type { Trace, SegmentRecord } from "../../src/sim/trace.js";
import { arrivalTime, isCausedBy, sameTime, TIME_EPSILON, type LadderItem } from "../../src/render/ladder-events.js";

export function referenceLadderItems(trace: Trace): LadderItem[] {
  const causes = new Set<number>();
  for (const ev of trace.events) if (ev.causeSegment !== undefined) causes.add(ev.causeSegment);
  const items: LadderItem[] = [];
  const pending: Array<{ seg: SegmentRecord; index: number; t: number; order: number }> = [];
  const flush = (upTo: number, cause?: number): void => {
    pending.sort((a, b) => a.t - b.t || a.order - b.order);
    let open = cause === undefined || pending.some((p) => p.index === cause);
    while (pending.length > 0 && pending[0]!.t <= upTo + TIME_EPSILON) {
      const p = pending[0]!;
      // Arrivals before `upTo` all go; at `upTo`, only those handled before this event.
      if (sameTime(p.t, upTo) && (!open || (cause === undefined && causes.has(p.index)))) break;
      pending.shift();
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
    if (at !== null) pending.push({ seg: ev, index: i, t: Math.max(at, ev.t), order: i });
  }
  flush(Infinity);
  return items;
}

export function referenceUntangle(input: readonly LadderItem[]): LadderItem[] {
  const items = [...input];
  for (let i = 0; i < items.length; i++) {
    const send = items[i]!;
    if (send.kind !== "send") continue;
    const seg = send.seg;
    let j = items.findIndex((it, k) => k > i && it.kind === "arrive" && it.index === send.index);
    if (j < 0) continue;
    // Receiver state changes at the send instant happened "before" it: move them above the
    // send. Not one an arrival caused: it stays beside that arrival.
    for (let k = i + 1; k < j; k++) {
      const it = items[k]!;
      if (it.kind === "state" && it.change.endpoint === seg.to && sameTime(it.change.t, seg.t) && it.change.causeSegment === undefined) {
        items.splice(k, 1);
        items.splice(i, 0, it);
        i++;
      }
    }
    j = items.findIndex((it, k) => k > i && it.kind === "arrive" && it.index === send.index);
    const between = items.slice(i + 1, j);
    const ownOnly = between.every(
      (it) => (it.kind === "send" && it.seg.from === seg.from) || (it.kind === "state" && it.change.endpoint === seg.from),
    );
    if (!ownOnly || j === i + 1) continue;
    // The sender's state changes at the send instant stay beside this label, unless another
    // send follows them at that instant: a change is recorded just before the send it causes
    // (CLOSE_WAIT → LAST_ACK, then the FIN), so they belong to that one.
    let k = i + 1;
    while (k < j) {
      const it = items[k]!;
      if (it.kind !== "state" || !sameTime(it.change.t, seg.t)) break;
      k++;
    }
    const after = items[k]!;
    if (k < j && after.kind === "send" && sameTime(after.seg.t, seg.t)) k = i + 1;
    // The arrival moves with the state changes it caused (they follow it: see ladderItems).
    let end = j + 1;
    while (end < items.length && isCausedBy(items[end]!, send.index)) end++;
    items.splice(k, 0, ...items.splice(j, end - j));
  }
  return items;
}
