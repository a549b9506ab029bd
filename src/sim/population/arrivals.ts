/**
 * When connections arrive. "uniform" spaces them exactly 1/R apart, so steady-state counts
 * match Little's law to within one connection; "poisson" draws exponential gaps from a
 * seeded generator, so a run is reproducible from its seed.
 */
import { seededRandom } from "../prng.js";

export type ArrivalProcess = "uniform" | "poisson";
export const ARRIVAL_PROCESSES: readonly ArrivalProcess[] = ["uniform", "poisson"];

/** Returns the arrival time of connection 0, 1, 2, … on successive calls. */
export function arrivalClock(kind: ArrivalProcess, rate: number, seed: number): () => number {
  let n = 0;
  if (kind === "uniform") {
    // n / rate, not a running sum: no rounding drift after a million arrivals.
    return () => n++ / rate;
  }
  const random = seededRandom(seed);
  let t = 0;
  return () => {
    if (n++ > 0) t += -Math.log(1 - random()) / rate;
    return t;
  };
}

