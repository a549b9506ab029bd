/**
 * Chapter 06's lesson helpers (src/monitor/lesson.ts), its exercises (src/exercises/catalog/ch06.ts)
 * and the notebook's shape: spellings against RFC 9293 §3.3.2 and the tools, the seeded sick-host
 * dumps judged by the monitor's own parser and rules, and cells that read as steps.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { STATES } from "../src/fsm/states.js";
import { parseSs } from "../src/parse/ss.js";
import { countByState } from "../src/parse/count.js";
import { joinText, parseNotebook } from "../src/notebook/nbformat.js";
import { getExercise, judgeAnswer, resetTries, type Feedback } from "../src/exercises/index.js";
import { EXERCISES_06 } from "../src/exercises/catalog/ch06.js";
import {
  RFC_STATE_SPELLING, closeWaitHolders, lessonCount, linesOnPort, nonZeroCounts, renderCountColumns, renderSpellingTable,
  renderTraceVsPolling, rulesDump, rulesOnDump, sickServerDump, spellingRows, statesSpelledAsRfc,
} from "../src/monitor/lesson.js";
import type { TraceRecord } from "../src/trace/records.js";

const SEEDS = Array.from({ length: 25 }, (_, i) => i + 1);

describe("spellings (F1, P11)", () => {
  it("RFC 9293 §3.3.2 hyphenates; the library's names are BSD's", () => {
    expect(RFC_STATE_SPELLING.SYN_RCVD).toBe("SYN-RECEIVED");
    expect(RFC_STATE_SPELLING.FIN_WAIT_1).toBe("FIN-WAIT-1");
    for (const s of STATES) expect(RFC_STATE_SPELLING[s], s).not.toContain("_");
    expect(spellingRows().filter((r) => r.bsd !== r.state)).toEqual([]);
  });

  it("ss matches the RFC for 8 of 11 states, differing for ESTAB, SYN-RECV, UNCONN", () => {
    const same = statesSpelledAsRfc("ss");
    expect(same).toHaveLength(8);
    expect(STATES.filter((s) => !same.includes(s))).toEqual(["CLOSED", "SYN_RCVD", "ESTABLISHED"]);
    const rows = spellingRows();
    expect(rows.find((r) => r.state === "ESTABLISHED")?.ss).toBe("ESTAB");
    expect(rows.find((r) => r.state === "FIN_WAIT_1")?.netstatLinux).toBe("FIN_WAIT1");
    expect(rows.find((r) => r.state === "SYN_RCVD")?.netstatLinux).toBe("SYN_RECV");
  });

  it("the teaching table leaves out the kernel-internal spellings no tool prints", () => {
    const table = renderSpellingTable();
    expect(table).not.toMatch(/NEW-SYN-RECV|\b0C\b/);
    expect(table.split("\n")).toHaveLength(1 + STATES.length);
    expect(spellingRows().find((r) => r.state === "SYN_RCVD")).toMatchObject({ ss: "SYN-RECV", proc: "03" });
  });
});

describe("the lesson's substring count", () => {
  it("finds nothing in ss output but LISTEN; the parser finds everything", () => {
    const text = readFileSync("test/fixtures/parse/linux-ss-tan.txt", "utf8");
    const parsed = countByState(parseSs(text).records);
    const lesson = lessonCount(text);
    expect(lesson["TIME_WAIT"]).toBe(0);
    expect(lesson["ESTABLISHED"]).toBe(0);
    expect(lesson["LISTEN"]).toBe(parsed.LISTEN);
    expect(parsed.ESTABLISHED + parsed.TIME_WAIT).toBeGreaterThan(0);
  });

  it("linesOnPort keeps the header and lines naming the port as a whole port", () => {
    const text = "State Recv-Q\nESTAB 0 0 127.0.0.1:80 127.0.0.1:5\nESTAB 0 0 127.0.0.1:8080 127.0.0.1:6\nESTAB 0 0 1.2.3.4:7 127.0.0.1:80";
    expect(linesOnPort(text, 80)).toEqual(["State Recv-Q", "ESTAB 0 0 127.0.0.1:80 127.0.0.1:5", "ESTAB 0 0 1.2.3.4:7 127.0.0.1:80"]);
    expect(linesOnPort(text, 80, { header: false })).toHaveLength(2);
  });

  it("formats counts", () => {
    expect(nonZeroCounts({ LISTEN: 1, ESTABLISHED: 6 })).toBe("LISTEN 1, ESTABLISHED 6");
    expect(nonZeroCounts({})).toBe("none");
    expect(renderCountColumns({ a: { LISTEN: 1 }, b: { TIME_WAIT: 12 } })).toBe(
      ["state             a      b", "LISTEN            1      0", "TIME_WAIT         0     12"].join("\n"),
    );
  });
});

describe("trace against polling", () => {
  const tr = (from: string, to: string, inState: number | null, local = "127.0.0.1:5000", remote = "127.0.0.1:80"): TraceRecord =>
    ({ type: "transition", t: 0, local, remote, from, to, pid: 1, comm: "x", inState, source: "tracepoint" }) as TraceRecord;

  it("counts entries, the longest stay and the ends polling caught", () => {
    const traced = [tr("CLOSED", "SYN_SENT", null), tr("SYN_SENT", "ESTABLISHED", 0.00005), tr("ESTABLISHED", "FIN_WAIT_1", 0.1), tr("ESTABLISHED", "CLOSE_WAIT", 0.25)];
    const seen = new Map([["client 5000", new Set(["ESTABLISHED"] as const)], ["server 5000", new Set(["ESTABLISHED", "CLOSE_WAIT"] as const)]]);
    expect(renderTraceVsPolling(traced, seen).split("\n")).toEqual([
      "state         entered (trace)  longest stay (trace)  caught by polling",
      "SYN_SENT                    1                  50µs                  0",
      "ESTABLISHED                 1               250.0ms                  2",
      "FIN_WAIT_1                  1                     -                  0",
      "CLOSE_WAIT                  1                     -                  1",
    ]);
    expect(renderTraceVsPolling(null, seen).split("\n")[1]).toBe("ESTABLISHED                 -                     -                  2");
  });
});

describe("sickServerDump (exercises 06.2, 06.3)", () => {
  it("is deterministic per seed", () => {
    expect(sickServerDump(6).text).toBe(sickServerDump(6).text);
    expect(sickServerDump(6).text).not.toBe(sickServerDump(5).text);
  });

  it.each(SEEDS)("seed %i: parses cleanly; the leak, the full accept queue, nothing else fires", (seed) => {
    const dump = sickServerDump(seed);
    const parsed = parseSs(dump.text);
    expect(parsed.diagnostics, `seed ${seed}`).toEqual([]);
    expect(parsed.lines?.records, `seed ${seed}`).toBe(dump.text.trimEnd().split("\n").length - 1);
    const leaker = dump.processes.find((p) => p.role === "leaks-close-wait");
    const top = closeWaitHolders(dump.text);
    expect(top, `seed ${seed}`).toHaveLength(1);
    expect(top[0]?.pid, `seed ${seed}`).toBe(leaker?.pid);
    expect(top[0]?.count, `seed ${seed}`).toBeGreaterThanOrEqual(300);
    expect(top[0]?.unread, `seed ${seed}: most with Recv-Q > 0`).toBeGreaterThan((top[0]?.count ?? 0) / 2);
    const { anomalies } = rulesOnDump({ text: dump.text, facts: { platform: "linux" }, thresholds: {} });
    expect(anomalies.map((a) => a.rule), `seed ${seed}`).toEqual(["close-wait-pileup", "accept-queue-full"]);
    expect(anomalies[1]?.holders, `seed ${seed}`).toEqual(["0.0.0.0:8000: 17 of 16 waiting for accept()"]);
    expect(new Set(dump.processes.map((p) => p.pid)).size, `seed ${seed}: distinct pids`).toBe(dump.processes.length);
  });
});

describe("rulesDump (exercise 06.4)", () => {
  it.each(SEEDS)("seed %i: only the TIME_WAIT rule fires, by port share, below the count threshold", (seed) => {
    const dump = rulesDump(seed);
    const { counts, anomalies } = rulesOnDump(dump);
    expect(parseSs(dump.text).diagnostics, `seed ${seed}`).toEqual([]);
    expect(anomalies.map((a) => a.rule), `seed ${seed}`).toEqual(["time-wait-pileup"]);
    expect(counts.TIME_WAIT, `seed ${seed}`).toBeLessThan(1000);
    expect(counts.FIN_WAIT_2, `seed ${seed}: more than the FIN_WAIT_2 threshold, most orphaned`).toBeGreaterThan(10);
    expect(counts.CLOSE_WAIT, `seed ${seed}`).toBeLessThanOrEqual(100);
  });
});

describe("chapter 06's exercises", () => {
  it("are 06.1–06.4, at least one diagnostic", () => {
    expect(EXERCISES_06.map((e) => (e as { id: string }).id)).toEqual(["06.1", "06.2", "06.3", "06.4"]);
    expect(["06.2", "06.3", "06.4"].map((id) => getExercise(id).kind)).toEqual(["diagnostic", "diagnostic", "diagnostic"]);
  });

  it("06.1: net-tools' spellings defeat the underscore names in exactly four states", async () => {
    resetTries("06.1");
    const right = (await judgeAnswer("06.1", ["FIN_WAIT_2", "closed", "SYN-RECV", "FIN_WAIT_1"])) as Feedback;
    expect(right.status).toBe("right");
    expect(((await judgeAnswer("06.1", ["CLOSED", "SYN_RCVD", "FIN_WAIT_1"])) as Feedback).status).toBe("hint");
    resetTries("06.1");
  });

  it("06.2: the pid that holds the CLOSE_WAIT sockets, not nginx, python3 or the other node", async () => {
    const dump = sickServerDump(6);
    const pid = (role: string) => dump.processes.find((p) => p.role === role)?.pid;
    expect(getExercise("06.2").solution).toBe(pid("leaks-close-wait"));
    for (const role of ["closed-first", "accept-queue-full"]) {
      resetTries("06.2");
      const f = (await judgeAnswer("06.2", pid(role))) as Feedback;
      expect(f.status, role).toBe("hint");
      expect(f.misconception, role).toBeDefined();
    }
    resetTries("06.2");
  });

  it("06.3: only close() leaves CLOSE_WAIT; 'the kernel will time them out' is a named misconception", async () => {
    resetTries("06.3");
    const f = (await judgeAnswer("06.3", "nothing-kernel-times-out")) as Feedback;
    expect(f.status).toBe("hint");
    expect(f.misconception).toMatch(/side that closed first/);
    resetTries("06.3");
    const r = (await judgeAnswer("06.3", "close-on-eof")) as Feedback;
    expect(r.message).toMatch(/CLOSE → LAST_ACK/);
    expect(r.message).toMatch(/keepalive/);
  });

  it("06.4: judged by running the rules", async () => {
    resetTries("06.4");
    expect(((await judgeAnswer("06.4", ["time-wait-pileup"])) as Feedback).status).toBe("right");
    resetTries("06.4");
    expect(((await judgeAnswer("06.4", [])) as Feedback).status).toBe("hint");
    resetTries("06.4");
  });
});

describe("notebook 06 reads as steps", () => {
  const parsed = parseNotebook(readFileSync("notebooks/06-lifecycle-monitor.ipynb", "utf8"), "06");
  if (!parsed.ok) throw new Error(parsed.error);
  const cells = parsed.notebook.cells;
  const code = cells.filter((c) => c.cell_type === "code").map((c) => joinText(c.source));
  const prose = cells.filter((c) => c.cell_type === "markdown").map((c) => joinText(c.source)).join("\n");

  it("no helper functions or type predicates in cells; no cell longer than 40 lines", () => {
    for (const src of code) {
      expect(src).not.toMatch(/\bfunction\s+\w+\s*\(/);
      expect(src).not.toMatch(/\)\s*:\s*\w+\s+is\s+\w+/);
      expect(src.split("\n").length, src.slice(0, 60)).toBeLessThanOrEqual(40);
    }
    expect(code.join("\n").split("\n").length).toBeLessThan(233);
  });

  it("corrections are Common misconception callouts; the state names are not called the RFC's", () => {
    expect(prose).not.toMatch(/original lesson/i);
    expect(prose).toMatch(/^> \*\*Common misconception:\*\*/m);
    expect(prose).not.toMatch(/written the RFC way|spelt the RFC way/);
    expect(prose).toMatch(/RFC 9293 §3\.3\.2/);
    expect(prose).not.toMatch(/Four lines are ours/);
  });

  it("each exercise's question is in bold in the markdown cell above it", () => {
    cells.forEach((c, i) => {
      const ex = (c.metadata as Record<string, unknown>)["exercise"] as { id?: string } | undefined;
      if (!ex?.id) return;
      const above = cells[i - 1];
      expect(above?.cell_type).toBe("markdown");
      expect(joinText(above?.source ?? "")).toContain(`**Exercise ${ex.id} ·`);
    });
  });
});
