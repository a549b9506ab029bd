/**
 * `tcp-lifecycle monitor` as a user runs it: the built CLI (dist/, which `npm test` builds
 * first) in a child process. One JSON snapshot, filters on a real loopback listener, plain
 * snapshots when stdout is a pipe, Ctrl-C (SIGINT) exiting 0 — through a real pseudo-terminal
 * with `script` too — and exit 2 with a one-line message for bad options.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STATES } from "../src/fsm/states.js";
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
