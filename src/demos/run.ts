/**
 * Running a demo: prepare (servers first, so the ports are known), optionally start tcpdump
 * filtered on those ports, run the steps, stop the capture and replay it, and — always, in
 * a finally block — close everything the demo opened.
 */
import { rm } from "node:fs/promises";
import { dirname } from "node:path";
import { replayCaptureFile } from "../capture/file.js";
import { startCapture, type CaptureUnavailable, type RunningCapture } from "../capture/tcpdump.js";
import type { Trace } from "../sim/trace.js";
import { monotonicSeconds, startKernelTrace, type KernelTrace } from "../trace/session.js";
import type { TraceRecord, TransitionRecord } from "../trace/records.js";
import { abortRst } from "./abort-rst.js";
import { closeUnreadData } from "./close-unread-data.js";
import { closeWaitLeak } from "./close-wait-leak.js";
import { connectRefused } from "./connect-refused.js";
import { crash } from "./crash.js";
import { counterDeltas, readTcpCounters } from "./counters.js";
import { delayedAck } from "./delayed-ack.js";
import { lingeringClose } from "./lingering-close.js";
import type { DemoDefinition } from "./definition.js";
import { fourWayClose } from "./four-way-close.js";
import { halfClose } from "./half-close.js";
import { halfOpen } from "./half-open.js";
import { DemoHarness } from "./harness.js";
import { threeWayClose } from "./three-way-close.js";
import { timeWaitPileup } from "./time-wait-pileup.js";
import { timeWaitReuse } from "./time-wait-reuse.js";
import { DEMO_NAMES, type DemoCapture, type DemoName, type DemoOptions, type DemoResult, type DemoSegment, type DemoTracing, type DemoTransition } from "./types.js";

export const DEMOS: Readonly<Record<DemoName, DemoDefinition>> = {
  "four-way-close": fourWayClose,
  "three-way-close": threeWayClose,
  "half-close": halfClose,
  "abort-rst": abortRst,
  "close-unread-data": closeUnreadData,
  "close-wait-leak": closeWaitLeak,
  "time-wait-pileup": timeWaitPileup,
  "connect-refused": connectRefused,
  crash,
  "delayed-ack": delayedAck,
  "lingering-close": lingeringClose,
  "time-wait-reuse": timeWaitReuse,
  "half-open": halfOpen,
};

export function listDemos(): readonly DemoDefinition[] {
  return DEMO_NAMES.map((n) => DEMOS[n]);
}

interface Captured {
  readonly capture: DemoCapture;
  readonly segments: readonly DemoSegment[];
  readonly traces: readonly Trace[];
}

/** The other loopback address: the capture barrier's SYN goes there, so no demo socket answers it. */
function otherLoopback(host: string): "127.0.0.1" | "::1" {
  return host === "::1" ? "127.0.0.1" : "::1";
}

async function finishCapture(running: RunningCapture, host: string): Promise<Captured> {
  const summary = await running.stop();
  try {
    const { replay } = await replayCaptureFile(summary.file, { relative: true, source: "demo capture" });
    const barrier = otherLoopback(host);
    const connections = replay.connections.filter((c) => c.client.address !== barrier && c.server.address !== barrier);
    const segments: DemoSegment[] = connections.flatMap((c) =>
      c.segments.map((s) => ({ connection: c.id, from: s.from, to: s.to, flags: s.flags, seq: s.seq, ack: s.ack, len: s.len })),
    );
    return {
      capture: { ok: true, filter: summary.filter, packets: segments.length, dropped: summary.packetsDropped, connections: connections.length },
      segments,
      traces: connections.map((c) => c.trace),
    };
  } finally {
    // The pcap was read; the temporary directory startCapture made is ours to remove.
    await rm(dirname(summary.file), { recursive: true, force: true });
  }
}

/** Ports of a "addr:port" / "[v6]:port" endpoint. */
function portOf(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(":") + 1));
}

/** "127.0.0.1" of "127.0.0.1:80", "::1" of "[::1]:80". */
function hostOf(endpoint: string): string {
  const host = endpoint.slice(0, endpoint.lastIndexOf(":"));
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

/**
 * The demo's own connections' transitions: either end on one of its listening ports (listeners
 * themselves, remote port 0, are left out). The server end is the one whose local port listens.
 * @param barrierHost the capture barrier's address (its SYN goes to a demo port there, where
 *   nothing listens): its connection is the capture's, not the demo's.
 */
export function demoTransitions(records: readonly TraceRecord[], serverPorts: ReadonlySet<number>, shift: number, barrierHost?: string): DemoTransition[] {
  const connections = new Map<string, number>();
  const out: DemoTransition[] = [];
  for (const r of records) {
    if (r.type !== "transition") continue;
    if (barrierHost !== undefined && (hostOf(r.remote) === barrierHost || hostOf(r.local) === barrierHost)) continue;
    const local = portOf(r.local);
    const remote = portOf(r.remote);
    if (remote === 0 || (!serverPorts.has(local) && !serverPorts.has(remote))) continue;
    const endpoint = serverPorts.has(local) ? "server" : "client";
    const key = endpoint === "server" ? `${r.remote}|${r.local}` : `${r.local}|${r.remote}`;
    let connection = connections.get(key);
    if (connection === undefined) connections.set(key, (connection = connections.size + 1));
    out.push({ t: Math.round((r.t + shift) * 1e6) / 1e6, endpoint, connection, from: r.from, to: r.to, source: (r as TransitionRecord).source });
  }
  return out;
}

/**
 * Run one demo against the kernel. Throws only on a bug or an injected failure (after
 * cleaning up); a kernel that does not do what was expected gives `ok: false`.
 */
export async function runDemo(name: DemoName, options: DemoOptions = {}): Promise<DemoResult> {
  const def = DEMOS[name];
  const t0 = monotonicSeconds();
  const h = new DemoHarness(options, t0);
  // The kernel's own transitions, when this machine lets us trace (root, tracefs); else polling only.
  let tracing: DemoTracing = { ok: false, reason: "not asked for (trace: false)" };
  let kernelTrace: KernelTrace | undefined;
  if (options.trace !== false) {
    const started = startKernelTrace({ keep: true, lifecycle: false, timewaitEveryMs: 100 });
    if (started.ok) kernelTrace = started.trace;
    else tracing = { ok: false, reason: `transitions not recorded, states polled from /proc only: missing ${started.missing}` };
  }
  let transitions: DemoTransition[] = [];
  let running: RunningCapture | CaptureUnavailable | undefined;
  let captured: Captured | undefined;
  let leaks = { servers: 0, sockets: 0, children: 0 };
  // The namespace's TCP counters before the demo opens anything (src/demos/counters.ts).
  const countersBefore = await readTcpCounters();
  let countersAfter: Awaited<ReturnType<typeof readTcpCounters>>;
  try {
    const prepared = await def.prepare(h, options);
    if (options.capture) {
      const port = prepared.ports[0];
      running = await startCapture({
        ports: prepared.ports,
        // The barrier goes to the demo's port on the other loopback address, where nothing listens.
        ...(port !== undefined && { barrier: { host: otherLoopback(h.host), port } }),
      });
      if (running.ok) h.resources.pids.push(running.pid);
    }
    try {
      await prepared.run();
    } finally {
      if (running?.ok) {
        const r = running;
        running = undefined;
        captured = await finishCapture(r, h.host);
      }
    }
    // A demo whose steps need the replayed capture (delayed-ack counts segments) records them now.
    await prepared.finish?.(captured ? { traces: captured.traces } : undefined);
  } finally {
    if (running?.ok) await running.stop().then((s) => rm(dirname(s.file), { recursive: true, force: true }), () => {});
    leaks = await h.cleanup();
    if (kernelTrace) {
      // Let the last segments' effects reach the trace (the peer's ACK of a FIN, a RST) before stopping.
      await new Promise((r) => setTimeout(r, 50));
      const summary = await kernelTrace.stop();
      transitions = demoTransitions(kernelTrace.records(), h.serverPorts, kernelTrace.t0 - t0, options.capture ? otherLoopback(h.host) : undefined);
      tracing = { ok: true, events: summary.events, lost: summary.lost };
    } else await new Promise((r) => setTimeout(r, 50));
    // After cleanup, and after the last segments it caused (a RST, the ACK of a FIN) had 50 ms to land.
    countersAfter = await readTcpCounters();
  }
  // cleanup() closes everything it tracked; anything still open afterwards is a bug in a demo.
  if (leaks.servers + leaks.sockets + leaks.children > 0) {
    throw new Error(`demo ${name} left ${leaks.servers} server(s), ${leaks.sockets} socket(s), ${leaks.children} child process(es) open`);
  }
  const capture: DemoCapture | undefined = captured?.capture ?? (running && !running.ok ? { ok: false, reason: running.reason } : undefined);
  return {
    demo: name,
    title: def.title,
    steps: h.steps,
    segments: captured?.segments ?? [],
    ok: h.steps.length > 0 && h.steps.every((s) => s.ok),
    ...(capture && { capture }),
    ...(captured && { traces: captured.traces }),
    transitions,
    tracing,
    app: h.app,
    ...(countersBefore && countersAfter && { counters: counterDeltas(countersBefore, countersAfter) }),
  };
}
