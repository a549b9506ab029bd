/** The abortive close: socket.resetAndDestroy() sets SO_LINGER 0 and closes, so a RST goes out. */
import { closeReason, establish, oneServerDemo, recordReadEnd } from "./definition.js";

export const abortRst = oneServerDemo({
  name: "abort-rst",
  title: "Abortive close: SO_LINGER 0",
  description:
    "The client calls resetAndDestroy(), Node's SO_LINGER {on, 0} + close(): the kernel sends a RST instead of a FIN and frees the socket at once. " +
    "The server's read fails with ECONNRESET. No FIN, no TIME_WAIT on either side.",
  preset: "abort-rst",
  serverOptions: {},
  async run(h, server, port) {
    const { client, peer, tuple } = await establish(h, server, port);
    peer.resume();
    const reason = closeReason(peer);
    recordReadEnd(h, "server", peer);
    client.resetAndDestroy();
    h.call("client", "setsockopt(SO_LINGER {1, 0}); close()", "ok");
    const code = await reason;
    await h.observe("client resetAndDestroy(): RST; the server's read fails", { client: "CLOSED", server: "CLOSED" }, tuple, { serverError: code }, code === "ECONNRESET");
  },
});
