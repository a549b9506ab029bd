/**
 * `tcp-lifecycle simulate <preset|file|-> [--profile linux|rfc9293] [--format ascii|svg|json|pkt] [--seed N] [--no-rfc5961] [--side client|server]
 *   [--absolute] [--waves] [--app]`
 *
 * The ladders show sequence numbers relative to each side's ISN (as tcpdump without -S);
 * --absolute prints them as on the wire. --waves labels a normal close's four segments
 * ①–④ with u/v; --app shows each side's application calls and their results.
 *
 * Runs a preset or a teacher's scenario file through the deterministic simulator and prints
 * the ladder diagram (ASCII or SVG), the trace as one JSON object (docs/simulate-json.md), or
 * one side of the run as a packetdrill script (`pkt`, docs/packetdrill.md).
 * The argument is a preset name; otherwise a file of any name (a regular file, a FIFO, a
 * device) read within INPUT_LIMITS.scenarioBytes; `-` reads the scenario from standard input.
 * A preset name wins over a file of the same name (write `./name` for the file).
 * An unknown preset that is no file either, a directory, an unreadable or invalid scenario
 * file, a run over the trace bound, or a bad option is a UserError (exit 2) that says what
 * was expected. docs/limits.md lists the bounds.
 */
import { statSync } from "node:fs";
import type { Command } from "commander";
import { PROFILE_NAMES, type ProfileName } from "../../fsm/profiles.js";
import {
  PRESETS, PRESET_NAMES, SimulationLimitError, excerpt, formatScenarioError, isPresetName, parseScenarioJson, runSimulation,
  traceToJson, type Scenario,
} from "../../sim/index.js";
import { renderAsciiLadder } from "../../render/ascii-ladder.js";
import { renderSvgLadder } from "../../render/svg-ladder.js";
import { UserError, choiceOption } from "../errors.js";
import { scenarioToScript } from "../../packetdrill/export.js";
import { INPUT_LIMITS, fileError, readFileBounded, tooLarge } from "./parse-io.js";

const FORMATS = ["ascii", "svg", "json", "pkt"] as const;

interface SimulateOptions {
  profile?: string;
  rfc5961: boolean;
  side: string;
  format: string;
  seed?: string;
  absolute?: boolean;
  waves?: boolean;
  app?: boolean;
}

/** How many of a scenario's errors are printed; the rest are counted. */
const MAX_PRINTED_ERRORS = 20;

/** `--seed`, as both `simulate` and `population` take it: an integer from 0 to 4294967295. */
export function seedOption(raw: string): number {
  const seed = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    // A number is shown as typed; anything else quoted (and cut, like every echo of input).
    const shown = Number.isNaN(seed) || raw.trim() === "" || raw.length > 40 ? excerpt(raw) : raw;
    throw new UserError(`--seed: expected an integer from 0 to 4294967295, got ${shown}`);
  }
  return seed;
}

/**
 * A preset name, `-` (standard input), or the path of a scenario file of any name. A name
 * that is neither a preset nor an existing file is refused saying both were tried.
 */
export async function loadScenario(arg: string): Promise<{ scenario: Scenario; title: string }> {
  if (arg === "-") return scenarioFromText(await readStdinBounded(), "<stdin>");
  if (isPresetName(arg)) return { scenario: PRESETS[arg].scenario, title: PRESETS[arg].title };
  let isDirectory: boolean;
  try {
    isDirectory = statSync(arg).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "ENAMETOOLONG") throw fileError(arg, err);
    if (arg.includes("/") || arg.endsWith(".json")) throw new UserError(`${arg}: cannot read the scenario file (no such file)`);
    throw new UserError(
      `unknown preset ${excerpt(arg)} and no such file: expected one of ${PRESET_NAMES.join(", ")}, or a scenario file (any name; - for standard input)`,
    );
  }
  if (isDirectory) throw new UserError(`${arg}: is a directory; expected a preset name or a scenario file`);
  const bytes = readFileBounded(arg, { limit: INPUT_LIMITS.scenarioBytes, what: "a scenario file" });
  return scenarioFromText(bytes.toString("utf8"), arg);
}

function scenarioFromText(text: string, source: string): { scenario: Scenario; title: string } {
  const result = parseScenarioJson(text);
  if (!result.ok) {
    const lines = result.errors.slice(0, MAX_PRINTED_ERRORS).map((e) => `  ${formatScenarioError(e)}`);
    const more = result.errors.length - MAX_PRINTED_ERRORS;
    if (more > 0) lines.push(`  … and ${more} more error${more === 1 ? "" : "s"}`);
    throw new UserError(`${source}: invalid scenario (see docs/scenario-format.md):\n${lines.join("\n")}`);
  }
  return { scenario: result.scenario, title: result.scenario.title };
}

/**
 * Standard input as one text, within INPUT_LIMITS.scenarioBytes. Read as a stream (not
 * readFileSync(0), which fails with EAGAIN when a dependency has made fd 0 non-blocking).
 */
async function readStdinBounded(): Promise<string> {
  const limit = INPUT_LIMITS.scenarioBytes;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of process.stdin) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      total += bytes.length;
      if (total > limit) throw tooLarge("<stdin>", "a scenario file", limit);
      chunks.push(bytes);
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`<stdin>: cannot read standard input (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  } finally {
    if (total > limit) process.stdin.destroy();
  }
  return Buffer.concat(chunks, total).toString("utf8");
}

export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description(`run a preset (${PRESET_NAMES.join(", ")}) or a scenario file through the deterministic simulator`)
    .argument("<preset|file|->", "a preset name, a scenario file of any name (docs/scenario-format.md), or - for standard input")
    .option("--profile <profile>", `behaviour profile: ${PROFILE_NAMES.join(" or ")} (default: the scenario's own)`)
    .option("--format <format>", `output: ${FORMATS.join(", ")}`, "ascii")
    .option("--seed <n>", "seed for ISSs and random loss (default: the scenario's own)")
    .option("--no-rfc5961", "turn RFC 5961 off: RFC 793's rules for RST and SYN (default: on, or the scenario's)")
    .option("--side <side>", "pkt: the endpoint under test, client or server", "server")
    .option("--absolute", "ladders: sequence numbers as on the wire (default: relative to each side's ISN)")
    .option("--waves", "ladders: label the four segments of a normal close ①–④ with u, u+1, v, v+1")
    .option("--app", "ladders: show what each side's application called and got back (read() → 0, ECONNRESET …)")
    .addHelpText("after", `\nPresets:\n${PRESET_NAMES.map((n) => `  ${n.padEnd(20)} ${PRESETS[n].title}`).join("\n")}\n`)
    .action(async (arg: string, opts: SimulateOptions) => {
      const format = choiceOption("--format", opts.format, FORMATS);
      const profile = opts.profile === undefined ? undefined : choiceOption<ProfileName>("--profile", opts.profile, PROFILE_NAMES);
      const seed = opts.seed === undefined ? undefined : seedOption(opts.seed);
      const { scenario, title } = await loadScenario(arg);
      if (format === "pkt") {
        const side = choiceOption("--side", opts.side, ["client", "server"] as const);
        if (!opts.rfc5961) throw new UserError("--no-rfc5961 does not apply to --format pkt: the script runs under whatever the runner is given");
        // A script drives the endpoint under test through socket calls; none of them makes a
        // host lose its TCB silently (RFC 9293 §3.5.1), so a reboot on that side has no script.
        if (scenario.steps[side].some((st) => st.do === "reboot")) {
          throw new UserError(`--format pkt --side ${side}: the ${side} reboots in this scenario, and a packetdrill script cannot make the endpoint under test lose its connection; try --side ${side === "client" ? "server" : "client"}`);
        }
        process.stdout.write(scenarioToScript(scenario, { side, title, ...(profile ? { profile } : {}), ...(seed !== undefined ? { seed } : {}) }));
        return;
      }
      let result: ReturnType<typeof runSimulation>;
      try {
        result = runSimulation(scenario, {
          ...(profile ? { profile } : {}), ...(seed !== undefined ? { seed } : {}), ...(opts.rfc5961 ? {} : { rfc5961: false }),
        });
      } catch (err) {
        if (err instanceof SimulationLimitError) throw new UserError(`${arg === "-" ? "<stdin>" : arg}: ${err.message}`);
        throw err;
      }
      for (const d of result.diagnostics) process.stderr.write(`tcp-lifecycle: warning: ${d}\n`);
      const trace = result.trace;
      const ladder = { absolute: opts.absolute === true, waves: opts.waves === true, app: opts.app === true };
      if (format === "json") {
        process.stdout.write(JSON.stringify(traceToJson(trace, title), null, 2) + "\n");
      } else if (format === "svg") {
        process.stdout.write(renderSvgLadder(trace, ladder) + "\n");
      } else {
        const header = `${title} (${trace.profile} profile, seed ${trace.seed})`;
        process.stdout.write(`${header}\n\n${renderAsciiLadder(trace, ladder)}\n\nfinal: client ${trace.final.client}, server ${trace.final.server}\n`);
      }
    });
}
