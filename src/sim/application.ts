/**
 * The application's calls (RFC 9293 §3.10.1–3.10.6: OPEN, SEND, CLOSE, ABORT, plus
 * shutdown(SHUT_WR) and read()) as table events. close() sets the table's guards first —
 * linger0, unread data — and afterwards marks the socket orphaned. A call the table refuses
 * becomes a diagnostic naming the step. When a step runs is in ./steps.ts.
 */
import type { Outcome } from "../fsm/table.js";
import type { Endpoint } from "./endpoint.js";
import type { Simulation } from "./simulation.js";
import { ABORT, ACTIVE_OPEN, CLOSE, PASSIVE_OPEN, SEND, SHUTDOWN_WRITE, F_LINGER0, F_ORPHANED, F_PASSIVE, F_UNREAD } from "./decisions.js";
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

export function runStep(sim: Simulation, ep: Endpoint, idx: number): void {
  const step = ep.steps[idx]!;
  let o: Outcome;
  switch (step.do) {
    case "listen":
      freshIss(sim, ep);
      ep.fl |= F_PASSIVE;
      o = fire(sim, ep, PASSIVE_OPEN, 0, 0, 0, 0, 0);
      break;
    case "connect":
      freshIss(sim, ep);
      ep.fl &= ~F_PASSIVE;
      o = fire(sim, ep, ACTIVE_OPEN, 0, 0, 0, 0, 0);
      break;
    case "send":
      o = fire(sim, ep, SEND, 0, 0, 0, 0, step.bytes);
      // §3.10.2: before ESTABLISHED the data is queued, and sent on opening.
      if (o.kind === "ignored" && (ep.state === "SYN_SENT" || ep.state === "SYN_RCVD")) ep.pending += step.bytes;
      break;
    case "close": {
      if (step.linger0) ep.fl |= F_LINGER0;
      if (ep.unread > 0) ep.fl |= F_UNREAD;
      else ep.fl &= ~F_UNREAD;
      o = fire(sim, ep, CLOSE, 0, 0, 0, 0, 0);
      if (o.kind !== "error") {
        // close() releases the socket: from now on the kernel owns an orphan.
        const wasOrphan = (ep.fl & F_ORPHANED) !== 0;
        ep.fl |= F_ORPHANED;
        if (!wasOrphan) maybeStartFinWait2(sim, ep);
      }
      break;
    }
    case "shutdown":
      o = fire(sim, ep, SHUTDOWN_WRITE, 0, 0, 0, 0, 0);
      break;
    case "abort":
      o = fire(sim, ep, ABORT, 0, 0, 0, 0, 0);
      break;
    case "read":
      ep.unread = 0;
      ep.fl &= ~F_UNREAD;
      return;
  }
  if (o.kind === "error") {
    const where = step.at !== undefined ? `at ${step.at}s` : `on ${step.on}`;
    sim.diagnostics.push(`t=${sim.now / 1e6}s ${ep.name} step "${step.do}" (${where}) refused in ${ep.state}: ${o.reason} (${o.ref})`);
  }
}
