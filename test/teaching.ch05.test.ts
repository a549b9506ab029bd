/** Chapter 05's teaching data: the errno table and the pure exercise 05.4. */
import { describe, expect, it } from "vitest";
import { ERRNO_TABLE, renderErrnoTable } from "../src/teaching/errno.js";
import { EXERCISES_05 } from "../src/exercises/catalog/ch05.js";
import { decide } from "../src/fsm/machine.js";

describe("ERRNO_TABLE", () => {
  it("has the rows chapter 05 teaches, EOF first", () => {
    expect(ERRNO_TABLE.map((e) => e.name)).toEqual(["0 (EOF)", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EADDRINUSE", "EADDRNOTAVAIL"]);
  });

  it("every row names its call and cites a Linux function; the TCP-level ones cite RFC 9293", () => {
    for (const e of ERRNO_TABLE) {
      expect(e.call.length, e.name).toBeGreaterThan(0);
      expect(e.source, e.name).toMatch(/[a-z_]+\(\)/);
      if (!e.name.startsWith("EADDR")) expect(e.source, e.name).toMatch(/RFC 9293 §3\.\d+/);
    }
  });

  it("EPIPE mentions SIGPIPE and what Node does with it", () => {
    const epipe = ERRNO_TABLE.find((e) => e.name === "EPIPE");
    expect(epipe?.when).toMatch(/SIGPIPE/);
    expect(epipe?.when).toMatch(/Node ignores SIGPIPE/);
  });

  it("renders one markdown row per entry, pipes escaped", () => {
    const md = renderErrnoTable();
    const lines = md.split("\n");
    expect(lines[0]).toBe("| errno | call | when | source |");
    expect(lines).toHaveLength(2 + ERRNO_TABLE.length);
    const weird = renderErrnoTable([{ name: "X", call: "a|b", when: "w", source: "s" }]);
    expect(weird.split("\n")[2]).toBe("| **X** | `a\\|b` | w | s |");
  });
});

describe("exercise 05.4 (writing after a reset)", () => {
  const ex = EXERCISES_05.find((e) => e.id === "05.4");
  it("exists and its solution follows the transition table and the errno table", () => {
    expect(ex).toBeDefined();
    const reset = decide("ESTABLISHED", "RCV_RST", "linux").outcome;
    expect(reset.kind === "transition" && reset.next).toBe("CLOSED");
    const judge = (a: string) => ex?.judge(a as never);
    expect(judge("EPIPE")).toMatchObject({ correct: true });
    expect(ex?.solution).toBe("EPIPE");
    for (const wrong of ["10", "ECONNRESET", "ETIMEDOUT", "EOF"]) expect(judge(wrong)).toMatchObject({ correct: false });
    // The explanation quotes the errno table's row, computed, not typed in.
    const row = ERRNO_TABLE.find((e) => e.name === "EPIPE");
    expect((judge("EPIPE") as { explanation: string }).explanation).toContain(row?.when ?? "?");
  });

  it("each wrong choice has its own misconception, naming neither the answer nor another choice", () => {
    const choices = ["10", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EOF"];
    for (const m of ex?.misconceptions ?? []) {
      for (const c of choices.filter((c) => !(m.answers as readonly string[]).includes(c))) expect(m.says, `${String(m.answers)} names ${c}`).not.toContain(c);
    }
    expect((ex?.misconceptions ?? []).flatMap((m) => m.answers as readonly string[]).sort()).toEqual(["10", "ECONNRESET", "EOF", "ETIMEDOUT"]);
  });
});
