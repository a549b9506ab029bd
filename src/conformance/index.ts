export * from "./matrix.js";
export * from "./suite.js";
