// Teaching data shared by chapters, the cheat sheet and the site: glossary, errno table.
// Pure: no Node imports. Each file adds its own line.
export * from "./glossary.js";
export * from "./errno.js";
export * from "./trace-helpers.js";
// Until src/render/index.ts exports it (that file's owner adds the line), the duplex-pipes
// picture reaches the package through here.
export * from "../render/duplex-pipes.js";
export * from "./time-wait.js";
export * from "./cheat-sheet.js";
// Chapter 03: the typical client and server paths (until src/render/index.ts exports it).
export * from "../render/path-diagram.js";
