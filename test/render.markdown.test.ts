import { describe, expect, it } from "vitest";
import { EVENTS, EVENT_LABELS, STATES, TRANSITION_TABLE } from "../src/fsm/index.js";
import { changesState, fsmRows, onlyResets, renderFsmDocument, renderFsmHtml, renderFsmMarkdown, renderStatesMarkdown } from "../src/render/index.js";

const dataRows = (md: string): string[][] =>
  md.trim().split("\n").slice(2).map((l) => l.slice(2, -2).split(/ (?<!\\)\| /));

describe("renderFsmMarkdown", () => {
  const md = renderFsmMarkdown();
  const rows = dataRows(md);

  it("has one data row per (state, event): 11 × 26", () => {
    expect(rows).toHaveLength(STATES.length * EVENTS.length);
    expect(rows).toHaveLength(286);
    expect(md.split("\n")[0]).toBe("| State | Event | Next state | Sends | Why | Reference |");
    for (const r of rows) expect(r).toHaveLength(6);
    expect(new Set(rows.map((r) => `${r[0]}/${r[1]}`)).size).toBe(286);
  });

  const find = (state: string, event: keyof typeof EVENT_LABELS): string[] =>
    rows.find((r) => r[0] === state && r[1] === EVENT_LABELS[event])!;

  it("writes transitions with next state, segments sent and reference", () => {
    expect(find("ESTABLISHED", "CLOSE").slice(2, 4)).toEqual(["if linger0: CLOSED; if unreadData: CLOSED; otherwise: FIN_WAIT_1", "if linger0: RST; if unreadData: RST; otherwise: FIN"]);
    expect(find("FIN_WAIT_1", "RCV_FIN_ACK_OF_FIN").slice(2, 4)).toEqual(["TIME_WAIT", "ACK"]);
    expect(find("FIN_WAIT_1", "RCV_FIN")[5]).toBe("§3.10.7.4 eighth; §3.6 Figure 13");
    expect(find("ESTABLISHED", "RCV_RST_IN_WINDOW")[2]).toBe("if rfc5961 is on: ESTABLISHED; otherwise: CLOSED");
    expect(find("ESTABLISHED", "RCV_RST_IN_WINDOW")[3]).toBe("if rfc5961 is on: ACK; otherwise: —");
    expect(find("SYN_RCVD", "RCV_RST")[2]).toBe("if passiveOpen: LISTEN; otherwise: CLOSED");
    expect(find("FIN_WAIT_2", "FIN_WAIT_2_TIMEOUT")[2]).toBe("if orphaned (linux profile): CLOSED; otherwise: — (ignored)");
    expect(find("TIME_WAIT", "RCV_FIN")[4]).toMatch(/\(restarts 2MSL\)$/);
  });

  it("gives ignored and error entries their reason", () => {
    const ignored = find("LISTEN", "RCV_RST");
    expect(ignored.slice(2, 5)).toEqual(["— (ignored)", "—", "a RST on a listener is ignored"]);
    const error = find("FIN_WAIT_2", "SEND");
    expect(error.slice(2, 5)).toEqual(["— (error)", "—", 'error: "connection closing"']);
  });

  it("covers every case of the table (no case dropped)", () => {
    for (const row of TRANSITION_TABLE) {
      const r = find(row.state, row.event);
      for (const c of row.cases) {
        const text = c.outcome.kind === "transition" ? c.outcome.next : c.outcome.reason;
        expect(r.join(" "), `${row.state} × ${row.event}`).toContain(text.replace(/\|/g, "\\|"));
      }
    }
  });

  it("can leave out the error entries", () => {
    const fewer = dataRows(renderFsmMarkdown({ omitErrors: true }));
    expect(fewer.length).toBe(TRANSITION_TABLE.filter((r) => !r.cases.every((c) => c.outcome.kind === "error")).length);
    expect(fewer.some((r) => r[2] === "— (error)")).toBe(false);
  });
});

describe("renderFsmMarkdown's filters for chapter 03", () => {
  const key = (r: string[]): string => `${r[0]}/${r[1]}`;
  const expected = (pred: (row: (typeof TRANSITION_TABLE)[number]) => boolean): string[] =>
    TRANSITION_TABLE.filter(pred).map((row) => `${row.state}/${EVENT_LABELS[row.event]}`);

  it("keeps only the rows that change state, and can leave out the resets", () => {
    const changing = dataRows(renderFsmMarkdown({ onlyStateChanges: true }));
    expect(changing.map(key)).toEqual(expected(changesState));
    expect(changing.some((r) => r[0] === "TIME_WAIT" && r[1] === "rcv FIN")).toBe(false); // a self-loop: ACK, restart 2MSL
    expect(changing.some((r) => r[0] === "FIN_WAIT_1" && r[1] === "rcv FIN" && r[2] === "CLOSING")).toBe(true);
    const main = dataRows(renderFsmMarkdown({ onlyStateChanges: true, omitResets: true }));
    expect(main.map(key)).toEqual(expected((row) => changesState(row) && !onlyResets(row)));
    expect(main.some((r) => r[1] === "ABORT" || r[1] === "rcv RST")).toBe(false);
    // A close() that may reset but normally sends a FIN stays.
    expect(main.find((r) => r[0] === "ESTABLISHED" && r[1] === "CLOSE")?.[2]).toBe("if linger0: CLOSED; if unreadData: CLOSED; otherwise: FIN_WAIT_1");
    // The complement covers the rest, without overlap.
    const rest = fsmRows({ exceptStateChanges: true, omitResets: true });
    expect(rest.length + main.length + TRANSITION_TABLE.filter((r) => changesState(r) && onlyResets(r)).length).toBe(286);
    expect(rest.every((r) => !main.some((m) => key(m) === key(r)))).toBe(true);
  });

  it("renders the same rows as HTML, folded when given a summary, without the Why column on request", () => {
    const opts = { exceptStateChanges: true, omitResets: true, omitErrors: true, omitWhy: true } as const;
    const html = renderFsmHtml({ ...opts, summary: "the rest <of it>" });
    expect(html.startsWith("<details><summary>the rest &lt;of it&gt;</summary>\n<table class=\"fsm-table\">")).toBe(true);
    expect(html.trim().endsWith("</table>\n</details>")).toBe(true);
    expect(html).toContain("<thead><tr><th>State</th><th>Event</th><th>Next state</th><th>Sends</th><th>Reference</th></tr></thead>");
    expect(html.match(/<tr><td>/g)).toHaveLength(fsmRows(opts).length);
    expect(html).toContain("<tr><td>TIME_WAIT</td><td>rcv FIN</td><td>TIME_WAIT</td><td>ACK</td>");
    expect(html).not.toContain("— (error)");
    const md = renderFsmMarkdown(opts);
    expect(md.split("\n")[0]).toBe("| State | Event | Next state | Sends | Reference |");
    expect(md.split("\n")[1]).toBe("|---|---|---|---|---|");
  });
});

describe("renderStatesMarkdown", () => {
  it("lists the 11 states in RFC order", () => {
    const rows = dataRows(renderStatesMarkdown());
    expect(rows.map((r) => r[0])).toEqual([...STATES]);
    expect(renderFsmDocument()).toContain("## Transitions");
  });
});
