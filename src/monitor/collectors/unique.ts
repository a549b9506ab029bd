/**
 * One record per connection in a sample. A listing is not an atomic snapshot: the kernel hands
 * /proc/net/tcp out a page per read() and resumes its walk of the hash table by position
 * (net/ipv4/tcp_ipv4.c, tcp_seek_last_pos), and an inet_diag dump (ss) resumes the same way
 * between netlink messages. When sockets come and go between two reads, a line already
 * printed can be printed again. On a loaded machine with connections churning, most reads of
 * /proc/net/tcp held such a repeat.
 *
 * A connected socket is unique by its address/port pair, because the kernel's established
 * hash holds one socket per pair. A repeat is therefore a read artefact. The later line was
 * read later, so it is kept, and the earlier one becomes a diagnostic: counted once, never
 * silently dropped.
 *
 * Listening and unconnected sockets can share a local address (SO_REUSEPORT). They count as
 * repeats only when the listing shows their inode.
 */
import type { ConnectionRecord, Diagnostic, SocketAddress } from "../../parse/types.js";

export interface UniqueConnections {
  readonly records: readonly ConnectionRecord[];
  /** One per repeated line that was left out. */
  readonly diagnostics: readonly Diagnostic[];
}

function endpoint(a: SocketAddress): string {
  return `${a.address}${a.scope !== undefined ? `%${a.scope}` : ""} ${a.port ?? a.service ?? "*"}`;
}

function identity(r: ConnectionRecord): string | undefined {
  const connected = r.remote.port !== null && r.remote.port !== 0 && r.remote.address !== "*";
  if (connected) return `${endpoint(r.local)} > ${endpoint(r.remote)}`;
  if (r.inode !== undefined && r.inode !== 0) return `${endpoint(r.local)} inode ${r.inode}`;
  return undefined;
}

/** Keep the last line for each connection; every earlier repeat becomes a diagnostic. */
export function uniqueConnections(records: readonly ConnectionRecord[], source: string): UniqueConnections {
  const last = new Map<string, ConnectionRecord>();
  let keyed = 0;
  for (const r of records) {
    const key = identity(r);
    if (key === undefined) continue;
    keyed++;
    last.set(key, r);
  }
  if (last.size === keyed) return { records, diagnostics: [] };
  const kept: ConnectionRecord[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const r of records) {
    const key = identity(r);
    const final = key === undefined ? r : last.get(key);
    if (final === r) {
      kept.push(r);
      continue;
    }
    diagnostics.push({
      source,
      line: r.line,
      reason:
        `the same connection (${endpoint(r.local)} → ${endpoint(r.remote)}, ${r.state}) is listed again on line ${final?.line}: ` +
        "the listing is not an atomic snapshot (sockets came and went while it was read); counted once, as the later line says",
    });
  }
  return { records: kept, diagnostics };
}
