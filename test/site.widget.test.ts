import { describe, expect, it } from "vitest";
import { scenarioOf, simulate } from "../src/sim/index.js";
import { dropRuleFor, segmentsOf, widgetSteps, withRules } from "../src/site/client/widget-model.js";
import { withWidgets } from "../src/site/widgets.js";
import type { Chapter } from "../src/site/chapter.js";

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
