/** Chapter 02's exercises (see ../engine.ts for the shape and the feedback loop). */
import { type Exercise } from "../engine.js";

export const EXERCISES_02: readonly Exercise<never>[] = [];
