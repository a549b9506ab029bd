/**
 * One way to run a fast-check property in this suite: CI runs a fixed seed, so a landing
 * run repeats; elsewhere each run explores a fresh seed. Either way a failure names the seed
 * and how to replay it (FC_SEED=<seed>); FC_RUNS sets the number of runs.
 */
import fc from "fast-check";
import { inCI } from "./tools.js";

export const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : inCI ? 20261124 : Date.now() % 2 ** 31;
const RUNS = Number(process.env.FC_RUNS ?? 300);

export function check<T>(name: string, arb: fc.Arbitrary<T>, predicate: (value: T) => void): void {
  const details = fc.check(fc.property(arb, predicate), { seed: SEED, numRuns: RUNS });
  if (details.failed) {
    throw new Error(
      `${name}: property failed (seed ${SEED}; replay with FC_SEED=${SEED}), counterexample ${JSON.stringify(details.counterexample)}:\n${String(details.errorInstance)}`,
    );
  }
}
