/** Chapter 01's exercises (see ../engine.ts for the shape and the feedback loop). */
import { type Exercise } from "../engine.js";

export const EXERCISES_01: readonly Exercise<never>[] = [];
