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
import { isCausedBy, ladderItems, sameTime, segmentLabel, segmentMarks, type LadderItem } from "./ladder-events.js";

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
 */
export function untangle(input: readonly LadderItem[]): LadderItem[] {
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
