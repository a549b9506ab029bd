#!/usr/bin/env node
/**
 * The tcp-lifecycle command. Each capability registers its own subcommand from
 * src/cli/commands/; this file only wires them up and maps errors to exit codes:
 * 0 success, 1 a failed check or an unexpected error (with stack), 2 a user error.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { UserError } from "./errors.js";
import { registerDemo } from "./commands/demo.js";
import { registerFsm } from "./commands/fsm.js";
import { registerMonitor } from "./commands/monitor.js";
import { registerNotebooks } from "./commands/notebooks.js";
import { registerParse } from "./commands/parse.js";
import { registerPopulation } from "./commands/population.js";
import { registerReplay } from "./commands/replay.js";
import { registerSite } from "./commands/site.js";
import { registerSimulate } from "./commands/simulate.js";
import { registerScript } from "./commands/script.js";
import { registerTrace } from "./commands/trace.js";

const REGISTRARS: ReadonlyArray<(program: Command) => void> = [
  registerDemo,
  registerFsm,
  registerMonitor,
  registerNotebooks,
  registerParse,
  registerPopulation,
  registerReplay,
  registerScript,
  registerSite,
  registerSimulate,
  registerTrace,
];

function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  return typeof pkg === "object" && pkg !== null && "version" in pkg ? String(pkg.version) : "unknown";
}

export function buildProgram(): Command {
  const program = new Command("tcp-lifecycle")
    .description("How a TCP connection ends: the RFC 9293 state machine, a simulator, and the real kernel")
    .version(packageVersion())
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // Commander's own usage errors read like our UserErrors: "tcp-lifecycle: <what>".
      outputError: (s, write) => write(`tcp-lifecycle: ${s.replace(/^error: /, "")}`),
    });
  for (const register of REGISTRARS) register(program);
  hintAfterErrors(program, "tcp-lifecycle");
  return program;
}

/** A usage mistake prints one line plus where the usage is, not the whole help text. */
function hintAfterErrors(cmd: Command, path: string): void {
  cmd.exitOverride().showHelpAfterError(`(see '${path} --help')`);
  for (const sub of cmd.commands) hintAfterErrors(sub, `${path} ${sub.name()}`);
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv as string[], { from: "user" });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; a usage mistake is a user error.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UserError) {
      process.stderr.write(`tcp-lifecycle: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry || process.argv[1]?.endsWith("/tcp-lifecycle")) {
  // `tcp-lifecycle fsm | head` closes the pipe early; that is not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => { console.error(err); process.exitCode = 1; },
  );
}
