/**
 * TIME_WAIT pile-up: N short connections, each closed first by the client, leave N TIME_WAIT
 * sockets on the client side. The count is checked against /proc/net/sockstat's `tw`, which
 * counts every TIME_WAIT minisocket in the network namespace — other processes' too — so
 * the comparison is between the collector's namespace-wide total and sockstat read at the
 * same moment, not between our N and sockstat.
 */
import { collectProc } from "../monitor/collectors/proc.js";
import { timewaitSockets } from "../monitor/stats.js";
import { readSockstat } from "../monitor/system.js";
import type { TcpState } from "../fsm/states.js";
import type { ConnectionRecord } from "../parse/types.js";
import { oneServerDemo } from "./definition.js";
import type { DemoHarness } from "./harness.js";

export const DEFAULT_PILEUP = 50;
export const MAX_PILEUP = 2000;
const CONCURRENCY = 8;

/**
 * How many tries consistentTimeWaitCounts makes, 10 ms apart, before it gives up: about 3 s
 * plus the reads, so a loaded machine with other tests churning sockets still finds a quiet
 * instant (usually the first try does), and the wait stays bounded.
 */
export const MAX_TW_TRIES = 300;

/**
 * Read sockstat, /proc/net/tcp{,6}, sockstat again, until the two sockstat reads and the
 * collector's total agree exactly. sockstat's tw counts the whole network namespace, so
 * other processes' TIME_WAIT sockets coming and going between the reads (the test suite's
 * other files do exactly that, in parallel) spoil a try; a quiet instant comes within a few
 * tries, and the monitor's kernel test relies on the same retry. Exact agreement is always
 * possible, so nothing weaker is accepted: after MAX_TW_TRIES spoiled tries the agreement is
 * "none" and the step fails, with the last readings in its detail. The last sample's records
 * come back too, so the caller observes its own sockets in that same instant.
 */
export async function consistentTimeWaitCounts(): Promise<{
  proc: number;
  sockstat: number | undefined;
  sockstatAfter: number | undefined;
  agreement: "exact" | "none";
  tries: number;
  records: readonly ConnectionRecord[];
}> {
  let last = { proc: 0, sockstat: undefined as number | undefined, sockstatAfter: undefined as number | undefined, tries: 0, records: [] as readonly ConnectionRecord[] };
  for (let tries = 1; tries <= MAX_TW_TRIES; tries++) {
    const before = (await readSockstat())?.tw;
    const { records } = await collectProc();
    // timewaitSockets counts what sockstat's tw counts: TIME_WAIT and orphaned FIN_WAIT_2 minisockets.
    const proc = timewaitSockets(records);
    const after = (await readSockstat())?.tw;
    last = { proc, sockstat: before, sockstatAfter: after, tries, records };
    if (before === undefined || after === undefined) break;
    if (before === after && proc === after) return { ...last, agreement: "exact" };
    await new Promise((r) => setTimeout(r, 10));
  }
  return { ...last, agreement: "none" };
}

/** What the kernel lists for our connections, by state, on each side. */
interface OurSockets {
  readonly client: ReadonlyMap<TcpState, number>;
  readonly server: ReadonlyMap<TcpState, number>;
}

/**
 * Our client sockets are the ones from our client ports to the server's port; a client port
 * the kernel no longer lists is CLOSED. Our server sockets are every non-listening socket on
 * the server's (ephemeral, ours alone) port; none listed means the server side is CLOSED.
 */
function ourSockets(records: readonly ConnectionRecord[], port: number, clientPorts: ReadonlySet<number>): OurSockets {
  const client = new Map<TcpState, number>();
  const server = new Map<TcpState, number>();
  const bump = (m: Map<TcpState, number>, s: TcpState): void => void m.set(s, (m.get(s) ?? 0) + 1);
  let listed = 0;
  for (const r of records) {
    if (r.remote.port === port && clientPorts.has(r.local.port ?? -1)) {
      bump(client, r.state);
      listed += 1;
    } else if (r.local.port === port && r.state !== "LISTEN") bump(server, r.state);
  }
  if (listed < clientPorts.size) client.set("CLOSED", clientPorts.size - listed);
  return { client, server };
}

/** The state most sockets on a side are in (CLOSED when the kernel lists none). */
function mostCommon(states: ReadonlyMap<TcpState, number>): TcpState {
  let best: TcpState = "CLOSED";
  let most = 0;
  for (const [s, n] of states) if (n > most) [best, most] = [s, n];
  return best;
}

/** "TIME_WAIT 7" or "TIME_WAIT 6, ESTABLISHED 1", most first; "none" when empty. */
function summary(states: ReadonlyMap<TcpState, number>): string {
  const parts = [...states].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} ${n}`);
  return parts.length > 0 ? parts.join(", ") : "none";
}

function observedSides(o: OurSockets): { client: TcpState; server: TcpState } {
  return { client: mostCommon(o.client), server: mostCommon(o.server) };
}

async function oneConnection(h: DemoHarness, port: number): Promise<number> {
  const client = await h.connect(port);
  const localPort = client.localPort ?? 0;
  const closed = h.waitFor(client, "close");
  client.destroy();
  await closed;
  return localPort;
}

export const timeWaitPileup = oneServerDemo({
  name: "time-wait-pileup",
  title: "TIME_WAIT pile-up",
  description:
    "N short connections, each closed first by the client: the active closer keeps each one in TIME_WAIT for 60 s on Linux. " +
    "The demo counts its own TIME_WAIT sockets through /proc/net/tcp and checks the namespace-wide total against /proc/net/sockstat's tw.",
  serverOptions: {},
  async run(h, server, port, options) {
    const n = Math.min(Math.max(Math.trunc(options.connections ?? DEFAULT_PILEUP), 1), MAX_PILEUP);
    server.on("connection", (s) => s.resume());
    const clientPorts = new Set<number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, n) }, async () => {
        while (next < n) {
          next += 1;
          clientPorts.add(await oneConnection(h, port));
        }
      }),
    );
    // One record for all N connections: each was connect() → ok, then close() → ok (a failure throws).
    h.call("client", `connect(), then close(), ${n} times`, "ok");
    const observe = async (): Promise<OurSockets> => ourSockets((await collectProc()).records, port, clientPorts);
    // Linux may hand connect() a port whose previous connection to this same server is still in
    // TIME_WAIT: net.ipv4.tcp_tw_reuse = 2, the default since 2018 (Linux 4.19), allows it for
    // loopback connect() with timestamps on (tcp_twsk_unique, net/ipv4/tcp_ipv4.c), and the new connection replaces that TIME_WAIT
    // socket. N connections then leave one TIME_WAIT socket per distinct port, not N.
    const distinct = clientPorts.size;
    const settled = (o: OurSockets): boolean => o.client.get("TIME_WAIT") === distinct && o.server.size === 0;
    const deadline = Date.now() + 2000;
    let o = await observe();
    while (!settled(o) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      o = await observe();
    }
    const ours = o.client.get("TIME_WAIT") ?? 0;
    const serverSockets = [...o.server.values()].reduce((a, b) => a + b, 0);
    h.record(
      `${n} connections, each closed first by the client`,
      { client: "TIME_WAIT", server: "CLOSED" },
      observedSides(o),
      {
        connections: n,
        clientPorts: clientPorts.size,
        timeWait: ours,
        clientOther: distinct - ours,
        portsReused: n - distinct,
        serverSockets,
        clientStates: summary(o.client),
        serverStates: summary(o.server),
      },
      ours === distinct && serverSockets === 0,
    );
    const totals = await consistentTimeWaitCounts();
    // Our own sockets, as listed in the sample that the totals were taken from.
    const now = ourSockets(totals.records, port, clientPorts);
    const oursNow = now.client.get("TIME_WAIT") ?? 0;
    h.record(
      "the collector's TIME_WAIT total agrees with /proc/net/sockstat tw",
      { client: "TIME_WAIT", server: "CLOSED" },
      observedSides(now),
      {
        procTimeWaitTotal: totals.proc,
        sockstatTw: totals.sockstat ?? "unavailable",
        sockstatTwAfter: totals.sockstatAfter ?? "unavailable",
        agreement: totals.agreement,
        tries: totals.tries,
        ours: oursNow,
        clientStates: summary(now.client),
        serverStates: summary(now.server),
      },
      totals.agreement === "exact" && totals.proc >= oursNow && oursNow === distinct,
    );
  },
});
