/**
 * The columns every netstat prints in the same order: [Recv-Q Send-Q] Local Foreign State.
 * Only the address notation (colon or dot) and the state spellings differ by system.
 */
import type { Cursor } from "./lines.js";
import { decimal } from "./lines.js";
import { expectedStates, stateFromTool, type StateTool } from "./state-names.js";
import type { ConnectionRecord, SocketAddress } from "./types.js";

export type MutableRecord = { -readonly [K in keyof ConnectionRecord]: ConnectionRecord[K] };

export interface NetstatRowSpec {
  readonly tool: StateTool;
  readonly address: (text: string) => SocketAddress | string;
  /** Windows prints no queues. */
  readonly queues: boolean;
}

/** Reads the common columns into a record, or says what was wrong. */
export function readNetstatRow(c: Cursor, lineNo: number, spec: NetstatRowSpec): MutableRecord | string {
  let recvQ: number | undefined;
  let sendQ: number | undefined;
  if (spec.queues) {
    const recvQText = c.next() ?? "";
    const sendQText = c.next() ?? "";
    recvQ = decimal(recvQText);
    sendQ = decimal(sendQText);
    if (recvQ === undefined) return `Recv-Q "${recvQText}" is not a number`;
    if (sendQ === undefined) return `Send-Q "${sendQText}" is not a number`;
  }
  const local = spec.address(c.next() ?? "");
  if (typeof local === "string") return `local address: ${local}`;
  const remote = spec.address(c.next() ?? "");
  if (typeof remote === "string") return `foreign address: ${remote}`;
  const stateText = c.next() ?? "";
  const state = stateFromTool(spec.tool, stateText);
  if (state === undefined) return `unknown state "${stateText}" (expected one of ${expectedStates(spec.tool)})`;
  const record: MutableRecord = { line: lineNo, state, local, remote };
  if (recvQ !== undefined) record.recvQ = recvQ;
  if (sendQ !== undefined) record.sendQ = sendQ;
  return record;
}
