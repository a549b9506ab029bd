/**
 * The three-way close: the client closes, and the server's application closes as soon as it
 * reads EOF (Node's default allowHalfOpen: false ends the socket on 'end'). The server's
 * kernel may then carry its ACK of the client's FIN on its own FIN (F. / F. / .).
 */
import { establish, oneServerDemo, recordReadEnd } from "./definition.js";

export const threeWayClose = oneServerDemo({
  name: "three-way-close",
  title: "The three-way close",
  description:
    "The client closes. The server reads EOF and closes at once, so it has nothing left to send: its FIN can carry the ACK of the client's FIN. " +
    "The client ends in TIME_WAIT, the server CLOSED, without the half-closed wait of the four-way close.",
  preset: "three-way-close",
  serverOptions: {},
  async run(h, server, port) {
    const { client, peer, tuple } = await establish(h, server, port);
    peer.resume();
    recordReadEnd(h, "server", peer);
    // Node, allowHalfOpen false: on EOF it calls end() (shutdown(SHUT_WR)) and then closes the fd.
    peer.once("end", () => h.call("server", "shutdown(SHUT_WR)", "ok"));
    const serverClosed = h.waitFor(peer, "close");
    // destroy() = close().
    client.destroy();
    h.call("client", "close()", "ok");
    await serverClosed;
    h.call("server", "close()", "ok");
    await h.observe("client close(): FIN; the server closes on EOF: FIN", { client: "TIME_WAIT", server: "CLOSED" }, tuple);
  },
});
