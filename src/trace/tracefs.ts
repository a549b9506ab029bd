/**
 * A private tracefs instance for the TCP tracepoints (Node only).
 *
 * tracefs (Documentation/trace/ftrace.rst, "Instances"): `mkdir instances/<name>` makes a ring
 * buffer and event switches of our own, so enabling events there changes nothing for anyone
 * else tracing on the machine; `rmdir` removes it (EBUSY while a file in it is open).
 *
 * - `checkTracefs()` says whether tracing is possible here, and if not, what is missing and
 *   what to do (errors are values: the CLI prints them and exits 2, the demos fall back).
 * - `createInstance()` mounts tracefs when it is not mounted (root only), makes the instance
 *   `tcp-lifecycle-<pid>-<n>`, sets the `mono` clock (CLOCK_MONOTONIC, what Node's
 *   `process.hrtime` reads), records the thread group id (the process, not only the thread),
 *   gives each CPU's buffer 4 MiB, and enables the events. The instance is removed by
 *   `remove()`, and also on SIGINT/SIGTERM/SIGHUP and exit (src/process/cleanup.ts).
 * - Instances left by a run that was killed with SIGKILL are removed by the next run
 *   (`removeStaleInstances`: the name carries the PID; a PID that no longer exists is stale).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { TRACE_EVENTS } from "../parse/tracefs.js";
import { onTerminate } from "../process/cleanup.js";

/** Where tracefs is mounted on current systems, and where older ones put it under debugfs. */
export const TRACEFS_MOUNTS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] as const;
export const INSTANCE_PREFIX = "tcp-lifecycle-";
/** Per-CPU ring buffer for our instance, KiB: room for ~30,000 events between two reads. */
export const BUFFER_KB = 4096;

export type TracefsCheck =
  | { readonly ok: true; readonly root: string }
  | { readonly ok: false; readonly missing: string; readonly fix: string };

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function mounted(dir: string): boolean {
  return existsSync(join(dir, "instances")) && existsSync(join(dir, "events"));
}

/**
 * Whether this machine lets us trace TCP state changes; mounts tracefs when root and it is not
 * mounted (`mount -t tracefs nodev /sys/kernel/tracing`). The mount is left in place: it is
 * the system's usual state, and other tools expect it there.
 */
export function checkTracefs(options: { mount?: boolean } = {}): TracefsCheck {
  if (process.platform !== "linux") {
    return { ok: false, missing: "Linux tracefs (this is " + process.platform + ")", fix: "run on Linux" };
  }
  if (!isRoot()) {
    return {
      ok: false,
      missing: "root: tracefs instances and TCP tracepoints need root (CAP_SYS_ADMIN)",
      fix: "run it with sudo, e.g. sudo npx tcp-lifecycle trace",
    };
  }
  let root = TRACEFS_MOUNTS.find(mounted);
  if (root === undefined && options.mount !== false) {
    try {
      execFileSync("mount", ["-t", "tracefs", "nodev", TRACEFS_MOUNTS[0]], { stdio: "ignore", timeout: 5000 });
    } catch {
      // Reported below as "not mounted".
    }
    root = TRACEFS_MOUNTS.find(mounted);
  }
  if (root === undefined) {
    return {
      ok: false,
      missing: "tracefs: not mounted at /sys/kernel/tracing, and mounting it failed",
      fix: "mount -t tracefs nodev /sys/kernel/tracing (the kernel needs CONFIG_FTRACE)",
    };
  }
  const found = root;
  const missingEvents = TRACE_EVENTS.filter((e) => !existsSync(join(found, "events", e)));
  if (missingEvents.includes("sock/inet_sock_set_state")) {
    return { ok: false, missing: "the tracepoint sock:inet_sock_set_state (Linux 4.16 or later)", fix: "use a newer kernel; the monitor and the demos poll /proc instead" };
  }
  return { ok: true, root };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function disableAndRemove(dir: string): void {
  for (const event of TRACE_EVENTS) {
    try {
      writeFileSync(join(dir, "events", event, "enable"), "0");
    } catch {
      // The event may not exist on this kernel, or the instance is already half gone.
    }
  }
  rmdirSync(dir);
}

/** Remove instances of ours whose process is gone (killed with SIGKILL, which nothing can catch). */
export function removeStaleInstances(root: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(join(root, "instances"));
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = new RegExp(`^${INSTANCE_PREFIX}(\\d+)-\\d+$`).exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    try {
      disableAndRemove(join(root, "instances", name));
      removed.push(name);
    } catch {
      // Busy: someone has it open. Leave it.
    }
  }
  return removed;
}

export interface TraceInstance {
  readonly name: string;
  readonly dir: string;
  /** trace_pipe: reading consumes events. */
  readonly pipe: string;
  /** The events enabled (those this kernel has). */
  readonly events: readonly string[];
  /** Events the ring buffer dropped since the instance was made, per the kernel's per-CPU stats. */
  overruns(): number;
  /** Disable the events and remove the instance. Idempotent; throws only if it cannot (EBUSY). */
  remove(): void;
}

let counter = 0;

export function createInstance(root: string, options: { bufferKb?: number } = {}): TraceInstance {
  removeStaleInstances(root);
  const name = `${INSTANCE_PREFIX}${process.pid}-${counter++}`;
  const dir = join(root, "instances", name);
  mkdirSync(dir);
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    // EBUSY while our own reader still has trace_pipe open: the caller closes it first.
    disableAndRemove(dir);
    removed = true;
    unregister();
  };
  const unregister = onTerminate(() => {
    try {
      remove();
    } catch {
      // Reported by the test that checks for leftovers; nothing else can be done at exit.
    }
  });
  const events: string[] = [];
  try {
    writeFileSync(join(dir, "trace_clock"), "mono");
    writeFileSync(join(dir, "trace_options"), "record-tgid");
    writeFileSync(join(dir, "buffer_size_kb"), String(options.bufferKb ?? BUFFER_KB));
    for (const event of TRACE_EVENTS) {
      const enable = join(dir, "events", event, "enable");
      if (!existsSync(enable)) continue;
      writeFileSync(enable, "1");
      events.push(event);
    }
  } catch (err) {
    remove();
    throw err;
  }
  return {
    name,
    dir,
    pipe: join(dir, "trace_pipe"),
    events,
    overruns() {
      let total = 0;
      try {
        for (const cpu of readdirSync(join(dir, "per_cpu"))) {
          const stats = readFileSync(join(dir, "per_cpu", cpu, "stats"), "utf8");
          const m = /^overrun: (\d+)$/m.exec(stats);
          if (m) total += Number(m[1]);
        }
      } catch {
        // Instance gone: nothing more was lost.
      }
      return total;
    },
    remove,
  };
}

/** Our instances that exist now (tests check that none is left). */
export function listInstances(root: string): string[] {
  try {
    return readdirSync(join(root, "instances")).filter((n) => n.startsWith(INSTANCE_PREFIX));
  } catch {
    return [];
  }
}
