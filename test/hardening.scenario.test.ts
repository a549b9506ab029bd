/**
 * Scenarios, simulate, population and notebook input under bad or huge input: defects 7, 9,
 * 12, 13, 15, 17 and 19 of the reliability review (../shared/reviews/reliability-review.md),
 * each reproduced as the tester ran it, through the built CLI (`npm run build:lib` first).
 * A user error exits 2 with the message on stderr, no stack trace and nothing on stdout;
 * docs/limits.md ("Scenarios, simulate and population") lists the bounds tested here.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  MAX_EXCERPT, MAX_SCENARIO_DEPTH, MAX_TRACE_EVENTS, PRESET_NAMES, SimulationLimitError, excerpt, formatScenarioError, jsonSyntaxError,
  parseScenarioJson, runSimulation, validateScenario, type Scenario,
} from "../src/sim/index.js";
import { MAX_NOTEBOOK_DEPTH, parseNotebook } from "../src/notebook/nbformat.js";
import { SEED, check } from "./support/property.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const dir = mkdtempSync(join(tmpdir(), "hardening-scenario-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], opts: { input?: string; cwd?: string } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8", timeout: 60_000, maxBuffer: 256 << 20, ...(opts.input !== undefined ? { input: opts.input } : {}), cwd: opts.cwd ?? dir,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A user error: exit 2, nothing on stdout, exactly `stderr` (as lines), no stack trace. */
function expectUserError(r: { code: number | null; out: string; err: string }, ...lines: string[]): void {
  expect(r.err).toBe(lines.map((l) => `${l}\n`).join(""));
  expect(r.code).toBe(2);
  expect(r.out).toBe("");
}

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const bulk = (bytes: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ start: "established", ...extra, steps: { client: [{ at: 0, do: "send", bytes }] } });
const INVALID = (name: string) => `tcp-lifecycle: ${name}: invalid scenario (see docs/scenario-format.md):`;

describe("defect 7: a run records at most 100,000 trace events, and its ladder draws in time linear in it", () => {
  it("1,000,000,000 bytes are refused before the run, naming the step and the bound", () => {
    file("s1e9.json", bulk(1_000_000_000));
    expectUserError(
      cli(["simulate", "s1e9.json"]),
      INVALID("s1e9.json"),
      "  steps.client[0].bytes: the send steps would record about 1369864 trace events, more than the 100000 a run may record " +
        "(see docs/limits.md); lower the bytes: at most about 73000000 in all",
    );
  });

  it("with link.duplicate 1 (which ran out of heap) the bound is 6 events per segment, and says so", () => {
    file("s1e9d.json", bulk(1_000_000_000, { link: { duplicate: 1 } }));
    expectUserError(
      cli(["simulate", "s1e9d.json", "--format", "json"]),
      INVALID("s1e9d.json"),
      "  steps.client[0].bytes: the send steps would record about 4109592 trace events, more than the 100000 a run may record " +
        "(see docs/limits.md); lower the bytes: at most about 24332360 in all with link.duplicate 1",
    );
  });

  it("the largest of several send steps is named", () => {
    const doc = {
      link: { rules: [{ action: "duplicate", from: "server" }] },
      steps: { client: [{ at: 0, do: "send", bytes: 10_000_000 }], server: [{ at: 0, do: "send", bytes: 1_000 }, { at: 1, do: "send", bytes: 20_000_000 }] },
    };
    const r = validateScenario(doc);
    expect(r.ok ? [] : r.errors.map(formatScenarioError)).toEqual([
      "steps.server[1].bytes: the send steps would record about 123300 trace events, more than the 100000 a run may record " +
        "(see docs/limits.md); lower the bytes: at most about 24332360 in all with a duplicate rule (link.rules)",
    ]);
  });

  it("a run that passes the bound through retransmissions is refused after it (go-back-one after 1% loss)", () => {
    // 40,000 segments estimate 80,000 events; every segment after a loss is dropped out of
    // order and retransmitted on its own, so the run records about twice as many.
    file("storm.json", bulk(40_000 * 1460, { profile: "linux", until: 86_400, link: { loss: 0.01 } }));
    expectUserError(
      cli(["simulate", "storm.json", "--format", "json"]),
      "tcp-lifecycle: storm.json: the run recorded 160607 trace events, more than the 100000 a run may record (see docs/limits.md); " +
        "lower the bytes of the send steps, link.duplicate, link.loss or until",
    );
    const v = validateScenario(JSON.parse(bulk(40_000 * 1460, { profile: "linux", until: 86_400, link: { loss: 0.01 } })));
    expect(v.ok).toBe(true);
    expect(() => runSimulation((v as { scenario: Scenario }).scenario)).toThrow(SimulationLimitError);
  });

  it("a run at the bound is drawn: 73,000,000 bytes make exactly 100,000 trace events", () => {
    file("max.json", bulk(73_000_000));
    const json = cli(["simulate", "max.json", "--format", "json"]);
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out).trace).toHaveLength(MAX_TRACE_EVENTS);
    const ascii = cli(["simulate", "max.json"]);
    expect(ascii.code, ascii.err).toBe(0);
    // Title, blank, heading, initial states; 3 rows per segment (label, leaving arrow, arriving arrow)
    // and one wrapped label (the first full-size segment's); the foot, the key and the numbering line,
    // two blanks, final, "".
    expect(ascii.out.split("\n")).toHaveLength(2 + 2 + 3 * 100_000 + 1 + 1 + 2 + 2 + 1 + 1);
    expect(ascii.out.endsWith("\nfinal: client ESTABLISHED, server ESTABLISHED\n")).toBe(true);
  });
});

describe("defect 9: deep nesting is a user error, never a stack trace", () => {
  it.each([5_000, 100_000])("a scenario file of %i nested arrays", (depth) => {
    file(`deep${depth}.json`, "[".repeat(depth) + "]".repeat(depth));
    expectUserError(
      cli(["simulate", `deep${depth}.json`]),
      INVALID(`deep${depth}.json`),
      "  nested too deeply at line 1, column 65 (byte offset 64): more than 64 levels of arrays and objects (a scenario needs 5; see docs/limits.md)",
    );
  });

  it("a deep value inside a field is refused at its line and column before the validator walks it", () => {
    const text = `{\n  "steps": {},\n  "title": ${"[".repeat(10_000)}${"]".repeat(10_000)}\n}\n`;
    const r = parseScenarioJson(text);
    expect(r.ok ? [] : r.errors.map(formatScenarioError)).toEqual([
      "nested too deeply at line 3, column 75 (byte offset 91): more than 64 levels of arrays and objects (a scenario needs 5; see docs/limits.md)",
    ]);
  });

  it("validateScenario (for documents built in code) names the path where the limit is passed", () => {
    let doc: Record<string, unknown> = {};
    const root = { steps: {}, link: doc };
    for (let i = 0; i < 100_000; i++) doc = (doc.rules = {}) as Record<string, unknown>;
    const r = validateScenario(root);
    expect(r.ok ? [] : r.errors.map(formatScenarioError)).toEqual([
      `${"link" + ".rules".repeat(12)}.ru…: nested more than 64 levels deep (a scenario needs 5; see docs/limits.md)`,
    ]);
    expect(MAX_SCENARIO_DEPTH).toBe(64);
  });

  it("a notebook whose code cell's metadata nests 100,000 deep: notebooks run reports FILE:LINE:COLUMN and goes on", () => {
    const deep = '{"a":'.repeat(100_000) + "1" + "}".repeat(100_000);
    const nb = `{"nbformat": 4, "nbformat_minor": 5, "metadata": {},\n "cells": [{"cell_type": "code", "source": "1", "metadata": ${deep}, "outputs": [], "execution_count": null}]}`;
    const path = file("deep.ipynb", nb);
    const parsed = parseNotebook(nb, "deep.ipynb");
    // Level 257 opens at the 254th {"a": of the metadata (levels: root, cells, cell, metadata…).
    const column = nb.indexOf('"metadata": {"a"') + '"metadata": '.length - nb.indexOf("\n") + 253 * 5;
    expect(parsed).toEqual({ ok: false, error: `deep.ipynb:2:${column}: arrays and objects nested more than 256 levels deep (see docs/limits.md)` });
    expect(MAX_NOTEBOOK_DEPTH).toBe(256);
    const r = cli(["notebooks", "run", path, "--out", join(dir, "nb-out")]);
    expect(r.err).not.toMatch(/RangeError|\n\s+at /);
    expect(r.out + r.err).toContain(`deep.ipynb:2:${column}: arrays and objects nested more than 256 levels deep (see docs/limits.md)`);
    expect(r.code).toBe(1); // an unreadable notebook fails the run, as one with a JSON syntax error does
  });
});

describe("defect 15: a byte order mark is skipped, and a syntax error gives line, column and byte offset", () => {
  it("a UTF-8 BOM before the scenario is accepted: the same output as without it", () => {
    file("bom.json", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"steps":{}}')]));
    file("plain.json", '{"steps":{}}');
    const withBom = cli(["simulate", "bom.json", "--format", "json"]);
    expect(withBom.code, withBom.err).toBe(0);
    expect(withBom.out).toBe(cli(["simulate", "plain.json", "--format", "json"]).out);
  });

  it("a syntax error: line, column in characters, byte offset counting the BOM and multi-byte characters; no invisible character echoed", () => {
    file("bad-bom.json", "\ufeff{\n  \"title\": \"café\",\n  \"steps\": {}\ufeff\n}\n");
    const r = cli(["simulate", "bad-bom.json"]);
    expectUserError(
      r,
      INVALID("bad-bom.json"),
      // 3 (BOM) + 2 + 20 ("café" is 5 bytes) + 13 bytes before the second BOM.
      '  not valid JSON at line 3, column 14 (byte offset 38): expected "," or "}", found U+FEFF (a byte order mark)',
    );
    expect(r.err).not.toContain("\ufeff");
  });

  it.each([
    ["", 'not valid JSON at line 1, column 1 (byte offset 0): expected a value (an object, array, string, number, true, false or null), found the end of the input'],
    ['{"steps": {}', 'not valid JSON at line 1, column 13 (byte offset 12): expected "," or "}", found the end of the input'],
    ['{"steps": {}}\u200b', "not valid JSON at line 1, column 14 (byte offset 13): expected the end of the input after the value, found U+200B"],
    ['{"name": "a\tb"}', "not valid JSON at line 1, column 12 (byte offset 11): expected a character of a string (a control character must be written as an escape such as \\n), found U+0009"],
    ["{'steps': {}}", 'not valid JSON at line 1, column 2 (byte offset 1): expected a field name in double quotes, or "}", found "\'"'],
  ])("%j", (text, message) => {
    const r = parseScenarioJson(text);
    expect(r.ok ? [] : r.errors.map(formatScenarioError)).toEqual([message]);
  });

  it(`jsonSyntaxError finds an error exactly when JSON.parse does (seed ${SEED})`, () => {
    const json = fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(0, 1, 2)).map(([v, indent]) => JSON.stringify(v, null, indent));
    const mutated = fc.tuple(json, fc.nat(), fc.constantFrom("", ",", "}", "]", "{", "[", '"', ":", "\\", "\u0001", "\ufeff", "x", "-", "0", "e", ".", " ")).map(
      ([text, at, insert]) => {
        const i = text.length === 0 ? 0 : at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + (insert === "" ? 1 : 0));
      },
    );
    check("jsonSyntaxError agrees with JSON.parse", fc.oneof(json, mutated), (text) => {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      const e = jsonSyntaxError(text);
      expect(e === undefined, `${JSON.stringify(text)}: ${e?.message}`).toBe(valid);
      if (e) expect(e.offset).toBeLessThanOrEqual(text.length);
    });
  });
});

describe("defect 17: messages quote at most 80 characters of the input", () => {
  it("a 10 MB profile string: one bounded line, not 10 MB of stderr", () => {
    file("long.json", JSON.stringify({ steps: {}, profile: "x".repeat(10_000_000) }));
    expectUserError(cli(["simulate", "long.json"]), INVALID("long.json"), `  profile: expected one of rfc9293, linux, got "${"x".repeat(78)}…`);
  });

  it("a nested value, a long unknown field name and invisible characters are cut and made visible", () => {
    const nested = JSON.parse("[".repeat(60) + "]".repeat(60)) as unknown;
    const r = validateScenario({ steps: nested, ["k\u200b".repeat(1000)]: 1, link: { loss: "\ufeff1" } });
    expect(r.ok ? [] : r.errors.map(formatScenarioError)).toEqual([
      `["${"k\\u200b".repeat(5)}k…]: unknown field; allowed fields are name, title, description, profile, rfc5961, seed, start, delayedAck, endpoints, link, steps, until`,
      `steps: expected {"client": [steps], "server": [steps]}, got ${"[".repeat(8)}[…]${"]".repeat(8)}`,
      'link.loss: expected a number from 0 to 1, got "\\ufeff1"',
    ]);
    for (const v of [nested, "y".repeat(1e6), { a: "b".repeat(500) }, Array.from({ length: 1e5 }, (_, i) => i)]) {
      expect(excerpt(v).length).toBeLessThanOrEqual(MAX_EXCERPT);
    }
  });

  it("a file with 5,000 bad steps prints the first 20 errors and counts the rest", () => {
    file("many.json", JSON.stringify({ steps: { client: Array.from({ length: 5000 }, () => ({ at: 0, do: "hangup" })) } }));
    const r = cli(["simulate", "many.json"]);
    const lines = r.err.split("\n");
    expect(lines).toHaveLength(1 + 20 + 1 + 1);
    expect(lines[1]).toBe('  steps.client[0].do: expected one of listen, connect, send, close, shutdown, abort, read, reboot, got "hangup"');
    expect(lines[21]).toBe("  … and 4980 more errors");
    expect(r.code).toBe(2);
  });
});

describe("defect 19: a preset name and a file are told apart by whether the file exists", () => {
  it("an existing file of any name is read as a scenario", () => {
    file("junk.bin", '{"name": "from-junk", "steps": {}}');
    const r = cli(["simulate", "junk.bin", "--format", "json"]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).name).toBe("from-junk");
  });

  it("- reads standard input", () => {
    const r = cli(["simulate", "-", "--format", "json"], { input: '{"name": "from-stdin", "steps": {}}' });
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).name).toBe("from-stdin");
    expectUserError(cli(["simulate", "-"], { input: "{" }), INVALID("<stdin>"), "  not valid JSON at line 1, column 2 (byte offset 1): expected a field name in double quotes, or \"}\", found the end of the input");
  });

  it("standard input is bounded like a file: 16 MiB", () => {
    const r = cli(["simulate", "-"], { input: " ".repeat(17 << 20) });
    expectUserError(
      r,
      "tcp-lifecycle: <stdin>: a scenario file is limited to 16 MiB (16777216 bytes) and this input goes on past it (not a regular file, or still growing)",
    );
  });

  it("a FIFO is read as a scenario", () => {
    const fifo = join(dir, "scenario.fifo");
    execFileSync("mkfifo", [fifo]);
    const writer = spawnSync("sh", ["-c", `printf '%s' '{"name": "from-fifo", "steps": {}}' > '${fifo}' & node '${CLI}' simulate '${fifo}' --format json; wait`], {
      encoding: "utf8", timeout: 30_000,
    });
    expect(writer.status, writer.stderr).toBe(0);
    expect(JSON.parse(writer.stdout).name).toBe("from-fifo");
  });

  it("a directory, a missing path and an unknown name are user errors that say which was meant", () => {
    mkdirSync(join(dir, "adir"), { recursive: true });
    expectUserError(cli(["simulate", "adir"]), "tcp-lifecycle: adir: is a directory; expected a preset name or a scenario file");
    expectUserError(cli(["simulate", "./missing.txt"]), "tcp-lifecycle: ./missing.txt: cannot read the scenario file (no such file)");
    expectUserError(
      cli(["simulate", "x"]),
      `tcp-lifecycle: unknown preset "x" and no such file: expected one of ${PRESET_NAMES.join(", ")}, or a scenario file (any name; - for standard input)`,
    );
    const long = cli(["simulate", "p".repeat(5000)]);
    expect(long.err.startsWith(`tcp-lifecycle: unknown preset "${"p".repeat(78)}… and no such file:`)).toBe(true);
    expect(long.code).toBe(2);
  });

  it("a preset name wins over a file of that name; ./name reads the file", () => {
    const cwd = join(dir, "preset-named");
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, "lost-fin"), '{"name": "the-file", "steps": {}}');
    const preset = cli(["simulate", "lost-fin", "--format", "json"], { cwd });
    expect(JSON.parse(preset.out).name).toBe("lost-fin");
    const own = cli(["simulate", "./lost-fin", "--format", "json"], { cwd });
    expect(JSON.parse(own.out).name).toBe("the-file");
  });
});

describe("defects 12 and 13: population bounds its work, and its options are checked as simulate's are", () => {
  it("--rate 1e12 --count 1e12 (which ran for hours) is refused at once", () => {
    expectUserError(
      cli(["population", "--rate", "1e12", "--count", "1e12"]),
      "tcp-lifecycle: --count: at most 10000000 connections per run (see docs/limits.md), got 1e12",
    );
  });

  it.each(["-1", "1e20", "4294967296", "1.5", "x"])("--seed %s: the same message from population and simulate", (seed) => {
    const sim = cli(["simulate", "four-way-close", "--seed", seed]);
    const pop = cli(["population", "--rate", "10", "--count", "10", "--arrivals", "poisson", "--seed", seed]);
    const shown = seed === "x" ? '"x"' : seed;
    expectUserError(sim, `tcp-lifecycle: --seed: expected an integer from 0 to 4294967295, got ${shown}`);
    expectUserError(pop, `tcp-lifecycle: --seed: expected an integer from 0 to 4294967295, got ${shown}`);
  });

  it.each([["--rtt"], ["--hold"], ["--close-delay"]])("%s 1e308 is refused naming that option, not rate/count", (option) => {
    expectUserError(
      cli(["population", "--rate", "10", "--count", "10", option, "1e308"]),
      `tcp-lifecycle: ${option}: expected a number of seconds from 0 to 86400, got 1e308`,
    );
  });
});
