/**
 * The simulator's public entry points.
 *
 *   simulate("four-way-close")                          → Trace
 *   simulate("close-wait-leak", { profile: "rfc9293" })  → Trace
 *   simulate(scenario, { seed: 7 })                      → Trace (scenario from validateScenario)
 *   runSimulation(…)                                     → { trace, diagnostics, quiescent, … }
 *
 * The profile and seed default to the preset's or scenario's own.
 */
import { runScenario, type SimulationOptions, type SimulationResult } from "./engine.js";
import { PRESETS, type PresetName } from "./presets.js";
import type { Scenario } from "./scenario.js";
import type { Trace } from "./trace.js";

export function scenarioOf(input: PresetName | Scenario): Scenario {
  if (typeof input !== "string") return input;
  const preset = PRESETS[input];
  if (!preset) throw new Error(`unknown preset "${String(input)}"`);
  return preset.scenario;
}

export function runSimulation(input: PresetName | Scenario, opts: SimulationOptions = {}): SimulationResult {
  return runScenario(scenarioOf(input), opts);
}

export function simulate(input: PresetName | Scenario, opts: SimulationOptions = {}): Trace {
  return runSimulation(input, opts).trace;
}
