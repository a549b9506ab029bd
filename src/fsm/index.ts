export * from "./states.js";
export * from "./events.js";
export * from "./profiles.js";
export * from "./table.js";
export * from "./machine.js";
export * from "./checks.js";
