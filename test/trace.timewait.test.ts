/**
 * The ends no tracepoint reports, on the real kernel, in a private network namespace (so a
 * per-namespace sysctl can shorten tcp_fin_timeout to 1 s without touching this machine's):
 * an orphaned FIN_WAIT_2 lives on as a timewait socket (tcp_rcv_state_process(), case
 * TCP_FIN_WAIT1: tcp_time_wait(sk, TCP_FIN_WAIT2, tmo)) and dies after tcp_fin_timeout with no
 * event; trace sees it go from /proc. The server's FIN that comes afterwards meets no socket
 * and is answered with a RST (NO_SOCKET), which ends the server's LAST_ACK.
 */
import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { checkTracefs, listInstances, type TraceRecord } from "../src/index.js";
import { hasCommand, inCI } from "./support/tools.js";

const run = promisify(execFile);
const check = checkTracefs();
const missing = !check.ok ? check.missing : !hasCommand("ip") ? "ip (iproute2)" : !hasCommand("python3") ? "python3" : "";
if (missing && inCI) throw new Error(`CI=true but this test needs ${missing}`);
if (missing) console.warn(`skipping the timewait trace test: needs ${missing}`);

const NS = `tl-trace-${process.pid}`;

describe.skipIf(missing !== "")("trace: timewait sockets' ends, from /proc", () => {
  it("an orphaned FIN_WAIT_2 ends after tcp_fin_timeout (1 s here) with no tracepoint; the late FIN gets a RST", async () => {
    execFileSync("ip", ["netns", "add", NS]);
    try {
      execFileSync("ip", ["netns", "exec", NS, "ip", "link", "set", "lo", "up"]);
      execFileSync("ip", ["netns", "exec", NS, "sysctl", "-qw", "net.ipv4.tcp_fin_timeout=1"]);
      const script = join(import.meta.dirname, "support", "trace-in-netns.mjs");
      const { stdout } = await run("ip", ["netns", "exec", NS, process.execPath, script, "orphan"], { timeout: 30_000 });
      const { server, summary, records } = JSON.parse(stdout) as { server: number; summary: { lost: number }; records: TraceRecord[] };
      expect(summary.lost).toBe(0);
      const side = (r: TraceRecord) => ("local" in r && r.local.endsWith(`:${server}`) ? "server" : "client");
      const moves = records.flatMap((r) =>
        r.type === "transition" && !r.remote.endsWith(":0") ? [`${side(r)} ${r.from}>${r.to}${r.source === "tracepoint" ? "" : ` [${r.source}]`}`]
        : r.type === "reset" ? [`${side(r)} !reset-${r.direction}`] : [],
      );
      expect(moves).toEqual([
        "client CLOSED>SYN_SENT", "client SYN_SENT>ESTABLISHED", "server LISTEN>SYN_RCVD", "server SYN_RCVD>ESTABLISHED",
        "client ESTABLISHED>FIN_WAIT_1", "server ESTABLISHED>CLOSE_WAIT", "client FIN_WAIT_1>FIN_WAIT_2",
        // The timewait socket's death: no event; /proc no longer lists it.
        "client FIN_WAIT_2>CLOSED [procfs]",
        "server CLOSE_WAIT>LAST_ACK", "client !reset-sent", "server !reset-received", "server LAST_ACK>CLOSED",
      ]);
      const end = records.find((r) => r.type === "transition" && r.source === "procfs");
      // tcp_fin_timeout = 1 s (tcp_fin_time() raises it to 3.5 RTO at least, 0.7 s on loopback); polled every 100 ms.
      expect(end?.type === "transition" && end.inState).toBeGreaterThanOrEqual(0.95);
      expect(end?.type === "transition" && end.inState).toBeLessThan(1.6);
      expect(records.find((r) => r.type === "reset" && r.direction === "sent")).toMatchObject({ reason: "NO_SOCKET" });
    } finally {
      execFileSync("ip", ["netns", "del", NS]);
    }
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(NS);
    expect(listInstances(check.ok ? check.root : "/sys/kernel/tracing")).toEqual([]);
  });
});
