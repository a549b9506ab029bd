/**
 * The states each demo must observe on the kernel, step by step, as "client/server". The
 * kernel test checks the demos against it, and the comparison test checks the simulator's
 * settled states against the same rows: one table, so the two cannot drift apart.
 */
import type { DemoName } from "../../src/index.js";

export const EXPECTED: Record<DemoName, string[]> = {
  "four-way-close": ["ESTABLISHED/ESTABLISHED", "FIN_WAIT_2/CLOSE_WAIT", "FIN_WAIT_2/CLOSE_WAIT", "TIME_WAIT/CLOSED"],
  "three-way-close": ["ESTABLISHED/ESTABLISHED", "TIME_WAIT/CLOSED"],
  "half-close": ["ESTABLISHED/ESTABLISHED", "FIN_WAIT_2/CLOSE_WAIT", "FIN_WAIT_2/CLOSE_WAIT", "TIME_WAIT/CLOSED"],
  "abort-rst": ["ESTABLISHED/ESTABLISHED", "CLOSED/CLOSED"],
  "close-unread-data": ["ESTABLISHED/ESTABLISHED", "ESTABLISHED/ESTABLISHED", "CLOSED/CLOSED"],
  "close-wait-leak": ["ESTABLISHED/ESTABLISHED", "FIN_WAIT_2/CLOSE_WAIT", "FIN_WAIT_2/CLOSE_WAIT"],
  "time-wait-pileup": ["TIME_WAIT/CLOSED", "TIME_WAIT/CLOSED"],
  "connect-refused": ["CLOSED/CLOSED", "CLOSED/CLOSED"],
  crash: ["ESTABLISHED/ESTABLISHED", "FIN_WAIT_2/CLOSE_WAIT", "TIME_WAIT/CLOSED", "ESTABLISHED/ESTABLISHED", "CLOSED/CLOSED"],
};
