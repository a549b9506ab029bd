/**
 * Exercises whose judge needs the real kernel (Node: sockets on loopback, capture files). Registered
 * by the package's Node entry point (src/index.ts), never by the browser bundle.
 */
import { registerExercises, type Exercise } from "../engine.js";
import { KERNEL_EXERCISES_05 } from "./ch05.js";

export { closeFacts, closeFactsOf, chapterCapture, type CloseFacts } from "./capture-facts.js";
export { probeCloseWaitLeak, type ConnectionHandler, type LeakProbeOptions, type LeakProbeResult } from "./leak-probe.js";
export { describeLeakProbe, CAPTURE_05_1, CAPTURE_05_2, LEAKY_START_HANDLER, type HandlerAnswer } from "./ch05.js";

export const KERNEL_EXERCISES: readonly Exercise<never>[] = [...KERNEL_EXERCISES_05];

let registered = false;

export function registerKernelExercises(): void {
  if (registered) return;
  registered = true;
  registerExercises(KERNEL_EXERCISES);
}
