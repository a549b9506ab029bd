import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collectProc } from "../src/monitor/collectors/proc.js";
import { uniqueConnections } from "../src/monitor/collectors/unique.js";
import { countByState } from "../src/parse/count.js";
import type { ConnectionRecord } from "../src/parse/types.js";

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/parse/${name}`, import.meta.url), "utf8");

function rec(line: number, state: ConnectionRecord["state"], local: [string, number], remote: [string, number | null], inode?: number): ConnectionRecord {
  return {
    line,
    state,
    local: { address: local[0], port: local[1] },
    remote: { address: remote[0], port: remote[1] },
    ...(inode !== undefined ? { inode } : {}),
  };
}

describe("uniqueConnections", () => {
  it("keeps a listing without repeats as it is", () => {
    const records = [
      rec(2, "LISTEN", ["127.0.0.1", 80], ["0.0.0.0", 0]),
      rec(3, "ESTABLISHED", ["127.0.0.1", 80], ["127.0.0.1", 5000]),
      rec(4, "ESTABLISHED", ["127.0.0.1", 5000], ["127.0.0.1", 80]),
    ];
    const r = uniqueConnections(records, "x");
    expect(r.records).toBe(records);
    expect(r.diagnostics).toEqual([]);
  });

  it("counts a repeated connection once, keeps the later line, and reports the earlier one", () => {
    const records = [
      rec(2, "FIN_WAIT_2", ["127.0.0.1", 5000], ["127.0.0.1", 80], 77),
      rec(3, "ESTABLISHED", ["127.0.0.1", 5001], ["127.0.0.1", 80], 78),
      rec(9, "TIME_WAIT", ["127.0.0.1", 5000], ["127.0.0.1", 80], 0),
    ];
    const r = uniqueConnections(records, "/proc/net/tcp");
    expect(r.records.map((x) => [x.line, x.state])).toEqual([[3, "ESTABLISHED"], [9, "TIME_WAIT"]]);
    expect(r.diagnostics).toEqual([
      {
        source: "/proc/net/tcp",
        line: 2,
        reason:
          "the same connection (127.0.0.1 5000 → 127.0.0.1 80, FIN_WAIT_2) is listed again on line 9: the listing is not an atomic " +
          "snapshot (sockets came and went while it was read); counted once, as the later line says",
      },
    ]);
  });

  it("tells connections apart by both ends, address family and IPv6 scope", () => {
    const records = [
      rec(2, "ESTABLISHED", ["127.0.0.1", 5000], ["127.0.0.1", 80]),
      rec(3, "ESTABLISHED", ["127.0.0.1", 5000], ["127.0.0.1", 81]),
      rec(4, "ESTABLISHED", ["127.0.0.2", 5000], ["127.0.0.1", 80]),
      rec(5, "ESTABLISHED", ["::ffff:127.0.0.1", 5000], ["::ffff:127.0.0.1", 80]),
      { ...rec(6, "ESTABLISHED", ["fe80::1", 5000], ["fe80::2", 80]), local: { address: "fe80::1", port: 5000, scope: "eth0" } },
      { ...rec(7, "ESTABLISHED", ["fe80::1", 5000], ["fe80::2", 80]), local: { address: "fe80::1", port: 5000, scope: "eth1" } },
    ];
    expect(uniqueConnections(records, "x").records).toHaveLength(6);
  });

  it("keeps listeners that share an address (SO_REUSEPORT) unless the same inode repeats", () => {
    const records = [
      rec(2, "LISTEN", ["0.0.0.0", 80], ["0.0.0.0", 0], 100),
      rec(3, "LISTEN", ["0.0.0.0", 80], ["0.0.0.0", 0], 101),
      rec(4, "LISTEN", ["0.0.0.0", 81], ["*", null]),
      rec(5, "LISTEN", ["0.0.0.0", 81], ["*", null]),
      rec(6, "LISTEN", ["0.0.0.0", 80], ["0.0.0.0", 0], 100),
    ];
    const r = uniqueConnections(records, "x");
    expect(r.records.map((x) => x.line)).toEqual([3, 4, 5, 6]);
    expect(r.diagnostics.map((d) => d.line)).toEqual([2]);
  });
});

describe("collectProc over a listing read while sockets changed", () => {
  const root = mkdtempSync(join(tmpdir(), "tcp-lifecycle-unique-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("counts each connection once and says which lines repeated", async () => {
    // The real listing, with lines 4 and 5 printed again at the end, as a walk resumed by
    // position prints them after sockets before them have gone.
    const tcp = fixture("linux-proc-tcp.txt").trimEnd().split("\n");
    const repeated = [...tcp, tcp[3]!, tcp[4]!.replace(" 01 ", " 04 ")];
    mkdirSync(join(root, "proc/net"), { recursive: true });
    writeFileSync(join(root, "proc/net/tcp"), repeated.join("\n") + "\n");
    writeFileSync(join(root, "proc/net/tcp6"), fixture("linux-proc-tcp6.txt"));

    const sample = await collectProc({ root });
    const tcp4 = sample.records.filter((r) => !r.local.address.includes(":"));
    expect(tcp4).toHaveLength(tcp.length - 1);
    expect(sample.diagnostics.map((d) => [d.source, d.line])).toEqual([
      [join(root, "proc/net/tcp"), 4],
      [join(root, "proc/net/tcp"), 5],
    ]);
    // The later line wins: line 5's connection is now FIN_WAIT_1, as the repeat says.
    expect(tcp4.find((r) => r.line === tcp.length + 2)?.state).toBe("FIN_WAIT_1");
    expect(countByState(tcp4)).toMatchObject({ ESTABLISHED: 4, FIN_WAIT_1: 1, TIME_WAIT: 5, LISTEN: 2 });
  });
});
