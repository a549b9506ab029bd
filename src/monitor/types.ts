/**
 * What the monitor passes around: a collector's sample, the kernel's settings that the
 * anomaly rules compare against, and the snapshot that the CLI prints (docs/monitor-json.md).
 */
import type { TcpState } from "../fsm/states.js";
import type { SockstatTcp } from "../parse/sockstat.js";
import type { ConnectionRecord, Diagnostic } from "../parse/types.js";

/** Where a sample came from. */
export type SourceName = "proc" | "ss" | "netstat-linux" | "netstat-bsd" | "netstat-windows";

/** What the user asks for; "netstat" picks the platform's netstat. */
export type SourceChoice = "auto" | "proc" | "ss" | "netstat";

export interface Sample {
  readonly source: SourceName;
  /** The command run or the files read, for the learner: "ss -tanoep", "/proc/net/tcp + /proc/net/tcp6". */
  readonly origin: string;
  /** Epoch milliseconds when the sample was taken. */
  readonly takenAt: number;
  /** How long collecting took, in milliseconds. */
  readonly elapsedMs: number;
  readonly records: readonly ConnectionRecord[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Kernel settings the rules need. Each is undefined where it cannot be read (not Linux,
 * no /proc): the rules then say what they could not check instead of guessing.
 */
export interface SystemFacts {
  readonly platform: string;
  /** net.ipv4.ip_local_port_range, inclusive. */
  readonly ephemeralPortRange?: readonly [number, number];
  /** net.ipv4.tcp_fin_timeout, seconds. */
  readonly finTimeoutSec?: number;
  readonly maxOrphans?: number;
  readonly maxSynBacklog?: number;
  /** /proc/net/sockstat's TCP line: the whole network namespace, IPv4 and IPv6. */
  readonly sockstat?: SockstatTcp;
}

export interface PortStats {
  readonly port: number;
  readonly total: number;
  readonly counts: Partial<Record<TcpState, number>>;
}

export interface ProcessStats {
  readonly pid: number;
  readonly name?: string;
  readonly total: number;
  readonly counts: Partial<Record<TcpState, number>>;
}

export type Severity = "warning" | "critical";

export interface Anomaly {
  /** The rule's id, e.g. "close-wait-pileup". */
  readonly rule: string;
  readonly severity: Severity;
  readonly state?: TcpState;
  /** The measured value the threshold was compared with. */
  readonly value: number;
  readonly threshold: number;
  /** What was found, with numbers: "312 CLOSE_WAIT connections (threshold 100)". */
  readonly message: string;
  /** One line for a learner: what this means and what to do. */
  readonly explanation: string;
  /** Who holds them, when known: "node (pid 4242) on port 8080: 310". */
  readonly holders?: readonly string[];
}

export interface MonitorFilter {
  /** Keep connections whose local or remote port is this one. */
  readonly port?: number;
  readonly state?: TcpState;
}
