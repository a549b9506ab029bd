/**
 * The four-way close on real sockets: the client calls end() — shutdown(SHUT_WR) — and the
 * server, which allows half-open connections, keeps sending before it closes. Separate ACK
 * and FIN from the server, because its application was not done when the client's FIN came.
 */
import { countBytes, establish, oneServerDemo } from "./definition.js";

export const REPLY_BYTES = 100;

export const fourWayClose = oneServerDemo({
  name: "four-way-close",
  title: "The four-way close",
  description:
    "The client calls end() (shutdown(SHUT_WR)): its FIN goes out. The server's kernel ACKs it and the server sits in CLOSE_WAIT, " +
    "while the client waits in FIN_WAIT_2. The server still sends 100 bytes into the half-closed connection, then closes: " +
    "its FIN takes the client to TIME_WAIT, and the client's ACK ends the server's side.",
  preset: "four-way-close",
  serverOptions: { allowHalfOpen: true },
  async run(h, server, port) {
    const { client, peer, tuple } = await establish(h, server, port, { allowHalfOpen: true });
    const received = countBytes(client);
    const eof = h.waitFor(peer, "end");
    peer.resume();
    client.end();
    await eof;
    await h.observe("client end() = shutdown(SHUT_WR): FIN; the server's kernel ACKs it", { client: "FIN_WAIT_2", server: "CLOSE_WAIT" }, tuple);
    peer.write(Buffer.alloc(REPLY_BYTES, 0x61));
    await received.until(REPLY_BYTES);
    await h.observe(
      `server sends ${REPLY_BYTES} bytes after the client's FIN; the client still receives`,
      { client: "FIN_WAIT_2", server: "CLOSE_WAIT" },
      tuple,
      { bytesReceived: received.bytes() },
    );
    peer.end();
    await h.observe("server end(): FIN; the client ACKs it and waits 2MSL", { client: "TIME_WAIT", server: "CLOSED" }, tuple);
  },
});
