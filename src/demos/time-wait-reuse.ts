/**
 * What TIME_WAIT forbids, and what it does not.
 *
 * 1. The server holds TIME_WAIT (it closed first) and the client connects again from the same
 *    port: the SYN is accepted (RFC 6191; RFC 9293 §3.10.7.4 lets a TIME_WAIT end take a new
 *    SYN). Linux: tcp_timewait_state_process() (net/ipv4/tcp_minisocks.c) returns TCP_TW_SYN
 *    when the SYN's sequence number is above the old rcv_nxt or its timestamp is newer, and the
 *    new connection's ISN is the old snd_nxt + 65535 + 2, so the two sequence spaces cannot
 *    overlap. The demo reads both ISNs through TCP_REPAIR and checks that gap.
 * 2. The client holds TIME_WAIT (it closed first) and binds the same local port again: bind()
 *    fails with EADDRINUSE, unless both the new socket and the one now in TIME_WAIT had
 *    SO_REUSEADDR (inet_csk_get_port → inet_bind_conflict: two sockets share a port only when
 *    both have sk_reuse and the other one is not listening; a timewait socket keeps its socket's
 *    sk_reuse, inet_twsk_alloc). When bind succeeds, connect() to the same peer takes the TIME_WAIT
 *    4-tuple over at once: for an explicitly bound port __inet_hash_connect() checks the 4-tuple
 *    with no timewait pointer, and tcp_twsk_unique() (net/ipv4/tcp_ipv4.c) then reuses the
 *    TIME_WAIT whenever it saw timestamps, whatever net.ipv4.tcp_tw_reuse says; that sysctl
 *    (2, loopback only, after tcp_tw_reuse_delay ms) governs only ports that connect() picks
 *    itself. The new ISN is again the old snd_nxt + 65537. Had it failed, connect() would say
 *    EADDRNOTAVAIL.
 *    Node: net.connect({ localPort }) binds through libuv's uv__tcp_bind, which sets
 *    SO_REUSEADDR on every TCP socket it binds, client sockets included.
 * 3. A server restarts while its old connections sit in TIME_WAIT on its port: Node listens
 *    again at once (libuv's SO_REUSEADDR, on the new listener and inherited by the old
 *    connections from theirs); a socket bound without SO_REUSEADDR gets EADDRINUSE.
 *
 * The client sockets are a python3 child (src/demos/socket-driver.ts): Node cannot bind without
 * SO_REUSEADDR, and cannot read sequence numbers.
 */
import { readFileSync } from "node:fs";
import type net from "node:net";
import { oneServerDemo } from "./definition.js";
import { hasCommand } from "./netns.js";
import { outcome, startSocketDriver, type DriverReply, type SocketDriver } from "./socket-driver.js";
import type { DemoHarness, DemoTuple } from "./harness.js";

/** Bytes the server sends before it closes in part 1 (they move its snd_nxt). */
export const TW_REUSE_SERVER_BYTES = 100;
/** tw_snd_nxt + 65535 + 2: tcp_timewait_state_process() and tcp_twsk_unique(). */
export const TW_ISN_GAP = 65537;

function sysctl(name: string): string {
  try {
    return readFileSync(`/proc/sys/net/ipv4/${name}`, "utf8").trim();
  } catch {
    return "absent";
  }
}

const mod32 = (n: number): number => ((n % 2 ** 32) + 2 ** 32) % 2 ** 32;

async function must(r: Promise<DriverReply>, what: string): Promise<DriverReply> {
  const reply = await r;
  if (!reply.ok) throw new Error(`time-wait-reuse: ${what}: ${reply.errno} ${reply.message ?? ""}`);
  return reply;
}

/** A fresh socket in the driver, optionally with SO_REUSEADDR, bound to `port`: the bind's reply. */
async function boundSocket(d: SocketDriver, h: DemoHarness, s: string, port: number, reuseaddr: boolean): Promise<DriverReply> {
  await must(d.request("socket", { s, host: h.host, reuseaddr }), "socket()");
  return d.request("bind", { s, host: h.host, port });
}

/** The sequence numbers the socket will use next, or why they cannot be read. */
async function seq(d: SocketDriver, s: string): Promise<{ rcvNxt: number; sndNxt: number } | string> {
  const r = await d.request("seq", { s });
  if (r.ok && r.rcvNxt !== undefined && r.sndNxt !== undefined) return { rcvNxt: r.rcvNxt, sndNxt: r.sndNxt };
  return `unavailable: TCP_REPAIR ${r.errno ?? "failed"} (it needs CAP_NET_ADMIN)`;
}

/** Connect socket `s` to the server and accept it there. */
async function connectAccepted(d: SocketDriver, h: DemoHarness, server: net.Server, s: string, port: number): Promise<{ reply: DriverReply; peer: net.Socket }> {
  const accepting = h.accept(server);
  const reply = await d.request("connect", { s, host: h.host, port });
  if (!reply.ok) {
    accepting.catch(() => {});
    throw new Error(`time-wait-reuse: connect(): ${reply.errno} ${reply.message ?? ""}`);
  }
  const peer = await accepting;
  h.resources.ports.push(reply.port ?? 0);
  return { reply, peer };
}

/** The driver's socket closes first; the Node peer reads EOF and closes too (allowHalfOpen off). */
async function clientClosesFirst(d: SocketDriver, h: DemoHarness, s: string, peer: net.Socket): Promise<void> {
  const closed = h.waitFor(peer, "close");
  peer.resume();
  await must(d.request("close", { s }), "close()");
  await closed;
}

export const timeWaitReuse = oneServerDemo({
  name: "time-wait-reuse",
  title: "Reusing a 4-tuple in TIME_WAIT",
  description:
    "The server closes first and holds TIME_WAIT; the client reconnects from the same port and is accepted (RFC 6191), the new ISN being the " +
    "old snd_nxt + 65537. Then the client closes first: binding its port again fails with EADDRINUSE (with or without SO_REUSEADDR on the new " +
    "socket, since the TIME_WAIT socket lacked it; Node's localPort too), while a port whose TIME_WAIT socket had SO_REUSEADDR can be bound and " +
    "connected at once. Last, the server stops while holding TIME_WAIT: a new Node server listens on the port at once (libuv sets SO_REUSEADDR), " +
    "a socket without SO_REUSEADDR gets EADDRINUSE.",
  serverOptions: {},
  async run(h, server, port) {
    if (!hasCommand("python3")) {
      const unavailable = "python3 is not installed (the client sockets run in a python3 child): apt-get install python3";
      h.record(`not run: ${unavailable}`, { client: "CLOSED", server: "CLOSED" }, { client: "CLOSED", server: "CLOSED" }, { unavailable }, false);
      return;
    }
    const d = await startSocketDriver(h);

    // Part 1: the server's TIME_WAIT takes a new SYN.
    const c = (await must(boundSocket(d, h, "c1", 0, false), "bind()")).port ?? 0;
    const first = await connectAccepted(d, h, server, "c1", port);
    const t1: DemoTuple = { host: h.host, clientPort: c, serverPort: port };
    h.call("client", `bind(port ${c}) + connect()`, "ok");
    const seq1 = await seq(d, "c1");
    await h.observe(`the client binds port ${c} (no SO_REUSEADDR) and connects`, { client: "ESTABLISHED", server: "ESTABLISHED" }, t1, { clientPort: c });
    h.checkpoint("connected");

    first.peer.end(Buffer.alloc(TW_REUSE_SERVER_BYTES, 0x61));
    const drained = await d.request("read", { s: "c1", timeout: 3 });
    h.call("client", "read() until EOF", drained.ok ? `${drained.bytes} bytes, then 0 (EOF)` : outcome(drained));
    await must(d.request("close", { s: "c1" }), "close()");
    await h.observe(
      `the server sends ${TW_REUSE_SERVER_BYTES} bytes and closes first; the client closes too: the server's end holds TIME_WAIT`,
      { client: "CLOSED", server: "TIME_WAIT" },
      t1,
      { bytesReceivedByClient: drained.bytes ?? 0 },
      drained.ok && drained.eof === true && drained.bytes === TW_REUSE_SERVER_BYTES,
    );

    const rebind = await boundSocket(d, h, "c2", c, false);
    const second = await connectAccepted(d, h, server, "c2", port);
    h.call("client", `bind(port ${c}) + connect()`, outcome(rebind));
    const seq2 = await seq(d, "c2");
    // The server's new ISN, seen as the client's rcv_nxt - 1: the old snd_nxt (ISN + SYN + data + FIN) + 65537.
    const expectedServerGap = TW_ISN_GAP + 1 + TW_REUSE_SERVER_BYTES + 1;
    const serverGap = typeof seq1 === "string" ? seq1 : typeof seq2 === "string" ? seq2 : mod32(seq2.rcvNxt - seq1.rcvNxt);
    await h.observe(
      `the client connects from port ${c} again: the server's TIME_WAIT accepts the SYN, a new connection (RFC 6191)`,
      { client: "ESTABLISHED", server: "ESTABLISHED" },
      t1,
      { bind: outcome(rebind), serverIsnGap: serverGap, expectedIsnGap: expectedServerGap },
      rebind.ok && (typeof serverGap === "string" || serverGap === expectedServerGap),
    );

    // Part 2: the client's own TIME_WAIT.
    await clientClosesFirst(d, h, "c2", second.peer);
    await h.observe(`the client closes first: its end (port ${c}, no SO_REUSEADDR) holds TIME_WAIT`, { client: "TIME_WAIT", server: "CLOSED" }, t1);

    const plain = await boundSocket(d, h, "c3", c, false);
    h.call("client", `bind(port ${c})`, outcome(plain));
    const reusing = await boundSocket(d, h, "c4", c, true);
    h.call("client", `bind(port ${c}) with SO_REUSEADDR`, outcome(reusing));
    let nodeError = "connected";
    try {
      const s = await h.connect(port, { localPort: c });
      s.destroy();
    } catch (err) {
      nodeError = (err as NodeJS.ErrnoException).code ?? String(err);
    }
    h.call("client", `Node net.connect({ localPort: ${c} })`, nodeError === "connected" ? "ok" : nodeError);
    await h.observe(
      `binding port ${c} again fails: without SO_REUSEADDR, with it (the TIME_WAIT socket lacked it), and from Node`,
      { client: "TIME_WAIT", server: "CLOSED" },
      t1,
      { withoutReuseaddr: outcome(plain), withReuseaddr: outcome(reusing), nodeLocalPort: nodeError },
      plain.errno === "EADDRINUSE" && reusing.errno === "EADDRINUSE" && nodeError === "EADDRINUSE",
    );
    await d.request("close", { s: "c3" });
    await d.request("close", { s: "c4" });

    const c2 = (await must(boundSocket(d, h, "c5", 0, true), "bind()")).port ?? 0;
    const t2: DemoTuple = { host: h.host, clientPort: c2, serverPort: port };
    const third = await connectAccepted(d, h, server, "c5", port);
    const seq5 = await seq(d, "c5");
    await clientClosesFirst(d, h, "c5", third.peer);
    await h.observe(
      `a connection from port ${c2}, bound with SO_REUSEADDR, closed first by the client: TIME_WAIT`,
      { client: "TIME_WAIT", server: "CLOSED" },
      t2,
      { clientPort: c2 },
    );
    const timeWaitSince = h.now();

    const again = await boundSocket(d, h, "c6", c2, true);
    h.call("client", `bind(port ${c2}) with SO_REUSEADDR`, outcome(again));
    const fourth = again.ok ? await connectAccepted(d, h, server, "c6", port) : undefined;
    h.call("client", "connect()", fourth ? "ok" : "not tried");
    const msInTimeWait = Math.round((h.now() - timeWaitSince) * 1000);
    const seq6 = fourth ? await seq(d, "c6") : "no connection";
    // The client's old snd_nxt is ISN + SYN + FIN; tcp_twsk_unique() makes the new ISN that + 65537.
    const expectedClientGap = TW_ISN_GAP + 2;
    const clientGap = typeof seq5 === "string" ? seq5 : typeof seq6 === "string" ? seq6 : mod32(seq6.sndNxt - seq5.sndNxt);
    await h.observe(
      `SO_REUSEADDR on both: bind(port ${c2}) succeeds and connect() takes the TIME_WAIT 4-tuple over at once`,
      { client: "ESTABLISHED", server: "ESTABLISHED" },
      t2,
      {
        bind: outcome(again),
        connect: fourth ? "ok" : "not tried",
        msInTimeWait,
        tcp_tw_reuse: sysctl("tcp_tw_reuse"),
        tcp_tw_reuse_delay: sysctl("tcp_tw_reuse_delay"),
        tcp_timestamps: sysctl("tcp_timestamps"),
        clientIsnGap: clientGap,
        expectedIsnGap: expectedClientGap,
      },
      again.ok && fourth !== undefined && (typeof clientGap === "string" || clientGap === expectedClientGap),
    );
    if (!fourth) return;

    // Node's localPort: libuv binds with SO_REUSEADDR, so the same takeover works from Node.
    await clientClosesFirst(d, h, "c6", fourth.peer);
    await h.observe(`the client closes first again: port ${c2} (SO_REUSEADDR) in TIME_WAIT`, { client: "TIME_WAIT", server: "CLOSED" }, t2);
    const accepting = h.accept(server);
    let nodeClient: net.Socket | undefined;
    let nodeResult = "ok";
    try {
      nodeClient = await h.connect(port, { localPort: c2 });
    } catch (err) {
      nodeResult = (err as NodeJS.ErrnoException).code ?? String(err);
      accepting.catch(() => {});
    }
    h.call("client", `Node net.connect({ localPort: ${c2} })`, nodeResult);
    const nodePeer = nodeClient ? await accepting : undefined;
    await h.observe(
      `Node connects from port ${c2}: libuv's bind sets SO_REUSEADDR, so it takes the TIME_WAIT over too`,
      { client: "ESTABLISHED", server: "ESTABLISHED" },
      t2,
      { nodeLocalPort: nodeResult },
      nodeResult === "ok",
    );
    if (!nodeClient || !nodePeer) return;

    // Part 3: the server restarts while holding TIME_WAIT on its port.
    const clientDone = h.waitFor(nodeClient, "close");
    nodeClient.resume();
    nodePeer.end();
    await clientDone;
    await h.closeServer(server);
    h.call("server", "close() the listener", "ok");
    await h.observe(
      `the server closes first (its end holds TIME_WAIT on port ${port}) and stops listening`,
      { client: "CLOSED", server: "TIME_WAIT" },
      t2,
    );

    let restart = "ok";
    try {
      const { server: again2 } = await h.listen({}, port);
      await h.closeServer(again2);
    } catch (err) {
      restart = (err as NodeJS.ErrnoException).code ?? String(err);
    }
    h.call("server", `Node listen(${port}) again`, restart);
    await h.observe(
      `a new Node server listens on port ${port} at once (SO_REUSEADDR, set by libuv), then stops`,
      { client: "CLOSED", server: "TIME_WAIT" },
      t2,
      { nodeListen: restart },
      restart === "ok",
    );

    const noReuse = await boundSocket(d, h, "l1", port, false);
    h.call("server", `bind(${port})`, outcome(noReuse));
    const withReuse = await boundSocket(d, h, "l2", port, true);
    const listened = withReuse.ok ? await d.request("listen", { s: "l2" }) : withReuse;
    h.call("server", `bind(${port}) + listen() with SO_REUSEADDR`, outcome(listened));
    await d.request("close", { s: "l1" });
    await d.request("close", { s: "l2" });
    await h.observe(
      `a socket without SO_REUSEADDR cannot bind port ${port}; with it, bind() and listen() succeed`,
      { client: "CLOSED", server: "TIME_WAIT" },
      t2,
      { withoutReuseaddr: outcome(noReuse), withReuseaddr: outcome(listened) },
      noReuse.errno === "EADDRINUSE" && listened.ok,
    );
  },
});
