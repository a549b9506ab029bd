export * from "./verdict.js";
export * from "./checkers.js";
export * from "./engine.js";
export * from "./readers.js";
import { registerCatalog } from "./catalog/index.js";
export { registerCatalog, PURE_EXERCISES } from "./catalog/index.js";

// Importing the exercises registers every chapter's catalogue, so `check("04.2", …)` works at once.
registerCatalog();
