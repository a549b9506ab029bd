/**
 * `tcp-lifecycle simulate <preset|file.json> [--profile linux|rfc9293] [--format ascii|svg|json|pkt] [--seed N] [--no-rfc5961] [--side client|server]`
 *
 * Runs a preset or a teacher's scenario file through the deterministic simulator and prints
 * the ladder diagram (ASCII or SVG), the trace as one JSON object (docs/simulate-json.md), or
 * one side of the run as a packetdrill script (`pkt`, docs/packetdrill.md).
 * An unknown preset, an unreadable or invalid scenario file, or a bad option is a UserError
 * (exit 2) that says what was expected.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { PROFILE_NAMES, type ProfileName } from "../../fsm/profiles.js";
import {
  PRESETS, PRESET_NAMES, formatScenarioError, isPresetName, parseScenarioJson, runSimulation, traceToJson,
  type Scenario,
} from "../../sim/index.js";
import { renderAsciiLadder } from "../../render/ascii-ladder.js";
import { renderSvgLadder } from "../../render/svg-ladder.js";
import { UserError, choiceOption, numberOption } from "../errors.js";
import { scenarioToScript } from "../../packetdrill/export.js";

const FORMATS = ["ascii", "svg", "json", "pkt"] as const;

interface SimulateOptions {
  profile?: string;
  rfc5961: boolean;
  side: string;
  format: string;
  seed?: string;
}

/** A preset name, or a path to a scenario JSON file. */
export function loadScenario(arg: string): { scenario: Scenario; title: string } {
  if (isPresetName(arg)) return { scenario: PRESETS[arg].scenario, title: PRESETS[arg].title };
  const looksLikeFile = arg.endsWith(".json") || arg.includes("/");
  if (!looksLikeFile) {
    throw new UserError(`unknown preset "${arg}": expected one of ${PRESET_NAMES.join(", ")}, or a scenario file ending in .json`);
  }
  let text: string;
  try {
    text = readFileSync(arg, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${arg}: cannot read the scenario file (${code === "ENOENT" ? "no such file" : code ?? String(err)})`);
  }
  const result = parseScenarioJson(text);
  if (!result.ok) {
    const lines = result.errors.map((e) => `  ${formatScenarioError(e)}`);
    throw new UserError(`${arg}: invalid scenario (see docs/scenario-format.md):\n${lines.join("\n")}`);
  }
  return { scenario: result.scenario, title: result.scenario.title };
}

export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description(`run a preset (${PRESET_NAMES.join(", ")}) or a scenario file through the deterministic simulator`)
    .argument("<preset|file.json>", "a preset name, or a scenario file (docs/scenario-format.md)")
    .option("--profile <profile>", `behaviour profile: ${PROFILE_NAMES.join(" or ")} (default: the scenario's own)`)
    .option("--format <format>", `output: ${FORMATS.join(", ")}`, "ascii")
    .option("--seed <n>", "seed for ISSs and random loss (default: the scenario's own)")
    .option("--no-rfc5961", "turn RFC 5961 off: RFC 793's rules for RST and SYN (default: on, or the scenario's)")
    .option("--side <side>", "pkt: the endpoint under test, client or server", "server")
    .addHelpText("after", `\nPresets:\n${PRESET_NAMES.map((n) => `  ${n.padEnd(20)} ${PRESETS[n].title}`).join("\n")}\n`)
    .action((arg: string, opts: SimulateOptions) => {
      const format = choiceOption("--format", opts.format, FORMATS);
      const profile = opts.profile === undefined ? undefined : choiceOption<ProfileName>("--profile", opts.profile, PROFILE_NAMES);
      const seed = opts.seed === undefined ? undefined : numberOption("--seed", opts.seed, { min: 0, integer: true });
      if (seed !== undefined && seed > 0xffffffff) throw new UserError(`--seed: expected an integer from 0 to 4294967295, got ${opts.seed}`);
      const { scenario, title } = loadScenario(arg);
      if (format === "pkt") {
        const side = choiceOption("--side", opts.side, ["client", "server"] as const);
        if (!opts.rfc5961) throw new UserError("--no-rfc5961 does not apply to --format pkt: the script runs under whatever the runner is given");
        process.stdout.write(scenarioToScript(scenario, { side, title, ...(profile ? { profile } : {}), ...(seed !== undefined ? { seed } : {}) }));
        return;
      }
      const result = runSimulation(scenario, {
        ...(profile ? { profile } : {}), ...(seed !== undefined ? { seed } : {}), ...(opts.rfc5961 ? {} : { rfc5961: false }),
      });
      for (const d of result.diagnostics) process.stderr.write(`tcp-lifecycle: warning: ${d}\n`);
      const trace = result.trace;
      if (format === "json") {
        process.stdout.write(JSON.stringify(traceToJson(trace, title), null, 2) + "\n");
      } else if (format === "svg") {
        process.stdout.write(renderSvgLadder(trace) + "\n");
      } else {
        const header = `${title} (${trace.profile} profile, seed ${trace.seed})`;
        process.stdout.write(`${header}\n\n${renderAsciiLadder(trace)}\n\nfinal: client ${trace.final.client}, server ${trace.final.server}\n`);
      }
    });
}
