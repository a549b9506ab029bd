/**
 * The lifecycle plan: the fixed list of state changes every connection of a population goes
 * through, each at a fixed offset from its connect(). Every connection shares the same
 * plan (same RTT, same hold time, same profile), which is what lets the population runner
 * stream: connections reach step k in the order they arrived, so each step is a FIFO
 * cursor over the live connections, not a heap of timers.
 *
 * Transitions follow RFC 9293 §3.10 (and src/fsm/table.ts); the timer lengths come from the
 * profile.
 */
import type { TcpState } from "../../fsm/states.js";
import type { Profile } from "../../fsm/profiles.js";
import type { TcpEvent } from "../../fsm/events.js";
import type { EndpointName } from "../trace.js";

export interface PopulationLifecycleStep {
  /** Seconds after the client's connect(). */
  readonly offset: number;
  readonly side: EndpointName;
  /**
   * null: the socket is created by this step. connect() is CLOSED + ACTIVE_OPEN; the server's
   * connection socket is the listener's LISTEN + RCV_SYN (the listener itself is not counted).
   */
  readonly from: TcpState | null;
  /** The state-machine event (src/fsm/events.ts) that causes the step. */
  readonly event: TcpEvent;
  /** CLOSED: the socket is gone (and, on the client, its port is free again). */
  readonly to: TcpState;
  /** What causes it, for learners. */
  readonly cause: string;
}

export interface PopulationLifecycle {
  readonly steps: readonly PopulationLifecycleStep[];
  /** A side that never reaches CLOSED (a close-wait leak without a FIN_WAIT_2 timer) and where it rests. */
  readonly resting: Readonly<Partial<Record<EndpointName, TcpState>>>;
  /** True when the passive side's FIN rides on the ACK of the closer's FIN (the 3-segment close). */
  readonly mergedFinAck: boolean;
}

export interface PlanTiming {
  /** Round-trip time, seconds; one-way delay is half of it. */
  readonly rtt: number;
  /** How long the closer keeps the connection ESTABLISHED before it calls close(), seconds. */
  readonly holdTime: number;
  /** How long the passive side's application takes to close() after it reads EOF, seconds; Infinity = never. */
  readonly closeDelay: number;
  readonly closer: EndpointName;
}

export function planPopulationLifecycle(timing: PlanTiming, profile: Profile): PopulationLifecycle {
  const d = timing.rtt / 2;
  const closer = timing.closer;
  const passive: EndpointName = closer === "client" ? "server" : "client";
  const steps: PopulationLifecycleStep[] = [];
  const resting: Partial<Record<EndpointName, TcpState>> = {};
  const step = (offset: number, side: EndpointName, from: TcpState | null, event: TcpEvent, to: TcpState, cause: string): void => {
    steps.push({ offset, side, from, event, to, cause });
  };

  // Three-way handshake, RFC 9293 §3.5 Fig. 6.
  step(0, "client", null, "ACTIVE_OPEN", "SYN_SENT", "connect() sends a SYN");
  step(d, "server", null, "RCV_SYN", "SYN_RCVD", "the SYN reaches the listener, which answers SYN+ACK");
  step(2 * d, "client", "SYN_SENT", "RCV_SYN_ACK", "ESTABLISHED", "the SYN+ACK arrives; the client ACKs it");
  step(3 * d, "server", "SYN_RCVD", "RCV_ACK", "ESTABLISHED", "the ACK of the SYN+ACK arrives");

  // The closer's close(), RFC 9293 §3.6 Fig. 12.
  const tClose = (closer === "client" ? 2 * d : 3 * d) + timing.holdTime;
  step(tClose, closer, "ESTABLISHED", "CLOSE", "FIN_WAIT_1", "the application calls close(); a FIN goes out");
  step(tClose + d, passive, "ESTABLISHED", "RCV_FIN", "CLOSE_WAIT", "the FIN arrives: the application reads EOF");

  // A delayed ACK (profile.delayedAck) that is still pending when the passive application
  // closes rides on its FIN: F. / F. / . , the 3-segment close seen on Linux.
  const mergedFinAck = timing.closeDelay <= profile.delayedAck;
  const tPassiveClose = tClose + d + timing.closeDelay;
  if (mergedFinAck) {
    step(tPassiveClose, passive, "CLOSE_WAIT", "CLOSE", "LAST_ACK", "the application closes at once; its FIN rides on the ACK");
    step(tPassiveClose + d, closer, "FIN_WAIT_1", "RCV_FIN_ACK_OF_FIN", "TIME_WAIT", "a FIN that also ACKs our FIN arrives (RFC 9293 §3.10.7.4)");
    step(tPassiveClose + 2 * d, passive, "LAST_ACK", "RCV_ACK_OF_FIN", "CLOSED", "the final ACK arrives");
    step(tPassiveClose + d + profile.timeWait, closer, "TIME_WAIT", "TIME_WAIT_TIMEOUT", "CLOSED", `2MSL (${profile.timeWait} s) expires`);
    return { steps: sorted(steps), resting, mergedFinAck };
  }

  const tFinWait2 = tClose + 2 * d + profile.delayedAck;
  step(tFinWait2, closer, "FIN_WAIT_1", "RCV_ACK_OF_FIN", "FIN_WAIT_2", "the (delayed) ACK of our FIN arrives");
  // Linux: an orphaned FIN_WAIT_2 (the application called close(), not shutdown()) dies after
  // tcp_fin_timeout. RFC 9293 has no such timer.
  const tOrphanTimeout = profile.finWait2Timeout === null ? Infinity : tFinWait2 + profile.finWait2Timeout;
  const tFinArrives = tPassiveClose + d;

  if (tFinArrives < tOrphanTimeout) {
    step(tPassiveClose, passive, "CLOSE_WAIT", "CLOSE", "LAST_ACK", "the application calls close(); its FIN goes out");
    step(tFinArrives, closer, "FIN_WAIT_2", "RCV_FIN", "TIME_WAIT", "the peer's FIN arrives and is ACKed");
    step(tFinArrives + d, passive, "LAST_ACK", "RCV_ACK_OF_FIN", "CLOSED", "the final ACK arrives");
    step(tFinArrives + profile.timeWait, closer, "TIME_WAIT", "TIME_WAIT_TIMEOUT", "CLOSED", `2MSL (${profile.timeWait} s) expires`);
    return { steps: sorted(steps), resting, mergedFinAck };
  }

  if (Number.isFinite(tOrphanTimeout)) {
    step(tOrphanTimeout, closer, "FIN_WAIT_2", "FIN_WAIT_2_TIMEOUT", "CLOSED", `the orphaned FIN_WAIT_2 timer (tcp_fin_timeout, ${profile.finWait2Timeout} s) fires`);
  } else {
    resting[closer] = "FIN_WAIT_2";
  }
  if (Number.isFinite(tPassiveClose)) {
    step(tPassiveClose, passive, "CLOSE_WAIT", "CLOSE", "LAST_ACK", "the application finally calls close(); its FIN goes out");
    // The closer's socket is gone, so its FIN is answered with a RST (RFC 9293 §3.10.7.1).
    step(tFinArrives + d, passive, "LAST_ACK", "RCV_RST", "CLOSED", "the peer has forgotten the connection and answers the FIN with a RST");
  } else {
    resting[passive] = "CLOSE_WAIT";
  }
  return { steps: sorted(steps), resting, mergedFinAck };
}

/** Stable sort by offset: steps at the same instant keep their causal order. */
function sorted(steps: PopulationLifecycleStep[]): PopulationLifecycleStep[] {
  return steps
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.offset - b.s.offset || a.i - b.i)
    .map(({ s }) => s);
}
