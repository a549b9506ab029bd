/**
 * What a crashed program sends. The lesson says RST; the kernel says otherwise: when a
 * process dies, its file descriptors are closed exactly as close() would (do_exit →
 * exit_files → tcp_close), so an open connection ends with a FIN. Only unread data in the
 * receive buffer (or SO_LINGER 0) turns that close into a RST.
 */
import { closeReason, countBytes, oneServerDemo, recordReadEnd } from "./definition.js";
import { sleep, type DemoTuple } from "./harness.js";

/**
 * The child: connect, never read (paused before connecting, so data stays in the kernel),
 * print the local port, and stay alive until killed.
 */
export const CRASH_CHILD_SCRIPT = `
const net = require("node:net");
const [port, host] = process.argv.slice(1);
const s = new net.Socket();
s.pause();
s.on("error", () => {});
s.connect({ port: Number(port), host }, () => process.stdout.write(s.localPort + "\\n"));
setInterval(() => {}, 1000);
`;

export const CRASH_UNREAD_BYTES = 100;

export const crash = oneServerDemo({
  name: "crash",
  title: "What a crash really sends",
  description:
    "A child process holds an open connection and is killed (SIGKILL: no handler, no cleanup). The kernel closes its socket like close(): a FIN, " +
    "so the server reads a clean EOF and the child's orphaned end goes FIN_WAIT_2 → TIME_WAIT. A second child is killed with 100 unread bytes in " +
    "its receive buffer: that close sends a RST, and the server's socket fails with ECONNRESET. A crash sends RST only in that case (or with SO_LINGER 0).",
  serverOptions: { allowHalfOpen: true },
  async run(h, server, port) {
    // 1. No unread data: FIN.
    const accepting = h.accept(server);
    const first = await h.spawnConnectedChild(CRASH_CHILD_SCRIPT, port);
    h.call("client", "connect()", "ok");
    const peer = await accepting;
    h.call("server", "accept()", "ok");
    const t1: DemoTuple = { host: h.host, clientPort: first.port, serverPort: port };
    await h.observe("child process connects", { client: "ESTABLISHED", server: "ESTABLISHED" }, t1);
    h.checkpoint("connected");
    const reason1 = closeReason(peer);
    const eof = h.waitFor(peer, "end");
    recordReadEnd(h, "server", peer);
    peer.resume();
    // Not a call the child made: the kernel closes a dead process's descriptors (do_exit → exit_files).
    h.call("client", "close() at exit (SIGKILL)", "ok");
    await h.kill(first.child, "SIGKILL");
    let sawEof = true;
    await eof.catch(() => { sawEof = false; });
    await h.observe(
      "child killed (SIGKILL) with nothing unread: the kernel closes its socket with a FIN",
      { client: "FIN_WAIT_2", server: "CLOSE_WAIT" },
      t1,
      { serverReadEof: sawEof },
      sawEof,
    );
    peer.end();
    h.call("server", "shutdown(SHUT_WR)", "ok");
    const code1 = await reason1;
    await h.observe("server closes: FIN; the dead child's orphaned end ACKs it", { client: "TIME_WAIT", server: "CLOSED" }, t1, { serverError: code1 }, code1 === "none");

    // 2. Unread data: RST.
    const accepting2 = h.accept(server);
    const second = await h.spawnConnectedChild(CRASH_CHILD_SCRIPT, port);
    h.call("client", "connect()", "ok");
    const peer2 = await accepting2;
    h.call("server", "accept()", "ok");
    const t2: DemoTuple = { host: h.host, clientPort: second.port, serverPort: port };
    countBytes(peer2);
    peer2.write(Buffer.alloc(CRASH_UNREAD_BYTES, 0x63));
    h.call("server", `write(${CRASH_UNREAD_BYTES} bytes)`, "ok");
    let recvQ = 0;
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && (recvQ = (await h.recordOf(t2, "client"))?.recvQ ?? 0) < CRASH_UNREAD_BYTES) await sleep(10);
    await h.observe(
      `second child connects; the server sends ${CRASH_UNREAD_BYTES} bytes it never reads`,
      { client: "ESTABLISHED", server: "ESTABLISHED" },
      t2,
      { childRecvQ: recvQ },
      recvQ === CRASH_UNREAD_BYTES,
    );
    const reason2 = closeReason(peer2);
    recordReadEnd(h, "server", peer2);
    h.call("client", "close() at exit (SIGKILL)", "ok");
    await h.kill(second.child, "SIGKILL");
    const code2 = await reason2;
    await h.observe(
      "second child killed with unread data: the kernel sends RST",
      { client: "CLOSED", server: "CLOSED" },
      t2,
      { serverError: code2 },
      code2 === "ECONNRESET",
    );
  },
});
