/**
 * Socket timers as each tool shows them. Kinds use ss's names (iproute2 misc/ss.c
 * `tmr_name[]`): "on" (retransmit), "keepalive", "timewait", "persist" (zero-window probe).
 * A timer that is off is not recorded, whichever tool said "off".
 */
import type { SocketTimer } from "./types.js";

/**
 * /proc/net/tcp `tr` codes (net/ipv4/tcp_ipv4.c get_tcp4_sock): 1 retransmit (also the RACK
 * reorder and loss-probe timers), 2 sk_timer (keepalive, or the FIN_WAIT_2 timer), 3 TIME_WAIT,
 * 4 zero-window probe. The same numbering indexes ss's `tmr_name[]`.
 */
export const PROC_TIMER_KINDS: Readonly<Record<number, string>> = {
  1: "on",
  2: "keepalive",
  3: "timewait",
  4: "persist",
};

/** net-tools netstat -o says "probe" where ss says "persist". */
const NETSTAT_TIMER_KINDS: Readonly<Record<string, string>> = {
  on: "on",
  keepalive: "keepalive",
  timewait: "timewait",
  probe: "persist",
};

const SS_DURATION = /^(?:(\d+)min)?(?:(\d+)(?:sec|\.(\d{1,3})(?:ms|sec)))?(?:(\d+)ms)?$/;

/**
 * An ss duration in seconds: "1min2sec", "12min", "59sec", "200ms", and "1.234ms" — which
 * ss's print_ms_timer() prints for 1.234 SECONDS (seconds, a dot, then the milliseconds with
 * an "ms" suffix); patched builds print "1.234sec". An empty string (ss prints nothing for
 * 0) is 0.
 */
export function parseSsDuration(text: string): number | undefined {
  const m = SS_DURATION.exec(text);
  if (!m) return undefined;
  const [, min, sec, frac, ms] = m;
  let seconds = Number(min ?? 0) * 60 + Number(sec ?? 0);
  if (frac !== undefined) seconds += Number(frac.padEnd(3, "0")) / 1000;
  if (ms !== undefined) seconds += Number(ms) / 1000;
  return Math.round(seconds * 1000) / 1000;
}

/** The inside of ss's `timer:(timewait,59sec,0)`. */
export function parseSsTimer(inner: string): SocketTimer | string {
  const parts = inner.split(",");
  const [kind, time, count] = parts;
  if (parts.length < 2 || parts.length > 3 || !kind) {
    return `timer "(${inner})" is not (kind,time[,count])`;
  }
  const remaining = parseSsDuration(time ?? "");
  if (remaining === undefined) {
    return `timer time "${time}" is not an ss duration (expected e.g. 59sec, 1min2sec, 200ms, 1.234ms)`;
  }
  const timer: { kind: string; remaining: number; count?: number } = { kind, remaining };
  if (count !== undefined) {
    if (!/^\d+$/.test(count)) return `timer count "${count}" is not a number`;
    timer.count = Number(count);
  }
  return timer;
}

const NETSTAT_TIMER = /^(\S+) \((-?\d+(?:\.\d+)?)\/(\d+)\/(\d+)\)$/;

/**
 * net-tools `netstat -o`: `timewait (59.12/0/0)` = kind (seconds/retransmits/probes).
 * Returns null for "off", the timer otherwise; the count is the retransmits for "on" and
 * the probes for keepalive and persist, as ss reports them.
 */
export function parseNetstatTimer(text: string): SocketTimer | null | string {
  const m = NETSTAT_TIMER.exec(text);
  if (!m) return `timer "${text}" is not "kind (seconds/retransmits/probes)"`;
  const [, rawKind = "", secs = "0", retr = "0", probes = "0"] = m;
  if (rawKind === "off") return null;
  const kind = NETSTAT_TIMER_KINDS[rawKind] ?? rawKind;
  const count = kind === "on" ? Number(retr) : kind === "timewait" ? 0 : Number(probes);
  return { kind, remaining: Math.max(0, Number(secs)), count };
}

/** /proc `tr:tm->when` plus retrnsmt and timeout (probes); tm->when is in USER_HZ ticks. */
export function procTimer(tr: number, ticks: number, retransmits: number, probes: number, userHz: number): SocketTimer | null {
  if (tr === 0) return null;
  const kind = PROC_TIMER_KINDS[tr] ?? `unknown-${tr}`;
  const count = kind === "on" ? retransmits : kind === "timewait" ? 0 : probes;
  return { kind, remaining: Math.round((Math.max(0, ticks) / userHz) * 1000) / 1000, count };
}
