/**
 * Every chapter's pure exercises, one file per chapter (`chNN.ts` exporting `EXERCISES_NN`).
 * Kernel-backed exercises (which need Node) live in src/exercises/kernel/ and register from
 * the package's Node entry point.
 */
import { registerExercises, type Exercise } from "../engine.js";
import { EXERCISES_00 } from "./ch00.js";
import { EXERCISES_01 } from "./ch01.js";
import { EXERCISES_02 } from "./ch02.js";
import { EXERCISES_03 } from "./ch03.js";
import { EXERCISES_04 } from "./ch04.js";
import { EXERCISES_05 } from "./ch05.js";
import { EXERCISES_06 } from "./ch06.js";
import { EXERCISES_07 } from "./ch07.js";

export const PURE_EXERCISES: readonly Exercise<never>[] = [
  ...EXERCISES_00, ...EXERCISES_01, ...EXERCISES_02, ...EXERCISES_03,
  ...EXERCISES_04, ...EXERCISES_05, ...EXERCISES_06, ...EXERCISES_07,
];

let registered = false;

/** Registers the pure catalogue once. */
export function registerCatalog(): void {
  if (registered) return;
  registered = true;
  registerExercises(PURE_EXERCISES);
}
