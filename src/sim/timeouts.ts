/**
 * Timer expiries as table events: the retransmission timer gives RETRANSMIT_TIMEOUT, or
 * USER_TIMEOUT once the profile's retries are used up (Linux tcp_write_timeout(): SYNs
 * have their own limit); 2MSL gives TIME_WAIT_TIMEOUT; the orphan timer gives
 * FIN_WAIT_2_TIMEOUT. A delayed ACK that comes due is simply sent. An event whose timer
 * was stopped or restarted since (an older generation) does nothing.
 */
import type { Endpoint } from "./endpoint.js";
import type { Simulation } from "./simulation.js";
import { ACK, SYN } from "./segment.js";
import { FIN_WAIT_2_TIMEOUT, RETRANSMIT_TIMEOUT, TIME_WAIT_TIMEOUT, USER_TIMEOUT, lookup } from "./decisions.js";
import { apply, fire } from "./transitions.js";
import { emit } from "./sending.js";
import { backOff } from "./timers.js";


export function onRetransmitTimeout(sim: Simulation, ep: Endpoint, gen: number): void {
  if (gen !== ep.genRtx || !ep.rtxRunning) return;
  ep.rtxRunning = false;
  sim.records.endTimer(ep.id, "rto", sim.now / 1e6, "fired");
  if (ep.rtxHead >= ep.rtxTail) return;
  const limit = ep.rtx[ep.rtxHead + 1]! & SYN ? sim.profile.synRetries : sim.profile.maxRetries;
  if (ep.retries >= limit) {
    fire(sim, ep, USER_TIMEOUT, 0, 0, 0, 0, 0);
    return;
  }
  const o = lookup(sim.profile, ep.si, RETRANSMIT_TIMEOUT, ep.fl);
  if (o.kind !== "transition") return;
  backOff(sim, ep);
  apply(sim, ep, o, RETRANSMIT_TIMEOUT, 0, 0, 0, 0, 0);
}

export function onTimeWaitTimeout(sim: Simulation, ep: Endpoint, gen: number): void {
  if (gen !== ep.genTw || ep.state !== "TIME_WAIT") return;
  sim.records.endTimer(ep.id, "2msl", sim.now / 1e6, "fired");
  fire(sim, ep, TIME_WAIT_TIMEOUT, 0, 0, 0, 0, 0);
}

export function onFinWait2Timeout(sim: Simulation, ep: Endpoint, gen: number): void {
  if (gen !== ep.genFw2 || ep.state !== "FIN_WAIT_2") return;
  sim.records.endTimer(ep.id, "fin-wait-2", sim.now / 1e6, "fired");
  fire(sim, ep, FIN_WAIT_2_TIMEOUT, 0, 0, 0, 0, 0);
}

export function onDelayedAckTimeout(sim: Simulation, ep: Endpoint, gen: number): void {
  if (gen === ep.genDack && ep.dackPending) {
    ep.dackPending = false;
    sim.records.endTimer(ep.id, "delayed-ack", sim.now / 1e6, "fired");
    emit(sim, ep, ACK, ep.sndNxt, ep.rcvNxt, 0, ep.dackWhy, false);
  }
}
