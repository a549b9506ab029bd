/**
 * Runs a learner's connection handler as a real loopback server and counts the connections it
 * leaves in CLOSE_WAIT. The clients each send a request and half-close (end() =
 * shutdown(SHUT_WR): a FIN), so every server-side connection reaches CLOSE_WAIT ("the peer is
 * done, my application has not closed", RFC 9293 §3.3.2) and stays there until the handler's
 * code closes its side: the kernel has no timer for CLOSE_WAIT (Linux only probes it when the
 * application set SO_KEEPALIVE, tcp_keepalive_timer() in net/ipv4/tcp_timer.c).
 *
 * The server is created with `allowHalfOpen: true`, as Node's own http.Server is: Node then does
 * not end the writable side on EOF by itself, so closing is the handler's job. (With the default
 * `allowHalfOpen: false`, Node calls end() on EOF: a FIN after pending writes.)
 *
 * Everything it opens (server, server-side sockets, clients) is destroyed before it returns,
 * whatever the handler does; every wait is bounded.
 */
import { readFile } from "node:fs/promises";
import net from "node:net";
import { parseProcNetTcp } from "../../parse/proc.js";

export type ConnectionHandler = (socket: net.Socket) => void;

export interface LeakProbeOptions {
  /** Client connections. Default 6 (two of them send the request the handler rejects). */
  readonly connections?: number;
  /** How long after the last client's FIN the first count is taken, ms. Default 200. */
  readonly settleMs?: number;
  /** How much later the second count is taken, ms. Default 500. */
  readonly laterMs?: number;
}

export interface LeakProbeResult {
  readonly port: number;
  readonly connections: number;
  /** Server-side connections in CLOSE_WAIT `settleMs` after the clients' FINs. */
  readonly closeWaitFirst: number;
  /** The same count `laterMs` after that. */
  readonly closeWaitLater: number;
  /** Clients that read the server's reply (at least one byte). */
  readonly repliesRead: number;
  /** Clients that read EOF: the server's FIN arrived. */
  readonly eofRead: number;
  /** Clients whose socket saw an error (ECONNRESET when the handler's close sent a RST). */
  readonly clientErrors: readonly string[];
  /** What the handler threw, if it did. */
  readonly handlerError?: string;
}

/**
 * The requests the clients send, in turn: most are good, one in every three is not (a server's
 * error path is where a forgotten close hides).
 */
export const LEAK_PROBE_REQUESTS: readonly string[] = ["GET /report\n", "GET /status\n", "PUT /report\n"];

async function countState(port: number, state: "CLOSE_WAIT"): Promise<number> {
  let n = 0;
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(f, "utf8").catch(() => "");
    n += parseProcNetTcp(text).records.filter((r) => r.state === state && r.local.port === port).length;
  }
  return n;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Start a server running `handler`, make the clients half-close, count CLOSE_WAIT twice, clean up. */
export async function probeCloseWaitLeak(handler: ConnectionHandler, options: LeakProbeOptions = {}): Promise<LeakProbeResult> {
  const connections = options.connections ?? 6;
  const settleMs = options.settleMs ?? 200;
  const laterMs = options.laterMs ?? 500;
  const accepted: net.Socket[] = [];
  const clients: net.Socket[] = [];
  let handlerError: string | undefined;
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    accepted.push(socket);
    // A handler that destroys or errors must not crash the notebook: errors are counted, not thrown.
    socket.on("error", () => {});
    try {
      handler(socket);
    } catch (e) {
      handlerError ??= e instanceof Error ? e.message : String(e);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  let repliesRead = 0;
  let eofRead = 0;
  const clientErrors: string[] = [];
  try {
    for (let i = 0; i < connections; i++) {
      const c = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
      clients.push(c);
      let got = false;
      c.on("data", () => {
        if (!got) repliesRead++;
        got = true;
      });
      c.on("end", () => eofRead++);
      c.on("error", (e: NodeJS.ErrnoException) => clientErrors.push(e.code ?? e.message));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        c.once("connect", () => {
          clearTimeout(t);
          resolve();
        });
        c.once("error", () => {
          clearTimeout(t);
          resolve();
        });
      });
      // The request, then end(): shutdown(SHUT_WR), a FIN; the client still reads.
      c.end(LEAK_PROBE_REQUESTS[i % LEAK_PROBE_REQUESTS.length] ?? "GET /\n");
    }
    await sleep(settleMs);
    const closeWaitFirst = await countState(port, "CLOSE_WAIT");
    await sleep(laterMs);
    const closeWaitLater = await countState(port, "CLOSE_WAIT");
    return {
      port,
      connections,
      closeWaitFirst,
      closeWaitLater,
      repliesRead,
      eofRead,
      clientErrors: [...clientErrors],
      ...(handlerError !== undefined && { handlerError }),
    };
  } finally {
    for (const s of accepted) s.destroy();
    for (const c of clients) c.destroy();
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      server.close(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
