/**
 * Chapter 04 (TIME_WAIT) helpers. Pure: no Node imports, so the site can run them too.
 *
 * - `sickClientDump()`: an `ss -tanp` dump of a client that ran out of ephemeral ports, built
 *   from a population run (the counts) and a seeded generator (which port holds which state),
 *   so the exercise's dump is computed, reproducible from its seed, and never a pasted literal.
 * - `diagnoseDump()`: reads any `ss -tan[p]` text with the library's parser and says what is
 *   wrong, by numbers (the exercise's judge uses it).
 * - `uniqCounts()` / `notStates()`: what `… | sort | uniq -c` printed, and which of its "states"
 *   are really header words (the netstat/awk one-liner's flaw, computed on live output).
 * - `timeWaitRstOutcomes()`: the table's answer for a RST arriving in TIME_WAIT, with RFC 1337's
 *   protection off (Linux's default, net.ipv4.tcp_rfc1337 = 0) and on.
 * - `parseSlabinfo()`: object sizes from /proc/slabinfo (tw_sock_TCP against TCP).
 * - `TIME_WAIT_REMEDIES`: what each commonly advised "fix" really does, with its source.
 */
import { decide } from "../fsm/machine.js";
import { EVENT_LABELS, type TcpEvent } from "../fsm/events.js";
import { PROFILES, type Profile, type ProfileName } from "../fsm/profiles.js";
import type { TcpState } from "../fsm/states.js";
import { parseSs } from "../parse/ss.js";
import { stateFromName } from "../parse/state-names.js";
import type { ConnectionRecord } from "../parse/types.js";
import { DEFAULT_PORT_RANGE, simulatePopulation, type PopulationCounts } from "../sim/population.js";
import { seededRandom } from "../sim/prng.js";
import type { EndpointName, Trace } from "../sim/trace.js";

// ---------------------------------------------------------------------------------------------
// The sick client's `ss -tanp` dump

export interface SickClientOptions {
  /** Seed for which port holds which state and the file descriptors (default 11). */
  readonly seed?: number;
  /** Connections per second the client opens to the one server port (default 2000). */
  readonly rate?: number;
  /** The client's ephemeral port range (default Linux's 32768–60999). */
  readonly portRange?: readonly [number, number];
}

export interface SickClientDump {
  /** The dump, as `ss -tanp` prints it (header line first). */
  readonly text: string;
  readonly seed: number;
  readonly rate: number;
  readonly portRange: readonly [number, number];
  /** The simulated second the dump shows (a second after the ports ran out). */
  readonly at: number;
  /** When connect() first failed with EADDRNOTAVAIL in the population run, seconds. */
  readonly exhaustedAt: number;
  /** The client side's sockets by state at `at` (what the dump's lines to the server are). */
  readonly clientCounts: PopulationCounts;
  /** connect() calls that had failed with EADDRNOTAVAIL by `at`. */
  readonly failedByThen: number;
  readonly clientAddress: string;
  readonly server: string;
}

/** ss's spelling of each state the dump may hold (iproute2 misc/ss.c sstate_name[]). */
const SS_NAME: Partial<Record<TcpState, string>> = {
  ESTABLISHED: "ESTAB", SYN_SENT: "SYN-SENT", FIN_WAIT_1: "FIN-WAIT-1", FIN_WAIT_2: "FIN-WAIT-2",
  TIME_WAIT: "TIME-WAIT", CLOSE_WAIT: "CLOSE-WAIT", LAST_ACK: "LAST-ACK", LISTEN: "LISTEN", CLOSING: "CLOSING",
};

const CLIENT_ADDRESS = "10.0.0.5";
const SERVER = "10.0.0.7:8080";
const PROGRAM = "fetcher";
const PID = 4242;

function row(state: string, local: string, peer: string, process = ""): string {
  return `${state.padEnd(10)} ${"0".padEnd(6)} ${"0".padEnd(6)} ${local.padStart(20)} ${peer.padStart(20)} ${process}`.trimEnd();
}

/**
 * A client that opens `rate` connections a second to one server port and closes each first:
 * every closed connection keeps its local port in TIME_WAIT for 60 s (Linux TCP_TIMEWAIT_LEN),
 * so the range runs out after range / rate seconds and connect() fails with EADDRNOTAVAIL
 * (Linux __inet_hash_connect()). The counts come from `simulatePopulation` one second after
 * exhaustion; the seeded generator only decides which port is in which state and in what order
 * ss lists them (the kernel's hash order, which looks random). The process column shows the
 * program only on sockets it still owns: TIME_WAIT minisockets belong to no process.
 */
export function sickClientDump(opts: SickClientOptions = {}): SickClientDump {
  const seed = opts.seed ?? 11;
  const rate = opts.rate ?? 2000;
  const portRange = opts.portRange ?? DEFAULT_PORT_RANGE;
  const [lo, hi] = portRange;
  const size = hi - lo + 1;
  const pop = simulatePopulation({ rate, count: Math.ceil(rate * (size / rate + 3)), closer: "client", profile: "linux", portRange });
  if (pop.portsExhaustedAt === null) throw new Error(`sickClientDump: at ${rate}/s the range ${lo}–${hi} never runs out; raise the rate`);
  const at = Math.ceil(pop.portsExhaustedAt) + 1;
  const sample = pop.perSecond.find((s) => s.t === at) ?? pop.perSecond[pop.perSecond.length - 1];
  if (!sample) throw new Error("sickClientDump: the population run has no samples");
  const clientCounts = sample.client;
  const random = seededRandom(seed);
  const ports = Array.from({ length: size }, (_, i) => lo + i);
  for (let i = ports.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [ports[i], ports[j]] = [ports[j] as number, ports[i] as number];
  }
  const lines: string[] = [];
  let next = 0;
  let fd = 20;
  for (const [state, n] of Object.entries(clientCounts) as [TcpState, number][]) {
    const name = SS_NAME[state];
    if (!name) continue;
    for (let k = 0; k < n && next < ports.length; k++) {
      const owned = state !== "TIME_WAIT";
      lines.push(row(name, `${CLIENT_ADDRESS}:${ports[next++]}`, SERVER, owned ? `users:(("${PROGRAM}",pid=${PID},fd=${fd++}))` : ""));
    }
  }
  // The rest of the host: sshd listening and one session, a metrics listener.
  lines.push(row("LISTEN", "0.0.0.0:22", "0.0.0.0:*", 'users:(("sshd",pid=611,fd=3))'));
  lines.push(row("LISTEN", "0.0.0.0:9100", "0.0.0.0:*", 'users:(("node_exporter",pid=702,fd=3))'));
  lines.push(row("ESTAB", `${CLIENT_ADDRESS}:22`, "10.0.0.1:51514", 'users:(("sshd",pid=3120,fd=4))'));
  // ss lists sockets in hash-table order: shuffle the lines with the same generator.
  for (let i = lines.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
  }
  const header = `${"State".padEnd(10)} Recv-Q Send-Q ${"Local Address:Port".padStart(20)} ${"Peer Address:Port".padStart(20)} Process`;
  const failedByThen = Math.max(0, Math.floor((at - pop.portsExhaustedAt) * rate));
  return {
    text: [header, ...lines].join("\n") + "\n",
    seed, rate, portRange: [lo, hi], at, exhaustedAt: pop.portsExhaustedAt, clientCounts, failedByThen,
    clientAddress: CLIENT_ADDRESS, server: SERVER,
  };
}

// ---------------------------------------------------------------------------------------------
// Diagnosing a dump

/** What `diagnoseDump` can conclude. */
export const DUMP_CAUSES = [
  "ephemeral-ports-exhausted",
  "close-wait-leak",
  "syn-flood-or-full-backlog",
  "time-wait-memory",
  "nothing-wrong",
] as const;
export type DumpCause = (typeof DUMP_CAUSES)[number];

export interface PeerGroup {
  /** "address:port" of the remote end. */
  readonly peer: string;
  readonly sockets: number;
  readonly byState: Partial<Record<TcpState, number>>;
  /** Distinct local ports these sockets use. */
  readonly localPorts: number;
}

export interface DumpDiagnosis {
  readonly sockets: number;
  readonly byState: Partial<Record<TcpState, number>>;
  /** The remote endpoint most sockets go to. */
  readonly topPeer: PeerGroup | undefined;
  readonly portRange: readonly [number, number];
  /** Distinct local ports inside the ephemeral range that any socket holds. */
  readonly ephemeralPortsHeld: number;
  readonly rangeSize: number;
  readonly cause: DumpCause;
  /** The numbers behind `cause`, in one sentence. */
  readonly evidence: string;
}

function bump(m: Partial<Record<TcpState, number>>, s: TcpState): void {
  m[s] = (m[s] ?? 0) + 1;
}

/**
 * Reads an `ss -tan[p]` dump and says what is wrong, by numbers:
 * - almost every ephemeral port held (≥ 95 % of the range) → the ports ran out; connect() fails
 *   with EADDRNOTAVAIL (Linux __inet_hash_connect() finds no free port);
 * - CLOSE_WAIT the largest state → the application does not close() after EOF;
 * - SYN-RECV the largest → a SYN flood or an accept() loop that cannot keep up.
 * TIME_WAIT's memory is never the cause: a minisocket is a few hundred bytes (`parseSlabinfo`).
 */
export function diagnoseDump(text: string, portRange: readonly [number, number] = DEFAULT_PORT_RANGE): DumpDiagnosis {
  const parsed = parseSs(text);
  const records: readonly ConnectionRecord[] = parsed.records;
  const byState: Partial<Record<TcpState, number>> = {};
  const peers = new Map<string, { byState: Partial<Record<TcpState, number>>; ports: Set<number>; n: number }>();
  const held = new Set<number>();
  const [lo, hi] = portRange;
  for (const r of records) {
    bump(byState, r.state);
    if (r.state === "LISTEN") continue;
    const lp = r.local.port;
    if (lp !== undefined && lp !== null && lp >= lo && lp <= hi) held.add(lp);
    const key = `${r.remote.address}:${r.remote.port ?? "*"}`;
    const g = peers.get(key) ?? { byState: {}, ports: new Set<number>(), n: 0 };
    g.n++;
    bump(g.byState, r.state);
    if (lp !== undefined && lp !== null) g.ports.add(lp);
    peers.set(key, g);
  }
  let top: PeerGroup | undefined;
  for (const [peer, g] of peers) {
    if (!top || g.n > top.sockets) top = { peer, sockets: g.n, byState: g.byState, localPorts: g.ports.size };
  }
  const rangeSize = hi - lo + 1;
  const largest = (Object.entries(byState) as [TcpState, number][]).sort((a, b) => b[1] - a[1])[0];
  let cause: DumpCause = "nothing-wrong";
  let evidence = `${records.length} sockets, nothing out of proportion.`;
  if (held.size >= 0.95 * rangeSize) {
    cause = "ephemeral-ports-exhausted";
    const tw = top?.byState.TIME_WAIT ?? 0;
    evidence =
      `${held.size} of the ${rangeSize} ephemeral ports (${lo}–${hi}) are held; ${top?.sockets ?? 0} sockets go to ${top?.peer ?? "?"}, ` +
      `${tw} of them in TIME_WAIT, so connect() to that server finds no free local port (EADDRNOTAVAIL).`;
  } else if (largest && largest[0] === "CLOSE_WAIT") {
    cause = "close-wait-leak";
    evidence = `${largest[1]} of ${records.length} sockets are in CLOSE_WAIT: the peers closed and the application never did.`;
  } else if (largest && largest[0] === "SYN_RCVD") {
    cause = "syn-flood-or-full-backlog";
    evidence = `${largest[1]} of ${records.length} sockets are in SYN-RECV: handshakes that do not complete.`;
  }
  return { sockets: records.length, byState, topPeer: top, portRange: [lo, hi], ephemeralPortsHeld: held.size, rangeSize, cause, evidence };
}

// ---------------------------------------------------------------------------------------------
// The counting one-liners

export interface UniqCount {
  readonly count: number;
  readonly word: string;
  /** The state the word names in any tool's spelling; undefined when it is no state at all. */
  readonly state: TcpState | undefined;
}

/** Parses what `sort | uniq -c` printed ("  12 TIME_WAIT" a line). */
export function uniqCounts(text: string): UniqCount[] {
  const out: UniqCount[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s+(\S*)\s*$/.exec(line);
    if (!m) continue;
    const word = m[2] ?? "";
    out.push({ count: Number(m[1]), word, state: word === "" ? undefined : stateFromName(word) });
  }
  return out;
}

/** The lines of a `uniq -c` count that are not TCP states: header words, blank fields. */
export function notStates(counts: readonly UniqCount[]): UniqCount[] {
  return counts.filter((c) => c.state === undefined);
}

// ---------------------------------------------------------------------------------------------
// A RST in TIME_WAIT: RFC 1337

export interface RstInTimeWait {
  readonly profile: ProfileName;
  readonly rfc1337: boolean;
  readonly event: TcpEvent;
  readonly label: string;
  /** The state TIME_WAIT goes to, or TIME_WAIT when the RST is ignored or refused. */
  readonly next: TcpState;
  readonly what: string;
  readonly ref: string;
}

/**
 * What the transition table does with a RST arriving in TIME_WAIT, at RCV.NXT (RCV_RST) and
 * elsewhere in the window (RCV_RST_IN_WINDOW), with RFC 1337's protection off and on. RFC 9293
 * §3.10.7.4 deletes the TCB ("assassination", RFC 1337 §2); RFC 1337 §3 ignores the RST; Linux
 * does the latter only with net.ipv4.tcp_rfc1337 = 1 (tcp_timewait_state_process()).
 */
export function timeWaitRstOutcomes(profile: ProfileName = "linux"): RstInTimeWait[] {
  const out: RstInTimeWait[] = [];
  for (const rfc1337 of [false, true]) {
    const p: Profile = { ...PROFILES[profile], rfc1337 };
    for (const event of ["RCV_RST", "RCV_RST_IN_WINDOW"] as const) {
      const { outcome } = decide("TIME_WAIT", event, p, {});
      const next = outcome.kind === "transition" ? outcome.next : "TIME_WAIT";
      const what = outcome.kind === "transition" ? outcome.note : `ignored: ${outcome.reason}`;
      out.push({ profile, rfc1337, event, label: EVENT_LABELS[event], next, what, ref: outcome.ref });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// /proc/slabinfo

export interface SlabSize {
  readonly name: string;
  readonly activeObjects: number;
  readonly objectSize: number;
}

/**
 * Object sizes from /proc/slabinfo (version 2.1: name, active_objs, num_objs, objsize, …).
 * `names` picks the caches (default the TIME_WAIT minisocket and the full TCP socket).
 */
export function parseSlabinfo(text: string, names: readonly string[] = ["tw_sock_TCP", "TCP"]): SlabSize[] {
  const out: SlabSize[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !names.includes(f[0] ?? "")) continue;
    const active = Number(f[1]);
    const size = Number(f[3]);
    if (Number.isInteger(active) && Number.isInteger(size)) out.push({ name: f[0] as string, activeObjects: active, objectSize: size });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// What the usual "fixes" do

export const REMEDIES = [
  "enable-tcp-tw-recycle",
  "lower-tcp-fin-timeout",
  "raise-tcp-max-tw-buckets",
  "widen-ip-local-port-range",
  "reuse-connections",
] as const;
export type Remedy = (typeof REMEDIES)[number];

export interface RemedyFacts {
  readonly remedy: Remedy;
  /** The sysctl or practice, as an operator would type or say it. */
  readonly action: string;
  readonly effect: string;
  readonly source: string;
}

export const TIME_WAIT_REMEDIES: Readonly<Record<Remedy, RemedyFacts>> = {
  "enable-tcp-tw-recycle": {
    remedy: "enable-tcp-tw-recycle",
    action: "sysctl net.ipv4.tcp_tw_recycle=1",
    effect: "The sysctl no longer exists: Linux 4.12 removed it because it dropped SYNs from clients behind NAT, whose timestamps are not monotonic across hosts.",
    source: "Linux commit 4396e46187ca (\"tcp: remove tcp_tw_recycle\", 4.12)",
  },
  "lower-tcp-fin-timeout": {
    remedy: "lower-tcp-fin-timeout",
    action: "sysctl net.ipv4.tcp_fin_timeout=10",
    effect: "It bounds orphaned FIN_WAIT_2 sockets only; TIME_WAIT stays TCP_TIMEWAIT_LEN, 60 s, fixed at compile time.",
    source: "Documentation/networking/ip-sysctl.rst (tcp_fin_timeout); include/net/tcp.h TCP_TIMEWAIT_LEN",
  },
  "raise-tcp-max-tw-buckets": {
    remedy: "raise-tcp-max-tw-buckets",
    action: "sysctl net.ipv4.tcp_max_tw_buckets=…",
    effect: "It caps how many TIME_WAIT sockets may exist; raising it adds none of the ports that are missing, and lowering it only destroys TIME_WAIT early (counted in TcpExtTCPTimeWaitOverflow).",
    source: "Linux tcp_time_wait() in net/ipv4/tcp_minisocks.c",
  },
  "widen-ip-local-port-range": {
    remedy: "widen-ip-local-port-range",
    action: "sysctl net.ipv4.ip_local_port_range=\"1024 65535\"",
    effect: "More ports postpone exhaustion in proportion, but the range then covers service ports: a service that starts later finds its port taken by an outgoing connection (bind() EADDRINUSE) unless it is listed in ip_local_reserved_ports.",
    source: "Documentation/networking/ip-sysctl.rst (ip_local_port_range, ip_local_reserved_ports)",
  },
  "reuse-connections": {
    remedy: "reuse-connections",
    action: "HTTP keep-alive / a connection pool in the client",
    effect: "One connection carries many requests, so the client closes (and holds TIME_WAIT) once per connection instead of once per request.",
    source: "RFC 9112 §9.3 (persistent connections); Little's law: fewer closes per second, fewer TIME_WAIT sockets",
  },
};

// ---------------------------------------------------------------------------------------------
// TIME_WAIT in a trace

export interface TimeWaitInterval {
  readonly endpoint: EndpointName;
  /** When the endpoint entered TIME_WAIT, seconds. */
  readonly enter: number;
  /** When it left (2MSL expired, or a RST), seconds; null if the trace ends first. */
  readonly leave: number | null;
}

/** Each stay in TIME_WAIT of a trace (simulated or replayed), in order. */
export function timeWaitIntervals(trace: Trace): TimeWaitInterval[] {
  const out: TimeWaitInterval[] = [];
  const open = new Map<EndpointName, number>();
  for (const e of trace.events) {
    if (e.type !== "state") continue;
    if (e.to === "TIME_WAIT") open.set(e.endpoint, e.t);
    else if (e.from === "TIME_WAIT") {
      out.push({ endpoint: e.endpoint, enter: open.get(e.endpoint) ?? e.t, leave: e.t });
      open.delete(e.endpoint);
    }
  }
  for (const [endpoint, enter] of open) out.push({ endpoint, enter, leave: null });
  return out.sort((a, b) => a.enter - b.enter);
}
