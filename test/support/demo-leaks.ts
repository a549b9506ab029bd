/**
 * What a demo may leave behind: TIME_WAIT (by design: the active closer keeps it for 60 s)
 * and nothing else — no listener, no live connection, no child process.
 */
import { collectProc, type DemoResources } from "../../src/index.js";

const ALLOWED = new Set(["TIME_WAIT", "CLOSED"]);

export interface Leftovers {
  readonly sockets: string[];
  readonly children: number[];
}

async function sockets(resources: DemoResources): Promise<string[]> {
  const ports = new Set(resources.ports);
  return (await collectProc()).records
    .filter((r) => !ALLOWED.has(r.state))
    .filter((r) =>
      r.state === "LISTEN"
        ? ports.has(r.local.port ?? -1)
        : ports.has(r.local.port ?? -1) && ports.has(r.remote.port ?? -1),
    )
    .map((r) => `${r.state} ${r.local.address}:${r.local.port} -> ${r.remote.address}:${r.remote.port}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Poll briefly: a FIN sent by cleanup may still be in flight when the demo returns. */
export async function leftovers(resources: DemoResources, budgetMs = 2000): Promise<Leftovers> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    const found = { sockets: await sockets(resources), children: resources.pids.filter(alive) };
    if ((found.sockets.length === 0 && found.children.length === 0) || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}
