import { describe, expect, it } from "vitest";
import { downsampleMax, renderStateChart, stateCountsFromTrace, type StateCountSample } from "../src/render/index.js";
import { FOUR_WAY, SIMULTANEOUS } from "./render.fixtures.js";

describe("stateCountsFromTrace", () => {
  it("counts both endpoints' states at each step, after the changes at or before that time", () => {
    const s = stateCountsFromTrace(FOUR_WAY, { step: 0.1, until: 0.6 });
    expect(s).toEqual([
      { t: 0, counts: { FIN_WAIT_1: 1, ESTABLISHED: 1 } },
      { t: 0.1, counts: { FIN_WAIT_2: 1, CLOSE_WAIT: 1 } },
      { t: 0.2, counts: { FIN_WAIT_2: 1, CLOSE_WAIT: 1 } },
      { t: 0.3, counts: { FIN_WAIT_2: 1, CLOSE_WAIT: 1 } },
      { t: 0.4, counts: { FIN_WAIT_2: 1, LAST_ACK: 1 } },
      { t: 0.5, counts: { TIME_WAIT: 1, CLOSED: 1 } },
      { t: 0.6, counts: { TIME_WAIT: 1, CLOSED: 1 } },
    ]);
  });

  it("counts two endpoints in the same state as 2, and covers the whole trace by default", () => {
    const s = stateCountsFromTrace(SIMULTANEOUS);
    expect(s[0]).toEqual({ t: 0, counts: { FIN_WAIT_1: 2 } });
    expect(s.at(-1)!.counts).toEqual({ CLOSED: 2 });
    expect(s.at(-1)!.t).toBeGreaterThanOrEqual(60.1);
    expect(s.length).toBeLessThanOrEqual(102);
    expect(s.some((p) => p.counts.TIME_WAIT === 2)).toBe(true);
  });
});

describe("downsampleMax", () => {
  it("keeps peaks and length limits", () => {
    expect(downsampleMax([1, 5, 2, 2, 0, 9], 3)).toEqual([5, 2, 9]);
    expect(downsampleMax([1, 2], 5)).toEqual([1, 2]);
    expect(downsampleMax([Number.NaN, Number.NaN, 3, Number.NaN], 2)).toEqual([Number.NaN, 3]);
  });
});

describe("renderStateChart", () => {
  const series: StateCountSample[] = [0, 1, 2, 3, 4, 5].map((t) => ({
    t, counts: { ESTABLISHED: 5 - t, TIME_WAIT: t },
  }));

  it("draws one line per state with a time axis and a legend, plain when asked", () => {
    const out = renderStateChart(series, { color: false, height: 5, title: "sockets by state" });
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toBe("sockets by state");
    expect(lines).toHaveLength(1 + 6 + 2);
    expect(lines.slice(1, 7)).toEqual([
      "  5┼╮   ╭ ",
      "  4┤╰╮ ╭╯ ",
      "  3┤ ╰╭╯  ",
      "  2┤ ╭╯╮  ",
      "  1┤╭╯ ╰╮ ",
      "  0┼╯   ╰ ",
    ]);
    expect(lines[7]).toBe("    0 s 5 s");
    expect(lines[8]).toBe("    ── ESTABLISHED   ── TIME_WAIT");
    expect(out).not.toMatch(/\u001b\[/);
  });

  it("colours each state's line and legend entry by default", () => {
    const out = renderStateChart(series);
    expect(out).toContain("\u001b[32m──\u001b[0m ESTABLISHED");
    expect(out).toContain("\u001b[94m──\u001b[0m TIME_WAIT");
  });

  it("downsamples to the width", () => {
    const long = Array.from({ length: 1000 }, (_, t) => ({ t, counts: { TIME_WAIT: t % 7 } }));
    const out = renderStateChart(long, { color: false, width: 50 });
    const plotLines = out.split("\n").filter((l) => /[┼┤]/.test(l));
    for (const l of plotLines) expect(l.length).toBeLessThanOrEqual(3 + 1 + 50 + 3);
  });

  it("never throws on empty, NaN or all-zero input", () => {
    expect(renderStateChart([])).toBe("(no data)\n");
    expect(renderStateChart([{ t: 0, counts: {} }])).toBe("(no data)\n");
    expect(renderStateChart([{ t: 0, counts: { TIME_WAIT: Number.NaN } }], { color: false })).toBe("(no data)\n");
    expect(() => renderStateChart([{ t: 0, counts: { TIME_WAIT: Number.NaN } }, { t: 1, counts: { TIME_WAIT: 3 } }])).not.toThrow();
    expect(renderStateChart([{ t: 0, counts: { CLOSED: 0 } }], { states: ["CLOSED"], color: false })).toContain("── CLOSED");
  });
});
