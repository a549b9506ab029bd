/**
 * The renderers on real inputs: every simulator preset and every capture fixture
 * (through src/replay), plus a check that src/render stays a pure core.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { XMLValidator } from "fast-xml-parser";
import { renderAsciiLadder, renderSvgLadder, stateCountsFromTrace, renderStateChart } from "../src/render/index.js";
import { PRESET_NAMES, simulate } from "../src/sim/index.js";
import { readPcap } from "../src/parse/pcap/reader.js";
import { replayCapture } from "../src/replay/index.js";
import type { Trace } from "../src/sim/trace.js";

const ROOT = join(import.meta.dirname, "..");

function checkTrace(trace: Trace, label: string): void {
  const ascii = renderAsciiLadder(trace);
  for (const line of ascii.split("\n")) expect(line.length, `${label}: ${line}`).toBeLessThanOrEqual(80);
  const segs = trace.events.filter((e) => e.type === "segment");
  // One arrow (or lost X) per segment: full arrows, arrival stubs and X marks each count once.
  // The ladder's own rows only (the key under it mentions X too).
  const heads = ascii.split("\n").filter((l) => l.includes("|") && /-->\||\|<--|X/.test(l.slice(10))).length;
  expect(heads, label).toBe(segs.length);
  const changes = trace.events.filter((e) => e.type === "state");
  for (const c of changes) expect(ascii, label).toContain(c.to);

  const svg = renderSvgLadder(trace);
  expect(XMLValidator.validate(svg), label).toBe(true);
  expect([...svg.matchAll(/class="segment[^"]*" data-index="(\d+)"/g)].map((m) => Number(m[1]))).toEqual(segs.map((_, i) => i));
  expect([...svg.matchAll(/class="state" data-endpoint/g)]).toHaveLength(changes.length + 2);
  expect(() => renderStateChart(stateCountsFromTrace(trace))).not.toThrow();
}

describe("renderers on simulator presets", () => {
  it.each([...PRESET_NAMES])("%s", (name) => {
    for (const profile of ["linux", "rfc9293"] as const) checkTrace(simulate(name, { profile }), `${name}/${profile}`);
  });
});

describe("renderers on capture traces", () => {
  const dir = join(ROOT, "test", "fixtures", "pcap");
  const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f));
  it.each(files)("%s", (file) => {
    const pcap = readPcap(new Uint8Array(readFileSync(join(dir, file))), { source: file });
    const { connections } = replayCapture(pcap, { relative: true });
    expect(connections.length).toBeGreaterThan(0);
    for (const c of connections) checkTrace(c.trace, file);
  });
});

describe("src/render is a pure core", () => {
  it("imports nothing from Node", () => {
    const files = readdirSync(join(ROOT, "src", "render")).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = readFileSync(join(ROOT, "src", "render", f), "utf8");
      expect(text, f).not.toMatch(/from\s+["'](node:|fs|path|os|child_process)/);
      expect(text, f).not.toMatch(/\bprocess\.|\bBuffer\b/);
    }
  });
});
