/**
 * The shared run of four-way-close and half-close: the client shuts down its sending side
 * (end() = shutdown(SHUT_WR), after an optional request), the server — allowHalfOpen, so
 * Node does not close it on EOF — replies into the half-closed connection, then closes.
 */
import type net from "node:net";
import { countBytes, establish, recordReadEnd } from "./definition.js";
import type { DemoHarness } from "./harness.js";

export async function shutdownThenReply(
  h: DemoHarness,
  server: net.Server,
  port: number,
  bytes: { readonly request: number; readonly reply: number },
): Promise<void> {
  const { client, peer, tuple } = await establish(h, server, port, { allowHalfOpen: true });
  const request = countBytes(peer);
  const reply = countBytes(client);
  const eof = h.waitFor(peer, "end");
  // Registered after waitFor, so the server's read() → bytes is recorded before its EOF.
  peer.once("end", () => {
    if (bytes.request > 0) h.call("server", "read()", `${request.bytes()} bytes`);
  });
  recordReadEnd(h, "server", peer);
  recordReadEnd(h, "client", client);
  // socket.end(data) = write(data), then shutdown(SHUT_WR) once it is written.
  if (bytes.request > 0) {
    client.end(Buffer.alloc(bytes.request, 0x71));
    h.call("client", `write(${bytes.request} bytes)`, "ok");
  } else client.end();
  h.call("client", "shutdown(SHUT_WR)", "ok");
  await eof;
  await h.observe(
    bytes.request > 0
      ? `client sends ${bytes.request} bytes and end() = shutdown(SHUT_WR): FIN`
      : "client end() = shutdown(SHUT_WR): FIN; the server's kernel ACKs it",
    { client: "FIN_WAIT_2", server: "CLOSE_WAIT" },
    tuple,
    bytes.request > 0 ? { bytesReceivedByServer: request.bytes() } : undefined,
    request.bytes() === bytes.request,
  );
  peer.write(Buffer.alloc(bytes.reply, 0x72));
  h.call("server", `write(${bytes.reply} bytes)`, "ok");
  await reply.until(bytes.reply);
  // The bytes as the application read them (one or more read() calls).
  h.call("client", "read()", `${reply.bytes()} bytes`);
  await h.observe(
    `server sends ${bytes.reply} bytes after the client's FIN; the client still receives`,
    { client: "FIN_WAIT_2", server: "CLOSE_WAIT" },
    tuple,
    { bytesReceivedByClient: reply.bytes() },
    reply.bytes() === bytes.reply,
  );
  // Node's end() = shutdown(SHUT_WR); with both directions done, Node then closes the fd.
  const clientEof = h.waitFor(client, "end");
  peer.end();
  h.call("server", "shutdown(SHUT_WR)", "ok");
  // The client's application reads the EOF before the states are checked, so `app` has it.
  await clientEof;
  await h.observe("server end(): FIN; the client ACKs it and waits 2MSL", { client: "TIME_WAIT", server: "CLOSED" }, tuple);
}
