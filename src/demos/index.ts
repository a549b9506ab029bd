// Socket demos on loopback (issue 5): real kernel sockets, observed through the monitor.
export * from "./types.js";
export { DEMOS, listDemos, runDemo } from "./run.js";
export { DemoHarness, InjectedFailure, statesOf, type DemoTuple } from "./harness.js";
export type { DemoDefinition, PreparedDemo } from "./definition.js";
export { closeWaitLeakSeries, type LeakSample, type LeakSeriesOptions } from "./close-wait-leak.js";
export { consistentTimeWaitCounts, DEFAULT_PILEUP, MAX_PILEUP } from "./time-wait-pileup.js";
export { CRASH_CHILD_SCRIPT } from "./crash.js";
export {
  compareWithSimulator, DEMO_PROGRESS, KNOWN_DIFFERENCES, KNOWN_STATE_DIFFERENCES, settledStates, simulatedStates,
  type KnownDifference, type Progress, type SimComparison, type SideComparison, type StateDifference, type StepComparison,
} from "./compare.js";
export { formatDemoTable } from "./format.js";
