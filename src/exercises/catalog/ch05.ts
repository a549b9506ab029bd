/** Chapter 05's pure exercises (see ../engine.ts). The kernel-backed ones are in ../kernel/ch05.ts. */
import { decide } from "../../fsm/machine.js";
import { ERRNO_TABLE } from "../../teaching/errno.js";
import { defineExercise, type Assessment, type Exercise } from "../engine.js";
import { readChoice } from "../readers.js";

const RESULTS = ["10", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EOF"] as const;
type Result = (typeof RESULTS)[number];

/**
 * A reset connection's application writes again: what does write() return? Computed from the
 * transition table (what a RST does to an ESTABLISHED end) and the errno table (the row of a
 * write() after a reset that was already reported). Checked on this machine's kernel: recv() →
 * ECONNRESET, then send() → EPIPE (Linux tcp_reset() → tcp_done() shuts both directions,
 * sk_shutdown = SHUTDOWN_MASK; tcp_sendmsg_locked() then fails with EPIPE; RFC 9293 §3.10.2: a
 * SEND on a connection that does not exist is an error).
 */
function writeAfterReset(): { result: Result; why: string } {
  const o = decide("ESTABLISHED", "RCV_RST", "linux").outcome;
  const next = o.kind === "transition" ? o.next : "ESTABLISHED";
  const row = ERRNO_TABLE.find((e) => e.call.includes("write()") && /reset already reported/.test(e.when));
  const result: Result = next === "CLOSED" && row !== undefined && (RESULTS as readonly string[]).includes(row.name) ? (row.name as Result) : "10";
  return {
    result,
    why:
      `the RST took the socket from ESTABLISHED to ${next}${o.kind === "transition" ? ` (RFC 9293 ${o.ref})` : ""}, and read() has already reported it as ECONNRESET: ` +
      "a socket's pending error is reported once (Linux sock_error() clears sk_err). The connection no longer exists (RFC 9293 §3.10.2: a SEND then is an error), " +
      `and Linux's tcp_done() has shut both directions, so the write meets ${row ? `the ${row.name} row: ${row.when} (${row.source})` : "an error"}.`,
  };
}

const ex4 = defineExercise<Result>({
  id: "05.4",
  kind: "reasoning",
  form: "choose",
  question:
    "A client's read() has just failed with ECONNRESET: a RST ended its connection. Its code logs the error and then, on the same socket, calls write() with 10 bytes. " +
    "What does that write() return: 10 (the bytes were taken), or an error?",
  expects: `one of ${RESULTS.map((r) => `"${r}"`).join(", ")}`,
  read: readChoice(RESULTS),
  judge(answer): Assessment {
    const t = writeAfterReset();
    return { correct: answer === t.result, explanation: t.why };
  },
  solution: "EPIPE",
  hint: "After the RST, which state is the socket in (RFC 9293 §3.10.7.4)? Then look up, in the table of what applications see, the row whose call is write().",
  misconceptions: [
    {
      answers: ["10"],
      says: "write() returning the byte count means the kernel still has a connection to queue them on; after a RST it has none (RFC 9293 §3.10.7.4).",
    },
    {
      answers: ["ECONNRESET"],
      says: "The reset was already delivered, to the read(): a socket's pending error is reported once (Linux sock_error() clears sk_err). The next call meets what the reset left behind.",
    },
    {
      answers: ["ETIMEDOUT"],
      says: "ETIMEDOUT needs something that waited and gave up: retransmissions or keepalive probes. Here an answer (the RST) came at once.",
    },
    {
      answers: ["EOF"],
      says: "EOF (read() → 0) is what a read reports after the peer's FIN; this is a write, and the connection ended with a RST.",
    },
  ],
});

export const EXERCISES_05: readonly Exercise<never>[] = [ex4];
