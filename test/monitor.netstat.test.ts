// The netstat collector, the fallback on macOS/BSD and Windows: a fake `netstat` first on PATH
// records the arguments it was given and prints a real listing from test/fixtures/parse, so
// the exact command line, the source, the origin, the counts by state and the owners are
// checked on every platform, not only where that netstat exists.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { collect, netstatCommand } from "../src/monitor/index.js";
import type { Sample } from "../src/monitor/index.js";

const fixture = (name: string): string => new URL(`./fixtures/parse/${name}`, import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), "netstat-test-"));
const argsFile = join(scratch, "args");
const savedPath = process.env.PATH;
process.env.PATH = `${scratch}${delimiter}${savedPath ?? ""}`;
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(scratch, { recursive: true, force: true });
});

/** A fake netstat that writes one argument per line to argsFile and prints `listing` byte for byte. */
function fakeNetstat(listing: string): void {
  const path = join(scratch, "netstat");
  writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nexec cat '${listing}'\n`);
  chmodSync(path, 0o755);
}
const argsGiven = (): string[] => readFileSync(argsFile, "utf8").split("\n").slice(0, -1);

function countByState(s: Sample): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of s.records) out[r.state] = (out[r.state] ?? 0) + 1;
  return out;
}
/** "local → remote state pid,pid" for every record, in listing order. */
const owners = (s: Sample): string[] =>
  s.records.map((r) => `${r.local.address}:${r.local.port ?? "*"} ${r.state} ${(r.processes ?? []).map((p) => p.pid).join(",")}`);

beforeEach(() => rmSync(argsFile, { force: true }));

describe("netstatCommand", () => {
  it("names the exact command line of each flavour", () => {
    expect(netstatCommand("netstat-bsd")).toBe("netstat -an -p tcp");
    expect(netstatCommand("netstat-windows")).toBe("netstat -ano");
    expect(netstatCommand("netstat-linux")).toBe("netstat -antpo");
  });
});

describe("collect through netstat", () => {
  it("macOS (auto on darwin): netstat -an -p tcp, every state of the listing counted once", async () => {
    fakeNetstat(fixture("macos-netstat-an-p-tcp.txt"));
    const s = await collect({ source: "auto", platform: "darwin" });
    expect(argsGiven()).toEqual(["-an", "-p", "tcp"]);
    expect(s.source).toBe("netstat-bsd");
    expect(s.origin).toBe("netstat -an -p tcp");
    expect(s.diagnostics).toEqual([]);
    // By hand: 17 tcp lines, no connection listed twice.
    expect(countByState(s)).toEqual({
      ESTABLISHED: 4, CLOSE_WAIT: 1, LISTEN: 4, TIME_WAIT: 1, FIN_WAIT_1: 1, FIN_WAIT_2: 1,
      SYN_SENT: 1, SYN_RCVD: 1, LAST_ACK: 1, CLOSING: 1, CLOSED: 1,
    });
    // BSD netstat -an shows no owners.
    expect(s.records.every((r) => r.processes === undefined)).toBe(true);
    expect(s.records.map((r) => r.proto)).toEqual([
      "tcp4", "tcp4", "tcp4", "tcp4", "tcp6", "tcp4", "tcp6", "tcp46", "tcp4", "tcp4", "tcp4", "tcp4", "tcp4", "tcp4", "tcp4", "tcp6", "tcp4"]);
  });

  it("Windows (auto on win32): netstat -ano, CRLF listing, owners are the PIDs", async () => {
    const listing = fixture("windows-netstat-ano.txt");
    expect(readFileSync(listing, "utf8")).toContain("\r\n");
    fakeNetstat(listing);
    const s = await collect({ source: "auto", platform: "win32" });
    expect(argsGiven()).toEqual(["-ano"]);
    expect(s.source).toBe("netstat-windows");
    expect(s.origin).toBe("netstat -ano");
    expect(s.diagnostics).toEqual([]);
    // By hand: 14 TCP lines (the 2 UDP lines are not TCP), no connection listed twice.
    expect(countByState(s)).toEqual({
      LISTEN: 4, ESTABLISHED: 3, TIME_WAIT: 2, CLOSE_WAIT: 1, SYN_SENT: 1, FIN_WAIT_2: 1, SYN_RCVD: 1, LAST_ACK: 1,
    });
    expect(owners(s)).toEqual([
      "0.0.0.0:135 LISTEN 1044",
      "0.0.0.0:445 LISTEN 4",
      "127.0.0.1:9090 ESTABLISHED 5120",
      "127.0.0.1:50123 ESTABLISHED 7788",
      "127.0.0.1:50130 TIME_WAIT 0",
      "192.168.1.50:50200 CLOSE_WAIT 6612",
      "192.168.1.50:50201 SYN_SENT 6612",
      "192.168.1.50:50202 FIN_WAIT_2 6612",
      "192.168.1.50:3389 SYN_RCVD 1200",
      "192.168.1.50:50203 LAST_ACK 6612",
      ":::135 LISTEN 1044",
      "::1:9090 LISTEN 5120",
      "::1:9090 TIME_WAIT 0",
      "fe80::1c2d:3eff:fe4a:1b2c:50300 ESTABLISHED 4",
    ]);
  });

  it("Linux with source netstat: netstat -antpo, PID/Program and timers", async () => {
    fakeNetstat(fixture("linux-netstat-antpo.txt"));
    const s = await collect({ source: "netstat", platform: "linux" });
    expect(argsGiven()).toEqual(["-antpo"]);
    expect(s.source).toBe("netstat-linux");
    expect(s.origin).toBe("netstat -antpo");
    expect(s.diagnostics).toEqual([]);
    // By hand: 19 lines, no connection listed twice.
    expect(countByState(s)).toEqual({ LISTEN: 4, CLOSE_WAIT: 1, ESTABLISHED: 8, TIME_WAIT: 5, FIN_WAIT_2: 1 });
    const named = s.records.filter((r) => r.processes !== undefined);
    expect(named).toHaveLength(13); // the other 6 show "-": the listener on 2024 and the 5 in TIME_WAIT
    expect(new Set(named.flatMap((r) => (r.processes ?? []).map((p) => `${p.pid}/${p.name}`)))).toEqual(new Set(["7922/node"]));
    expect(s.records.filter((r) => r.timer?.kind === "timewait")).toHaveLength(5);
  });

  it("a connection listed twice is counted once and reported", async () => {
    const lines = readFileSync(fixture("windows-netstat-ano.txt"), "utf8").split("\r\n");
    const doubled = join(scratch, "doubled.txt");
    // Line 6 (an ESTABLISHED connection) listed again at the end, as a listing read while sockets change can.
    writeFileSync(doubled, [...lines.slice(0, -1), lines[5], ""].join("\r\n"));
    fakeNetstat(doubled);
    const s = await collect({ source: "netstat", platform: "win32" });
    expect(countByState(s).ESTABLISHED).toBe(3);
    expect(s.diagnostics.map((d) => d.line)).toEqual([6]);
  });
});
