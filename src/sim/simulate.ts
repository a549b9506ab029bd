/**
 * The simulator's public entry points.
 *
 *   simulate("four-way-close")                          → Trace
 *   simulate("close-wait-leak", { profile: "rfc9293" })  → Trace
 *   simulate(scenario, { seed: 7 })                      → Trace (scenario from validateScenario)
 *   runSimulation(…)                                     → { trace, diagnostics, quiescent, … }
 *
 * The profile and seed default to the preset's or scenario's own.
 *
 * A run may record at most MAX_TRACE_EVENTS trace events (docs/limits.md): the validator
 * refuses a scenario whose send steps would pass that, and a run that passes it anyway (a
 * retransmission storm, a scenario built without the validator) throws SimulationLimitError.
 */
import { runScenario, type SimulationOptions, type SimulationResult } from "./engine.js";
import { PRESETS, type PresetName } from "./presets.js";
import { MAX_TRACE_EVENTS, type Scenario } from "./scenario.js";
import type { Trace } from "./trace.js";

export function scenarioOf(input: PresetName | Scenario): Scenario {
  if (typeof input !== "string") return input;
  const preset = PRESETS[input];
  if (!preset) throw new Error(`unknown preset "${String(input)}"`);
  return preset.scenario;
}

/** A run that recorded more than MAX_TRACE_EVENTS trace events; the message says what to lower. */
export class SimulationLimitError extends RangeError {
  override readonly name = "SimulationLimitError";
}

export function runSimulation(input: PresetName | Scenario, opts: SimulationOptions = {}): SimulationResult {
  const result = runScenario(scenarioOf(input), opts);
  const n = result.trace.events.length;
  if (n > MAX_TRACE_EVENTS) {
    throw new SimulationLimitError(
      `the run recorded ${n} trace events, more than the ${MAX_TRACE_EVENTS} a run may record (see docs/limits.md); ` +
        `lower the bytes of the send steps, link.duplicate, link.loss or until`,
    );
  }
  return result;
}

export function simulate(input: PresetName | Scenario, opts: SimulationOptions = {}): Trace {
  return runSimulation(input, opts).trace;
}
