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

describe("exercise 05.4 (a peer that rebooted)", () => {
  const ex = EXERCISES_05.find((e) => e.id === "05.4");
  it("exists and its solution follows the transition table", () => {
    expect(ex).toBeDefined();
    const peer = decide("CLOSED", "RCV_DATA", "linux").outcome;
    expect(peer.kind === "transition" && peer.send.includes("RST")).toBe(true);
    const judge = (a: string) => ex?.judge(a as never);
    expect(judge("ECONNRESET")).toMatchObject({ correct: true });
    for (const wrong of ["ETIMEDOUT", "EOF", "ECONNREFUSED", "EPIPE"]) expect(judge(wrong)).toMatchObject({ correct: false });
  });
});
