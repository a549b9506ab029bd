export * from "./types.js";
export { replayCapture, replaySegments, stateSequence, formatEndpoint } from "./replay.js";
export { groupConnections, type SegmentGroup } from "./connections.js";
