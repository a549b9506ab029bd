/**
 * Scenarios: what a simulation runs. A teacher writes one as JSON (docs/scenario-format.md);
 * `validateScenario` turns untrusted input into a `Scenario` with every default filled in,
 * or into a list of errors that each name the offending field (`steps.server[2].do`) and
 * say what is allowed. It never throws on bad input: errors are values at this boundary.
 */
import { PROFILE_NAMES, type ProfileName } from "../fsm/profiles.js";
import type { EndpointName, Flag } from "./trace.js";

export const ACTIONS = ["listen", "connect", "send", "close", "shutdown", "abort", "read"] as const;
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
const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : v === undefined ? "nothing" : JSON.stringify(v) ?? String(v));

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
      if (!allowed.includes(k)) this.err(join(path, k), `unknown field; allowed fields are ${allowed.join(", ")}`);
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
  return path ? `${path}.${key}` : key;
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
  return c.errors.length ? { ok: false, errors: c.errors } : { ok: true, scenario };
}

/** Parse scenario JSON text; a syntax error is reported with its position. */
export function parseScenarioJson(text: string): ScenarioResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const m = /position (\d+)/.exec(message);
    const offset = m ? Number(m[1]) : /end of JSON input/.test(message) ? text.length : undefined;
    return { ok: false, errors: [{ path: "", message: `not valid JSON${offset === undefined ? "" : ` at ${lineColumn(text, offset)}`}: ${message}` }] };
  }
  return validateScenario(doc);
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return `line ${line}, column ${column} (byte offset ${offset})`;
}
