// The public API of tcp-lifecycle. Each module adds its own line; keep them sorted by module.
export * from "./fsm/index.js";
export * from "./sim/population.js";
export * from "./exercises/index.js";
