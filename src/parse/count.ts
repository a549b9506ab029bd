import { STATES, type TcpState } from "../fsm/states.js";
import type { ConnectionRecord } from "./types.js";

/** A count for each of the 11 RFC states, zeros included, in the RFC's order. */
export type StateCounts = Record<TcpState, number>;

export function emptyCounts(): StateCounts {
  const counts = {} as StateCounts;
  for (const state of STATES) counts[state] = 0;
  return counts;
}

export function countByState(records: Iterable<Pick<ConnectionRecord, "state">>): StateCounts {
  const counts = emptyCounts();
  for (const record of records) counts[record.state]++;
  return counts;
}
