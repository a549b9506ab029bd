/**
 * Half-close: the client sends its request and calls end() (shutdown(SHUT_WR)); the socket
 * stays open for reading, and the server's reply flows after the client's FIN.
 */
import { countBytes, establish, oneServerDemo } from "./definition.js";

export const REQUEST_BYTES = 100;
export const HALF_CLOSE_REPLY_BYTES = 2000;

export const halfClose = oneServerDemo({
  name: "half-close",
  title: "Half-close: shutdown(SHUT_WR) and a reply",
  description:
    "The client sends a 100-byte request and calls end(): FIN, \"no more from me\". The server (allowHalfOpen) reads the request and the EOF, " +
    "and replies with 2000 bytes into the half-closed connection; the client, in FIN_WAIT_2, receives all of them. Then the server closes.",
  preset: "half-close",
  serverOptions: { allowHalfOpen: true },
  async run(h, server, port) {
    const { client, peer, tuple } = await establish(h, server, port, { allowHalfOpen: true });
    const request = countBytes(peer);
    const reply = countBytes(client);
    const eof = h.waitFor(peer, "end");
    client.end(Buffer.alloc(REQUEST_BYTES, 0x71));
    await eof;
    await h.observe(
      `client sends ${REQUEST_BYTES} bytes and end(): FIN`,
      { client: "FIN_WAIT_2", server: "CLOSE_WAIT" },
      tuple,
      { bytesReceivedByServer: request.bytes() },
    );
    peer.write(Buffer.alloc(HALF_CLOSE_REPLY_BYTES, 0x72));
    await reply.until(HALF_CLOSE_REPLY_BYTES);
    await h.observe(
      `server replies ${HALF_CLOSE_REPLY_BYTES} bytes into the half-closed connection`,
      { client: "FIN_WAIT_2", server: "CLOSE_WAIT" },
      tuple,
      { bytesReceivedByClient: reply.bytes() },
    );
    peer.end();
    await h.observe("server end(): FIN; the client ACKs it", { client: "TIME_WAIT", server: "CLOSED" }, tuple);
  },
});
