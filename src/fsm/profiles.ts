/**
 * Behaviour profiles. The transition table is shared; a profile supplies the timer
 * lengths and the switches that real stacks set differently.
 */
export type ProfileName = "rfc9293" | "linux";
export const PROFILE_NAMES: readonly ProfileName[] = ["rfc9293", "linux"];

export interface Profile {
  readonly name: ProfileName;
  /** Maximum segment lifetime, seconds. */
  readonly msl: number;
  /** How long TIME_WAIT lasts, seconds. */
  readonly timeWait: number;
  /** Orphaned FIN_WAIT_2 timeout, seconds; null when the stack has none. */
  readonly finWait2Timeout: number | null;
  /** RFC 1337 TIME_WAIT assassination protection: when on, a RST in TIME_WAIT is ignored. */
  readonly rfc1337: boolean;
  /** Initial retransmission timeout, seconds (RFC 6298 §2.1: 1 s). */
  readonly initialRto: number;
  /** Upper bound of the backed-off RTO, seconds. */
  readonly maxRto: number;
  /** Retransmissions of a segment before the connection is given up (user timeout). */
  readonly maxRetries: number;
  /** Retransmissions of a SYN before connect() fails. */
  readonly synRetries: number;
  /** Delayed-ACK timer, seconds, used when an endpoint enables delayed ACK. */
  readonly delayedAck: number;
  /** Where the numbers come from. */
  readonly source: string;
}

export const PROFILES: Record<ProfileName, Profile> = {
  rfc9293: {
    name: "rfc9293",
    // RFC 9293 §3.4.2: MSL is "an engineering choice" of 2 minutes, so 2MSL = 4 minutes.
    msl: 120,
    timeWait: 240,
    // The RFC has no FIN_WAIT_2 timer: a peer that never sends its FIN keeps us there.
    finWait2Timeout: null,
    rfc1337: false,
    initialRto: 1,
    maxRto: 60,
    maxRetries: 15,
    synRetries: 6,
    // RFC 9293 §3.8.6.3 / RFC 1122: an ACK SHOULD NOT be delayed more than 0.5 s.
    delayedAck: 0.2,
    source: "RFC 9293 §3.4.2, §3.8.1; RFC 6298 §2",
  },
  linux: {
    name: "linux",
    // include/net/tcp.h: TCP_TIMEWAIT_LEN (60*HZ), fixed at compile time.
    msl: 30,
    timeWait: 60,
    // net.ipv4.tcp_fin_timeout, default 60 s, applies to orphaned FIN_WAIT_2 sockets only.
    finWait2Timeout: 60,
    // net.ipv4.tcp_rfc1337 defaults to 0: an in-window RST kills a TIME_WAIT socket.
    rfc1337: false,
    // TCP_TIMEOUT_INIT (1 s) and TCP_RTO_MAX (120 s).
    initialRto: 1,
    maxRto: 120,
    // net.ipv4.tcp_retries2 = 15, net.ipv4.tcp_syn_retries = 6.
    maxRetries: 15,
    synRetries: 6,
    // TCP_DELACK_MIN is HZ/25 = 40 ms.
    delayedAck: 0.04,
    source: "include/net/tcp.h; Documentation/networking/ip-sysctl.rst",
  },
};

export function isProfileName(value: string): value is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(value);
}
