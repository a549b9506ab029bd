/**
 * The ASCII ladder diagram: client on the left, server on the right, time running down,
 * each side's state written beside its timeline on the row where it changes.
 *
 *    t (s)      client                                      server
 *          ESTABLISHED |                                    | ESTABLISHED
 *    0.000  FIN_WAIT_1 |  FIN, ACK seq=1 ack=1              |
 *    0.050             |----------------------------------->| CLOSE_WAIT
 *
 * One row per event, in time order, so the time column never runs backwards: a segment's
 * label is on the row of its send time (where the sender's new state is written), its arrow
 * on the row of its arrival time (where the receiver's new state is written). When anything
 * happens between the two (segments crossing in a simultaneous close, a burst of segments in
 * one direction), the arrow is split: "----- #3 ..." leaves on the send row and
 * "#3 ...---->" arrives on its own row later, #3 being the segment's number (from 1, the
 * SVG ladder's data-index + 1). A lost segment ends in an X halfway. Rows are ordered by
 * time but not spaced by it: a 60 s TIME_WAIT takes one row like a 50 ms flight. A one-line
 * key under the ladder says so.
 *
 * Sequence numbers are relative to each side's ISN unless `absolute` is set (see
 * relativeNumbers in ./ladder-events.ts).
 */
import type { EndpointName, SegmentRecord, StateChangeRecord, Trace } from "../sim/trace.js";
import {
  ABSOLUTE_NUMBERS, isCausedBy, ladderItems, ladderNumbers, sameTime, segmentLabel, segmentMarks, teardownWaves, TIME_EPSILON, waveLabel, type LadderItem,
} from "./ladder-events.js";

export interface AsciiLadderOptions {
  /** Show the time column. Default true. */
  readonly time?: boolean;
  /** Decimals of the time column. Default 3 (milliseconds). */
  readonly timeDecimals?: number;
  /** Total width in columns. Default 80; the space between the timelines shrinks or grows. */
  readonly width?: number;
  /** Raw sequence numbers as the trace has them. Default false: relative to each side's ISN. */
  readonly absolute?: boolean;
  /** Label the four segments of a normal close ①–④ and name u, u+1, v, v+1. Default false. */
  readonly waves?: boolean;
  /** Show what each side's application called and got back (trace.calls), as rows. Default false. */
  readonly app?: boolean;
  /** Print the one-line key under the ladder. Default true. */
  readonly key?: boolean;
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

/** Words into lines of at most `w` columns (a word longer than that is cut). */
function wrap(text: string, w: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line === "") line = word;
    else if (line.length + 1 + word.length <= w) line += " " + word;
    else {
      lines.push(fit(line, w));
      line = word;
    }
  }
  lines.push(fit(line, w));
  return lines;
}

function fit(text: string, w: number): string {
  return text.length <= w ? text : text.slice(0, Math.max(0, w - 3)) + "...";
}

/**
 * (Not used by renderAsciiLadder since it keeps every row in time order, issue 11; kept,
 * with its tests, for callers that want this whole-arrow order.)
 *
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

/** The key printed under the ladder (one line, at most 80 columns). */
export const ASCII_LADDER_KEY = "key: label row = sent, arrow row = arrived; #n = segment n in flight; X = lost";

export function renderAsciiLadder(trace: Trace, opts: AsciiLadderOptions = {}): string {
  const showTime = opts.time ?? true;
  const decimals = opts.timeDecimals ?? 3;
  const names = opts.names ?? { client: "client", server: "server" };
  const numbers = ladderNumbers(trace, opts.absolute);
  const waves = opts.waves === true ? teardownWaves(trace, numbers) : null;
  const timeW = showTime ? 8 : 0;
  const fixed = (showTime ? timeW + 2 : 0) + STATE_W + 2 + 2 + STATE_W;
  const W = Math.max(24, (opts.width ?? 80) - fixed);
  const half = Math.floor(W / 2);

  const rows: Row[] = [];
  const newRow = (time: number | null, mid: string, open: Record<EndpointName, boolean>): Row => {
    const r: Row = { time, client: "", server: "", mid, open };
    rows.push(r);
    return r;
  };
  const closed = (): Record<EndpointName, boolean> => ({ client: false, server: false });
  const only = (side: EndpointName): Record<EndpointName, boolean> => ({ client: side === "client", server: side === "server" });
  const text = (seg: SegmentRecord, index: number): string => {
    const mark = waves?.marks.get(index);
    return mark !== undefined && waves !== null ? waveLabel(seg, mark, waves, numbers) : segmentLabel(seg, numbers);
  };
  /** The label, wrapped at spaces into as many lines as it needs. */
  const labels = (seg: SegmentRecord, index: number, tag: string): string[] => {
    const main = tag + text(seg, index);
    const marks = segmentMarks(seg);
    const texts = wrap(main + marks, W - 4);
    return texts.map((t) => (seg.from === "client" ? `  ${t}`.padEnd(W) : `${t}  `.padStart(W)));
  };
  const rightward = (seg: SegmentRecord): boolean => seg.from === "client";
  const fullArrow = (seg: SegmentRecord): string => (rightward(seg) ? "-".repeat(W - 1) + ">" : "<" + "-".repeat(W - 1));
  const lostArrow = (seg: SegmentRecord): string =>
    rightward(seg) ? ("-".repeat(half - 1) + "X").padEnd(W) : ("X" + "-".repeat(half - 1)).padStart(W);
  const departure = (seg: SegmentRecord, n: number): string =>
    rightward(seg) ? ("-".repeat(half - 3) + ` #${n} ...`).padEnd(W) : (`... #${n} ` + "-".repeat(half - 3)).padStart(W);
  const arrival = (seg: SegmentRecord, n: number): string => {
    const tag = `#${n} ...`;
    return rightward(seg)
      ? (tag + "-".repeat(Math.max(3, W - half - 1 - tag.length)) + ">").padStart(W)
      : ("<" + "-".repeat(Math.max(3, W - half - 1 - tag.length)) + `... #${n}`).padEnd(W);
  };

  const placeState = (endpoint: EndpointName, t: number, state: string): void => {
    const last = rows[rows.length - 1];
    if (last && sameTime(last.time, t) && last.open[endpoint] && last[endpoint] === "") {
      last[endpoint] = state;
      return;
    }
    const r = newRow(t, " ".repeat(W), { client: true, server: true });
    r[endpoint] = state;
  };

  // The application's calls (trace.calls), merged in by time and by their place among the
  // trace's events (a read() that returns 0 comes after the FIN's arrival that made it so).
  const calls = opts.app === true ? [...(trace.calls ?? [])] : [];
  const position = new Map<object, number>();
  trace.events.forEach((ev, p) => position.set(ev, p));
  let nextCall = 0;
  const callsBefore = (t: number, pos: number | undefined): void => {
    while (nextCall < calls.length) {
      const c = calls[nextCall]!;
      const before = (pos !== undefined && c.index <= pos) || c.t < t - TIME_EPSILON;
      if (!before) break;
      const shown = `${c.call} -> ${c.result}`;
      newRow(c.t, (c.endpoint === "client" ? `  ${fit(shown, W - 4)}`.padEnd(W) : `${fit(shown, W - 4)}  `.padStart(W)), only(c.endpoint));
      nextCall++;
    }
  };

  const items = ladderItems(trace);
  const drawn = new Set<number>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.kind === "state") {
      callsBefore(item.change.t, position.get(item.change));
      placeState(item.change.endpoint, item.change.t, item.change.to);
      continue;
    }
    const seg = item.seg;
    if (item.kind === "arrive") {
      callsBefore(item.t, undefined);
      if (!drawn.has(item.index)) newRow(item.t, arrival(seg, item.index + 1), only(seg.to));
      continue;
    }
    callsBefore(seg.t, position.get(seg));
    // Is the arrival the next thing that happens, apart from state changes at the send
    // instant (the sender's, or a passive open)? Then the segment is drawn whole.
    const sameInstantState = (p: number): Extract<LadderItem, { kind: "state" }> | null => {
      const it = items[p];
      return it !== undefined && it.kind === "state" && sameTime(it.change.t, seg.t) ? it : null;
    };
    let run = i + 1;
    while (sameInstantState(run) !== null) run++;
    const afterRun = items[run];
    let k = i + 1;
    for (let st = sameInstantState(k); st !== null; st = sameInstantState(++k)) {
      // A change recorded just before a send it causes (CLOSE_WAIT → LAST_ACK, then the FIN)
      // belongs beside that send's label, not this one's.
      if (afterRun?.kind === "send" && afterRun.seg.from === st.change.endpoint && sameTime(afterRun.seg.t, seg.t)) break;
    }
    const after = items[k];
    // A call strictly between the send and the arrival (in time) needs its own row there.
    let callInFlight = false;
    if (after !== undefined && after.kind === "arrive") {
      // Calls are in time order: look only at those before the arrival.
      for (let c = nextCall; c < calls.length && calls[c]!.t < after.t - TIME_EPSILON; c++) {
        if (calls[c]!.t > seg.t + TIME_EPSILON) callInFlight = true;
      }
    }
    const whole = !seg.dropped && after !== undefined && after.kind === "arrive" && after.index === item.index && !callInFlight;
    const tag = whole || seg.dropped ? "" : `#${item.index + 1} `;
    const [first, ...more] = labels(seg, item.index, tag);
    // The label row is the send moment: the sender's state may be written on it.
    const prev = rows[rows.length - 1];
    if (prev && sameTime(prev.time, seg.t) && prev.mid.trim() === "" && prev[seg.to] === "" && prev.open[seg.from]) {
      prev.mid = first!;
      prev.open = only(seg.from);
    } else {
      newRow(seg.t, first!, only(seg.from));
    }
    // State changes at the send instant belong beside the label (the sender's, and the
    // receiver's passive open at t = 0) when its slot is free and no call of the
    // application's comes first; the rest get rows of their own, after the departure.
    const label = rows[rows.length - 1]!;
    const later: StateChangeRecord[] = [];
    for (let m = i + 1; m < k; m++) {
      const change = (items[m] as Extract<LadderItem, { kind: "state" }>).change;
      const pos = position.get(change);
      const callFirst = nextCall < calls.length && pos !== undefined && calls[nextCall]!.index <= pos;
      if (!callFirst && later.length === 0 && label[change.endpoint] === "") label[change.endpoint] = change.to;
      else later.push(change);
    }
    i = k - 1;
    for (const extra of more) newRow(null, extra, closed());
    if (seg.dropped) newRow(null, lostArrow(seg), closed());
    else if (!whole) newRow(null, departure(seg, item.index + 1), closed());
    for (const change of later) {
      callsBefore(change.t, position.get(change));
      placeState(change.endpoint, change.t, change.to);
    }
    if (whole && after !== undefined && after.kind === "arrive") {
      callsBefore(after.t, undefined);
      newRow(after.t, fullArrow(seg), only(seg.to));
      drawn.add(item.index);
      i = k;
    }
  }
  callsBefore(Infinity, Infinity);

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
      const t = r.time.toFixed(decimals);
      if (t !== lastTime) time = t;
      lastTime = t;
    }
    out.push(line(time, r.client, "|", r.mid, "|", r.server));
  }
  out.push(line("", "", "v", headMid, "v", ""));
  if (opts.key ?? true) {
    out.push(ASCII_LADDER_KEY);
    out.push(numbers === ABSOLUTE_NUMBERS ? "seq/ack: as on the wire (absolute)" : "seq/ack: relative to each side's initial sequence number (ISN)");
  }
  return out.join("\n") + "\n";
}
