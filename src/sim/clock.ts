/**
 * The virtual clock's units and the kinds of event on its agenda (`EventQueue` in
 * ./heap.ts). Times are integer microseconds, so equal times compare exactly and the run
 * is the same on every machine.
 */
export const us = (seconds: number): number => Math.round(seconds * 1e6);

/**
 * What a `SimEvent` is: a segment arriving, one of the four timers expiring, or an
 * application step falling due. A timer event carries its generation in `a`; a timer that
 * was stopped or restarted has a newer generation, so its old event is stale.
 */
export const K_ARRIVE = 0, K_RTX = 1, K_TIME_WAIT = 2, K_FIN_WAIT_2 = 3, K_DELACK = 4, K_STEP = 5;
