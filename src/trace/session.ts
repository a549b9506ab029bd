/**
 * A running kernel trace (Node only): a private tracefs instance, its trace_pipe read without
 * blocking, each line parsed (src/parse/tracefs.ts) and followed (follower.ts) into records.
 *
 * trace_pipe is opened O_NONBLOCK and drained every `readEveryMs`: a blocking read would hold a
 * thread until the next event, and the instance cannot be removed while the file is open.
 * `stop()` drains what is left, closes the file and removes the instance; so do SIGINT, SIGTERM,
 * SIGHUP and exit (src/process/cleanup.ts), whatever the caller does.
 */
import { closeSync, openSync, readSync, constants } from "node:fs";
import type { TcpState } from "../fsm/states.js";
import { collectProcNow } from "../monitor/collectors/proc.js";
import type { ConnectionRecord } from "../parse/types.js";
import { parseTraceLine, type TraceEvent } from "../parse/tracefs.js";
import { onTerminate } from "../process/cleanup.js";
import { TraceFollower } from "./follower.js";
import { endpointText, type TraceRecord } from "./records.js";
import { checkTracefs, createInstance, type TraceInstance } from "./tracefs.js";

export interface KernelTraceOptions {
  readonly port?: number;
  readonly pid?: number;
  /** Lifecycle summaries when connections end. Default true. */
  readonly lifecycle?: boolean;
  /** Called with each batch of records, in order. */
  readonly onRecords?: (records: readonly TraceRecord[]) => void;
  /** How often trace_pipe is drained, ms. Default 20. */
  readonly readEveryMs?: number;
  /** How often timewait sockets are looked up in /proc, ms. Default 250. */
  readonly timewaitEveryMs?: number;
  /** Keep every record in `records()` (the demos do). Default false. */
  readonly keep?: boolean;
  /** Bound on kept records. Default 100,000. */
  readonly maxKept?: number;
}

export interface KernelTraceSummary {
  /** Lines parsed as our events. */
  readonly events: number;
  /** Events the kernel dropped: its per-CPU overrun counters plus trace_pipe's LOST lines. */
  readonly lost: number;
  /** Lines that did not read as expected (the first 20 kept), with their line numbers. */
  readonly diagnostics: readonly string[];
  readonly diagnosticCount: number;
  /** Kept records were cut at `maxKept`. */
  readonly truncated: boolean;
}

export interface KernelTrace {
  readonly instance: string;
  /** CLOCK_MONOTONIC seconds at t = 0 (what `process.hrtime` reads). */
  readonly t0: number;
  /** Records so far (with `keep`). */
  records(): readonly TraceRecord[];
  /** Drain what the kernel has now (tests and demos call it before looking). */
  drain(): readonly TraceRecord[];
  stop(): Promise<KernelTraceSummary>;
}

export type StartResult = { readonly ok: true; readonly trace: KernelTrace } | { readonly ok: false; readonly missing: string; readonly fix: string };

export const monotonicSeconds = (): number => Number(process.hrtime.bigint()) / 1e9;

/** 4-tuples held by timewait sockets now, from /proc/net/tcp and tcp6: "local|remote" → state. */
export function timewaitSocketsNow(): Map<string, TcpState> {
  const held = new Map<string, TcpState>();
  let records: readonly ConnectionRecord[];
  try {
    records = collectProcNow().records;
  } catch {
    return held; // no /proc here: nothing is known to be held
  }
  for (const r of records) {
    if (r.state !== "TIME_WAIT" && r.state !== "FIN_WAIT_2") continue;
    if (r.local.port === null || r.remote.port === null) continue;
    held.set(`${endpointText(r.local.address, r.local.port)}|${endpointText(r.remote.address, r.remote.port)}`, r.state);
  }
  return held;
}

const CHUNK = 1 << 16;

export function startKernelTrace(options: KernelTraceOptions = {}): StartResult {
  const check = checkTracefs();
  if (!check.ok) return check;
  const instance: TraceInstance = createInstance(check.root);
  let fd: number;
  try {
    fd = openSync(instance.pipe, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    instance.remove();
    throw err;
  }
  let closed = false;
  const closeFd = (): void => {
    if (closed) return;
    closed = true;
    closeSync(fd);
  };
  // The fd must be closed before the instance can go: this runs before the instance's own cleanup.
  const unregister = onTerminate(() => {
    closeFd();
    instance.remove();
  });
  const t0 = monotonicSeconds();
  const follower = new TraceFollower({
    t0,
    ...(options.port !== undefined && { port: options.port }),
    ...(options.pid !== undefined && { pid: options.pid }),
    lifecycle: options.lifecycle ?? true,
    now: monotonicSeconds,
    timewaitSockets: timewaitSocketsNow,
  });
  const kept: TraceRecord[] = [];
  const maxKept = options.maxKept ?? 100_000;
  let truncated = false;
  const buf = Buffer.allocUnsafe(CHUNK);
  let partial = "";
  let lineNo = 0;
  let events = 0;
  let lostLines = 0;
  const diagnostics: string[] = [];
  let diagnosticCount = 0;

  const deliver = (records: readonly TraceRecord[]): void => {
    if (records.length === 0) return;
    if (options.keep) {
      for (const r of records) {
        if (kept.length < maxKept) kept.push(r);
        else truncated = true;
      }
    }
    options.onRecords?.(records);
  };

  const drain = (): readonly TraceRecord[] => {
    if (closed) return [];
    const parsed: TraceEvent[] = [];
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, CHUNK, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") break;
        throw err;
      }
      if (n <= 0) break;
      const text = partial + buf.toString("latin1", 0, n);
      const lines = text.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        lineNo++;
        const r = parseTraceLine(line, lineNo);
        if (!r.ok) {
          diagnosticCount++;
          if (diagnostics.length < 20) diagnostics.push(r.message);
        } else if (r.event) {
          if (r.event.kind === "lost") lostLines += r.event.count;
          else events++;
          parsed.push(r.event);
        }
      }
    }
    const records = follower.feed(parsed);
    deliver(records);
    return records;
  };

  const reader = setInterval(() => {
    try {
      drain();
    } catch {
      // The instance vanished under us (removed by a signal handler): stop() reports what was read.
    }
  }, options.readEveryMs ?? 20);
  const twPoller = setInterval(() => {
    if (closed) return;
    deliver(follower.poll());
  }, options.timewaitEveryMs ?? 250);

  let stopping: Promise<KernelTraceSummary> | undefined;
  const trace: KernelTrace = {
    instance: instance.name,
    t0,
    records: () => kept,
    drain,
    stop() {
      stopping ??= (async () => {
        clearInterval(reader);
        clearInterval(twPoller);
        let lost = lostLines;
        try {
          drain();
          deliver(follower.poll());
          deliver(follower.flush());
          lost = Math.max(lostLines, instance.overruns());
        } finally {
          closeFd();
          instance.remove();
          unregister();
        }
        return { events, lost, diagnostics, diagnosticCount, truncated };
      })();
      return stopping;
    },
  };
  return { ok: true, trace };
}
