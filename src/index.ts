// The public API of tcp-lifecycle. Each module adds its own line; keep them sorted by module.
export * from "./fsm/index.js";
export * from "./sim/population.js";
export * from "./sim/index.js";
export * from "./render/index.js";
export * from "./exercises/index.js";
export * from "./exercises/kernel/index.js";
export * from "./teaching/index.js";
export * from "./teaching-node/commands.js";
export * from "./parse/index.js";
export * from "./monitor/index.js";
export { runNotebooks, runNotebook, parseNotebook, cleanProblems, CELL_TAGS, type Notebook, type NotebookResult, type NotebookFailure, type RunOptions, type RunProgress } from "./notebook/index.js";
export * from "./replay/index.js";
export * from "./capture/index.js";
export * from "./demos/index.js";
export * from "./trace/index.js";
export { parseTraceLine, TRACE_EVENTS, type TraceEvent, type TraceStateEvent } from "./parse/tracefs.js";
export {
  runScript, parseScript, formatFailure, scenarioToScript, type ExportOptions, formatEvent, formatPacket, formatSyscall, formatTime, PEER_ISN, DEFAULT_TOLERANCE_USECS,
  MAX_SCRIPT_BYTES, MAX_SCRIPT_EVENTS, type RunScriptOptions, type RunScriptResult, type ScriptRun, type ScriptFailure,
  type SkippedLine, type Script, type ScriptEvent, type ScriptDiagnostic, type PacketEvent, type SyscallEvent,
} from "./packetdrill/index.js";

// Kernel-backed exercises need Node; the package entry registers them (the browser bundle does not).
import { registerKernelExercises } from "./exercises/kernel/index.js";
registerKernelExercises();
