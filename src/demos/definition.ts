/** The shape every demo module exports, and the steps most demos share. */
import type net from "node:net";
import type { PresetName } from "../sim/presets.js";
import type { Trace } from "../sim/trace.js";
import type { DemoHarness, DemoTuple } from "./harness.js";
import type { DemoName, DemoOptions } from "./types.js";

export interface PreparedDemo {
  /** The ports to capture on: known before any connection is made. */
  readonly ports: readonly number[];
  run(): Promise<void>;
  /**
   * Called by runDemo after the capture was stopped and replayed (undefined: no capture), for
   * a demo whose steps are about the segments themselves (delayed-ack counts them).
   */
  finish?(captured: CapturedConnections | undefined): void | Promise<void>;
}

/** The replayed capture, one trace per connection in order of its first segment. */
export interface CapturedConnections {
  readonly traces: readonly Trace[];
}

export interface DemoDefinition {
  readonly name: DemoName;
  readonly title: string;
  /** One paragraph for learners: what the demo does and what to look for. */
  readonly description: string;
  /** The simulator preset the demo reproduces on the real kernel, when there is one. */
  readonly preset?: PresetName;
  /** Open the server(s) and return the ports; `run` then makes the connections and steps. */
  prepare(h: DemoHarness, options: DemoOptions): Promise<PreparedDemo>;
}

/**
 * A demo around one loopback server: the harness opens it (so its port is known before the
 * capture starts), then `run` makes the connections and records the steps.
 */
export function oneServerDemo(spec: {
  readonly name: DemoName;
  readonly title: string;
  readonly description: string;
  readonly preset?: PresetName;
  readonly serverOptions: net.ServerOpts;
  run(h: DemoHarness, server: net.Server, port: number, options: DemoOptions): Promise<void>;
}): DemoDefinition {
  const { serverOptions, run, ...meta } = spec;
  return {
    ...meta,
    async prepare(h, options) {
      const { server, port } = await h.listen(serverOptions);
      return {
        ports: [port],
        async run() {
          h.checkpoint("server-listening");
          await run(h, server, port, options);
        },
      };
    },
  };
}

export interface Established {
  readonly client: net.Socket;
  readonly peer: net.Socket;
  readonly tuple: DemoTuple;
}

/** Connect, accept, and record the first step: both ends ESTABLISHED. */
export async function establish(
  h: DemoHarness,
  server: net.Server,
  port: number,
  options: { allowHalfOpen?: boolean; paused?: boolean } = {},
): Promise<Established> {
  const accepting = h.accept(server);
  const client = await h.connect(port, options);
  // net.Socket.connect() → connect(); the server's 'connection' event → accept().
  h.call("client", "connect()", "ok");
  const peer = await accepting;
  h.call("server", "accept()", "ok");
  const tuple: DemoTuple = { host: h.host, clientPort: client.localPort ?? 0, serverPort: port };
  await h.observe("connect(): the three-way handshake completes", { client: "ESTABLISHED", server: "ESTABLISHED" }, tuple);
  h.checkpoint("connected");
  return { client, peer, tuple };
}

/** Count the bytes a socket receives (it starts flowing). */
export function countBytes(socket: net.Socket): { readonly bytes: () => number; until(n: number): Promise<void> } {
  let bytes = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  socket.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    for (const w of waiters.filter((w) => bytes >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    bytes: () => bytes,
    until: (n) =>
      bytes >= n
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`received ${bytes} of ${n} bytes within 5000 ms`)), 5000);
            waiters.push({ n, resolve: () => { clearTimeout(timer); resolve(); } });
          }),
  };
}

/** Resolve with the socket's error code once it errors or closes ("none" when it closed cleanly). */
export function closeReason(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let code = "none";
    socket.once("error", (err: NodeJS.ErrnoException) => { code = err.code ?? err.message; });
    socket.once("close", () => resolve(code));
  });
}

/**
 * Record what the application's reads end with: Node's 'end' event is read() returning 0
 * (the peer's FIN), its 'error' event the errno a read() (or write()) failed with. Listening
 * for these does not start the socket reading; bytes read are recorded by the demo itself.
 */
export function recordReadEnd(h: DemoHarness, endpoint: "client" | "server", socket: net.Socket): void {
  socket.once("end", () => h.call(endpoint, "read()", "0 (EOF)"));
  socket.once("error", (err: NodeJS.ErrnoException) => h.call(endpoint, "read()", err.code ?? err.message));
}

/** write(), recorded when the kernel took the bytes (Node's write callback) or refused them. */
export function recordedWrite(h: DemoHarness, endpoint: "client" | "server", socket: net.Socket, bytes: number, fill: number): Promise<string> {
  return new Promise((resolve) => {
    socket.write(Buffer.alloc(bytes, fill), (err?: NodeJS.ErrnoException | null) => {
      const result = err ? (err.code ?? err.message) : "ok";
      h.call(endpoint, `write(${bytes} bytes)`, result);
      resolve(result);
    });
  });
}
