export * from "./tcpdump.js";
export { replayCaptureFile } from "./file.js";
