/**
 * TIME_WAIT pile-up: N short connections, each closed first by the client, leave N TIME_WAIT
 * sockets on the client side. The count is checked against /proc/net/sockstat's `tw`, which
 * counts every TIME_WAIT minisocket in the network namespace — other processes' too — so
 * the comparison is between the collector's namespace-wide total and sockstat read at the
 * same moment, not between our N and sockstat.
 */
import { readFileSync } from "node:fs";
import { collectProc } from "../monitor/collectors/proc.js";
import { timewaitSockets } from "../monitor/stats.js";
import { parseSockstat } from "../parse/sockstat.js";
import { oneServerDemo } from "./definition.js";
import type { DemoHarness } from "./harness.js";

export const DEFAULT_PILEUP = 50;
export const MAX_PILEUP = 2000;
const CONCURRENCY = 8;

function sockstatTw(): number | undefined {
  try {
    return parseSockstat(readFileSync("/proc/net/sockstat", "latin1")).records[0]?.tcp?.tw;
  } catch {
    return undefined;
  }
}

/**
 * Read sockstat, /proc/net/tcp{,6}, sockstat again. Other processes create and expire
 * TIME_WAIT sockets all the time, so retry (at most 20 times) until both sockstat reads and
 * the collector agree exactly; failing that, the collector's total must at least lie between
 * the two sockstat reads taken around it ("bracketed").
 */
export async function consistentTimeWaitCounts(): Promise<{
  proc: number;
  sockstat: number | undefined;
  sockstatAfter: number | undefined;
  agreement: "exact" | "bracketed" | "none";
  tries: number;
}> {
  let last = { proc: 0, sockstat: undefined as number | undefined, sockstatAfter: undefined as number | undefined, tries: 0 };
  for (let tries = 1; tries <= 20; tries++) {
    const before = sockstatTw();
    // timewaitSockets counts what sockstat's tw counts: TIME_WAIT and orphaned FIN_WAIT_2 minisockets.
    const proc = timewaitSockets((await collectProc()).records);
    const after = sockstatTw();
    last = { proc, sockstat: before, sockstatAfter: after, tries };
    if (before === undefined || after === undefined) return { ...last, agreement: "none" };
    if (before === after && proc === after) return { ...last, agreement: "exact" };
    await new Promise((r) => setTimeout(r, 5));
  }
  const { proc, sockstat: b, sockstatAfter: a } = last;
  const bracketed = b !== undefined && a !== undefined && proc >= Math.min(a, b) && proc <= Math.max(a, b);
  return { ...last, agreement: bracketed ? "bracketed" : "none" };
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
    const count = async (): Promise<{ tw: number; other: number; server: number }> => {
      let tw = 0;
      let other = 0;
      let srv = 0;
      for (const r of (await collectProc()).records) {
        if (r.remote.port === port && clientPorts.has(r.local.port ?? -1)) {
          if (r.state === "TIME_WAIT") tw += 1;
          else other += 1;
        } else if (r.local.port === port && r.state !== "LISTEN") srv += 1;
      }
      return { tw, other, server: srv };
    };
    const deadline = Date.now() + 2000;
    let c = await count();
    while ((c.tw !== n || c.server !== 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      c = await count();
    }
    h.record(
      `${n} connections, each closed first by the client`,
      { client: "TIME_WAIT", server: "CLOSED" },
      { client: c.tw === n && c.other === 0 ? "TIME_WAIT" : c.other > 0 ? "ESTABLISHED" : "CLOSED", server: c.server === 0 ? "CLOSED" : "LAST_ACK" },
      { connections: n, clientPorts: clientPorts.size, timeWait: c.tw, clientOther: c.other, serverSockets: c.server },
      c.tw === n && clientPorts.size === n,
    );
    const totals = await consistentTimeWaitCounts();
    h.record(
      "the collector's TIME_WAIT total agrees with /proc/net/sockstat tw",
      { client: "TIME_WAIT", server: "CLOSED" },
      { client: "TIME_WAIT", server: "CLOSED" },
      {
        procTimeWaitTotal: totals.proc,
        sockstatTw: totals.sockstat ?? "unavailable",
        sockstatTwAfter: totals.sockstatAfter ?? "unavailable",
        agreement: totals.agreement,
        tries: totals.tries,
        ours: c.tw,
      },
      totals.agreement !== "none" && totals.proc >= c.tw,
    );
  },
});
