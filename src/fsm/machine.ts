/**
 * Looking up the table: the one place that decides which case of a row applies.
 */
import type { TcpState } from "./states.js";
import type { TcpEvent } from "./events.js";
import { PROFILES, type Profile, type ProfileName } from "./profiles.js";
import { TRANSITION_TABLE, type Case, type Guard, type Outcome, type TableRow } from "./table.js";

/** What the endpoint knows about itself beyond its state; every flag defaults to false. */
export type EndpointFlags = Partial<Record<Exclude<Guard, "rfc1337" | "rfc5961">, boolean>>;

const INDEX = new Map<string, TableRow>(TRANSITION_TABLE.map((row) => [`${row.state}/${row.event}`, row]));

export function tableRow(state: TcpState, event: TcpEvent): TableRow {
  const row = INDEX.get(`${state}/${event}`);
  // The table is total (checked by test/fsm.table.test.ts), so a miss is a bug.
  if (!row) throw new Error(`transition table has no row for ${state} × ${event}`);
  return row;
}

function caseApplies(c: Case, profile: Profile, flags: EndpointFlags): boolean {
  if (c.profile !== undefined && c.profile !== profile.name) return false;
  if (c.when === undefined) return true;
  if (c.when === "rfc1337") return profile.rfc1337;
  if (c.when === "rfc5961") return profile.rfc5961;
  return flags[c.when] === true;
}

export interface Decision {
  readonly row: TableRow;
  readonly case: Case;
  readonly outcome: Outcome;
}

/** The outcome of `event` in `state` for an endpoint with `flags`, under `profile`. */
export function decide(
  state: TcpState,
  event: TcpEvent,
  profile: Profile | ProfileName = "rfc9293",
  flags: EndpointFlags = {},
): Decision {
  const p = typeof profile === "string" ? PROFILES[profile] : profile;
  const row = tableRow(state, event);
  const chosen = row.cases.find((c) => caseApplies(c, p, flags));
  if (!chosen) throw new Error(`no unconditional case for ${state} × ${event}`);
  return { row, case: chosen, outcome: chosen.outcome };
}

/** The state after `event`: the transition's next state, or `state` itself when ignored or refused. */
export function nextState(
  state: TcpState,
  event: TcpEvent,
  profile: Profile | ProfileName = "rfc9293",
  flags: EndpointFlags = {},
): TcpState {
  const { outcome } = decide(state, event, profile, flags);
  return outcome.kind === "transition" ? outcome.next : state;
}

/** Every (from, event, to) triple the table allows, under any guard or profile. */
export function allowedTransitions(): ReadonlySet<string> {
  const set = new Set<string>();
  for (const row of TRANSITION_TABLE) {
    for (const c of row.cases) {
      if (c.outcome.kind === "transition") set.add(`${row.state}/${row.event}/${c.outcome.next}`);
    }
  }
  return set;
}
