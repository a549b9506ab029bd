/**
 * Chapter 04's exercises (see ../engine.ts for the shape and the feedback loop). Every judge
 * computes its verdict from the library: the profiles' TIME_WAIT length, the population
 * simulator, and `diagnoseDump()` reading the seeded sick-client dump.
 */
import { defineExercise, type Exercise, type Read } from "../engine.js";
import { readChoice, readNumber } from "../readers.js";
import { PROFILES } from "../../fsm/profiles.js";
import { simulatePopulation } from "../../sim/population.js";
import {
  DUMP_CAUSES, REMEDIES, TIME_WAIT_REMEDIES, diagnoseDump, sickClientDump, type DumpCause, type DumpDiagnosis, type Remedy, type SickClientDump,
} from "../../teaching/time-wait.js";

/** Exercise 04.1: the TIME_WAIT count the learner is told a host holds in steady state. */
export const EX04_1_OBSERVED = 21_000;
/** Exercise 04.2: the client's rate and its widened port range. */
export const EX04_2_RATE = 1500;
export const EX04_2_RANGE: readonly [number, number] = [20000, 60999];
/** Exercise 04.3 and 04.4 read this dump (`sickClientDump({ seed: EX04_DUMP_SEED })`). */
export const EX04_DUMP_SEED = 11;

let dump: SickClientDump | undefined;
/** The sick client's dump that exercises 04.3 and 04.4 are about (computed once). */
export function exercise04Dump(): SickClientDump {
  dump ??= sickClientDump({ seed: EX04_DUMP_SEED });
  return dump;
}

let diagnosis: DumpDiagnosis | undefined;
/** What `diagnoseDump` reads in that dump (computed once: it parses 28,000 lines). */
export function exercise04Diagnosis(): DumpDiagnosis {
  diagnosis ??= diagnoseDump(exercise04Dump().text, exercise04Dump().portRange);
  return diagnosis;
}

const linuxTw = PROFILES.linux.timeWait;

/** The highest rate 04.1's feedback simulates (100 s of it stays well under a second of work). */
export const EX04_1_MAX_SIMULATED_RATE = 2000;

/**
 * Steady-state TIME_WAIT sockets the population simulator gives at `rate` (min–max between
 * 70 s and 95 s, after the first TIME_WAIT has expired); undefined for a rate it does not run.
 */
function steadyTimeWait(rate: number): { min: number; max: number } | undefined {
  if (!(rate > 0 && rate <= EX04_1_MAX_SIMULATED_RATE)) return undefined;
  const pop = simulatePopulation({ rate, count: Math.ceil(rate * 100), closer: "client", profile: "linux" });
  const tw = pop.perSecond.slice(70, 95).map((s) => s.counts.TIME_WAIT ?? 0);
  return { min: Math.min(...tw), max: Math.max(...tw) };
}

function exhaustion(rate: number, portRange: readonly [number, number]): number | null {
  const size = portRange[1] - portRange[0] + 1;
  return simulatePopulation({ rate, count: Math.ceil(size + rate * 5), closer: "client", profile: "linux", portRange }).portsExhaustedAt;
}

function readSecondsOrNull(raw: unknown): Read<number | null> {
  if (raw === null) return { ok: true, value: null };
  return readNumber(raw);
}

const ex1 = defineExercise<number>({
  id: "04.1",
  kind: "reasoning",
  form: "calculate",
  question: `A Linux host that closes its connections first shows a steady ${EX04_1_OBSERVED} sockets in TIME_WAIT. How many connections does it close per second?`,
  expects: "a number of connections per second",
  read: readNumber,
  judge: (rate) => {
    const expected = EX04_1_OBSERVED / linuxTw;
    const sim = steadyTimeWait(rate);
    const yours = sim
      ? `The population simulator at ${rate}/s holds ${sim.min === sim.max ? sim.min : `${sim.min}–${sim.max}`} sockets in TIME_WAIT once steady.`
      : `At ${rate}/s Little's law gives ${rate * linuxTw} sockets in TIME_WAIT.`;
    const why =
      `Little's law read backwards: R = L / W = ${EX04_1_OBSERVED} / ${linuxTw} s = ${expected} per second (Linux TIME_WAIT is ${linuxTw} s). ${yours}`;
    return { correct: Math.abs(rate - expected) <= 0.05 * expected, explanation: why };
  },
  solution: EX04_1_OBSERVED / linuxTw,
  hint: "L = R × W holds in any steady state; you know L and the host's W.",
  misconceptions: [
    { answers: [EX04_1_OBSERVED / PROFILES.rfc9293.timeWait], says: "That divides by the RFC's 2MSL of 4 minutes; the host runs Linux, whose TIME_WAIT length is fixed at compile time." },
    { answers: [EX04_1_OBSERVED / PROFILES.linux.msl], says: "That divides by one MSL; a socket stays in TIME_WAIT for twice that." },
    { answers: [EX04_1_OBSERVED * linuxTw], says: "That multiplies; the count is already rate × time, so the rate is a division." },
  ],
});

const ex2 = defineExercise<number | null>({
  id: "04.2",
  kind: "reasoning",
  form: "calculate",
  question:
    `A Linux client opens ${EX04_2_RATE} connections a second to one server address and port and closes each first; its ` +
    `net.ipv4.ip_local_port_range is "${EX04_2_RANGE[0]} ${EX04_2_RANGE[1]}". After how many seconds does connect() start failing (null if never)?`,
  expects: "a number of seconds, or null",
  read: readSecondsOrNull,
  judge: (answer) => {
    const at = exhaustion(EX04_2_RATE, EX04_2_RANGE);
    const size = EX04_2_RANGE[1] - EX04_2_RANGE[0] + 1;
    const why =
      at === null
        ? `the population simulator never runs out of ports at ${EX04_2_RATE}/s over ${size} ports.`
        : `${size} ports (${EX04_2_RANGE[0]}–${EX04_2_RANGE[1]}), each held ${linuxTw} s in TIME_WAIT after its connection, at ${EX04_2_RATE} a second: ` +
          `${size} / ${EX04_2_RATE} = ${(size / EX04_2_RATE).toFixed(2)} s < ${linuxTw} s, so the range runs out before the first port is freed. ` +
          `The population simulator's first EADDRNOTAVAIL is at ${at.toFixed(2)} s.`;
    const correct = at === null ? answer === null : answer !== null && Math.abs(answer - at) <= 0.5;
    return { correct, explanation: why };
  },
  solution: Number(((EX04_2_RANGE[1] - EX04_2_RANGE[0] + 1) / EX04_2_RATE).toFixed(2)),
  hint: "Count the ports in the range first; then ask whether any port comes back before the last free one is taken.",
  misconceptions: [
    { answers: [18.8, 18.82, 19], says: "That is the default range's size; this client's range was widened." },
    { answers: [null], says: "TIME_WAIT holds each closed connection's local port; net.ipv4.tcp_tw_reuse (default 2) lets connect() reuse one only on loopback." },
    { answers: [60, 61], says: "60 s is when the first port comes back, not when the last free one is taken." },
  ],
});

const ex3 = defineExercise<DumpCause>({
  id: "04.3",
  kind: "diagnostic",
  form: "diagnose-a-dump",
  question: "The client's connect() calls fail with EADDRNOTAVAIL; its `ss -tanp` dump is above. What is the cause?",
  expects: `one of ${DUMP_CAUSES.map((c) => `"${c}"`).join(", ")}`,
  read: readChoice(DUMP_CAUSES),
  judge: (cause) => {
    const d = exercise04Diagnosis();
    return { correct: cause === d.cause, explanation: `${d.cause}: ${d.evidence}` };
  },
  solution: "ephemeral-ports-exhausted",
  hint: "Group the lines by peer and by state, then compare the number of local ports in use with the size of the ephemeral range.",
  misconceptions: [
    { answers: ["time-wait-memory"], says: "A TIME_WAIT minisocket costs a few hundred bytes (tw_sock_TCP in /proc/slabinfo); and EADDRNOTAVAIL is an address error, not an out-of-memory one." },
    { answers: ["syn-flood-or-full-backlog"], says: "SYN-RECV sockets live on the server that receives the SYNs; this host is the client, and the dump has no SYN-RECV line." },
    { answers: ["close-wait-leak"], says: "Count the CLOSE-WAIT lines; the peer did not close these connections, this host did." },
  ],
});

const ex4 = defineExercise<Remedy>({
  id: "04.4",
  kind: "transfer",
  form: "choose",
  question: "Which change best cures the client in the dump?",
  expects: `one of ${REMEDIES.map((r) => `"${r}"`).join(", ")}`,
  read: readChoice(REMEDIES),
  judge: (remedy) => {
    const d = exercise04Dump();
    const wide: readonly [number, number] = [1024, 65535];
    const at = exhaustion(d.rate, wide);
    const widened =
      `widening the range to ${wide[0]}–${wide[1]} at ${d.rate}/s runs out ${at === null ? "never" : `at ${at.toFixed(1)} s instead of ${d.exhaustedAt.toFixed(1)} s`}, and takes service ports`;
    const facts = TIME_WAIT_REMEDIES[remedy];
    const best = remedy === "reuse-connections";
    const explanation = best
      ? `${facts.action}: ${facts.effect} The client then closes a connection only when its pool retires one, ` +
        `and by Little's law TIME_WAIT holds closes/s × ${linuxTw} s sockets, not ${d.rate} × ${linuxTw}; for comparison, ${widened}. (${facts.source})`
      : `${facts.action}: ${facts.effect} (${facts.source})`;
    return { correct: best, explanation };
  },
  solution: "reuse-connections",
  hint: "A TIME_WAIT socket exists per closed connection; which change reduces the number of connections closed per second?",
  misconceptions: [
    { answers: ["enable-tcp-tw-recycle"], says: "net.ipv4.tcp_tw_recycle was removed in Linux 4.12: it broke clients behind NAT, and a current kernel has no such sysctl." },
    { answers: ["lower-tcp-fin-timeout"], says: "tcp_fin_timeout bounds orphaned FIN_WAIT_2 sockets; Linux's TIME_WAIT is 60 s whatever it says." },
    { answers: ["raise-tcp-max-tw-buckets"], says: "That cap limits how many TIME_WAIT sockets may exist; it adds no port." },
    { answers: ["widen-ip-local-port-range"], says: "More ports postpone exhaustion in proportion to the range while the rate stays what it is, and a wide range takes ports that services may need to bind later." },
  ],
});

export const EXERCISES_04: readonly Exercise<never>[] = [ex1, ex2, ex3, ex4];
