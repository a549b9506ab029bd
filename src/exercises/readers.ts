/**
 * Readers turn a learner's raw answer into the value an exercise judges, or say what shape was
 * expected. Lenient where a person would be: case, spaces, hyphens for underscores in state
 * names (RFC 9293 spells them with hyphens), ss's and netstat's spellings.
 */
import { STATES, isTcpState, type TcpState } from "../fsm/states.js";
import type { Read } from "./engine.js";

const ok = <A>(value: A): Read<A> => ({ ok: true, value });
const no = <A>(problem: string): Read<A> => ({ ok: false, problem });

const STATE_ALIASES: Readonly<Record<string, TcpState>> = {
  ESTAB: "ESTABLISHED",
  SYN_RECV: "SYN_RCVD",
  SYN_RECEIVED: "SYN_RCVD",
  FIN_WAIT1: "FIN_WAIT_1",
  FIN_WAIT2: "FIN_WAIT_2",
  CLOSE: "CLOSED",
};

/** A TCP state in any common spelling → the library's name. */
export function readState(raw: unknown): Read<TcpState> {
  if (typeof raw !== "string") return no(`${describe(raw)} is not a state name (a string).`);
  const s = raw.trim().toUpperCase().replace(/[-\s]+/g, "_");
  const name = STATE_ALIASES[s] ?? s;
  return isTcpState(name) ? ok(name) : no(`"${raw}" is not a TCP state; the states are ${STATES.join(", ")}.`);
}

/** A list of states (or one), order kept. */
export function readStates(raw: unknown): Read<TcpState[]> {
  const list = Array.isArray(raw) ? raw : [raw];
  const out: TcpState[] = [];
  for (const x of list) {
    const r = readState(x);
    if (!r.ok) return no(r.problem);
    out.push(r.value);
  }
  return ok(out);
}

/** A finite number. */
export function readNumber(raw: unknown): Read<number> {
  if (typeof raw === "number" && Number.isFinite(raw)) return ok(raw);
  if (typeof raw === "string" && raw.trim() !== "" && Number.isFinite(Number(raw))) return ok(Number(raw));
  return no(`${describe(raw)} is not a number.`);
}

/** A whole number. */
export function readInteger(raw: unknown): Read<number> {
  const r = readNumber(raw);
  if (!r.ok) return r;
  return Number.isInteger(r.value) ? r : no(`${r.value} is not a whole number.`);
}

/** true or false (also "yes"/"no"). */
export function readBoolean(raw: unknown): Read<boolean> {
  if (typeof raw === "boolean") return ok(raw);
  if (typeof raw === "string") {
    const s = raw.trim().toLowerCase();
    if (s === "yes" || s === "true") return ok(true);
    if (s === "no" || s === "false") return ok(false);
  }
  return no(`${describe(raw)} is not true or false.`);
}

/** One of a fixed set of words (case and surrounding spaces ignored; `-`, `_` and spaces the same). */
export function readChoice<C extends string>(choices: readonly C[]): (raw: unknown) => Read<C> {
  const key = (s: string) => s.trim().toLowerCase().replace(/[\s_-]+/g, "-");
  return (raw) => {
    if (typeof raw !== "string") return no(`${describe(raw)} is not one of ${quoteAll(choices)}.`);
    const c = choices.find((x) => key(x) === key(raw));
    return c !== undefined ? ok(c) : no(`"${raw}" is not one of ${quoteAll(choices)}.`);
  };
}

/** Several of a fixed set of words (an array, or one word), sorted and without repeats. */
export function readChoices<C extends string>(choices: readonly C[]): (raw: unknown) => Read<C[]> {
  const one = readChoice(choices);
  return (raw) => {
    const list = Array.isArray(raw) ? raw : [raw];
    const out = new Set<C>();
    for (const x of list) {
      const r = one(x);
      if (!r.ok) return no(r.problem);
      out.add(r.value);
    }
    return ok([...out].sort());
  };
}

function quoteAll(xs: readonly string[]): string {
  return xs.map((x) => `"${x}"`).join(", ");
}

function describe(raw: unknown): string {
  if (typeof raw === "string") return `"${raw}"`;
  if (raw === null) return "null";
  if (Array.isArray(raw)) return "a list";
  if (typeof raw === "object") return "an object";
  return String(raw);
}
