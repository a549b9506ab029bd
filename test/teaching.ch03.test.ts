import { describe, expect, it } from "vitest";
import { decide, EVENT_LABELS } from "../src/fsm/index.js";
import { renderPathDiagram, typicalPath, TYPICAL_PATH_EVENTS } from "../src/render/path-diagram.js";
import { arrivalVerdict, renderJudgedMarkdown, resetRuleLines } from "../src/render/fsm-markdown.js";
import { getExercise, judgeAnswer, resetTries } from "../src/exercises/index.js";
import { averageBlindRsts, judgeRst, resettingNumbers, rstPosition, sweepReplies } from "../src/exercises/catalog/ch03.js";
import { runScript } from "../src/packetdrill/index.js";

describe("typical paths (chapter 03)", () => {
  it("walks the client and server paths through the table", () => {
    const states = (side: "client" | "server") => {
      const p = typicalPath(side);
      return [p[0]!.from, ...p.map((s) => s.to)];
    };
    expect(states("client")).toEqual(["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"]);
    expect(states("server")).toEqual(["CLOSED", "LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"]);
  });

  it("labels every edge 'event / sent' exactly as decide() says (change-detecting)", () => {
    for (const side of ["client", "server"] as const) {
      const steps = typicalPath(side);
      steps.forEach((s, i) => {
        const spec = TYPICAL_PATH_EVENTS[side][i]!;
        const o = decide(s.from, spec.event, "rfc9293", spec.flags ?? {}).outcome;
        if (o.kind !== "transition") throw new Error("not a transition");
        expect(s.to).toBe(o.next);
        expect(s.label).toBe(`${EVENT_LABELS[spec.event]} / ${o.send.length ? o.send.join("+") : "—"}`);
      });
      const svg = renderPathDiagram(side);
      for (const s of steps) {
        expect(svg).toContain(`data-from="${s.from}" data-to="${s.to}" data-event="${s.event}"`);
        expect(svg).toContain(`>${s.label.replace(/&/g, "&amp;")}</text>`);
      }
      expect(svg.match(/ data-state="/g)).toHaveLength(steps.length + 1);
      expect(renderPathDiagram(side)).toBe(svg);
    }
    expect(typicalPath("client").map((s) => s.label)).toEqual([
      "active OPEN / SYN", "rcv SYN+ACK / ACK", "CLOSE / FIN", "rcv ACK of FIN / —", "rcv FIN / ACK", "2MSL timeout / —",
    ]);
    expect(typicalPath("server").map((s) => s.label)).toEqual([
      "passive OPEN / —", "rcv SYN / SYN+ACK", "rcv ACK / —", "rcv FIN / ACK", "CLOSE / FIN", "rcv ACK of FIN / —",
    ]);
  });
});

describe("RST verdicts", () => {
  const ACCEPTED = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535
+0 > S. 0:0(0) ack 1
+0.1 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
`;
  it("names the three fates of a RST from a script's judged lines", () => {
    const r = runScript(ACCEPTED + `+0.1 < R. 70001:70001(0) ack 1 win 65535
+0.1 < R. 1001:1001(0) ack 1 win 65535
+0 > . 1:1(0) ack 1
+0.1 < R 1:1(0) win 0
`, { profile: "linux" });
    if (r.ok !== true) throw new Error("parse");
    expect(r.run.passed).toBe(true);
    expect(r.run.judged.map(arrivalVerdict)).toEqual(["accepted", "accepted", "dropped", "challenge ACK", "reset"]);
    const md = renderJudgedMarkdown(r.run.judged);
    expect(md).toContain("| 8 | R. | ESTABLISHED | beyond the window | rst-outside | rcv RST, unacceptable | — | ESTABLISHED | dropped |");
    expect(md).toContain("| 11 | R | ESTABLISHED | at RCV.NXT | rst-exact | rcv RST | — | CLOSED | reset |");
  });

  it("says a segment no connection takes is answered with a RST", () => {
    expect(arrivalVerdict({ state: "CLOSED", events: ["RCV_FIN"], next: "CLOSED", replies: ["RST"] })).toBe("answered with RST");
    expect(arrivalVerdict({ state: "ESTABLISHED", events: ["RCV_UNACCEPTABLE"], next: "ESTABLISHED", replies: ["ACK"] })).toBe("dropped, ACK sent");
    expect(arrivalVerdict({ state: "ESTABLISHED", events: ["RCV_SYN"], next: "ESTABLISHED", replies: ["ACK"] })).toBe("challenge ACK");
  });

  it("judges single RSTs with the checks and the table", () => {
    expect(rstPosition(5001, 65535, 5000)).toBe("before");
    expect(rstPosition(5001, 65535, 5001 + 65535)).toBe("edge");
    expect(judgeRst("ESTABLISHED", "inside", "linux").verdict).toBe("challenge-ack");
    expect(judgeRst("ESTABLISHED", "inside", "linux", false).verdict).toBe("reset");
    expect(judgeRst("ESTABLISHED", "edge", "linux").verdict).toBe("challenge-ack");
    expect(judgeRst("ESTABLISHED", "edge", "rfc9293").verdict).toBe("dropped");
    expect(resettingNumbers(65536, "rfc9293", true)).toBe(1);
    expect(resettingNumbers(65536, "rfc9293", false)).toBe(65536);
    expect(averageBlindRsts(65536, "rfc9293", false).average).toBe(32768.5);
    expect(averageBlindRsts(65536, "rfc9293", true).average).toBe(2 ** 31 + 0.5);
    expect(sweepReplies()).toEqual({ rsts: 65538, inWindow: 1, replies: 1, resets: 0 });
  });

  it("keeps the grouped RST rules the chapter prints", () => {
    const lines = resetRuleLines();
    expect(lines).toContain("SYN_RCVD: RCV_RST → LISTEN [if passiveOpen]  (§3.10.7.4 second)");
    expect(lines.some((l) => l.startsWith("CLOSED: RCV_SYN, RCV_SYN_ACK, RCV_ACK, RCV_FIN, RCV_DATA, RCV_NO_ACK → CLOSED sends RST"))).toBe(true);
  });
});

describe("chapter 03 exercises", () => {
  it("has four, at least one diagnostic or transfer, each solvable by its own solution", () => {
    const ids = ["03.1", "03.2", "03.3", "03.4"];
    for (const id of ids) {
      const e = getExercise(id);
      resetTries(id);
      const f = judgeAnswer(id, e.solution);
      if (f instanceof Promise) throw new Error("sync");
      expect(f.status, id).toBe("right");
      expect(f.message).toMatch(/^Right: /);
    }
    expect(ids.some((id) => ["diagnostic", "transfer"].includes(getExercise(id).kind))).toBe(true);
  });

  it("gives misconception-specific feedback without the answer, then the answer", () => {
    resetTries("03.2");
    const first = judgeAnswer("03.2", ["dropped", "dropped", "reset", "reset"]);
    if (first instanceof Promise) throw new Error("sync");
    expect(first.status).toBe("hint");
    expect(first.message).toContain("RFC 793's rule");
    expect(first.message).not.toContain("challenge-ack");
    const second = judgeAnswer("03.2", ["reset", "reset", "reset", "reset"]);
    if (second instanceof Promise) throw new Error("sync");
    expect(second.status).toBe("answer");
    expect(second.message).toContain('["dropped","dropped","challenge-ack","reset"]');
  });

  it("explains the simultaneous close without a 'first FIN' rule", () => {
    resetTries("03.1");
    const f = judgeAnswer("03.1", ["client", "server"]);
    if (f instanceof Promise) throw new Error("sync");
    expect(f.correct).toBe(true);
    expect(f.message).toContain("FIN_WAIT_1 → CLOSING → TIME_WAIT");
    expect(f.message).not.toMatch(/first FIN/);
    for (const m of getExercise("03.1").misconceptions) expect(m.says).not.toMatch(/first FIN/);
  });

  it("computes the attacker's averages and counts the sweep's replies", () => {
    resetTries("03.3");
    const f = judgeAnswer("03.3", [32768, 2147483648]);
    if (f instanceof Promise) throw new Error("sync");
    expect(f.correct).toBe(true);
    expect(f.message).toContain("65,536 times as many");
    resetTries("03.4");
    const g = judgeAnswer("03.4", 65538);
    if (g instanceof Promise) throw new Error("sync");
    expect(g.status).toBe("hint");
    expect(g.message).toContain("a RST is the exception");
  });
});
