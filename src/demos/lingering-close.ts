/**
 * The lingering-close problem, and its fix. A server answers before it has read the whole
 * request (an early error to an upload, say) and calls close() while the client is still
 * sending: the request bytes it never read turn close() into a RST (__tcp_close() in
 * net/ipv4/tcp.c, data_was_unread → TcpExtTCPAbortOnClose; RFC 9293 §3.6.1, RFC 2525 §2.17).
 *
 * What the client then sees, as observed here (Linux, Node's libuv):
 * - tcp_reset() (net/ipv4/tcp_input.c) sets sk_err = ECONNRESET and purges only the *write*
 *   queue; the response already in the client's receive queue stays there (RFC 9293 says
 *   "all segment queues should be flushed"; Linux keeps received data readable).
 * - A client that writes next (it is still sending its body) gets ECONNRESET from write():
 *   tcp_sendmsg_locked() → sk_stream_error()/sock_error(). Node destroys the socket on a write
 *   error, so the response it had not yet read is never read: lost, for the application.
 * - A client that reads next gets the response: tcp_recvmsg_locked() copies queued data
 *   before it looks at sk_err. A second read(2) would return ECONNRESET (checked with a C-level
 *   recv() on this machine), but Node reports a clean EOF: the socket polls EPOLLHUP
 *   (tcp_poll(): sk_shutdown == SHUTDOWN_MASK after tcp_done()), and libuv's uv__stream_io()
 *   turns POLLHUP after a short read into EOF without calling read() again.
 * The fix, what nginx's and Apache's lingering_close do: shutdown(SHUT_WR) after the response
 * (a FIN, not a RST), read and discard until the client's EOF, then close().
 */
import type net from "node:net";
import { establish, oneServerDemo, recordedWrite as write, type Established } from "./definition.js";
import { sleep, type DemoHarness } from "./harness.js";

/** The request the client sends before the server answers, and what it sends after. */
export const LINGER_REQUEST_BYTES = 1000;
export const LINGER_MORE_BYTES = 1000;
export const LINGER_RESPONSE_BYTES = 100;

/** Poll until the kernel shows `bytes` waiting in `end`'s receive queue (2 s at most). */
async function recvQ(h: DemoHarness, e: Established, end: "client" | "server", bytes: number): Promise<number> {
  const deadline = Date.now() + 2000;
  let q = 0;
  while (Date.now() < deadline && (q = (await h.recordOf(e.tuple, end))?.recvQ ?? 0) < bytes) await sleep(10);
  return q;
}

/**
 * Connect (client paused: it reads only when the demo says so; server paused on connect: it
 * reads nothing), the client sends its request, the server answers without reading it.
 */
async function answerUnread(h: DemoHarness, server: net.Server, port: number): Promise<Established> {
  const e = await establish(h, server, port, { allowHalfOpen: true, paused: true });
  await write(h, "client", e.client, LINGER_REQUEST_BYTES, 0x71);
  await write(h, "server", e.peer, LINGER_RESPONSE_BYTES, 0x72);
  const serverQ = await recvQ(h, e, "server", LINGER_REQUEST_BYTES);
  const clientQ = await recvQ(h, e, "client", LINGER_RESPONSE_BYTES);
  await h.observe(
    `client sends a ${LINGER_REQUEST_BYTES}-byte request; the server answers ${LINGER_RESPONSE_BYTES} bytes without reading it`,
    { client: "ESTABLISHED", server: "ESTABLISHED" },
    e.tuple,
    { serverRecvQ: serverQ, clientRecvQ: clientQ },
    serverQ === LINGER_REQUEST_BYTES && clientQ === LINGER_RESPONSE_BYTES,
  );
  return e;
}

/** The naive close: close() with the request unread sends RST. */
async function naiveClose(h: DemoHarness, e: Established): Promise<void> {
  e.peer.destroy(); // destroy() = close()
  h.call("server", "close()", "ok");
  await h.observe(
    `server close() with ${LINGER_REQUEST_BYTES} request bytes unread: the kernel sends RST, not FIN`,
    { client: "CLOSED", server: "CLOSED" },
    e.tuple,
    { serverUnread: LINGER_REQUEST_BYTES },
  );
}

export const lingeringClose = oneServerDemo({
  name: "lingering-close",
  title: "Lingering close: answer, then drain before close()",
  description:
    `A server answers before reading the whole request and calls close() while the client is still sending. The ${LINGER_REQUEST_BYTES} bytes it never ` +
    "read turn its close() into a RST (TcpExtTCPAbortOnClose). The client's kernel keeps the response it had received, but a client still sending " +
    "gets ECONNRESET from its next write() and Node destroys the socket: the response is never read. A client that reads first does get it (and Node " +
    "reports EOF, not ECONNRESET). The fix: shutdown(SHUT_WR) after the response, read and discard to the client's EOF, then close(): FINs only, " +
    "the client reads the response, and the server, now the active closer, keeps TIME_WAIT.",
  // pauseOnConnect: the server's application reads nothing until it chooses to (the fix).
  serverOptions: { allowHalfOpen: true, pauseOnConnect: true },
  async run(h, server, port) {
    // 1. close() with unread data; the client, still sending, writes next.
    const first = await answerUnread(h, server, port);
    await naiveClose(h, first);
    const writeResult = await write(h, "client", first.client, LINGER_MORE_BYTES, 0x73);
    // Node destroys a socket whose write failed; its receive queue is never read.
    await sleep(10);
    h.record(
      `the client, still sending, writes ${LINGER_MORE_BYTES} more bytes: ECONNRESET; Node destroys the socket with the response unread`,
      { client: "CLOSED", server: "CLOSED" },
      await h.sample(first.tuple),
      { clientWrite: writeResult, clientSocketDestroyed: first.client.destroyed, responseBytesRead: 0 },
      writeResult === "ECONNRESET" && first.client.destroyed,
    );

    // 2. The same, but the client reads next: the response survived the RST.
    const second = await answerUnread(h, server, port);
    await naiveClose(h, second);
    let read = 0;
    second.client.on("data", (chunk: Buffer) => { read += chunk.length; });
    const after = new Promise<string>((resolve) => {
      second.client.once("end", () => resolve("EOF"));
      second.client.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    second.client.resume();
    const outcome = await Promise.race([after, sleep(2000).then(() => "nothing within 2000 ms")]);
    h.call("client", "read()", `${read} bytes`);
    // Node's 'end' here is libuv's POLLHUP shortcut (see the file comment), not read(2) returning 0.
    h.call("client", "read()", outcome === "EOF" ? "0 (EOF)" : outcome);
    second.client.destroy();
    h.call("client", "close()", "ok");
    h.record(
      "the client reads instead: it gets the whole response (Linux keeps received data after a RST), then Node reports EOF",
      { client: "CLOSED", server: "CLOSED" },
      await h.sample(second.tuple),
      { responseBytesRead: read, nodeReportsAfterData: outcome },
      read === LINGER_RESPONSE_BYTES && outcome === "EOF",
    );

    // 3. The fix: shutdown(SHUT_WR), drain to EOF, close().
    const third = await answerUnread(h, server, port);
    let drained = 0;
    third.peer.on("data", (chunk: Buffer) => { drained += chunk.length; });
    const serverEof = new Promise<void>((resolve) => third.peer.once("end", () => resolve()));
    third.peer.end(); // end() = shutdown(SHUT_WR): a FIN after the response
    h.call("server", "shutdown(SHUT_WR)", "ok");
    third.peer.resume();
    const deadline = Date.now() + 2000;
    while (drained < LINGER_REQUEST_BYTES && Date.now() < deadline) await sleep(5);
    h.call("server", "read()", `${drained} bytes (discarded)`);
    await h.observe(
      "server shutdown(SHUT_WR) after its response, and reads (discards) the request instead of closing",
      { client: "CLOSE_WAIT", server: "FIN_WAIT_2" },
      third.tuple,
      { serverDrained: drained },
      drained === LINGER_REQUEST_BYTES,
    );
    const more = await write(h, "client", third.client, LINGER_MORE_BYTES, 0x73);
    while (drained < LINGER_REQUEST_BYTES + LINGER_MORE_BYTES && Date.now() < deadline + 2000) await sleep(5);
    h.call("server", "read()", `${drained - LINGER_REQUEST_BYTES} bytes (discarded)`);
    await h.observe(
      `the client, still sending, writes ${LINGER_MORE_BYTES} more bytes: accepted, and the server drains them too`,
      { client: "CLOSE_WAIT", server: "FIN_WAIT_2" },
      third.tuple,
      { clientWrite: more, serverDrained: drained },
      more === "ok" && drained === LINGER_REQUEST_BYTES + LINGER_MORE_BYTES,
    );
    let got = 0;
    third.client.on("data", (chunk: Buffer) => { got += chunk.length; });
    const clientEof = new Promise<void>((resolve) => third.client.once("end", () => resolve()));
    third.client.resume();
    await Promise.race([clientEof, sleep(2000)]);
    h.call("client", "read()", `${got} bytes`);
    h.call("client", "read()", "0 (EOF)");
    const serverClosed = h.waitFor(third.peer, "close");
    third.client.end(); // shutdown(SHUT_WR); Node closes the fd once both directions are done
    h.call("client", "shutdown(SHUT_WR)", "ok");
    await serverEof;
    h.call("server", "read()", "0 (EOF)");
    third.peer.destroy();
    h.call("server", "close()", "ok");
    await serverClosed;
    await h.observe(
      "the client reads the response and EOF, and closes; the server reads EOF and closes: no RST, the server keeps TIME_WAIT",
      { client: "CLOSED", server: "TIME_WAIT" },
      third.tuple,
      { responseBytesRead: got },
      got === LINGER_RESPONSE_BYTES,
    );
  },
});
