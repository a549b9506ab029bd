/**
 * Scenarios: what a simulation runs. A teacher writes one as JSON (docs/scenario-format.md);
 * `validateScenario` turns untrusted input into a `Scenario` with every default filled in,
 * or into a list of errors that each name the offending field (`steps.server[2].do`) and
 * say what is allowed. It never throws on bad input: errors are values at this boundary.
 *
 * Bounds (docs/limits.md, "Scenarios, simulate and population"): a document nests at most
 * MAX_SCENARIO_DEPTH levels (checked before anything walks it), a message quotes at most
 * MAX_EXCERPT characters of the input, and the send steps may not ask for more trace
 * events than a run may record (MAX_TRACE_EVENTS).
 */
import { nestingPastLimit } from "../parse/json-text.js";
import { PROFILE_NAMES, type ProfileName } from "../fsm/profiles.js";
import type { EndpointName, Flag } from "./trace.js";
import { MSS } from "./segment.js";

/**
 * What a step does. All but "reboot" are the application's calls; "reboot" is the host
 * crashing and coming back: the connection's TCB is gone, nothing is sent (RFC 9293 §3.5.1,
 * Figure 10), and the next segment for it meets a CLOSED connection.
 */
export const ACTIONS = ["listen", "connect", "send", "close", "shutdown", "abort", "read", "reboot"] as const;
export type Action = (typeof ACTIONS)[number];

/** What can start a step besides a clock time. */
export const TRIGGERS = ["established", "eof", "data", "closed"] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const STARTS = ["closed", "established"] as const;
export type Start = (typeof STARTS)[number];

export const RULE_ACTIONS = ["drop", "duplicate", "delay"] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

export const FLAG_NAMES: readonly Flag[] = ["SYN", "FIN", "RST", "PSH", "ACK"];
const ENDPOINT_NAMES: readonly EndpointName[] = ["client", "server"];

export interface Step {
  /** Absolute virtual time, seconds. Exactly one of `at` and `on` is set. */
  readonly at?: number;
  readonly on?: Trigger;
  /** Seconds after the trigger (default 0). */
  readonly after: number;
  readonly do: Action;
  /** Payload bytes, for `send`. */
  readonly bytes: number;
  /** SO_LINGER with a zero timeout, for `close`. */
  readonly linger0: boolean;
}

export interface LinkRule {
  readonly action: RuleAction;
  readonly from?: EndpointName;
  /** Exact set of control bits the segment must carry. */
  readonly flags?: readonly Flag[];
  /** true: only segments with payload; false: only segments without. */
  readonly data?: boolean;
  /** Only retransmissions (true) or only first transmissions (false). */
  readonly retransmission?: boolean;
  /** Seconds: the segment is sent at or after this time. */
  readonly after?: number;
  /** Seconds: the segment is sent before this time. */
  readonly before?: number;
  /** Act on the n-th matching segment only (1-based); absent: on every match. */
  readonly nth?: number;
  /** Extra delay in seconds, for `delay` (and the second copy of `duplicate`). */
  readonly by?: number;
}

export interface LinkSpec {
  /** One-way delay, seconds. */
  readonly delay: number;
  /** Probability that a segment is lost. */
  readonly loss: number;
  /** Probability that a segment is delivered twice. */
  readonly duplicate: number;
  /** Probability that a segment is held back by `reorderDelay`, so later ones overtake it. */
  readonly reorder: number;
  readonly reorderDelay: number;
  readonly rules: readonly LinkRule[];
}

export interface EndpointOptions {
  readonly delayedAck: boolean;
  /** The application reads received data at once; false keeps it unread until a `read` step. */
  readonly autoRead: boolean;
  /** RCV.WND, bytes: advertised in every segment's window field and used by the sequence checks. */
  readonly window: number;
}

/** The receive window an endpoint has unless a scenario or script sets it (no window scaling). */
export const DEFAULT_WINDOW = 65535;

export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly profile: ProfileName;
  /** RFC 5961 on or off; absent: the profile's setting (on in both). */
  readonly rfc5961?: boolean;
  readonly seed: number;
  readonly start: Start;
  readonly endpoints: Readonly<Record<EndpointName, EndpointOptions>>;
  readonly link: LinkSpec;
  readonly steps: Readonly<Record<EndpointName, readonly Step[]>>;
  /** Virtual time limit, seconds. */
  readonly until: number;
}

export interface ScenarioError {
  /** Where in the document: `steps.server[2].do`, `link.rules[0].flags[1]`, or "" for the root. */
  readonly path: string;
  readonly message: string;
}

export type ScenarioResult =
  | { readonly ok: true; readonly scenario: Scenario }
  | { readonly ok: false; readonly errors: readonly ScenarioError[] };

export function formatScenarioError(e: ScenarioError): string {
  return e.path ? `${e.path}: ${e.message}` : e.message;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? "nothing" : excerpt(v));

/** The most characters of the input a message quotes (an excerpt ends in "…"). */
export const MAX_EXCERPT = 80;
/** How deeply a scenario document may nest arrays and objects (a valid one needs 5 levels). */
export const MAX_SCENARIO_DEPTH = 64;
/**
 * The most trace events (segments, lost and duplicated copies included, and state changes)
 * one run may record. Scenarios whose send steps would pass it are refused by the validator;
 * a run that passes it anyway (retransmissions) is refused by `runSimulation`.
 */
export const MAX_TRACE_EVENTS = 100_000;

// Characters a terminal shows as nothing (controls, zero-width, bidi marks, the BOM): a
// message writes them as \uXXXX so that what it quotes can be seen.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\ufff9-\ufffb]/g;
const visible = (text: string): string => text.replace(INVISIBLE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);

/**
 * A value as compact JSON, cut to at most `max` characters (ending in "…" when cut), with
 * invisible characters escaped. Never walks more of the value than it prints, nor deeper
 * than 8 levels, so a 10 MB string or a 100,000-deep array costs nothing.
 */
export function excerpt(value: unknown, max: number = MAX_EXCERPT): string {
  let out = "";
  const full = (): boolean => out.length > max;
  const walk = (v: unknown, depth: number): void => {
    if (full()) return;
    if (typeof v === "string") {
      out += JSON.stringify(v.length > max ? v.slice(0, max + 1) : v).slice(0, v.length > max ? -1 : undefined);
    } else if (Array.isArray(v)) {
      if (depth >= 8) {
        out += v.length === 0 ? "[]" : "[…]";
        return;
      }
      out += "[";
      for (let i = 0; i < v.length && !full(); i++) {
        if (i > 0) out += ",";
        walk(v[i], depth + 1);
      }
      out += "]";
    } else if (typeof v === "object" && v !== null) {
      const keys = Object.keys(v);
      if (depth >= 8) {
        out += keys.length === 0 ? "{}" : "{…}";
        return;
      }
      out += "{";
      for (let i = 0; i < keys.length && !full(); i++) {
        if (i > 0) out += ",";
        walk(keys[i], depth + 1);
        out += ":";
        walk((v as Obj)[keys[i]!], depth + 1);
      }
      out += "}";
    } else {
      out += typeof v === "number" || typeof v === "boolean" || v === null ? String(v) : typeof v;
    }
  };
  walk(value, 0);
  const text = visible(out);
  if (text.length <= max) return text;
  // Cut between whole characters: never inside an escape (\uXXXX, \") or a surrogate pair.
  let cut = 0;
  for (const m of text.matchAll(/\\u[0-9a-fA-F]{4}|\\[\s\S]|[\uD800-\uDBFF][\uDC00-\uDFFF]|[\s\S]/g)) {
    if (m.index + m[0].length > max - 1) break;
    cut = m.index + m[0].length;
  }
  return text.slice(0, cut) + "…";
}

/** A field name as a path shows it: bare when it is a short identifier, else quoted and cut. */
function keyText(key: string): string {
  return /^[A-Za-z_$][\w$]{0,39}$/.test(key) ? key : `[${excerpt(key, 40)}]`;
}

/**
 * Where a value nests deeper than `max` levels (the root is level 1), as the path of the
 * first array or object past the limit, or undefined. Iterative: safe on any depth.
 */
export function tooDeep(value: unknown, max: number): string | undefined {
  interface Frame { readonly v: unknown; readonly depth: number; readonly parent: Frame | undefined; readonly key: string }
  const stack: Frame[] = [{ v: value, depth: 1, parent: undefined, key: "" }];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (typeof f.v !== "object" || f.v === null) continue;
    if (f.depth > max) {
      const keys: string[] = [];
      for (let g: Frame | undefined = f; g?.parent !== undefined; g = g.parent) keys.push(g.key);
      const path = keys.reverse().reduce((p, k) => (k.startsWith("[") ? p + k : join(p, k)), "");
      return path.length > MAX_EXCERPT ? path.slice(0, MAX_EXCERPT - 1) + "…" : path;
    }
    if (Array.isArray(f.v)) {
      for (let i = f.v.length - 1; i >= 0; i--) stack.push({ v: f.v[i], depth: f.depth + 1, parent: f, key: `[${i}]` });
    } else {
      const keys = Object.keys(f.v);
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ v: (f.v as Obj)[keys[i]!], depth: f.depth + 1, parent: f, key: keyText(keys[i]!) });
    }
  }
  return undefined;
}

const TOP_KEYS = ["name", "title", "description", "profile", "rfc5961", "seed", "start", "delayedAck", "endpoints", "link", "steps", "until"];
const STEP_KEYS = ["at", "on", "after", "do", "bytes", "linger0"];
const LINK_KEYS = ["delay", "loss", "duplicate", "reorder", "reorderDelay", "rules"];
const RULE_KEYS = ["action", "from", "flags", "data", "retransmission", "after", "before", "nth", "by"];
const EP_KEYS = ["delayedAck", "autoRead", "window"];

class Checker {
  readonly errors: ScenarioError[] = [];
  err(path: string, message: string): void {
    this.errors.push({ path, message });
  }
  keys(o: Obj, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) this.err(join(path, keyText(k)), `unknown field; allowed fields are ${allowed.join(", ")}`);
    }
  }
  num(o: Obj, key: string, path: string, dflt: number, opt: { min?: number; max?: number; integer?: boolean } = {}): number {
    const v = o[key];
    if (v === undefined) return dflt;
    const p = join(path, key);
    const what = `${opt.integer ? "an integer" : "a number"}${range(opt)}`;
    if (typeof v !== "number" || !Number.isFinite(v) || (opt.integer && !Number.isInteger(v))) {
      this.err(p, `expected ${what}, got ${show(v)}`);
      return dflt;
    }
    if ((opt.min !== undefined && v < opt.min) || (opt.max !== undefined && v > opt.max)) {
      this.err(p, `expected ${what}, got ${v}`);
      return dflt;
    }
    return v;
  }
  bool(o: Obj, key: string, path: string, dflt: boolean): boolean {
    const v = o[key];
    if (v === undefined) return dflt;
    if (typeof v !== "boolean") {
      this.err(join(path, key), `expected true or false, got ${show(v)}`);
      return dflt;
    }
    return v;
  }
  str(o: Obj, key: string, path: string, dflt: string): string {
    const v = o[key];
    if (v === undefined) return dflt;
    if (typeof v !== "string") {
      this.err(join(path, key), `expected a string, got ${show(v)}`);
      return dflt;
    }
    return v;
  }
  choice<T extends string>(o: Obj, key: string, path: string, allowed: readonly T[], dflt: T | undefined): T | undefined {
    const v = o[key];
    if (v === undefined) return dflt;
    if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
      this.err(join(path, key), `expected one of ${allowed.join(", ")}, got ${show(v)}`);
      return dflt;
    }
    return v as T;
  }
}

function join(path: string, key: string): string {
  return path && !key.startsWith("[") ? `${path}.${key}` : path + key;
}
function range(opt: { min?: number; max?: number }): string {
  if (opt.min !== undefined && opt.max !== undefined) return ` from ${opt.min} to ${opt.max}`;
  if (opt.min !== undefined) return ` >= ${opt.min}`;
  return "";
}

const MAX_TIME = 86_400;

function checkStep(c: Checker, raw: unknown, path: string): Step | undefined {
  if (!isObj(raw)) {
    c.err(path, `expected a step object like {"at": 0, "do": "close"}, got ${show(raw)}`);
    return undefined;
  }
  c.keys(raw, path, STEP_KEYS);
  const action = c.choice(raw, "do", path, ACTIONS, undefined);
  if (raw.do === undefined) c.err(join(path, "do"), `missing; expected one of ${ACTIONS.join(", ")}`);
  const hasAt = raw.at !== undefined;
  const hasOn = raw.on !== undefined;
  if (hasAt === hasOn) c.err(path, `needs exactly one of "at" (seconds) or "on" (one of ${TRIGGERS.join(", ")})`);
  const at = hasAt ? c.num(raw, "at", path, 0, { min: 0, max: MAX_TIME }) : undefined;
  const on = hasOn ? c.choice(raw, "on", path, TRIGGERS, undefined) : undefined;
  const after = c.num(raw, "after", path, 0, { min: 0, max: MAX_TIME });
  if (hasAt && raw.after !== undefined) c.err(join(path, "after"), `only allowed with "on"; with "at" give the time directly`);
  const bytes = c.num(raw, "bytes", path, action === "send" ? 100 : 0, { min: 1, max: 1_000_000_000, integer: true });
  if (raw.bytes !== undefined && action !== undefined && action !== "send") c.err(join(path, "bytes"), `only allowed with "do": "send"`);
  const linger0 = c.bool(raw, "linger0", path, false);
  if (raw.linger0 !== undefined && action !== undefined && action !== "close") c.err(join(path, "linger0"), `only allowed with "do": "close"`);
  if (action === undefined) return undefined;
  return { ...(at !== undefined ? { at } : {}), ...(on !== undefined ? { on } : {}), after, do: action, bytes, linger0 };
}

function checkRule(c: Checker, raw: unknown, path: string): LinkRule | undefined {
  if (!isObj(raw)) {
    c.err(path, `expected a rule object like {"action": "drop", "from": "server", "flags": ["ACK"], "nth": 1}, got ${show(raw)}`);
    return undefined;
  }
  c.keys(raw, path, RULE_KEYS);
  if (raw.action === undefined) c.err(join(path, "action"), `missing; expected one of ${RULE_ACTIONS.join(", ")}`);
  const action = c.choice(raw, "action", path, RULE_ACTIONS, undefined);
  const from = c.choice(raw, "from", path, ENDPOINT_NAMES, undefined);
  let flags: Flag[] | undefined;
  if (raw.flags !== undefined) {
    if (!Array.isArray(raw.flags)) c.err(join(path, "flags"), `expected an array of ${FLAG_NAMES.join(", ")}, got ${show(raw.flags)}`);
    else {
      flags = [];
      raw.flags.forEach((f, i) => {
        if (typeof f === "string" && (FLAG_NAMES as readonly string[]).includes(f)) flags!.push(f as Flag);
        else c.err(`${join(path, "flags")}[${i}]`, `expected one of ${FLAG_NAMES.join(", ")}, got ${show(f)}`);
      });
    }
  }
  const rule: LinkRule = {
    action: action ?? "drop",
    ...(from !== undefined ? { from } : {}),
    ...(flags !== undefined ? { flags } : {}),
    ...(raw.data !== undefined ? { data: c.bool(raw, "data", path, false) } : {}),
    ...(raw.retransmission !== undefined ? { retransmission: c.bool(raw, "retransmission", path, false) } : {}),
    ...(raw.after !== undefined ? { after: c.num(raw, "after", path, 0, { min: 0 }) } : {}),
    ...(raw.before !== undefined ? { before: c.num(raw, "before", path, 0, { min: 0 }) } : {}),
    ...(raw.nth !== undefined ? { nth: c.num(raw, "nth", path, 1, { min: 1, integer: true }) } : {}),
    ...(raw.by !== undefined ? { by: c.num(raw, "by", path, 0, { min: 0, max: MAX_TIME }) } : {}),
  };
  if (action === "delay" && raw.by === undefined) c.err(join(path, "by"), `missing; a "delay" rule needs "by" (extra seconds)`);
  return action === undefined ? undefined : rule;
}

function checkLink(c: Checker, raw: unknown): LinkSpec {
  const dflt: LinkSpec = { delay: 0.05, loss: 0, duplicate: 0, reorder: 0, reorderDelay: 0.15, rules: [] };
  if (raw === undefined) return dflt;
  if (!isObj(raw)) {
    c.err("link", `expected an object with ${LINK_KEYS.join(", ")}, got ${show(raw)}`);
    return dflt;
  }
  c.keys(raw, "link", LINK_KEYS);
  const delay = c.num(raw, "delay", "link", dflt.delay, { min: 0, max: 60 });
  const rules: LinkRule[] = [];
  if (raw.rules !== undefined) {
    if (!Array.isArray(raw.rules)) c.err("link.rules", `expected an array of rules, got ${show(raw.rules)}`);
    else raw.rules.forEach((r, i) => {
      const rule = checkRule(c, r, `link.rules[${i}]`);
      if (rule) rules.push(rule);
    });
  }
  return {
    delay,
    loss: c.num(raw, "loss", "link", 0, { min: 0, max: 1 }),
    duplicate: c.num(raw, "duplicate", "link", 0, { min: 0, max: 1 }),
    reorder: c.num(raw, "reorder", "link", 0, { min: 0, max: 1 }),
    reorderDelay: c.num(raw, "reorderDelay", "link", delay * 3, { min: 0, max: 60 }),
    rules,
  };
}

/** Check an untrusted scenario document and fill in the defaults. */
export function validateScenario(input: unknown): ScenarioResult {
  const c = new Checker();
  const deep = tooDeep(input, MAX_SCENARIO_DEPTH);
  if (deep !== undefined) {
    c.err(deep, `nested more than ${MAX_SCENARIO_DEPTH} levels deep (a scenario needs 5; see docs/limits.md)`);
    return { ok: false, errors: c.errors };
  }
  if (!isObj(input)) {
    c.err("", `a scenario is a JSON object with fields ${TOP_KEYS.join(", ")}; got ${show(input)}`);
    return { ok: false, errors: c.errors };
  }
  c.keys(input, "", TOP_KEYS);
  const name = c.str(input, "name", "", "scenario");
  const profile = c.choice(input, "profile", "", PROFILE_NAMES, "rfc9293") ?? "rfc9293";
  const seed = c.num(input, "seed", "", 1, { min: 0, max: 4294967295, integer: true });
  const start = c.choice(input, "start", "", STARTS, "closed") ?? "closed";
  const delayedAck = c.bool(input, "delayedAck", "", false);
  const endpoints = {} as Record<EndpointName, EndpointOptions>;
  const epRaw = input.endpoints;
  if (epRaw !== undefined && !isObj(epRaw)) c.err("endpoints", `expected {"client": {…}, "server": {…}}, got ${show(epRaw)}`);
  if (isObj(epRaw)) c.keys(epRaw, "endpoints", ENDPOINT_NAMES);
  for (const ep of ENDPOINT_NAMES) {
    const o = isObj(epRaw) ? epRaw[ep] : undefined;
    const path = `endpoints.${ep}`;
    if (o !== undefined && !isObj(o)) c.err(path, `expected an object with ${EP_KEYS.join(", ")}, got ${show(o)}`);
    const obj = isObj(o) ? o : {};
    c.keys(obj, path, EP_KEYS);
    endpoints[ep] = {
      delayedAck: c.bool(obj, "delayedAck", path, delayedAck),
      autoRead: c.bool(obj, "autoRead", path, true),
      window: c.num(obj, "window", path, DEFAULT_WINDOW, { min: 1, max: 65535, integer: true }),
    };
  }
  const steps = { client: [] as Step[], server: [] as Step[] };
  const stRaw = input.steps;
  if (stRaw === undefined) c.err("steps", `missing; expected {"client": [steps], "server": [steps]}`);
  else if (!isObj(stRaw)) c.err("steps", `expected {"client": [steps], "server": [steps]}, got ${show(stRaw)}`);
  else {
    c.keys(stRaw, "steps", ENDPOINT_NAMES);
    for (const ep of ENDPOINT_NAMES) {
      const list = stRaw[ep];
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        c.err(`steps.${ep}`, `expected an array of steps, got ${show(list)}`);
        continue;
      }
      list.forEach((s, i) => {
        const step = checkStep(c, s, `steps.${ep}[${i}]`);
        if (step) steps[ep].push(step);
      });
    }
  }
  const rfc5961 = input.rfc5961 === undefined ? undefined : c.bool(input, "rfc5961", "", true);
  const scenario: Scenario = {
    name,
    title: c.str(input, "title", "", name),
    description: c.str(input, "description", "", ""),
    profile,
    ...(rfc5961 !== undefined ? { rfc5961 } : {}),
    seed,
    start,
    endpoints,
    link: checkLink(c, input.link),
    steps,
    until: c.num(input, "until", "", 3600, { min: 0, max: MAX_TIME }),
  };
  if (c.errors.length === 0) checkTraceSize(c, scenario);
  return c.errors.length ? { ok: false, errors: c.errors } : { ok: true, scenario };
}

/**
 * About how many trace events the send steps alone make: each MSS-sized data segment, its
 * duplicated copies, an ACK for each copy that arrives, and the ACK's copies:
 * D × (1 + p) × (2 + p) for D data segments and duplication probability p (p = 1 when a
 * `duplicate` rule acts on every match). Handshakes, closes and retransmissions come on top.
 */
export function estimateTraceEvents(scenario: Scenario): number {
  let segments = 0;
  for (const ep of ENDPOINT_NAMES) for (const st of scenario.steps[ep]) if (st.do === "send") segments += Math.ceil(st.bytes / MSS);
  return segments * eventsPerSegment(scenario);
}

function checkTraceSize(c: Checker, scenario: Scenario): void {
  const estimate = estimateTraceEvents(scenario);
  if (estimate <= MAX_TRACE_EVENTS) return;
  // Name the largest send step: lowering it is what helps most. (No errors so far, so every
  // step of the document is in scenario.steps, at its own index.)
  let where = "steps";
  let largest = 0;
  for (const ep of ENDPOINT_NAMES) {
    scenario.steps[ep].forEach((st, i) => {
      if (st.do === "send" && st.bytes > largest) {
        largest = st.bytes;
        where = `steps.${ep}[${i}].bytes`;
      }
    });
  }
  const maxBytes = Math.floor(MAX_TRACE_EVENTS / eventsPerSegment(scenario)) * MSS;
  const everyMatch = scenario.link.rules.some((r) => r.action === "duplicate" && r.nth === undefined);
  const dup = everyMatch ? " with a duplicate rule (link.rules)" : scenario.link.duplicate > 0 ? ` with link.duplicate ${scenario.link.duplicate}` : "";
  c.err(
    where,
    `the send steps would record about ${Math.round(estimate)} trace events, more than the ${MAX_TRACE_EVENTS} a run may record ` +
      `(see docs/limits.md); lower the bytes: at most about ${maxBytes} in all${dup}`,
  );
}

/** The chance that a segment is delivered twice: 1 when a `duplicate` rule acts on every match. */
function duplication(scenario: Scenario): number {
  return scenario.link.rules.some((r) => r.action === "duplicate" && r.nth === undefined) ? 1 : scenario.link.duplicate;
}

function eventsPerSegment(scenario: Scenario): number {
  const p = duplication(scenario);
  return (1 + p) * (2 + p);
}

/**
 * Parse scenario JSON text; a syntax error is reported with its line, column and byte
 * offset and what was expected there, quoting no more of the input than the character found.
 * A UTF-8 byte order mark at the start is skipped (byte offsets still count it), and a
 * document nested deeper than MAX_SCENARIO_DEPTH is refused with the place where it passes
 * the limit, before anything walks it.
 */
export function parseScenarioJson(text: string): ScenarioResult {
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const body = bom ? text.slice(1) : text;
  const fail = (what: string, offset: number, message: string): ScenarioResult => ({
    ok: false,
    errors: [{ path: "", message: `${what} at ${lineColumn(body, offset, bom ? 3 : 0)}: ${message}` }],
  });
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    const e = jsonSyntaxError(body);
    return e ? fail("not valid JSON", e.offset, e.message) : { ok: false, errors: [{ path: "", message: "not valid JSON" }] };
  }
  const deep = nestingPastLimit(body, MAX_SCENARIO_DEPTH);
  if (deep !== undefined) {
    return fail("nested too deeply", deep, `more than ${MAX_SCENARIO_DEPTH} levels of arrays and objects (a scenario needs 5; see docs/limits.md)`);
  }
  return validateScenario(doc);
}

/** "line 2, column 13 (byte offset 14)": the column counts characters, the offset UTF-8 bytes. */
function lineColumn(text: string, offset: number, extraBytes: number): string {
  const lineStart = offset === 0 ? 0 : text.lastIndexOf("\n", offset - 1) + 1;
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  const column = [...text.slice(lineStart, offset)].length + 1;
  const bytes = new TextEncoder().encode(text.slice(0, offset)).length + extraBytes;
  return `line ${line}, column ${column} (byte offset ${bytes})`;
}


/** What the character at `i` is, for a message: `"x"` when printable ASCII, else its code point. */
function found(text: string, i: number): string {
  if (i >= text.length) return "the end of the input";
  const cp = text.codePointAt(i)!;
  if (cp >= 0x21 && cp <= 0x7e) return `"${String.fromCharCode(cp)}"`;
  const name = cp === 0xfeff ? " (a byte order mark)" : cp === 0x20 ? " (a space)" : "";
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}${name}`;
}

/**
 * Where JSON text first breaks the grammar (RFC 8259), and what was expected there; undefined
 * if it does not. Iterative, one pass: run only once JSON.parse has failed, whose messages
 * quote the input and, on Node 20, do not always give a position.
 */
export function jsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  const n = text.length;
  const stack: number[] = []; // 0x5b "[" or 0x7b "{"
  let i = 0;
  const skipSpace = (): void => {
    for (let c = text.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = text.charCodeAt(++i));
  };
  const error = (expected: string): { offset: number; message: string } => ({ offset: i, message: `expected ${expected}, found ${found(text, i)}` });
  // A string at i (text[i] is '"'): moves i past it, or returns an error.
  const string = (): { offset: number; message: string } | undefined => {
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return error("a character of a string (a control character must be written as an escape such as \\n)");
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) {
            i++;
            return error("four hex digits after \\u");
          }
          i += 4;
        } else if (e === undefined || !"\"\\/bfnrt".includes(e)) {
          return error("an escape (one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
        }
      }
    }
    return error('a closing "');
  };
  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const value = (): { offset: number; message: string } | undefined => {
    const c = text[i];
    if (c === "{" || c === "[") {
      stack.push(text.charCodeAt(i));
      i++;
      return undefined;
    }
    if (c === '"') return string();
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return undefined;
      }
    }
    NUMBER.lastIndex = i;
    if (c !== undefined && NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return undefined;
    }
    return error("a value (an object, array, string, number, true, false or null)");
  };
  // After a value: the end of the input, or "," / the closing bracket of the innermost container.
  let state: "value" | "first-value" | "key" | "first-key" | "colon" | "next" = "value";
  for (;;) {
    skipSpace();
    switch (state) {
      case "value":
      case "first-value": {
        if (state === "first-value" && text[i] === "]") {
          stack.pop();
          i++;
          state = "next";
          break;
        }
        const top = stack.length;
        const e = value();
        if (e) return e;
        state = stack.length > top ? (stack[stack.length - 1] === 0x5b ? "first-value" : "first-key") : "next";
        break;
      }
      case "first-key":
      case "key":
        if (state === "first-key" && text[i] === "}") {
          stack.pop();
          i++;
          state = "next";
          break;
        }
        if (text[i] !== '"') return error(state === "first-key" ? 'a field name in double quotes, or "}"' : "a field name in double quotes");
        {
          const e = string();
          if (e) return e;
        }
        state = "colon";
        break;
      case "colon":
        if (text[i] !== ":") return error('":" after the field name');
        i++;
        state = "value";
        break;
      case "next": {
        const top = stack[stack.length - 1];
        if (top === undefined) return i < n ? error("the end of the input after the value") : undefined;
        const close = top === 0x5b ? "]" : "}";
        if (text[i] === ",") {
          i++;
          state = top === 0x5b ? "value" : "key";
        } else if (text[i] === close) {
          stack.pop();
          i++;
        } else {
          return error(`"," or "${close}"`);
        }
        break;
      }
    }
  }
}
