/**
 * connect() to a port where nothing listens: the kernel answers the SYN with RST+ACK
 * (RFC 9293 §3.10.7.1, a segment for a CLOSED port) and connect() fails with ECONNREFUSED.
 * The port is one the demo bound and closed, so nothing else is likely to be listening there.
 */
import { collectProc } from "../monitor/collectors/proc.js";
import type { TcpState } from "../fsm/states.js";
import { oneServerDemo } from "./definition.js";

async function listenerState(port: number): Promise<TcpState> {
  const r = (await collectProc()).records.find((r) => r.local.port === port && r.state === "LISTEN");
  return r ? "LISTEN" : "CLOSED";
}

async function clientState(port: number): Promise<TcpState> {
  const r = (await collectProc()).records.find((r) => r.remote.port === port);
  return r ? r.state : "CLOSED";
}

export const connectRefused = oneServerDemo({
  name: "connect-refused",
  title: "Connection refused",
  description:
    "The demo binds an ephemeral port and closes it again, then connects to it. Nothing listens, so the kernel answers the SYN with a RST that " +
    "acknowledges it: the client goes from SYN_SENT to CLOSED and connect() fails with ECONNREFUSED.",
  preset: "connect-refused",
  serverOptions: {},
  async run(h, server, port) {
    await h.closeServer(server);
    h.record("bind a port, then close it: nothing listens", { client: "CLOSED", server: "CLOSED" }, { client: await clientState(port), server: await listenerState(port) });
    let code = "connected";
    try {
      const s = await h.connect(port);
      s.destroy();
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code ?? String(err);
    }
    // net.Socket.connect() → connect(): "ok", or the errno it failed with.
    h.call("client", "connect()", code === "connected" ? "ok" : code);
    h.record(
      "connect(): the SYN is answered by RST",
      { client: "CLOSED", server: "CLOSED" },
      { client: code === "connected" ? "ESTABLISHED" : await clientState(port), server: await listenerState(port) },
      { error: code },
      code === "ECONNREFUSED",
    );
  },
});
