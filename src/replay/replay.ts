/**
 * Replay: a capture's segments → connections, each with both endpoints' inferred states, its
 * anomalies, and a Trace in the simulator's shape, so the ladder renderers draw a real
 * capture exactly as they draw a simulation.
 *
 * Sequence numbers are absolute by default, so they match the file byte for byte; with
 * `relative: true` each direction counts from its initial sequence number (the SYN is 0,
 * the first data byte is 1), as tcpdump prints them.
 */
import type { PcapResult, PcapSegment, PcapEndpoint } from "../parse/pcap/types.js";
import type { Flag, SegmentRecord, StateChangeRecord, TraceEvent } from "../sim/trace.js";
import { EVENT_LABELS } from "../fsm/events.js";
import { endpointKey, groupConnections } from "./connections.js";
import { inferStates, type InferredSegment } from "./infer.js";
import type { ReplayedConnection, ReplayedSegment, ReplayOptions, ReplayResult } from "./types.js";

export function formatPcapEndpoint(e: PcapEndpoint): string {
  return e.address.includes(":") ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

function flagLabel(flags: readonly Flag[]): string {
  return flags.length === 0 ? "no flags" : flags.join("+");
}

/** One sentence per segment: what it is, and the transition it caused. */
function explain(i: InferredSegment): string {
  const s = i.segment;
  const what = `${i.from} → ${i.from === "client" ? "server" : "client"}: ${flagLabel(s.flags)}${s.len > 0 ? `, ${s.len} byte(s) of data` : ""}`;
  const moved = i.steps.find((step) => step.outcome === "transition" && step.from !== step.to)
    ?? i.steps.find((step) => step.outcome === "transition");
  const why = moved ? ` (${moved.endpoint}: ${moved.note})` : "";
  return `${what}${i.retransmission ? ", a retransmission" : ""}.${why}`;
}

export function replaySegments(segments: readonly PcapSegment[], options: ReplayOptions = {}): ReplayedConnection[] {
  const profile = options.profile ?? "linux";
  return groupConnections(segments).map((group, n) => {
    const clientKey = endpointKey(group.client);
    const isFromClient = (s: PcapSegment): boolean => endpointKey(s.src) === clientKey;
    const inference = inferStates(group.segments, isFromClient, profile);
    const firstSeq = (fromClient: boolean): number => {
      const mine = group.segments.filter((s) => isFromClient(s) === fromClient);
      return (mine.find((s) => s.flags.includes("SYN")) ?? mine[0])?.seq ?? 0;
    };
    const base = options.relative
      ? { client: firstSeq(true), server: firstSeq(false) }
      : { client: 0, server: 0 };
    const start = group.segments[0]?.t ?? 0;
    const replayed: ReplayedSegment[] = inference.segments.map((i, index) => {
      const s = i.segment;
      const to = i.from === "client" ? "server" : "client";
      // Without the ACK bit the acknowledgment field means nothing; relative mode shows 0.
      const ack = options.relative ? (s.flags.includes("ACK") ? (s.ack - base[to]) >>> 0 : 0) : s.ack;
      return {
        index,
        frame: s.frame,
        offset: s.offset,
        t: s.t - start,
        time: s.t,
        from: i.from,
        to,
        flags: s.flags,
        seq: (s.seq - base[i.from]) >>> 0,
        ack,
        len: s.len,
        window: s.window,
        options: s.options,
        retransmission: i.retransmission,
        steps: i.steps,
        states: i.states,
      };
    });
    const id = n + 1;
    const name = `${options.source ?? "capture"} #${id} ${formatPcapEndpoint(group.client)} → ${formatPcapEndpoint(group.server)}`;
    const events: TraceEvent[] = [];
    replayed.forEach((r, k) => {
      const i = inference.segments[k] as InferredSegment;
      const change = (step: (typeof r.steps)[number]): StateChangeRecord => ({
        type: "state", t: r.t, endpoint: step.endpoint, from: step.from, to: step.to, cause: step.event, ref: step.ref,
        explanation: `${step.endpoint}: ${EVENT_LABELS[step.event]} → ${step.to}. ${step.note}`,
      });
      const moves = r.steps.filter((step) => step.outcome === "transition" && step.from !== step.to);
      // The sender's change precedes its segment; the receiver's, and a crossing FIN taken late, follow it.
      for (const step of moves.filter((m) => m.endpoint === r.from && m.arrivedWith === undefined)) events.push(change(step));
      const segment: SegmentRecord = {
        type: "segment", t: r.t, from: r.from, to: r.to, flags: r.flags, seq: r.seq, ack: r.ack, len: r.len, win: r.window,
        dropped: false, arrives: r.t, retransmission: r.retransmission, explanation: explain(i),
      };
      events.push(segment);
      for (const step of moves.filter((m) => m.endpoint === r.to)) events.push(change(step));
      for (const step of moves.filter((m) => m.arrivedWith !== undefined)) events.push(change(step));
    });
    return {
      id,
      client: group.client,
      server: group.server,
      start,
      handshakeCaptured: inference.handshakeCaptured,
      base,
      initial: inference.initial,
      final: inference.final,
      segments: replayed,
      anomalies: inference.anomalies,
      trace: { name, profile, seed: 0, events, final: inference.final, initial: inference.initial },
    };
  });
}

/** Replay every connection of a capture read by readPcap. */
export function replayCapture(pcap: PcapResult, options: ReplayOptions = {}): ReplayResult {
  const source = options.source ?? pcap.source;
  const opts = source !== undefined ? { ...options, source } : options;
  return {
    ...(source !== undefined && { source }),
    connections: replaySegments(pcap.segments, opts),
    diagnostics: pcap.diagnostics,
    frames: pcap.frames,
    skippedByKind: pcap.skippedByKind,
  };
}

/** Each endpoint's sequence of states, starting with its initial state (for tests and summaries). */
export function replayedStates(connection: ReplayedConnection, endpoint: "client" | "server"): string[] {
  const seq = [connection.initial[endpoint] as string];
  for (const s of connection.segments) {
    for (const step of s.steps) {
      if (step.endpoint === endpoint && step.outcome === "transition" && step.from !== step.to) seq.push(step.to);
    }
  }
  return seq;
}
