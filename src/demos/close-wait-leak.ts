/**
 * The CLOSE_WAIT leak: the server's application never closes. Its kernel ACKed the client's
 * FIN, so the server sits in CLOSE_WAIT for as long as the socket is open; the client,
 * orphaned, waits in FIN_WAIT_2 (Linux gives up after tcp_fin_timeout).
 */
import { collectProc } from "../monitor/collectors/proc.js";
import { establish, oneServerDemo, recordReadEnd } from "./definition.js";
import { DemoHarness, sleep } from "./harness.js";
import type { DemoOptions } from "./types.js";

export const LEAK_HOLD_MS = 500;

export const closeWaitLeak = oneServerDemo({
  name: "close-wait-leak",
  title: "CLOSE_WAIT leak: the server never closes",
  description:
    "The client closes; the server's kernel ACKs the FIN and the connection waits in CLOSE_WAIT for the server's application to close. " +
    "It never does (allowHalfOpen, and no end()): CLOSE_WAIT stays on the server, FIN_WAIT_2 on the client. A pile of CLOSE_WAIT is always an application bug.",
  preset: "close-wait-leak",
  serverOptions: { allowHalfOpen: true },
  async run(h, server, port) {
    const { client, peer, tuple } = await establish(h, server, port);
    const eof = h.waitFor(peer, "end");
    recordReadEnd(h, "server", peer);
    peer.resume();
    client.destroy();
    h.call("client", "close()", "ok");
    await eof;
    await h.observe("client close(): FIN; the server's application never calls close()", { client: "FIN_WAIT_2", server: "CLOSE_WAIT" }, tuple);
    await sleep(LEAK_HOLD_MS);
    h.record(`${LEAK_HOLD_MS} ms later: nothing has changed`, { client: "FIN_WAIT_2", server: "CLOSE_WAIT" }, await h.sample(tuple));
  },
});

export interface LeakSample {
  /** Milliseconds since the first leak. */
  readonly t: number;
  readonly closeWait: number;
  readonly finWait2: number;
}

export interface LeakSeriesOptions extends Pick<DemoOptions, "host" | "resources"> {
  /** How many connections to leak. Default 5, at most 100. */
  readonly connections?: number;
  /** A new leaked connection every this many ms. Default 200. */
  readonly everyMs?: number;
  /** Sample the collector every this many ms. Default 50. */
  readonly sampleMs?: number;
  /** How long to keep sampling, ms. Default 2000, at most 10000. */
  readonly durationMs?: number;
}

/**
 * Leak connections into CLOSE_WAIT one at a time and sample, through the /proc collector,
 * how many CLOSE_WAIT (server side) and FIN_WAIT_2 (client side) sockets the demo's port
 * has. Everything is closed before this returns.
 */
export async function closeWaitLeakSeries(opts: LeakSeriesOptions = {}): Promise<{ port: number; samples: LeakSample[] }> {
  const n = Math.min(Math.max(opts.connections ?? 5, 1), 100);
  const every = Math.max(opts.everyMs ?? 200, 10);
  const sampleMs = Math.max(opts.sampleMs ?? 50, 10);
  const duration = Math.min(Math.max(opts.durationMs ?? 2000, every * n), 10_000);
  const h = new DemoHarness(opts);
  try {
    const { server, port } = await h.listen({ allowHalfOpen: true });
    server.on("connection", (s) => s.resume());
    const samples: LeakSample[] = [];
    const start = Date.now();
    let leaked = 0;
    let nextLeak = start;
    while (Date.now() - start <= duration) {
      if (leaked < n && Date.now() >= nextLeak) {
        const client = await h.connect(port);
        client.destroy();
        leaked += 1;
        nextLeak += every;
      }
      const records = (await collectProc()).records;
      let closeWait = 0;
      let finWait2 = 0;
      for (const r of records) {
        if (r.state === "CLOSE_WAIT" && r.local.port === port) closeWait += 1;
        else if (r.state === "FIN_WAIT_2" && r.remote.port === port) finWait2 += 1;
      }
      samples.push({ t: Date.now() - start, closeWait, finWait2 });
      await sleep(sampleMs);
    }
    return { port, samples };
  } finally {
    await h.cleanup();
  }
}
