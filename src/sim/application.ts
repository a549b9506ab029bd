/**
 * The application's calls (RFC 9293 §3.10.1–3.10.6: OPEN, SEND, CLOSE, ABORT, plus
 * shutdown(SHUT_WR) and read()) as table events. close() sets the table's guards first —
 * linger0, unread data — and afterwards marks the socket orphaned. A call the table refuses
 * becomes a diagnostic naming the step. When a step runs is in ./steps.ts.
 */
import type { Outcome } from "../fsm/table.js";
import type { Endpoint } from "./endpoint.js";
import type { Simulation } from "./simulation.js";
import {
  ABORT, ACTIVE_OPEN, CLOSE, PASSIVE_OPEN, SEND, SHUTDOWN_READ, SHUTDOWN_WRITE, F_LINGER0, F_ORPHANED, F_PASSIVE, F_UNREAD,
} from "./decisions.js";
import { fire } from "./transitions.js";
import { maybeStartFinWait2 } from "./timers.js";


/** Opening again after CLOSED: a new connection draws a new ISS from the seeded generator. */
function freshIss(sim: Simulation, ep: Endpoint): void {
  if (!ep.reopen || ep.state !== "CLOSED") return;
  ep.reopen = false;
  ep.iss = Math.floor(sim.rnd() * 4294967296) >>> 0;
  ep.sndUna = ep.sndNxt = ep.iss;
  ep.rto = sim.rtoInit;
  ep.retries = 0;
}

/** A user call, as a scenario step or a script's system call names it. */
export type UserCall = "listen" | "connect" | "send" | "close" | "shutdown" | "shutdown-read" | "abort" | "read";

/**
 * Carry out a user call on an endpoint: the table event it is, with the guards set first.
 * Returns the table's outcome ("error" = the call is refused). `read` consumes all unread
 * data and returns an "ignored" outcome.
 */
export function userCall(sim: Simulation, ep: Endpoint, call: UserCall, bytes = 0, linger0 = false): Outcome {
  // Journalled before it runs, so what it sends follows it.
  const entry = sim.journal === null ? null : { kind: "call" as const, t: sim.now / 1e6, endpoint: ep.id, call, bytes, linger0, refused: false };
  if (entry !== null) sim.journal!.push(entry);
  const o = carryOut(sim, ep, call, bytes, linger0);
  if (entry !== null) entry.refused = o.kind === "error";
  return o;
}

function carryOut(sim: Simulation, ep: Endpoint, call: UserCall, bytes: number, linger0: boolean): Outcome {
  let o: Outcome;
  switch (call) {
    case "listen":
      freshIss(sim, ep);
      ep.fl |= F_PASSIVE;
      return fire(sim, ep, PASSIVE_OPEN, 0, 0, 0, 0, 0);
    case "connect":
      freshIss(sim, ep);
      ep.fl &= ~F_PASSIVE;
      return fire(sim, ep, ACTIVE_OPEN, 0, 0, 0, 0, 0);
    case "send":
      o = fire(sim, ep, SEND, 0, 0, 0, 0, bytes);
      // §3.10.2: before ESTABLISHED the data is queued, and sent on opening.
      if (o.kind === "ignored" && (ep.state === "SYN_SENT" || ep.state === "SYN_RCVD")) ep.pending += bytes;
      return o;
    case "close": {
      if (linger0) ep.fl |= F_LINGER0;
      if (ep.unread > 0) ep.fl |= F_UNREAD;
      else ep.fl &= ~F_UNREAD;
      o = fire(sim, ep, CLOSE, 0, 0, 0, 0, 0);
      if (o.kind !== "error") {
        // close() releases the socket: from now on the kernel owns an orphan.
        const wasOrphan = (ep.fl & F_ORPHANED) !== 0;
        ep.fl |= F_ORPHANED;
        if (!wasOrphan) maybeStartFinWait2(sim, ep);
      }
      return o;
    }
    case "shutdown":
      return fire(sim, ep, SHUTDOWN_WRITE, 0, 0, 0, 0, 0);
    case "shutdown-read":
      return fire(sim, ep, SHUTDOWN_READ, 0, 0, 0, 0, 0);
    case "abort":
      return fire(sim, ep, ABORT, 0, 0, 0, 0, 0);
    case "read":
      ep.unread = 0;
      ep.fl &= ~F_UNREAD;
      return READ_DONE;
  }
}

const READ_DONE: Outcome = { kind: "ignored", reason: "the application read its data", ref: "§3.10.3" };

export function runStep(sim: Simulation, ep: Endpoint, idx: number): void {
  const step = ep.steps[idx]!;
  const o = userCall(sim, ep, step.do, step.bytes, step.linger0);
  if (o.kind === "error") {
    const where = step.at !== undefined ? `at ${step.at}s` : `on ${step.on}`;
    sim.diagnostics.push(`t=${sim.now / 1e6}s ${ep.name} step "${step.do}" (${where}) refused in ${ep.state}: ${o.reason} (${o.ref})`);
  }
}
