import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { PROFILES, allowedTransitions } from "../src/fsm/index.js";
import { PopulationOptionError, planPopulationLifecycle, simulatePopulation } from "../src/sim/population.js";
import { arrivalClock } from "../src/sim/population/arrivals.js";
import type { PopulationResult, PopulationSample } from "../src/sim/population.js";

const DEFAULT_PORTS = 60999 - 32768 + 1; // 28232

/** Samples whose whole TIME_WAIT window lies inside the arrival period: the steady state. */
function steady(result: PopulationResult, timeWait: number): PopulationSample[] {
  const lastArrival = (result.options.count - 1) / result.options.rate;
  return result.perSecond.filter((s) => s.t >= timeWait + 5 && s.t <= lastArrival);
}

describe("population: Little's law (TIME_WAIT ≈ rate × TIME_WAIT length)", () => {
  // Evenly spaced arrivals: the TIME_WAIT window of length L always holds R × L connections;
  // float rounding at the window's two ends can add or remove one, hence the ±1.
  it("linux, client closes: 100/s × 60 s = 6000 in every steady-state second", () => {
    const r = simulatePopulation({ rate: 100, count: 20_000, profile: "linux" });
    const s = steady(r, 60);
    expect(s.length).toBeGreaterThan(100);
    for (const x of s) expect(Math.abs(x.client.TIME_WAIT! - 6000), `t=${x.t}`).toBeLessThanOrEqual(1);
    expect(s.filter((x) => x.client.TIME_WAIT === 6000).length).toBeGreaterThan(s.length * 0.9);
    expect(r.peak.TIME_WAIT).toBeGreaterThanOrEqual(6000);
    expect(r.peak.TIME_WAIT).toBeLessThanOrEqual(6001);
    expect(r.peakBySide.server.TIME_WAIT).toBeUndefined();
    expect(r.portsExhaustedAt).toBeNull();
    expect(r.failed).toBe(0);
    // ESTABLISHED per side: R × (hold + the part of the handshake/close spent ESTABLISHED).
    for (const x of s) expect(x.client.ESTABLISHED).toBe(100);
  });

  it("rfc9293, client closes, default range big enough: 100/s × 240 s = 24000", () => {
    const r = simulatePopulation({ rate: 100, count: 40_000, profile: "rfc9293" });
    const s = steady(r, 240);
    expect(s.length).toBeGreaterThan(100);
    for (const x of s) expect(Math.abs(x.counts.TIME_WAIT! - 24_000), `t=${x.t}`).toBeLessThanOrEqual(1);
    expect(r.portsExhaustedAt).toBeNull();
    expect(r.failed).toBe(0);
    expect(r.peakPortsInUse).toBeLessThan(DEFAULT_PORTS);
  });

  it("rfc9293 at 200/s needs 48000 ports: exhaustion at range/R = 141.16 s", () => {
    const r = simulatePopulation({ rate: 200, count: 80_000, profile: "rfc9293" });
    expect(r.portsExhaustedAt).toBeCloseTo(DEFAULT_PORTS / 200, 9);
    // Every port sits in TIME_WAIT; nothing else is alive on the client.
    const at200 = r.perSecond[200]!;
    expect(at200.client).toEqual({ SYN_SENT: 0, ESTABLISHED: 0, FIN_WAIT_1: 0, TIME_WAIT: DEFAULT_PORTS });
    expect(r.peak.TIME_WAIT).toBe(DEFAULT_PORTS);
    // A port is held for L = 241.02 s (handshake + hold + close + 240 s). Arrivals in [0, S/R)
    // get ports, those in [S/R, L) fail, those in [L, L + S/R) take the ports the first
    // wave frees one by one, and the rest (up to 400 s < 2L) fail: 2S connect, the rest fail.
    expect(r.connected).toBe(2 * DEFAULT_PORTS);
    expect(r.failed).toBe(80_000 - 2 * DEFAULT_PORTS);
  });

  it("server closes first: TIME_WAIT is on the server and the client's ports never run out", () => {
    const r = simulatePopulation({ rate: 100, count: 20_000, closer: "server", portRange: [40000, 40999] });
    for (const x of steady(r, 60)) {
      expect(Math.abs(x.server.TIME_WAIT! - 6000)).toBeLessThanOrEqual(1);
      expect(x.client.TIME_WAIT).toBeUndefined();
    }
    expect(r.portsExhaustedAt).toBeNull();
    expect(r.failed).toBe(0);
    // A client port is held from connect() to LAST_ACK → CLOSED, about 1.03 s: ~103 ports.
    expect(r.peakPortsInUse).toBeLessThanOrEqual(105);
  });
});

describe("population: ephemeral port exhaustion", () => {
  it("a 1000-port range at 100/s with a 60 s TIME_WAIT runs out at 1000/100 = 10 s", () => {
    const r = simulatePopulation({ rate: 100, count: 10_000, portRange: [40000, 40999] });
    expect(r.portsExhaustedAt).toBeCloseTo(10, 9);
    expect(r.peakPortsInUse).toBe(1000);
    // After the first wave (ports free at 61.02 s + i/100) each arrival reuses the port
    // just freed, so from then on the client holds exactly the 1000 ports.
    expect(r.connected + r.failed).toBe(10_000);
    expect(r.perSecond[30]!.client.TIME_WAIT).toBe(1000);
    // The arrival at exactly 10.00 s is the first failure; arrivals until 61.02 s fail.
    expect(r.failed).toBeGreaterThanOrEqual(5100);
  });

  it("no exhaustion when R × TIME_WAIT fits in the range", () => {
    const r = simulatePopulation({ rate: 100, count: 10_000, portRange: [40000, 46199] });
    expect(r.portsExhaustedAt).toBeNull();
    expect(r.peakPortsInUse).toBeLessThanOrEqual(6200);
  });
});

describe("population: lifecycles", () => {
  const sequence = (r: PopulationResult, side: "client" | "server") =>
    r.lifecycle.steps.filter((s) => s.side === side).map((s) => s.to);

  it("client closes, server closes on EOF: F. / F. / . (the FIN rides on the ACK)", () => {
    const r = simulatePopulation({ rate: 10, count: 1 });
    expect(r.lifecycle.mergedFinAck).toBe(true);
    expect(sequence(r, "client")).toEqual(["SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "TIME_WAIT", "CLOSED"]);
    expect(sequence(r, "server")).toEqual(["SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"]);
  });

  it("a passive close after the delayed ACK gives FIN_WAIT_2", () => {
    const r = simulatePopulation({ rate: 10, count: 1, closeDelay: 0.5 });
    expect(sequence(r, "client")).toEqual(["SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"]);
    // One connection: exact times. rtt 0.01: client ESTABLISHED at 0.01, close at 1.01.
    const fw2 = r.lifecycle.steps.find((s) => s.to === "FIN_WAIT_2")!;
    expect(fw2.offset).toBeCloseTo(1.01 + 0.01 + PROFILES.linux.delayedAck, 12);
    const tw = r.lifecycle.steps.find((s) => s.to === "TIME_WAIT")!;
    expect(tw.offset).toBeCloseTo(1.01 + 0.005 + 0.5 + 0.005, 12);
    expect(r.endTime).toBeCloseTo(tw.offset + 60, 9);
  });

  it("every step is a transition of the RFC 9293 table", () => {
    const allowed = allowedTransitions();
    for (const closer of ["client", "server"] as const) {
      for (const profile of ["linux", "rfc9293"] as const) {
        for (const closeDelay of [0, 0.5, 100, Infinity]) {
          const plan = planPopulationLifecycle({ rtt: 0.01, holdTime: 1, closeDelay, closer }, PROFILES[profile]);
          for (const s of plan.steps) {
            const from = s.from ?? (s.side === "client" ? "CLOSED" : "LISTEN");
            expect(allowed.has(`${from}/${s.event}/${s.to}`), `${closer} ${profile} ${closeDelay}: ${from}/${s.event}/${s.to}`).toBe(true);
          }
        }
      }
    }
  });

  it("close-wait leak (the client never closes): CLOSE_WAIT piles up and holds the client's ports", () => {
    const r = simulatePopulation({ rate: 10, count: 500, closer: "server", closeDelay: Infinity, portRange: [50000, 50299] });
    expect(r.final).toMatchObject({ CLOSE_WAIT: 300, FIN_WAIT_2: 0 });
    expect(r.portsExhaustedAt).toBeCloseTo(30, 9);
    expect(r.failed).toBe(200);
    // linux: the server's orphaned FIN_WAIT_2 dies after tcp_fin_timeout (60 s).
    expect(sequence(r, "server")).toEqual(["SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSED"]);
    expect(r.lifecycle.resting).toEqual({ client: "CLOSE_WAIT" });
  });

  it("rfc9293 has no FIN_WAIT_2 timer: the closer waits forever", () => {
    const r = simulatePopulation({ rate: 10, count: 100, profile: "rfc9293", closeDelay: Infinity });
    expect(r.final).toMatchObject({ FIN_WAIT_2: 100, CLOSE_WAIT: 100 });
  });

  it("a late close after the orphan timeout is answered with a RST", () => {
    const r = simulatePopulation({ rate: 10, count: 10, closeDelay: 100 });
    expect(r.lifecycle.steps.map((s) => `${s.side}:${s.to}`)).toEqual([
      "client:SYN_SENT", "server:SYN_RCVD", "client:ESTABLISHED", "server:ESTABLISHED",
      "client:FIN_WAIT_1", "server:CLOSE_WAIT", "client:FIN_WAIT_2", "client:CLOSED",
      "server:LAST_ACK", "server:CLOSED",
    ]);
    expect(r.lifecycle.steps.at(-1)!.event).toBe("RCV_RST");
    expect(r.final).toEqual({ SYN_SENT: 0, SYN_RCVD: 0, ESTABLISHED: 0, FIN_WAIT_1: 0, FIN_WAIT_2: 0, CLOSE_WAIT: 0, LAST_ACK: 0 });
  });
});

describe("population: output and bounds", () => {
  it("samples every second from 0 to the end, with the same keys each time, and ends empty", () => {
    const r = simulatePopulation({ rate: 5, count: 20 });
    expect(r.perSecond.map((s) => s.t)).toEqual(Array.from({ length: Math.ceil(r.endTime) + 1 }, (_, i) => i));
    const keys = Object.keys(r.perSecond[0]!.counts);
    for (const s of r.perSecond) expect(Object.keys(s.counts)).toEqual(keys);
    expect(Object.values(r.perSecond.at(-1)!.counts).every((n) => n === 0)).toBe(true);
    // The first connect() is at t = 0.
    expect(r.perSecond[0]!.client.SYN_SENT).toBe(1);
    // Both sides together is the sum of the two.
    for (const s of r.perSecond) expect(s.counts.ESTABLISHED).toBe(s.client.ESTABLISHED! + s.server.ESTABLISHED!);
  });

  it("zero connections", () => {
    const r = simulatePopulation({ rate: 1, count: 0 });
    expect(r.perSecond).toHaveLength(1);
    expect(r.peak.TIME_WAIT).toBe(0);
    expect(r.portsExhaustedAt).toBeNull();
  });

  it("memory follows the live connections, not the total", () => {
    // 65535 ports at 1000/s: about 61 000 connections alive at once out of 300 000.
    const r = simulatePopulation({ rate: 1000, count: 300_000, portRange: [1, 65535] });
    expect(r.failed).toBe(0);
    expect(r.peakLiveConnections).toBeLessThanOrEqual(1000 * 61.1);
    expect(r.peakLiveConnections).toBeGreaterThanOrEqual(1000 * 61);
  });

  it("Poisson arrivals are reproducible from the seed, and still obey Little's law on average", () => {
    const run = (seed: number) => simulatePopulation({ rate: 100, count: 20_000, arrivals: "poisson", seed });
    const a = run(7);
    expect(run(7)).toEqual(a);
    expect(run(8).perSecond[100]).not.toEqual(a.perSecond[100]);
    const s = a.perSecond.filter((x) => x.t >= 70 && x.t <= 180);
    const mean = s.reduce((sum, x) => sum + x.client.TIME_WAIT!, 0) / s.length;
    // The TIME_WAIT count is the number of arrivals in a 60 s window: mean 6000, sd ≈ 77.
    expect(Math.abs(mean - 6000), `seed 7, mean ${mean}`).toBeLessThan(250);
  });

  it.each([
    [{ rate: 0, count: 1 }, /rate: expected a number > 0/],
    [{ rate: -5, count: 1 }, /rate/],
    [{ rate: Number.NaN, count: 1 }, /rate/],
    [{ rate: 1, count: -1 }, /count: expected an integer >= 0/],
    [{ rate: 1, count: 1.5 }, /count/],
    [{ rate: 1, count: 1, portRange: [5000, 4000] as const }, /portRange/],
    [{ rate: 1, count: 1, portRange: [0, 10] as const }, /portRange/],
    [{ rate: 1, count: 1, rtt: -1 }, /rtt/],
    [{ rate: 1e-9, count: 100 }, /simulated seconds/],
    // Defects 12 and 13 of the reliability review: bounded work, and each timing named.
    [{ rate: 1e12, count: 1e12 }, /^count: at most 10000000 connections per run \(see docs\/limits\.md\), got 1000000000000$/],
    [{ rate: 1e7, count: 10_000_001 }, /^count: at most 10000000 connections/],
    [{ rate: 1, count: 1, seed: -1 }, /^seed: expected an integer from 0 to 4294967295, got -1$/],
    [{ rate: 1, count: 1, seed: 1e20 }, /^seed: expected an integer from 0 to 4294967295, got 100000000000000000000$/],
    [{ rate: 1, count: 1, rtt: 1e308 }, /^rtt: expected a number of seconds from 0 to 86400, got 1e\+308$/],
    [{ rate: 1, count: 1, holdTime: 86_401 }, /^holdTime: expected a number of seconds from 0 to 86400, got 86401$/],
    [{ rate: 1, count: 1, closeDelay: 1e308 }, /^closeDelay: expected a number of seconds from 0 to 86400 \(or Infinity\), got 1e\+308$/],
  ])("rejects %o", (opts, message) => {
    expect(() => simulatePopulation(opts)).toThrow(PopulationOptionError);
    expect(() => simulatePopulation(opts)).toThrow(message);
  });
});

const CLI = "dist/cli/main.js";
describe.skipIf(!existsSync(CLI))("tcp-lifecycle population (run `npm run build:lib` first)", () => {
  const cli = (...args: string[]) => spawnSync("node", [CLI, "population", ...args], { encoding: "utf8" });

  it("--format json prints the documented object", () => {
    const out = execFileSync("node", [CLI, "population", "--rate", "100", "--count", "2000", "--port-range", "40000-40999", "--format", "json"], { encoding: "utf8" });
    const json = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(json).slice(0, 4)).toEqual(["perSecond", "peak", "portsExhaustedAt", "failed"]);
    const perSecond = json.perSecond as { t: number; counts: Record<string, number> }[];
    expect(perSecond[0]!.t).toBe(0);
    expect(perSecond[5]!.counts.ESTABLISHED).toBe(200);
    expect(json.portsExhaustedAt).toBeCloseTo(10, 9);
    expect(json.failed).toBe(1000);
    expect((json.peak as Record<string, number>).TIME_WAIT).toBe(1000);
  });

  it("ascii draws a chart and names the states", () => {
    const r = cli("--rate", "100", "--count", "10000");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/┼/);
    expect(r.stdout).toMatch(/── TIME_WAIT/);
    expect(r.stdout).toMatch(/^TIME_WAIT +6001 +6001 +-$/m);
    expect(r.stdout).toMatch(/Little's law: .* = 6000/);
    expect(r.stdout).toMatch(/never exhausted/);
  });

  it("ascii explains a close-wait leak", () => {
    const r = cli("--rate", "10", "--count", "100", "--closer", "server", "--close-delay", "never");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("No TIME_WAIT: the client never closes, so the server never receives a FIN.");
    expect(r.stdout).toContain("Left at the end (never closed): 100 CLOSE_WAIT");
  });

  it.each([
    [["--rate", "10", "--count", "5", "--close-delay", "soon"], /--close-delay: expected a number >= 0, got "soon"/],
    [["--rate", "-5", "--count", "10"], /^tcp-lifecycle: --rate: expected a number > 0 \(connections per second\), got -5\n$/],
    [["--rate", "0", "--count", "10"], /^tcp-lifecycle: --rate: expected a number > 0 \(connections per second\), got 0\n$/],
    [["--rate", "abc", "--count", "10"], /^tcp-lifecycle: --rate: expected a number > 0 \(connections per second\), got "abc"\n$/],
    [["--rate", "Infinity", "--count", "10"], /--rate: expected a number > 0 \(connections per second\), got Infinity/],
    [["--rate", "10", "--count", "-1"], /--count: expected an integer >= 0/],
    [["--rate", "10", "--count", "2.5"], /--count: expected an integer/],
    [["--rate", "10", "--count", "5", "--port-range", "9-3"], /--port-range: expected LO-HI/],
    [["--rate", "10", "--count", "5", "--port-range", "lots"], /--port-range/],
    [["--rate", "10", "--count", "5", "--closer", "both"], /--closer: expected one of client, server/],
    [["--rate", "10", "--count", "5", "--profile", "bsd"], /--profile: expected one of rfc9293, linux/],
    [["--count", "5"], /--rate/],
    // Defects 12 and 13 of the reliability review.
    [["--rate", "1e12", "--count", "1e12"], /^tcp-lifecycle: --count: at most 10000000 connections per run \(see docs\/limits\.md\), got 1e12\n$/],
    [["--rate", "10", "--count", "10", "--arrivals", "poisson", "--seed", "-1"], /^tcp-lifecycle: --seed: expected an integer from 0 to 4294967295, got -1\n$/],
    [["--rate", "10", "--count", "10", "--seed", "-1"], /^tcp-lifecycle: --seed: expected an integer from 0 to 4294967295, got -1\n$/],
    [["--rate", "10", "--count", "10", "--seed", "1e20"], /^tcp-lifecycle: --seed: expected an integer from 0 to 4294967295, got 1e20\n$/],
    [["--rate", "10", "--count", "10", "--rtt", "1e308"], /^tcp-lifecycle: --rtt: expected a number of seconds from 0 to 86400, got 1e308\n$/],
    [["--rate", "10", "--count", "10", "--hold", "1e308"], /^tcp-lifecycle: --hold: expected a number of seconds from 0 to 86400, got 1e308\n$/],
    [["--rate", "10", "--count", "10", "--close-delay", "1e308"], /^tcp-lifecycle: --close-delay: expected a number of seconds from 0 to 86400, got 1e308\n$/],
  ])("exits 2 on %j", (args, message) => {
    const r = cli(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [["--count", "5"], "tcp-lifecycle: required option '--rate <R>' not specified"],
    [["--rate", "1", "--count", "1", "--bogus"], "tcp-lifecycle: unknown option '--bogus'"],
  ])("a command-line mistake (%j) prints one line and where the usage is, not the whole help", (args, line) => {
    const r = cli(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`${line}\n(see 'tcp-lifecycle population --help')\n`);
  });

  it("--help describes each profile's timers and lists the formats", () => {
    const r = cli("--help");
    expect(r.status).toBe(0);
    const help = r.stdout.replace(/\s+/g, " ");
    expect(help).toContain("rfc9293 (TIME_WAIT 240 s, no FIN_WAIT_2 timeout) or linux (TIME_WAIT 60 s, orphaned FIN_WAIT_2 60 s)");
    expect(help).toContain("--format <format> one of ascii, json");
  });
});

describe("population: the streaming runner agrees with a brute-force count", () => {
  // fast-check prints the seed and counterexample of a failing run.
  it("every per-second sample equals the states found by replaying each connection's plan", () => {
    fc.assert(
      fc.property(
        fc.record({
          rate: fc.constantFrom(0.5, 1, 3, 7.5, 20),
          count: fc.integer({ min: 0, max: 60 }),
          closer: fc.constantFrom("client" as const, "server" as const),
          profile: fc.constantFrom("linux" as const, "rfc9293" as const),
          rtt: fc.constantFrom(0, 0.01, 0.3, 2),
          holdTime: fc.constantFrom(0, 0.5, 3),
          closeDelay: fc.constantFrom(0, 0.02, 1, 90, Infinity),
          arrivals: fc.constantFrom("uniform" as const, "poisson" as const),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        (opts) => {
          const r = simulatePopulation({ ...opts, portRange: [1, 65535] });
          expect(r.failed).toBe(0);
          // Arrival times as the runner draws them.
          const times = arrivalTimes(opts.arrivals, opts.rate, opts.seed, opts.count);
          for (const sample of r.perSecond) {
            const expected = { client: {} as Record<string, number>, server: {} as Record<string, number> };
            for (const side of ["client", "server"] as const) {
              for (const key of Object.keys(sample[side])) expected[side][key] = 0;
            }
            for (const a of times) {
              const state = { client: null as string | null, server: null as string | null };
              for (const step of r.lifecycle.steps) if (a + step.offset <= sample.t) state[step.side] = step.to;
              for (const side of ["client", "server"] as const) {
                const s = state[side];
                if (s !== null && s !== "CLOSED") expected[side][s]! += 1;
              }
            }
            expect(sample.client, `t=${sample.t}`).toEqual(expected.client);
            expect(sample.server, `t=${sample.t}`).toEqual(expected.server);
            for (const [state, n] of Object.entries(sample.counts)) {
              expect(r.peak[state as keyof typeof r.peak]).toBeGreaterThanOrEqual(n);
            }
          }
          const resting = Object.values(r.lifecycle.resting);
          for (const [state, n] of Object.entries(r.final)) {
            expect(n).toBe(resting.filter((s) => s === state).length * opts.count);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("population: invariants with a small port range", () => {
  it("client sockets never outnumber the ports; failures and portsExhaustedAt agree", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 300 }),
        fc.constantFrom("client" as const, "server" as const),
        fc.constantFrom(0, 5, Infinity),
        fc.integer({ min: 0, max: 1000 }),
        (ports, count, closer, closeDelay, seed) => {
          const r = simulatePopulation({
            rate: 4, count, closer, closeDelay, arrivals: "poisson", seed, portRange: [20000, 20000 + ports - 1],
          });
          expect(r.connected + r.failed).toBe(count);
          expect(r.peakPortsInUse).toBeLessThanOrEqual(ports);
          expect(r.failed === 0).toBe(r.portsExhaustedAt === null);
          for (const s of r.perSecond) {
            const clientSockets = Object.values(s.client).reduce((a, b) => a + b, 0);
            expect(clientSockets, `t=${s.t}`).toBeLessThanOrEqual(ports);
            for (const n of Object.values(s.counts)) expect(n).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

function arrivalTimes(kind: "uniform" | "poisson", rate: number, seed: number, count: number): number[] {
  const next = arrivalClock(kind, rate, seed);
  return Array.from({ length: count }, () => next());
}
