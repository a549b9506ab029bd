import { describe, expect, it } from "vitest";
import { scenarioOf, simulate, validateScenario } from "../src/sim/index.js";
import type { Scenario } from "../src/sim/index.js";
import { segmentLabel } from "../src/render/ladder-events.js";
import { dropRuleFor, segmentsOf, widgetSteps, withRules } from "../src/site/client/widget-model.js";
import { withWidgets } from "../src/site/widgets.js";
import type { Chapter } from "../src/site/chapter.js";

/** "server → client: ACK seq=… ack=…  FIN_WAIT_2/CLOSE_WAIT": what the reader sees at each step. */
const walk = (trace: ReturnType<typeof simulate>): string[] => {
  const segments = segmentsOf(trace);
  return widgetSteps(trace).map((s) => {
    const seg = s.segment === null ? undefined : segments[s.segment];
    const label = seg === undefined ? "start" : `${seg.from} → ${seg.to}: ${segmentLabel(seg)}`;
    return `${label}  ${s.states.client}/${s.states.server}`;
  });
};

const scenario = (doc: object): Scenario => {
  const result = validateScenario(doc);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.scenario;
};

const states = (trace: ReturnType<typeof simulate>): string[] => widgetSteps(trace).map((s) => `${s.states.client}/${s.states.server}`);

describe("widget model", () => {
  it("steps through four-way-close: one step per segment, TIME_WAIT on the client at the end", () => {
    const trace = simulate("four-way-close");
    expect(states(trace)).toEqual([
      "ESTABLISHED/ESTABLISHED",
      "FIN_WAIT_1/CLOSE_WAIT", "FIN_WAIT_2/CLOSE_WAIT", "FIN_WAIT_2/CLOSE_WAIT", "FIN_WAIT_2/CLOSE_WAIT",
      "TIME_WAIT/LAST_ACK", "TIME_WAIT/CLOSED",
    ]);
    const last = widgetSteps(trace).at(-1)!;
    expect(last.explanation.at(-1)).toMatch(/^No more segments; at [\d.]+ s, client: TIME_WAIT → CLOSED\./);
  });

  // Sequence numbers are the default seed's ISNs (absolute: the walk checks order, not numbering). With delayed ACK on,
  // the server's ACK of the FIN goes out alone when its timer fires, before its data; each step shows only what its arrival causes.
  it("four-way-close (linux): each step shows what its arrival caused, in ladder order", () => {
    const trace = simulate("four-way-close", { profile: "linux" });
    expect(walk(trace)).toEqual([
      "start  ESTABLISHED/ESTABLISHED",
      "client → server: FIN, ACK seq=2693262068 ack=11749834  FIN_WAIT_1/CLOSE_WAIT",
      "server → client: ACK seq=11749834 ack=2693262069  FIN_WAIT_2/CLOSE_WAIT",
      "server → client: PSH, ACK seq=11749834 ack=2693262069 len=100  FIN_WAIT_2/CLOSE_WAIT",
      "client → server: ACK seq=2693262069 ack=11749934  FIN_WAIT_2/CLOSE_WAIT",
      "server → client: FIN, ACK seq=11749934 ack=2693262069  TIME_WAIT/LAST_ACK",
      "client → server: ACK seq=2693262069 ack=11749935  TIME_WAIT/CLOSED",
    ]);
    expect(widgetSteps(trace).map((s) => s.changes)).toEqual([0, 2, 3, 3, 3, 5, 6]);
    expect(widgetSteps(trace).at(-1)!.explanation.at(-1)).toMatch(/^No more segments; at 60\.8 s, client: TIME_WAIT → CLOSED\./);
  });

  // The server closes as soon as it reads EOF, so its ACK of the data, its ACK of the FIN and
  // its own FIN all reach the client at t = 0.1. Grouped by time, the step "ACK of the data
  // has arrived" already showed TIME_WAIT.
  it("close on EOF: the ACK steps do not show what the FIN arriving at the same instant causes", () => {
    const trace = simulate(scenario({
      name: "close-on-eof", start: "established",
      steps: { client: [{ at: 0, do: "send", bytes: 100 }, { at: 0, do: "shutdown" }], server: [{ on: "eof", do: "close" }] },
    }));
    expect(walk(trace)).toEqual([
      "start  ESTABLISHED/ESTABLISHED",
      "client → server: PSH, ACK seq=2693262068 ack=11749834 len=100  FIN_WAIT_1/ESTABLISHED",
      "client → server: FIN, ACK seq=2693262168 ack=11749834  FIN_WAIT_1/LAST_ACK",
      "server → client: ACK seq=11749834 ack=2693262168  FIN_WAIT_1/LAST_ACK",
      "server → client: ACK seq=11749834 ack=2693262169  FIN_WAIT_2/LAST_ACK",
      "server → client: FIN, ACK seq=11749834 ack=2693262169  TIME_WAIT/LAST_ACK",
      "client → server: ACK seq=2693262169 ack=11749835  TIME_WAIT/CLOSED",
    ]);
    const steps = widgetSteps(trace);
    expect(steps[3]!.explanation).toHaveLength(1);
    expect(steps[4]!.explanation.slice(1)).toEqual([expect.stringMatching(/^client: FIN_WAIT_1 → FIN_WAIT_2\./)]);
    expect(steps[5]!.explanation.slice(1)).toEqual([expect.stringMatching(/^client: FIN_WAIT_2 → TIME_WAIT\./)]);
  });

  it("dropping the final ACK re-runs the simulator: the FIN is retransmitted and ACKed again", () => {
    const trace = simulate("four-way-close");
    const finalAck = segmentsOf(trace).length - 1;
    const rule = dropRuleFor(trace, finalAck);
    expect(rule).toEqual({ action: "drop", from: "client", flags: ["ACK"], data: false, retransmission: false, nth: 2 });
    const lost = simulate(withRules(scenarioOf("four-way-close"), [rule]));
    const segs = segmentsOf(lost).map((s) => `${s.from}:${s.flags.join(",")}${s.dropped ? ":lost" : ""}${s.retransmission ? ":again" : ""}`);
    expect(segs).toEqual([
      "client:FIN,ACK", "server:ACK", "server:PSH,ACK", "client:ACK", "server:FIN,ACK",
      "client:ACK:lost", "server:FIN,ACK:again", "client:ACK",
    ]);
    expect(states(lost).slice(-3)).toEqual(["TIME_WAIT/LAST_ACK", "TIME_WAIT/LAST_ACK", "TIME_WAIT/CLOSED"]);
  });

  it("refuses a segment that is not there", () => {
    expect(() => dropRuleFor(simulate("four-way-close"), 99)).toThrow(/no segment 99 in four-way-close \(it has 6\)/);
  });
});

describe("widget markers at build time", () => {
  const chapter = (number: string, html: string): Chapter => ({
    slug: `${number}-x`, number, title: "X", description: "x", html, toc: [], sections: [], widgets: [],
  });

  it("fills an empty marker with the static ladder of its preset", () => {
    const c = withWidgets(chapter("07", `<section>a</section><div class="output output-html"><div data-tcp-widget="lost-final-ack"></div></div>`));
    expect(c.widgets).toEqual(["lost-final-ack"]);
    expect(c.html).toMatch(/<div data-tcp-widget="lost-final-ack" class="tcp-widget"><svg [^>]*class="tcp-ladder"/);
    expect(c.html).toContain("(retransmission)");
  });

  it("puts a widget after the first markdown cell of chapters 01–04 that have none", () => {
    const c = withWidgets(chapter("02", `<section>intro</section><section>more</section>`));
    expect(c.widgets).toEqual(["three-way-close"]);
    expect(c.html).toMatch(/^<section>intro<\/section>\n<div class="tcp-widget" data-tcp-widget="three-way-close"><svg/);
    expect(withWidgets(chapter("05", "<section>x</section>")).widgets).toEqual([]);
  });

  it("names the chapter of an unknown preset", () => {
    expect(() => withWidgets(chapter("07", `<div data-tcp-widget="five-way-close"></div>`))).toThrow(/07-x: unknown widget preset "five-way-close"/);
  });
});
