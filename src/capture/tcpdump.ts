/**
 * Packet capture on loopback with tcpdump, run through execa. Node-only (not part of the
 * pure core). Capture is optional everywhere: when tcpdump is missing or not permitted, the
 * functions here return `{ ok: false, reason }` and the caller carries on without it.
 *
 * Lifecycle: spawn tcpdump → wait until it prints "listening on" (the filter is attached
 * and packets from then on are captured) → the caller's action → make sure tcpdump has
 * written everything (packets still in the kernel's ring are otherwise lost: SIGINT breaks
 * its loop) → SIGINT → tcpdump flushes and exits (SIGKILL after a bound) → the pcap path.
 *
 * "Written everything" is exact with a barrier: one last SYN, seen in the file, after which
 * every earlier packet is there too (tcpdump reads the ring in order). Without one, stop()
 * waits for the file to stop growing, which a busy machine can fool.
 */
import { rmSync } from "node:fs";
import { readFile, mkdtemp, stat } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { readPcap } from "../parse/pcap/reader.js";
import { onTerminate } from "../process/cleanup.js";

export interface CaptureOptions {
  /** Capture TCP on these ports only: `tcp port A or tcp port B`. At least one. */
  readonly ports: readonly number[];
  /** Interface; default "lo". */
  readonly interface?: string;
  /** Output file; default capture.pcap in a new temporary directory (the caller removes it). */
  readonly file?: string;
  /** Nanosecond timestamps (`--time-stamp-precision=nano`). Default false (microseconds). */
  readonly nanosecond?: boolean;
  /** The tcpdump command; default "tcpdump". */
  readonly tcpdump?: string;
  /** How long to wait for "listening on", ms. Default 5000. */
  readonly startTimeoutMs?: number;
  /** How long tcpdump gets to exit after SIGINT before SIGKILL, ms. Default 3000. */
  readonly stopTimeoutMs?: number;
  /** Longest wait for the file to stop growing before stopping, ms. Default 1000. */
  readonly settleMs?: number;
  /**
   * Where stop() sends its barrier SYN: a loopback address and a captured port at which
   * nothing of the caller's listens (the SYN is refused, or completes and is dropped at
   * once). Its segments are in the file: a replay should leave out connections from `host`.
   */
  readonly barrier?: { readonly host: "127.0.0.1" | "::1"; readonly port: number };
}

export interface CaptureUnavailable {
  readonly ok: false;
  readonly reason: string;
}

export interface CaptureSummary {
  readonly ok: true;
  readonly file: string;
  /** The BPF filter used. */
  readonly filter: string;
  /** From tcpdump's exit report ("N packets captured"); null when it printed none. */
  readonly packetsCaptured: number | null;
  readonly packetsDropped: number | null;
  /** Everything tcpdump wrote to stderr. */
  readonly stderr: string;
}

export interface RunningCapture {
  readonly ok: true;
  readonly file: string;
  readonly filter: string;
  readonly pid: number;
  /** Stop tcpdump and wait for it to exit. Safe to call more than once. */
  stop(): Promise<CaptureSummary>;
}

export const TCPDUMP_MISSING = "tcpdump not installed: apt-get install tcpdump";
export const TCPDUMP_NOT_PERMITTED =
  "tcpdump not permitted: run as root, or grant it CAP_NET_RAW (setcap cap_net_raw,cap_net_admin=eip \"$(command -v tcpdump)\")";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function captureFilter(ports: readonly number[]): string {
  return ports.map((p) => `tcp port ${p}`).join(" or ");
}

function validatePorts(ports: readonly number[]): string | null {
  if (ports.length === 0) return "capture needs at least one port to filter on";
  const bad = ports.find((p) => !Number.isInteger(p) || p < 1 || p > 65535);
  return bad === undefined ? null : `capture: port ${bad} is not an integer in 1..65535`;
}

function count(stderr: string, what: string): number | null {
  const m = new RegExp(`(\\d+) packets? ${what}`).exec(stderr);
  return m ? Number(m[1]) : null;
}

function unavailableReason(stderr: string, code: string | undefined, exitCode: number | undefined, file: string): string {
  if (code === "ENOENT") return TCPDUMP_MISSING;
  const last = stderr.trim().split("\n").filter(Boolean).pop() ?? "no output";
  // "tcpdump: /dir/x.pcap: Permission denied" is about the output file, not about capturing.
  if (stderr.includes(`${file}:`)) return `tcpdump cannot write the capture file: ${last}`;
  if (/permission|Operation not permitted|EPERM/i.test(stderr)) return TCPDUMP_NOT_PERMITTED;
  return `tcpdump exited before it started capturing (exit code ${exitCode ?? "none"}): ${last}`;
}

/** Wait until the file size has not changed for a few polls, or `maxMs` passed. */
async function settle(file: string, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = -1;
  let quiet = 0;
  while (Date.now() < deadline && quiet < 3) {
    const size = await stat(file).then((s) => s.size, () => -1);
    quiet = size === last ? quiet + 1 : 0;
    last = size;
    await sleep(25);
  }
}

/** Send the barrier SYN and wait, bounded, until tcpdump has written it. */
async function barrier(file: string, to: { readonly host: string; readonly port: number }, budgetMs = 3000): Promise<void> {
  await new Promise<void>((resolve) => {
    const s = net.connect({ host: to.host, port: to.port });
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const timer = setTimeout(done, budgetMs);
    s.once("error", done);
    s.once("connect", done);
  });
  const deadline = Date.now() + budgetMs;
  while (Date.now() < deadline) {
    const bytes = await readFile(file).catch(() => undefined);
    if (bytes && readPcap(new Uint8Array(bytes)).segments.some((seg) => seg.dst.address === to.host && seg.dst.port === to.port)) return;
    await sleep(20);
  }
}

/** Start tcpdump; resolves once it is listening, or with the reason it cannot capture. */
export async function startCapture(options: CaptureOptions): Promise<RunningCapture | CaptureUnavailable> {
  const invalid = validatePorts(options.ports);
  if (invalid) return { ok: false, reason: invalid };
  const ownDir = options.file === undefined ? await mkdtemp(join(tmpdir(), "tcp-lifecycle-capture-")) : undefined;
  const file = options.file ?? join(ownDir ?? tmpdir(), "capture.pcap");
  const filter = captureFilter(options.ports);
  // -B 32768: a 32 MiB kernel ring (tcpdump counts in KiB). --immediate-mode makes libpcap use
  // TPACKET_V2, whose ring slots are sized for the snap length, capped at the interface MTU:
  // on lo (MTU 65536) one slot is ~64 KiB even for a bare ACK, so 4 MiB held only ~60 packets
  // and `demo time-wait-pileup --capture --connections 200` lost 318-617 of them ("dropped by
  // kernel", 3 runs); 32 MiB (~500 slots) lost none in 3 runs, and none at 2,000 connections.
  const args = ["-i", options.interface ?? "lo", "-U", "--immediate-mode", "-B", "32768", "-w", file];
  // Run as root, tcpdump would switch to its own user before opening the file; keep root so it
  // can write where we ask (tcpdump ignores -Z unless it runs as root).
  if (process.getuid?.() === 0) args.push("-Z", "root");
  if (options.nanosecond) args.push("--time-stamp-precision=nano");
  args.push(filter);

  const child: ResultPromise = execa(options.tcpdump ?? "tcpdump", args, {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
    buffer: false,
    reject: false,
    cleanup: true,
    killSignal: "SIGINT",
    forceKillAfterDelay: options.stopTimeoutMs ?? 3000,
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => { stderr += chunk; });
  // A signal to our PID (not only to the process group, as Ctrl-C is): stop tcpdump, and remove the
  // temporary folder we made. At a normal exit the caller owns the file (and removes it).
  const forget = onTerminate(
    () => {
      if (child.exitCode === undefined || child.exitCode === null) child.kill("SIGKILL");
    },
    { atExit: false },
  );
  void child.then(() => forget(), () => forget());
  // The folder outlives tcpdump: the caller reads the pcap after the stop and only then removes
  // it, so a signal in between must still remove it (removing a folder already gone is a no-op).
  if (ownDir) onTerminate(() => rmSync(ownDir, { recursive: true, force: true }), { atExit: false });

  const started = await new Promise<"listening" | "exited" | "timeout">((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), options.startTimeoutMs ?? 5000);
    const onData = (): void => {
      if (stderr.includes("listening on")) { clearTimeout(timer); resolve("listening"); }
    };
    child.stderr?.on("data", onData);
    void child.then(() => { clearTimeout(timer); resolve("exited"); });
  });

  if (started !== "listening") {
    if (started === "timeout") child.kill("SIGKILL");
    const result = await child;
    if (started === "timeout") {
      return { ok: false, reason: `tcpdump did not report "listening on" within ${options.startTimeoutMs ?? 5000} ms` };
    }
    return { ok: false, reason: unavailableReason(stderr, result.code, result.exitCode, file) };
  }

  let stopping: Promise<CaptureSummary> | null = null;
  const stop = (): Promise<CaptureSummary> => {
    stopping ??= (async () => {
      try {
        if (options.barrier) await barrier(file, options.barrier);
        else await settle(file, options.settleMs ?? 1000);
      } finally {
        child.kill("SIGINT");
      }
      await child;
      return {
        ok: true as const,
        file,
        filter,
        packetsCaptured: count(stderr, "captured"),
        packetsDropped: count(stderr, "dropped by kernel"),
        stderr,
      };
    })();
    return stopping;
  };
  return { ok: true, file, filter, pid: child.pid ?? -1, stop };
}

/**
 * Run `action` with a capture around it. The action always runs: without capture (tcpdump
 * missing or not permitted) `capture` says why. tcpdump is stopped even when the action
 * throws; the error is then rethrown.
 */
export async function withCapture<T>(
  options: CaptureOptions,
  action: () => Promise<T>,
): Promise<{ readonly value: T; readonly capture: CaptureSummary | CaptureUnavailable }> {
  const running = await startCapture(options);
  if (!running.ok) return { value: await action(), capture: running };
  let value: T;
  try {
    value = await action();
  } catch (err) {
    await running.stop();
    throw err;
  }
  return { value, capture: await running.stop() };
}
