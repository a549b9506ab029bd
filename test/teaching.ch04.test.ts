/**
 * Chapter 04's teaching helpers (src/teaching/time-wait.ts), its exercises (04.1–04.4) and the
 * Node-side command helpers (src/teaching-node/commands.ts). Exact values throughout; the dump's
 * seed is printed in every failure message that depends on it.
 */
import { describe, expect, it } from "vitest";
import {
  diagnoseDump, notStates, parseSlabinfo, sickClientDump, timeWaitIntervals, timeWaitRstOutcomes, uniqCounts, DUMP_CAUSES,
  REMEDIES, TIME_WAIT_REMEDIES,
} from "../src/teaching/time-wait.js";
import { EXERCISES_04, EX04_1_OBSERVED, EX04_2_RANGE, EX04_2_RATE, EX04_DUMP_SEED, exercise04Dump } from "../src/exercises/catalog/ch04.js";
import { getExercise, judgeAnswer, resetTries, type Feedback } from "../src/exercises/index.js";
import { parseSs } from "../src/parse/ss.js";
import { simulatePopulation } from "../src/sim/population.js";
import { simulate } from "../src/sim/index.js";
import { PROFILES } from "../src/fsm/profiles.js";
import { sh, withOrphanedFinWait2 } from "../src/teaching-node/commands.js";

describe("sickClientDump", () => {
  const seed = 11;
  const d = sickClientDump({ seed });

  it(`holds what the population run holds one second after exhaustion (seed ${seed})`, () => {
    const pop = simulatePopulation({ rate: 2000, count: 2000 * 18, closer: "client", profile: "linux" });
    expect(d.exhaustedAt).toBe(pop.portsExhaustedAt);
    expect(d.exhaustedAt).toBeCloseTo(28232 / 2000, 6);
    expect(d.at).toBe(Math.ceil(28232 / 2000) + 1);
    expect(d.clientCounts).toEqual(pop.perSecond.find((s) => s.t === d.at)?.client);
    expect(d.clientCounts.TIME_WAIT).toBe(28232);
  });

  it(`is an ss -tanp dump the library's parser reads line for line (seed ${seed})`, () => {
    const lines = d.text.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^State\s+Recv-Q Send-Q\s+Local Address:Port\s+Peer Address:Port Process$/);
    const parsed = parseSs(d.text);
    expect(parsed.records).toHaveLength(lines.length - 1);
    expect(parsed.records.filter((r) => r.state === "TIME_WAIT")).toHaveLength(28232);
    // Every ephemeral port appears once; TIME_WAIT lines have no process, the others do.
    const ports = parsed.records.filter((r) => r.state === "TIME_WAIT").map((r) => r.local.port);
    expect(new Set(ports).size).toBe(28232);
    expect(Math.min(...(ports as number[]))).toBe(32768);
    expect(Math.max(...(ports as number[]))).toBe(60999);
    expect(parsed.records.filter((r) => r.state === "TIME_WAIT" && (r.processes?.length ?? 0) > 0)).toEqual([]);
    expect(parsed.records.filter((r) => r.state !== "TIME_WAIT").every((r) => (r.processes?.length ?? 0) > 0)).toBe(true);
  });

  it("is reproducible from its seed, and another seed only reorders it", () => {
    expect(sickClientDump({ seed }).text).toBe(d.text);
    const other = sickClientDump({ seed: seed + 1 });
    expect(other.text).not.toBe(d.text);
    expect(other.text.split("\n").sort()).toEqual(d.text.split("\n").sort());
  });

  it("refuses a rate at which the range never runs out", () => {
    expect(() => sickClientDump({ rate: 100 })).toThrow(/never runs out/);
  });
});

describe("diagnoseDump", () => {
  it(`finds the exhausted ports in the sick client's dump (seed ${EX04_DUMP_SEED})`, () => {
    const g = diagnoseDump(exercise04Dump().text);
    expect(g.cause).toBe("ephemeral-ports-exhausted");
    expect(g.ephemeralPortsHeld).toBe(28232);
    expect(g.rangeSize).toBe(28232);
    expect(g.topPeer).toEqual({ peer: "10.0.0.7:8080", sockets: 28232, byState: { TIME_WAIT: 28232 }, localPorts: 28232 });
    expect(g.evidence).toBe(
      "28232 of the 28232 ephemeral ports (32768–60999) are held; 28232 sockets go to 10.0.0.7:8080, 28232 of them in TIME_WAIT, " +
        "so connect() to that server finds no free local port (EADDRNOTAVAIL).",
    );
  });

  const header = "State      Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n";
  it("names a CLOSE_WAIT leak and a SYN backlog, and a quiet host as fine", () => {
    const cw = header + Array.from({ length: 5 }, (_, i) => `CLOSE-WAIT 12 0 10.0.0.7:8080 10.0.0.9:${40000 + i}`).join("\n") +
      "\nLISTEN 0 511 0.0.0.0:8080 0.0.0.0:*\n";
    expect(diagnoseDump(cw).cause).toBe("close-wait-leak");
    const syn = header + Array.from({ length: 4 }, (_, i) => `SYN-RECV 0 0 10.0.0.7:8080 10.0.0.9:${40000 + i}`).join("\n") + "\n";
    expect(diagnoseDump(syn).cause).toBe("syn-flood-or-full-backlog");
    const quiet = header + "ESTAB 0 0 10.0.0.5:22 10.0.0.1:51514\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n";
    expect(diagnoseDump(quiet)).toMatchObject({ cause: "nothing-wrong", sockets: 2, ephemeralPortsHeld: 0 });
  });

  it("judges against the range it is given", () => {
    const text = header + Array.from({ length: 20 }, (_, i) => `TIME-WAIT 0 0 10.0.0.5:${1000 + i} 10.0.0.7:80`).join("\n") + "\n";
    expect(diagnoseDump(text, [1000, 1019]).cause).toBe("ephemeral-ports-exhausted");
    expect(diagnoseDump(text, [1000, 1099]).cause).toBe("nothing-wrong");
  });
});

describe("counting one-liners", () => {
  it("finds netstat's header words in a uniq -c count, and none in ss's", () => {
    const netstat = "      1 Foreign\n      1 LISTEN\n    106 TIME_WAIT\n      1 established)\n";
    expect(uniqCounts(netstat).map((c) => [c.count, c.word, c.state])).toEqual([
      [1, "Foreign", undefined], [1, "LISTEN", "LISTEN"], [106, "TIME_WAIT", "TIME_WAIT"], [1, "established)", undefined],
    ]);
    expect(notStates(uniqCounts(netstat)).map((c) => c.word)).toEqual(["Foreign", "established)"]);
    expect(notStates(uniqCounts("      1 LISTEN\n    106 TIME-WAIT\n      3 ESTAB\n      2 SYN-RECV\n"))).toEqual([]);
    // An empty field (a line with fewer than six words) is no state either.
    expect(notStates(uniqCounts("      2 \n")).map((c) => c.count)).toEqual([2]);
  });
});

describe("timeWaitRstOutcomes (RFC 1337)", () => {
  it("a RST at RCV.NXT kills TIME_WAIT unless rfc1337 is on; Linux drops any other", () => {
    expect(timeWaitRstOutcomes("linux").map((r) => [r.rfc1337, r.event, r.next])).toEqual([
      [false, "RCV_RST", "CLOSED"], [false, "RCV_RST_IN_WINDOW", "TIME_WAIT"],
      [true, "RCV_RST", "TIME_WAIT"], [true, "RCV_RST_IN_WINDOW", "TIME_WAIT"],
    ]);
    const rfc = timeWaitRstOutcomes("rfc9293");
    expect(rfc.map((r) => r.next)).toEqual(["CLOSED", "TIME_WAIT", "TIME_WAIT", "TIME_WAIT"]);
    expect(rfc[2]?.ref).toBe("RFC 1337 §3");
    // The profile the simulator ships is untouched (rfc1337 stays Linux's default, off).
    expect(PROFILES.linux.rfc1337).toBe(false);
  });
});

describe("parseSlabinfo and timeWaitIntervals", () => {
  it("reads object sizes", () => {
    const text = "slabinfo - version: 2.1\n# name <active_objs> <num_objs> <objsize> …\n" +
      "tw_sock_TCP           80    144    256   16    1 : tunables    0    0    0 : slabdata      9      9      0\n" +
      "TCP                  105    156   2368   13    8 : tunables    0    0    0 : slabdata     12     12      0\n" +
      "TCPv6                 30     30   2560   12    8 : tunables    0    0    0 : slabdata      3      3      0\n";
    expect(parseSlabinfo(text)).toEqual([
      { name: "tw_sock_TCP", activeObjects: 80, objectSize: 256 },
      { name: "TCP", activeObjects: 105, objectSize: 2368 },
    ]);
    expect(parseSlabinfo(text, ["TCPv6"])).toEqual([{ name: "TCPv6", activeObjects: 30, objectSize: 2560 }]);
  });

  it("finds each stay in TIME_WAIT", () => {
    for (const profile of ["linux", "rfc9293"] as const) {
      const [stay, ...rest] = timeWaitIntervals(simulate("four-way-close", { profile }));
      expect(rest).toEqual([]);
      expect(stay?.endpoint).toBe("client");
      expect((stay?.leave ?? NaN) - (stay?.enter ?? NaN)).toBeCloseTo(PROFILES[profile].timeWait, 6);
    }
  });
});

describe("exercises 04.1–04.4", () => {
  const answer = async (id: string, raw: unknown): Promise<Feedback> => {
    resetTries(id);
    const f = await judgeAnswer(id, raw);
    resetTries(id);
    return f;
  };

  it("are four, numbered, with a diagnostic and a transfer one", () => {
    expect(EXERCISES_04.map((e) => getExercise((e as { id: string }).id).kind)).toEqual(["reasoning", "reasoning", "diagnostic", "transfer"]);
  });

  it("04.1 is L / W, and feedback simulates the learner's rate", async () => {
    expect(getExercise("04.1").solution).toBe(EX04_1_OBSERVED / 60);
    expect((await answer("04.1", 350)).message).toBe(
      "Right: Little's law read backwards: R = L / W = 21000 / 60 s = 350 per second (Linux TIME_WAIT is 60 s). " +
        "The population simulator at 350/s holds 21000 sockets in TIME_WAIT once steady.",
    );
    expect((await answer("04.1", 340)).correct).toBe(true);
    expect((await answer("04.1", 330)).correct).toBe(false);
    expect((await answer("04.1", 87.5)).misconception).toMatch(/4 minutes/);
    // A rate too high to simulate is answered by Little's law alone.
    expect((await answer("04.1", 1_260_000)).status).toBe("hint");
  });

  it("04.2 comes from the population simulator", async () => {
    const at = simulatePopulation({ rate: EX04_2_RATE, count: 70_000, closer: "client", portRange: EX04_2_RANGE }).portsExhaustedAt;
    expect(at).toBeCloseTo(41000 / 1500, 9);
    expect((await answer("04.2", 27.33)).correct).toBe(true);
    expect((await answer("04.2", 28)).correct).toBe(false);
    expect((await answer("04.2", null)).correct).toBe(false);
    expect((await answer("04.2", "soon")).status).toBe("invalid");
  });

  it("04.3 and 04.4: one right answer each, every other choice explained", async () => {
    for (const c of DUMP_CAUSES) expect((await answer("04.3", c)).correct, c).toBe(c === "ephemeral-ports-exhausted");
    for (const r of REMEDIES) {
      const f = await answer("04.4", r);
      expect(f.correct, r).toBe(r === "reuse-connections");
      if (r !== "reuse-connections") expect(f.misconception, r).toBeDefined();
    }
    const right = await answer("04.4", "reuse-connections");
    expect(right.message).toContain("widening the range to 1024–65535 at 2000/s runs out at 32.3 s instead of 14.1 s");
    expect(TIME_WAIT_REMEDIES["enable-tcp-tw-recycle"].effect).toMatch(/4\.12/);
  });
});

describe("teaching-node commands", () => {
  it("sh returns what a one-liner printed, failures included", () => {
    expect(sh("printf 'a\\nb\\n' | wc -l").trim()).toBe("2");
    expect(sh("echo out; echo err >&2; exit 3")).toBe("out\nerr\n");
  });

  it("holds an orphaned FIN_WAIT_2 minisocket with a timewait timer", async () => {
    const seen = await withOrphanedFinWait2(({ client, server }) => ({
      client: sh(`ss -Htano state fin-wait-2 '( sport = :${client} and dport = :${server} )'`),
      server: sh(`ss -Htan state close-wait '( sport = :${server} )'`),
    }));
    expect(seen.client).toMatch(/timer:\(timewait,\d+(\.\d+)?(sec|ms),0\)/);
    expect(seen.server.trim().split("\n")).toHaveLength(1);
  });
});
