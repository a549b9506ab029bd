/**
 * The eleven connection states of RFC 9293 §3.3.2, spelled as the RFC spells them
 * (with underscores). Tool spellings (ESTAB, FIN-WAIT-1, SYN_RECV, LISTENING, …) are
 * mapped to these at the parser boundary and nowhere else.
 */
export const STATES = [
  "CLOSED",
  "LISTEN",
  "SYN_SENT",
  "SYN_RCVD",
  "ESTABLISHED",
  "FIN_WAIT_1",
  "FIN_WAIT_2",
  "CLOSE_WAIT",
  "CLOSING",
  "LAST_ACK",
  "TIME_WAIT",
] as const;

export type TcpState = (typeof STATES)[number];

export function isTcpState(value: string): value is TcpState {
  return (STATES as readonly string[]).includes(value);
}

/** One sentence per state, for learners. */
export const STATE_DESCRIPTIONS: Record<TcpState, string> = {
  CLOSED: "No connection exists (there is no TCB).",
  LISTEN: "Waiting for a connection request from any remote TCP.",
  SYN_SENT: "Sent a SYN; waiting for the peer's SYN and the ACK of ours.",
  SYN_RCVD: "Received a SYN and sent our SYN+ACK; waiting for the ACK of our SYN.",
  ESTABLISHED: "Open: data flows both ways.",
  FIN_WAIT_1: "We closed and sent a FIN; waiting for its ACK (or the peer's FIN).",
  FIN_WAIT_2: "Our FIN is acknowledged; waiting for the peer's FIN. The peer may still send data.",
  CLOSE_WAIT: "The peer sent its FIN; waiting for our application to close.",
  CLOSING: "Both sides sent a FIN at once; waiting for the ACK of ours.",
  LAST_ACK: "We sent our FIN after the peer's; waiting for its ACK.",
  TIME_WAIT: "Both FINs are acknowledged; waiting 2MSL so a lost final ACK can be resent and old segments die out.",
};
