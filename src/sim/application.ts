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
  SI, ABORT, ACTIVE_OPEN, CLOSE, PASSIVE_OPEN, SEND, SHUTDOWN_READ, SHUTDOWN_WRITE, F_LINGER0, F_ORPHANED, F_PASSIVE, F_UNREAD,
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
  ep.resetSeen = false;
  ep.pendingError = null;
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
  // Its place among the trace's events is before what it causes (the FIN after close()).
  const unreadBefore = ep.unread, index = sim.events.length;
  const o = carryOut(sim, ep, call, bytes, linger0);
  if (entry !== null) entry.refused = o.kind === "error";
  recordCall(sim, ep, call, bytes, linger0, o, unreadBefore, index);
  return o;
}

const CALL_NAMES: Record<UserCall, string> = {
  listen: "listen()", connect: "connect()", send: "write()", close: "close()", shutdown: "shutdown(SHUT_WR)",
  "shutdown-read": "shutdown(SHUT_RD)", abort: "close() linger=0", read: "read()",
};

/**
 * The call as the application wrote it and what it got back (trace.calls, ./records.ts).
 * connect() is recorded when it returns (transitions.ts, through appEffect), unless it is
 * refused at once. A refused call gets Linux's errno: write() on a connection that was reset
 * or shut down for writing fails with EPIPE (tcp_sendmsg_locked(), sk_stream_error(), with
 * SIGPIPE), or with the error tcp_reset() left pending (EPIPE in CLOSE_WAIT); on a socket
 * never connected, ENOTCONN. close() of an fd already closed is EBADF.
 */
function recordCall(
  sim: Simulation, ep: Endpoint, call: UserCall, bytes: number, linger0: boolean, o: Outcome, unreadBefore: number, index: number,
): void {
  const refused = o.kind === "error";
  if (call === "connect" && !refused) return;
  let name = call === "send" ? `write(${bytes})` : call === "close" && linger0 ? "close() linger=0" : CALL_NAMES[call];
  let result = "0";
  if (call === "send") {
    if (ep.pendingError !== null) {
      result = ep.pendingError;
      ep.pendingError = null;
    } else if (refused) result = ep.resetSeen || ep.finSent ? "EPIPE" : "ENOTCONN";
    else result = String(bytes);
  } else if (call === "read") {
    result = unreadBefore > 0 ? String(unreadBefore) : ep.finRcvd ? "0 (EOF)" : ep.resetSeen ? "0" : "EAGAIN";
  } else if (refused) {
    result = call === "close" || call === "abort" ? "EBADF" : call === "connect" ? "EISCONN" : call === "listen" ? "EINVAL" : "ENOTCONN";
  }
  if (name === "") name = call;
  sim.records.call(sim.now / 1e6, ep.name, name, result, index);
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

/**
 * The host crashes and reboots (RFC 9293 §3.5.1, Figure 10): the TCB is lost without a
 * segment being sent, and the connection is CLOSED as far as this host knows. Not a table
 * event (no user call and no segment causes it), so the state change is carried out here
 * and recorded with the cause ABORT (the TCB is deleted) and an explanation that says what
 * happened. Timers die with the TCB. The peer learns of it only when it next sends: a
 * segment for a CLOSED connection draws a RST (§3.10.7.1).
 */
function reboot(sim: Simulation, ep: Endpoint): void {
  const from = ep.state;
  if (from === "CLOSED") return;
  const t = sim.now / 1e6;
  sim.records.call(t, ep.name, "(host reboots)", "TCB lost", sim.events.length);
  ep.state = "CLOSED";
  ep.si = SI.CLOSED;
  sim.events.push({
    type: "state", t, endpoint: ep.name, from, to: "CLOSED", cause: "ABORT", ref: "RFC 9293 §3.5.1, Figure 10",
    explanation: "The host crashed and rebooted: the connection's TCB is gone and nothing was sent; the peer does not know.",
  });
  ep.genRtx++;
  ep.rtxRunning = false;
  ep.rtxHead = ep.rtxTail = 0;
  ep.genTw++;
  ep.genFw2++;
  ep.genDack++;
  ep.dackPending = false;
  for (const kind of ["rto", "2msl", "fin-wait-2", "delayed-ack"] as const) sim.records.endTimer(ep.id, kind, t, "stopped");
  ep.haveRcv = ep.synSent = ep.finSent = ep.finRcvd = false;
  ep.unread = ep.pending = ep.synText = 0;
  ep.fl = 0;
  ep.reopen = true;
  // The application died with the host: it neither sees nor calls anything more.
  ep.resetSeen = false;
  ep.pendingError = null;
}

const READ_DONE: Outcome = { kind: "ignored", reason: "the application read its data", ref: "§3.10.3" };

export function runStep(sim: Simulation, ep: Endpoint, idx: number): void {
  const step = ep.steps[idx]!;
  if (step.do === "reboot") {
    reboot(sim, ep);
    return;
  }
  const o = userCall(sim, ep, step.do, step.bytes, step.linger0);
  if (o.kind === "error") {
    const where = step.at !== undefined ? `at ${step.at}s` : `on ${step.on}`;
    sim.diagnostics.push(`t=${sim.now / 1e6}s ${ep.name} step "${step.do}" (${where}) refused in ${ep.state}: ${o.reason} (${o.ref})`);
  }
}
