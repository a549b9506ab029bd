export * from "./tcpdump.js";
