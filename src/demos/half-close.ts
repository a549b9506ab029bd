/**
 * Half-close: the client sends its request and calls end() (shutdown(SHUT_WR)); the socket
 * stays open for reading, and the server's reply flows after the client's FIN.
 */
import { oneServerDemo } from "./definition.js";
import { shutdownThenReply } from "./shutdown-reply.js";

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
    await shutdownThenReply(h, server, port, { request: REQUEST_BYTES, reply: HALF_CLOSE_REPLY_BYTES });
  },
});
