/**
 * Every chapter notebook (notebooks/*.ipynb) executes without error through the runner, the
 * way `npm run notebooks` runs it. Checks on a chapter's key artefacts go in CHECKS.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runNotebooks, type NotebookResult } from "../src/notebook/index.js";
import { hasTag, joinText, parseNotebook, type Notebook } from "../src/notebook/nbformat.js";
import { getExercise, UNANSWERED_PROMPT } from "../src/exercises/index.js";
import { registerKernelExercises } from "../src/exercises/kernel/index.js";

registerKernelExercises();

const DIR = "notebooks";
const OUT = "test-artifacts/notebooks";
const files = readdirSync(DIR).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(DIR, f));

/** All text and display data a notebook produced, for artefact checks. */
function outputText(nb: Notebook): string {
  return nb.cells
    .flatMap((c) => (c.cell_type === "code" ? c.outputs : []))
    .map((o) => (o.output_type === "stream" ? joinText(o.text) : o.output_type === "error" ? o.evalue : Object.values(o.data).map(joinText).join("\n")))
    .join("\n");
}

/**
 * Per-chapter checks on what the executed notebook shows (file name → assertions on all its
 * output text), e.g. "01-four-way-close.ipynb": (text) => expect(text).toContain("FIN_WAIT_2").
 */
const CHECKS: Record<string, (text: string, nb: Notebook) => void> = {
  "00-introduction.ipynb": (text) => {
    expect(text).toContain("| Term | Meaning |");
    expect(text).toContain("TIME_WAIT    TIME-WAIT     Both FINs are acknowledged");
    expect(text).toContain('class="duplex-pipes"');
    expect(text).toContain("half-closed: one direction closed");
    expect(text).toMatch(/FIN_WAIT_1 \|  ① FIN, ACK seq=u=\d+ ack=\d+/);
    expect(text).toMatch(/\|-{20,}>\| CLOSE_WAIT/);
    expect(text).toMatch(/Right: in the simulated close the client's FIN is segment 1; .*client-to-server pipe is closed, and the server still sent 100 bytes/);
    expect(text).toContain("the client's application received 32 of the 32 receipt bytes");
  },
  "01-four-way-close.ipynb": (text, nb) => {
    expect(text).toContain("<svg");
    expect(text).toContain("SHUTDOWN_WRITE\n");
    const prose = nb.cells.filter((c) => c.cell_type === "markdown").map((c) => joinText(c.source)).join("\n");
    expect(prose).toContain("The client's application calls `shutdown(SHUT_WR)`");
    expect(prose).not.toContain("original lesson");
    expect(prose).toMatch(/> \*\*Common misconception:\*\* the first FIN[^]*RFC 9293 §3\.5\.2/);
    expect(text).toMatch(/② ACK of that FIN +server → client ACK +seq=v−\d+ ack=u\+1/);
    expect(text).toMatch(/④ ACK of that FIN +client → server ACK +seq=u\+1 ack=v\+1/);
    expect(text).toMatch(/the server sent [1-9]\d* bytes after the client's FIN/);
    expect(text).toContain("Right: the client sent the first FIN (wave ①, the active closer), and the server then sent 600 bytes");
    // The applications' calls on the ladder: the server's read() returns 0 when the FIN arrives.
    expect(text).toMatch(/\|\s+read\(\) -> 0 \(EOF\)\s+\| *\n\s+[\d.]+\s+\|\s+② ACK/);
    expect(text).toContain("Right: FIN_WAIT_1 on data whose ACK does not cover our FIN stays in FIN_WAIT_1");
    for (const s of ["ESTABLISHED → FIN_WAIT_1", "FIN_WAIT_1 → FIN_WAIT_2", "FIN_WAIT_2 → TIME_WAIT", "CLOSE_WAIT → LAST_ACK", "LAST_ACK → CLOSED"]) {
      expect(text).toContain(s);
    }
  },
  "02-why-four-not-three.ipynb": (text) => {
    expect(text).toContain("four-way-close: server delayed ACK on, server closes 0.7 s after reading EOF");
    expect(text).toContain("three-way-close: server delayed ACK on, server closes 0 s after reading EOF");
    expect(text).toMatch(/②③ +[\d.]+ s +server → client FIN\+ACK/);
    expect(text).toContain("<svg");
    expect(text).toMatch(/CLOSED \|  RST, ACK seq=/);
    expect(text).toMatch(/100 ms +request\+response +4 +4 /);
    expect(text).toContain("Right: 4 segments in the simulator (linux profile)");
    expect(text).toMatch(/close\(\) -> 0  \| LAST_ACK\n\s+\|\s+②③ FIN, ACK/);
  },
  "03-state-machine.ipynb": (text) => {
    expect(text).toContain("286 rows = 11 states × 26 events");
    expect(text).toContain('data-state="CLOSING"');
    expect(text).toContain("| FIN_WAIT_1 | rcv FIN | CLOSING | ACK |");
    expect(text).toContain("window.pkt (RFC 5961 on): passed, every line matched");
    expect(text).toContain("three-rsts.pkt (RFC 793's rules): FAILED at line 11");
    expect(text).toContain("<tr><td>CLOSING</td><td>rcv ACK</td><td>CLOSING</td>");
    expect(text).toContain("SYN_RCVD: RCV_RST → LISTEN [if passiveOpen]");
    expect(text).toContain("CLOSED: RCV_SYN, RCV_SYN_ACK, RCV_ACK, RCV_FIN, RCV_DATA, RCV_NO_ACK → CLOSED sends RST");
  },
  "04-time-wait.ipynb": (text) => {
    expect(text).toMatch(/rfc9293 +client TIME_WAIT from [\d.]+ s to [\d.]+ s = 240\.00 s/);
    expect(text).toMatch(/linux +client TIME_WAIT from [\d.]+ s to [\d.]+ s = 60\.00 s/);
    expect(text).toContain("ports exhausted at 28.232 s");
    expect(text).toMatch(/[┼┤][─╭╮╯╰]/); // an asciichart was drawn
    expect(text).toContain("(retransmission)");
    // The lesson's netstat pipeline counts header words; found in live output, not typed in.
    expect(text).toMatch(/not TCP states: 1 × "Foreign", 1 × "established\)"/);
    expect(text).toMatch(/tw_sock_TCP +\d+ bytes per object/);
    expect(text).toMatch(/timer:\(timewait,\d+sec,0\)/);
    expect(text).toContain("part 1: server's new ISN − old ISN = 65639; expected 65537 + 1 (SYN) + 100 (data) + 1 (FIN) = 65639");
    expect(text).toMatch(/rfc1337 on +TIME_WAIT × rcv RST +→ TIME_WAIT/);
    expect(text).toMatch(/rfc1337 off +TIME_WAIT × rcv RST +→ CLOSED/);
  },
  "06-lifecycle-monitor.ipynb": (text) => {
    const plain = text.replace(/\x1b\[\d+m/g, "");
    expect(plain).toContain("detected format: ss (the ss header on line 1)");
    // F2: the count of our lines is printed by code.
    expect(plain).toContain("ours: 7 lines = 1 listener + 6 ESTABLISHED ends (3 connections × 2 ends)");
    // Why the lesson's monitor counted nothing on Linux: ss spells it TIME-WAIT.
    expect(plain).toMatch(/the script's count of our 30 lines: TIME_WAIT 0\n/);
    expect(plain).toMatch(/the parser's count of our 30 lines: TIME_WAIT 30\n/);
    expect(plain).toContain("what the State column says: TIME-WAIT\n");
    // F1: the spellings per tool, computed.
    expect(plain).toContain("ss            spells 8 of 11 states as the RFC does; differs: UNCONN for CLOSED, SYN-RECV for SYN-RECEIVED, ESTAB for ESTABLISHED");
    expect(plain).toContain("without the state: 0 records; 30 lines skipped: no State column");
    expect(plain).toContain('with { state: "TIME_WAIT" }: 30 TIME_WAIT records');
    // The CLOSE_WAIT pile-up is reported, naming this process and the server's port.
    const port = /server on 127\.0\.0\.1:(\d+); on our port: LISTEN 1, FIN_WAIT_2 10, CLOSE_WAIT 10\n/.exec(plain)?.[1];
    const pid = /this kernel's process: pid (\d+)/.exec(plain)?.[1];
    expect(port).toBeDefined();
    expect(plain).toContain('"message": "10 connections in CLOSE_WAIT (threshold 5)"');
    expect(plain).toContain(`node (pid ${pid}) on port ${port}: 10`);
    // The sampled series: an asciichart drawn; the trace sees every change of 8 connections.
    expect(plain).toMatch(/Connections on port \d+, one sample every 200 ms\n/);
    expect(plain).toMatch(/[┼┤][─╭╮╯╰]/);
    expect(plain).toContain("traced 80 state changes of our 8 connections");
    // The diagnoses, judged by the parser and the monitor's rules.
    expect(plain).toMatch(/Right: The monitor's CLOSE_WAIT rule fires \(\d+ connections in CLOSE_WAIT \(threshold 100\)\); pid \d+ \(node\)/);
    expect(plain).toMatch(/Right: Running the rules on the dump: time-wait-pileup fires/);
  },
  "07-cheat-sheet.ipynb": (text) => {
    // The self-test's answers come from the library (here: tcp_max_tw_buckets' overflow rate).
    expect(text).toContain("6000 / 60 s = 100.0 sockets expire per second");
    // netstat's header words, found in this machine's live output.
    expect(text).toMatch(/Foreign/);
  },
  "05-abnormal-close.ipynb": (text) => {
    // Every live demo did what was expected, on this machine's kernel.
    expect(text.match(/the kernel did what was expected/g)?.length).toBe(8);
    expect(text).not.toContain("did NOT");
    expect(text).toContain("error=ECONNREFUSED");
    expect(text).toContain("clientRecvQ=100");
    expect(text).toContain("serverReadEof=true");
    expect(text).toMatch(/[┼┤][─╭╮╯╰]/); // the CLOSE_WAIT chart
    expect(text).toContain("max CLOSE_WAIT: 5, max FIN_WAIT_2 (client side): 5");
    expect(text).toContain("<svg");
    expect(text).toContain("the simulator and the kernel agree");
    // The half-open connection: found out only by a timeout.
    expect(text).toMatch(/connection 1: ETIMEDOUT \d+ ms after its write, after \d+ retransmissions/);
    expect(text).toMatch(/connection 2: ETIMEDOUT \d+ ms after connect, after 2 unanswered keepalive probes/);
    // Leaky vs fixed code, both run against the kernel.
    expect(text).toMatch(/leaky: 6 clients sent a request and half-closed; CLOSE_WAIT on port \d+: 6 right after/);
    expect(text).toMatch(/fixed: 6 clients sent a request and half-closed; CLOSE_WAIT on port \d+: 0 right after, 0 half a second later/);
    // Exercise 05.3's judge: the leaky handler before, the fixed one after, both on the kernel.
    expect(text).toContain("before (the leaky handler): 2 of 6 stuck in CLOSE_WAIT; after (yours): 0 of 6");
    // With capture the real ladder is drawn; without, the notebook says why.
    expect(text).toMatch(/capture works here|capture is not available here: /);
  },
};

const streamText = (cell: Notebook["cells"][number]): string =>
  cell.cell_type === "code" ? cell.outputs.map((o) => (o.output_type === "stream" ? joinText(o.text) : "")).join("") : "";

/**
 * Every exercise cell, run as committed (answer `undefined`), prints only the neutral prompt:
 * never the answer, a hint or a verdict. Its solution cell (the next one, tagged `solution`)
 * shows the checker agreeing, so a wrong solution fails the build. The static rules (ids,
 * counts, hidden solutions) are in test/exercises.rules.test.ts.
 */
function checkExercises(nb: Notebook, file: string): void {
  let exercises = 0;
  for (const [i, cell] of nb.cells.entries()) {
    const meta = cell.metadata["exercise"] as { id?: string } | undefined;
    if (cell.cell_type !== "code" || meta?.id === undefined) continue;
    exercises++;
    const where = `${file} cell ${i} (exercise ${meta.id}, as committed)`;
    // The cell may show what the question is about first (a capture's ladder); it ends with the prompt.
    const shown = streamText(cell);
    expect(shown.endsWith(`Exercise ${meta.id}: ${UNANSWERED_PROMPT} Expected: ${getExercise(meta.id).expects}.\n`), `${where}: ${shown.slice(-300)}`).toBe(true);
    for (const verdict of ["Right:", "Not quite", "The answer:", "Hint:"]) expect(shown, where).not.toContain(verdict);
    const solution = nb.cells[i + 1];
    expect(solution && hasTag(solution, "solution"), `${where}: solution follows`).toBe(true);
    const out = solution ? streamText(solution) : "";
    expect(out, `${file} cell ${i + 1} (solution of ${meta.id})`).toMatch(/^Right: /m);
    expect(out, `${file} cell ${i + 1} (solution of ${meta.id})`).not.toContain("Not quite");
  }
  expect(exercises, `${file}: exercises`).toBeGreaterThanOrEqual(3);
}

let results: NotebookResult[] = [];

beforeAll(async () => {
  results = await runNotebooks(files, { outDir: OUT, force: true });
}, 600_000);

describe("chapter notebooks execute through the runner", () => {
  it(`runs every notebook in ${DIR}/ (${files.length} found)`, () => {
    // Every chapter is there: with no notebooks the per-notebook tests below would be zero and pass.
    expect(files.length).toBeGreaterThanOrEqual(8);
    expect(results.map((r) => r.file)).toEqual(files);
  });

  it.each(files)("%s executes without error", (file) => {
    const r = results.find((x) => x.file === file);
    expect(r?.failure?.report ?? "").toBe("");
    expect(r?.status).toBe("passed");
    const parsed = parseNotebook(readFileSync(r?.outPath ?? "", "utf8"), file);
    if (!parsed.ok) throw new Error(parsed.error);
    CHECKS[file.slice(DIR.length + 1)]?.(outputText(parsed.notebook), parsed.notebook);
    checkExercises(parsed.notebook, file);
  });
});
