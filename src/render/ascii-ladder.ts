/**
 * The ASCII ladder diagram: client on the left, server on the right, time running down,
 * each side's state written beside its timeline on the row where it changes.
 *
 *    t (s)       client                                                server
 *           ESTABLISHED |                                            | ESTABLISHED
 *    0.000   FIN_WAIT_1 |  FIN, ACK seq=1000 ack=5000                |
 *    0.050              |------------------------------------------->| CLOSE_WAIT
 *
 * A segment takes two rows: its label at the send time (where the sender's new state is
 * written), then its arrow at the arrival time (where the receiver's new state is written).
 * When something happens while a segment is in flight (segments crossing in a simultaneous
 * close or open), the arrow is split: a departure stub "-----..." at the send, and an arrival
 * "...---->" later. A lost segment ends in an X halfway. Rows are ordered by time but not
 * spaced by it: a 60 s TIME_WAIT takes one row like a 50 ms flight.
 *
 * A burst (several segments sent back to back in one direction) does not cross anything,
 * so each of its segments is drawn whole, one after the other, as a person would draw it;
 * the time column then steps back to the next segment's send time.
 */
import type { EndpointName, SegmentRecord, Trace } from "../sim/trace.js";
import { isCausedBy, ladderItems, sameTime, segmentLabel, segmentMarks, TIME_EPSILON, type LadderItem } from "./ladder-events.js";

export interface AsciiLadderOptions {
  /** Show the time column. Default true. */
  readonly time?: boolean;
  /** Decimals of the time column. Default 3 (milliseconds). */
  readonly timeDecimals?: number;
  /** Total width in columns. Default 90; the space between the timelines shrinks or grows. */
  readonly width?: number;
  /** Column headings. Default "client" and "server". */
  readonly names?: Readonly<Record<EndpointName, string>>;
}

const STATE_W = 11; // "ESTABLISHED", the longest RFC state name

interface Row {
  time: number | null;
  client: string;
  server: string;
  mid: string;
  /** Which side's state slot may still take a state change that happens at `time`. */
  open: Record<EndpointName, boolean>;
}

function fit(text: string, w: number): string {
  return text.length <= w ? text : text.slice(0, Math.max(0, w - 3)) + "...";
}

/**
 * Reorder the merged items so that a segment nothing crosses is drawn whole: its arrival is
 * moved up to just after its send when everything in between is the sender's own business
 * (its later sends, its state changes), and a receiver state change at the send instant
 * (a passive open at t = 0) is moved before the send. Only truly crossing segments
 * (the peer sends while this one is in flight) stay split.
 *
 * Written as one pass that builds the output in order, in O(n log n) for a trace of n items
 * (a capture or a bulk transfer can have a million). The rules, for each send in turn:
 *   1. receiver state changes at the send instant that no arrival caused, between the send
 *      and its arrival, go just before the send;
 *   2. if everything left between the send and its arrival is the sender's own (its sends,
 *      its state changes), the arrival and the state changes it caused move up: right after
 *      the send if another send of the same instant follows the sender's state changes at
 *      that instant, otherwise after those state changes.
 * Items only ever move towards the front and never past a send that is still to come, so
 * what follows the send being handled is always the input's order with the moved items
 * taken out: "the next item of a kind after position p" is a union-find lookup that skips
 * items already placed, and the state changes at an instant are found by binary search.
 */
export function untangle(input: readonly LadderItem[]): LadderItem[] {
  const n = input.length;
  const out: LadderItem[] = [];
  const placed = new Uint8Array(n);
  // Where each segment's arrival is (the first one, as ladderItems gives exactly one).
  const arrivalOf = new Map<number, number>();
  input.forEach((it, p) => {
    if (it.kind === "arrive" && !arrivalOf.has(it.index)) arrivalOf.set(it.index, p);
  });
  const own = (it: LadderItem, side: EndpointName): boolean =>
    (it.kind === "send" && it.seg.from === side) || (it.kind === "state" && it.change.endpoint === side);
  // next(p): the first position >= p not yet placed; foreign[side](p): … that is not side's own.
  const next = new SkipList(n, () => false);
  const foreign: Record<EndpointName, SkipList> = {
    client: new SkipList(n, (p) => own(input[p]!, "client")),
    server: new SkipList(n, (p) => own(input[p]!, "server")),
  };
  const place = (p: number): void => {
    placed[p] = 1;
    next.skip(p);
    foreign.client.skip(p);
    foreign.server.skip(p);
    out.push(input[p]!);
  };
  // State changes no arrival caused, per side, by time: the candidates for rule 1.
  const uncaused: Record<EndpointName, { t: number; p: number }[]> = { client: [], server: [] };
  input.forEach((it, p) => {
    if (it.kind === "state" && it.change.causeSegment === undefined && !Number.isNaN(it.change.t)) {
      uncaused[it.change.endpoint].push({ t: it.change.t, p });
    }
  });
  for (const list of Object.values(uncaused)) list.sort((a, b) => a.t - b.t || a.p - b.p);

  for (let i = 0; i < n; i++) {
    if (placed[i]) continue;
    const send = input[i]!;
    const j = send.kind === "send" ? arrivalOf.get(send.index) : undefined;
    if (send.kind !== "send" || j === undefined || j <= i) {
      place(i);
      continue;
    }
    const seg = send.seg;
    // Rule 1: receiver state changes at the send instant, not caused by an arrival, go first.
    const list = uncaused[seg.to];
    const moved: number[] = [];
    for (let c = lowerBound(list, seg.t - 2 * TIME_EPSILON); c < list.length && list[c]!.t <= seg.t + 2 * TIME_EPSILON; c++) {
      const { t, p } = list[c]!;
      if (p > i && p < j && !placed[p] && sameTime(t, seg.t)) moved.push(p);
    }
    moved.sort((a, b) => a - b);
    for (const p of moved) place(p);
    place(i);
    // Rule 2: nothing but the sender's own items between the send and its arrival?
    const first = next.find(i + 1);
    if (first === j || foreign[seg.from].find(i + 1) !== j) continue;
    // The sender's state changes at the send instant stay beside this label, unless another
    // send follows them at that instant: a change is recorded just before the send it causes
    // (CLOSE_WAIT → LAST_ACK, then the FIN), so they belong to that one.
    const run: number[] = [];
    let q = first;
    while (q < j) {
      const it = input[q]!;
      if (it.kind !== "state" || !sameTime(it.change.t, seg.t)) break;
      run.push(q);
      q = next.find(q + 1);
    }
    const after = input[q]!;
    const keepRunBelow = q < j && after.kind === "send" && sameTime(after.seg.t, seg.t);
    if (!keepRunBelow) for (const p of run) place(p);
    // The arrival moves with the state changes it caused (they follow it: see ladderItems).
    place(j);
    for (let e = next.find(j + 1); e < n && isCausedBy(input[e]!, send.index); e = next.find(e + 1)) place(e);
  }
  return out;
}

/** The first index whose `t` is >= t (the list is sorted by t). */
function lowerBound(list: readonly { t: number }[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Positions 0…n-1, some of them skipped (for good, from the start by `skipped`, or later by
 * `skip`); `find(p)` is the first position >= p not skipped, or n. A union-find with path
 * halving: near-constant time per call.
 */
class SkipList {
  private readonly up: Int32Array;
  constructor(n: number, skipped: (p: number) => boolean) {
    this.up = new Int32Array(n + 1);
    for (let p = 0; p <= n; p++) this.up[p] = p < n && skipped(p) ? p + 1 : p;
  }
  skip(p: number): void {
    this.up[p] = p + 1;
  }
  find(p: number): number {
    const up = this.up;
    while (up[p] !== p) {
      const q = up[p]!;
      up[p] = up[q]!;
      p = q;
    }
    return p;
  }
}

export function renderAsciiLadder(trace: Trace, opts: AsciiLadderOptions = {}): string {
  const showTime = opts.time ?? true;
  const decimals = opts.timeDecimals ?? 3;
  const names = opts.names ?? { client: "client", server: "server" };
  const timeW = showTime ? 8 : 0;
  const fixed = (showTime ? timeW + 2 : 0) + STATE_W + 2 + 2 + STATE_W;
  const W = Math.max(24, (opts.width ?? 90) - fixed);
  const half = Math.floor(W / 2);

  const rows: Row[] = [];
  const newRow = (time: number | null, mid: string, open: Record<EndpointName, boolean>): Row => {
    const r: Row = { time, client: "", server: "", mid, open };
    rows.push(r);
    return r;
  };
  /** One label line, or two when the marks do not fit beside the numbers. */
  const labels = (seg: SegmentRecord): string[] => {
    const main = segmentLabel(seg);
    const marks = segmentMarks(seg);
    const texts = (main + marks).length <= W - 4 ? [main + marks] : [fit(main, W - 4), fit(marks.trim(), W - 4)];
    return texts.map((text) => (seg.from === "client" ? `  ${text}`.padEnd(W) : `${text}  `.padStart(W)));
  };
  const rightward = (seg: SegmentRecord): boolean => seg.from === "client";
  const fullArrow = (seg: SegmentRecord): string => (rightward(seg) ? "-".repeat(W - 1) + ">" : "<" + "-".repeat(W - 1));
  const lostArrow = (seg: SegmentRecord): string =>
    rightward(seg) ? ("-".repeat(half - 1) + "X").padEnd(W) : ("X" + "-".repeat(half - 1)).padStart(W);
  const departure = (seg: SegmentRecord): string =>
    rightward(seg) ? ("-".repeat(half - 3) + "...").padEnd(W) : ("..." + "-".repeat(half - 3)).padStart(W);
  const arrival = (seg: SegmentRecord): string =>
    rightward(seg) ? ("..." + "-".repeat(W - half - 4) + ">").padStart(W) : ("<" + "-".repeat(W - half - 4) + "...").padEnd(W);

  const placeState = (endpoint: EndpointName, t: number, state: string): void => {
    const last = rows[rows.length - 1];
    if (last && sameTime(last.time, t) && last.open[endpoint] && last[endpoint] === "") {
      last[endpoint] = state;
      return;
    }
    const r = newRow(t, " ".repeat(W), { client: true, server: true });
    r[endpoint] = state;
  };

  const items = untangle(ladderItems(trace));
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.kind === "state") {
      placeState(item.change.endpoint, item.change.t, item.change.to);
      continue;
    }
    const seg = item.seg;
    if (item.kind === "arrive") {
      newRow(item.t, arrival(seg), { client: seg.to === "client", server: seg.to === "server" });
      continue;
    }
    // The label row is the send moment: the sender's state may be written on it.
    const prev = rows[rows.length - 1];
    const senderOnly = { client: seg.from === "client", server: seg.from === "server" };
    const [first, ...more] = labels(seg);
    if (prev && sameTime(prev.time, seg.t) && prev.mid.trim() === "" && prev[seg.to] === "" && prev.open[seg.from]) {
      prev.mid = first!;
      prev.open = senderOnly;
    } else {
      newRow(seg.t, first!, senderOnly);
    }
    // State changes of the sender at the same instant belong beside the label.
    while (i + 1 < items.length) {
      const next = items[i + 1]!;
      if (next.kind !== "state" || next.change.endpoint !== seg.from || !sameTime(next.change.t, seg.t)) break;
      placeState(seg.from, next.change.t, next.change.to);
      i++;
    }
    for (const extra of more) newRow(null, extra, { client: false, server: false });
    const next = items[i + 1];
    if (seg.dropped) {
      newRow(null, lostArrow(seg), { client: false, server: false });
    } else if (next && next.kind === "arrive" && next.index === item.index) {
      newRow(next.t, fullArrow(seg), { client: seg.to === "client", server: seg.to === "server" });
      i++;
    } else {
      newRow(null, departure(seg), { client: false, server: false });
    }
  }

  const line = (time: string, client: string, left: string, mid: string, right: string, server: string): string =>
    ((showTime ? time.padStart(timeW) + "  " : "") + client.padStart(STATE_W) + " " + left + mid + right + " " + server).trimEnd();
  const out: string[] = [];
  const headMid = " ".repeat(W);
  out.push(line(showTime ? "t (s)" : "", names.client, " ", headMid, " ", names.server));
  out.push(line("", trace.initial.client, "|", headMid, "|", trace.initial.server));
  let lastTime: string | null = null;
  for (const r of rows) {
    let time = "";
    if (r.time !== null) {
      const text = r.time.toFixed(decimals);
      if (text !== lastTime) time = text;
      lastTime = text;
    }
    out.push(line(time, r.client, "|", r.mid, "|", r.server));
  }
  out.push(line("", "", "v", headMid, "v", ""));
  return out.join("\n") + "\n";
}
