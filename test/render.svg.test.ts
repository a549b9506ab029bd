import { describe, expect, it } from "vitest";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { STATES, TRANSITION_TABLE } from "../src/fsm/index.js";
import { NAMED_PATHS, diagramEdges, renderStateDiagram, renderSvgLadder } from "../src/render/index.js";
import { FOUR_WAY, LOST_FINAL_ACK, SIMULTANEOUS } from "./render.fixtures.js";

function wellFormed(svg: string): void {
  const result = XMLValidator.validate(svg);
  expect(result, JSON.stringify(result)).toBe(true);
}

/** Every element with its attributes, in document order (a tiny DOM walk over fast-xml-parser's ordered output). */
type Node = { name: string; attrs: Record<string, string> };
function elements(svg: string): Node[] {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", preserveOrder: true });
  const out: Node[] = [];
  const walk = (list: unknown[]): void => {
    for (const item of list as Array<Record<string, unknown>>) {
      for (const [key, value] of Object.entries(item)) {
        if (key === ":@" || key === "#text") continue;
        out.push({ name: key, attrs: (item[":@"] as Record<string, string> | undefined) ?? {} });
        if (Array.isArray(value)) walk(value);
      }
    }
  };
  walk(parser.parse(svg) as unknown[]);
  return out;
}
const hasClass = (n: Node, c: string): boolean => (n.attrs.class ?? "").split(/\s+/).includes(c);

describe("renderStateDiagram", () => {
  const svg = renderStateDiagram();
  const els = elements(svg);
  const nodes = els.filter((n) => hasClass(n, "node"));
  const edges = els.filter((n) => hasClass(n, "edge"));

  it("is well-formed, accessible and deterministic", () => {
    wellFormed(svg);
    const root = els[0]!;
    expect(root.name).toBe("svg");
    expect(root.attrs.role).toBe("img");
    expect(root.attrs["aria-label"]).toMatch(/state diagram/);
    expect(els.some((n) => n.name === "title")).toBe(true);
    expect(els.some((n) => n.name === "desc")).toBe(true);
    expect(els.some((n) => n.name === "style")).toBe(true);
    expect(renderStateDiagram()).toBe(svg);
  });

  it("draws all 11 states, CLOSED twice as in Figure 5", () => {
    expect(new Set(nodes.map((n) => n.attrs["data-state"]))).toEqual(new Set(STATES));
    expect(nodes).toHaveLength(12);
    expect(nodes.filter((n) => n.attrs["data-state"] === "CLOSED").map((n) => n.attrs["data-node"])).toEqual(["CLOSED-top", "CLOSED-end"]);
  });

  it("has an edge for every distinct (from → to) transition of the table", () => {
    const expected = new Set<string>();
    for (const row of TRANSITION_TABLE) {
      for (const c of row.cases) {
        if (c.outcome.kind === "transition" && c.outcome.next !== row.state) expected.add(`${row.state}>${c.outcome.next}`);
      }
    }
    const drawn = new Set(edges.filter((e) => e.attrs["data-kind"] !== "self").map((e) => `${e.attrs["data-from"]}>${e.attrs["data-to"]}`));
    expect(drawn).toEqual(expected);
    for (const must of ["SYN_SENT>SYN_RCVD", "FIN_WAIT_1>CLOSING", "CLOSING>TIME_WAIT", "FIN_WAIT_1>TIME_WAIT", "SYN_RCVD>LISTEN"]) {
      expect(drawn.has(must), must).toBe(true);
    }
    expect(edges.some((e) => e.attrs["data-kind"] === "self" && e.attrs["data-from"] === "TIME_WAIT")).toBe(true);
  });

  it("labels edges 'event / sent' from the table", () => {
    const byPair = new Map(diagramEdges().map((e) => [`${e.from}>${e.to}>${e.kind}`, e.labels]));
    expect(byPair.get("ESTABLISHED>FIN_WAIT_1>normal")).toEqual(["CLOSE / FIN"]);
    expect(byPair.get("SYN_SENT>SYN_RCVD>normal")).toEqual(["rcv SYN / SYN+ACK"]);
    expect(byPair.get("SYN_RCVD>LISTEN>normal")).toEqual([
      "rcv SYN [linux, passiveOpen] / RST", "rcv SYN [passiveOpen], rcv RST [passiveOpen], rcv RST in window [passiveOpen, no rfc5961]",
    ]);
    expect(byPair.get("ESTABLISHED>CLOSED>reset")).toEqual([
      "CLOSE [linger0], CLOSE [unreadData], ABORT, rcv SYN [no rfc5961] / RST", "rcv RST, rcv RST in window [no rfc5961], user timeout",
    ]);
    expect(byPair.get("TIME_WAIT>SYN_RCVD>normal")).toEqual(["rcv SYN [linux, passiveOpen] / SYN+ACK"]);
    expect(svg).toContain(">CLOSE / FIN<");
  });

  it("highlights exactly the named state and the path's edges", () => {
    const hl = elements(renderStateDiagram({ highlight: { state: "TIME_WAIT", path: "active-close" } }));
    expect(hl.filter((n) => hasClass(n, "node") && hasClass(n, "hl")).map((n) => n.attrs["data-state"])).toEqual(["TIME_WAIT"]);
    const hlEdges = hl.filter((n) => hasClass(n, "edge") && hasClass(n, "hl")).map((n) => `${n.attrs["data-from"]}>${n.attrs["data-to"]}>${n.attrs["data-kind"]}`);
    expect(hlEdges.sort()).toEqual(
      ["ESTABLISHED>FIN_WAIT_1>normal", "FIN_WAIT_1>FIN_WAIT_2>normal", "FIN_WAIT_2>TIME_WAIT>normal", "TIME_WAIT>CLOSED>normal"].sort(),
    );
    const passive = elements(renderStateDiagram({ highlight: { path: NAMED_PATHS["passive-close"] } }));
    expect(passive.filter((n) => hasClass(n, "node") && hasClass(n, "hl"))).toHaveLength(0);
    expect(passive.filter((n) => hasClass(n, "edge") && hasClass(n, "hl")).map((n) => `${n.attrs["data-from"]}>${n.attrs["data-to"]}`))
      .toEqual(["ESTABLISHED>CLOSE_WAIT", "CLOSE_WAIT>LAST_ACK", "LAST_ACK>CLOSED"]);
  });

  it("refuses a path the table does not have", () => {
    expect(() => renderStateDiagram({ highlight: { path: ["ESTABLISHED", "TIME_WAIT"] } })).toThrow(/no transition ESTABLISHED → TIME_WAIT/);
  });
});

describe("renderSvgLadder", () => {
  it("is well-formed, accessible and deterministic for every fixture", () => {
    for (const t of [FOUR_WAY, SIMULTANEOUS, LOST_FINAL_ACK]) {
      const svg = renderSvgLadder(t);
      wellFormed(svg);
      expect(renderSvgLadder(t)).toBe(svg);
      const root = elements(svg)[0]!;
      expect(root.attrs.role).toBe("img");
      expect(root.attrs["aria-label"]).toBe(`Ladder diagram: ${t.name}`);
    }
  });

  it("numbers segments with data-index in trace order and draws an arrow for each", () => {
    const els = elements(renderSvgLadder(FOUR_WAY));
    const segs = els.filter((n) => hasClass(n, "segment"));
    expect(segs.map((n) => n.attrs["data-index"])).toEqual(["0", "1", "2", "3", "4", "5"]);
    expect(segs.map((n) => `${n.attrs["data-from"]}:${n.attrs["data-flags"]}`)).toEqual([
      "client:FIN ACK", "server:ACK", "server:PSH ACK", "client:ACK", "server:FIN ACK", "client:ACK",
    ]);
    expect(els.filter((n) => n.name === "line" && n.attrs["marker-end"] !== undefined)).toHaveLength(6);
  });

  it("slants each arrow from its send time down to its arrival time", () => {
    const svg = renderSvgLadder(FOUR_WAY);
    const lines = elements(svg).filter((n) => n.name === "line" && n.attrs["marker-end"] !== undefined);
    for (const l of lines) expect(Number(l.attrs.y2)).toBeGreaterThan(Number(l.attrs.y1));
  });

  it("ends a lost segment in an X half-way, and marks the retransmission", () => {
    const els = elements(renderSvgLadder(LOST_FINAL_ACK));
    const lost = els.filter((n) => hasClass(n, "lost"));
    expect(lost.map((n) => n.attrs["data-index"])).toEqual(["2"]);
    expect(els.filter((n) => hasClass(n, "x"))).toHaveLength(1);
    expect(els.filter((n) => hasClass(n, "retransmission")).map((n) => n.attrs["data-index"])).toEqual(["3"]);
  });

  it("writes every state change beside its side, plus the initial states", () => {
    const els = elements(renderSvgLadder(SIMULTANEOUS));
    const states = els.filter((n) => hasClass(n, "state")).map((n) => `${n.attrs["data-endpoint"]}:${n.attrs["data-state"]}`);
    expect(states).toEqual([
      "client:ESTABLISHED", "server:ESTABLISHED",
      "client:FIN_WAIT_1", "server:FIN_WAIT_1", "client:CLOSING", "server:CLOSING",
      "client:TIME_WAIT", "server:TIME_WAIT", "client:CLOSED", "server:CLOSED",
    ]);
  });

  it("tells a stepper after which segment each state appears", () => {
    const els = elements(renderSvgLadder(FOUR_WAY));
    const after = els.filter((n) => hasClass(n, "state")).map((n) => `${n.attrs["data-state"]}@${n.attrs["data-after-index"]}`);
    // FIN (0) → CLOSE_WAIT; its ACK (1) → FIN_WAIT_2; server FIN (4) → TIME_WAIT; last ACK (5) → CLOSED.
    expect(after).toEqual([
      "ESTABLISHED@-1", "ESTABLISHED@-1", "FIN_WAIT_1@-1", "CLOSE_WAIT@0", "FIN_WAIT_2@1",
      "LAST_ACK@3", "TIME_WAIT@4", "CLOSED@5", "CLOSED@5",
    ]);
  });
});
