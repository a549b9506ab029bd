/**
 * Cleanups that must run even when the process is told to stop: a tracefs instance, a network
 * namespace, a child process. `onTerminate(fn)` registers a synchronous cleanup; on SIGINT,
 * SIGTERM or SIGHUP sent to this PID, and at exit, every registered cleanup runs once.
 *
 * When nobody else listens for the signal, the handler then re-raises it with the default
 * action, so the process still ends the way the signal means (exit status 128 + signo). When
 * the application has its own handler (the CLI's "stop cleanly" on Ctrl-C), that handler decides.
 */
const cleanups = new Set<() => void>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let installed = false;

function runAll(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // A cleanup that fails must not stop the others; each one reports its own leftovers.
    }
  }
}

function onSignal(signal: (typeof SIGNALS)[number]): void {
  runAll();
  const others = process.listeners(signal).filter((l) => l !== handlers[signal]);
  uninstall();
  if (others.length === 0) process.kill(process.pid, signal);
}

const handlers: Record<(typeof SIGNALS)[number], () => void> = {
  SIGINT: () => onSignal("SIGINT"),
  SIGTERM: () => onSignal("SIGTERM"),
  SIGHUP: () => onSignal("SIGHUP"),
};

function install(): void {
  if (installed) return;
  installed = true;
  for (const s of SIGNALS) process.on(s, handlers[s]);
  process.on("exit", runAll);
}

/** With nothing left to clean up, the process's signals behave as if we had never been here. */
function uninstall(): void {
  if (!installed || cleanups.size > 0) return;
  installed = false;
  for (const s of SIGNALS) process.off(s, handlers[s]);
  process.off("exit", runAll);
}

/** Register a synchronous cleanup; returns the function that unregisters it (call it once done). */
export function onTerminate(fn: () => void): () => void {
  install();
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
    uninstall();
  };
}
