/**
 * The simulator's docs stay true: the scenario-format example validates and runs, every
 * field of the JSON output is documented, and src/sim stays a pure core (no Node imports).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatScenarioError, runSimulation, simulate, traceToJson, validateScenario } from "../src/sim/index.js";

const ROOT = join(import.meta.dirname, "..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");

describe("simulator docs", () => {
  it("docs/scenario-format.md: the example is a valid scenario that runs as described", () => {
    const block = /```json\n([\s\S]*?)```/.exec(read("docs/scenario-format.md"));
    expect(block).not.toBeNull();
    const r = validateScenario(JSON.parse(block![1]!));
    expect(r.ok ? [] : r.errors.map(formatScenarioError)).toEqual([]);
    if (!r.ok) return;
    const { trace, quiescent } = runSimulation(r.scenario);
    expect(quiescent).toBe(true);
    const segs = trace.events.filter((e) => e.type === "segment");
    expect(segs.map((e) => e.type === "segment" && `${e.from}:${e.flags.join(",")}${e.dropped ? " lost" : ""}${e.retransmission ? " again" : ""}`)).toEqual([
      "client:FIN,ACK", "server:ACK", "server:FIN,ACK", "client:ACK lost", "server:FIN,ACK again", "client:ACK",
    ]);
    expect(trace.final).toEqual({ client: "CLOSED", server: "CLOSED" });
  });

  it("docs/simulate-json.md documents every field the JSON output has", () => {
    const doc = read("docs/simulate-json.md");
    const json = traceToJson(simulate("lost-final-ack", { seed: 3 }), "title");
    const keys = new Set<string>(Object.keys(json));
    for (const e of json.trace) for (const k of Object.keys(e)) keys.add(k);
    keys.add("duplicate");
    for (const k of keys) expect(doc, k).toContain(`\`${k}\``);
  });

  it("src/sim imports nothing from Node (pure core)", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const ent of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        if (ent.isDirectory()) walk(join(dir, ent.name));
        else if (ent.name.endsWith(".ts")) files.push(join(dir, ent.name));
      }
    };
    walk("src/sim");
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = read(f);
      expect(text, f).not.toMatch(/from\s+["'](node:|fs|path|os|child_process)/);
      expect(text, f).not.toMatch(/\bprocess\.|\bBuffer\b/);
    }
  });
});
