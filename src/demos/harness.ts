/**
 * The shared part of every socket demo: it opens servers, client sockets and child
 * processes on loopback and remembers each one, observes both ends of a connection through
 * the monitor's /proc collector, and closes everything it opened in `cleanup()` — which
 * `runDemo` calls in a finally block, so a demo that throws halfway leaks nothing.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { collectProc } from "../monitor/collectors/proc.js";
import type { TcpState } from "../fsm/states.js";
import type { ConnectionRecord } from "../parse/types.js";
import { monotonicSeconds } from "../trace/session.js";
import { onTerminate } from "../process/cleanup.js";
import type { DemoAppCall, DemoOptions, DemoResources, DemoStep, Sides } from "./types.js";

export const MAX_POLL_BUDGET_MS = 10_000;

export class InjectedFailure extends Error {
  override readonly name = "InjectedFailure";
}

/** The 4-tuple of one demo connection, as the client sees it. */
export interface DemoTuple {
  readonly host: string;
  readonly clientPort: number;
  readonly serverPort: number;
}

export interface ChildConnection {
  readonly child: ChildProcess;
  /** The child's local port, which it prints once connected. */
  readonly port: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function sameAddress(a: string, host: string): boolean {
  return a === host || a === `::ffff:${host}`;
}

/** Each end's state in a sample; an end the kernel no longer lists is CLOSED. */
export function statesOf(records: readonly ConnectionRecord[], t: DemoTuple): Sides {
  let client: TcpState = "CLOSED";
  let server: TcpState = "CLOSED";
  for (const r of records) {
    if (!sameAddress(r.local.address, t.host) || !sameAddress(r.remote.address, t.host)) continue;
    if (r.local.port === t.clientPort && r.remote.port === t.serverPort) client = r.state;
    else if (r.local.port === t.serverPort && r.remote.port === t.clientPort) server = r.state;
  }
  return { client, server };
}

export class DemoHarness {
  readonly host: "127.0.0.1" | "::1";
  readonly steps: DemoStep[] = [];
  /** What the application saw at each call (`call()`), in order. */
  readonly app: DemoAppCall[] = [];
  readonly resources: DemoResources;
  /** The listening ports this harness opened: a transition on one of them is the server's. */
  readonly serverPorts = new Set<number>();
  private readonly servers = new Set<net.Server>();
  private readonly sockets = new Set<net.Socket>();
  private readonly children = new Set<ChildProcess>();
  private readonly accepted = new Map<net.Server, { queue: net.Socket[]; waiters: ((s: net.Socket) => void)[] }>();
  private readonly budgetMs: number;
  private readonly intervalMs: number;

  /**
   * @param t0 CLOCK_MONOTONIC seconds that count as t = 0 for `app` and the demo's transitions
   *   (runDemo passes the same value to both).
   */
  constructor(private readonly options: DemoOptions = {}, readonly t0: number = monotonicSeconds()) {
    this.host = options.host ?? "127.0.0.1";
    this.resources = options.resources ?? { ports: [], pids: [] };
    this.budgetMs = Math.min(Math.max(options.pollBudgetMs ?? 2000, 0), MAX_POLL_BUDGET_MS);
    this.intervalMs = Math.max(options.pollIntervalMs ?? 10, 1);
  }

  /** Seconds since t0, to the microsecond. */
  now(): number {
    return Math.round((monotonicSeconds() - this.t0) * 1e6) / 1e6;
  }

  /** Record what the application saw at one call: `h.call("client", "read()", "0 (EOF)")`. */
  call(endpoint: DemoAppCall["endpoint"], call: string, result: string): DemoAppCall {
    const entry: DemoAppCall = { t: this.now(), endpoint, call, result };
    this.app.push(entry);
    return entry;
  }

  /** Tests inject a failure at a named point to check that cleanup still runs. */
  checkpoint(name: string): void {
    if (this.options.failAt === name) throw new InjectedFailure(`injected failure at "${name}"`);
  }

  /** A server on an ephemeral loopback port (or `port`); every connection it accepts is tracked. */
  async listen(options: net.ServerOpts = {}, port = 0): Promise<{ server: net.Server; port: number }> {
    const server = net.createServer(options);
    this.servers.add(server);
    const slot = { queue: [] as net.Socket[], waiters: [] as ((s: net.Socket) => void)[] };
    this.accepted.set(server, slot);
    server.on("connection", (socket) => {
      this.track(socket);
      const waiter = slot.waiters.shift();
      if (waiter) waiter(socket);
      else slot.queue.push(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: this.host, port }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const bound = (server.address() as net.AddressInfo).port;
    this.resources.ports.push(bound);
    this.serverPorts.add(bound);
    return { server, port: bound };
  }

  /** The next connection `server` accepts (waits up to the poll budget). */
  accept(server: net.Server): Promise<net.Socket> {
    const slot = this.accepted.get(server);
    if (!slot) throw new Error("accept(): server was not opened by this harness");
    const ready = slot.queue.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connection accepted within ${this.budgetMs} ms`)), Math.max(this.budgetMs, 1000));
      slot.waiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
  }

  async closeServer(server: net.Server): Promise<void> {
    if (!server.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private track(socket: net.Socket): net.Socket {
    this.sockets.add(socket);
    // A reset peer is part of several demos; an unhandled 'error' would crash the process.
    socket.on("error", () => {});
    return socket;
  }

  /**
   * Connect to `port` on the demo's host; rejects with the socket error (ECONNREFUSED …).
   * `localPort` binds the client first (libuv's bind sets SO_REUSEADDR on it).
   */
  async connect(port: number, options: { allowHalfOpen?: boolean; paused?: boolean; localPort?: number } = {}): Promise<net.Socket> {
    const socket = this.track(new net.Socket({ allowHalfOpen: options.allowHalfOpen ?? false }));
    // Paused before connecting, Node never starts reading the socket (afterConnect reads only
    // when not paused), so whatever arrives stays in the kernel's receive buffer.
    if (options.paused) socket.pause();
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect({ host: this.host, port, ...(options.localPort !== undefined && { localAddress: this.host, localPort: options.localPort }) }, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    if (socket.localPort !== undefined) this.resources.ports.push(socket.localPort);
    return socket;
  }

  /**
   * Track a child: killed in cleanup(), listed in resources, and killed when our PID is
   * signalled (not only Ctrl-C to the group), so it never outlives the demo.
   */
  private adopt<T extends ChildProcess>(child: T): T {
    this.children.add(child);
    if (child.pid !== undefined) this.resources.pids.push(child.pid);
    const forget = onTerminate(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    child.once("exit", forget);
    return child;
  }

  /**
   * Run `node -e script` with the server's port as argv[1]. The script connects and prints
   * its local port on a line of its own; that is the child's end of the connection.
   */
  async spawnConnectedChild(script: string, serverPort: number): Promise<ChildConnection> {
    const child = this.adopt(spawn(process.execPath, ["-e", script, String(serverPort), this.host], {
      stdio: ["ignore", "pipe", "pipe"],
    }));
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (c: string) => { stderr += c; });
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`child did not connect within 5000 ms: ${stderr.trim()}`)), 5000);
      child.stdout?.setEncoding("utf8").on("data", (c: string) => {
        out += c;
        const m = /^(\d+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`child exited before connecting (code ${code}, signal ${signal}): ${stderr.trim()}`));
      });
    });
    this.resources.ports.push(port);
    return { child, port };
  }

  /**
   * Run `command args` with stdin, stdout and stderr piped; the child is tracked like
   * spawnConnectedChild's (killed in cleanup, and on SIGINT/SIGTERM to our PID).
   */
  spawnChild(command: string, args: readonly string[]): ChildProcess {
    const child = this.adopt(spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] }));
    // A command that cannot be started reports it on the child; the caller sees it exit.
    child.once("error", () => {});
    return child;
  }

  /** Kill a child and wait until it is gone. */
  async kill(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** The kernel's record for one end, if it still has one. */
  async recordOf(t: DemoTuple, end: "client" | "server"): Promise<ConnectionRecord | undefined> {
    const [local, remote] = end === "client" ? [t.clientPort, t.serverPort] : [t.serverPort, t.clientPort];
    return (await collectProc()).records.find(
      (r) => r.local.port === local && r.remote.port === remote && sameAddress(r.local.address, t.host),
    );
  }

  /** One sample of both ends. */
  async sample(t: DemoTuple): Promise<Sides> {
    return statesOf((await collectProc()).records, t);
  }

  /**
   * Poll until both ends are in the expected states or the budget is spent (the kernel
   * changes state asynchronously: a FIN is in flight when end() returns), then record the
   * step with what was last observed. `extraOk` is a further check the demo made (an error
   * code, a byte count); the step is ok only when it holds too.
   */
  async observe(step: string, expected: Sides, t: DemoTuple, detail?: DemoStep["detail"], extraOk = true): Promise<DemoStep> {
    const deadline = Date.now() + this.budgetMs;
    let observed = await this.sample(t);
    while (!(observed.client === expected.client && observed.server === expected.server) && Date.now() < deadline) {
      await sleep(this.intervalMs);
      observed = await this.sample(t);
    }
    return this.record(step, expected, observed, detail, extraOk);
  }

  /** Record a step whose observation the demo made itself. */
  record(step: string, expected: Sides, observed: Sides, detail?: DemoStep["detail"], extraOk = true): DemoStep {
    const ok = extraOk && observed.client === expected.client && observed.server === expected.server;
    const s: DemoStep = { step, expected, observed, ok, ...(detail && { detail }) };
    this.steps.push(s);
    return s;
  }

  /** Wait for a socket's 'end' (the peer's FIN was read) or 'close'. */
  waitFor(socket: net.Socket, event: "end" | "close" | "data"): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${event}' within ${Math.max(this.budgetMs, 1000)} ms`)), Math.max(this.budgetMs, 1000));
      socket.once(event, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Close everything this harness opened: sockets destroyed, servers closed, children
   * killed and reaped. Returns what is still open afterwards (nothing, unless a bug).
   */
  async cleanup(): Promise<{ servers: number; sockets: number; children: number }> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all([...this.servers].map((s) => this.closeServer(s)));
    await Promise.all([...this.children].map((c) => this.kill(c)));
    const leaks = {
      servers: [...this.servers].filter((s) => s.listening).length,
      sockets: [...this.sockets].filter((s) => !s.destroyed).length,
      children: [...this.children].filter((c) => c.exitCode === null && c.signalCode === null).length,
    };
    for (const c of this.children) {
      c.stdout?.destroy();
      c.stderr?.destroy();
    }
    return leaks;
  }
}
