/**
 * Two private network namespaces joined by a veth pair: two "hosts" on a wire of their own,
 * so a demo can cut the wire or crash a host without touching this machine's interfaces.
 *
 *   tl-<pid>-<n>-a  veth tla 198.51.100.1/24  <—>  veth tlb 198.51.100.2/24  tl-<pid>-<n>-b
 *
 * 198.51.100.0/24 is TEST-NET-2 (RFC 5737), documentation only: it can never be a real peer.
 * The namespaces carry our PID in their names; they are deleted by `destroy()` and, should
 * the process be told to stop first, by an `onTerminate()` cleanup (which also kills whatever
 * still runs inside them, since a namespace lives on, unlisted, while a process is in it).
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { onTerminate } from "../process/cleanup.js";

const run = promisify(execFile);

export const NETNS_PREFIX = "tl-";

/** Why namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== "linux") return "network namespaces are Linux only";
  if (process.getuid?.() !== 0) return "creating network namespaces needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN): run as root";
  if (!hasCommand("ip")) return "ip (iproute2) is not installed: apt-get install iproute2";
  if (!hasCommand("python3")) return "python3 is not installed (the demo's sockets run in python3 children): apt-get install python3";
  return undefined;
}

export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

export interface Host {
  readonly netns: string;
  readonly device: string;
  readonly address: string;
  readonly mac: string;
}

export interface NetnsPair {
  readonly a: Host;
  readonly b: Host;
  /**
   * Take a's address away (a is gone from the network: b's segments still cross the wire but
   * a drops them on input, silently) or give it back (a is reachable again).
   */
  setAddressA(present: boolean): Promise<void>;
  /** Kill what still runs inside, delete both namespaces (the veth pair goes with them). */
  destroy(): Promise<void>;
}

let created = 0;

/** Namespaces of this process still listed by `ip netns list`. */
export function listOurNamespaces(pid = process.pid): string[] {
  const out = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  return out
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(`${NETNS_PREFIX}${pid}-`));
}

/** Synchronous, for the signal path: kill every process in `ns`, then delete it. */
function removeNow(ns: string): void {
  const pids = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout ?? "";
  for (const p of pids.split(/\s+/).filter((x) => /^\d+$/.test(x))) {
    try {
      process.kill(Number(p), "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  try {
    execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  } catch {
    // Never created, or deleted already.
  }
}

/** Create the pair. On any failure what was made is removed before the error is thrown. */
export async function createNetnsPair(): Promise<NetnsPair> {
  const base = `${NETNS_PREFIX}${process.pid}-${++created}`;
  const a: Host = { netns: `${base}-a`, device: "tla", address: "198.51.100.1", mac: "02:00:5e:00:00:01" };
  const b: Host = { netns: `${base}-b`, device: "tlb", address: "198.51.100.2", mac: "02:00:5e:00:00:02" };
  const forget = onTerminate(() => {
    removeNow(a.netns);
    removeNow(b.netns);
  });
  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    removeNow(a.netns);
    removeNow(b.netns);
    forget();
  };
  try {
    await run("ip", ["netns", "add", a.netns]);
    await run("ip", ["netns", "add", b.netns]);
    // Made inside a's namespace with its peer put straight into b's: no interface ever
    // appears in the namespace this process runs in.
    await run("ip", ["-n", a.netns, "link", "add", a.device, "address", a.mac, "type", "veth", "peer", "name", b.device, "address", b.mac, "netns", b.netns]);
    for (const [host, peer] of [[a, b], [b, a]] as const) {
      await run("ip", ["-n", host.netns, "addr", "add", `${host.address}/24`, "dev", host.device]);
      await run("ip", ["-n", host.netns, "link", "set", "dev", host.device, "up"]);
      // A permanent neighbour entry: no ARP. Otherwise, once a no longer answers, b's ARP for
      // a would fail after a few seconds (3 probes, 1 s apart, once the entry is stale), the
      // kernel would report host unreachable to the socket (arp_error_report → ICMP →
      // tcp_v4_err sets sk_err_soft) and a timeout would surface as EHOSTUNREACH instead of
      // ETIMEDOUT (tcp_write_err: sk_err_soft ?: ETIMEDOUT) — true on a real LAN, but a
      // different lesson, and one whose timing depends on the neighbour table's timers.
      await run("ip", ["-n", host.netns, "neigh", "replace", peer.address, "lladdr", peer.mac, "dev", host.device, "nud", "permanent"]);
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    a,
    b,
    async setAddressA(present) {
      await run("ip", ["-n", a.netns, "addr", present ? "add" : "del", `${a.address}/24`, "dev", a.device]);
    },
    destroy,
  };
}

/**
 * A /proc/net file as the process `pid` sees it: /proc/<pid>/net is that process's network
 * namespace, so a child running inside a namespace shows what the namespace holds.
 */
export function readProcNet(pid: number, file: "tcp" | "tcp6" | "snmp" | "netstat"): string {
  return readFileSync(`/proc/${pid}/net/${file}`, "utf8");
}

/**
 * The named counters of /proc/net/snmp or /proc/net/netstat (header line, value line per
 * protocol), nstat style: "TcpRetransSegs", "TcpExtTCPKeepAlive".
 */
export function readCounters(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const file of ["snmp", "netstat"] as const) {
    const lines = readProcNet(pid, file).split("\n");
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const [proto, ...names] = (lines[i] ?? "").trim().split(/\s+/);
      const [, ...values] = (lines[i + 1] ?? "").trim().split(/\s+/);
      if (!proto) continue;
      names.forEach((n, k) => { out[`${proto.replace(/:$/, "")}${n}`] = Number(values[k]); });
    }
  }
  return out;
}
