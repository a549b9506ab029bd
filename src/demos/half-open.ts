/**
 * A half-open connection (RFC 9293 §3.5.1 "Half-Open Connections and Other Anomalies"): the
 * peer's host disappears without sending a FIN or a RST. Nothing tells the survivor; its end
 * stays ESTABLISHED. It learns only when
 *   - data it sent is never acknowledged and TCP_USER_TIMEOUT (RFC 9293 §3.8.3, the "USER
 *     TIMEOUT"; RFC 5482) runs out: ETIMEDOUT (tcp_retransmit_timer → tcp_write_timeout →
 *     retransmits_timed_out → tcp_write_err, net/ipv4/tcp_timer.c);
 *   - keepalive probes (RFC 9293 §3.8.4; tcp_keepalive_timer) go unanswered TCP_KEEPCNT times:
 *     ETIMEDOUT;
 *   - or the host comes back without the connection and answers the next segment with a RST
 *     (RFC 9293 §3.10.7.1, no TCB: tcp_v4_rcv → no_tcp_socket → tcp_v4_send_reset): ECONNRESET.
 * An idle connection without keepalive never learns at all.
 *
 * Two private network namespaces joined by a veth pair (src/demos/netns.ts): the peer ("server",
 * host a, 198.51.100.1) and the survivor ("client", host b, 198.51.100.2). The crash: a's
 * address is removed, so b's segments still cross the wire but a drops them on input without
 * answering (ip_route_input_slow finds no local route; a host that does not forward drops the
 * packet in ip_error without an ICMP), then a's sockets are wiped while it is unreachable (a
 * SO_LINGER 0 close: its RST has no route and goes nowhere). The comeback: the address returns,
 * no socket. (Setting a's link down instead would take b's carrier away too: that is b's
 * cable pulled, b's segments are dropped before they leave, a different failure.)
 *
 * Both ends are python3 socket drivers (src/demos/socket-driver.ts): Node's net has no
 * TCP_USER_TIMEOUT, TCP_KEEPINTVL or TCP_KEEPCNT. States are read from /proc/<driver pid>/net/tcp,
 * i.e. inside each namespace; counters from that namespace's /proc/net/snmp and netstat, which
 * count only this demo's sockets (the namespaces are new).
 */
import type { TcpState } from "../fsm/states.js";
import { parseProcNetTcp } from "../parse/proc.js";
import type { DemoDefinition } from "./definition.js";
import { sleep, type DemoHarness } from "./harness.js";
import { createNetnsPair, netnsUnavailable, readCounters, readProcNet, type NetnsPair } from "./netns.js";
import { outcome, startSocketDriver, type DriverArgs, type DriverReply, type SocketDriver } from "./socket-driver.js";
import type { DemoStep, Sides } from "./types.js";

/** Connection 1's TCP_USER_TIMEOUT, ms. */
export const HALF_OPEN_USER_TIMEOUT_MS = 1500;
/** Connection 2's keepalive: TCP_KEEPIDLE s, TCP_KEEPINTVL s, TCP_KEEPCNT. */
export const HALF_OPEN_KEEPALIVE = [1, 1, 2] as const;
export const HALF_OPEN_WRITE_BYTES = 100;

const STEP_BUDGET_MS = 2000;

interface Conn {
  readonly name: string;
  readonly clientPort: number;
  /** h.now() when connect() returned. */
  readonly connectedAt: number;
}

interface World {
  readonly h: DemoHarness;
  readonly pair: NetnsPair;
  readonly peer: SocketDriver;
  readonly survivor: SocketDriver;
  readonly serverPort: number;
}

function stateIn(pid: number, local: { address: string; port: number }, remotePort: number): TcpState {
  const { records } = parseProcNetTcp(readProcNet(pid, "tcp"));
  const r = records.find((r) => r.state !== "LISTEN" && r.local.address === local.address && r.local.port === local.port && r.remote.port === remotePort);
  return r?.state ?? "CLOSED";
}

function sidesOf(w: World, c: Conn): Sides {
  return {
    client: stateIn(w.survivor.pid, { address: w.pair.b.address, port: c.clientPort }, w.serverPort),
    server: stateIn(w.peer.pid, { address: w.pair.a.address, port: w.serverPort }, c.clientPort),
  };
}

function sendQueue(w: World, c: Conn): number {
  const { records } = parseProcNetTcp(readProcNet(w.survivor.pid, "tcp"));
  return records.find((r) => r.local.port === c.clientPort && r.remote.port === w.serverPort)?.sendQ ?? 0;
}

const same = (a: Sides, b: Sides): boolean => a.client === b.client && a.server === b.server;

/**
 * Poll the connections' states in their namespaces until each is as expected (or the budget is
 * spent), then record the step: observed is the common state, or the first connection that differs.
 */
async function observeAll(w: World, step: string, expected: Sides, conns: readonly Conn[], detail?: DemoStep["detail"], extraOk = true): Promise<DemoStep> {
  const deadline = Date.now() + STEP_BUDGET_MS;
  let seen = conns.map((c) => sidesOf(w, c));
  while (!seen.every((s) => same(s, expected)) && Date.now() < deadline) {
    await sleep(10);
    seen = conns.map((c) => sidesOf(w, c));
  }
  const observed = seen.find((s) => !same(s, expected)) ?? seen[0] ?? { client: "CLOSED", server: "CLOSED" };
  return w.h.record(step, expected, observed, detail, extraOk);
}

function delta(after: Record<string, number>, before: Record<string, number>, name: string): number {
  return (after[name] ?? 0) - (before[name] ?? 0);
}

async function expectOk(r: Promise<DriverReply>, what: string): Promise<DriverReply> {
  const reply = await r;
  if (!reply.ok) throw new Error(`half-open: ${what} failed: ${reply.errno} ${reply.message ?? ""}`);
  return reply;
}

async function scenario(h: DemoHarness, pair: NetnsPair, drivers: SocketDriver[]): Promise<void> {
  const peer = await startSocketDriver(h, pair.a.netns);
  drivers.push(peer);
  const survivor = await startSocketDriver(h, pair.b.netns);
  drivers.push(survivor);
  const { a, b } = pair;
  await expectOk(peer.request("socket", { s: "L", host: a.address }), "socket()");
  const serverPort = (await expectOk(peer.request("bind", { s: "L", host: a.address, port: 0 }), "bind()")).port ?? 0;
  await expectOk(peer.request("listen", { s: "L" }), "listen()");
  // The kernel trace sees every namespace: this port marks the server's transitions.
  h.serverPorts.add(serverPort);
  h.resources.ports.push(serverPort);
  h.checkpoint("server-listening");
  const w: World = { h, pair, peer, survivor, serverPort };

  // 1. Three connections, each with its own way (or none) of noticing a dead peer.
  const options: { name: string; opts: DriverArgs; what: string }[] = [
    { name: "c1", opts: { userTimeoutMs: HALF_OPEN_USER_TIMEOUT_MS }, what: `TCP_USER_TIMEOUT ${HALF_OPEN_USER_TIMEOUT_MS} ms` },
    { name: "c2", opts: { keepalive: [...HALF_OPEN_KEEPALIVE] }, what: `SO_KEEPALIVE, idle ${HALF_OPEN_KEEPALIVE[0]} s, interval ${HALF_OPEN_KEEPALIVE[1]} s, ${HALF_OPEN_KEEPALIVE[2]} probes` },
    { name: "c3", opts: {}, what: "no timeout, no keepalive" },
  ];
  const conns: Conn[] = [];
  for (const [i, o] of options.entries()) {
    await expectOk(survivor.request("socket", { s: o.name, host: b.address }), "socket()");
    if (Object.keys(o.opts).length > 0) await expectOk(survivor.request("setsockopt", { s: o.name, ...o.opts }), "setsockopt()");
    const accepting = peer.request("accept", { s: "L", as: `s${i + 1}` });
    const connected = await survivor.request("connect", { s: o.name, host: a.address, port: serverPort });
    h.call("client", `connect() on connection ${i + 1} (${o.what})`, outcome(connected));
    if (!connected.ok) throw new Error(`half-open: connect() failed: ${connected.errno} ${connected.message ?? ""}`);
    await expectOk(accepting, "accept()");
    conns.push({ name: o.name, clientPort: connected.port ?? 0, connectedAt: h.now() });
    h.resources.ports.push(connected.port ?? 0);
  }
  const [c1, c2, c3] = conns as [Conn, Conn, Conn];
  await observeAll(w, "three connections from b to a: the three-way handshakes complete", { client: "ESTABLISHED", server: "ESTABLISHED" }, conns, {
    connections: 3,
  });
  h.checkpoint("connected");

  // 2. The crash: a leaves the network, then its sockets are wiped. Nothing reaches b.
  const beforeCrash = readCounters(survivor.pid);
  const crashedAt = h.now();
  await pair.setAddressA(false);
  for (const s of ["s1", "s2", "s3"]) await expectOk(peer.request("close", { s, linger0: true }), "close()");
  await expectOk(peer.request("close", { s: "L" }), "close()");
  await sleep(50);
  const segmentsToB = delta(readCounters(survivor.pid), beforeCrash, "TcpInSegs");
  await observeAll(
    w,
    "a crashes: its address is gone and its sockets vanish; no FIN, no RST reaches b",
    { client: "ESTABLISHED", server: "CLOSED" },
    conns,
    { segmentsReceivedByB: segmentsToB },
    segmentsToB === 0,
  );

  // 3–4. Connection 1 writes; connection 2 stays idle with keepalive on. Both wait for news.
  const written = await survivor.request("send", { s: c1.name, bytes: HALF_OPEN_WRITE_BYTES });
  const writtenAt = h.now();
  h.call("client", `write(${HALF_OPEN_WRITE_BYTES} bytes) on connection 1`, written.ok ? `${written.bytes} bytes` : outcome(written));
  // What follows, as observed here: RTO ~204 ms (rto_min 200 ms + a tiny RTT variance). The
  // segment goes out again as a tail loss probe at ~0.2 s (tcp_send_loss_probe →
  // __tcp_retransmit_skb, TcpExtTCPLossProbes), then by RTO at ~0.41, 0.82, 1.64 s (doubling,
  // tcp_retransmit_timer). TCP_USER_TIMEOUT is measured from retrans_stamp, which the first RTO
  // retransmission sets (tcp_retransmit_skb; the probe does not), so ETIMEDOUT comes at
  // ~0.41 + 1.5 ≈ 1.9 s after the write, before the next RTO: 4 retransmissions in all.
  const read1 = survivor.request("read", { s: c1.name, timeout: 8 });
  const read2 = survivor.request("read", { s: c2.name, timeout: 8 });
  await sleep(1000);
  const midway = readCounters(survivor.pid);
  const unacked = sendQueue(w, c1);
  const retransSoFar = delta(midway, beforeCrash, "TcpRetransSegs");
  h.record(
    "connection 1, 1 s after its write: no ACK comes; still ESTABLISHED, retransmitting",
    { client: "ESTABLISHED", server: "CLOSED" },
    sidesOf(w, c1),
    { unackedBytes: unacked, retransmissionsSoFar: retransSoFar },
    unacked === HALF_OPEN_WRITE_BYTES && retransSoFar >= 1,
  );

  const r1 = await read1;
  const failed1At = h.now();
  h.call("client", "read() on connection 1", outcome(r1));
  const after1 = readCounters(survivor.pid);
  await observeAll(
    w,
    `connection 1: TCP_USER_TIMEOUT (${HALF_OPEN_USER_TIMEOUT_MS} ms) runs out: ETIMEDOUT`,
    { client: "CLOSED", server: "CLOSED" },
    [c1],
    {
      error: outcome(r1),
      msAfterWrite: Math.round((failed1At - writtenAt) * 1000),
      retransmissions: delta(after1, beforeCrash, "TcpRetransSegs"),
      lossProbes: delta(after1, beforeCrash, "TcpExtTCPLossProbes"),
    },
    r1.errno === "ETIMEDOUT",
  );

  const r2 = await read2;
  const failed2At = h.now();
  h.call("client", "read() on connection 2", outcome(r2));
  const after2 = readCounters(survivor.pid);
  await observeAll(
    w,
    `connection 2, idle: ${HALF_OPEN_KEEPALIVE[2]} keepalive probes go unanswered: ETIMEDOUT`,
    { client: "CLOSED", server: "CLOSED" },
    [c2],
    {
      error: outcome(r2),
      msAfterConnect: Math.round((failed2At - c2.connectedAt) * 1000),
      keepaliveProbes: delta(after2, beforeCrash, "TcpExtTCPKeepAlive"),
    },
    r2.errno === "ETIMEDOUT" && delta(after2, beforeCrash, "TcpExtTCPKeepAlive") === HALF_OPEN_KEEPALIVE[2],
  );

  // 5. Connection 3 has nothing to send and no keepalive: it cannot know.
  await observeAll(w, "connection 3, idle without keepalive: still ESTABLISHED, it cannot know", { client: "ESTABLISHED", server: "CLOSED" }, [c3], {
    secondsSinceCrash: Math.round((h.now() - crashedAt) * 10) / 10,
  });

  // 6. a comes back with the same address and no connection; b's next segment meets a RST.
  const peerBefore = readCounters(peer.pid);
  const survivorBefore = readCounters(survivor.pid);
  await pair.setAddressA(true);
  await observeAll(w, "a comes back: same address, no socket (b still does not know)", { client: "ESTABLISHED", server: "CLOSED" }, [c3]);
  const sent3 = await survivor.request("send", { s: c3.name, bytes: 10 });
  h.call("client", "write(10 bytes) on connection 3", sent3.ok ? `${sent3.bytes} bytes` : outcome(sent3));
  const r3 = await survivor.request("read", { s: c3.name, timeout: 3 });
  h.call("client", "read() on connection 3", outcome(r3));
  const peerResets = delta(readCounters(peer.pid), peerBefore, "TcpOutRsts");
  await observeAll(
    w,
    "connection 3 writes: a has no such connection and answers RST: ECONNRESET",
    { client: "CLOSED", server: "CLOSED" },
    [c3],
    { error: outcome(r3), resetsSentByA: peerResets, retransmissions: delta(readCounters(survivor.pid), survivorBefore, "TcpRetransSegs") },
    r3.errno === "ECONNRESET" && peerResets === 1,
  );
}

export const halfOpen: DemoDefinition = {
  name: "half-open",
  title: "A peer that vanishes: half-open connections",
  description:
    "Two private network namespaces on a veth pair. Host b opens three connections to host a; then a crashes: it drops off the network and its " +
    "sockets vanish without a FIN or RST. b's ends stay ESTABLISHED. Connection 1 writes and retransmits unanswered until TCP_USER_TIMEOUT " +
    `(${HALF_OPEN_USER_TIMEOUT_MS} ms) ends it with ETIMEDOUT; idle connection 2 learns by keepalive (1 s idle, 1 s interval, 2 probes): ETIMEDOUT; ` +
    "idle connection 3, without keepalive, never notices, until a comes back with no connection and answers its next write with a RST: " +
    "ECONNRESET. Needs root and iproute2.",
  async prepare(h) {
    return {
      ports: [],
      async run() {
        const unavailable = netnsUnavailable();
        if (unavailable !== undefined) {
          h.record(`not run: ${unavailable}`, { client: "CLOSED", server: "CLOSED" }, { client: "CLOSED", server: "CLOSED" }, { unavailable }, false);
          return;
        }
        const pair = await createNetnsPair();
        const drivers: SocketDriver[] = [];
        try {
          await scenario(h, pair, drivers);
        } finally {
          // The drivers first: a namespace with a process in it outlives `ip netns del`.
          for (const d of drivers) await h.kill(d.child);
          await pair.destroy();
        }
      },
    };
  },
};
