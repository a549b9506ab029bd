/**
 * The Linux-profile conformance scripts against this machine's real kernel, the way
 * packetdrill runs them: every test/conformance/**\/*.pkt whose header comments hold a line
 * `// kernel: yes` is run by test/support/kernel-pkt (a TUN device in a private network
 * namespace; the script plays the remote peer) and must pass. The executor's own scripts
 * (test/conformance/kernel-selftest/) are among them, and one deliberately wrong script
 * (test/fixtures/pkt/kernel-fail.pkt) must fail at the exact line and for the exact reason.
 *
 * KERNEL_PKT_LOG=1 prints each script's log (segments and calls with their times) even when it passes.
 * Needs Linux, root, /dev/net/tun and python3: otherwise skipped with the reason, except
 * with CI=true, where the missing capability is a failure.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { EXECUTOR, kernelPktAvailable, pythonCommand, runScriptOnKernel, type KernelResult } from "./support/kernel-pkt.js";
import { inCI } from "./support/tools.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CONFORMANCE = join(ROOT, "test", "conformance");
const FAIL_FIXTURE = join(ROOT, "test", "fixtures", "pkt", "kernel-fail.pkt");
const TIMEOUT_MS = 60_000;

/** Whether the comments at the top of a script (before its first event) say `// kernel: yes`. */
function markedForKernel(text: string): boolean {
  let inBlock = false;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (inBlock) {
      if (line.includes("*/")) inBlock = false;
      continue;
    }
    if (line === "" || line.startsWith("--")) continue;
    if (line.startsWith("/*")) {
      inBlock = !line.includes("*/");
      continue;
    }
    if (!line.startsWith("//")) return false;
    if (/^\/\/\s*kernel:\s*yes\s*$/i.test(line)) return true;
  }
  return false;
}

function kernelScripts(): string[] {
  let names: string[];
  try {
    names = readdirSync(CONFORMANCE, { recursive: true, encoding: "utf8" });
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith(".pkt"))
    .map((n) => join(CONFORMANCE, n))
    .filter((path) => markedForKernel(readFileSync(path, "utf8")))
    .sort();
}

/**
 * A script that is expected to pass, run up to three times when it fails only on timing: the
 * executor injects segments on the wall clock, and with notebooks and browsers running beside
 * it on 2 cores an injection can be 5–10 ms late (a blocked call then outlives its window).
 * Any other failure (a wrong segment, a wrong return value) fails at once. Each retry is printed.
 */
async function runExpectingPass(text: string, name: string): Promise<KernelResult> {
  let r = await runScriptOnKernel(text, name);
  // A loaded machine also inflates the kernel's RTT estimate, so its retransmissions come late
  // on every rerun: the retries widen the timing tolerance (packetdrill's --tolerance_usecs, as
  // people run it on slow VMs) to 50 ms, then 250 ms. Segments and return values stay exact.
  const widened = [50_000, 250_000];
  for (let attempt = 2; attempt <= 3 && !r.passed && timingOnly(r); attempt++) {
    const toleranceUsecs = widened[attempt - 2]!;
    console.info(`${name}: timing failure (${r.failure?.reason}); attempt ${attempt} of 3, tolerance ${toleranceUsecs / 1000} ms`);
    r = await runScriptOnKernel(text, name, { toleranceUsecs });
  }
  return r;
}

function timingOnly(r: KernelResult): boolean {
  const reason = r.failure?.reason ?? "";
  return /^timing:|^no outbound packet: expected at/.test(reason);
}

function explain(r: KernelResult): string {
  return JSON.stringify(r.failure, null, 1) + "\n" + r.log.join("\n");
}

const gate = kernelPktAvailable();
if (!gate.ok) {
  if (inCI) throw new Error(`CI=true but packetdrill scripts cannot run on the kernel here: ${gate.reason}`);
  console.warn(`skipping the kernel conformance scripts: ${gate.reason}`);
}
const kit = gate.ok ? it : it.skip;

describe("conformance scripts on the real Linux kernel", () => {
  const scripts = kernelScripts();

  it("finds the executor's self-test scripts among those marked `// kernel: yes`", () => {
    const rel = scripts.map((p) => relative(CONFORMANCE, p));
    expect(rel.filter((p) => p.startsWith("kernel-selftest")).length).toBeGreaterThanOrEqual(5);
    expect(markedForKernel("// a\n// kernel: yes\n0 close(3) = 0\n")).toBe(true);
    expect(markedForKernel("// a\n0 close(3) = 0\n// kernel: yes\n")).toBe(false);
    expect(markedForKernel("/* x\n*/\n--tolerance_usecs=9000\n//kernel: YES\n")).toBe(true);
  });

  for (const path of scripts) {
    const name = relative(CONFORMANCE, path);
    kit(
      `${name} passes on the kernel`,
      async () => {
        const started = Date.now();
        const r = await runExpectingPass(readFileSync(path, "utf8"), name);
        console.info(`${name}: ${r.passed ? "passed" : "FAILED"} in ${Date.now() - started} ms`);
        if (process.env.KERNEL_PKT_LOG) console.info(r.log.join("\n")); // KERNEL_PKT_LOG=1: every run's log
        expect(r.passed, explain(r)).toBe(true);
        expect(r.failure).toBeNull();
      },
      TIMEOUT_MS,
    );
  }

  kit(
    "a wrong script fails at the exact line, with packetdrill's kind of message",
    async () => {
      const r = await runScriptOnKernel(readFileSync(FAIL_FIXTURE, "utf8"), "kernel-fail.pkt");
      expect(r.passed, explain(r)).toBe(false);
      expect(r.failure, explain(r)).toEqual({
        line: 15,
        expected: "> F. 1:1(0) ack 101",
        actual: "> R. 1:1(0) ack 101",
        reason: "bad outbound TCP flags",
      });
    },
    TIMEOUT_MS,
  );

  kit(
    "timing, unexpected segments, blocking calls and skipped lines are reported",
    async () => {
      const head = [
        "0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
        "+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
        "+0    bind(3, ..., ...) = 0",
        "+0    listen(3, 1) = 0",
      ];
      // The SYN+ACK comes at once, not 100 ms later.
      const late = await runScriptOnKernel([...head, "+0 < S 0:0(0) win 65535 <mss 1460>", "+0.1 > S. 0:0(0) ack 1 <...>"].join("\n"), "late.pkt");
      expect(late.failure?.line, explain(late)).toBe(6);
      expect(late.failure?.reason).toMatch(/^timing: expected at 0\.1\d\d got 0\.0\d\d$/);
      // The script forgets the SYN+ACK: named at the next system call.
      const extra = await runScriptOnKernel([...head, "+0 < S 0:0(0) win 65535 <mss 1460>", "+0.01 close(3) = 0"].join("\n"), "extra.pkt");
      expect(extra.failure, explain(extra)).toMatchObject({ line: 6, actual: "> S. 0:0(0) ack 1" });
      expect(extra.failure?.reason).toMatch(/^unexpected outbound packet at 0\.0\d\d before line 6$/);
      // A blocking accept() that returns when the handshake completes; a shell line is listed, not run.
      const blocking = await runExpectingPass(
        [...head, "`echo not run`", "0.1...0.15 accept(3, ..., ...) = 4", "0.1 < S 0:0(0) win 65535 <mss 1460>", "0.1 > S. 0:0(0) ack 1 <...>",
          "0.15 < . 1:1(0) ack 1 win 65535", "+0.01 getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0"].join("\n"),
        "blocking.pkt",
      );
      expect(blocking.passed, explain(blocking)).toBe(true);
      expect(blocking.skipped).toEqual([{ line: 5, text: "`echo not run`", reason: "shell commands are not run" }]);
    },
    TIMEOUT_MS,
  );

  kit("malformed input exits 2 with a reason", async () => {
    const run = await execa(pythonCommand(), ["-B", EXECUTOR], { input: '{"events": 3}', reject: false });
    expect(run.exitCode).toBe(2);
    expect(JSON.parse(String(run.stdout))).toMatchObject({ passed: false, failure: { reason: "malformed input: events must be an array" } });
  });
});
