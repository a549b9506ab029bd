import type { Command } from "commander";
import { PROFILES, PROFILE_NAMES } from "../../fsm/profiles.js";
import type { ProfileName } from "../../fsm/profiles.js";
import type { TcpState } from "../../fsm/states.js";
import {
  ARRIVAL_PROCESSES, DEFAULT_PORT_RANGE, MAX_CONNECTIONS, MAX_TIMING_SECONDS, POPULATION_DEFAULTS, PopulationOptionError, simulatePopulation,
} from "../../sim/population.js";
import type { ArrivalProcess, PopulationOptions, PopulationResult } from "../../sim/population.js";
import type { EndpointName } from "../../sim/trace.js";
import { renderStateChart } from "../../render/state-counts.js";
import { UserError, choiceOption, numberOption } from "../errors.js";
import { seedOption } from "./simulate.js";

const FORMATS = ["ascii", "json"] as const;
const CLOSERS: readonly EndpointName[] = ["client", "server"];

interface RawOptions {
  rate: string;
  count: string;
  closer: string;
  profile: string;
  portRange: string;
  format: string;
  seed: string;
  rtt: string;
  hold: string;
  closeDelay: string;
  arrivals: string;
}

export function registerPopulation(program: Command): void {
  const d = POPULATION_DEFAULTS;
  program
    .command("population")
    .description("simulate N short connections arriving at R per second: state counts over time, TIME_WAIT and port exhaustion")
    .requiredOption("--rate <R>", "connections per second (> 0)")
    .requiredOption("--count <N>", `number of connections (integer from 0 to ${MAX_CONNECTIONS})`)
    .option("--closer <side>", `which side closes first: ${CLOSERS.join(" or ")}`, d.closer)
    .option("--profile <name>", `timer profile: ${PROFILE_NAMES.map(describeProfile).join(" or ")}`, d.profile)
    .option("--port-range <LO-HI>", "the client's ephemeral port range", `${DEFAULT_PORT_RANGE[0]}-${DEFAULT_PORT_RANGE[1]}`)
    .option("--format <format>", `one of ${FORMATS.join(", ")}`, "ascii")
    .option("--arrivals <process>", `${ARRIVAL_PROCESSES.join(" (evenly spaced) or ")} (seeded)`, d.arrivals)
    .option("--seed <N>", "seed for --arrivals poisson (0 to 4294967295)", String(d.seed))
    .option("--rtt <seconds>", "round-trip time", String(d.rtt))
    .option("--hold <seconds>", "how long the closer stays ESTABLISHED before close()", String(d.holdTime))
    .option("--close-delay <seconds|never>", "how long the other side takes to close() after EOF; never = a close-wait leak", String(d.closeDelay))
    .action((raw: RawOptions) => {
      const format = choiceOption("--format", raw.format, FORMATS);
      const options = parseOptions(raw);
      let result: PopulationResult;
      try {
        result = simulatePopulation(options);
      } catch (err) {
        if (err instanceof PopulationOptionError) throw new UserError(err.message);
        throw err;
      }
      process.stdout.write(format === "json" ? populationJson(result) : populationAscii(result, colorWanted()));
    });
}

/** The profile's timers, the only part of a profile that population mode uses. */
function describeProfile(name: ProfileName): string {
  const p = PROFILES[name];
  const finWait2 = p.finWait2Timeout === null ? "no FIN_WAIT_2 timeout" : `orphaned FIN_WAIT_2 ${p.finWait2Timeout} s`;
  return `${name} (TIME_WAIT ${p.timeWait} s, ${finWait2})`;
}

/** A rate of 0 would never deliver the N connections, so the bound is strict. */
function parseRate(raw: string): number {
  const rate = Number(raw);
  if (raw.trim() === "" || Number.isNaN(rate)) throw new UserError(`--rate: expected a number > 0 (connections per second), got "${raw}"`);
  if (!Number.isFinite(rate) || rate <= 0) throw new UserError(`--rate: expected a number > 0 (connections per second), got ${raw}`);
  return rate;
}

/** --count: at most MAX_CONNECTIONS, which bounds the run's wall-clock time. */
function parseCount(raw: string): number {
  const count = numberOption("--count", raw, { min: 0, integer: true });
  if (count > MAX_CONNECTIONS) {
    throw new UserError(`--count: at most ${MAX_CONNECTIONS} connections per run (see docs/limits.md), got ${raw}`);
  }
  return count;
}

/** --rtt, --hold, --close-delay: seconds from 0 to MAX_TIMING_SECONDS, named in the message. */
function secondsOption(name: string, raw: string): number {
  const value = numberOption(name, raw, { min: 0 });
  if (value > MAX_TIMING_SECONDS) throw new UserError(`${name}: expected a number of seconds from 0 to ${MAX_TIMING_SECONDS}, got ${raw}`);
  return value;
}

function parseOptions(raw: RawOptions): PopulationOptions {
  return {
    rate: parseRate(raw.rate),
    count: parseCount(raw.count),
    closer: choiceOption("--closer", raw.closer, CLOSERS),
    profile: choiceOption<ProfileName>("--profile", raw.profile, PROFILE_NAMES),
    portRange: parsePortRange(raw.portRange),
    arrivals: choiceOption<ArrivalProcess>("--arrivals", raw.arrivals, ARRIVAL_PROCESSES),
    seed: seedOption(raw.seed),
    rtt: secondsOption("--rtt", raw.rtt),
    holdTime: secondsOption("--hold", raw.hold),
    closeDelay: raw.closeDelay === "never" ? Infinity : secondsOption("--close-delay", raw.closeDelay),
  };
}

export function parsePortRange(raw: string): [number, number] {
  const m = /^\s*(\d{1,5})\s*[-–]\s*(\d{1,5})\s*$/.exec(raw);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2]) : NaN;
  if (!m || lo < 1 || hi > 65535 || lo > hi) {
    throw new UserError(`--port-range: expected LO-HI with 1 <= LO <= HI <= 65535 (e.g. 32768-60999), got "${raw}"`);
  }
  return [lo, hi];
}

/** docs/population-json.md: one compact JSON object (perSecond can have many thousand rows). */
export function populationJson(result: PopulationResult): string {
  const { perSecond, peak, portsExhaustedAt, failed, ...rest } = result;
  return JSON.stringify({ perSecond, peak, portsExhaustedAt, failed, ...rest }) + "\n";
}

const CHART_WIDTH = 100;

function colorWanted(): boolean {
  return process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
}

/** An asciichart of both sides' counts by state, then peaks, Little's law and ports. */
export function populationAscii(result: PopulationResult, color: boolean): string {
  const o = result.options;
  const profile = PROFILES[o.profile];
  const portCount = o.portRange[1] - o.portRange[0] + 1;
  const lines: string[] = [];
  lines.push(
    `${o.count} connections at ${o.rate}/s (${o.arrivals}${o.arrivals === "poisson" ? `, seed ${o.seed}` : ""}), the ${o.closer} closes first, ` +
      `profile ${o.profile} (TIME_WAIT ${profile.timeWait} s), ports ${o.portRange[0]}-${o.portRange[1]} (${portCount})`,
  );
  lines.push(`rtt ${o.rtt} s, hold ${o.holdTime} s, close delay ${o.closeDelay ?? "never"}`);
  lines.push("");

  const states = (Object.keys(result.peak) as TcpState[]).filter((s) => (result.peak[s] ?? 0) > 0);
  if (states.length > 0 && result.perSecond.length > 1) {
    // Each column is the maximum over its seconds (renderStateChart downsamples by bucket max).
    lines.push(renderStateChart(result.perSecond, { states, width: CHART_WIDTH, height: 15, color }));
  }

  lines.push("state          peak   client   server");
  for (const state of Object.keys(result.peak) as TcpState[]) {
    lines.push(
      `${state.padEnd(11)} ${String(result.peak[state]).padStart(7)}  ${fmt(result.peakBySide.client[state])}  ${fmt(result.peakBySide.server[state])}`,
    );
  }
  lines.push("");

  const closerSide = result.peakBySide[o.closer];
  if (closerSide.TIME_WAIT !== undefined) {
    const predicted = o.rate * profile.timeWait;
    lines.push(
      `Little's law: TIME_WAIT ≈ rate × TIME_WAIT length = ${o.rate}/s × ${profile.timeWait} s = ${round(predicted)} ` +
        `(on the ${o.closer}, which closes first); simulated peak ${closerSide.TIME_WAIT}`,
    );
    const arrivalSpan = o.count > 0 ? (o.count - 1) / o.rate : 0;
    if (arrivalSpan < profile.timeWait) {
      lines.push(`  (no steady state: arrivals last ${round(arrivalSpan)} s, less than TIME_WAIT; raise --count to see it)`);
    }
  } else {
    const passive = o.closer === "client" ? "server" : "client";
    lines.push(result.lifecycle.resting[passive]
      ? `No TIME_WAIT: the ${passive} never closes, so the ${o.closer} never receives a FIN.`
      : `No TIME_WAIT: the ${passive} closes after the ${o.closer}'s FIN_WAIT_2 timeout, and its FIN is answered with a RST.`);
  }
  if (result.portsExhaustedAt === null) {
    lines.push(`Ephemeral ports: at most ${result.peakPortsInUse} of ${portCount} in use; never exhausted.`);
  } else {
    lines.push(
      `Ephemeral ports: all ${portCount} in use at ${round(result.portsExhaustedAt)} s; ` +
        `${result.failed} of ${o.count} connect() calls failed with EADDRNOTAVAIL.`,
    );
  }
  const leftOver = Object.entries(result.final).filter(([, n]) => n > 0);
  if (leftOver.length > 0) {
    lines.push(`Left at the end (never closed): ${leftOver.map(([s, n]) => `${n} ${s}`).join(", ")}`);
  }
  return lines.join("\n") + "\n";
}

function fmt(n: number | undefined): string {
  return (n === undefined ? "-" : String(n)).padStart(7);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
