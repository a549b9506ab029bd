/**
 * The simulator (linux profile) against the kernel, for every demo that reproduces a preset:
 * at every demo step, each side's observed state must equal the simulator's settled state at
 * the same point of the preset (src/demos/compare.ts DEMO_PROGRESS), and so must the final
 * states. The demo's own polling is the only settling waited for. The captured
 * segments must equal the simulator's once the documented differences are applied
 * (src/demos/compare.ts KNOWN_DIFFERENCES). Each difference is also asserted here as that
 * difference, so a change in either the simulator or the kernel shows up.
 */
import { describe, expect, it } from "vitest";
import { compareWithSimulator, DEMOS, KNOWN_DIFFERENCES, runDemo, simulate, type DemoName, type PresetName } from "../src/index.js";
import { toolGate } from "./support/tools.js";

const onLinux = process.platform === "linux";
const gate = onLinux ? toolGate("tcpdump", "apt-get install tcpdump") : { skip: true, reason: "not Linux" };

const WITH_PRESET = (Object.values(DEMOS) as { name: DemoName; preset?: PresetName }[]).filter(
  (d): d is { name: DemoName; preset: PresetName } => d.preset !== undefined,
);

/** The kernel's segments after the handshake, exactly, as captured on lo (tokens "from>to FLAGS len"). */
const KERNEL: Record<string, string[] | string[][]> = {
  "four-way-close": ["client>server FIN,ACK 0", "server>client ACK 0", "server>client PSH,ACK 100", "client>server ACK 0", "server>client FIN,ACK 0", "client>server ACK 0"],
  // Timing-dependent: the FIN+ACK merge (three segments) or a separate ACK first (four).
  "three-way-close": [
    ["client>server FIN,ACK 0", "server>client FIN,ACK 0", "client>server ACK 0"],
    ["client>server FIN,ACK 0", "server>client ACK 0", "server>client FIN,ACK 0", "client>server ACK 0"],
  ],
  // Normally the request's ACK precedes the FIN on lo; the simulator's order (both in flight) is the timing-dependent alternative.
  "half-close": [
    [
      "client>server PSH,ACK 100", "server>client ACK 0", "client>server FIN,ACK 0", "server>client ACK 0",
      "server>client PSH,ACK 2000", "client>server ACK 0", "server>client FIN,ACK 0", "client>server ACK 0",
    ],
    [
      "client>server PSH,ACK 100", "client>server FIN,ACK 0", "server>client ACK 0", "server>client ACK 0",
      "server>client PSH,ACK 2000", "client>server ACK 0", "server>client FIN,ACK 0", "client>server ACK 0",
    ],
  ],
  "abort-rst": ["client>server RST,ACK 0"],
  "close-unread-data": ["server>client PSH,ACK 100", "client>server ACK 0", "client>server RST,ACK 0"],
  "close-wait-leak": ["client>server FIN,ACK 0", "server>client ACK 0"],
  "connect-refused": ["client>server SYN 0", "server>client RST,ACK 0"],
};

describe.skipIf(!onLinux)("simulator vs kernel: states", () => {
  it("covers every preset that has a demo", () => {
    expect(WITH_PRESET.map((d) => d.name).sort()).toEqual(
      ["abort-rst", "close-unread-data", "close-wait-leak", "connect-refused", "four-way-close", "half-close", "three-way-close"],
    );
  });
  for (const { name, preset } of WITH_PRESET) {
    it(`${name}: each side's state at every step equals the simulator's settled state`, async () => {
      const result = await runDemo(name);
      expect(result.ok).toBe(true);
      const cmp = compareWithSimulator(result, preset);
      expect(cmp.problems).toEqual([]);
      expect(cmp.steps.map((s) => s.step)).toEqual(result.steps.map((s) => s.step));
      expect(cmp.steps.map((s) => s.simulated)).toEqual(result.steps.map((s) => s.observed));
      expect(cmp.states.client.ok && cmp.states.server.ok && cmp.final.ok).toBe(true);
      expect(cmp.stateDifferences).toEqual([]);
      expect(cmp.segments).toBeUndefined();
    });
  }
});

describe.skipIf(!onLinux || gate.skip)("simulator vs kernel: captured segments", () => {
  for (const { name, preset } of WITH_PRESET) {
    it(`${name}: the captured flags in order equal the simulator's, with the documented differences`, async () => {
      const result = await runDemo(name, { capture: true });
      expect(result.capture, "tcpdump is installed but could not capture (run as root or grant CAP_NET_RAW)").toMatchObject({ ok: true });
      const cmp = compareWithSimulator(result, preset);
      expect(cmp.problems).toEqual([]);
      const kernel = KERNEL[name]!;
      if (Array.isArray(kernel[0])) expect(kernel).toContainEqual(cmp.segments?.captured);
      else expect(cmp.segments?.captured).toEqual(kernel);
      // Every difference that applied is one of this demo's documented ones, and the
      // non-optional ones always apply.
      const mine = KNOWN_DIFFERENCES.filter((d) => d.demo === name);
      expect(cmp.segments?.applied.every((id) => mine.some((d) => d.id === id))).toBe(true);
      expect(cmp.segments?.applied).toEqual(expect.arrayContaining(mine.filter((d) => !d.optional).map((d) => d.id)));
      // The replayed capture's trace ends where the simulator's does, except for timers.
      const sim = simulate(preset, { profile: "linux" });
      const trace = result.traces?.[0];
      expect(trace).toBeDefined();
      expect(trace?.final.server).toBe(sim.final.server === "CLOSE_WAIT" ? "CLOSE_WAIT" : "CLOSED");
    });
  }

  it("half-close: the simulator splits the reply at MSS 1460, the kernel on lo sends one 2000-byte segment", () => {
    const sim = simulate("half-close", { profile: "linux" });
    const reply = sim.events.filter((e) => e.type === "segment" && e.from === "server" && e.len > 0).map((e) => (e.type === "segment" ? e.len : 0));
    expect(reply).toEqual([1460, 540]);
    for (const form of KERNEL["half-close"] as string[][]) expect(form).toContain("server>client PSH,ACK 2000");
  });
});
