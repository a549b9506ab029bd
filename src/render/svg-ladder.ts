/**
 * The SVG ladder diagram: two vertical timelines (client left, server right), one slanted
 * arrow per segment from its send time to its arrival time, a lost segment ending in an X
 * half-way, each side's states written beside its timeline, and time ticks on the left.
 *
 * The vertical axis is ordinal: every distinct moment gets one slot, so a 60 s TIME_WAIT
 * does not squash the 50 ms flights; a long pause is drawn as a dashed stretch of both
 * timelines, and the tick labels give the real times.
 *
 * Sequence numbers are relative to each side's ISN unless `absolute` is set; `waves` labels
 * the four segments of a normal close ①–④ with u, u+1, v, v+1; `timers` draws the trace's
 * timer spans (trace.timers: RTO, 2MSL, delayed ACK, FIN_WAIT_2) as thin bars beside each
 * lifeline, labelled with their length; `app` writes each side's application calls
 * (trace.calls: "close() → 0", "read() → ECONNRESET") beside its lifeline.
 *
 * For an in-page stepper every segment is a <g class="segment" data-index="i"> (i counts
 * segments in trace order from 0) and every state label a <g class="state" data-endpoint=…
 * data-state=… data-after-index=…>; adding the class "current" to a segment highlights it.
 */
import type { EndpointName, SegmentRecord, TimerKind, TimerSpan, Trace } from "../sim/trace.js";
import {
  ABSOLUTE_NUMBERS, arrivalTime, isDuplicate, ladderItems, ladderNumbers, segmentLabel, segmentMarks, teardownWaves, TIME_EPSILON, waveLabel,
} from "./ladder-events.js";
import { escapeXml, num, safeId, svgHead } from "./svg-util.js";

export interface SvgLadderOptions {
  /** Total width in px. Default 720. */
  readonly width?: number;
  /** Vertical distance between two moments, px. Default 46. */
  readonly slotHeight?: number;
  /** Decimals of the time ticks. Default 3. */
  readonly timeDecimals?: number;
  /** Prefix for ids, so two ladders can share a page. Default "tcp-ladder". */
  readonly idPrefix?: string;
  /** Override the <title>. */
  readonly title?: string;
  /** Column headings. Default "client" and "server". */
  readonly names?: Readonly<Record<EndpointName, string>>;
  /** Raw sequence numbers as the trace has them. Default false: relative to each side's ISN. */
  readonly absolute?: boolean;
  /** Label the four segments of a normal close ①–④ with u, u+1, v, v+1. Default false. */
  readonly waves?: boolean;
  /** Draw the trace's timer spans as bars beside the lifelines. Default true when the trace has them. */
  readonly timers?: boolean;
  /** Write each side's application calls and their results beside its lifeline. Default false. */
  readonly app?: boolean;
}

const TIMER_NAMES: Readonly<Record<TimerKind, string>> = {
  rto: "RTO", "2msl": "2MSL", "fin-wait-2": "FIN_WAIT_2 timer", "delayed-ack": "delayed ACK",
};
/** Bars of timers that can run together sit in different lanes. */
const TIMER_LANES: Readonly<Record<TimerKind, number>> = { rto: 0, "2msl": 0, "delayed-ack": 1, "fin-wait-2": 1 };

/** "200 ms", "1 s", "60 s": a timer's length as a learner reads it. */
export function formatTimerLength(seconds: number): string {
  // Rounded to the millisecond first: virtual times are sums of floats (1.15 - 0.15 < 1).
  const ms = Math.round(seconds * 1000);
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(3))} s`;
}

const STYLE = `
.tcp-ladder { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
.tcp-ladder .timeline { stroke: currentColor; stroke-width: 2; }
.tcp-ladder .timeline.pause { stroke-dasharray: 3 4; stroke-width: 1.5; }
.tcp-ladder .heading { fill: currentColor; font-size: 14px; font-weight: 700; }
.tcp-ladder .tick line { stroke: currentColor; stroke-opacity: 0.35; }
.tcp-ladder .tick text { fill: currentColor; fill-opacity: 0.75; font-size: 10px; font-variant-numeric: tabular-nums; }
.tcp-ladder .state text { fill: currentColor; font-size: 12px; font-weight: 600; }
.tcp-ladder .segment line { stroke: currentColor; stroke-width: 1.6; }
.tcp-ladder .segment text { fill: currentColor; font-size: 11px; paint-order: stroke; stroke: white; stroke: Canvas; stroke-width: 3px; stroke-linejoin: round; }
.tcp-ladder .segment.retransmission line { stroke-dasharray: 6 3; }
.tcp-ladder .segment.lost line { stroke: #e03131; }
.tcp-ladder .segment.lost path.x { stroke: #e03131; stroke-width: 2.5; fill: none; }
.tcp-ladder .segment.current line { stroke: #e8590c; stroke-width: 3; }
.tcp-ladder .segment.current text { fill: #e8590c; font-weight: 700; }
.tcp-ladder .timer line { stroke-width: 3; stroke-linecap: butt; stroke-opacity: 0.55; }
.tcp-ladder .timer.rto line { stroke: #1c7ed6; }
.tcp-ladder .timer.twomsl line { stroke: #7048e8; }
.tcp-ladder .timer.delayed-ack line { stroke: #2f9e44; }
.tcp-ladder .timer.fin-wait-2 line { stroke: #f08c00; }
.tcp-ladder .timer line.cap { stroke-width: 2; stroke-opacity: 0.9; }
.tcp-ladder .timer text { fill: currentColor; fill-opacity: 0.8; font-size: 9px; }
.tcp-ladder .app text { fill: currentColor; font-size: 11px; font-style: italic; }
`;

/** Slots: distinct moments in time order, merging times closer than TIME_EPSILON. */
function moments(trace: Trace): number[] {
  const times: number[] = [];
  for (const ev of trace.events) {
    times.push(ev.t);
    if (ev.type === "segment") {
      const at = arrivalTime(ev);
      if (at !== null) times.push(Math.max(at, ev.t));
    }
  }
  times.sort((a, b) => a - b);
  const out: number[] = [];
  for (const t of times) if (out.length === 0 || t - out[out.length - 1]! > TIME_EPSILON) out.push(t);
  return out;
}

/**
 * The slot of time `t`: the index of the moment nearest to it, the first of equally near ones
 * (what a scan from the start finds), by binary search over the sorted moments: O(log n)
 * where a scan per segment made drawing a large trace quadratic.
 */
export function nearestSlot(times: readonly number[], t: number): number {
  if (times.length === 0) return 0;
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  // Distances fall up to lo - 1 and rise from lo; the nearest is one of the two.
  const d = (i: number): number => Math.abs(times[i]! - t);
  let best = lo >= times.length || (lo > 0 && !(d(lo) < d(lo - 1))) ? lo - 1 : lo;
  // A scan keeps the first of equal distances (rounding can make two equal).
  while (best > 0 && d(best - 1) === d(best)) best--;
  return best;
}

export function renderSvgLadder(trace: Trace, opts: SvgLadderOptions = {}): string {
  const id = safeId(opts.idPrefix ?? "tcp-ladder");
  const width = opts.width ?? 720;
  const slotH = opts.slotHeight ?? 46;
  const decimals = opts.timeDecimals ?? 3;
  const names = opts.names ?? { client: "client", server: "server" };
  const numbers = ladderNumbers(trace, opts.absolute);
  const waves = opts.waves === true ? teardownWaves(trace, numbers) : null;
  const labelOf = (s: SegmentRecord, index: number): string => {
    const mark = waves?.marks.get(index);
    return mark !== undefined && waves !== null ? waveLabel(s, mark, waves, numbers) : segmentLabel(s, numbers);
  };
  const timers: readonly TimerSpan[] = opts.timers === false ? [] : trace.timers ?? [];
  const calls = opts.app === true ? trace.calls ?? [] : [];
  const xL = Math.round(width * 0.26);
  const xR = Math.round(width * 0.8);
  const top = 78;

  const times = moments(trace);
  const slotIndex = (t: number): number => nearestSlot(times, t);
  const segments = trace.events.filter((e): e is SegmentRecord => e.type === "segment");
  // A burst (segments sent, or arriving, at one instant on one side) is fanned out by
  // BURST_STEP px per segment so the arrows don't lie on top of each other; the slot grows to fit.
  const BURST_STEP = 20;
  // One counter per (slot, side): arrivals at an instant come first, then what that side sends.
  const rank = new Map<string, number>();
  const next = (key: string): number => {
    const r = rank.get(key) ?? 0;
    rank.set(key, r + 1);
    return r;
  };
  const extra = new Array<number>(times.length).fill(0);
  const arriveRank = segments.map((sg) => {
    const at = arrivalTime(sg);
    if (at === null) return 0;
    const ai = slotIndex(Math.max(at, sg.t));
    const q = next(`${ai}:${sg.to}`);
    extra[ai] = Math.max(extra[ai]!, q);
    return q;
  });
  const sendRank = segments.map((sg) => {
    const si = slotIndex(sg.t);
    const r = next(`${si}:${sg.from}`);
    extra[si] = Math.max(extra[si]!, r);
    return r;
  });
  // A pause much longer than the typical step (a 2MSL wait, an RTO) gets extra room and a dashed timeline.
  const gaps = times.slice(1).map((t, i) => t - times[i]!).filter((g) => g > 0).sort((a, b) => a - b);
  const typical = gaps.length > 0 ? gaps[Math.floor(gaps.length / 2)]! : 0;
  const ys: number[] = [];
  const pauses: Array<[number, number]> = [];
  let y = top;
  times.forEach((t, i) => {
    if (i > 0) {
      const gap = t - times[i - 1]!;
      const isPause = typical > 0 && gap > 10 * typical;
      y += (isPause ? slotH * 1.6 : slotH) + extra[i - 1]! * BURST_STEP;
      if (isPause) pauses.push([ys[i - 1]!, y]);
    }
    ys.push(y);
  });
  const yOf = (t: number): number => ys[slotIndex(t)] ?? top;
  const bottom = (ys[ys.length - 1] ?? top) + slotH + (extra[extra.length - 1] ?? 0) * BURST_STEP;
  const height = bottom + 30;
  const xOf = (e: EndpointName): number => (e === "client" ? xL : xR);

  const title = opts.title ?? `Ladder diagram: ${trace.name}`;
  const summary = segments
    .map((s, i) => `${s.t.toFixed(decimals)} s ${s.from} → ${s.to}: ${labelOf(s, i)}${segmentMarks(s)}`)
    .join("; ");
  const desc =
    `${names.client} on the left, ${names.server} on the right, time running down. ` +
    `${segments.length} segment${segments.length === 1 ? "" : "s"}. ` +
    `${names.client}: ${trace.initial.client} to ${trace.final.client}; ${names.server}: ${trace.initial.server} to ${trace.final.server}. ` +
    `${numbers === ABSOLUTE_NUMBERS ? "Sequence numbers as on the wire." : "Sequence numbers relative to each side's initial sequence number."} ${summary}`;

  const out: string[] = [
    ...svgHead({
      className: "tcp-ladder", width, height, id, title, desc, style: STYLE, markers: { arrow: "currentColor" },
    }),
    `<text class="heading" x="${xL}" y="22" text-anchor="middle">${escapeXml(names.client)}</text>`,
    `<text class="heading" x="${xR}" y="22" text-anchor="middle">${escapeXml(names.server)}</text>`,
  ];

  // Timelines, dashed across long pauses.
  const firstY = top - 24;
  for (const x of [xL, xR]) {
    let from = firstY;
    for (const [a, b] of pauses) {
      out.push(`<line class="timeline" x1="${x}" y1="${num(from)}" x2="${x}" y2="${num(a)}"/>`);
      out.push(`<line class="timeline pause" x1="${x}" y1="${num(a)}" x2="${x}" y2="${num(b)}"/>`);
      from = b;
    }
    out.push(`<line class="timeline" x1="${x}" y1="${num(from)}" x2="${x}" y2="${num(bottom)}"/>`);
  }

  out.push('<g class="ticks">');
  times.forEach((t, i) => {
    const ty = ys[i]!;
    out.push(
      `<g class="tick" data-t="${t}"><line x1="${xL - 6}" y1="${num(ty)}" x2="${xR + 6}" y2="${num(ty)}" stroke-dasharray="1 5"/>` +
        `<text x="8" y="${num(ty + 3.5)}">${t.toFixed(decimals)} s</text></g>`,
    );
  });
  out.push("</g>");

  // States: the initial ones above the first moment, then each change beside its side.
  const stacked = new Map<string, number>();
  const stateLabel = (endpoint: EndpointName, state: string, sy: number, t: number | null, after = -1): string => {
    const key = `${endpoint}@${num(sy)}`;
    const k = stacked.get(key) ?? 0;
    stacked.set(key, k + 1);
    const x = endpoint === "client" ? xL - 10 : xR + 10;
    const anchor = endpoint === "client" ? "end" : "start";
    return (
      `<g class="state" data-endpoint="${endpoint}" data-state="${state}"${t === null ? ' data-initial="true"' : ` data-t="${t}"`} data-after-index="${after}">` +
      `<text x="${x}" y="${num(sy + 4 + k * 14)}" text-anchor="${anchor}">${state}</text></g>`
    );
  };
  out.push('<g class="states">');
  out.push(stateLabel("client", trace.initial.client, top - 34, null));
  out.push(stateLabel("server", trace.initial.server, top - 34, null));
  // data-after-index: the last segment (sent or arrived) before this change, so a stepper
  // showing segments 0…i shows exactly the states with data-after-index <= i.
  let seen = -1;
  for (const item of ladderItems(trace)) {
    if (item.kind === "state") out.push(stateLabel(item.change.endpoint, item.change.to, yOf(item.change.t), item.change.t, seen));
    else seen = Math.max(seen, item.index);
  }
  out.push("</g>");
  if (calls.length > 0) {
    // The applications' calls, beside each side's lifeline like its states (stacked under them).
    out.push('<g class="app">');
    for (const c of calls) {
      const cy = yOf(c.t);
      const key = `${c.endpoint}@${num(cy)}`;
      const k = stacked.get(key) ?? 0;
      stacked.set(key, k + 1);
      const x = c.endpoint === "client" ? xL - 10 : xR + 10;
      out.push(
        `<g class="call" data-endpoint="${c.endpoint}" data-t="${c.t}"><text x="${x}" y="${num(cy + 4 + k * 14)}" text-anchor="${c.endpoint === "client" ? "end" : "start"}">` +
          `${escapeXml(`${c.call} → ${c.result}`)}</text></g>`,
      );
    }
    out.push("</g>");
  }

  if (timers.length > 0) {
    // Timer bars just inside each lifeline, one lane per kind that can overlap; a fired timer
    // ends in a cap, a stopped one does not. The slots are ordinal, so the label gives the length.
    out.push('<g class="timers">');
    for (const tm of timers) {
      const lane = TIMER_LANES[tm.kind];
      const x = tm.endpoint === "client" ? xL + 6 + lane * 6 : xR - 6 - lane * 6;
      const y1 = yOf(tm.start);
      const y2 = tm.end === null ? bottom : yOf(tm.end);
      const cls = `timer ${tm.kind === "2msl" ? "twomsl" : tm.kind} ${tm.ended}`;
      const length = tm.end === null ? "running" : formatTimerLength(tm.end - tm.start);
      const label = `${TIMER_NAMES[tm.kind]} ${length}`;
      const how = tm.ended === "fired" ? "fired" : tm.ended === "stopped" ? "stopped" : "still running";
      const tx = tm.endpoint === "client" ? x + 4 : x - 4;
      out.push(
        `<g class="${cls}" data-endpoint="${tm.endpoint}" data-kind="${tm.kind}" data-start="${tm.start}" data-end="${tm.end ?? ""}" data-ended="${tm.ended}">` +
          `<title>${escapeXml(`${tm.endpoint}: ${label}, ${how}`)}</title>` +
          `<line x1="${x}" y1="${num(y1)}" x2="${x}" y2="${num(Math.max(y2, y1 + 4))}"/>` +
          (tm.ended === "fired" ? `<line class="cap" x1="${x - 4}" y1="${num(y2)}" x2="${x + 4}" y2="${num(y2)}"/>` : "") +
          // A bar too short for its label keeps it in the tooltip only.
          (y2 - y1 >= 6 * label.length ? `<text x="${tx}" y="${num(y1 + 6)}" transform="rotate(90 ${tx} ${num(y1 + 6)})">${escapeXml(label)}</text>` : "") +
          "</g>",
      );
    }
    out.push("</g>");
  }

  out.push('<g class="segments">');
  segments.forEach((s, index) => {
    const x1 = xOf(s.from);
    const y1 = yOf(s.t) + sendRank[index]! * BURST_STEP;
    const at = arrivalTime(s);
    const x2full = xOf(s.to);
    let x2: number;
    let y2: number;
    if (at === null) {
      x2 = (x1 + x2full) / 2;
      y2 = y1 + slotH / 2;
    } else {
      x2 = x2full;
      y2 = yOf(Math.max(at, s.t)) + arriveRank[index]! * BURST_STEP;
    }
    const cls = `segment${s.retransmission ? " retransmission" : ""}${isDuplicate(s) ? " duplicate" : ""}${s.dropped ? " lost" : ""}`;
    const text = labelOf(s, index) + segmentMarks(s);
    const angle = (Math.atan2(y2 - y1, x2 - x1) * 180) / Math.PI;
    // Keep text upright: a leftward arrow's label reads left to right too.
    const upright = angle > 90 || angle < -90 ? angle - 180 : angle;
    // Labels start at the sender: above a rightward arrow, below a leftward one, so the
    // labels of two crossing arrows (simultaneous open or close) never overlap.
    const rightward = s.from === "client";
    const f = 0.04;
    const lx = x1 + (x2 - x1) * f;
    const ly = y1 + (y2 - y1) * f;
    const anchor = rightward ? "start" : "end";
    const dy = rightward ? -5 : 13;
    const attrs =
      `class="${cls}" data-index="${index}" data-from="${s.from}" data-to="${s.to}" data-flags="${s.flags.join(" ")}" ` +
      `data-seq="${s.seq}" data-ack="${s.ack}" data-len="${s.len}" data-t="${s.t}"` +
      (at === null ? ' data-dropped="true"' : ` data-arrives="${at}"`);
    const parts = [
      `<g ${attrs}><title>${escapeXml(`${s.from} → ${s.to}: ${text}. ${s.explanation}`)}</title>`,
      `<line x1="${x1}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}"${at === null ? "" : ` marker-end="url(#${id}-arrow)"`}/>`,
    ];
    if (at === null) {
      parts.push(`<path class="x" d="M${num(x2 - 6)},${num(y2 - 6)} L${num(x2 + 6)},${num(y2 + 6)} M${num(x2 - 6)},${num(y2 + 6)} L${num(x2 + 6)},${num(y2 - 6)}"/>`);
    }
    parts.push(
      `<text x="${num(lx)}" y="${num(ly + dy)}" text-anchor="${anchor}" transform="rotate(${num(upright)} ${num(lx)} ${num(ly)})">${escapeXml(text)}</text></g>`,
    );
    out.push(parts.join(""));
  });
  out.push("</g>");
  out.push("</svg>");
  return out.join("\n") + "\n";
}
