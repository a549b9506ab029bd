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
  HANDSHAKE_TRANSITIONS, KNOWN_TRANSITION_DIFFERENCES, kernelSequence, simulatedSequence, transitionToken,
  type KnownDifference, type Progress, type SimComparison, type SideComparison, type StateDifference, type StepComparison,
  type KnownTransitionDifference, type SequenceComparison, type TransitionComparison,
} from "./compare.js";
export { formatDemoTable } from "./format.js";
export {
  formatKernelSequences, kernelLadder, kernelLadders, RECEIVE_WINDOW, SEND_WINDOW, type KernelLadder, type LadderAnchor,
} from "./kernel-ladder.js";
