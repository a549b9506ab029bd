/**
 * The monitor's pure parts on fixture data: the anomaly rules (each one firing and not
 * firing at its threshold), the JSON snapshot, durations, the series and the text view.
 * Fixtures are `ss -tanp` listings built line by line, read by the real ss parser.
 */
import { describe, expect, it } from "vitest";
import { STATES } from "../src/fsm/states.js";
import {
  ANOMALY_RULES,
  AgeTracker,
  DEFAULT_THRESHOLDS,
  StateSeries,
  buildSnapshot,
  connectionKey,
  parseDuration,
  renderView,
  resolveSource,
  type Sample,
  type SystemFacts,
} from "../src/monitor/index.js";
import { parseSs } from "../src/parse/ss.js";

const FACTS: SystemFacts = {
  platform: "linux",
  ephemeralPortRange: [32768, 60999],
  finTimeoutSec: 60,
  maxOrphans: 65536,
  maxSynBacklog: 512,
  sockstat: { inuse: 10, orphan: 3, tw: 0, alloc: 12, mem: 2 },
};

const HEADER = "State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process";

/** n ss lines produced by `make(i)`. */
function lines(n: number, make: (i: number) => string): string[] {
  return Array.from({ length: n }, (_, i) => make(i));
}

function sample(body: readonly string[]): Sample {
  const result = parseSs([HEADER, ...body].join("\n") + "\n", { source: "fixture" });
  expect(result.diagnostics).toEqual([]);
  return { source: "ss", origin: "fixture", takenAt: Date.UTC(2026, 0, 1), elapsedMs: 1, records: result.records, diagnostics: result.diagnostics };
}

const closeWait = (i: number, name = "java", pid = 4242, port = 8080): string =>
  `CLOSE-WAIT 1      0      10.0.0.1:${port}   10.0.0.9:${40000 + i} users:(("${name}",pid=${pid},fd=${100 + i}))`;
const timeWait = (i: number, firstPort = 40000, dest = "10.0.0.5:5432"): string =>
  `TIME-WAIT  0      0      10.0.0.1:${firstPort + i}   ${dest} timer:(timewait,${30 + (i % 29)}sec,0)`;
const finWait2 = (i: number, timer = ""): string => `FIN-WAIT-2 0      0      10.0.0.1:${50000 + i}   10.0.0.7:443 ${timer}`;
const synRecv = (i: number): string => `SYN-RECV   0      0      10.0.0.1:443   10.0.0.${(i % 200) + 1}:${30000 + i}`;

const ruleIds = (s: ReturnType<typeof buildSnapshot>): string[] => s.anomalies.map((a) => a.rule);

describe("the anomaly rule table", () => {
  it("is data: unique ids, a threshold key with a default, a reason for it, and one line for a learner", () => {
    const ids = ANOMALY_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(["close-wait-pileup", "time-wait-pileup", "fin-wait-2-stuck", "syn-rcvd-backlog", "orphans", "accept-queue-full"]);
    for (const rule of ANOMALY_RULES) {
      expect(DEFAULT_THRESHOLDS[rule.threshold], rule.id).toBeTypeOf("number");
      expect(rule.explanation, rule.id).not.toMatch(/\n/);
      expect(rule.explanation.length, rule.id).toBeGreaterThan(40);
      expect(rule.why.length, rule.id).toBeGreaterThan(40);
      if (rule.state) expect(STATES).toContain(rule.state);
    }
    // The lesson's thresholds, kept as defaults.
    expect(DEFAULT_THRESHOLDS.closeWait).toBe(100);
    expect(DEFAULT_THRESHOLDS.timeWait).toBe(1000);
  });
});

describe("CLOSE_WAIT pile-up", () => {
  it("fires above the threshold and names the process and port that hold them", () => {
    const s = buildSnapshot(sample([...lines(150, (i) => closeWait(i)), ...lines(3, (i) => closeWait(200 + i, "python3", 77, 9000))]), FACTS);
    expect(ruleIds(s)).toEqual(["close-wait-pileup"]);
    const a = s.anomalies[0]!;
    expect(a).toMatchObject({ state: "CLOSE_WAIT", value: 153, threshold: 100, severity: "warning" });
    expect(a.message).toBe("153 connections in CLOSE_WAIT (threshold 100)");
    expect(a.holders).toEqual(["java (pid 4242) on port 8080: 150", "python3 (pid 77) on port 9000: 3"]);
    expect(a.explanation).toContain("never called close()");
  });

  it("does not fire at exactly the threshold (more than 100, as the lesson says)", () => {
    expect(ruleIds(buildSnapshot(sample(lines(100, (i) => closeWait(i))), FACTS))).toEqual([]);
  });

  it("honours a configured threshold", () => {
    const s = buildSnapshot(sample(lines(20, (i) => closeWait(i))), FACTS, { thresholds: { closeWait: 10 } });
    expect(s.anomalies[0]).toMatchObject({ rule: "close-wait-pileup", value: 20, threshold: 10 });
  });
});

describe("TIME_WAIT pile-up", () => {
  it("fires above 1000 and reports the share of the ephemeral port range in use", () => {
    const s = buildSnapshot(sample(lines(1200, (i) => timeWait(i))), FACTS);
    expect(ruleIds(s)).toEqual(["time-wait-pileup"]);
    const a = s.anomalies[0]!;
    // 32768–60999 is 28,232 ports; 1,200 of them is 4.25%.
    expect(a.message).toBe(
      "1,200 connections in TIME_WAIT (threshold 1,000); 1,200 of 28,232 ephemeral ports 32768–60999 (4.25%) held in TIME_WAIT; most towards 10.0.0.5:5432 (4.25%)",
    );
    expect(a.holders).toEqual(["towards 10.0.0.5:5432: 1,200 ephemeral ports (4.25%)"]);
    expect(a.severity).toBe("warning");
  });

  it("fires below the count threshold when one destination uses half the port range", () => {
    const facts = { ...FACTS, ephemeralPortRange: [40000, 40999] as const };
    const s = buildSnapshot(sample(lines(500, (i) => timeWait(i))), facts);
    expect(s.anomalies[0]).toMatchObject({ rule: "time-wait-pileup", value: 500, severity: "warning" });
    const below = buildSnapshot(sample(lines(499, (i) => timeWait(i))), facts);
    expect(ruleIds(below)).toEqual([]);
    const critical = buildSnapshot(sample(lines(900, (i) => timeWait(i))), facts);
    expect(critical.anomalies[0]?.severity).toBe("critical");
  });

  it("server-side TIME_WAIT (local port outside the range) uses no ephemeral ports", () => {
    const serverSide = lines(1001, (i) => `TIME-WAIT  0      0      10.0.0.1:443   10.0.${i >> 8}.${i & 255}:51000`);
    const a = buildSnapshot(sample(serverSide), FACTS).anomalies[0]!;
    expect(a.message).toContain("0 of 28,232 ephemeral ports");
  });

  it("says when the port range is unknown", () => {
    const { ephemeralPortRange: _, ...noRange } = FACTS;
    const a = buildSnapshot(sample(lines(1001, (i) => timeWait(i))), noRange).anomalies[0]!;
    expect(a.message).toContain("ephemeral port range unknown");
  });
});

describe("FIN_WAIT_2 stuck past the orphan timeout", () => {
  it("in one snapshot, counts FIN_WAIT_2 held by an application (no orphan timer)", () => {
    const s = buildSnapshot(sample(lines(11, (i) => finWait2(i))), FACTS);
    expect(s.anomalies[0]).toMatchObject({ rule: "fin-wait-2-stuck", value: 11, threshold: 10 });
    expect(s.anomalies[0]!.message).toBe(
      "11 FIN_WAIT_2 held by an application (no orphan timer, so tcp_fin_timeout = 60 s does not apply); 0 orphaned and timing out (threshold 10)",
    );
  });

  it("orphaned FIN_WAIT_2 (timer:(timewait,…)) time out on their own and do not count", () => {
    const s = buildSnapshot(sample(lines(50, (i) => finWait2(i, "timer:(timewait,45sec,0)"))), FACTS);
    expect(ruleIds(s)).toEqual([]);
  });

  it("over time, counts only those seen for longer than tcp_fin_timeout", () => {
    const smp = sample(lines(12, (i) => finWait2(i)));
    const young = new Map(smp.records.map((r) => [connectionKey(r), 30_000]));
    expect(ruleIds(buildSnapshot(smp, FACTS, { ages: young }))).toEqual([]);
    const old = new Map(smp.records.map((r, i) => [connectionKey(r), i < 11 ? 61_000 : 1_000]));
    const a = buildSnapshot(smp, FACTS, { ages: old }).anomalies[0]!;
    expect(a).toMatchObject({ rule: "fin-wait-2-stuck", value: 11 });
    expect(a.message).toContain("11 FIN_WAIT_2 seen for longer than tcp_fin_timeout (60 s)");
  });
});

describe("SYN_RCVD backlog, orphans, accept queue", () => {
  it("SYN_RCVD above 100 fires and names the listening port", () => {
    const s = buildSnapshot(sample(lines(101, synRecv)), FACTS);
    expect(s.anomalies[0]).toMatchObject({ rule: "syn-rcvd-backlog", value: 101, severity: "warning" });
    expect(s.anomalies[0]!.message).toBe("101 connections in SYN_RCVD (threshold 100); tcp_max_syn_backlog is 512");
    expect(s.anomalies[0]!.holders).toEqual(["unknown process on port 443: 101"]);
    expect(ruleIds(buildSnapshot(sample(lines(100, synRecv)), FACTS))).toEqual([]);
  });

  it("orphans come from sockstat; unknown sockstat never fires", () => {
    const many = { ...FACTS, sockstat: { ...FACTS.sockstat!, orphan: 1500 } };
    const s = buildSnapshot(sample([]), many);
    expect(s.anomalies[0]).toMatchObject({ rule: "orphans", value: 1500 });
    expect(s.anomalies[0]!.message).toBe("1,500 orphaned sockets system-wide (threshold 1,000); tcp_max_orphans is 65,536 (2.29%)");
    const { sockstat: _, ...none } = FACTS;
    expect(ruleIds(buildSnapshot(sample([]), none))).toEqual([]);
  });

  it("a listener whose accept queue (Recv-Q) reached its backlog (Send-Q) fires", () => {
    const full = ["LISTEN     128    128    0.0.0.0:8080   0.0.0.0:*", "LISTEN     3      511    0.0.0.0:9090   0.0.0.0:*"];
    const s = buildSnapshot(sample(full), FACTS);
    expect(s.anomalies[0]).toMatchObject({ rule: "accept-queue-full", value: 1 });
    expect(s.anomalies[0]!.holders).toEqual(["0.0.0.0:8080: 128 of 128 waiting for accept()"]);
  });
});

describe("the JSON snapshot", () => {
  const body = [
    "LISTEN     0      511    0.0.0.0:8080   0.0.0.0:*  users:((\"java\",pid=4242,fd=3))",
    ...lines(150, (i) => closeWait(i)),
    ...lines(5, (i) => timeWait(i)),
    "ESTAB      0      0      10.0.0.1:8080   10.0.0.9:39999 users:((\"java\",pid=4242,fd=99))",
  ];

  it("has source, all 11 RFC states as counts keys, anomalies, per-port and per-process tables", () => {
    const json = JSON.parse(JSON.stringify(buildSnapshot(sample(body), FACTS)));
    expect(json.source).toBe("ss");
    expect(json.schema).toBe(1);
    expect(json.time).toBe("2026-01-01T00:00:00.000Z");
    expect(Object.keys(json.counts)).toEqual([...STATES]);
    expect(json.counts).toMatchObject({ LISTEN: 1, CLOSE_WAIT: 150, TIME_WAIT: 5, ESTABLISHED: 1, SYN_RCVD: 0 });
    expect(json.total).toBe(157);
    expect(json.timewaitSockets).toBe(5);
    expect(json.anomalies.map((a: { rule: string }) => a.rule)).toEqual(["close-wait-pileup"]);
    expect(json.byPort[0]).toEqual({ port: 8080, total: 152, counts: { LISTEN: 1, ESTABLISHED: 1, CLOSE_WAIT: 150 } });
    expect(json.byProcess).toEqual([{ pid: 4242, name: "java", total: 152, counts: { LISTEN: 1, ESTABLISHED: 1, CLOSE_WAIT: 150 } }]);
    expect(json.system.ephemeralPortRange).toEqual([32768, 60999]);
  });

  it("--port and --state filter the counts and the rules", () => {
    const byState = buildSnapshot(sample(body), FACTS, { filter: { state: "TIME_WAIT" } });
    expect(byState.total).toBe(5);
    expect(byState.counts.CLOSE_WAIT).toBe(0);
    expect(byState.anomalies).toEqual([]);
    const byPort = buildSnapshot(sample(body), FACTS, { filter: { port: 5432 } });
    expect(byPort.counts.TIME_WAIT).toBe(5);
    expect(byPort.total).toBe(5);
    expect(byPort.filter).toEqual({ port: 5432 });
  });
});

describe("durations", () => {
  it.each([
    ["1s", 1000],
    ["500ms", 500],
    ["2", 2000],
    ["1.5s", 1500],
    ["0.25", 250],
    ["2m", 120_000],
    ["1h", 3_600_000],
    [" 3 sec ", 3000],
  ])("%s is %i ms", (raw, ms) => {
    expect(parseDuration(raw)).toEqual({ ok: true, ms });
  });

  it.each(["", "abc", "1x", "-1s", "1s2", "s"])("%j is rejected with what was expected", (raw) => {
    const d = parseDuration(raw);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.error).toContain("expected a duration such as 1s, 500ms");
  });
});

describe("series and ages", () => {
  it("StateSeries keeps at most `capacity` points, oldest dropped", () => {
    const series = new StateSeries(3);
    const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<(typeof STATES)[number], number>;
    for (let i = 0; i < 5; i++) series.push(i, { ...counts, TIME_WAIT: i });
    expect(series.length).toBe(3);
    expect(series.values("TIME_WAIT")).toEqual([2, 3, 4]);
    expect(series.activeStates()).toEqual(["TIME_WAIT"]);
  });

  it("AgeTracker ages connections from first sight and forgets those that disappear", () => {
    const tracker = new AgeTracker();
    const one = sample([finWait2(1)]).records;
    const two = sample([finWait2(1), finWait2(2)]).records;
    tracker.update(one, 1000);
    const ages = tracker.update(two, 5000);
    expect([...ages.values()]).toEqual([4000, 0]);
    tracker.update([], 6000);
    expect([...tracker.update(one, 7000).values()]).toEqual([0]);
  });
});

describe("the text view", () => {
  it("shows every state, the busiest ports, the processes, the chart and the anomalies", () => {
    const smp = sample([...lines(150, (i) => closeWait(i)), ...lines(5, (i) => timeWait(i))]);
    const snap = buildSnapshot(smp, FACTS);
    const series = new StateSeries();
    series.push(1, { ...snap.counts, CLOSE_WAIT: 10 });
    series.push(2, snap.counts);
    const text = renderView(snap, series, { width: 100, intervalMs: 1000 });
    for (const st of STATES) expect(text).toContain(st);
    expect(text).toContain("source ss (fixture, 1 ms)  155 connections");
    expect(text).toContain("Busiest local ports");
    expect(text).toContain("java");
    expect(text).toContain("Counts over time (last 2 samples, every 1s)");
    expect(text).toContain("── CLOSE_WAIT");
    expect(text).toContain("! close-wait-pileup: 150 connections in CLOSE_WAIT (threshold 100)");
    expect(text).not.toMatch(/\x1b\[/);
    expect(renderView(snap, series, { color: true })).toMatch(/\x1b\[/);
  });

  it("fits a terminal's height by shrinking the tables and the chart, keeping the anomalies", () => {
    const busy = sample([
      ...lines(150, (i) => closeWait(i % 15, `app${i % 12}`, 1000 + (i % 12), 8000 + (i % 12))),
      ...lines(30, (i) => timeWait(i)),
    ]);
    const snap = buildSnapshot(busy, FACTS);
    const series = new StateSeries();
    for (let t = 0; t < 20; t++) series.push(t * 1000, { ...snap.counts, TIME_WAIT: t });
    const tall = renderView(snap, series, { width: 100 });
    expect(tall.split("\n").length).toBeGreaterThan(40);
    const fitted = renderView(snap, series, { width: 100, height: 40 });
    expect(fitted.split("\n").length).toBeLessThanOrEqual(40);
    expect(fitted).toContain("! close-wait-pileup");
    expect(fitted).toContain("Counts over time");
  });
});

describe("choosing a source", () => {
  it.each([
    ["auto", "linux", false, "proc"],
    ["auto", "linux", true, "ss"],
    ["auto", "darwin", false, "netstat-bsd"],
    ["auto", "freebsd", true, "netstat-bsd"],
    ["auto", "win32", false, "netstat-windows"],
    ["netstat", "linux", false, "netstat-linux"],
    ["ss", "linux", false, "ss"],
    ["proc", "linux", true, "proc"],
  ] as const)("%s on %s (processes %s) → %s", (choice, platform, processes, source) => {
    expect(resolveSource(choice, platform, processes)).toBe(source);
  });
});

describe("countStatesSsFile (chunked)", () => {
  it("gives the same counts as countStatesSs on the whole text, whatever the chunk size, with file line numbers", async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { countStatesSs } = await import("../src/parse/ss.js");
    const { countStatesSsFile } = await import("../src/monitor/index.js");
    const dir = mkdtempSync(join(tmpdir(), "monitor-count-"));
    try {
      const body = [
        HEADER,
        ...lines(40, (i) => timeWait(i)),
        "GARBAGE that is not a socket line",
        `ESTAB      0      0      [2001:db8::${"1:".repeat(30)}1]:443   10.0.0.9:40000`,
        ...lines(25, (i) => closeWait(i)),
        "LISTEN     0      511    0.0.0.0:8080   0.0.0.0:*",
      ];
      for (const trailingNewline of [true, false]) {
        const text = body.join("\n") + (trailingNewline ? "\n" : "");
        const file = join(dir, `ss-${trailingNewline}.txt`);
        writeFileSync(file, text);
        const whole = countStatesSs(text, { source: file });
        for (const chunkBytes of [64, 100, 333, 4096, 1 << 20]) {
          const r = countStatesSsFile(file, { chunkBytes });
          expect(r.counts, `chunk ${chunkBytes}`).toEqual(whole.counts);
          expect(r.total).toBe(whole.total);
          expect(r.lines.total).toBe(body.length);
          expect(r.bytes).toBe(Buffer.byteLength(text));
          expect(r.diagnostics.map((d) => [d.line, d.text])).toEqual(whole.diagnostics.map((d) => [d.line, d.text]));
          expect(r.diagnostics[0]?.line).toBe(42);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
