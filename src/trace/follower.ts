/**
 * From the kernel's trace events to what `trace` reports: transitions with the time spent in the
 * old state, resets and retransmissions, lifecycle summaries. Pure apart from the two functions
 * it is given (the clock, and a look at the timewait sockets in /proc/net/tcp).
 *
 * What the tracepoints do not say, and how it is filled in:
 * - connect(): `CLOSE → SYN_SENT` fires before the ephemeral port is chosen (tcp_v4_connect()
 *   and tcp_v6_connect() call tcp_set_state() before inet_hash_connect()), so it prints sport=0.
 *   It is held until the same socket's next change (from SYN_SENT, to the same remote end, with
 *   its port), oldest first, and then reported with the real port.
 * - TIME_WAIT: Linux moves a closing connection into a small "timewait socket"
 *   (net/ipv4/tcp_minisocks.c tcp_time_wait()) and the full socket goes to CLOSE via tcp_done();
 *   inet_sock_set_state fires only for the full socket. So FIN_WAIT_2/CLOSING → CLOSE is checked
 *   against /proc/net/tcp: a 4-tuple held in TIME_WAIT there is reported as → TIME_WAIT. An
 *   orphaned FIN_WAIT_2 (closed by the application before the peer's FIN) is handed over with
 *   the substate FIN_WAIT_2, and the full socket is destroyed at once: the connection stays in
 *   FIN_WAIT_2. Its later FIN_WAIT_2 → TIME_WAIT and every timewait socket's end → CLOSED have no
 *   tracepoint; they come from the local peer's LAST_ACK → CLOSED, or from polling /proc.
 * - A passive open: Linux keeps a half-open connection as a request socket (TCP_NEW_SYN_RECV)
 *   without tracepoints; the full socket is made when the handshake's ACK arrives, so
 *   LISTEN → SYN_RCVD → ESTABLISHED come together and the SYN_RCVD time is not the handshake's.
 */
import type { TcpState } from "../fsm/states.js";
import type { TraceEvent, TraceStateEvent } from "../parse/tracefs.js";
import { endpointText, type LifecycleRecord, type TraceRecord, type TraceSource, type TransitionRecord } from "./records.js";

export interface FollowerOptions {
  /** Trace-clock seconds at which tracing started (t = 0). */
  readonly t0: number;
  /** Keep only connections where either port is this. */
  readonly port?: number;
  /** Keep only records made in this process's context, or of connections it owns. */
  readonly pid?: number;
  /** Emit a lifecycle record when a connection ends. Default true. */
  readonly lifecycle?: boolean;
  /** Trace-clock seconds now. */
  readonly now: () => number;
  /** The timewait sockets now: "local|remote" → TIME_WAIT or FIN_WAIT_2. */
  readonly timewaitSockets: () => ReadonlyMap<string, TcpState>;
}

interface Owner {
  readonly pid: number;
  readonly comm: string;
}

interface Conn {
  state: TcpState;
  since: number;
  readonly history: { state: TcpState; since: number }[];
  owner?: Owner;
  /** Held by a timewait socket: its state, and when /proc first showed it in TIME_WAIT (orphaned hand-over). */
  tw?: { state: TcpState; timeWaitSeenAt?: number };
  readonly localPort: number;
  readonly remotePort: number;
}

/** State changes made by a user call in the caller's context (connect, listen, close, shutdown). */
const USER_CALLS: ReadonlySet<string> = new Set([
  "CLOSED>SYN_SENT",
  "CLOSED>LISTEN",
  "ESTABLISHED>FIN_WAIT_1",
  "SYN_RCVD>FIN_WAIT_1",
  "CLOSE_WAIT>LAST_ACK",
  "LISTEN>CLOSED",
]);

/** How long a held-over TIME_WAIT waits for the peer's LAST_ACK → CLOSED to date it, s. */
const PEER_WAIT_S = 0.3;
/** Bound on connect()s held for their port. */
const MAX_PENDING = 10_000;

export class TraceFollower {
  private readonly conns = new Map<string, Conn>();
  private readonly timewaits = new Set<string>();
  private readonly listeners = new Map<number, Owner>();
  private readonly pending = new Map<string, TraceStateEvent[]>();
  private pendingCount = 0;

  constructor(private readonly options: FollowerOptions) {}

  /** Connections held by timewait sockets, which `poll()` looks after. */
  get timewaitCount(): number {
    return this.timewaits.size;
  }

  private t(ts: number): number {
    return Math.max(0, Math.round((ts - this.options.t0) * 1e6) / 1e6);
  }

  private keep(localPort: number, remotePort: number, pid: number | null, owner?: Owner): boolean {
    const { port, pid: wanted } = this.options;
    if (port !== undefined && localPort !== port && remotePort !== port) return false;
    if (wanted !== undefined && pid !== wanted && owner?.pid !== wanted) return false;
    return true;
  }

  /** Events in the order trace_pipe gave them → records in the same order. */
  feed(events: readonly TraceEvent[]): TraceRecord[] {
    const out: TraceRecord[] = [];
    let tw: ReadonlyMap<string, TcpState> | undefined;
    const timewaitNow = (): ReadonlyMap<string, TcpState> => (tw ??= this.options.timewaitSockets());
    events.forEach((e, i) => {
      if (e.kind === "lost") {
        out.push({ type: "lost", t: this.t(this.options.now()), count: e.count });
        return;
      }
      if (e.kind === "destroy") return;
      const local = endpointText(e.local.address, e.local.port);
      const remote = endpointText(e.remote.address, e.remote.port);
      if (e.kind !== "state") {
        const conn = this.conns.get(`${local}|${remote}`);
        if (!this.keep(e.local.port, e.remote.port, e.pid, conn?.owner)) return;
        out.push({
          type: e.kind === "retransmit" ? "retransmit" : "reset",
          t: this.t(e.ts),
          direction: e.kind === "reset-received" ? "received" : "sent",
          local,
          remote,
          pid: e.pid,
          comm: e.comm,
          ...(e.state && { state: e.state }),
          ...(e.kind === "reset-sent" && e.reason && { reason: e.reason }),
        });
        return;
      }
      this.state(e, local, remote, events, i, timewaitNow, out);
    });
    // A connect() held for its port is released after later events: put records back in time order (stable).
    return out.length > 1 ? out.map((r, k) => ({ r, k })).sort((a, b) => a.r.t - b.r.t || a.k - b.k).map((x) => x.r) : out;
  }

  private state(
    e: TraceStateEvent,
    local: string,
    remote: string,
    events: readonly TraceEvent[],
    i: number,
    timewaitNow: () => ReadonlyMap<string, TcpState>,
    out: TraceRecord[],
  ): void {
    const remoteKey = `${e.family}|${remote}`;
    if (e.from === "CLOSED" && e.to === "SYN_SENT" && e.local.port === 0 && this.pendingCount < MAX_PENDING) {
      const queue = this.pending.get(remoteKey) ?? [];
      queue.push(e);
      this.pending.set(remoteKey, queue);
      this.pendingCount++;
      return;
    }
    const key = `${local}|${remote}`;
    if (e.from === "SYN_SENT" && !this.conns.has(key)) {
      const held = this.pending.get(remoteKey)?.shift();
      if (held) {
        this.pendingCount--;
        this.transition({ ...held, local: e.local }, local, remote, out, "tracepoint");
      }
    }
    const existing = this.conns.get(key);
    if (existing?.tw && (e.from === "LISTEN" || e.from === "CLOSED" || e.from === "SYN_SENT")) {
      // A new incarnation of the 4-tuple: the kernel killed the timewait socket (a SYN reusing it).
      this.endTimewait(key, existing, e.ts, "tracepoint", out);
    }
    if (e.to === "CLOSED" && (e.from === "FIN_WAIT_2" || e.from === "CLOSING")) {
      const held = timewaitNow().get(key);
      if (held === "TIME_WAIT" || held === "FIN_WAIT_2") {
        const orphaned = e.from === "FIN_WAIT_2" && this.destroyedWith(e, events, i);
        const conn = this.conns.get(key);
        if (orphaned || held === "FIN_WAIT_2") {
          // Still FIN_WAIT_2, now as a timewait socket; TIME_WAIT is dated later.
          if (conn) {
            conn.tw = held === "TIME_WAIT" ? { state: "FIN_WAIT_2", timeWaitSeenAt: this.options.now() } : { state: "FIN_WAIT_2" };
            this.timewaits.add(key);
          }
          return;
        }
        this.transition({ ...e, to: "TIME_WAIT" }, local, remote, out, "timewait");
        const after = this.conns.get(key);
        if (after) {
          after.tw = { state: "TIME_WAIT" };
          this.timewaits.add(key);
        }
        return;
      }
    }
    if (e.from === "LAST_ACK" && e.to === "CLOSED") {
      // The ACK of our FIN came from the peer's timewait socket: if it was an orphaned FIN_WAIT_2,
      // it entered TIME_WAIT when it sent that ACK, just before this.
      const peerKey = `${remote}|${local}`;
      const peer = this.conns.get(peerKey);
      if (peer?.tw?.state === "FIN_WAIT_2") this.timeWaitFromTw(peerKey, peer, e.ts, "peer", out);
    }
    this.transition(e, local, remote, out, "tracepoint");
  }

  /**
   * tcp_done() on an orphan destroys it in the same call (inet_csk_destroy_sock()), so the next
   * event on that CPU is the socket's destroy. A socket the application still holds is destroyed
   * later, by its close(), after other events.
   */
  private destroyedWith(e: TraceStateEvent, events: readonly TraceEvent[], i: number): boolean {
    for (let j = i + 1; j < events.length; j++) {
      const d = events[j];
      if (!d || d.kind === "lost" || d.cpu !== e.cpu) continue;
      return d.kind === "destroy" && d.local.port === e.local.port && d.remote.port === e.remote.port && d.local.address === e.local.address;
    }
    return false;
  }

  private transition(
    e: Pick<TraceStateEvent, "ts" | "pid" | "comm" | "from" | "to" | "local" | "remote">,
    local: string,
    remote: string,
    out: TraceRecord[],
    source: TraceSource,
  ): void {
    const key = `${local}|${remote}`;
    let conn = this.conns.get(key);
    const inState = conn && conn.state === e.from ? Math.round((e.ts - conn.since) * 1e6) / 1e6 : null;
    if (!conn) {
      conn = { state: e.from, since: e.ts, history: [], localPort: e.local.port, remotePort: e.remote.port };
      if (e.from === "LISTEN" && e.to === "SYN_RCVD") {
        const owner = this.listeners.get(e.local.port);
        if (owner) conn.owner = owner;
      }
      this.conns.set(key, conn);
    }
    if (!conn.owner && USER_CALLS.has(`${e.from}>${e.to}`)) conn.owner = { pid: e.pid, comm: e.comm };
    if (e.to === "LISTEN") this.listeners.set(e.local.port, { pid: e.pid, comm: e.comm });
    if (e.from === "LISTEN" && e.to === "CLOSED") this.listeners.delete(e.local.port);
    // The first state is the one the connection left (CLOSED for connect, LISTEN for a passive open).
    if (conn.history.length === 0) conn.history.push({ state: e.from, since: e.ts });
    conn.history.push({ state: e.to, since: e.ts });
    conn.state = e.to;
    conn.since = e.ts;
    if (this.keep(e.local.port, e.remote.port, e.pid, conn.owner)) {
      const rec: TransitionRecord = { type: "transition", t: this.t(e.ts), local, remote, from: e.from, to: e.to, pid: e.pid, comm: e.comm, inState, source };
      out.push(rec);
    }
    if (e.to === "CLOSED") this.finish(key, conn, e.ts, out);
  }

  private finish(key: string, conn: Conn, ts: number, out: TraceRecord[]): void {
    this.conns.delete(key);
    this.timewaits.delete(key);
    if (this.options.lifecycle === false || conn.remotePort === 0) return;
    // States from the first one the connection was *in* (after CLOSED/LISTEN it left) up to CLOSED.
    const steps = conn.history.slice(1);
    const states = steps.slice(0, -1).map((s, i) => ({ state: s.state, seconds: Math.round(((steps[i + 1]?.since ?? ts) - s.since) * 1e6) / 1e6 }));
    const first = steps[0]?.since ?? ts;
    const [local, remote] = key.split("|") as [string, string];
    if (!this.keep(conn.localPort, conn.remotePort, null, conn.owner)) return;
    const rec: LifecycleRecord = {
      type: "lifecycle",
      t: this.t(ts),
      local,
      remote,
      pid: conn.owner?.pid ?? null,
      comm: conn.owner?.comm ?? null,
      states,
      seconds: Math.round((ts - first) * 1e6) / 1e6,
    };
    out.push(rec);
  }

  private emitSynthetic(key: string, conn: Conn, from: TcpState, to: TcpState, ts: number, source: TraceSource, out: TraceRecord[]): void {
    const [local, remote] = key.split("|") as [string, string];
    const inState = conn.state === from ? Math.round((ts - conn.since) * 1e6) / 1e6 : null;
    conn.history.push({ state: to, since: ts });
    conn.state = to;
    conn.since = ts;
    const owner = conn.owner;
    if (this.keep(conn.localPort, conn.remotePort, null, owner)) {
      out.push({ type: "transition", t: this.t(ts), local, remote, from, to, pid: owner?.pid ?? 0, comm: owner?.comm ?? "", inState, source });
    }
  }

  private timeWaitFromTw(key: string, conn: Conn, ts: number, source: TraceSource, out: TraceRecord[]): void {
    this.emitSynthetic(key, conn, "FIN_WAIT_2", "TIME_WAIT", ts, source, out);
    conn.tw = { state: "TIME_WAIT" };
  }

  private endTimewait(key: string, conn: Conn, ts: number, source: TraceSource, out: TraceRecord[]): void {
    if (conn.tw?.timeWaitSeenAt !== undefined) this.timeWaitFromTw(key, conn, conn.tw.timeWaitSeenAt, "procfs", out);
    this.emitSynthetic(key, conn, conn.state, "CLOSED", ts, source, out);
    this.finish(key, conn, ts, out);
  }

  /** Look at the timewait sockets: FIN_WAIT_2 → TIME_WAIT and their end, which no tracepoint reports. */
  poll(): TraceRecord[] {
    const out: TraceRecord[] = [];
    if (this.timewaits.size === 0) return out;
    const now = this.options.now();
    const held = this.options.timewaitSockets();
    for (const key of [...this.timewaits]) {
      const conn = this.conns.get(key);
      if (!conn?.tw) {
        this.timewaits.delete(key);
        continue;
      }
      const state = held.get(key);
      if (state === undefined) {
        this.endTimewait(key, conn, now, "procfs", out);
      } else if (state === "TIME_WAIT" && conn.tw.state === "FIN_WAIT_2") {
        const seen = conn.tw.timeWaitSeenAt;
        if (seen === undefined) this.timeWaitFromTw(key, conn, now, "procfs", out);
        else if (now - seen >= PEER_WAIT_S) this.timeWaitFromTw(key, conn, seen, "procfs", out);
      }
    }
    return out;
  }

  /** At the end: connect()s whose port never showed, reported with port 0 (not yet chosen). */
  flush(): TraceRecord[] {
    const out: TraceRecord[] = [];
    for (const queue of this.pending.values()) {
      for (const e of queue) this.transition(e, endpointText(e.local.address, 0), endpointText(e.remote.address, e.remote.port), out, "tracepoint");
    }
    this.pending.clear();
    this.pendingCount = 0;
    return out;
  }
}
