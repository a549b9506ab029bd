export * from "./records.js";
export * from "./follower.js";
export * from "./session.js";
export { checkTracefs, listInstances, removeStaleInstances, INSTANCE_PREFIX, TRACEFS_MOUNTS, type TracefsCheck } from "./tracefs.js";
