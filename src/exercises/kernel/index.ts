/**
 * Exercises whose judge needs the real kernel (Node: sockets on loopback). Registered by the
 * package's Node entry point (src/index.ts), never by the browser bundle.
 */
import { registerExercises, type Exercise } from "../engine.js";

export const KERNEL_EXERCISES: readonly Exercise<never>[] = [];

let registered = false;

export function registerKernelExercises(): void {
  if (registered) return;
  registered = true;
  registerExercises(KERNEL_EXERCISES);
}
