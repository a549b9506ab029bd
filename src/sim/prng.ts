/**
 * A small seeded PRNG (mulberry32): the same seed gives the same ISSs, losses and
 * reorderings on every machine, so a simulation is reproducible from its seed alone.
 */
export type Random = () => number;

/** Uniform numbers in [0, 1) from a 32-bit seed. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The initial sequence numbers a simulation with `seed` uses: the first two draws of the
 * seeded generator, client first (RFC 9293 §3.4.1 wants them unpredictable; here they are
 * reproducible instead, which is what a lesson needs).
 */
export function initialSequenceNumbers(seed: number): { client: number; server: number } {
  const next = seededRandom(seed);
  const client = Math.floor(next() * 4294967296) >>> 0;
  const server = Math.floor(next() * 4294967296) >>> 0;
  return { client, server };
}
