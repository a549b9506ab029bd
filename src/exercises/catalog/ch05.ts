/** Chapter 05's pure exercises (see ../engine.ts). The kernel-backed ones are in ../kernel/ch05.ts. */
import { decide } from "../../fsm/machine.js";
import { ERRNO_TABLE } from "../../teaching/errno.js";
import { defineExercise, type Assessment, type Exercise } from "../engine.js";
import { readChoice } from "../readers.js";

const RESULTS = ["ECONNRESET", "ETIMEDOUT", "EPIPE", "ECONNREFUSED", "EOF"] as const;
type Result = (typeof RESULTS)[number];

/**
 * The survivor of a peer's reboot writes: what does its application get? Computed from the
 * transition table: what the rebooted host (no TCB: CLOSED) answers to a data segment, then what
 * that answer does to the survivor's ESTABLISHED end, then which errno row describes it.
 */
function afterPeerReboot(): { result: Result; why: string } {
  const peer = decide("CLOSED", "RCV_DATA", "linux").outcome;
  const sends = peer.kind === "transition" ? peer.send : [];
  if (!sends.includes("RST")) {
    return { result: "ETIMEDOUT", why: "the rebooted host answers nothing, so the survivor retransmits until its timeout." };
  }
  const survivor = decide("ESTABLISHED", "RCV_RST", "linux").outcome;
  const next = survivor.kind === "transition" ? survivor.next : "ESTABLISHED";
  const row = ERRNO_TABLE.find((e) => e.name === "ECONNRESET");
  return {
    result: "ECONNRESET",
    why:
      `the rebooted host has no connection (CLOSED) and answers the data with ${sends.join("+")} (${peer.kind === "transition" ? peer.ref : ""}: ` +
      `${peer.kind === "transition" ? peer.note : ""}); the RST takes the survivor from ESTABLISHED to ${next} ` +
      `(${survivor.kind === "transition" ? survivor.ref : ""}), and its application's next call fails with ${row ? `${row.name}: ${row.when.charAt(0).toLowerCase()}${row.when.slice(1)}` : "ECONNRESET."}`,
  };
}

const ex4 = defineExercise<Result>({
  id: "05.4",
  kind: "reasoning",
  form: "choose",
  question:
    "A client holds an idle connection to a server. The server's host loses power and boots again; the client knows nothing. " +
    "Then the client writes 10 bytes (write() succeeds: they only went into its send buffer) and reads. What does the read return?",
  expects: `one of ${RESULTS.map((r) => `"${r}"`).join(", ")}`,
  read: readChoice(RESULTS),
  judge(answer): Assessment {
    const t = afterPeerReboot();
    return { correct: answer === t.result, explanation: t.why };
  },
  solution: "ECONNRESET",
  hint: "What does a host answer to a segment for a connection it has no record of (RFC 9293 §3.10.7.1)? And what does that answer do to the client?",
  misconceptions: [
    {
      answers: ["ETIMEDOUT"],
      says: "That is what happens while the host is still down and nothing answers. Here the host is back: think about what it sends when the data arrives.",
    },
    {
      answers: ["EOF"],
      says: "An EOF needs a FIN, and a FIN needs a connection to close; the rebooted host has none.",
    },
    {
      answers: ["ECONNREFUSED"],
      says: "That errno belongs to connect(): a RST answering a SYN. This connection was established long ago.",
    },
  ],
});

export const EXERCISES_05: readonly Exercise<never>[] = [ex4];
