/**
 * `tcp-lifecycle demo <name> [--json] [--capture] [--format ascii|svg] [--ascii] [--ipv6] [--connections N]` and `demo list`.
 *
 * Runs one socket demo on loopback and prints, for each step, the state each end was
 * expected to reach and the state the kernel showed, then each endpoint's kernel transitions
 * in order (or why they were not recorded); with --capture, the captured segments as a
 * ladder (the simulator's renderer, states inferred from the segments). With --capture
 * --format ascii|svg, the kernel ladder instead (src/demos/kernel-ladder.ts): the captured
 * segments with the kernel's own states on both sides, one per connection — ascii after the
 * step table, svg alone (one document). --json prints the result object of
 * docs/demo-json.md. Exit 0 when the kernel did what was expected, 1 when it did not (or no
 * ladder could be drawn), 2 for an unknown demo or a bad option.
 */
import type { Command } from "commander";
import { listDemos, runDemo } from "../../demos/run.js";
import { DEMO_NAMES, isDemoName, type DemoName, type DemoResult } from "../../demos/types.js";
import { MAX_PILEUP } from "../../demos/time-wait-pileup.js";
import { formatDemoTable, pad } from "../../demos/format.js";
import { describeLadder, formatKernelSequences, kernelLadders, LADDER_COLUMNS, stackSvgLadders } from "../../demos/kernel-ladder.js";
import { renderAsciiLadder } from "../../render/ascii-ladder.js";
import { renderSvgLadder } from "../../render/svg-ladder.js";
import type { Trace } from "../../sim/trace.js";
import { UserError, numberOption } from "../errors.js";

/** The demos whose run reads `connections`; any other demo would silently ignore it. */
const TAKES_CONNECTIONS: ReadonlySet<DemoName> = new Set<DemoName>(["time-wait-pileup"]);

const FORMATS = ["ascii", "svg"] as const;
/** Text ladders drawn at most (time-wait-pileup has up to 2000 connections). */
const MAX_ASCII_LADDERS = 5;
type LadderFormat = (typeof FORMATS)[number];

interface DemoCliOptions {
  json?: boolean;
  capture?: boolean;
  format?: string;
  ascii?: boolean;
  connections?: string;
  ipv6?: boolean;
  absolute?: boolean;
  app?: boolean;
}

interface Drawn {
  readonly heading: string;
  readonly trace: Trace;
}

/**
 * The ladders to draw, best first: the kernel ladder (segments and kernel states); without a
 * capture, the kernel's transitions alone; without a trace, the capture with states inferred
 * from its segments. Each fallback is said on stderr.
 */
function laddersToDraw(result: DemoResult, ascii: boolean): Drawn[] {
  if (result.tracing.ok) {
    if (!result.capture?.ok) {
      const why = result.capture && !result.capture.ok ? result.capture.reason : "no capture";
      process.stderr.write(`tcp-lifecycle: capture unavailable (${why}): drawing the kernel's transitions only, without segments\n`);
    }
    return kernelLadders(result).map((l) => ({ heading: describeLadder(l, ascii), trace: l.trace }));
  }
  const traces = result.traces ?? [];
  if (traces.length > 0) {
    process.stderr.write(
      `tcp-lifecycle: transitions not recorded (${result.tracing.reason}): drawing the capture with states inferred from its segments, not the kernel's\n`,
    );
  } else {
    process.stderr.write(`tcp-lifecycle: no ladder: transitions not recorded (${result.tracing.reason}) and no capture\n`);
  }
  return traces.map((trace, i) => ({ heading: `captured connection ${i + 1} (states inferred from the segments)`, trace }));
}

function printLadders(result: DemoResult, format: LadderFormat, ascii: boolean, absolute: boolean, app: boolean): void {
  const drawn = laddersToDraw(result, ascii);
  if (drawn.length === 0) {
    if (format === "ascii") process.stdout.write(formatDemoTable(result, ascii) + "\n" + formatKernelSequences(result, ascii));
    process.exitCode = 1;
    return;
  }
  if (format === "svg") {
    const svgs = drawn.map((d, i) =>
      ({ svg: renderSvgLadder(d.trace, { idPrefix: `kernel-ladder-${i + 1}`, title: `${result.title} (${result.demo}): ${d.heading}`, absolute, app }) }),
    );
    process.stdout.write(stackSvgLadders(svgs) + "\n");
    return;
  }
  // The step table without the inferred capture ladder: the kernel ladder takes its place.
  const out = [formatDemoTable({ ...result, traces: [] }, ascii), formatKernelSequences(result, ascii)];
  for (const d of drawn.slice(0, MAX_ASCII_LADDERS)) out.push(`${d.heading}:\n\n${renderAsciiLadder(d.trace, { width: LADDER_COLUMNS, absolute, app })}`);
  // A pile-up has dozens of connections, all alike: the first few say it.
  if (drawn.length > MAX_ASCII_LADDERS) out.push(`(${drawn.length - MAX_ASCII_LADDERS} more connection(s) not drawn; --format svg draws every one)\n`);
  process.stdout.write(out.join("\n"));
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(`run a socket demo on loopback and compare the kernel's states with the expected ones (demo list: the demos)`)
    .argument("<name>", `one of ${DEMO_NAMES.join(", ")}, or "list"`)
    .option("--json", "print the result object (docs/demo-json.md)")
    .option("--capture", "capture the demo's packets with tcpdump on lo and draw them")
    .option("--format <format>", "with --capture: the kernel ladder (captured segments, the kernel's states) as ascii (after the table) or svg (alone)")
    .option("--ascii", "7-bit output: ok/FAIL instead of ✓/✗")
    .option("--ipv6", "use ::1 instead of 127.0.0.1")
    .option("--absolute", "with --format: sequence numbers as on the wire (default: relative to each side's ISN)")
    .option("--app", "with --format: what each application called and got back, beside the segments (one-connection demos)")
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
      let format: LadderFormat | undefined;
      if (opts.format !== undefined) {
        if (!(FORMATS as readonly string[]).includes(opts.format)) throw new UserError(`--format: expected ascii or svg, got "${opts.format}"`);
        if (!opts.capture) throw new UserError("--format needs --capture (the kernel ladder draws the captured segments)");
        if (opts.json) throw new UserError("--format and --json: choose one");
        format = opts.format as LadderFormat;
      }
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
      else if (format !== undefined) printLadders(result, format, opts.ascii ?? false, opts.absolute === true, opts.app === true);
      else process.stdout.write(formatDemoTable(result, opts.ascii ?? false) + "\n" + formatKernelSequences(result, opts.ascii ?? false));
      if (!result.ok) process.exitCode = 1;
    });
}
