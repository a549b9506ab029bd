/**
 * Behaviour profiles. The transition table is shared; a profile supplies the timer
 * lengths and the switches that real stacks set differently.
 *
 * Three behaviours that issue 2 lists under `linux` are what the RFCs ask for too, so both
 * profiles share them (src/fsm/table.ts); the profiles differ in their timers, the FIN_WAIT_2
 * orphan timeout, and what a close() after shutdown() does:
 * - close() with unread received data sends RST: RFC 1122 §4.2.2.13, carried into RFC 9293
 *   §3.6.1, says a TCP that closes with received data still pending SHOULD send a
 *   RST to show the data was lost (also RFC 2525 §2.17). Linux tcp_close() does it.
 * - close() with SO_LINGER 0 sends RST: the sockets API maps it to the RFC's ABORT, which
 *   sends a RST from SYN_RCVD, ESTABLISHED, FIN_WAIT_1/2 and CLOSE_WAIT (RFC 9293 §3.10.5).
 * - An in-window RST kills TIME_WAIT (`rfc1337: false` in both): RFC 9293 §3.10.7.4 sends
 *   TIME_WAIT + RST to CLOSED. RFC 1337's protection (ignore it) is a separate, optional fix
 *   that RFC 9293 does not adopt; Linux ships it off (net.ipv4.tcp_rfc1337 = 0).
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
  /**
   * RFC 5961 blind-attack protection, which RFC 9293 §3.10.7.4 recommends: a RST resets
   * only when SEG.SEQ = RCV.NXT (in the window but not exact: a challenge ACK), and a SYN
   * in a synchronized state draws a challenge ACK. Off: RFC 793's rules (any in-window
   * RST resets; an in-window SYN draws a RST). Linux always implements it
   * (net/ipv4/tcp_input.c tcp_validate_incoming()); turning it off there is a teaching
   * switch, not a sysctl.
   */
  readonly rfc5961: boolean;
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
    // RFC 9293 §3.10.7.4: a RST in TIME_WAIT deletes the TCB; RFC 1337's fix is optional.
    rfc1337: false,
    // RFC 9293 §3.10.7.4: "RFC 5961 SHOULD be implemented".
    rfc5961: true,
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
    // tcp_validate_incoming(): exact-RST check and challenge ACKs since Linux 3.6.
    rfc5961: true,
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

/** Switches a scenario, a script or the command line may change on a profile. */
export interface ProfileOverrides {
  /** RFC 5961 protection on or off (default: the profile's, on in both). */
  readonly rfc5961?: boolean;
  /** RFC 1337's TIME_WAIT guard (net.ipv4.tcp_rfc1337; default: the profile's, off in both). */
  readonly rfc1337?: boolean;
}

/**
 * The profile with its overrides applied. An unchanged profile is returned as the shared
 * object, so callers that memoise per profile keep one cache for it.
 */
export function profileWith(profile: Profile | ProfileName, overrides: ProfileOverrides = {}): Profile {
  const p = typeof profile === "string" ? PROFILES[profile] : profile;
  const rfc5961 = overrides.rfc5961 ?? p.rfc5961;
  const rfc1337 = overrides.rfc1337 ?? p.rfc1337;
  if (rfc5961 === p.rfc5961 && rfc1337 === p.rfc1337) return p;
  return { ...p, rfc5961, rfc1337 };
}

/** A key that tells profiles with different switches apart (for memo caches). */
export function profileKey(p: Profile): string {
  return `${p.name}${p.rfc5961 ? "" : "/no-rfc5961"}${p.rfc1337 ? "/rfc1337" : ""}`;
}
