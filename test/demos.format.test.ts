// The demo's text output: a capture the kernel dropped packets from says so on a line of its own.
import { describe, expect, it } from "vitest";
import { formatDemoTable } from "../src/demos/format.js";
import type { DemoResult } from "../src/demos/types.js";

const result = (dropped: number | null): DemoResult => ({
  demo: "time-wait-pileup",
  title: "TIME_WAIT pile-up",
  steps: [{ step: "1 connection", expected: { client: "TIME_WAIT", server: "CLOSED" }, observed: { client: "TIME_WAIT", server: "CLOSED" }, ok: true }],
  segments: [],
  ok: true,
  capture: { ok: true, filter: "tcp port 40000", packets: 0, dropped, connections: 0 },
  traces: [],
});

describe("formatDemoTable and capture drops", () => {
  it("kernel drops: a capture INCOMPLETE line with the count", () => {
    const lines = formatDemoTable(result(152)).split("\n");
    expect(lines).toContain("capture: 0 segment(s) in 0 connection(s) (tcp port 40000)");
    expect(lines).toContain(
      "capture INCOMPLETE: tcpdump reports 152 packet(s) dropped by the kernel before it read them; " +
        "the segments and ladder below miss some (a burst too fast for tcpdump: try fewer --connections)");
  });

  it("no drops: no warning; drops not reported: says so", () => {
    expect(formatDemoTable(result(0))).not.toMatch(/INCOMPLETE|dropped/);
    expect(formatDemoTable(result(null)).split("\n")).toContain("capture: tcpdump did not report whether the kernel dropped packets");
  });
});
