// Teaching data shared by chapters, the cheat sheet and the site: glossary, errno table.
// Pure: no Node imports. Each file adds its own line.
export * from "./glossary.js";
export * from "./errno.js";
export * from "./trace-helpers.js";
export * from "./time-wait.js";
export * from "./cheat-sheet.js";
export * from "./segment-play.js";
