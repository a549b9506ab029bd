/**
 * The anomaly rules, as a table of data. Each row names the threshold it reads, says why the
 * default is what it is, and carries one line for a learner; `measure` only counts. Adding a
 * rule is adding a row (and a key to Thresholds). Pure: no Node imports.
 */
import type { TcpState } from "../fsm/states.js";
import type { ConnectionRecord } from "../parse/types.js";
import { describeProcess, isOrphanTimer } from "./stats.js";
import type { StateCounts } from "../parse/count.js";
import type { Anomaly, Severity, SystemFacts } from "./types.js";

export interface Thresholds {
  /** Fire when more connections than this sit in CLOSE_WAIT. */
  readonly closeWait: number;
  /** Fire when more connections than this sit in TIME_WAIT… */
  readonly timeWait: number;
  /** …or when TIME_WAIT holds at least this share (0–1) of the ephemeral range towards one destination. */
  readonly timeWaitPortShare: number;
  /** Fire when more FIN_WAIT_2 connections than this are not covered by the orphan timeout. */
  readonly finWait2Stuck: number;
  /** Fire when more connections than this sit in SYN_RCVD. */
  readonly synRcvd: number;
  /** Fire when sockstat reports more orphaned sockets than this. */
  readonly orphans: number;
  /** Fire when a listener's accept queue is at least this full (0–1); needs ss's Send-Q (the backlog). */
  readonly acceptQueue: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  closeWait: 100,
  timeWait: 1000,
  timeWaitPortShare: 0.5,
  finWait2Stuck: 10,
  synRcvd: 100,
  orphans: 1000,
  acceptQueue: 1,
};

export interface RuleContext {
  /** The connections after --port/--state filtering. */
  readonly records: readonly ConnectionRecord[];
  readonly counts: StateCounts;
  readonly facts: SystemFacts;
  /**
   * How long each connection has been seen in its current state, in ms, keyed by
   * `connectionKey`; known only when sampling over time. Empty for a single snapshot.
   */
  readonly ages: ReadonlyMap<string, number>;
}

/** What a rule measured; the table turns it into an Anomaly when it crosses the threshold. */
interface Measurement {
  readonly value: number;
  readonly fired: boolean;
  readonly message: string;
  readonly severity?: Severity;
  readonly holders?: readonly string[];
}

export interface AnomalyRule {
  readonly id: string;
  readonly title: string;
  readonly state?: TcpState;
  readonly threshold: keyof Thresholds;
  /** Why the default threshold is what it is. */
  readonly why: string;
  /** One line for a learner: what it means and what to do about it. */
  readonly explanation: string;
  /** `threshold` is thresholds[this.threshold]; `all` for rules that read a second one. */
  readonly measure: (ctx: RuleContext, threshold: number, all: Thresholds) => Measurement;
}

/** Identifies one connection across samples (the 4-tuple plus the state). */
export function connectionKey(r: ConnectionRecord): string {
  return `${r.local.address}|${r.local.port}|${r.remote.address}|${r.remote.port}|${r.state}`;
}

const fmt = (n: number): string => n.toLocaleString("en-US");
const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;
const endpoint = (a: { address: string; port: number | null }): string =>
  `${a.address.includes(":") ? `[${a.address}]` : a.address}:${a.port ?? "*"}`;

/** Group connections in one state by (process, local port), busiest first. */
function holders(records: readonly ConnectionRecord[], state: TcpState, limit = 5): string[] {
  const groups = new Map<string, number>();
  for (const r of records) {
    if (r.state !== state) continue;
    const port = r.local.port ?? "*";
    const owners = r.processes && r.processes.length > 0 ? r.processes.map(describeProcess).join(", ") : "unknown process";
    const key = `${owners} on port ${port}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([k, n]) => `${k}: ${fmt(n)}`);
}

export const ANOMALY_RULES: readonly AnomalyRule[] = [
  {
    id: "close-wait-pileup",
    title: "CLOSE_WAIT pile-up",
    state: "CLOSE_WAIT",
    threshold: "closeWait",
    why:
      "The lesson's value. CLOSE_WAIT lasts only until the application calls close(), normally microseconds, " +
      "so a healthy host shows almost none; 100 leaves room for a busy server's momentary bursts.",
    explanation:
      "The peer closed its side (sent FIN) but the application never called close(): a socket leak in the " +
      "program, not a network problem. Close sockets in finally/with/defer.",
    measure(ctx, threshold) {
      const value = ctx.counts.CLOSE_WAIT;
      return {
        value,
        fired: value > threshold,
        message: `${fmt(value)} connections in CLOSE_WAIT (threshold ${fmt(threshold)})`,
        holders: holders(ctx.records, "CLOSE_WAIT"),
      };
    },
  },
  {
    id: "time-wait-pileup",
    title: "TIME_WAIT pile-up",
    state: "TIME_WAIT",
    threshold: "timeWait",
    why:
      "The lesson's value. Linux holds TIME_WAIT for 60 s, so 1000 means about 17 closes a second that this " +
      "host initiated: a short-connection pattern worth seeing. The real limit is the ephemeral port range " +
      "per destination, which the rule also checks (timeWaitPortShare).",
    explanation:
      "TIME_WAIT is normal for whichever side closes first and costs little memory; it hurts only when it uses " +
      "up the ephemeral ports towards one destination (connect() fails with EADDRNOTAVAIL). Reuse connections " +
      "(keep-alive, pools) rather than tuning sysctls.",
    measure(ctx, threshold, all) {
      const value = ctx.counts.TIME_WAIT;
      const range = ctx.facts.ephemeralPortRange;
      let rangeText = "ephemeral port range unknown";
      let worstShare = 0;
      let worstDest = "";
      let holdersList: string[] = [];
      if (range) {
        const size = range[1] - range[0] + 1;
        const used = new Set<number>();
        const perDest = new Map<string, Set<number>>();
        for (const r of ctx.records) {
          const p = r.local.port;
          if (r.state !== "TIME_WAIT" || p === null || p < range[0] || p > range[1]) continue;
          used.add(p);
          const dest = endpoint(r.remote);
          let s = perDest.get(dest);
          if (!s) perDest.set(dest, (s = new Set()));
          s.add(p);
        }
        const ranked = [...perDest].map(([d, s]) => [d, s.size] as const).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
        if (ranked[0]) {
          worstDest = ranked[0][0];
          worstShare = ranked[0][1] / size;
        }
        holdersList = ranked.slice(0, 5).map(([d, n]) => `towards ${d}: ${fmt(n)} ephemeral ports (${pct(n / size)})`);
        rangeText =
          `${fmt(used.size)} of ${fmt(size)} ephemeral ports ${range[0]}–${range[1]} (${pct(used.size / size)}) held in TIME_WAIT` +
          (worstDest ? `; most towards ${worstDest} (${pct(worstShare)})` : "");
      }
      const byShare = range !== undefined && worstShare >= all.timeWaitPortShare;
      return {
        value,
        fired: value > threshold || byShare,
        severity: worstShare >= 0.9 ? "critical" : "warning",
        message: `${fmt(value)} connections in TIME_WAIT (threshold ${fmt(threshold)}); ${rangeText}`,
        holders: holdersList,
      };
    },
  },
  {
    id: "fin-wait-2-stuck",
    title: "FIN_WAIT_2 stuck past the orphan timeout",
    state: "FIN_WAIT_2",
    threshold: "finWait2Stuck",
    why:
      "A handful of half-closed connections is normal (a client that sent its request, called shutdown() and " +
      "waits for the reply); more than 10 that no timeout will clear suggests peers that never send their FIN.",
    explanation:
      "We sent our FIN and the peer ACKed it but never sent its own. If our application already closed the " +
      "socket the kernel drops it after tcp_fin_timeout; if the application still holds it, nothing times it out.",
    measure(ctx, threshold) {
      const timeoutSec = ctx.facts.finTimeoutSec ?? 60;
      let orphaned = 0;
      let held = 0;
      let overdue = 0;
      const tracked = ctx.ages.size > 0;
      for (const r of ctx.records) {
        if (r.state !== "FIN_WAIT_2") continue;
        if (isOrphanTimer(r)) {
          orphaned++;
          continue;
        }
        held++;
        const age = ctx.ages.get(connectionKey(r));
        if (age !== undefined && age >= timeoutSec * 1000) overdue++;
      }
      // Over time, only those seen for longer than the timeout count; in a single snapshot every
      // FIN_WAIT_2 that has no orphan timer is one that the timeout will not clear.
      const value = tracked ? overdue : held;
      const how = tracked
        ? `${fmt(overdue)} FIN_WAIT_2 seen for longer than tcp_fin_timeout (${timeoutSec} s)`
        : `${fmt(held)} FIN_WAIT_2 held by an application (no orphan timer, so tcp_fin_timeout = ${timeoutSec} s does not apply)`;
      return {
        value,
        fired: value > threshold,
        message: `${how}; ${fmt(orphaned)} orphaned and timing out (threshold ${fmt(threshold)})`,
        holders: holders(ctx.records, "FIN_WAIT_2"),
      };
    },
  },
  {
    id: "syn-rcvd-backlog",
    title: "SYN_RCVD backlog",
    state: "SYN_RCVD",
    threshold: "synRcvd",
    why:
      "A handshake completes in one round trip, so SYN_RCVD is normally near zero; 100 is far above a healthy " +
      "server's level yet well below Linux's tcp_max_syn_backlog (at least 128).",
    explanation:
      "Handshakes waiting for the client's final ACK: a SYN flood, clients on a lossy network, or a listener " +
      "whose accept queue is full. Check the listener's backlog and whether SYN cookies are on.",
    measure(ctx, threshold) {
      const value = ctx.counts.SYN_RCVD;
      const limit = ctx.facts.maxSynBacklog;
      return {
        value,
        fired: value > threshold,
        severity: limit !== undefined && value >= limit * 0.9 ? "critical" : "warning",
        message:
          `${fmt(value)} connections in SYN_RCVD (threshold ${fmt(threshold)})` +
          (limit !== undefined ? `; tcp_max_syn_backlog is ${fmt(limit)}` : ""),
        holders: holders(ctx.records, "SYN_RCVD"),
      };
    },
  },
  {
    id: "orphans",
    title: "Orphaned sockets",
    threshold: "orphans",
    why:
      "Orphans normally finish their close within a round trip or two; 1000 is a busy server's level and " +
      "far below tcp_max_orphans, past which Linux resets connections and logs 'too many orphaned sockets'.",
    explanation:
      "Sockets the application has closed that are still finishing their close (FIN_WAIT_1, CLOSING, LAST_ACK), " +
      "holding unsent or unacknowledged data, or only their FIN (a LAST_ACK orphan may hold nothing else); many of them mean peers that stopped reading or vanished. System-wide, from /proc/net/sockstat.",
    measure(ctx, threshold) {
      const s = ctx.facts.sockstat;
      if (!s) return { value: 0, fired: false, message: "orphan count unknown (no /proc/net/sockstat)" };
      const limit = ctx.facts.maxOrphans;
      return {
        value: s.orphan,
        fired: s.orphan > threshold,
        severity: limit !== undefined && s.orphan >= limit * 0.9 ? "critical" : "warning",
        message:
          `${fmt(s.orphan)} orphaned sockets system-wide (threshold ${fmt(threshold)})` +
          (limit !== undefined ? `; tcp_max_orphans is ${fmt(limit)} (${pct(s.orphan / limit)})` : ""),
      };
    },
  },
  {
    id: "accept-queue-full",
    title: "Listener's accept queue full",
    state: "LISTEN",
    threshold: "acceptQueue",
    why:
      "For a listener ss shows the accept queue in Recv-Q and its limit (the backlog) in Send-Q; a full queue " +
      "(share 1) means new handshakes are being dropped. Only ss shows the limit, so other sources never fire.",
    explanation:
      "Connections have completed the handshake but the application is not calling accept() fast enough; " +
      "clients see slow connects or timeouts. Accept faster or raise the backlog (listen(), somaxconn).",
    measure(ctx, threshold) {
      const full: string[] = [];
      let worst = 0;
      for (const r of ctx.records) {
        if (r.state !== "LISTEN" || !r.sendQ || r.recvQ === undefined) continue;
        const share = r.recvQ / r.sendQ;
        worst = Math.max(worst, share);
        if (share >= threshold) full.push(`${endpoint(r.local)}: ${fmt(r.recvQ)} of ${fmt(r.sendQ)} waiting for accept()`);
      }
      return {
        value: worst,
        fired: full.length > 0,
        message: `${full.length} listener(s) with a full accept queue (threshold ${pct(threshold)} of the backlog)`,
        holders: full.slice(0, 5),
      };
    },
  },
];

/** Run every rule; an anomaly for each that fires, in table order. */
export function evaluateRules(ctx: RuleContext, thresholds: Partial<Thresholds> = {}): Anomaly[] {
  const t: Thresholds = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const out: Anomaly[] = [];
  for (const rule of ANOMALY_RULES) {
    const threshold = t[rule.threshold];
    const m = rule.measure(ctx, threshold, t);
    if (!m.fired) continue;
    out.push({
      rule: rule.id,
      severity: m.severity ?? "warning",
      ...(rule.state !== undefined ? { state: rule.state } : {}),
      value: m.value,
      threshold,
      message: m.message,
      explanation: rule.explanation,
      ...(m.holders && m.holders.length > 0 ? { holders: m.holders } : {}),
    });
  }
  return out;
}
