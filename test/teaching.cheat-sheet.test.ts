/**
 * Chapter 07's cheat sheet: the data's claims held to this machine where it can show them
 * (sysctl files, the netstat pipeline's header words, ss's header), and the renderers' shape.
 */
import { describe, expect, it } from "vitest";
import { execSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import {
  CHEAT_COMMANDS, CHEAT_MISCONCEPTIONS, CHEAT_SYSCTLS, SICK_SERVER_SS_TANP, SYSCTL_DIR, TIME_WAIT_LISTING, readSysctls,
  renderCommandsMarkdown, renderMisconceptionsMarkdown, renderSysctlsMarkdown, wordsThatAreNotStates,
} from "../src/teaching/cheat-sheet.js";
import { countByState } from "../src/parse/count.js";
import { parseSs } from "../src/parse/ss.js";
import { EXERCISES_07 } from "../src/exercises/catalog/ch07.js";
import { PURE_EXERCISES } from "../src/exercises/catalog/index.js";
import type { Assessment, Exercise } from "../src/exercises/engine.js";
import { simulate } from "../src/sim/simulate.js";
import type { SegmentRecord } from "../src/sim/trace.js";

const has = (cmd: string): boolean => {
  try {
    execSync(`command -v ${cmd}`, { stdio: "ignore", shell: "/bin/sh" });
    return true;
  } catch {
    return false;
  }
};

describe("the cheat sheet's data", () => {
  it("cites a source for every sysctl: ip-sysctl.rst and a kernel function, or the removing commit", () => {
    for (const s of CHEAT_SYSCTLS) {
      if (s.removed === true) expect(s.source, s.name).toMatch(/commit/);
      else expect(s.source, s.name).toMatch(/Documentation\/networking\/ip-sysctl\.rst; .*\w\(\)/);
    }
    expect(new Set(CHEAT_SYSCTLS.map((s) => s.name)).size).toBe(CHEAT_SYSCTLS.length);
  });

  it("names every sysctl the brief asks for, and says tcp_fin_timeout is not TIME_WAIT", () => {
    const names = CHEAT_SYSCTLS.map((s) => s.name);
    for (const n of ["tcp_fin_timeout", "tcp_tw_reuse", "tcp_tw_recycle", "tcp_max_tw_buckets", "ip_local_port_range", "ip_local_reserved_ports",
      "tcp_rfc1337", "tcp_keepalive_time", "tcp_keepalive_intvl", "tcp_keepalive_probes", "tcp_orphan_retries", "tcp_max_orphans"]) {
      expect(names).toContain(n);
    }
    const fin = CHEAT_SYSCTLS.find((s) => s.name === "tcp_fin_timeout")!;
    expect(fin.effect).toMatch(/orphaned FIN_WAIT_2/);
    expect(fin.notEffect).toMatch(/does not shorten TIME_WAIT/);
    expect(CHEAT_SYSCTLS.find((s) => s.name === "tcp_max_tw_buckets")!.effect).toContain("TcpExtTCPTimeWaitOverflow");
  });

  it.skipIf(!existsSync(SYSCTL_DIR))("matches this machine: every live sysctl exists, tcp_tw_recycle does not", () => {
    const live = readSysctls((p) => readFileSync(p, "utf8"));
    for (const s of CHEAT_SYSCTLS) {
      if (s.removed === true) expect(live[s.name], s.name).toBeNull();
      else expect(live[s.name], s.name).not.toBeNull();
    }
    console.log("sysctls read here:", JSON.stringify(live));
  });

  it("reads a missing file as null and squeezes whitespace", () => {
    const live = readSysctls((p) => {
      if (p.endsWith("/ip_local_port_range")) return "32768\t60999\n";
      throw new Error("ENOENT");
    });
    expect(live["ip_local_port_range"]).toBe("32768 60999");
    expect(live["tcp_fin_timeout"]).toBeNull();
  });

  it.skipIf(!has("netstat"))("is right that the netstat pipeline counts header words, and the ss one does not", () => {
    const bad = execSync("netstat -ant | awk '{print $6}' | sort | uniq -c", { encoding: "utf8", shell: "/bin/sh" });
    const words = wordsThatAreNotStates(bad).map((w) => w.word).sort();
    expect(words).toEqual(["Foreign", "established)"]);
    const good = execSync("ss -tan | awk 'NR>1{print $1}' | sort | uniq -c", { encoding: "utf8", shell: "/bin/sh" });
    expect(wordsThatAreNotStates(good)).toEqual([]);
  });

  it("has ss's header on the first line of the TIME_WAIT listing, so wc -l counts one too many", () => {
    const rows = parseSs(TIME_WAIT_LISTING, { state: "TIME_WAIT" });
    expect(rows.records).toHaveLength(TIME_WAIT_LISTING.trimEnd().split("\n").length - 1);
    expect(rows.diagnostics).toEqual([]);
  });

  it("gives a sick-server dump that parses cleanly, with more TIME_WAIT than CLOSE_WAIT", () => {
    const parsed = parseSs(SICK_SERVER_SS_TANP);
    expect(parsed.diagnostics).toEqual([]);
    const counts = countByState(parsed.records);
    expect(counts).toMatchObject({ LISTEN: 2, ESTABLISHED: 6, TIME_WAIT: 9, CLOSE_WAIT: 5 });
    expect(parsed.records.filter((r) => r.state === "CLOSE_WAIT").every((r) => (r.recvQ ?? 0) > 0 && r.processes?.[0]?.pid === 4242)).toBe(true);
  });

  it("points every misconception at a chapter that exists", () => {
    for (const m of CHEAT_MISCONCEPTIONS) expect(existsSync(`notebooks/${m.chapter}`), m.chapter).toBe(true);
    expect(CHEAT_MISCONCEPTIONS.length).toBeGreaterThanOrEqual(9);
  });
});

describe("the renderers", () => {
  it("renders one list item per command, pitfalls marked", () => {
    const md = renderCommandsMarkdown();
    expect(md.split("\n")).toHaveLength(CHEAT_COMMANDS.length);
    expect(md).toContain("- `ss -Htan state time-wait | wc -l`: ");
    expect(md).toContain("- **Pitfall:** `netstat -ant | awk '{print $6}' | sort | uniq -c`");
  });

  it("renders the sysctls as a table, with a live column only when given values", () => {
    const plain = renderSysctlsMarkdown().split("\n");
    expect(plain).toHaveLength(CHEAT_SYSCTLS.length + 2);
    expect(plain[0]).toBe("| sysctl (net.ipv4.) | default | what it really does | source |");
    const live = renderSysctlsMarkdown({ tcp_fin_timeout: "30", tcp_tw_recycle: null, ip_local_reserved_ports: "" }).split("\n");
    expect(live[0]).toContain("| here |");
    expect(live.find((l) => l.startsWith("| `tcp_fin_timeout`"))).toContain("| `30` |");
    expect(live.find((l) => l.startsWith("| `tcp_tw_recycle`"))).toContain("| (no such file) |");
    expect(live.find((l) => l.startsWith("| `ip_local_reserved_ports`"))).toContain("| (empty) |");
    expect(live.find((l) => l.startsWith("| `tcp_rfc1337`"))).toContain("| not read |");
    // Every row has as many cells as the header: no unescaped | in the data.
    for (const row of live) expect(row.replace(/\\\|/g, "").split("|").length, row).toBe(7);
  });

  it("renders each misconception with its correction and a link to its chapter", () => {
    const md = renderMisconceptionsMarkdown();
    expect(md.match(/^- ✗ /gm)).toHaveLength(CHEAT_MISCONCEPTIONS.length);
    expect(md.match(/^ {2}✓ /gm)).toHaveLength(CHEAT_MISCONCEPTIONS.length);
    expect(md).toContain("[chapter 04](04-time-wait.ipynb)");
  });
});

describe("chapter 07's self-test", () => {
  it("has at least ten exercises, numbered in order, with at least one diagnostic or transfer", () => {
    const ids = EXERCISES_07.map((e) => (e as { id: string }).id);
    expect(ids.length).toBeGreaterThanOrEqual(10);
    expect(ids).toEqual(ids.map((_, i) => `07.${i + 1}`));
    expect(EXERCISES_07.some((e) => ["diagnostic", "transfer"].includes((e as { kind: string }).kind))).toBe(true);
  });

  const byId = (id: string): Exercise<unknown> => {
    const e = EXERCISES_07.find((x) => (x as { id: string }).id === id);
    if (!e) throw new Error(`no ${id}`);
    return e as unknown as Exercise<unknown>;
  };
  const judge = (e: Exercise<unknown>, answer: unknown): Assessment => e.judge(answer) as Assessment;

  it("every solution is judged right, and every misconception's answers wrong, by the library", () => {
    for (const raw of EXERCISES_07) {
      const e = raw as unknown as Exercise<unknown>;
      expect(judge(e, e.solution).correct, `${e.id} solution`).toBe(true);
      for (const m of e.misconceptions) for (const a of m.answers) expect(judge(e, a).correct, `${e.id} ${JSON.stringify(a)}`).toBe(false);
    }
  });

  it("no misconception text names the answer (each explains its own belief, without eliminating the others)", () => {
    for (const raw of EXERCISES_07) {
      const e = raw as unknown as Exercise<unknown>;
      if (typeof e.solution !== "string") continue;
      for (const m of e.misconceptions) expect(m.says, `${e.id} ${JSON.stringify(m.answers)}`).not.toMatch(new RegExp(`\\b${e.solution.replace(/[-]/g, "\\-")}\\b`));
    }
  });

  it("repeats no earlier chapter's question", () => {
    const earlier = PURE_EXERCISES.filter((e) => !e.id.startsWith("07.")).map((e) => e.question.toLowerCase());
    for (const raw of EXERCISES_07) {
      const q = (raw as { question: string }).question.toLowerCase();
      expect(earlier, (raw as { id: string }).id).not.toContain(q);
    }
    // The four the audit found repeated (03.1, 02.2, 00.1, 02.1) are gone: no 07 question is about
    // the simultaneous close's TIME_WAIT, FIN_WAIT_1 on FIN+ACK, the half-close's closed direction,
    // or the three-way close's segment count.
    const all = EXERCISES_07.map((e) => (e as { question: string }).question).join("\n");
    for (const gone of ["simultaneous-close", "three-way-close", "half-close preset", "FIN_WAIT_1 receives", "EADDRNOTAVAIL"]) expect(all).not.toContain(gone);
  });

  it("07.1: the client's state when the retransmitted FIN arrives is read from the simulator", () => {
    const t = simulate("lost-final-ack", { profile: "linux" });
    const fin = t.events.find((e): e is SegmentRecord => e.type === "segment" && e.from === "server" && e.flags.includes("FIN") && e.retransmission);
    expect(fin?.arrives).toBeGreaterThan(0);
    const before = t.events.filter((e) => e.type === "state" && e.endpoint === "client" && e.t < (fin?.arrives ?? 0));
    const last = before.at(-1);
    expect(last?.type === "state" && last.to).toBe("TIME_WAIT");
    expect(judge(byId("07.1"), "TIME_WAIT").explanation).toContain(`arrives at ${(fin?.arrives ?? 0).toFixed(2)} s`);
  });

  it("07.3: the FIN copies are counted in the lost-fin trace (one dropped, one retransmitted)", () => {
    const t = simulate("lost-fin", { profile: "linux" });
    const fins = t.events.filter((e): e is SegmentRecord => e.type === "segment" && e.from === "client" && e.flags.includes("FIN"));
    expect(fins.map((f) => [f.dropped, f.retransmission])).toEqual([[true, false], [false, true]]);
    expect(judge(byId("07.3"), fins.length).correct).toBe(true);
  });

  it("07.7: the overflow rate is the closing rate minus what expiry frees (buckets / TIME_WAIT length)", () => {
    const e = byId("07.7");
    expect(e.solution).toBe(500 - 6000 / 60);
    expect(judge(e, 400).correct).toBe(true);
    expect(judge(e, 400).explanation).toContain("6000 / 60 s = 100.0 sockets expire per second");
    for (const wrong of [0, 500, 100, 30000]) expect(judge(e, wrong).correct, String(wrong)).toBe(false);
  });

  it("07.12: connect() to a closed port is ECONNREFUSED, from the table and the errno table", () => {
    const r = judge(byId("07.12"), "ECONNREFUSED");
    expect(r.correct).toBe(true);
    expect(r.explanation).toContain("SYN_SENT to CLOSED");
    expect(r.explanation).toContain("The SYN was answered by a RST");
  });
});
