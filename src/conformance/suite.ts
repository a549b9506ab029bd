/**
 * The project's conformance suite: packetdrill scripts (test/conformance/**\/*.pkt), each
 * with a header saying which profiles it holds for. This module runs them on the simulator,
 * counts which of the table's distinct judgements they exercise (against the matrix of
 * ./matrix.ts) and renders the summary that docs/conformance.md is generated from
 * (scripts/conformance-doc.mjs). Reading the files is the caller's job: pure, no Node imports.
 *
 * Header lines (in the script's comments):
 *   // profile: both | linux | rfc9293
 *   // rfc5961: off          (RFC 793's rules; default on)
 *   // kernel: yes           (also checked against this machine's kernel: test/conformance.kernel.test.ts)
 *   // covers: <STATE> × <KIND> @ <positions>
 *   // known-difference: <profile> line <N>: <why>
 *                            (the kernel does this, the model does not, yet: the simulator run
 *                            under that profile must fail at exactly line N; listed in the docs)
 */
import type { ProfileName } from "../fsm/profiles.js";
import { STATES, type TcpState } from "../fsm/states.js";
import { runScript, type ScriptFailure } from "../packetdrill/run.js";
import { judgeCase, matrixCases } from "./matrix.js";

export interface KnownDifference {
  readonly profile: ProfileName;
  readonly line: number;
  readonly why: string;
}

export interface ScriptHeader {
  readonly profiles: readonly ProfileName[];
  readonly known: readonly KnownDifference[];
  readonly rfc5961: boolean;
  readonly kernel: boolean;
  readonly covers: readonly string[];
}

/** The header, or a message saying what is wrong with it. */
export function parseScriptHeader(text: string): { ok: true; header: ScriptHeader } | { ok: false; message: string } {
  const field = (name: string): string[] =>
    [...text.matchAll(new RegExp(`^\\s*//\\s*${name}:\\s*(.+?)\\s*$`, "gm"))].map((m) => m[1]!);
  const profile = field("profile");
  if (profile.length !== 1) return { ok: false, message: `expected one "// profile: both|linux|rfc9293" line, found ${profile.length}` };
  const p = profile[0]!;
  if (p !== "both" && p !== "linux" && p !== "rfc9293") return { ok: false, message: `profile: expected both, linux or rfc9293, got "${p}"` };
  const rfc = field("rfc5961");
  if (rfc.length > 0 && rfc[0] !== "off" && rfc[0] !== "on") return { ok: false, message: `rfc5961: expected on or off, got "${rfc[0]}"` };
  const kernel = field("kernel");
  if (kernel.length > 0 && kernel[0] !== "yes" && kernel[0] !== "no") return { ok: false, message: `kernel: expected yes or no, got "${kernel[0]}"` };
  const profiles: ProfileName[] = p === "both" ? ["linux", "rfc9293"] : [p];
  if (kernel[0] === "yes" && !profiles.includes("linux")) return { ok: false, message: "kernel: yes needs profile linux or both" };
  const known: KnownDifference[] = [];
  for (const k of field("known-difference")) {
    const m = /^(linux|rfc9293) line (\d+): (.+)$/.exec(k);
    if (!m) return { ok: false, message: `known-difference: expected "<profile> line <N>: <why>", got "${k.slice(0, 40)}"` };
    known.push({ profile: m[1] as ProfileName, line: Number(m[2]), why: m[3]! });
  }
  return { ok: true, header: { profiles, known, rfc5961: rfc[0] !== "off", kernel: kernel[0] === "yes", covers: field("covers") } };
}

/** A segment kind as the matrix names it, from the flags the script wrote and whether it had data. */
export function kindName(flags: string, data: boolean): string {
  const has = (c: string): boolean => flags.includes(c);
  const ack = has(".");
  if (has("R")) return ack ? "RST+ACK" : "RST";
  if (has("S")) return ack ? "SYN+ACK" : "SYN";
  if (data) return ack ? "data+ACK" : "data";
  if (has("F")) return ack ? "FIN+ACK" : "FIN";
  return ack ? "ACK" : "(no flags)";
}

/** What the table distinguishes: state, kind, the check that judged it, and the outcome. */
export function judgementKey(state: TcpState, kind: string, rule: string, next: TcpState, replies: readonly string[]): string {
  return `${state} × ${kind}: ${rule} → ${next}${replies.length ? ` [${replies.join(" ")}]` : ""}`;
}

export interface ScriptResult {
  readonly path: string;
  readonly header: ScriptHeader | null;
  /** A header or syntax problem. */
  readonly error?: string;
  readonly runs: readonly { readonly profile: ProfileName; readonly passed: boolean; readonly failure: ScriptFailure | null;
    readonly skipped: number;
    /** A known difference this run shows as stated (it fails at the line its header names). */
    readonly known?: KnownDifference }[];
  readonly lines: number;
}

export interface Coverage {
  readonly profile: ProfileName;
  readonly rfc5961: boolean;
  /** Judgements a portable script cannot state (see `expressible`), left out of `required`. */
  readonly inexpressible: readonly string[];
  readonly required: readonly string[];
  readonly covered: readonly string[];
  readonly missing: readonly string[];
}

export interface ConformanceReport {
  readonly scripts: readonly ScriptResult[];
  readonly coverage: readonly Coverage[];
}

const SETTINGS: readonly { profile: ProfileName; rfc5961: boolean }[] = [
  { profile: "linux", rfc5961: true }, { profile: "rfc9293", rfc5961: true },
  { profile: "linux", rfc5961: false }, { profile: "rfc9293", rfc5961: false },
];

/** Every distinct judgement of the matrix under a setting (with RFC 5961 off: only those that differ from on). */
export function requiredJudgements(profile: ProfileName, rfc5961: boolean): string[] {
  const keys = (on: boolean): Set<string> => {
    const set = new Set<string>();
    for (const c of matrixCases()) {
      const j = judgeCase(c, profile, on);
      set.add(judgementKey(j.state, c.kind.name, j.rule, j.next, j.replies));
    }
    return set;
  };
  const these = keys(rfc5961);
  if (rfc5961) return [...these].sort();
  const withOn = keys(true);
  return [...these].filter((k) => !withOn.has(k)).sort();
}

/**
 * Whether a script can state the judgement. A RST answering a bare SYN in a synchronized state is
 * <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>: an absolute 0, which a script cannot write once the
 * endpoint's ISN is known (packetdrill's numbers are relative to it, and the kernel's ISN is random).
 */
export function expressible(key: string): boolean {
  const state = key.slice(0, key.indexOf(" × "));
  const synced = state !== "CLOSED" && state !== "LISTEN" && state !== "SYN_SENT";
  return !(synced && key.includes(" × SYN: ") && key.endsWith("[RST,ACK]"));
}

/** Run every script under the profiles its header names, and count coverage. */
export function runConformance(files: readonly { path: string; text: string }[]): ConformanceReport {
  const covered = new Map<string, Set<string>>(SETTINGS.map((s) => [`${s.profile}/${s.rfc5961}`, new Set()]));
  const scripts: ScriptResult[] = [];
  for (const f of files) {
    const lines = f.text.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("//")).length;
    const h = parseScriptHeader(f.text);
    if (!h.ok) {
      scripts.push({ path: f.path, header: null, error: h.message, runs: [], lines });
      continue;
    }
    const runs: { profile: ProfileName; passed: boolean; failure: ScriptFailure | null; skipped: number; known?: KnownDifference }[] = [];
    let error: string | undefined;
    for (const profile of h.header.profiles) {
      const r = runScript(f.text, { file: f.path, profile, rfc5961: h.header.rfc5961 });
      if (!r.ok) {
        error = r.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`).join("; ");
        break;
      }
      const known = h.header.known.find((k) => k.profile === profile);
      if (known !== undefined) {
        // Expected to fail exactly there; passing, or failing elsewhere, is a problem to report.
        const asStated = !r.run.passed && r.run.failure?.line === known.line;
        runs.push({ profile, passed: asStated, failure: asStated ? null : r.run.failure ?? {
          line: known.line, expected: "(a failure, as the known-difference header says)", actual: "(the script passed)",
          reason: "the known difference is gone: remove the header line" }, skipped: r.run.skipped.length, known });
        continue;
      }
      runs.push({ profile, passed: r.run.passed, failure: r.run.failure, skipped: r.run.skipped.length });
      if (!r.run.passed) continue;
      const set = covered.get(`${profile}/${h.header.rfc5961}`)!;
      for (const j of r.run.judged) set.add(judgementKey(j.state, kindName(j.flags, j.data), j.rule, j.next, j.replies));
    }
    scripts.push({ path: f.path, header: h.header, ...(error !== undefined ? { error } : {}), runs, lines });
  }
  const coverage = SETTINGS.map(({ profile, rfc5961 }) => {
    const all = requiredJudgements(profile, rfc5961);
    const required = all.filter(expressible);
    const have = covered.get(`${profile}/${rfc5961}`)!;
    return {
      profile, rfc5961, required, inexpressible: all.filter((k) => !expressible(k)), covered: required.filter((k) => have.has(k)), missing: required.filter((k) => !have.has(k)),
    };
  });
  return { scripts, coverage };
}

/** The folder a script sits in names its state: test/conformance/07-fin-wait-2/x.pkt → FIN_WAIT_2. */
export function stateOfPath(path: string): string {
  const m = /(?:^|\/)\d+-([a-z0-9-]+)\//.exec(path);
  if (!m) return "other";
  const name = m[1]!.toUpperCase().replace(/-/g, "_").replace(/^FIN_WAIT_(\d)$/, "FIN_WAIT_$1");
  return (STATES as readonly string[]).includes(name) ? name : m[1]!;
}

/** docs/conformance.md. */
export function renderConformanceMarkdown(report: ConformanceReport): string {
  const groups = new Map<string, ScriptResult[]>();
  for (const s of report.scripts) {
    const k = stateOfPath(s.path);
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  const pass = (list: readonly ScriptResult[], p: ProfileName): string => {
    const ran = list.filter((s) => s.runs.some((r) => r.profile === p));
    return `${ran.filter((s) => s.runs.find((r) => r.profile === p)!.passed).length}/${ran.length}`;
  };
  const keyState = (k: string): string => k.slice(0, k.indexOf(" × "));
  const out: string[] = [
    "# Conformance",
    "",
    "Generated by `npm run conformance:doc` from the scripts in `test/conformance/` (do not edit by hand;",
    "`test/conformance.sim.test.ts` fails when this file is out of date). Each script is a packetdrill script",
    "written by this project; its header says which profiles it holds for (`// profile:`), whether it runs",
    "with RFC 5961 off, and whether it is also checked against this machine's Linux kernel (`// kernel: yes`,",
    "run by `test/conformance.kernel.test.ts` through a TUN device in a private network namespace).",
    "",
    "## Scripts per state",
    "",
    "| State | Scripts | Lines | linux passes | rfc9293 passes | Checked on the kernel |",
    "|---|---|---|---|---|---|",
  ];
  const order = [...STATES, "other"];
  const names = [...groups.keys()].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
  for (const k of names) {
    const list = groups.get(k)!;
    out.push(`| ${k} | ${list.length} | ${list.reduce((n, s) => n + s.lines, 0)} | ${pass(list, "linux")} | ${pass(list, "rfc9293")} | ${list.filter((s) => s.header?.kernel).length} |`);
  }
  const all = report.scripts;
  out.push(`| **all** | ${all.length} | ${all.reduce((n, s) => n + s.lines, 0)} | ${pass(all, "linux")} | ${pass(all, "rfc9293")} | ${all.filter((s) => s.header?.kernel).length} |`);
  out.push("", "## What the table distinguishes, and what the scripts exercise", "",
    "A judgement is a (state, kind of segment, segment check, outcome) that the conformance matrix",
    "(`src/conformance/matrix.ts`: every state, nine kinds of segment, six sequence positions and a bad ACK)",
    "can produce. A passing script exercises the judgements of the segments it injects. With RFC 5961 off,",
    "only the judgements that differ from RFC 5961 on are counted.", "",
    "| State | linux | rfc9293 | linux, RFC 5961 off | rfc9293, RFC 5961 off |", "|---|---|---|---|---|");
  for (const st of STATES) {
    const cell = (c: Coverage): string => {
      const req = c.required.filter((k) => keyState(k) === st).length;
      return req === 0 ? "—" : `${c.covered.filter((k) => keyState(k) === st).length}/${req}`;
    };
    out.push(`| ${st} | ${report.coverage.map(cell).join(" | ")} |`);
  }
  const missing = report.coverage.flatMap((c) => c.missing.map((m) => `- ${c.profile}${c.rfc5961 ? "" : ", RFC 5961 off"}: ${m}`));
  out.push("", missing.length === 0 ? "Every judgement a script can state is exercised by at least one script." : `Not yet exercised (${missing.length}):`);
  if (missing.length > 0) out.push("", ...missing);
  const inexpressible = report.coverage.flatMap((c) => c.inexpressible.map((m) => `- ${c.profile}${c.rfc5961 ? "" : ", RFC 5961 off"}: ${m}`));
  if (inexpressible.length > 0) {
    out.push("", "Left out because a script cannot state them: the RST that answers a bare SYN in a synchronized state is",
      "`<SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>`, an absolute 0 that packetdrill's relative numbers cannot name once the",
      "endpoint's ISN is known. The matrix test (`test/conformance.table.test.ts`) checks these cells.", "", ...inexpressible);
  }
  const known = report.scripts.flatMap((s) => s.runs.filter((r) => r.known).map((r) => `- \`${s.path}\` (${r.profile}, line ${r.known!.line}): ${r.known!.why}`));
  out.push("", "## Known differences between the model and Linux", "",
    "Each script below passes on this machine's kernel; the simulator, under the profile named, fails it at the line",
    "named, for the reason given. The suite checks that each still fails exactly there, so a fix shows up.", "");
  out.push(...(known.length > 0 ? known : ["None."]));
  return out.join("\n") + "\n";
}
