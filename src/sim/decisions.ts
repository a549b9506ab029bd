/**
 * The transition table as the simulator asks it: states and events as small integers, the
 * endpoint flags (the table's guards) as a bit mask, and `decide()` from src/fsm memoised
 * per (state, event, endpoint flags) for each profile. The simulator never decides a state
 * change itself; every outcome comes from here.
 */
import { decide } from "../fsm/machine.js";
import type { EndpointFlags } from "../fsm/machine.js";
import { STATES } from "../fsm/states.js";
import type { TcpState } from "../fsm/states.js";
import { EVENTS } from "../fsm/events.js";
import type { TcpEvent } from "../fsm/events.js";
import { profileKey, type Profile } from "../fsm/profiles.js";
import type { Outcome } from "../fsm/table.js";


/** Each state's index in STATES. */
export const SI = Object.fromEntries(STATES.map((s, i) => [s, i])) as Record<TcpState, number>;
const NE = EVENTS.length;
/** Event indices in EVENTS order: user calls, then segment events (RCV_SYN first), then timers. */
const E = (e: TcpEvent): number => EVENTS.indexOf(e);
export const PASSIVE_OPEN = E("PASSIVE_OPEN"), ACTIVE_OPEN = E("ACTIVE_OPEN"), SEND = E("SEND"), CLOSE = E("CLOSE");
export const SHUTDOWN_WRITE = E("SHUTDOWN_WRITE"), ABORT = E("ABORT");
export const RCV_SYN = E("RCV_SYN"), RCV_SYN_ACK = E("RCV_SYN_ACK"), RCV_ACK = E("RCV_ACK"), RCV_ACK_OF_FIN = E("RCV_ACK_OF_FIN");
export const RCV_FIN = E("RCV_FIN"), RCV_FIN_ACK_OF_FIN = E("RCV_FIN_ACK_OF_FIN"), RCV_RST = E("RCV_RST"), RCV_DATA = E("RCV_DATA");
export const RETRANSMIT_TIMEOUT = E("RETRANSMIT_TIMEOUT"), TIME_WAIT_TIMEOUT = E("TIME_WAIT_TIMEOUT");
export const FIN_WAIT_2_TIMEOUT = E("FIN_WAIT_2_TIMEOUT"), USER_TIMEOUT = E("USER_TIMEOUT");
export const SHUTDOWN_READ = E("SHUTDOWN_READ"), RCV_OUT_OF_ORDER = E("RCV_OUT_OF_ORDER");
export const RCV_SYN_AGAIN = E("RCV_SYN_AGAIN"), RCV_RST_IN_WINDOW = E("RCV_RST_IN_WINDOW");
export const RCV_RST_UNACCEPTABLE = E("RCV_RST_UNACCEPTABLE"), RCV_UNACCEPTABLE = E("RCV_UNACCEPTABLE");
export const RCV_BAD_ACK = E("RCV_BAD_ACK"), RCV_NO_ACK = E("RCV_NO_ACK");
/** Segment events are RCV_SYN up to (not including) the first timer event. */
export const isSegmentEvent = (ei: number): boolean => ei >= RCV_SYN && ei < RETRANSMIT_TIMEOUT;

/** Endpoint flag bits, the guards of the table (src/fsm/table.ts `Guard`). */
export const F_PASSIVE = 1, F_ORPHANED = 2, F_UNREAD = 4, F_LINGER0 = 8;

function flagsOf(bits: number): EndpointFlags {
  return {
    passiveOpen: (bits & F_PASSIVE) !== 0,
    orphaned: (bits & F_ORPHANED) !== 0,
    unreadData: (bits & F_UNREAD) !== 0,
    linger0: (bits & F_LINGER0) !== 0,
  };
}

const CACHES = new Map<string, (Outcome | undefined)[]>();
/** The last profile asked about and its cache: a run asks about one profile throughout. */
let lastProfile: Profile | undefined;
let lastCache: (Outcome | undefined)[] = [];

export function lookup(profile: Profile, si: number, ei: number, fl: number): Outcome {
  let cache = lastCache;
  if (profile !== lastProfile) {
    const key = profileKey(profile);
    let c = CACHES.get(key);
    if (c === undefined) {
      c = new Array<Outcome | undefined>(STATES.length * NE * 16);
      CACHES.set(key, c);
    }
    lastProfile = profile;
    lastCache = cache = c;
  }
  const k = (si * NE + ei) * 16 + fl;
  let o = cache[k];
  if (o === undefined) {
    o = decide(STATES[si]!, EVENTS[ei]!, profile, flagsOf(fl)).outcome;
    cache[k] = o;
  }
  return o;
}
