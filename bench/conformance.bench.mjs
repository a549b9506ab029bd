/**
 * Packetdrill scripts per second (issue 9): the conformance suite (test/conformance/**\/*.pkt)
 * run on the simulator, each script under every profile its header names — parse, run, compare,
 * with the full trace.
 * Baseline, measured in the same run: the same suite's `// kernel: yes` scripts run on this
 * machine's kernel by test/support/kernel-pkt/executor.py (a TUN device in a private network
 * namespace, real sockets, real time), scripts per second by wall clock. Where the kernel runner
 * cannot run (not root, no TUN), the baseline is parsing alone (parseScript), and the note says so.
 * ratio = simulator rate / baseline rate: higher is better.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseScript, runScript } from "../dist/packetdrill/index.js";
import { parseScriptHeader } from "../dist/conformance/index.js";

export const name = "conformance";

const ROOT = join(import.meta.dirname, "..");
const SECONDS = Number(process.env.CONFORMANCE_BENCH_SECONDS ?? 2);
const KERNEL_SCRIPTS = Number(process.env.CONFORMANCE_BENCH_KERNEL_SCRIPTS ?? 8);

function files() {
  const out = [];
  const walk = (d) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith(".pkt")) out.push({ path: relative(ROOT, p), text: readFileSync(p, "utf8") });
    }
  };
  walk(join(ROOT, "test", "conformance"));
  return out.map((f) => ({ ...f, header: parseScriptHeader(f.text) })).filter((f) => f.header.ok);
}

function cpuRate(once) {
  for (let i = 0; i < 3; i++) once(); // warm-up
  let n = 0;
  const c0 = process.cpuUsage();
  let cpu = 0;
  while (cpu < SECONDS) {
    n += once();
    const c = process.cpuUsage(c0);
    cpu = (c.user + c.system) / 1e6;
  }
  return { rate: n / cpu, n, cpu };
}

function kernelRate(list) {
  const executor = join(ROOT, "test", "support", "kernel-pkt", "executor.py");
  const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  if (process.getuid?.() !== 0 || !existsSync("/dev/net/tun")) return { ok: false, reason: "not root or no /dev/net/tun" };
  try {
    execFileSync(python, ["-B", executor, "--probe"], { stdio: "pipe", timeout: 20_000 });
  } catch (e) {
    return { ok: false, reason: `the kernel executor cannot run here (${String(e.message).split("\n")[0]})` };
  }
  const chosen = list.filter((f) => f.header.header.kernel).slice(0, KERNEL_SCRIPTS);
  const t0 = performance.now();
  let passed = 0;
  for (const f of chosen) {
    const p = parseScript(f.text, { file: f.path });
    const opt = Number(p.script.options.tolerance_usecs);
    const input = JSON.stringify({
      file: f.path, toleranceUsecs: Number.isInteger(opt) ? opt : 4000,
      events: p.script.events.map((e) => ({ line: e.at.line, text: e.text, time: e.time, body: e.body })),
    });
    const out = execFileSync(python, ["-B", executor], { input, timeout: 170_000, encoding: "utf8" });
    if (JSON.parse(out.trim().split("\n").pop()).passed) passed++;
  }
  const wall = (performance.now() - t0) / 1000;
  return { ok: true, rate: chosen.length / wall, n: chosen.length, passed, wall };
}

export async function run() {
  const list = files();
  const runs = list.flatMap((f) => f.header.header.profiles.map((profile) => ({ f, profile, rfc5961: f.header.header.rfc5961 })));
  const sim = cpuRate(() => {
    for (const r of runs) runScript(r.f.text, { file: r.f.path, profile: r.profile, rfc5961: r.rfc5961 });
    return runs.length;
  });
  const kernel = kernelRate(list);
  let baseline, note;
  if (kernel.ok) {
    baseline = { name: `Linux kernel via TUN (${kernel.n} kernel: yes scripts, wall clock)`, value: Math.round(kernel.rate * 100) / 100, unit: "scripts/s" };
    note = `${runs.length} script runs (${list.length} scripts × their profiles) per pass, ${sim.n} runs in ${sim.cpu.toFixed(2)} s of CPU; kernel: ${kernel.passed}/${kernel.n} passed in ${kernel.wall.toFixed(2)} s (namespace setup and real timers included)`;
  } else {
    const parse = cpuRate(() => {
      for (const r of runs) parseScript(r.f.text, { file: r.f.path });
      return runs.length;
    });
    baseline = { name: "parseScript alone (kernel runner unavailable)", value: Math.round(parse.rate), unit: "scripts/s" };
    note = `${runs.length} script runs per pass; the kernel baseline could not run: ${kernel.reason}`;
  }
  return {
    figures: [{
      name: "conformance scripts on the simulator",
      value: Math.round(sim.rate),
      unit: "scripts/s",
      baseline,
      ratio: Math.round((sim.rate / baseline.value) * 100) / 100,
      note: `higher is better; ratio = simulator / baseline. ${note}`,
    }],
  };
}
