/**
 * An endpoint's four timers: retransmission with exponential backoff (RFC 6298), TIME_WAIT's
 * 2MSL (RFC 9293 §3.10.7.4), the orphaned-FIN_WAIT_2 timer (Linux tcp_fin_timeout) and the
 * delayed ACK (RFC 1122 §4.2.3.2). Starting one puts an event on the agenda tagged with a new
 * generation; stopping one only bumps the generation, and the stale event is skipped when it
 * comes up (cheaper than removing it from the heap). What an expiry does is in ./timeouts.ts.
 */
import type { SimEvent } from "./heap.js";
import type { Endpoint } from "./endpoint.js";
import type { Simulation } from "./simulation.js";
import { K_DELACK, K_FIN_WAIT_2, K_RTX, K_TIME_WAIT, us } from "./clock.js";
import { F_ORPHANED } from "./decisions.js";


const sec = (sim: Simulation): number => sim.now / 1e6;

export function armRetransmit(sim: Simulation, ep: Endpoint): void {
  if (ep.rtxRunning || ep.rtxHead >= ep.rtxTail) return;
  ep.rtxRunning = true;
  sim.records.startTimer(ep.id, ep.name, "rto", sec(sim));
  sim.q.push(sim.now + ep.rto, K_RTX, ep.id, ++ep.genRtx);
}

/** Re-arm a running retransmission timer to fire `seconds` from now (it keeps its RTO for later). */
export function rearmRetransmitIn(sim: Simulation, ep: Endpoint, seconds: number): void {
  if (!ep.rtxRunning) return;
  sim.q.push(sim.now + us(seconds), K_RTX, ep.id, ++ep.genRtx);
}

export function stopRetransmit(sim: Simulation, ep: Endpoint): void {
  if (ep.rtxRunning) sim.records.endTimer(ep.id, "rto", sec(sim), "stopped");
  ep.genRtx++;
  ep.rtxRunning = false;
  ep.rtxHead = ep.rtxTail = 0;
}

/** New data was acknowledged and the queue's head freed (see ackAdvance in ./arrivals.ts). */
export function restartRetransmit(sim: Simulation, ep: Endpoint): void {
  // RFC 6298 §5.3: new data acknowledged restarts the timer (and ends any backoff).
  ep.retries = 0;
  ep.rto = sim.rtoInit;
  if (ep.rtxRunning) sim.records.endTimer(ep.id, "rto", sec(sim), "stopped");
  ep.genRtx++;
  ep.rtxRunning = false;
  if (ep.rtxHead < ep.rtxTail) armRetransmit(sim, ep);
}

export function backOff(sim: Simulation, ep: Endpoint): void {
  ep.retries++;
  // RFC 6298 §5.5: back off the timer, up to the profile's maximum.
  ep.rto = Math.min(ep.rto * 2, sim.rtoMax);
}

export function startTimeWait(sim: Simulation, ep: Endpoint): void {
  sim.records.startTimer(ep.id, ep.name, "2msl", sec(sim));
  sim.q.push(sim.now + us(sim.profile.timeWait), K_TIME_WAIT, ep.id, ++ep.genTw);
}

export function maybeStartFinWait2(sim: Simulation, ep: Endpoint): void {
  const timeout = sim.profile.finWait2Timeout;
  if (timeout === null || !(ep.fl & F_ORPHANED) || ep.state !== "FIN_WAIT_2") return;
  sim.records.startTimer(ep.id, ep.name, "fin-wait-2", sec(sim));
  sim.q.push(sim.now + us(timeout), K_FIN_WAIT_2, ep.id, ++ep.genFw2);
}

/** Hold an ACK for the profile's delayed-ACK time; any segment carrying ACK sent meanwhile cancels it. */
export function holdAck(sim: Simulation, ep: Endpoint, why: number): void {
  ep.dackPending = true;
  sim.records.startTimer(ep.id, ep.name, "delayed-ack", sec(sim));
  ep.dackWhy = why;
  sim.q.push(sim.now + us(sim.profile.delayedAck), K_DELACK, ep.id, ++ep.genDack);
}

/** False for a timer event that was stopped or restarted since it was scheduled. */
export function isLive(sim: Simulation, ev: SimEvent): boolean {
  const ep = sim.eps[ev.ep]!;
  switch (ev.kind) {
    case K_RTX: return ev.a === ep.genRtx && ep.rtxRunning;
    case K_TIME_WAIT: return ev.a === ep.genTw && ep.state === "TIME_WAIT";
    case K_FIN_WAIT_2: return ev.a === ep.genFw2 && ep.state === "FIN_WAIT_2";
    case K_DELACK: return ev.a === ep.genDack && ep.dackPending;
    default: return true;
  }
}
