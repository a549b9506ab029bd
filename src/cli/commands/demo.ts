/**
 * `tcp-lifecycle demo <name> [--json] [--capture] [--ascii] [--ipv6] [--connections N]` and `demo list`.
 *
 * Runs one socket demo on loopback and prints, for each step, the state each end was
 * expected to reach and the state the kernel showed; with --capture, the captured segments
 * as a ladder (the simulator's renderer). --json prints the result object of
 * docs/demo-json.md. Exit 0 when the kernel did what was expected, 1 when it did not, 2 for
 * an unknown demo or a bad option.
 */
import type { Command } from "commander";
import { listDemos, runDemo } from "../../demos/run.js";
import { DEMO_NAMES, isDemoName, type DemoName, type DemoResult } from "../../demos/types.js";
import { MAX_PILEUP } from "../../demos/time-wait-pileup.js";
import { formatDemoTable, pad } from "../../demos/format.js";
import { UserError, numberOption } from "../errors.js";

/** The demos whose run reads `connections`; any other demo would silently ignore it. */
const TAKES_CONNECTIONS: ReadonlySet<DemoName> = new Set<DemoName>(["time-wait-pileup"]);

interface DemoCliOptions {
  json?: boolean;
  capture?: boolean;
  ascii?: boolean;
  connections?: string;
  ipv6?: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(`run a socket demo on loopback and compare the kernel's states with the expected ones (demo list: the demos)`)
    .argument("<name>", `one of ${DEMO_NAMES.join(", ")}, or "list"`)
    .option("--json", "print the result object (docs/demo-json.md)")
    .option("--capture", "capture the demo's packets with tcpdump on lo and draw them")
    .option("--ascii", "7-bit output: ok/FAIL instead of ✓/✗")
    .option("--ipv6", "use ::1 instead of 127.0.0.1")
    .option("--connections <n>", `time-wait-pileup: how many connections (1..${MAX_PILEUP}, default 50)`)
    .action(async (name: string, opts: DemoCliOptions) => {
      if (name === "list") {
        const demos = listDemos();
        if (opts.json) {
          process.stdout.write(JSON.stringify(demos.map((d) => ({ name: d.name, title: d.title, description: d.description, preset: d.preset ?? null })), null, 2) + "\n");
          return;
        }
        const w = Math.max(...demos.map((d) => d.name.length));
        for (const d of demos) process.stdout.write(`${pad(d.name, w)}  ${d.title}\n`);
        return;
      }
      if (!isDemoName(name)) throw new UserError(`unknown demo "${name}": expected one of ${DEMO_NAMES.join(", ")} (or "list")`);
      let connections: number | undefined;
      if (opts.connections !== undefined) {
        if (!TAKES_CONNECTIONS.has(name)) {
          throw new UserError(`--connections: demo "${name}" does not take it; only ${[...TAKES_CONNECTIONS].join(", ")} does`);
        }
        connections = numberOption("--connections", opts.connections, { min: 1, integer: true });
        if (connections > MAX_PILEUP) throw new UserError(`--connections: expected at most ${MAX_PILEUP}, got ${connections}`);
      }
      const result = await runDemo(name, {
        capture: opts.capture ?? false,
        host: opts.ipv6 ? "::1" : "127.0.0.1",
        ...(connections !== undefined && { connections }),
      });
      if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
      else process.stdout.write(formatDemoTable(result, opts.ascii ?? false));
      if (!result.ok) process.exitCode = 1;
    });
}
