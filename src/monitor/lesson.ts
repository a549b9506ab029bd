/**
 * Chapter 06's lesson helpers, so that the notebook's cells read as steps of the lesson.
 *
 * Two halves:
 * - pure (no Node at load time): the spelling table (RFC 9293 / BSD / ss / net-tools / /proc),
 *   the original script's substring count, and two seeded `ss` dumps of sick hosts that
 *   chapter 06's exercises diagnose (src/exercises/catalog/ch06.ts imports these, and the
 *   exercise catalogue is a pure module);
 * - live (loopback servers and clients, polling /proc): these load `node:net`, the /proc
 *   collector and execa only when called (dynamic `import()`), so importing this file never
 *   pulls Node into the pure catalogue.
 */
import type { AddressInfo, Server, ServerOpts, Socket } from "node:net";
import { STATES, type TcpState } from "../fsm/states.js";
import { STATE_SPELLINGS } from "../parse/state-names.js";
import { countByState, type StateCounts } from "../parse/count.js";
import { parseSs } from "../parse/ss.js";
import { formatAddress } from "../parse/address.js";
import type { ConnectionRecord } from "../parse/types.js";
import { seededRandom, type Random } from "../sim/prng.js";
import { applyFilter } from "./stats.js";
import { evaluateRules, type Thresholds } from "./rules.js";
import type { StateCountSample } from "../render/state-counts.js";
import { formatSeconds, type TraceRecord } from "../trace/records.js";
import type { Anomaly, SystemFacts } from "./types.js";
import type { DemoSegment } from "../demos/types.js";

// ---------------------------------------------------------------------------------------------
// Spellings

/**
 * RFC 9293 §3.3.2 spells every state with hyphens ("SYN-RECEIVED", "FIN-WAIT-1"). The library's
 * names (`SYN_RCVD`, `FIN_WAIT_1`) are BSD netstat's (and Stevens'), not the RFC's.
 */
export const RFC_STATE_SPELLING: Readonly<Record<TcpState, string>> = {
  CLOSED: "CLOSED",
  LISTEN: "LISTEN",
  SYN_SENT: "SYN-SENT",
  SYN_RCVD: "SYN-RECEIVED",
  ESTABLISHED: "ESTABLISHED",
  FIN_WAIT_1: "FIN-WAIT-1",
  FIN_WAIT_2: "FIN-WAIT-2",
  CLOSE_WAIT: "CLOSE-WAIT",
  CLOSING: "CLOSING",
  LAST_ACK: "LAST-ACK",
  TIME_WAIT: "TIME-WAIT",
};

/**
 * Spellings the parsers accept but no tool prints. The kernel's TCP_NEW_SYN_RECV (12, `0C`) is
 * internal: /proc/net/tcp prints request sockets as `03` (net/ipv4/tcp_ipv4.c
 * `get_openreq4()`), and iproute2's ss prints them as SYN-RECV.
 */
export const KERNEL_INTERNAL_SPELLINGS: ReadonlySet<string> = new Set(["NEW-SYN-RECV", "0C"]);

export interface SpellingRow {
  readonly state: TcpState;
  readonly rfc: string;
  /** BSD netstat's spelling: the library's name. */
  readonly bsd: string;
  readonly ss: string;
  readonly netstatLinux: string;
  readonly proc: string;
}

const printed = (xs: readonly string[]): string => xs.filter((x) => !KERNEL_INTERNAL_SPELLINGS.has(x)).join(", ");

/** One row per state: how the RFC, BSD netstat (the library), ss, net-tools and /proc write it. */
export function spellingRows(): SpellingRow[] {
  return STATES.map((s) => ({
    state: s,
    rfc: RFC_STATE_SPELLING[s],
    bsd: printed(STATE_SPELLINGS["netstat-bsd"][s]),
    ss: printed(STATE_SPELLINGS.ss[s]),
    netstatLinux: printed(STATE_SPELLINGS["netstat-linux"][s]),
    proc: printed(STATE_SPELLINGS.proc[s]),
  }));
}

/** The spelling table as text; a `*` marks a spelling that differs from the RFC's. */
export function renderSpellingTable(): string {
  const cols: [string, keyof SpellingRow, number][] = [
    ["RFC 9293", "rfc", 13], ["BSD (library)", "bsd", 14], ["ss", "ss", 12], ["net-tools", "netstatLinux", 12], ["/proc st", "proc", 8],
  ];
  const mark = (row: SpellingRow, k: keyof SpellingRow) => (k !== "rfc" && k !== "proc" && row[k] !== row.rfc ? `${row[k]}*` : row[k]);
  const lines = [cols.map(([h, , w]) => h.padEnd(w)).join(" ").trimEnd()];
  for (const row of spellingRows()) lines.push(cols.map(([, k, w]) => mark(row, k).padEnd(w)).join(" ").trimEnd());
  return lines.join("\n");
}

/** The states a tool prints exactly as RFC 9293 §3.3.2 spells them. */
export function statesSpelledAsRfc(tool: "ss" | "netstat-linux" | "netstat-bsd"): TcpState[] {
  return STATES.filter((s) => STATE_SPELLINGS[tool][s].includes(RFC_STATE_SPELLING[s]));
}

// ---------------------------------------------------------------------------------------------
// The original script's count

/** The state names of the original script's enum: BSD netstat's underscore spellings. */
export const LESSON_STATE_NAMES: readonly string[] = [
  "CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
];

/** The original script's count: each line counts under the first state name found in it as a substring. */
export function lessonCount(text: string): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(LESSON_STATE_NAMES.map((s) => [s, 0]));
  for (const line of text.split("\n")) {
    const hit = LESSON_STATE_NAMES.find((name) => line.includes(name));
    if (hit !== undefined) counts[hit] = (counts[hit] ?? 0) + 1;
  }
  return counts;
}

/** The listing's header line and the lines that mention `port` as a local or peer port. */
export function linesOnPort(text: string, port: number, opts: { header?: boolean } = {}): string[] {
  const mine = new RegExp(`:${port}(\\s|$)`);
  const lines = text.split("\n");
  const ours = lines.filter((l) => mine.test(l));
  return opts.header === false ? ours : [lines[0] ?? "", ...ours];
}

/** The first column of each line, without repeats: what the State column really says. */
export function firstColumns(lines: readonly string[]): string[] {
  return [...new Set(lines.map((l) => l.trim().split(/\s+/)[0] ?? "").filter((x) => x !== ""))];
}

/** One record as a line: its input line, state, both addresses and queues. */
export function formatRecordLine(r: ConnectionRecord): string {
  return `line ${String(r.line).padStart(5)}  ${r.state.padEnd(12)} ${formatAddress(r.local).padEnd(22)} → ${formatAddress(r.remote).padEnd(22)} Recv-Q ${r.recvQ ?? "-"} Send-Q ${r.sendQ ?? "-"}`;
}

/** "ESTABLISHED 6, LISTEN 1": the non-zero counts. */
export function nonZeroCounts(counts: Partial<StateCounts>): string {
  return STATES.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${s} ${counts[s]}`).join(", ") || "none";
}

/** Columns of counts side by side, one row per state (the states where any column is non-zero, or all). */
export function renderCountColumns(columns: Record<string, Partial<Record<TcpState, number>>>, opts: { all?: boolean } = {}): string {
  const names = Object.keys(columns);
  const width = Math.max(6, ...names.map((n) => n.length));
  const rows = STATES.filter((s) => opts.all === true || names.some((n) => (columns[n]?.[s] ?? 0) > 0));
  return [
    `${"state".padEnd(12)} ${names.map((n) => n.padStart(width)).join(" ")}`,
    ...rows.map((s) => `${s.padEnd(12)} ${names.map((n) => String(columns[n]?.[s] ?? 0).padStart(width)).join(" ")}`),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Seeded dumps of sick hosts (exercises 06.2–06.4)

interface Row {
  readonly state: string;
  readonly recvQ: number;
  readonly sendQ: number;
  readonly local: string;
  readonly peer: string;
  readonly tail: string;
}

function formatSsRows(rows: readonly Row[], tailHeader: string): string {
  const lines = [`State      Recv-Q Send-Q  Local Address:Port      Peer Address:Port  ${tailHeader}`.trimEnd()];
  for (const r of rows) {
    lines.push(
      `${r.state.padEnd(10)} ${String(r.recvQ).padEnd(6)} ${String(r.sendQ).padEnd(6)} ${r.local.padStart(19)} ${r.peer.padStart(22)}  ${r.tail}`.trimEnd(),
    );
  }
  return lines.join("\n") + "\n";
}

function shuffle<T>(xs: T[], rnd: Random): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

const between = (rnd: Random, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

/** Distinct ports drawn from [lo, hi]. */
function ports(rnd: Random, n: number, lo: number, hi: number): number[] {
  const out = new Set<number>();
  while (out.size < n) out.add(between(rnd, lo, hi));
  return [...out];
}

const users = (name: string, pid: number, fd: number) => `users:(("${name}",pid=${pid},fd=${fd}))`;

export interface SickServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** What is wrong with it, for the exercise's explanations; "healthy" when nothing is. */
  readonly role: "leaks-close-wait" | "accept-queue-full" | "closed-first" | "healthy";
}

export interface SickServerDump {
  readonly seed: number;
  /** What `ss -tanop` printed. */
  readonly text: string;
  readonly processes: readonly SickServerProcess[];
}

/**
 * `ss -tanop` on a sick web server, generated from a seeded model (the seed is printed with it):
 * nginx on :443 proxies to a Node API on 127.0.0.1:3000 that stopped reading and closing its
 * connections after nginx gave up on them (nginx's ends: orphaned FIN-WAIT-2, its own ends
 * CLOSE-WAIT with the request still unread in Recv-Q); a second, healthy Node process on :3001
 * with TIME-WAIT towards an outside API; a Python service on :8000 whose accept queue is full
 * (Recv-Q = backlog + 1: Linux's `sk_acceptq_is_full()` compares with `>`), its queued
 * connections ESTAB with no process yet; postgres and sshd.
 */
export function sickServerDump(seed = 6): SickServerDump {
  const rnd = seededRandom(seed);
  const [nginx, api, worker, python, postgres, sshd] = ports(rnd, 6, 900, 29999);
  const P = {
    nginx: { name: "nginx", pid: nginx as number, port: 443, role: "closed-first" },
    api: { name: "node", pid: api as number, port: 3000, role: "leaks-close-wait" },
    worker: { name: "node", pid: worker as number, port: 3001, role: "healthy" },
    python: { name: "python3", pid: python as number, port: 8000, role: "accept-queue-full" },
    postgres: { name: "postgres", pid: postgres as number, port: 5432, role: "healthy" },
    sshd: { name: "sshd", pid: sshd as number, port: 22, role: "healthy" },
  } as const;
  const host = "10.0.0.10";
  const rows: Row[] = [];
  let fd = 20;
  const listen = (p: { name: string; pid: number; port: number }, addr: string, backlog: number, queued = 0) =>
    rows.push({ state: "LISTEN", recvQ: queued, sendQ: backlog, local: `${addr}:${p.port}`, peer: "0.0.0.0:*", tail: users(p.name, p.pid, 3 + rows.length) });
  listen(P.nginx, "0.0.0.0", 511);
  listen(P.api, "127.0.0.1", 511);
  listen(P.worker, "127.0.0.1", 511);
  const backlog = 16;
  listen(P.python, "0.0.0.0", backlog, backlog + 1);
  listen(P.postgres, "127.0.0.1", 244);
  listen(P.sshd, "0.0.0.0", 128);

  // Clients of nginx.
  const clientPorts = ports(rnd, between(rnd, 60, 90), 32768, 60999);
  for (const cp of clientPorts) {
    rows.push({ state: "ESTAB", recvQ: 0, sendQ: between(rnd, 0, 3) === 0 ? between(rnd, 1, 4000) : 0, local: `${host}:443`, peer: `198.51.100.${between(rnd, 2, 250)}:${cp}`, tail: users("nginx", P.nginx.pid, fd++) });
  }
  // nginx → the API: live ones on both ends…
  const upstream = ports(rnd, 420, 32768, 60999);
  const live = upstream.slice(0, between(rnd, 8, 14));
  for (const up of live) {
    rows.push({ state: "ESTAB", recvQ: 0, sendQ: 0, local: `127.0.0.1:${up}`, peer: "127.0.0.1:3000", tail: users("nginx", P.nginx.pid, fd++) });
    rows.push({ state: "ESTAB", recvQ: 0, sendQ: 0, local: "127.0.0.1:3000", peer: `127.0.0.1:${up}`, tail: users("node", P.api.pid, fd++) });
  }
  // …and the ones nginx gave up on: the API never read the request nor closed.
  const leaked = upstream.slice(live.length, live.length + between(rnd, 300, 400));
  const recent = new Set(leaked.slice(-between(rnd, 10, 20))); // nginx's orphans last only tcp_fin_timeout
  for (const up of leaked) {
    const unread = between(rnd, 0, 9) === 0 ? 0 : between(rnd, 180, 900);
    rows.push({ state: "CLOSE-WAIT", recvQ: unread, sendQ: 0, local: "127.0.0.1:3000", peer: `127.0.0.1:${up}`, tail: users("node", P.api.pid, fd++) });
    // An orphaned FIN_WAIT_2 is a timewait minisocket: no process, ss -o shows its timewait timer.
    if (recent.has(up)) rows.push({ state: "FIN-WAIT-2", recvQ: 0, sendQ: 0, local: `127.0.0.1:${up}`, peer: "127.0.0.1:3000", tail: `timer:(timewait,${between(rnd, 1, 59)}sec,0)` });
  }
  // The healthy worker: short calls to an outside API, closed first by the worker → TIME-WAIT.
  for (const up of ports(rnd, between(rnd, 30, 60), 32768, 60999)) {
    rows.push({ state: "TIME-WAIT", recvQ: 0, sendQ: 0, local: `${host}:${up}`, peer: "203.0.113.7:443", tail: `timer:(timewait,${between(rnd, 1, 59)}sec,0)` });
  }
  for (let i = 0; i < between(rnd, 2, 5); i++) {
    const up = between(rnd, 32768, 60999);
    rows.push({ state: "ESTAB", recvQ: 0, sendQ: 0, local: `${host}:${up}`, peer: "203.0.113.7:443", tail: users("node", P.worker.pid, fd++) });
  }
  // The Python service: backlog + 1 connections waiting for accept() (no process owns them yet).
  for (const cp of ports(rnd, backlog + 1, 32768, 60999)) {
    rows.push({ state: "ESTAB", recvQ: between(rnd, 70, 300), sendQ: 0, local: `${host}:8000`, peer: `10.0.0.${between(rnd, 20, 40)}:${cp}`, tail: "" });
  }
  for (const cp of ports(rnd, between(rnd, 2, 6), 32768, 60999)) {
    rows.push({ state: "SYN-RECV", recvQ: 0, sendQ: 0, local: `${host}:8000`, peer: `10.0.0.${between(rnd, 20, 40)}:${cp}`, tail: "" });
  }
  // Postgres with its clients (both Node processes).
  for (const [owner, n] of [[P.api, 5], [P.worker, 3]] as const) {
    for (const cp of ports(rnd, n, 32768, 60999)) {
      rows.push({ state: "ESTAB", recvQ: 0, sendQ: 0, local: `127.0.0.1:${cp}`, peer: "127.0.0.1:5432", tail: users("node", owner.pid, fd++) });
      rows.push({ state: "ESTAB", recvQ: 0, sendQ: 0, local: "127.0.0.1:5432", peer: `127.0.0.1:${cp}`, tail: users("postgres", P.postgres.pid, fd++) });
    }
  }
  rows.push({ state: "ESTAB", recvQ: 0, sendQ: 36, local: `${host}:22`, peer: `192.0.2.44:${between(rnd, 50000, 60000)}`, tail: users("sshd", P.sshd.pid, 4) });

  const listeners = rows.filter((r) => r.state === "LISTEN");
  const others = shuffle(rows.filter((r) => r.state !== "LISTEN"), rnd);
  return { seed, text: formatSsRows([...listeners, ...others], "Process"), processes: Object.values(P) };
}

/** The process (pid) that holds most CLOSE_WAIT sockets in a dump, as the monitor's records show it. */
export function closeWaitHolders(text: string): { pid: number; name: string; count: number; unread: number; ports: number[] }[] {
  const by = new Map<number, { pid: number; name: string; count: number; unread: number; ports: Set<number> }>();
  for (const r of parseSs(text).records) {
    if (r.state !== "CLOSE_WAIT") continue;
    for (const p of r.processes ?? []) {
      let e = by.get(p.pid);
      if (!e) by.set(p.pid, (e = { pid: p.pid, name: p.name ?? "?", count: 0, unread: 0, ports: new Set() }));
      e.count++;
      if ((r.recvQ ?? 0) > 0) e.unread++;
      if (r.local.port !== null) e.ports.add(r.local.port);
    }
  }
  return [...by.values()].sort((a, b) => b.count - a.count).map((e) => ({ ...e, ports: [...e.ports] }));
}

export interface RulesDump {
  readonly seed: number;
  /** What `ss -tano` printed on a client host. */
  readonly text: string;
  /** What the rules read besides the listing (this host narrowed ip_local_port_range). */
  readonly facts: SystemFacts;
  readonly thresholds: Partial<Thresholds>;
}

/**
 * `ss -tano` on a busy client host whose ip_local_port_range was narrowed to 1 024 ports:
 * a few hundred TIME-WAIT towards one server (below the count threshold, above the share),
 * orphaned FIN-WAIT-2 ends with their timewait timer, a few held FIN-WAIT-2, some CLOSE-WAIT
 * and a listener with room in its queue. Seeded; the exercise runs the rules on it.
 */
export function rulesDump(seed = 7): RulesDump {
  const rnd = seededRandom(seed);
  const range: [number, number] = [40000, 41023];
  const host = "10.0.0.20";
  const server = "192.0.2.80:443";
  const rows: Row[] = [{ state: "LISTEN", recvQ: between(rnd, 0, 3), sendQ: 4096, local: "0.0.0.0:8080", peer: "0.0.0.0:*", tail: "" }];
  const used = ports(rnd, between(rnd, 560, 700) + between(rnd, 30, 45) + between(rnd, 4, 9) + between(rnd, 20, 40), range[0], range[1]);
  let k = 0;
  const tw = between(rnd, 560, 700);
  for (; k < tw; k++) rows.push({ state: "TIME-WAIT", recvQ: 0, sendQ: 0, local: `${host}:${used[k]}`, peer: server, tail: `timer:(timewait,${between(rnd, 1, 59)}sec,0)` });
  const orphans = between(rnd, 30, 45);
  for (let i = 0; i < orphans; i++, k++) rows.push({ state: "FIN-WAIT-2", recvQ: 0, sendQ: 0, local: `${host}:${used[k]}`, peer: server, tail: `timer:(timewait,${between(rnd, 1, 59)}sec,0)` });
  const held = between(rnd, 4, 9);
  for (let i = 0; i < held; i++, k++) rows.push({ state: "FIN-WAIT-2", recvQ: 0, sendQ: 0, local: `${host}:${used[k]}`, peer: "192.0.2.81:5000", tail: "" });
  const established = between(rnd, 20, 40);
  for (let i = 0; i < established && k < used.length; i++, k++) rows.push({ state: "ESTAB", recvQ: 0, sendQ: 0, local: `${host}:${used[k]}`, peer: server, tail: `timer:(keepalive,${between(rnd, 1, 119)}sec,0)` });
  for (let i = 0; i < between(rnd, 40, 90); i++) {
    rows.push({ state: "CLOSE-WAIT", recvQ: 0, sendQ: 0, local: `${host}:8080`, peer: `10.0.1.${between(rnd, 2, 250)}:${between(rnd, 32768, 60999)}`, tail: "" });
  }
  const [listener, ...rest] = rows;
  return {
    seed,
    text: formatSsRows([listener as Row, ...shuffle(rest, rnd)], "Process"),
    facts: { platform: "linux", ephemeralPortRange: range, finTimeoutSec: 60 },
    thresholds: {},
  };
}

/** Runs the monitor's rules (src/monitor/rules.ts) on a dump, as `tcp-lifecycle monitor` would. */
export function rulesOnDump(dump: { text: string; facts: SystemFacts; thresholds: Partial<Thresholds> }): { counts: StateCounts; anomalies: Anomaly[] } {
  const records = parseSs(dump.text).records;
  const counts = countByState(records);
  return { counts, anomalies: evaluateRules({ records, counts, facts: dump.facts, ages: new Map() }, dump.thresholds) };
}

// ---------------------------------------------------------------------------------------------
// Live helpers (Node; loaded on first use)

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Counts by state of every connection whose local or remote port is `port`, from /proc/net/tcp*. */
export async function countsOnPort(port: number): Promise<StateCounts> {
  const { collectProc } = await import("./collectors/proc.js");
  return countByState(applyFilter((await collectProc()).records, { port }));
}

/** The connections on `port`, from /proc/net/tcp*. */
export async function recordsOnPort(port: number): Promise<readonly ConnectionRecord[]> {
  const { collectProc } = await import("./collectors/proc.js");
  return applyFilter((await collectProc()).records, { port });
}

export interface LocalServer {
  readonly server: Server;
  readonly port: number;
  /** Every socket the server accepted, in order. */
  readonly accepted: Socket[];
  /** Every client connected to it through connectLocal/connectMany, in order. */
  readonly clients: Socket[];
}

/**
 * A server on 127.0.0.1, on a kernel-chosen port that no other socket on this machine mentions
 * (a leftover TIME_WAIT can name a port the kernel hands out again), so "filtered to our port"
 * means "ours". `onConnection` gets each accepted socket and its index, after it is recorded.
 */
export async function listenLocal(onConnection: (socket: Socket, index: number) => void = (s) => s.resume(), options: ServerOpts = {}): Promise<LocalServer> {
  const net = await import("node:net");
  for (let attempt = 1; ; attempt++) {
    const accepted: Socket[] = [];
    const server = net.createServer(options, (s) => onConnection(s, accepted.push(s) - 1));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const counts = await countsOnPort(port);
    const others = STATES.reduce((a, s) => a + counts[s], 0) - 1; // minus our LISTEN
    if (others === 0) return { server, port, accepted, clients: [] };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (attempt === 10) throw new Error(`no free port after 10 tries: the last, ${port}, is used by ${others} other socket(s)`);
  }
}

/** A client connected to the server on 127.0.0.1; its data is read and dropped so that 'end' and 'close' fire. */
export async function connectLocal(to: LocalServer): Promise<Socket> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port: to.port }, () => resolve(socket));
    to.clients.push(socket);
    socket.once("error", reject);
    socket.resume();
  });
}

/** `n` clients connected one after the other; the new ones. */
export async function connectMany(to: LocalServer, n: number): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let i = 0; i < n; i++) out.push(await connectLocal(to));
  return out;
}

/** Resolves once the socket has closed. */
export function socketClosed(socket: Socket): Promise<void> {
  return new Promise<void>((resolve) => (socket.destroyed && socket.closed ? resolve() : socket.once("close", () => resolve())));
}

/** Destroys every client and every accepted socket, then closes the server. */
export async function shutdownLocal(s: LocalServer): Promise<void> {
  for (const x of [...s.clients, ...s.accepted]) x.destroy();
  await new Promise<void>((resolve) => s.server.close(() => resolve()));
}

/**
 * The kernel changes state asynchronously (a FIN may still be in flight when end() returns):
 * poll `port` every 10 ms, for at most 5 s, until the counts are the ones given.
 */
export async function settle(port: number, want: Partial<Record<TcpState, number>>): Promise<StateCounts> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const counts = await countsOnPort(port);
    if (STATES.every((s) => want[s] === undefined || counts[s] === want[s]) || Date.now() > deadline) return counts;
    await sleep(10);
  }
}

/** Runs `ss` with the arguments given and returns what it printed. */
export async function runSs(args: readonly string[]): Promise<string> {
  const { execa } = await import("execa");
  return (await execa("ss", [...args])).stdout;
}

/**
 * Polls /proc every `everyMs` until `done()` is true and records, per end ("client 41234" /
 * "server 41234", keyed by the client's port), every state the polls caught on `port`.
 */
export async function pollStatesUntil(port: number, done: () => boolean, everyMs = 50): Promise<Map<string, Set<TcpState>>> {
  const seen = new Map<string, Set<TcpState>>();
  while (!done()) {
    for (const r of await recordsOnPort(port)) {
      if (r.state === "LISTEN") continue;
      const server = r.local.port === port;
      const key = `${server ? "server" : "client"} ${server ? r.remote.port : r.local.port}`;
      let states = seen.get(key);
      if (!states) seen.set(key, (states = new Set()));
      states.add(r.state);
    }
    await sleep(everyMs);
  }
  return seen;
}

/** How many ends each poll caught in each state. */
export function caughtPerState(seen: ReadonlyMap<string, ReadonlySet<TcpState>>): Partial<Record<TcpState, number>> {
  const out: Partial<Record<TcpState, number>> = {};
  for (const states of seen.values()) for (const s of states) out[s] = (out[s] ?? 0) + 1;
  return out;
}

/** The samples as a table (the states that ever appear), then each state's peak. */
export function renderCountSeries(series: readonly StateCountSample[]): string {
  const shown = STATES.filter((s) => series.some((p) => (p.counts[s] ?? 0) > 0));
  const lines = [`${"t (s)".padStart(6)}  ${shown.map((s) => s.padStart(11)).join(" ")}`];
  for (const p of series) lines.push(`${p.t.toFixed(2).padStart(6)}  ${shown.map((s) => String(p.counts[s] ?? 0).padStart(11)).join(" ")}`);
  lines.push(`peak: ${shown.map((s) => `${s} ${Math.max(...series.map((p) => p.counts[s] ?? 0))}`).join(", ")}`);
  return lines.join("\n");
}

/** The kernel trace's records about connections on `port` (either end), without connect()'s port-0 change. */
export function traceRecordsOnPort(records: readonly TraceRecord[], port: number): TraceRecord[] {
  const ours = (e: string) => e.endsWith(`:${port}`);
  return records.filter((r) => r.type !== "lost" && (ours(r.local) || ours(r.remote)) && !r.remote.endsWith(":0"));
}

/** The trace's records about one connection, named by the client's port. */
export function traceRecordsOfClient(records: readonly TraceRecord[], clientPort: number): TraceRecord[] {
  return records.filter((r) => r.type !== "lost" && (r.local.endsWith(`:${clientPort}`) || r.remote.endsWith(`:${clientPort}`)));
}

/** How many ends the trace saw enter each state. */
export function enteredPerState(records: readonly TraceRecord[]): Partial<Record<TcpState, number>> {
  const out: Partial<Record<TcpState, number>> = {};
  for (const r of records) if (r.type === "transition") out[r.to] = (out[r.to] ?? 0) + 1;
  return out;
}

/** The longest time the trace saw any end spend in each state (from its transitions' `inState`). */
export function longestStayPerState(records: readonly TraceRecord[]): Partial<Record<TcpState, number>> {
  const out: Partial<Record<TcpState, number>> = {};
  for (const r of records) {
    if (r.type !== "transition" || r.inState === null) continue;
    out[r.from] = Math.max(out[r.from] ?? 0, r.inState);
  }
  return out;
}

/**
 * Per state (LISTEN left out): how many ends the trace saw enter it, the longest stay the trace
 * measured ("-" when no end left the state while tracing: TIME_WAIT's 60 s, CLOSED), and in how
 * many ends polling caught it. Without a trace the first two columns say "-".
 */
export function renderTraceVsPolling(traced: readonly TraceRecord[] | null, seen: ReadonlyMap<string, ReadonlySet<TcpState>>): string {
  const entered = traced ? enteredPerState(traced) : {};
  const stay = traced ? longestStayPerState(traced) : {};
  const caught = caughtPerState(seen);
  const rows = STATES.filter((s) => s !== "LISTEN" && ((entered[s] ?? 0) > 0 || (caught[s] ?? 0) > 0));
  const cell = (x: string, w: number) => x.padStart(w);
  return [
    `${"state".padEnd(12)} ${cell("entered (trace)", 16)} ${cell("longest stay (trace)", 21)} ${cell("caught by polling", 18)}`,
    ...rows.map((s) => {
      const e = traced ? String(entered[s] ?? 0) : "-";
      const l = traced && stay[s] !== undefined ? formatSeconds(stay[s] ?? 0) : "-";
      return `${s.padEnd(12)} ${cell(e, 16)} ${cell(l, 21)} ${cell(String(caught[s] ?? 0), 18)}`;
    }),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Chapter 06's two live stories (steps 4 and 5), so that their cells read as steps

export interface BuggyServerSeries {
  /** The server's port. */
  readonly port: number;
  /** One sample per `intervalMs`: seconds since the first sample, counts on the port. */
  readonly series: readonly StateCountSample[];
  /** The samples (1-based) in which the close-wait-pileup rule fired. */
  readonly closeWaitFired: readonly number[];
}

/**
 * Step 4's story, sampled with `runSampler` from /proc every `intervalMs` (`count` samples,
 * CLOSE_WAIT threshold lowered to 2): after sample 3, `clients` clients connect to a server that
 * closes only every other connection once the client's FIN has arrived (the forgotten ones sit in
 * CLOSE_WAIT: RFC 9293 §3.3.2, no timer ends it); after sample 8 every client closes; after
 * sample 14 the server closes the ones it forgot. Each action waits (`settle`) until the kernel
 * shows its result, so each phase is seen by several samples whatever the machine's load.
 * Everything opened is closed before it returns (TIME_WAIT sockets stay, by design).
 */
export async function sampleBuggyServer(opts: { readonly intervalMs?: number; readonly count?: number; readonly clients?: number } = {}): Promise<BuggyServerSeries> {
  const { runSampler } = await import("./sampler.js");
  const clients = opts.clients ?? 8;
  const half = Math.floor(clients / 2);
  const forgotten: Socket[] = [];
  const buggy = await listenLocal((s, index) => {
    s.resume();
    s.on("end", () => (index % 2 === 0 ? s.end() : forgotten.push(s))); // the bug: odd ones are never closed
  }, { allowHalfOpen: true });
  const series: StateCountSample[] = [];
  const closeWaitFired: number[] = [];
  let t0 = 0;
  try {
    await runSampler({
      source: "proc", intervalMs: opts.intervalMs ?? 200, count: opts.count ?? 20, filter: { port: buggy.port }, thresholds: { closeWait: 2 },
      async onSnapshot(snap, _series, sample) {
        if (series.length === 0) t0 = sample.takenAt;
        series.push({ t: (sample.takenAt - t0) / 1000, counts: snap.counts });
        if (snap.anomalies.some((a) => a.rule === "close-wait-pileup")) closeWaitFired.push(series.length);
        if (series.length === 3) {
          await connectMany(buggy, clients);
          await settle(buggy.port, { ESTABLISHED: 2 * clients });
        } else if (series.length === 8) {
          for (const c of buggy.clients) c.end();
          await settle(buggy.port, { ESTABLISHED: 0, TIME_WAIT: clients - half, CLOSE_WAIT: half, FIN_WAIT_2: half, LAST_ACK: 0 });
        } else if (series.length === 14) {
          for (const s of forgotten) s.end();
          await settle(buggy.port, { TIME_WAIT: clients, CLOSE_WAIT: 0, FIN_WAIT_2: 0, LAST_ACK: 0 });
        }
      },
    });
  } finally {
    await shutdownLocal(buggy);
  }
  return { port: buggy.port, series, closeWaitFired };
}

export interface TraceVsPollingStory {
  /** The server's port. */
  readonly port: number;
  /** How many connections the story made. */
  readonly connections: number;
  /** The clients' ports, in order (a closed socket forgets its own). */
  readonly clientPorts: readonly number[];
  /** What polling caught, per end (see pollStatesUntil). */
  readonly seenByPolling: ReadonlyMap<string, ReadonlySet<TcpState>>;
  /** The kernel trace's records on the port; null when tracing was not possible here. */
  readonly traced: readonly TraceRecord[] | null;
  /** Why there is no trace, and how to get one (only when `traced` is null). */
  readonly noTrace?: { readonly missing: string; readonly fix: string };
}

/**
 * Step 5's story, watched two ways at once: `connections` clients connect, send their FIN 100 ms
 * later, and the server closes 20 ms after each FIN; meanwhile `pollStatesUntil` polls /proc every
 * `pollMs` and the kernel's own tracepoint (`sock:inet_sock_set_state`, through
 * `startKernelTrace`; root only) records every change. Everything opened is closed (and the
 * trace instance removed) before it returns.
 */
export async function traceVsPollingStory(opts: { readonly connections?: number; readonly pollMs?: number } = {}): Promise<TraceVsPollingStory> {
  const { startKernelTrace } = await import("../trace/session.js");
  const connections = opts.connections ?? 8;
  const started = startKernelTrace({ keep: true });
  const kernelTrace = started.ok === true ? started.trace : null;
  const story = await listenLocal((s) => {
    s.resume();
    s.on("end", () => setTimeout(() => s.end(), 20)); // the server closes 20 ms after the client's FIN
  }, { allowHalfOpen: true });
  const clientPorts: number[] = [];
  let done = false;
  let seenByPolling = new Map<string, Set<TcpState>>();
  try {
    const run = (async () => {
      for (const c of await connectMany(story, connections)) clientPorts.push(c.localPort ?? 0);
      await sleep(100);
      for (const c of story.clients) c.end();
      await Promise.all(story.clients.map(socketClosed));
      await sleep(100);
    })().finally(() => {
      done = true;
    });
    seenByPolling = await pollStatesUntil(story.port, () => done, opts.pollMs ?? 50);
    await run;
  } finally {
    await shutdownLocal(story);
    if (kernelTrace) await kernelTrace.stop();
  }
  return {
    port: story.port,
    connections,
    clientPorts,
    seenByPolling,
    traced: kernelTrace ? traceRecordsOnPort(kernelTrace.records(), story.port) : null,
    ...(started.ok === false && { noTrace: { missing: started.missing, fix: started.fix } }),
  };
}

// ---------------------------------------------------------------------------------------------
// Chapter 05: one demo connection's captured segments, one line each

/**
 * One line per captured segment of connection `connection` (1-based) of a demo's capture:
 * direction, flags, seq and ack relative to each side's ISN (as the demo's replay gives them,
 * and as tcpdump prints them), payload length. The demo's table draws only its first connection
 * as a ladder; this lists any of them. Empty when there was no capture.
 */
export function formatDemoSegments(result: { readonly segments?: readonly DemoSegment[] }, connection = 1): string {
  return (result.segments ?? [])
    .filter((s) => s.connection === connection)
    .map((s) => `  ${s.from === "client" ? "client → server" : "server → client"}  ${s.flags.join("+").padEnd(8)} seq=${s.seq} ack=${s.ack} len=${s.len}`)
    .join("\n");
}
