/**
 * When connections arrive. "uniform" spaces them exactly 1/R apart, so steady-state counts
 * match Little's law to within one connection; "poisson" draws exponential gaps from a
 * seeded generator, so a run is reproducible from its seed.
 */
export type ArrivalProcess = "uniform" | "poisson";
export const ARRIVAL_PROCESSES: readonly ArrivalProcess[] = ["uniform", "poisson"];

/** Returns the arrival time of connection 0, 1, 2, … on successive calls. */
export function arrivalClock(process: ArrivalProcess, rate: number, seed: number): () => number {
  let n = 0;
  if (process === "uniform") {
    // n / rate, not a running sum: no rounding drift after a million arrivals.
    return () => n++ / rate;
  }
  const random = mulberry32(seed);
  let t = 0;
  return () => {
    if (n++ > 0) t += -Math.log(1 - random()) / rate;
    return t;
  };
}

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
