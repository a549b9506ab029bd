/**
 * The four-way close on real sockets: the client calls end() — shutdown(SHUT_WR) — and the
 * server, which allows half-open connections, keeps sending before it closes. Separate ACK
 * and FIN from the server, because its application was not done when the client's FIN came.
 */
import { oneServerDemo } from "./definition.js";
import { shutdownThenReply } from "./shutdown-reply.js";

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
    await shutdownThenReply(h, server, port, { request: 0, reply: REPLY_BYTES });
  },
});
