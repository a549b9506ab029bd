// Renderers: pure functions from the table or a Trace to text (Markdown, ASCII, SVG). No Node imports.
export * from "./fsm-markdown.js";
export * from "./state-diagram.js";
export * from "./ladder-events.js";
export * from "./ascii-ladder.js";
export * from "./svg-ladder.js";
export * from "./state-counts.js";
export * from "./duplex-pipes.js";
export * from "./path-diagram.js";
