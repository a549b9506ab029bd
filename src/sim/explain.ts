/**
 * One sentence per kind of segment, for learners. The simulator picks a code when it sends
 * a segment; the sentences are constants, so explaining costs nothing on the hot path.
 */
export const Why = {
  Syn: 0,
  SynAck: 1,
  HandshakeAck: 2,
  DataAck: 3,
  FinAck: 4,
  DupAck: 5,
  Fin: 6,
  FinWithAck: 7,
  Data: 8,
  RstAbort: 9,
  RstLinger0: 10,
  RstUnread: 11,
  RstDataAfterClose: 12,
  RstRefuse: 13,
  Retransmit: 14,
  Duplicate: 15,
  ChallengeAck: 16,
} as const;
export type Why = (typeof Why)[keyof typeof Why];

const TEXT: readonly string[] = [
  "SYN: asks to open a connection and carries the sender's initial sequence number (ISS); a SYN uses up one sequence number.",
  "SYN+ACK: acknowledges the peer's SYN (ack = its ISS + 1) and carries the sender's own SYN and ISS.",
  "ACK of the peer's SYN: the three-way handshake is complete.",
  "ACK of data: ack is the next byte the sender expects.",
  "ACK of the peer's FIN: ack = the FIN's sequence number + 1, because a FIN uses up one sequence number.",
  "ACK restating what the sender expects next, in answer to a duplicate, out-of-order or unacceptable segment.",
  "FIN: the sender has no more data to send; the FIN uses up one sequence number.",
  "FIN+ACK: the sender closes its direction, and the same segment acknowledges the peer's FIN (the delayed ACK rode along), so the close takes three segments.",
  "Data: seq is the sequence number of the first payload byte.",
  "RST: the sender aborts the connection; the receiver deletes it at once, with no TIME_WAIT.",
  "RST: close() with SO_LINGER 0 aborts the connection instead of closing it gracefully.",
  "RST: the application closed the socket with unread data, and a RST tells the peer that data was lost.",
  "RST: data arrived after the application closed the socket, and nobody can read it.",
  "RST: no connection here matches this segment, so it is refused.",
  "Retransmission: no ACK came before the retransmission timer expired, so the oldest unacknowledged segment goes again and the timeout doubles.",
  "A second copy of a segment: the link duplicated it.",
  "Challenge ACK (RFC 5961): says what the sender expects next, in answer to a SYN or a RST that is not exactly at RCV.NXT; a peer that really lost the connection answers with a RST at that number.",
];

const LOST = TEXT.map((s) => `${s.slice(0, -1)}, but the link lost it.`);

export function explainSegment(why: Why, dropped: boolean): string {
  return (dropped ? LOST : TEXT)[why] ?? "";
}
