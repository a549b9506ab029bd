export * from "./types.js";
export { replayCapture, replaySegments, replayedStates, formatPcapEndpoint } from "./replay.js";
export { groupConnections, type SegmentGroup } from "./connections.js";
