/**
 * The parsers against this machine's tools, live: a listener and a connection pair on
 * loopback (ephemeral ports), then ss, netstat and /proc/net/tcp* are read and parsed.
 * Every line must be accounted for without a rejected line, and our sockets must appear
 * with the right states in each listing.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  countByState,
  countStatesSs,
  detectFormat,
  parseNetstatLinux,
  parseProcNetTcp,
  parseSockstat,
  parseSs,
  parseSsSummary,
  type ConnectionRecord,
  type TextParseResult,
} from "../src/parse/index.js";
import { toolGate } from "./support/tools.js";

const linux = process.platform === "linux";
const procGate = linux ? toolGate("/proc/net/tcp", "Linux only", existsSync("/proc/net/tcp")) : { skip: true, reason: "Linux only" };
const ssGate = linux ? toolGate("ss", "apt-get install iproute2") : { skip: true, reason: "Linux only" };
const netstatGate = linux ? toolGate("netstat", "apt-get install net-tools") : { skip: true, reason: "Linux only" };

let server: net.Server;
let client: net.Socket;
let accepted: net.Socket;
let port = 0;

beforeAll(async () => {
  server = net.createServer();
  const gotConnection = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
  client = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => client.once("connect", resolve));
  accepted = await gotConnection;
});

afterAll(async () => {
  client?.destroy();
  accepted?.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

function run(cmd: string, args: string[]): string {
  // Other work on the machine may hold tens of thousands of sockets: allow a large listing.
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 512 * 1024 * 1024 });
}

function ours(result: TextParseResult<ConnectionRecord>): string[] {
  expect(result.lines.rejected, JSON.stringify(result.diagnostics)).toBe(0);
  expect(result.lines.blank + result.lines.header + result.lines.records + result.lines.skipped).toBe(result.lines.total);
  const clientPort = client.localPort;
  return result.records
    .filter((r) => r.local.address === "127.0.0.1" && (r.local.port === port || (r.local.port === clientPort && r.remote.port === port)))
    .map((r) => `${r.state} ${r.local.port === port ? "server" : "client"}${r.state === "LISTEN" ? "" : `->${r.remote.port === port ? "server" : "client"}`}`)
    .sort();
}

const EXPECTED = ["ESTABLISHED client->server", "ESTABLISHED server->client", "LISTEN server"];

describe.skipIf(ssGate.skip)("live ss", () => {
  it.each([["-tan"], ["-tanH"], ["-tanpoe"], ["-tanm"], ["-tani"], ["-an"]])("ss %s", (flags) => {
    const text = run("ss", [flags]);
    expect(detectFormat(text).format).toBe("ss");
    const result = parseSs(text);
    expect(ours(result)).toEqual(EXPECTED);
    const fast = countStatesSs(text);
    expect(fast.lines.rejected).toBe(0);
    expect(fast.total).toBe(result.records.length);
    expect(fast.counts).toEqual(countByState(result.records));
    expect(fast.diagnostics).toEqual(result.diagnostics);
  });
  it("ss -tanp shows this process on its sockets", () => {
    const result = parseSs(run("ss", ["-tanp"]));
    const listener = result.records.find((r) => r.state === "LISTEN" && r.local.port === port);
    expect(listener?.processes?.map((p) => p.pid)).toContain(process.pid);
  });
  it("ss -tan state established, with the state given", () => {
    const result = parseSs(run("ss", ["-tan", "state", "established"]), { state: "ESTABLISHED" });
    expect(ours(result)).toEqual(EXPECTED.filter((e) => e.startsWith("ESTABLISHED")));
  });
  it("ss -s", () => {
    const result = parseSsSummary(run("ss", ["-s"]));
    expect(result.lines.rejected).toBe(0);
    expect(result.records[0]?.tcp?.estab).toBeGreaterThanOrEqual(2);
  });
});

describe.skipIf(procGate.skip)("live /proc", () => {
  it("/proc/net/tcp and tcp6", () => {
    const text = readFileSync("/proc/net/tcp", "utf8") + (existsSync("/proc/net/tcp6") ? readFileSync("/proc/net/tcp6", "utf8") : "");
    expect(detectFormat(text).format).toBe("proc");
    const result = parseProcNetTcp(text);
    expect(ours(result)).toEqual(EXPECTED);
    expect(result.records.find((r) => r.state === "LISTEN" && r.local.port === port)?.uid).toBe(process.getuid?.() ?? 0);
  });
  it("/proc/net/sockstat", () => {
    const result = parseSockstat(readFileSync("/proc/net/sockstat", "utf8"));
    expect(result.diagnostics).toEqual([]);
    expect(result.records[0]?.tcp?.inuse).toBeGreaterThanOrEqual(3);
  });
});

describe.skipIf(netstatGate.skip)("live netstat", () => {
  it.each([["-ant"], ["-antp"], ["-anto"], ["-antpo"], ["-ante"], ["-an"]])("netstat %s", (flags) => {
    const text = run("netstat", [flags]);
    expect(detectFormat(text).format).toBe("netstat-linux");
    expect(ours(parseNetstatLinux(text))).toEqual(EXPECTED);
  });
});
