/**
 * Node-side helpers for the chapters' live cells: run a shell one-liner exactly as a learner
 * would type it, read a sysctl, and hold an orphaned FIN_WAIT_2 socket on loopback long
 * enough to look at it. Not part of the pure core (it imports Node).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";

/**
 * Runs `command` with `sh -c`, as typed at a prompt, and returns what it printed. A command
 * that exits non-zero (grep finding nothing) still returns its output, with stderr after it.
 */
export function sh(command: string): string {
  try {
    return execFileSync("sh", ["-c", command], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message?: string };
    return `${e.stdout ?? ""}${e.stderr ?? e.message ?? ""}`;
  }
}

/** /proc/sys/net/ipv4/<name>, trimmed, or undefined when this kernel has no such sysctl. */
export function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/net/ipv4/${name}`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * An orphaned FIN_WAIT_2 socket, held while `inspect` runs: a loopback server that never closes
 * (allowHalfOpen), a client that connects and destroy()s. The client's FIN is ACKed, no FIN
 * comes back, and the closed socket is an orphan; when the ACK of its FIN arrives Linux turns it
 * into a timewait minisocket in its FIN_WAIT2 substate (tcp_rcv_state_process() →
 * tcp_time_wait(sk, TCP_FIN_WAIT2, tmo), net/ipv4/tcp_input.c) that lives tcp_fin_timeout seconds. Afterwards the server's end is destroyed (its RST, or the
 * FIN, ends the orphan).
 */
export async function withOrphanedFinWait2<T>(inspect: (ports: { client: number; server: number }) => T | Promise<T>): Promise<T> {
  const accepted: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    accepted.push(s);
    s.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const serverPort = (server.address() as net.AddressInfo).port;
  try {
    const client = net.connect({ port: serverPort, host: "127.0.0.1" });
    await new Promise<void>((resolve, reject) => {
      client.once("connect", resolve);
      client.once("error", reject);
    });
    const clientPort = client.localPort ?? 0;
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    client.destroy();
    await closed;
    // The server's ACK of the FIN arrives within a loopback round trip; give it a few ms.
    await new Promise((r) => setTimeout(r, 50));
    return await inspect({ client: clientPort, server: serverPort });
  } finally {
    for (const s of accepted) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
