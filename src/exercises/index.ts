export * from "./verdict.js";
export * from "./checkers.js";
