/**
 * Every CLI command, fuzzed (test/support/cli-fuzz.ts): exit 0, 1 or 2 only, never a stack
 * trace, within 30 s and 1.5 GB. `npm test` runs a few cases per command with a fixed seed in CI
 * (a fresh, printed seed elsewhere); `npm run fuzz` runs many (FUZZ_PER_COMMAND, default 60 there).
 */
import { rmSync } from "node:fs";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { argvArbFor, CASE_TIMEOUT_MS, LEAVES, problem, runCase, SCRATCH } from "./support/cli-fuzz.js";
import { SEED } from "./support/property.js";

const PER_COMMAND = Number(process.env.FUZZ_PER_COMMAND ?? 3);

afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

describe(`CLI fuzz (seed ${SEED}; replay with FC_SEED=${SEED}; ${PER_COMMAND} cases per command)`, () => {
  it("covers every command the CLI registers (site serve excepted)", () => {
    expect(LEAVES.map((l) => l.path).sort()).toEqual(
      ["demo", "fsm", "monitor", "notebooks clean", "notebooks run", "parse", "population", "replay", "script", "simulate", "site build", "trace"].sort(),
    );
  });

  for (const leaf of LEAVES) {
    it(`${leaf.path}: ${PER_COMMAND} fuzzed argument vectors end with 0, 1 or 2 and no stack trace`, async () => {
      // A seed per command, derived from the run's seed, so one command's cases do not depend on another's.
      const seed = (SEED + [...leaf.path].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 0)) | 0;
      const cases = fc.sample(argvArbFor(leaf), { seed, numRuns: PER_COMMAND });
      const failures: string[] = [];
      for (const argv of cases) {
        const r = await runCase(argv);
        const why = problem(r);
        if (process.env.FUZZ_VERBOSE) console.log(`exit ${r.code} ${r.ms} ms ${r.maxRssKb} KiB: ${argv.join(" ").slice(0, 160)}\n  ${r.stderr.split("\n")[0]?.slice(0, 160)}`);
        if (why) failures.push(`${why}: tcp-lifecycle ${argv.map((a) => JSON.stringify(a.length > 60 ? `${a.slice(0, 60)}…` : a)).join(" ")}\n${r.stderr.slice(0, 600)}`);
      }
      expect(failures, `seed ${seed} (FC_SEED=${SEED})`).toEqual([]);
    }, (CASE_TIMEOUT_MS + 5000) * PER_COMMAND);
  }
});
