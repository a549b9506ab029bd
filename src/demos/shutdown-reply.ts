/**
 * The shared run of four-way-close and half-close: the client shuts down its sending side
 * (end() = shutdown(SHUT_WR), after an optional request), the server — allowHalfOpen, so
 * Node does not close it on EOF — replies into the half-closed connection, then closes.
 */
import type net from "node:net";
import { countBytes, establish } from "./definition.js";
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
  if (bytes.request > 0) client.end(Buffer.alloc(bytes.request, 0x71));
  else client.end();
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
  await reply.until(bytes.reply);
  await h.observe(
    `server sends ${bytes.reply} bytes after the client's FIN; the client still receives`,
    { client: "FIN_WAIT_2", server: "CLOSE_WAIT" },
    tuple,
    { bytesReceivedByClient: reply.bytes() },
    reply.bytes() === bytes.reply,
  );
  peer.end();
  await h.observe("server end(): FIN; the client ACKs it and waits 2MSL", { client: "TIME_WAIT", server: "CLOSED" }, tuple);
}
