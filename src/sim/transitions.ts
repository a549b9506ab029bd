/**
 * Carrying out the table's decision: `fire` asks the memoised table (./decisions.ts) what an
 * event does in the endpoint's state, and `apply` carries out a transition — the state
 * change (recorded in the trace with the table's reference and note), the `send` list, and
 * what entering the new state starts or stops.
 */
import { EVENTS } from "../fsm/events.js";
import type { TcpState } from "../fsm/states.js";
import type { Outcome, Transition } from "../fsm/table.js";
import type { Endpoint } from "./endpoint.js";
import type { Simulation } from "./simulation.js";
import { F_ORPHANED, F_PASSIVE, RCV_DATA, SEND, SI, lookup } from "./decisions.js";
import { appEffect } from "./records.js";
import { retransmitOldest, sendAck, sendData, sendFin, sendRst, sendSyn } from "./sending.js";
import { maybeStartFinWait2, rearmRetransmitIn, startTimeWait, stopRetransmit } from "./timers.js";
import { TRIGGER_INDEX, trigger } from "./steps.js";


export function fire(sim: Simulation, ep: Endpoint, ei: number, f: number, seq: number, ack: number, len: number, bytes: number): Outcome {
  const o = lookup(sim.profile, ep.si, ei, ep.fl);
  if (o.kind === "transition") apply(sim, ep, o, ei, f, seq, ack, len, bytes);
  return o;
}

/**
 * `f`, `seq`, `ack` and `len` describe the segment that caused the event (zero for a user
 * call or a timeout): a RST in reply takes its numbers from it. `bytes` is what SEND sends.
 */
export function apply(sim: Simulation, ep: Endpoint, o: Transition, ei: number, f: number, seq: number, ack: number, len: number, bytes: number): void {
  const from = ep.state;
  const next = o.next;
  if (next !== from || o.restartsTimeWait) {
    ep.state = next;
    ep.si = SI[next];
    const t = sim.now / 1e6, cause = EVENTS[ei]!;
    // An arrival's consequences name it, so a ladder can draw each change beside its arrow.
    sim.events.push(sim.arriving < 0
      ? { type: "state", t, endpoint: ep.name, from, to: next, cause, ref: o.ref, explanation: o.note }
      : { type: "state", t, endpoint: ep.name, from, to: next, cause, causeSegment: sim.arriving, ref: o.ref, explanation: o.note });
    if (next !== from) {
      // Leaving the state a timer belongs to stops it (the stale expiry is skipped by isLive).
      if (from === "TIME_WAIT") sim.records.endTimer(ep.id, "2msl", t, "stopped");
      if (from === "FIN_WAIT_2") sim.records.endTimer(ep.id, "fin-wait-2", t, "stopped");
      // What the application sees of it (read() → ECONNRESET, connect() → 0 …), in ./records.ts.
      const app = appEffect(from, next, cause, (ep.fl & F_ORPHANED) !== 0, (ep.fl & F_PASSIVE) !== 0);
      if (app !== null) {
        if (app.call !== null) sim.records.call(t, ep.name, app.call, app.result, sim.events.length);
        if (app.reset) ep.resetSeen = true;
        if (app.pending !== null) ep.pendingError = app.pending;
      }
    }
  }
  const send = o.send;
  for (let i = 0; i < send.length; i++) {
    switch (send[i]) {
      case "SYN": sendSyn(sim, ep, false, from); break;
      case "SYN+ACK": sendSyn(sim, ep, true, from); break;
      case "ACK": sendAck(sim, ep, ei, from); break;
      case "FIN": sendFin(sim, ep); break;
      case "RST": sendRst(sim, ep, ei, from, f, seq, ack, len); break;
      case "DATA": sendData(sim, ep, bytes); break;
      case "RETRANSMIT": retransmitOldest(sim, ep); break;
    }
  }
  // Linux re-arms the SYN's timer to TCP_TIMEOUT_MIN (2 jiffies, 8 ms at HZ=250) when nothing was resent yet.
  if (o.retransmitAfter !== undefined && ep.retries === 0) rearmRetransmitIn(sim, ep, o.retransmitAfter);
  if (next !== from) enter(sim, ep, next);
  else if (o.restartsTimeWait) startTimeWait(sim, ep);
}

function enter(sim: Simulation, ep: Endpoint, state: TcpState): void {
  switch (state) {
    case "ESTABLISHED":
      if (ep.synText > 0) {
        // The text queued from the peer's SYN is processed now, as data (§3.10.7.2 third).
        const n = ep.synText;
        ep.synText = 0;
        ep.rcvNxt = (ep.rcvNxt + n) >>> 0;
        if (!ep.autoRead) ep.unread += n;
        sendAck(sim, ep, RCV_DATA, state);
      }
      trigger(sim, ep, TRIGGER_INDEX.established);
      if (ep.pending > 0) {
        const bytes = ep.pending;
        ep.pending = 0;
        fire(sim, ep, SEND, 0, 0, 0, 0, bytes);
      }
      break;
    case "FIN_WAIT_2":
      maybeStartFinWait2(sim, ep);
      break;
    case "TIME_WAIT":
      stopRetransmit(sim, ep);
      ep.genFw2++;
      startTimeWait(sim, ep);
      break;
    case "CLOSED":
      // The TCB is deleted (§3.10): a later open starts a new connection with a new ISS.
      stopRetransmit(sim, ep);
      ep.genTw++;
      ep.genFw2++;
      ep.genDack++;
      ep.dackPending = false;
      sim.records.endTimer(ep.id, "delayed-ack", sim.now / 1e6, "stopped");
      ep.haveRcv = ep.synSent = ep.finSent = ep.finRcvd = false;
      ep.unread = ep.pending = ep.synText = 0;
      ep.fl = 0;
      ep.reopen = true;
      trigger(sim, ep, TRIGGER_INDEX.closed);
      break;
    case "LISTEN":
      // A RST sent SYN_RCVD back to LISTEN (§3.10.7.4): forget the half-open connection.
      stopRetransmit(sim, ep);
      ep.genDack++;
      sim.records.endTimer(ep.id, "delayed-ack", sim.now / 1e6, "stopped");
      ep.dackPending = false;
      ep.haveRcv = ep.synSent = ep.finSent = ep.finRcvd = false;
      ep.synText = 0;
      ep.sndUna = ep.sndNxt = ep.iss;
      break;
    default:
      break;
  }
}
