/**
 * One endpoint's transmission control block (RFC 9293 §3.3.1): its state, the flags the
 * table's guards read, sequence numbers, the retransmission queue and the generations of
 * its timers (./timers.ts), and its application's steps (./steps.ts).
 */
import type { TcpState } from "../fsm/states.js";
import type { EndpointName } from "./trace.js";
import type { Step } from "./scenario.js";
import type { Waiting } from "./steps.js";
import { SI } from "./decisions.js";
import { Why } from "./explain.js";


export class Endpoint {
  state: TcpState;
  /** `state` as an index into STATES, for the memoised table. */
  si: number;
  /** The table's guards as a bit mask (F_PASSIVE … in ./decisions.ts). */
  fl = 0;
  iss: number;
  sndUna: number;
  sndNxt: number;
  rcvNxt = 0;
  /** The peer's initial sequence number (IRS), once its SYN has been received. */
  irs = 0;
  /** RCV.WND: the receive window this endpoint advertises and checks segments against. */
  rcvWnd: number;
  /** The peer's SYN has been received, so rcvNxt means something. */
  haveRcv = false;
  synSent = false;
  finSent = false;
  finSeq = 0;
  finRcvd = false;
  /**
   * The retransmission queue: segments that occupy sequence space, oldest first, as
   * (seq, flags, len) triples from rtxHead to rtxTail. Emptying it resets the indices and
   * keeps the array, so a long run reuses it.
   */
  rtx: number[] = [];
  rtxHead = 0;
  rtxTail = 0;
  rto: number;
  retries = 0;
  rtxRunning = false;
  genRtx = 0;
  genTw = 0;
  genFw2 = 0;
  genDack = 0;
  dackPending = false;
  dackWhy: number = Why.DataAck;
  unread = 0;
  /** The connection was CLOSED after being used, so the next open needs a new ISS. */
  reopen = false;
  /** Text that came on the peer's SYN, queued until ESTABLISHED (§3.10.7.2). */
  synText = 0;
  /** Bytes the application sent before the connection was open (§3.10.2: queued). */
  pending = 0;
  /**
   * A RST (or a user timeout) ended this connection while the application held the socket:
   * its next write() fails with EPIPE (Linux tcp_sendmsg_locked(), after tcp_done()).
   */
  resetSeen = false;
  /**
   * An error the application has not yet been given: Linux tcp_reset() in CLOSE_WAIT sets
   * sk_err = EPIPE, which the next call returns.
   */
  pendingError: string | null = null;
  /** Which triggered steps have been scheduled (each runs once); allocated on first use. */
  scheduled: boolean[] | null = null;

  constructor(
    readonly id: number,
    readonly name: EndpointName,
    iss: number,
    readonly delayedAck: boolean,
    readonly autoRead: boolean,
    readonly steps: readonly Step[],
    /** Step indices by trigger (see TRIGGER_INDEX). */
    readonly waiting: Waiting,
    initialRto: number,
    rcvWnd: number,
  ) {
    this.rcvWnd = rcvWnd;
    this.state = "CLOSED";
    this.si = SI.CLOSED;
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.rto = initialRto;
  }
}
