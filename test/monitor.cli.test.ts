/**
 * `tcp-lifecycle monitor` as a user runs it: the built CLI (dist/, which `npm test` builds
 * first) in a child process. One JSON snapshot, filters on a real loopback listener, plain
 * snapshots when stdout is a pipe, Ctrl-C (SIGINT) exiting 0 — through a real pseudo-terminal
 * with `script` too — and exit 2 with a one-line message for bad options. With tracing (root,
 * tracefs): the kernel's transitions of a real connection in the NDJSON lines, the tracefs
 * instance gone after --count and after SIGINT; without it (run as nobody): the fallback, said.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STATES } from "../src/fsm/states.js";
import { checkTracefs, INSTANCE_PREFIX, listInstances } from "../src/trace/index.js";
import { hasCommand, toolGate } from "./support/tools.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = `${root}dist/cli/main.js`;
const linux = existsSync("/proc/net/tcp");

function run(args: readonly string[], env: NodeJS.ProcessEnv = process.env): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 30_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Start the CLI, wait until stdout contains `marker`, send `signal`, and collect the rest. */
function interrupt(args: readonly string[], marker: string, signal: NodeJS.Signals = "SIGINT"): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let sent = false;
    const guard = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no "${marker}" within 20 s; stdout: ${stdout.slice(0, 500)} stderr: ${stderr}`));
    }, 20_000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (!sent && stdout.includes(marker)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code, sig) => {
      clearTimeout(guard);
      resolve({ code, signal: sig, stdout, stderr });
    });
  });
}

/**
 * Start the CLI with stdout a pipe; `onFirstLine` runs once the first line is out (the first
 * snapshot, so tracing has started). Resolves with the exit and every line.
 */
function runWithFirstLine(
  args: readonly string[],
  onFirstLine: (child: ReturnType<typeof spawn>) => Promise<void> | void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[]; stderr: string; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let fired = false;
    const guard = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`not done within 20 s; stdout: ${stdout.slice(0, 500)} stderr: ${stderr}`));
    }, 20_000);
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (!fired && stdout.includes("\n")) {
        fired = true;
        Promise.resolve(onFirstLine(child)).catch((err: unknown) => {
          child.kill("SIGKILL");
          reject(err);
        });
      }
    });
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code, sig) => {
      clearTimeout(guard);
      resolve({ code, signal: sig, lines: stdout.trim().split("\n"), stderr, pid: child.pid! });
    });
  });
}

const tracefs = linux ? checkTracefs() : { ok: false as const };
/** Our tracefs instances made by process `pid` (the name carries the PID). */
const instancesOf = (pid: number): string[] => (tracefs.ok ? listInstances(tracefs.root).filter((n) => n.startsWith(`${INSTANCE_PREFIX}${pid}-`)) : []);

describe.skipIf(!existsSync(cli))("tcp-lifecycle monitor (built CLI)", () => {
  let server: net.Server;
  let port = 0;

  beforeAll(async () => {
    server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it.skipIf(!linux)("--once --json prints one snapshot: source, all 11 RFC states, anomalies", () => {
    const r = run(["monitor", "--once", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const snap = JSON.parse(r.stdout);
    expect(snap.source).toBe("proc");
    expect(Object.keys(snap.counts)).toEqual([...STATES]);
    for (const st of STATES) expect(Number.isInteger(snap.counts[st])).toBe(true);
    expect(Array.isArray(snap.anomalies)).toBe(true);
    expect(snap.counts.LISTEN).toBeGreaterThanOrEqual(1);
  });

  it.skipIf(!linux)("--port and --state select our own listener exactly", () => {
    const r = run(["monitor", "--once", "--json", "--port", String(port), "--state", "listen"]);
    expect(r.code).toBe(0);
    const snap = JSON.parse(r.stdout);
    expect(snap.filter).toEqual({ port, state: "LISTEN" });
    expect(snap.total).toBe(1);
    expect(snap.counts.LISTEN).toBe(1);
    expect(snap.byPort).toEqual([{ port, total: 1, counts: { LISTEN: 1 } }]);
  });

  const ssGate = linux ? toolGate("ss", "apt-get install iproute2") : { skip: true };
  it.skipIf(ssGate.skip)("--source ss names the process that listens", () => {
    const r = run(["monitor", "--once", "--json", "--source", "ss", "--port", String(port)]);
    expect(r.code).toBe(0);
    const snap = JSON.parse(r.stdout);
    expect(snap.source).toBe("ss");
    expect(snap.origin).toBe("ss -tanoep");
    expect(snap.byProcess).toEqual([{ pid: process.pid, name: "node", total: 1, counts: { LISTEN: 1 } }]);
  });

  it.skipIf(!linux)("--once without --json prints the text view", () => {
    const r = run(["monitor", "--once", "--port", String(port)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("tcp-lifecycle monitor");
    expect(r.stdout).toContain(`[filter: port ${port}]`);
    expect(r.stdout).toMatch(/LISTEN\s+1/);
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  it.skipIf(!linux)("--json --count 3 prints three snapshots, one JSON object per line", () => {
    const r = run(["monitor", "--json", "--count", "3", "--interval", "100ms", "--port", String(port)]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.counts.LISTEN).toBe(1);
  });

  it.skipIf(!linux)("SIGINT stops sampling to a pipe and exits 0", async () => {
    const r = await interrupt(["monitor", "--interval", "200ms"], "Anomalies");
    expect(r.stderr).toBe("");
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("tcp-lifecycle monitor");
  });

  it.skipIf(!linux)("SIGTERM also exits 0", async () => {
    const r = await interrupt(["monitor", "--interval", "200ms", "--json"], "\n", "SIGTERM");
    expect(r.code).toBe(0);
  });

  const scriptGate = linux && hasCommand("script") && hasCommand("ss") ? { skip: false } : { skip: true };
  it.skipIf(scriptGate.skip)("in a terminal, Ctrl-C exits 0 and restores the screen and cursor", async () => {
    // `script` gives the CLI a real pseudo-terminal; the ^C byte written to it, once the first
    // view is drawn, makes the terminal send SIGINT to the whole foreground group (the CLI and
    // any running ss), as a keyboard would. `script` runs the command through `$SHELL -c`; dash
    // (SHELL unset, as in CI) does not exec the last command, stays in the foreground group and
    // dies of the SIGINT itself (exit 130), so `exec` replaces the shell with the CLI.
    const command = `exec '${process.execPath}' '${cli}' monitor --interval 300ms --source ss`;
    const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn("script", ["-qfec", command, "/dev/null"], {
        stdio: ["pipe", "pipe", "pipe"],
      });
      let out = "";
      let sent = false;
      const guard = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`no view within 20 s: ${JSON.stringify(out.slice(0, 300))}`));
      }, 20_000);
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (!sent && out.includes("Ctrl-C to stop")) {
          sent = true;
          child.stdin.write("\x03");
        }
      });
      child.on("close", (code) => {
        clearTimeout(guard);
        resolve({ code, out });
      });
    });
    expect(r.code).toBe(0);
    expect(r.out).toContain("\x1b[?1049h\x1b[?25l");
    expect(r.out.lastIndexOf("\x1b[?25h\x1b[?1049l")).toBeGreaterThan(r.out.lastIndexOf("\x1b[H\x1b[2J"));
  });

  const traceGate = linux ? toolGate("tracefs (root)", "run as root with tracefs mounted", tracefs.ok) : { skip: true };
  describe.skipIf(traceGate.skip)("recent transitions from the kernel (root, tracefs)", () => {
    let closer: net.Server;
    let closerPort = 0;
    beforeAll(async () => {
      // Its own listener, so no other test's connections show: the server closes once the client's FIN arrives.
      closer = net.createServer((s) => s.resume());
      await new Promise<void>((r) => closer.listen(0, "127.0.0.1", () => r()));
      closerPort = (closer.address() as net.AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise<void>((r) => closer.close(() => r()));
    });

    it("--json lines carry the transitions since the previous line: both ends of a connection, exactly", async () => {
      let clientPort = 0;
      let during: string[] = [];
      const r = await runWithFirstLine(["monitor", "--json", "--count", "3", "--interval", "200ms", "--port", String(closerPort)], async (child) => {
        during = instancesOf(child.pid!);
        const c = net.connect(closerPort, "127.0.0.1");
        await new Promise<void>((ok) => c.once("connect", () => ok()));
        clientPort = c.localPort!;
        c.resume();
        c.end();
        await new Promise<void>((ok) => c.once("close", () => ok()));
      });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(during).toHaveLength(1);
      expect(instancesOf(r.pid)).toEqual([]);
      const rows = r.lines.map((l) => JSON.parse(l) as { transitions?: { local: string; remote: string; from: string; to: string; type: string }[]; transitionsUnavailable?: string });
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        expect(Array.isArray(row.transitions)).toBe(true);
        expect(row.transitionsUnavailable).toBeUndefined();
      }
      // Made after the first line was out: none in it.
      expect(rows[0]!.transitions).toEqual([]);
      const all = rows.flatMap((row) => row.transitions ?? []);
      for (const t of all) expect(t.type).toBe("transition");
      const client = `127.0.0.1:${clientPort}`;
      const server = `127.0.0.1:${closerPort}`;
      const path = (local: string, remote: string): string[] => all.filter((t) => t.local === local && t.remote === remote).map((t) => `${t.from}→${t.to}`);
      // RFC 9293 §3.5 (Figure 12): the client closes first, so it goes FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT;
      // the server CLOSE_WAIT, LAST_ACK, CLOSED. Linux makes the server's full socket (LISTEN → SYN_RCVD →
      // ESTABLISHED together) when the handshake's ACK arrives (tcp_check_req, tcp_create_openreq_child).
      expect(path(client, server)).toEqual(["CLOSED→SYN_SENT", "SYN_SENT→ESTABLISHED", "ESTABLISHED→FIN_WAIT_1", "FIN_WAIT_1→FIN_WAIT_2", "FIN_WAIT_2→TIME_WAIT"]);
      expect(path(server, client)).toEqual(["LISTEN→SYN_RCVD", "SYN_RCVD→ESTABLISHED", "ESTABLISHED→CLOSE_WAIT", "CLOSE_WAIT→LAST_ACK", "LAST_ACK→CLOSED"]);
      expect(all).toHaveLength(10);
    });

    it("SIGINT removes the tracefs instance and exits 0", async () => {
      let during: string[] = [];
      const r = await runWithFirstLine(["monitor", "--json", "--interval", "200ms", "--port", String(closerPort)], (child) => {
        during = instancesOf(child.pid!);
        child.kill("SIGINT");
      });
      expect(r.code).toBe(0);
      expect(r.signal).toBeNull();
      expect(during).toHaveLength(1);
      expect(instancesOf(r.pid)).toEqual([]);
    });

    it("the text view has the pane; --no-transitions makes no instance and adds no field", async () => {
      const text = run(["monitor", "--count", "1", "--interval", "200ms", "--port", String(closerPort)]);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain("Recent transitions (kernel trace");
      let during: string[] = ["not looked"];
      const r = await runWithFirstLine(["monitor", "--json", "--no-transitions", "--count", "2", "--interval", "200ms", "--port", String(closerPort)], (child) => {
        during = instancesOf(child.pid!);
      });
      expect(r.code).toBe(0);
      expect(during).toEqual([]);
      for (const line of r.lines) {
        const row = JSON.parse(line);
        expect("transitions" in row || "transitionsUnavailable" in row).toBe(false);
      }
    });
  });

  // Not root: the same CLI run as nobody (setpriv, util-linux), which cannot make a tracefs instance.
  const nobodyGate = linux && tracefs.ok && hasCommand("setpriv") ? { skip: false } : { skip: true };
  it.skipIf(nobodyGate.skip)("not root: falls back to polling and says so (JSON and text), still exit 0", () => {
    const asNobody = (args: readonly string[]): ReturnType<typeof spawnSync> =>
      spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, cli, ...args], { encoding: "utf8", timeout: 30_000 });
    const json = asNobody(["monitor", "--json", "--count", "2", "--interval", "200ms", "--port", String(port)]);
    expect(json.status).toBe(0);
    const rows = String(json.stdout).trim().split("\n").map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.transitions).toBeUndefined();
      expect(row.transitionsUnavailable).toBe("root: tracefs instances and TCP tracepoints need root (CAP_SYS_ADMIN)");
      expect(row.counts.LISTEN).toBe(1);
    }
    const text = asNobody(["monitor", "--count", "1", "--interval", "300ms", "--port", String(port)]);
    expect(text.status).toBe(0);
    expect(String(text.stdout)).toContain(
      "recent transitions: unavailable (root: tracefs instances and TCP tracepoints need root (CAP_SYS_ADMIN)); states are polled from /proc every 300ms",
    );
  });

  it.each([
    ["ss", "tcp-lifecycle: ss was not found on this system: it is part of iproute2 (apt-get install iproute2)"],
    ["netstat", "tcp-lifecycle: netstat was not found on this system: on Linux it is part of net-tools"],
  ])("a missing %s is a user error that names it and how to install it (exit 2)", (source, message) => {
    const r = run(["monitor", "--once", "--source", source], { ...process.env, PATH: "/nonexistent" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [["--interval", "abc"], "--interval: expected a duration such as 1s"],
    [["--interval", "10ms"], "--interval: expected between 100ms and 1h"],
    [["--interval", "2h"], "--interval: expected between 100ms and 1h"],
    [["--state", "FOO"], '--state: expected a TCP state such as CLOSED, LISTEN'],
    [["--port", "70000"], "--port: expected an integer from 0 to 65535"],
    [["--port", "x"], '--port: expected an integer >= 0, got "x"'],
    [["--source", "carrier-pigeon"], '--source: expected one of auto, proc, ss, netstat, got "carrier-pigeon"'],
    [["--threshold", "nope=1"], "--threshold: expected NAME=VALUE with NAME one of close-wait"],
    [["--threshold", "close-wait=-1"], "--threshold close-wait: expected a number >= 0"],
    [["--count", "0"], "--count: expected an integer >= 1"],
    [["--processes", "--source", "proc"], "--processes: /proc/net/tcp does not show owning processes"],
  ])("bad option %j exits 2 with one line naming it", (args, message) => {
    const r = run(["monitor", "--once", ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`tcp-lifecycle: ${message}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
