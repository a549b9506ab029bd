/**
 * The kernel ladder: a demo's captured segments and the kernel's own state changes of both
 * endpoints joined into one `Trace`, so the ladder renderers (renderAsciiLadder,
 * renderSvgLadder) draw the packets with the states the kernel really went through written on
 * both sides. A packet capture shows segments without states; a state tracer shows states
 * without segments; this is both on one picture.
 *
 * The segments are the replayed capture's (`result.traces`, times in seconds since the
 * connection's first captured segment, pcap wall-clock); the state changes are
 * `result.transitions` (CLOCK_MONOTONIC seconds since the demo started). The two clocks are
 * aligned by one anchor: connect() sets SYN_SENT and sends the SYN in the same system call
 * (tcp_v4_connect(), net/ipv4/tcp_ipv4.c: tcp_set_state(sk, TCP_SYN_SENT), then
 * tcp_connect() transmits the SYN), microseconds apart, so
 *   offset = time of the connection's first captured SYN − time of the client's CLOSED → SYN_SENT,
 * or, without either, first captured segment − first transition. Capture connection i is
 * joined with transition connection i (both are numbered in order of first appearance, and
 * each connection starts with the client's SYN_SENT just before its SYN).
 *
 * The anchor leaves an error of those microseconds, as large as the gaps between a state
 * change and its segment on loopback, so order is not taken from the clock alone. Each
 * transition is attached to the segment it goes with, as the kernel makes it:
 * - a sender's change comes just before the segment it sends (connect() → SYN_SENT then the
 *   SYN; close() → FIN_WAIT_1 or LAST_ACK then the FIN; an abort → CLOSED then the RST):
 *   the nearest such segment from that endpoint within SEND_WINDOW;
 * - a receiver's change comes on the arrival of the segment that caused it (a FIN →
 *   CLOSE_WAIT / TIME_WAIT, the ACK of our FIN → FIN_WAIT_2 / CLOSED, a RST → CLOSED, and on
 *   Linux the handshake's ACK → SYN_RCVD, ESTABLISHED together: see HANDSHAKE_TRANSITIONS in
 *   compare.ts): the last such segment to that endpoint at most RECEIVE_WINDOW before it
 *   (a capture timestamps a segment when it is sent; its receiver handles it later).
 * An attached change is drawn at its segment's time (the kernel's own time stays in its
 * explanation and in `result.transitions`); a receiver's names the segment as
 * `causeSegment`, which puts it right after that arrival. A change with no segment (a timer,
 * or the demo's cleanup after the capture stopped) stays at its own aligned time. Each
 * endpoint's changes keep the kernel's order whatever the attachment says.
 */
import type { TcpEvent } from "../fsm/events.js";
import type { TcpState } from "../fsm/states.js";
import type { AppCall, EndpointName, Flag, SegmentRecord, StateChangeRecord, Trace, TraceEvent } from "../sim/trace.js";
import type { TraceSource } from "../trace/records.js";
import type { DemoResult, DemoTransition } from "./types.js";
import { segmentsOf } from "../teaching/trace-helpers.js";

/** How far (s) a sender's change may be from the segment it sends, after alignment. */
export const SEND_WINDOW = 0.005;
/** How long (s) before a receiver's change the segment that caused it may have been captured. */
export const RECEIVE_WINDOW = 0.005;
/** A receiver's change never precedes its cause's capture; this much slack (s) for clock rounding. */
const RECEIVE_SLACK = 0.0001;

export type LadderAnchor = "syn" | "first-segment" | "none";

export interface KernelLadder {
  /** 1-based: the capture's connection and the transitions' connection of the same number. */
  readonly connection: number;
  /** Segments (from the capture, when there is one) and the kernel's state changes. */
  readonly trace: Trace;
  /** Seconds added to the kernel's times to put them on the capture's clock; with no capture, minus the first transition's time. */
  readonly offset: number;
  /** "syn": the first SYN and the client's CLOSED → SYN_SENT; "first-segment": first segment and first transition; "none": no capture. */
  readonly anchor: LadderAnchor;
  /** Transitions drawn beside no segment (timers, the cleanup after the capture stopped, or no capture at all). */
  readonly unattached: number;
}

type Role = "send" | "receive";
interface Link {
  readonly role: Role;
  readonly flag: Flag;
}

/** Which segment a kernel transition goes with: the sender's segment it precedes, or the arrival that caused it. */
function linksOf(from: TcpState, to: TcpState): readonly Link[] {
  const send = (flag: Flag): Link => ({ role: "send", flag });
  const receive = (flag: Flag): Link => ({ role: "receive", flag });
  if (from === "CLOSED" && to === "SYN_SENT") return [send("SYN")];
  if (to === "FIN_WAIT_1" || (from === "CLOSE_WAIT" && to === "LAST_ACK")) return [send("FIN")];
  // Linux creates the connection's socket on the handshake's ACK (tcp_check_req()); elsewhere, the SYN.
  if (from === "LISTEN" && to === "SYN_RCVD") return [receive("ACK"), receive("SYN")];
  if (from === "SYN_SENT" && (to === "ESTABLISHED" || to === "SYN_RCVD")) return [receive("SYN")];
  if (to === "CLOSE_WAIT" || to === "CLOSING" || (to === "TIME_WAIT" && from !== "CLOSING")) return [receive("FIN")];
  if (to === "ESTABLISHED" || to === "FIN_WAIT_2" || to === "TIME_WAIT" || (from === "LAST_ACK" && to === "CLOSED")) return [receive("ACK")];
  if (to === "CLOSED" && from !== "TIME_WAIT") return [send("RST"), receive("RST")];
  return [];
}

/** The table event the change stands for (the kernel does not say; the segment it goes with does). */
function causeOf(from: TcpState, to: TcpState, link: Link | undefined, seg: SegmentRecord | undefined): TcpEvent {
  if (link === undefined) {
    if (from === "TIME_WAIT") return "TIME_WAIT_TIMEOUT";
    if (from === "FIN_WAIT_2" && to === "CLOSED") return "FIN_WAIT_2_TIMEOUT";
    if (from === "CLOSED" && to === "SYN_SENT") return "ACTIVE_OPEN";
    return "CLOSE";
  }
  if (link.role === "send") return link.flag === "SYN" ? "ACTIVE_OPEN" : "CLOSE";
  switch (link.flag) {
    case "RST":
      return "RCV_RST";
    case "SYN":
      return seg?.flags.includes("ACK") ? "RCV_SYN_ACK" : "RCV_SYN";
    case "FIN":
      return to === "TIME_WAIT" ? "RCV_FIN_ACK_OF_FIN" : "RCV_FIN";
    default:
      return to === "FIN_WAIT_2" || to === "TIME_WAIT" || (from === "LAST_ACK" && to === "CLOSED") ? "RCV_ACK_OF_FIN" : "RCV_ACK";
  }
}

const SOURCE_REFS: Readonly<Record<TraceSource, string>> = {
  tracepoint: "Linux: tracepoint sock:inet_sock_set_state",
  timewait: "Linux: tcp_time_wait() (net/ipv4/tcp_minisocks.c); the timewait socket seen in /proc/net/tcp",
  peer: "Linux: tcp_timewait_state_process() (net/ipv4/tcp_minisocks.c), no tracepoint; dated by the peer's LAST_ACK → CLOSED",
  procfs: "Linux: the timewait socket gone from /proc/net/tcp (polled)",
};

interface Attachment {
  readonly index: number;
  readonly link: Link;
}

/** Find the segment a transition at aligned time `t` goes with. */
function attach(tr: DemoTransition, t: number, segments: readonly SegmentRecord[]): Attachment | undefined {
  for (const link of linksOf(tr.from, tr.to)) {
    let best: number | undefined;
    segments.forEach((s, i) => {
      if (!s.flags.includes(link.flag)) return;
      if (link.role === "send") {
        if (s.from !== tr.endpoint || Math.abs(s.t - t) > SEND_WINDOW) return;
        if (best === undefined || Math.abs(s.t - t) < Math.abs(segments[best]!.t - t)) best = i;
      } else {
        if (s.to !== tr.endpoint || s.t > t + RECEIVE_SLACK || s.t < t - RECEIVE_WINDOW) return;
        best = i; // the last one before the change
      }
    });
    if (best !== undefined) return { index: best, link };
  }
  return undefined;
}

function flagText(flags: readonly Flag[]): string {
  return flags.length === 0 ? "no flags" : flags.join("+");
}

interface Placed {
  readonly tr: DemoTransition;
  /** Kernel time on the ladder's clock. */
  readonly aligned: number;
  /** 2i: before segment i; 2i + 1: after it; 2j − 0.5: between segment j − 1's group and segment j's. */
  pos: number;
  at: Attachment | undefined;
  readonly order: number;
}

/**
 * One ladder trace from a connection's segments (possibly none) and its kernel transitions,
 * the transitions already shifted by `offset` onto the segments' clock.
 */
function joinLadder(name: string, segments: readonly SegmentRecord[], transitions: readonly DemoTransition[], offset: number): { trace: Trace; unattached: number } {
  const placed: Placed[] = transitions.map((tr, order) => {
    const aligned = tr.t + offset;
    const at = attach(tr, aligned, segments);
    const before = segments.filter((s) => s.t <= aligned).length;
    const pos = at === undefined ? 2 * before - 0.5 : 2 * at.index + (at.link.role === "send" ? 0 : 1);
    return { tr, aligned, pos, at, order };
  });
  // Each endpoint's changes stay in the kernel's order: a change placed before its
  // predecessor (an attachment the clocks got wrong) is moved to just after it, unattached.
  for (const endpoint of ["client", "server"] as const) {
    let last = -Infinity;
    for (const p of placed) {
      if (p.tr.endpoint !== endpoint) continue;
      if (p.pos < last) {
        p.pos = last;
        p.at = undefined;
      }
      last = p.pos;
    }
  }
  placed.sort((a, b) => a.pos - b.pos || a.order - b.order);

  const change = (p: Placed, t: number): StateChangeRecord => {
    const seg = p.at ? segments[p.at.index] : undefined;
    const how = p.at && seg
      ? p.at.link.role === "send"
        ? `, just before it sent the ${flagText(seg.flags)}`
        : `, on the arrival of the ${flagText(seg.flags)}`
      : "; no captured segment goes with it";
    return {
      type: "state",
      t,
      endpoint: p.tr.endpoint,
      from: p.tr.from,
      to: p.tr.to,
      cause: causeOf(p.tr.from, p.tr.to, p.at?.link, seg),
      ...(p.at?.link.role === "receive" && { causeSegment: p.at.index }),
      ref: SOURCE_REFS[p.tr.source],
      explanation: `${p.tr.endpoint}: the kernel's ${p.tr.from} → ${p.tr.to} at ${p.tr.t.toFixed(6)} s of the demo (${p.tr.source})${how}.`,
    };
  };
  const events: TraceEvent[] = [];
  let k = 0;
  let now = -Infinity;
  const push = (e: TraceEvent): void => {
    events.push(e);
    now = Math.max(now, e.t);
  };
  segments.forEach((s, i) => {
    // Everything placed before this segment's "after" group: unattached changes up to it, and its sender's changes.
    while (k < placed.length && placed[k]!.pos <= 2 * i) {
      const p = placed[k++]!;
      push(change(p, p.at ? s.t : Math.max(now, Math.min(p.aligned, s.t))));
    }
    push({ ...s, explanation: `${s.from} → ${s.to}: ${flagText(s.flags)}${s.len > 0 ? `, ${s.len} byte(s) of data` : ""}, captured at ${s.t.toFixed(6)} s.` });
    const next = segments[i + 1]?.t ?? Infinity;
    while (k < placed.length && placed[k]!.pos <= 2 * i + 1) {
      const p = placed[k++]!;
      push(change(p, p.at ? s.t : Math.max(now, Math.min(p.aligned, next))));
    }
  });
  while (k < placed.length) {
    const p = placed[k++]!;
    push(change(p, Math.max(now, p.aligned)));
  }
  const initial: Record<EndpointName, TcpState> = { client: "CLOSED", server: "CLOSED" };
  const final: Record<EndpointName, TcpState> = { client: "CLOSED", server: "CLOSED" };
  for (const endpoint of ["client", "server"] as const) {
    const mine = transitions.filter((t) => t.endpoint === endpoint);
    // No transition: the kernel had no socket for this end (nothing listened), so CLOSED.
    initial[endpoint] = mine[0]?.from ?? "CLOSED";
    final[endpoint] = mine[mine.length - 1]?.to ?? initial[endpoint];
  }
  const unattached = placed.filter((p) => p.at === undefined).length;
  return { trace: { name, profile: "linux", seed: 0, events, initial, final }, unattached };
}

/** The transitions of one connection, in the kernel's order. */
function connectionTransitions(result: Pick<DemoResult, "transitions">, connection: number): DemoTransition[] {
  return result.transitions.filter((t) => t.connection === connection);
}

/**
 * One kernel ladder per connection: per captured connection when the demo ran with a working
 * capture (a transition connection with no captured counterpart, such as the capture's own
 * barrier SYN to the other loopback address, is left out), else one per traced connection
 * from the transitions alone (no segments; times since the connection's first transition).
 * Empty when there is neither.
 */
export function kernelLadders(result: KernelLadderInput): KernelLadder[] {
  const ladders = laddersOf(result);
  // What the applications called (demo `app`) carries no connection number: it goes on the
  // ladder only when the demo has one connection, on the same aligned clock as its transitions.
  if (ladders.length !== 1 || !result.app || result.app.length === 0) return ladders;
  const only = ladders[0]!;
  return [{ ...only, trace: withCalls(only.trace, result.app, only.offset) }];
}

/** What kernelLadders reads of a demo result (`app` is optional: older results lack it). */
export type KernelLadderInput = Pick<DemoResult, "demo" | "transitions" | "traces" | "capture"> & { readonly app?: DemoResult["app"] };

function withCalls(trace: Trace, app: DemoResult["app"], offset: number): Trace {
  const calls: AppCall[] = app.map((c) => {
    const t = c.t + offset;
    // Its place among the events: after everything the kernel did up to that instant.
    const index = trace.events.filter((e) => e.t <= t).length;
    return { t, endpoint: c.endpoint, call: c.call, result: c.result, index };
  });
  return { ...trace, calls };
}

function laddersOf(result: Pick<DemoResult, "demo" | "transitions" | "traces" | "capture">): KernelLadder[] {
  const captured = result.traces ?? [];
  if (captured.length > 0) {
    return captured.map((capture, i) => {
      const connection = i + 1;
      const transitions = connectionTransitions(result, connection);
      const segments = segmentsOf(capture);
      const syn = segments.find((s) => s.from === "client" && s.flags.includes("SYN") && !s.flags.includes("ACK"));
      const synSent = transitions.find((t) => t.endpoint === "client" && t.from === "CLOSED" && t.to === "SYN_SENT");
      let anchor: LadderAnchor = "syn";
      let offset = 0;
      if (syn && synSent) offset = syn.t - synSent.t;
      else if (segments[0] && transitions[0]) {
        anchor = "first-segment";
        offset = segments[0].t - transitions[0].t;
      }
      const { trace, unattached } = joinLadder(`kernel ladder: ${capture.name}`, segments, transitions, offset);
      return { connection, trace, offset, anchor, unattached };
    });
  }
  return demoConnections(result).map((connection) => {
    const transitions = connectionTransitions(result, connection);
    const offset = -(transitions[0]?.t ?? 0);
    const { trace, unattached } = joinLadder(`kernel transitions: ${result.demo} connection ${connection} (no capture)`, [], transitions, offset);
    return { connection, trace, offset, anchor: "none" as const, unattached };
  });
}

/** The kernel ladders' traces, one per connection, for renderAsciiLadder / renderSvgLadder. */
export function kernelLadder(result: KernelLadderInput): Trace[] {
  return kernelLadders(result).map((l) => l.trace);
}

/**
 * The demo's own traced connections. With a working capture, a connection numbered after the
 * captured ones is the capture's barrier (the SYN tcpdump's stop sends to the demo's port on
 * the other loopback address, src/capture/tcpdump.ts), not the demo's: left out.
 */
export function demoConnections(result: Pick<DemoResult, "transitions" | "capture">): number[] {
  const all = [...new Set(result.transitions.map((t) => t.connection))].sort((a, b) => a - b);
  const capture = result.capture;
  if (!capture?.ok) return all;
  return all.filter((c) => c <= capture.connections);
}

/**
 * The text output's lines on the kernel's transitions: per connection and endpoint
 * "kernel: client CLOSED → SYN_SENT → ESTABLISHED → …", or why there are none.
 */
export function formatKernelSequences(result: Pick<DemoResult, "transitions" | "tracing" | "capture">, ascii = false): string {
  const arrow = ascii ? " -> " : " → ";
  if (!result.tracing.ok) return `transitions not recorded: ${result.tracing.reason}\n`;
  const lines: string[] = [];
  const connections = demoConnections(result);
  const many = connections.length > 1;
  for (const c of connections) {
    for (const endpoint of ["client", "server"] as const) {
      const mine = result.transitions.filter((t) => t.connection === c && t.endpoint === endpoint);
      if (mine.length === 0) continue;
      const states = [mine[0]!.from, ...mine.map((t) => t.to)];
      lines.push(`kernel: ${many ? `#${c} ` : ""}${endpoint} ${states.join(arrow)}`);
    }
  }
  if (lines.length === 0) lines.push("kernel: no transitions of the demo's connections were recorded");
  if (result.tracing.lost > 0) lines.push(`kernel: the trace buffer lost ${result.tracing.lost} event(s); the sequences above may have gaps`);
  return lines.join("\n") + "\n";
}

/** Total width in columns of the text ladders the CLI prints. */
export const LADDER_COLUMNS = 80;

/** "kernel ladder, connection 1: clocks aligned on the SYN (CLOSED → SYN_SENT)": the line above a ladder, under 80 columns. */
export function describeLadder(l: KernelLadder, ascii = false): string {
  const arrow = ascii ? "->" : "→";
  const how =
    l.anchor === "syn"
      ? `clocks aligned on the SYN (CLOSED ${arrow} SYN_SENT)`
      : l.anchor === "first-segment"
        ? "no SYN captured: clocks aligned on the first segment"
        : "no capture: times since the first transition";
  const loose = l.unattached > 0 ? `; ${l.unattached} without a segment` : "";
  return `kernel ladder, connection ${l.connection}: ${how}${loose}`;
}

/**
 * One SVG document with every ladder: a single ladder as renderSvgLadder draws it; several
 * stacked as nested <svg> elements (ids prefixed per connection), so the output stays one document.
 */
export function stackSvgLadders(ladders: readonly { readonly svg: string }[]): string {
  if (ladders.length === 1) return ladders[0]!.svg;
  let y = 0;
  let width = 0;
  const parts: string[] = [];
  for (const { svg } of ladders) {
    const w = Number(/\bwidth="([\d.]+)"/.exec(svg)?.[1] ?? 0);
    const h = Number(/\bheight="([\d.]+)"/.exec(svg)?.[1] ?? 0);
    parts.push(svg.replace(/^<svg /, `<svg x="0" y="${y}" `));
    y += h;
    width = Math.max(width, w);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${y}" width="${width}" height="${y}" role="img" aria-label="kernel ladders, one per connection">`,
    ...parts,
    "</svg>",
  ].join("\n");
}
