/**
 * close() with unread data: the kernel sends RST, not FIN (net/ipv4/tcp.c __tcp_close:
 * "data_was_unread" → TCPAbortOnClose; RFC 9293 §3.6.1, RFC 2525 §2.17).
 */
import { closeReason, establish, oneServerDemo, recordReadEnd } from "./definition.js";

export const UNREAD_BYTES = 100;

export const closeUnreadData = oneServerDemo({
  name: "close-unread-data",
  title: "Closing with unread data sends RST",
  description:
    "The client never reads (its socket is paused from the start), so the server's 100 bytes wait in the client's receive buffer (Recv-Q 100). " +
    "When the client closes, the kernel sees unread data and sends a RST instead of a FIN: the peer learns the data was lost. Both ends are gone at once.",
  preset: "close-unread-data",
  serverOptions: {},
  async run(h, server, port) {
    const { client, peer, tuple } = await establish(h, server, port, { paused: true });
    peer.resume();
    peer.write(Buffer.alloc(UNREAD_BYTES, 0x75));
    h.call("server", `write(${UNREAD_BYTES} bytes)`, "ok");
    const deadline = Date.now() + 2000;
    let recvQ = 0;
    while (Date.now() < deadline && (recvQ = (await h.recordOf(tuple, "client"))?.recvQ ?? 0) < UNREAD_BYTES) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await h.observe(
      `server sends ${UNREAD_BYTES} bytes; the client's application does not read them`,
      { client: "ESTABLISHED", server: "ESTABLISHED" },
      tuple,
      { clientRecvQ: recvQ },
      recvQ === UNREAD_BYTES,
    );
    const reason = closeReason(peer);
    recordReadEnd(h, "server", peer);
    // destroy() = close(), with 100 bytes the application never read.
    client.destroy();
    h.call("client", "close()", "ok");
    const code = await reason;
    await h.observe(
      "client close() with unread data: the kernel sends RST",
      { client: "CLOSED", server: "CLOSED" },
      tuple,
      { serverError: code },
      code === "ECONNRESET",
    );
  },
});
