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
/** Cleanups that run on signals only, not at a normal exit (a temporary file the caller may keep). */
const signalOnly = new Set<() => void>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let installed = false;

function runAll(reason: "signal" | "exit" = "signal"): void {
  for (const fn of [...cleanups]) {
    if (reason === "exit" && signalOnly.has(fn)) continue;
    cleanups.delete(fn);
    signalOnly.delete(fn);
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
  process.on("exit", atExit);
}

function atExit(): void {
  runAll("exit");
}

/** With nothing left to clean up, the process's signals behave as if we had never been here. */
function uninstall(): void {
  if (!installed || cleanups.size > 0) return;
  installed = false;
  for (const s of SIGNALS) process.off(s, handlers[s]);
  process.off("exit", atExit);
}

/**
 * Register a synchronous cleanup; returns the function that unregisters it (call it once done).
 * `atExit: false`: run it on a signal only, not when the process exits normally.
 */
export function onTerminate(fn: () => void, options: { atExit?: boolean } = {}): () => void {
  install();
  cleanups.add(fn);
  if (options.atExit === false) signalOnly.add(fn);
  return () => {
    cleanups.delete(fn);
    signalOnly.delete(fn);
    uninstall();
  };
}
