/**
 * What a socket demo reports (docs/demo-json.md): each step's expected and observed kernel
 * state for both ends of the connection, in RFC state names, plus the captured segments when
 * the demo ran under tcpdump.
 */
import type { TcpState } from "../fsm/states.js";
import type { SegmentRecord, Trace } from "../sim/trace.js";
import type { TraceSource } from "../trace/records.js";

/** One state per end; "CLOSED" when the kernel has no socket for that end any more. */
export interface Sides {
  readonly client: TcpState;
  readonly server: TcpState;
}

export interface DemoStep {
  /** What was just done, in a learner's words: "client shutdown(SHUT_WR): FIN". */
  readonly step: string;
  readonly expected: Sides;
  readonly observed: Sides;
  readonly ok: boolean;
  /** Extra facts a step checked (an error code, a count); absent when none. */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

/** A captured segment, from the replayed pcap. seq and ack are relative to each side's ISN. */
export interface DemoSegment extends Pick<SegmentRecord, "from" | "to" | "flags" | "seq" | "ack" | "len"> {
  /** 1-based connection, in order of each connection's first segment in the capture. */
  readonly connection: number;
}

export type DemoCapture =
  | {
      readonly ok: true;
      /** The BPF filter tcpdump ran with. */
      readonly filter: string;
      /** TCP segments in the capture file (the file itself is removed once replayed). */
      readonly packets: number;
      /** tcpdump's own report of packets the kernel dropped before tcpdump read them (null: not reported). */
      readonly dropped: number | null;
      readonly connections: number;
    }
  | { readonly ok: false; readonly reason: string };

/** One kernel state change of a demo connection, from `tcp-lifecycle trace`'s source (tracefs). */
export interface DemoTransition {
  /** Seconds since the demo started (the same clock as `app`). */
  readonly t: number;
  readonly endpoint: "client" | "server";
  /** 1-based connection, in order of each connection's first transition. */
  readonly connection: number;
  readonly from: TcpState;
  readonly to: TcpState;
  /** How it was learnt (src/trace/records.ts): the tracepoint, or the timewait hand-over. */
  readonly source: TraceSource;
}

/** What the application saw at one call: read() → 0 at EOF, ECONNRESET, EPIPE, … */
export interface DemoAppCall {
  readonly t: number;
  readonly endpoint: "client" | "server";
  /** The call as a learner would write it: "read()", "write(100 bytes)", "connect()", "close()". */
  readonly call: string;
  /** "ok", "0 (EOF)", "100 bytes", or the errno name: "ECONNRESET", "EPIPE", "ETIMEDOUT" … */
  readonly result: string;
}

/** Whether the demo recorded the kernel's transitions, or why it fell back to polling /proc only. */
export type DemoTracing =
  | { readonly ok: true; readonly events: number; readonly lost: number }
  | { readonly ok: false; readonly reason: string };

export interface DemoResult {
  readonly demo: DemoName;
  readonly title: string;
  readonly steps: readonly DemoStep[];
  /** Empty unless the demo ran with capture and capture worked. */
  readonly segments: readonly DemoSegment[];
  /** True when every step observed what it expected. */
  readonly ok: boolean;
  /** Present when capture was asked for: what was captured, or why nothing could be. */
  readonly capture?: DemoCapture;
  /** The replayed captured connections, in the simulator's shape, for the ladder renderers. */
  readonly traces?: readonly Trace[];
  /** Every kernel state change of the demo's connections, both endpoints, in order (empty when not traced). */
  readonly transitions: readonly DemoTransition[];
  readonly tracing: DemoTracing;
  /** What the application saw at each call, in order. */
  readonly app: readonly DemoAppCall[];
  /**
   * How much each relevant TCP counter of /proc/net/snmp and /proc/net/netstat (TCP_COUNTERS in
   * src/demos/counters.ts, nstat's names: TcpExtTCPAbortOnClose, TcpEstabResets …) went up from
   * before the demo opened anything to after it closed everything: every relevant counter the
   * kernel prints, zeros included. Namespace-wide: other sockets in the namespace add to it.
   * Absent when the files cannot be read.
   */
  readonly counters?: Readonly<Record<string, number>>;
}

export const DEMO_NAMES = [
  "four-way-close",
  "three-way-close",
  "half-close",
  "abort-rst",
  "close-unread-data",
  "close-wait-leak",
  "time-wait-pileup",
  "connect-refused",
  "crash",
  "delayed-ack",
  "lingering-close",
  "time-wait-reuse",
  "half-open",
] as const;

export type DemoName = (typeof DEMO_NAMES)[number];

export function isDemoName(value: string): value is DemoName {
  return (DEMO_NAMES as readonly string[]).includes(value);
}

/** What the harness opened, so a test can check that none of it outlives the demo. */
export interface DemoResources {
  /** Every local port the demo bound or connected from (servers and clients). */
  readonly ports: number[];
  /** Every child process the demo spawned. */
  readonly pids: number[];
}

export interface DemoOptions {
  /** Run tcpdump on lo around the demo, filtered on the demo's own ports. */
  readonly capture?: boolean;
  /** How long to poll the collector for an expected state, ms. Default 2000. */
  readonly pollBudgetMs?: number;
  /** Poll interval, ms. Default 10. */
  readonly pollIntervalMs?: number;
  /** time-wait-pileup: how many connections. Default 50, at most 2000. */
  readonly connections?: number;
  /** "127.0.0.1" (default) or "::1". */
  readonly host?: "127.0.0.1" | "::1";
  /** Record the kernel's transitions through tracefs when possible (root). Default true. */
  readonly trace?: boolean;
  /** Tests: throw at this checkpoint (e.g. "server-listening") to exercise cleanup. */
  readonly failAt?: string;
  /** Filled in as the demo opens things, even when it throws. */
  readonly resources?: DemoResources;
}
