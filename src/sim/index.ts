// The deterministic simulator (issue 2). Population mode lives in ./population.ts.
export * from "./trace.js";
export { initialSequenceNumbers } from "./prng.js";
export { MSS } from "./segment.js";
export { runScenario, type SimulationOptions, type SimulationResult } from "./engine.js";
export * from "./scenario.js";
export * from "./presets.js";
export * from "./simulate.js";
export * from "./json.js";
