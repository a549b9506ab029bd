/**
 * Statistics over one sample beyond counts by state (parse's countByState): per local port
 * and per process, filtering, and the timewait total that sockstat reports. Pure: no Node imports, so a notebook or the site can reuse it.
 */
import { STATES, type TcpState } from "../fsm/states.js";
import type { ConnectionRecord } from "../parse/types.js";
import type { MonitorFilter, PortStats, ProcessStats } from "./types.js";

export function applyFilter(records: readonly ConnectionRecord[], filter: MonitorFilter): readonly ConnectionRecord[] {
  if (filter.port === undefined && filter.state === undefined) return records;
  return records.filter(
    (r) =>
      (filter.state === undefined || r.state === filter.state) &&
      (filter.port === undefined || r.local.port === filter.port || r.remote.port === filter.port),
  );
}

function bump(map: Map<TcpState, number>, state: TcpState): void {
  map.set(state, (map.get(state) ?? 0) + 1);
}

function orderedCounts(map: Map<TcpState, number>): Partial<Record<TcpState, number>> {
  const out: Partial<Record<TcpState, number>> = {};
  for (const s of STATES) {
    const n = map.get(s);
    if (n !== undefined) out[s] = n;
  }
  return out;
}

/**
 * Connections grouped by local port, busiest first. A server's port collects all its
 * connections; a client's ephemeral ports hold one each, so `limit` keeps the table short.
 */
export function statsByLocalPort(records: readonly ConnectionRecord[], limit = 10): PortStats[] {
  const byPort = new Map<number, Map<TcpState, number>>();
  for (const r of records) {
    if (r.local.port === null) continue;
    let m = byPort.get(r.local.port);
    if (!m) byPort.set(r.local.port, (m = new Map()));
    bump(m, r.state);
  }
  return [...byPort]
    .map(([port, m]) => ({ port, total: sum(m), counts: orderedCounts(m) }))
    .sort((a, b) => b.total - a.total || a.port - b.port)
    .slice(0, limit);
}

/**
 * Connections grouped by owning process, where the source shows owners (ss -p, netstat -p,
 * Windows netstat -o). A socket shared by several processes (after fork) counts for each.
 */
export function statsByProcess(records: readonly ConnectionRecord[], limit = 10): ProcessStats[] {
  const byPid = new Map<number, { name?: string; states: Map<TcpState, number> }>();
  for (const r of records) {
    for (const p of r.processes ?? []) {
      let entry = byPid.get(p.pid);
      if (!entry) byPid.set(p.pid, (entry = { states: new Map() }));
      if (p.name !== undefined) entry.name = p.name;
      bump(entry.states, r.state);
    }
  }
  return [...byPid]
    .map(([pid, e]) => ({
      pid,
      ...(e.name !== undefined ? { name: e.name } : {}),
      total: sum(e.states),
      counts: orderedCounts(e.states),
    }))
    .sort((a, b) => b.total - a.total || a.pid - b.pid)
    .slice(0, limit);
}

function sum(m: Map<TcpState, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}

/** "node (pid 42)", or "pid 42" when the source shows no name. */
export function describeProcess(p: { pid: number; name?: string }): string {
  return p.name !== undefined ? `${p.name} (pid ${p.pid})` : `pid ${p.pid}`;
}

/**
 * An orphaned FIN_WAIT_2 (the application closed, the peer has not sent its FIN) is handed
 * to the timewait machinery: tcp_close() calls tcp_time_wait(sk, TCP_FIN_WAIT2, tmo)
 * (net/ipv4/tcp.c). ss shows it as FIN-WAIT-2 with timer:(timewait,…), /proc as st=05 tr=3.
 */
export function isOrphanTimer(r: ConnectionRecord): boolean {
  return r.timer !== undefined && /time.?wait/i.test(r.timer.kind);
}

/**
 * The number comparable with /proc/net/sockstat's `tw`: the kernel counts every timewait
 * minisocket, which is every TIME_WAIT plus every orphaned FIN_WAIT_2 (see isOrphanTimer).
 */
export function timewaitSockets(records: readonly ConnectionRecord[]): number {
  let n = 0;
  for (const r of records) if (r.state === "TIME_WAIT" || (r.state === "FIN_WAIT_2" && isOrphanTimer(r))) n++;
  return n;
}
