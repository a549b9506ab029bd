export * from "./types.js";
export { readPcap, formatPcapDiagnostic } from "./reader.js";
export { linkTypeName, isSupportedLinkType } from "./link.js";
