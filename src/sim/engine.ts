/**
 * The simulator's engine: two endpoints, a link and a virtual clock.
 *
 * The engine never decides a state change itself. It classifies every input into a table
 * event (§3.10: user calls, segment arrivals, timeouts), asks `decide()` from src/fsm for
 * the outcome, and carries the outcome out: the state change and the `send` list. What it
 * does own is the bookkeeping the table abstracts away — sequence numbers (§3.3.1), the
 * acceptability test (§3.10.7.4 "first"), the ACK field (§3.10.7.4 "fifth"), the
 * retransmission queue and timers (RFC 6298), delayed ACK (RFC 1122 §4.2.3.2) and the link.
 *
 * Hot path: events are small objects in a binary heap; times are integer microseconds;
 * decisions are memoised per (state, event, endpoint flags) for each profile; segment
 * explanations are constant sentences picked by code; flag arrays are shared constants.
 * Pure core: no Node imports.
 */
import { decide, type EndpointFlags } from "../fsm/machine.js";
import { STATES, type TcpState } from "../fsm/states.js";
import { EVENTS, type TcpEvent } from "../fsm/events.js";
import { PROFILES, type Profile, type ProfileName } from "../fsm/profiles.js";
import type { Outcome, Transition } from "../fsm/table.js";
import type { EndpointName, Flag, SegmentRecord, Trace, TraceEvent } from "./trace.js";
import type { LinkRule, Scenario, Step, Trigger } from "./scenario.js";
import { EventQueue, type SimEvent } from "./heap.js";
import { seededRandom, type Random } from "./prng.js";
import { Why, explainSegment } from "./explain.js";

// ------------------------------------------------------------------ segments and numbers

const SYN = 1, FIN = 2, RST = 4, PSH = 8, ACK = 16;
/** Sender MSS for data segments (Ethernet MTU 1500 − 40 bytes of headers). */
export const MSS = 1460;
/** Receive window used by the acceptability test, bytes. */
const WINDOW = 65535;

const FLAG_ARRAYS: readonly (readonly Flag[])[] = Array.from({ length: 32 }, (_, bits) => {
  const list: Flag[] = [];
  if (bits & SYN) list.push("SYN");
  if (bits & FIN) list.push("FIN");
  if (bits & RST) list.push("RST");
  if (bits & PSH) list.push("PSH");
  if (bits & ACK) list.push("ACK");
  return Object.freeze(list);
});

const FLAG_BITS: Record<Flag, number> = { SYN, FIN, RST, PSH, ACK };

const add = (a: number, n: number): number => (a + n) >>> 0;
/** Sequence-space comparisons modulo 2^32 (RFC 9293 §3.4). */
const lt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const le = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
const us = (seconds: number): number => Math.round(seconds * 1e6);
/** Sequence space a segment occupies: its payload, plus one each for SYN and FIN. */
const span = (flags: number, len: number): number => len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);

// ------------------------------------------------------------------ the table, memoised

const SI = Object.fromEntries(STATES.map((s, i) => [s, i])) as Record<TcpState, number>;
const NE = EVENTS.length;
const E = (e: TcpEvent): number => EVENTS.indexOf(e);
const PASSIVE_OPEN = E("PASSIVE_OPEN"), ACTIVE_OPEN = E("ACTIVE_OPEN"), SEND = E("SEND"), CLOSE = E("CLOSE");
const SHUTDOWN_WRITE = E("SHUTDOWN_WRITE"), ABORT = E("ABORT");
const RCV_SYN = E("RCV_SYN"), RCV_SYN_ACK = E("RCV_SYN_ACK"), RCV_ACK = E("RCV_ACK"), RCV_ACK_OF_FIN = E("RCV_ACK_OF_FIN");
const RCV_FIN = E("RCV_FIN"), RCV_FIN_ACK_OF_FIN = E("RCV_FIN_ACK_OF_FIN"), RCV_RST = E("RCV_RST"), RCV_DATA = E("RCV_DATA");
const RETRANSMIT_TIMEOUT = E("RETRANSMIT_TIMEOUT"), TIME_WAIT_TIMEOUT = E("TIME_WAIT_TIMEOUT");
const FIN_WAIT_2_TIMEOUT = E("FIN_WAIT_2_TIMEOUT"), USER_TIMEOUT = E("USER_TIMEOUT");

/** Endpoint flag bits, the guards of the table (src/fsm/table.ts `Guard`). */
const F_PASSIVE = 1, F_ORPHANED = 2, F_UNREAD = 4, F_LINGER0 = 8;

function flagsOf(bits: number): EndpointFlags {
  return {
    passiveOpen: (bits & F_PASSIVE) !== 0,
    orphaned: (bits & F_ORPHANED) !== 0,
    unreadData: (bits & F_UNREAD) !== 0,
    linger0: (bits & F_LINGER0) !== 0,
  };
}

const CACHES = new Map<ProfileName, (Outcome | undefined)[]>();

function lookup(profile: Profile, si: number, ei: number, fl: number): Outcome {
  let cache = CACHES.get(profile.name);
  if (cache === undefined) {
    cache = new Array<Outcome | undefined>(STATES.length * NE * 16);
    CACHES.set(profile.name, cache);
  }
  const k = (si * NE + ei) * 16 + fl;
  let o = cache[k];
  if (o === undefined) {
    o = decide(STATES[si]!, EVENTS[ei]!, profile, flagsOf(fl)).outcome;
    cache[k] = o;
  }
  return o;
}

// ------------------------------------------------------------------ simulator events

const K_ARRIVE = 0, K_RTX = 1, K_TIME_WAIT = 2, K_FIN_WAIT_2 = 3, K_DELACK = 4, K_STEP = 5;
const TRIGGER_INDEX: Record<Trigger, number> = { established: 0, eof: 1, data: 2, closed: 3 };

class Endpoint {
  state: TcpState;
  si: number;
  fl = 0;
  iss: number;
  sndUna: number;
  sndNxt: number;
  rcvNxt = 0;
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
  /** Bytes the application sent before the connection was open (§3.10.2: queued). */
  pending = 0;
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
    readonly waiting: readonly (readonly number[])[],
    initialRto: number,
  ) {
    this.state = "CLOSED";
    this.si = SI.CLOSED;
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.rto = initialRto;
  }
}

type Waiting = readonly (readonly number[])[];
const WAITING = new WeakMap<Scenario, readonly [Waiting, Waiting]>();

/** Each side's triggered steps, by trigger: computed once per scenario, not once per run. */
function waitingLists(sc: Scenario): readonly [Waiting, Waiting] {
  let w = WAITING.get(sc);
  if (w === undefined) {
    const of = (steps: readonly Step[]): Waiting => {
      const lists: number[][] = [[], [], [], []];
      steps.forEach((s, i) => {
        if (s.on !== undefined) lists[TRIGGER_INDEX[s.on]]!.push(i);
      });
      return lists;
    };
    w = [of(sc.steps.client), of(sc.steps.server)];
    WAITING.set(sc, w);
  }
  return w;
}

export interface SimulationOptions {
  /** Overrides the scenario's profile. */
  readonly profile?: ProfileName;
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Safety net against runaway scenarios; default 5,000,000 processed events. */
  readonly maxEvents?: number;
}

export interface SimulationResult {
  readonly trace: Trace;
  /** User calls the table refused, and why the run stopped early, if it did. */
  readonly diagnostics: readonly string[];
  /** True when the run ended because nothing was left to happen (no live timer, no segment in flight). */
  readonly quiescent: boolean;
  /** Virtual time of the last processed event, seconds. */
  readonly endTime: number;
  /** Number of segment records in the trace (lost and duplicated copies included). */
  readonly segments: number;
}

/** Never written: a scenario without link rules shares it. */
const NO_RULES: number[] = [];
const START_CLOSED: Readonly<Record<EndpointName, TcpState>> = Object.freeze({ client: "CLOSED", server: "CLOSED" });
const START_ESTABLISHED: Readonly<Record<EndpointName, TcpState>> = Object.freeze({ client: "ESTABLISHED", server: "ESTABLISHED" });

class Simulator {
  readonly q = new EventQueue();
  readonly events: TraceEvent[] = [];
  readonly diagnostics: string[] = [];
  readonly eps: [Endpoint, Endpoint];
  readonly rnd: Random;
  readonly ruleHits: number[];
  /** Each rule's `flags` as a bit mask, or -1 when the rule names no flags. */
  readonly ruleFlags: number[];
  readonly delayUs: number;
  readonly reorderUs: number;
  readonly rtoInit: number;
  readonly rtoMax: number;
  now = 0;
  segments = 0;

  constructor(
    readonly sc: Scenario,
    readonly profile: Profile,
    readonly seed: number,
  ) {
    const rnd = seededRandom(seed);
    this.rnd = rnd;
    // The first two draws are the ISSs (see initialSequenceNumbers in prng.ts).
    const issC = Math.floor(rnd() * 4294967296) >>> 0;
    const issS = Math.floor(rnd() * 4294967296) >>> 0;
    this.rtoInit = us(profile.initialRto);
    this.rtoMax = us(profile.maxRto);
    const c = sc.endpoints.client, s = sc.endpoints.server;
    const waiting = waitingLists(sc);
    this.eps = [
      new Endpoint(0, "client", issC, c.delayedAck, c.autoRead, sc.steps.client, waiting[0], this.rtoInit),
      new Endpoint(1, "server", issS, s.delayedAck, s.autoRead, sc.steps.server, waiting[1], this.rtoInit),
    ];
    const rules = sc.link.rules;
    this.ruleHits = rules.length === 0 ? NO_RULES : rules.map(() => 0);
    this.ruleFlags = rules.length === 0 ? NO_RULES : rules.map((r) => r.flags === undefined ? -1 : r.flags.reduce((m, f) => m | FLAG_BITS[f], 0));
    this.delayUs = us(sc.link.delay);
    this.reorderUs = us(sc.link.reorderDelay);
  }

  run(maxEvents: number): SimulationResult {
    const [c, s] = this.eps;
    if (this.sc.start === "established") this.preEstablish(c, s);
    for (const ep of this.eps) {
      const steps = ep.steps;
      for (let i = 0; i < steps.length; i++) {
        const at = steps[i]!.at;
        if (at !== undefined) this.q.push(us(at), K_STEP, ep.id, i);
      }
    }
    if (this.sc.start === "established") for (const ep of this.eps) this.trigger(ep, TRIGGER_INDEX.established);
    const untilUs = us(this.sc.until);
    let processed = 0;
    let stoppedEarly = false;
    for (;;) {
      const ev = this.q.pop();
      if (ev === undefined) break;
      if (ev.t > untilUs || processed >= maxEvents) {
        if (this.isLive(ev) || this.anyLive()) {
          stoppedEarly = true;
          this.diagnostics.push(
            processed >= maxEvents
              ? `stopped after ${maxEvents} events at t=${this.now / 1e6}s`
              : `stopped at the time limit (until = ${this.sc.until}s) with events still pending`,
          );
        }
        break;
      }
      // A cancelled timer is left in the heap and skipped here (cheaper than removing it).
      if (ev.kind !== K_ARRIVE && ev.kind !== K_STEP && !this.isLive(ev)) continue;
      processed++;
      this.now = ev.t;
      const ep = this.eps[ev.ep]!;
      switch (ev.kind) {
        case K_ARRIVE: this.receive(ep, ev); break;
        case K_RTX: this.onRetransmitTimer(ep, ev.a); break;
        case K_TIME_WAIT:
          if (ev.a === ep.genTw && ep.state === "TIME_WAIT") this.fire(ep, TIME_WAIT_TIMEOUT, 0, 0, 0, 0, 0);
          break;
        case K_FIN_WAIT_2:
          if (ev.a === ep.genFw2 && ep.state === "FIN_WAIT_2") this.fire(ep, FIN_WAIT_2_TIMEOUT, 0, 0, 0, 0, 0);
          break;
        case K_DELACK:
          if (ev.a === ep.genDack && ep.dackPending) {
            ep.dackPending = false;
            this.emit(ep, ACK, ep.sndNxt, ep.rcvNxt, 0, ep.dackWhy, false);
          }
          break;
        case K_STEP: this.runStep(ep, ev.a); break;
      }
    }
    const trace: Trace = {
      name: this.sc.name,
      profile: this.profile.name,
      seed: this.seed,
      events: this.events,
      final: { client: c.state, server: s.state },
      initial: this.sc.start === "established" ? START_ESTABLISHED : START_CLOSED,
    };
    return { trace, diagnostics: this.diagnostics, quiescent: !stoppedEarly, endTime: this.now / 1e6, segments: this.segments };
  }

  private isLive(ev: SimEvent): boolean {
    const ep = this.eps[ev.ep]!;
    switch (ev.kind) {
      case K_RTX: return ev.a === ep.genRtx && ep.rtxRunning;
      case K_TIME_WAIT: return ev.a === ep.genTw && ep.state === "TIME_WAIT";
      case K_FIN_WAIT_2: return ev.a === ep.genFw2 && ep.state === "FIN_WAIT_2";
      case K_DELACK: return ev.a === ep.genDack && ep.dackPending;
      default: return true;
    }
  }

  private anyLive(): boolean {
    for (let ev = this.q.pop(); ev !== undefined; ev = this.q.pop()) if (this.isLive(ev)) return true;
    return false;
  }

  /** `start: "established"`: both sides as if the handshake had just completed. */
  private preEstablish(c: Endpoint, s: Endpoint): void {
    for (const ep of this.eps) {
      ep.state = "ESTABLISHED";
      ep.si = SI.ESTABLISHED;
      ep.synSent = true;
      ep.sndUna = ep.sndNxt = add(ep.iss, 1);
      ep.rcvNxt = add((ep === c ? s : c).iss, 1);
      ep.haveRcv = true;
    }
    s.fl |= F_PASSIVE;
  }

  // ---------------------------------------------------------------- the link

  private emit(ep: Endpoint, flags: number, seq: number, ack: number, len: number, why: number, retransmission: boolean): void {
    if (flags & ACK && ep.dackPending) {
      // Any segment carrying ACK makes the delayed ACK unnecessary.
      ep.dackPending = false;
      ep.genDack++;
    }
    const link = this.sc.link;
    const t = this.now;
    let dropped = false;
    let extra = 0;
    let duplicate = false;
    let dupExtra = this.delayUs >> 1;
    const rules = link.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      const mask = this.ruleFlags[i]!;
      if (mask !== -1 && mask !== flags) continue;
      if (!this.ruleMatches(r, ep, len, retransmission, t)) continue;
      const hit = ++this.ruleHits[i]!;
      if (r.nth !== undefined && hit !== r.nth) continue;
      if (r.action === "drop") dropped = true;
      else if (r.action === "delay") extra += us(r.by ?? 0);
      else {
        duplicate = true;
        if (r.by !== undefined) dupExtra = us(r.by);
      }
    }
    if (link.loss > 0 && this.rnd() < link.loss) dropped = true;
    if (link.reorder > 0 && this.rnd() < link.reorder) extra += this.reorderUs;
    if (link.duplicate > 0 && this.rnd() < link.duplicate) duplicate = true;
    const to = 1 - ep.id;
    const arrives = t + this.delayUs + extra;
    this.record(ep, flags, seq, ack, len, dropped, arrives, retransmission, why);
    if (dropped) return;
    this.q.push(arrives, K_ARRIVE, to, flags, seq, ack, len);
    if (duplicate) {
      this.record(ep, flags, seq, ack, len, false, arrives + dupExtra, retransmission, Why.Duplicate);
      this.events[this.events.length - 1] = { ...(this.events[this.events.length - 1] as SegmentRecord), duplicate: true };
      this.q.push(arrives + dupExtra, K_ARRIVE, to, flags, seq, ack, len);
    }
  }

  private ruleMatches(r: LinkRule, ep: Endpoint, len: number, retransmission: boolean, t: number): boolean {
    if (r.from !== undefined && r.from !== ep.name) return false;
    if (r.data !== undefined && r.data !== len > 0) return false;
    if (r.retransmission !== undefined && r.retransmission !== retransmission) return false;
    if (r.after !== undefined && t < us(r.after)) return false;
    if (r.before !== undefined && t >= us(r.before)) return false;
    return true;
  }

  private record(ep: Endpoint, flags: number, seq: number, ack: number, len: number, dropped: boolean,
    arrives: number, retransmission: boolean, why: number): void {
    this.segments++;
    this.events.push({
      type: "segment",
      t: this.now / 1e6,
      from: ep.name,
      to: ep.id === 0 ? "server" : "client",
      flags: FLAG_ARRAYS[flags]!,
      seq,
      ack,
      len,
      dropped,
      arrives: dropped ? null : arrives / 1e6,
      retransmission,
      explanation: explainSegment(why as Why, dropped),
    });
  }

  // ---------------------------------------------------------------- arrivals (§3.10.7)

  private receive(ep: Endpoint, ev: SimEvent): void {
    const f = ev.a, seq = ev.seq, ack = ev.ack, len = ev.len;
    const st = ep.state;
    if (st === "CLOSED" || st === "LISTEN") {
      // §3.10.7.1–2: classify by control bits; the table answers with RST or a SYN+ACK.
      let ei: number;
      if (f & RST) ei = RCV_RST;
      else if (f & SYN) ei = f & ACK ? RCV_SYN_ACK : RCV_SYN;
      else if (f & FIN) ei = RCV_FIN;
      else if (len > 0) ei = RCV_DATA;
      else ei = RCV_ACK;
      if (ei === RCV_SYN && st === "LISTEN") {
        ep.rcvNxt = add(seq, 1);
        ep.haveRcv = true;
      }
      this.fire(ep, ei, f, seq, ack, len, 0);
      return;
    }
    if (st === "SYN_SENT") {
      // §3.10.7.3: first the ACK, then RST, then SYN.
      const ackOk = (f & ACK) !== 0 && ack === ep.sndNxt;
      if (f & RST) {
        if (ackOk) this.fire(ep, RCV_RST, f, seq, ack, len, 0);
        return;
      }
      if (f & ACK && !ackOk) {
        this.fire(ep, RCV_ACK, f, seq, ack, len, 0); // the table answers an unacceptable ACK with RST
        return;
      }
      if (f & SYN) {
        ep.rcvNxt = add(seq, 1);
        ep.haveRcv = true;
        if (f & ACK) {
          this.ackAdvance(ep, ack);
          this.fire(ep, RCV_SYN_ACK, f, seq, ack, len, 0);
        } else {
          this.fire(ep, RCV_SYN, f, seq, ack, len, 0);
        }
      }
      return; // neither SYN nor RST: drop
    }
    // Synchronized states (and SYN_RCVD).
    if (f & RST) {
      // §3.10.7.4 first check for RST: the sequence number must be in the window.
      if (le(ep.rcvNxt, seq) && lt(seq, add(ep.rcvNxt, WINDOW))) this.fire(ep, RCV_RST, f, seq, ack, len, 0);
      return;
    }
    if (f & SYN) {
      if (f & ACK && st === "SYN_RCVD") {
        // Simultaneous open: the SYN+ACK must acknowledge our SYN.
        if (ack !== ep.sndNxt) return;
        this.ackAdvance(ep, ack);
      }
      this.fire(ep, f & ACK ? RCV_SYN_ACK : RCV_SYN, f, seq, ack, len, 0);
      return;
    }
    if (!(f & ACK)) return; // §3.10.7.4 fifth: "if the ACK bit is off drop the segment"
    if (lt(ep.sndNxt, ack)) {
      this.emit(ep, ACK, ep.sndNxt, ep.rcvNxt, 0, Why.DupAck, false); // acks something not yet sent
      return;
    }
    const finWasAcked = ep.finSent && lt(ep.finSeq, ep.sndUna);
    if (lt(ep.sndUna, ack)) this.ackAdvance(ep, ack);
    if (st === "SYN_RCVD" && !lt(ep.iss, ep.sndUna)) return; // our SYN is not acknowledged yet
    const acksFin = ep.finSent && lt(ep.finSeq, ack);
    if (len === 0 && !(f & FIN)) {
      this.fire(ep, acksFin ? RCV_ACK_OF_FIN : RCV_ACK, f, seq, ack, len, 0);
      return;
    }
    if (seq === ep.rcvNxt) {
      if (len > 0) {
        // §3.10.7.4 processes the ACK field before the text: a data segment that newly
        // acknowledges our FIN moves FIN_WAIT_1 on first.
        if (acksFin && !finWasAcked) this.fire(ep, RCV_ACK_OF_FIN, f, seq, ack, 0, 0);
        const o = lookup(this.profile, ep.si, RCV_DATA, ep.fl);
        if (o.kind === "transition") {
          ep.rcvNxt = add(ep.rcvNxt, len);
          if (!ep.autoRead) ep.unread += len;
          this.apply(ep, o, RCV_DATA, f, seq, ack, len, 0);
          this.trigger(ep, TRIGGER_INDEX.data);
        }
        if (ep.state === "CLOSED" || !(f & FIN)) return;
      }
      const ei = acksFin ? RCV_FIN_ACK_OF_FIN : RCV_FIN;
      const o = lookup(this.profile, ep.si, ei, ep.fl);
      if (o.kind === "transition") {
        ep.rcvNxt = add(ep.rcvNxt, 1);
        ep.finRcvd = true;
        this.apply(ep, o, ei, f, seq, ack, len, 0);
        this.trigger(ep, TRIGGER_INDEX.eof);
      }
      return;
    }
    if (f & FIN && ep.finRcvd && add(seq, len + 1) === ep.rcvNxt) {
      // A retransmitted FIN: the table ACKs it again (and restarts 2MSL in TIME_WAIT).
      this.fire(ep, acksFin ? RCV_FIN_ACK_OF_FIN : RCV_FIN, f, seq, ack, len, 0);
      return;
    }
    // §3.10.7.4 first check: an old duplicate or an out-of-order segment is not acceptable;
    // answer with an ACK saying what we expect (no reassembly queue in this simulator).
    this.emit(ep, ACK, ep.sndNxt, ep.rcvNxt, 0, Why.DupAck, false);
  }

  /** §3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT advances SND.UNA and frees the queue. */
  private ackAdvance(ep: Endpoint, ack: number): void {
    ep.sndUna = ack;
    const q = ep.rtx;
    let h = ep.rtxHead;
    while (h < ep.rtxTail && le(add(q[h]!, span(q[h + 1]!, q[h + 2]!)), ack)) h += 3;
    if (h === ep.rtxTail) h = ep.rtxTail = 0;
    ep.rtxHead = h;
    // RFC 6298 §5.3: new data acknowledged restarts the timer (and ends any backoff).
    ep.retries = 0;
    ep.rto = this.rtoInit;
    ep.genRtx++;
    ep.rtxRunning = false;
    if (h < ep.rtxTail) this.armRetransmit(ep);
  }

  // ---------------------------------------------------------------- the table

  private fire(ep: Endpoint, ei: number, f: number, seq: number, ack: number, len: number, bytes: number): Outcome {
    const o = lookup(this.profile, ep.si, ei, ep.fl);
    if (o.kind === "transition") this.apply(ep, o, ei, f, seq, ack, len, bytes);
    return o;
  }

  private apply(ep: Endpoint, o: Transition, ei: number, f: number, seq: number, ack: number, len: number, bytes: number): void {
    const from = ep.state;
    const next = o.next;
    if (next !== from || o.restartsTimeWait) {
      ep.state = next;
      ep.si = SI[next];
      this.events.push({
        type: "state",
        t: this.now / 1e6,
        endpoint: ep.name,
        from,
        to: next,
        cause: EVENTS[ei]!,
        ref: o.ref,
        explanation: o.note,
      });
    }
    const send = o.send;
    for (let i = 0; i < send.length; i++) {
      switch (send[i]) {
        case "SYN": this.sendSyn(ep, false, from); break;
        case "SYN+ACK": this.sendSyn(ep, true, from); break;
        case "ACK": this.sendAck(ep, ei, from); break;
        case "FIN": this.sendFin(ep); break;
        case "RST": this.sendRst(ep, ei, from, f, seq, ack, len); break;
        case "DATA": this.sendData(ep, bytes); break;
        case "RETRANSMIT": this.retransmitOldest(ep); break;
      }
    }
    if (next !== from) this.enter(ep, next);
    else if (o.restartsTimeWait) this.startTimeWait(ep);
  }

  private enter(ep: Endpoint, state: TcpState): void {
    switch (state) {
      case "ESTABLISHED":
        this.trigger(ep, TRIGGER_INDEX.established);
        if (ep.pending > 0) {
          const bytes = ep.pending;
          ep.pending = 0;
          this.fire(ep, SEND, 0, 0, 0, 0, bytes);
        }
        break;
      case "FIN_WAIT_2":
        this.maybeStartFinWait2(ep);
        break;
      case "TIME_WAIT":
        this.stopRetransmit(ep);
        ep.genFw2++;
        this.startTimeWait(ep);
        break;
      case "CLOSED":
        // The TCB is deleted (§3.10): a later open starts a new connection with a new ISS.
        this.stopRetransmit(ep);
        ep.genTw++;
        ep.genFw2++;
        ep.genDack++;
        ep.dackPending = false;
        ep.haveRcv = ep.synSent = ep.finSent = ep.finRcvd = false;
        ep.unread = ep.pending = 0;
        ep.fl = 0;
        ep.reopen = true;
        this.trigger(ep, TRIGGER_INDEX.closed);
        break;
      case "LISTEN":
        // A RST sent SYN_RCVD back to LISTEN (§3.10.7.4): forget the half-open connection.
        this.stopRetransmit(ep);
        ep.genDack++;
        ep.dackPending = false;
        ep.haveRcv = ep.synSent = ep.finSent = ep.finRcvd = false;
        ep.sndUna = ep.sndNxt = ep.iss;
        break;
      default:
        break;
    }
  }

  private trigger(ep: Endpoint, which: number): void {
    const list = ep.waiting[which]!;
    if (list.length === 0) return;
    const scheduled = ep.scheduled ??= ep.steps.map(() => false);
    for (let i = 0; i < list.length; i++) {
      const idx = list[i]!;
      if (scheduled[idx]) continue;
      scheduled[idx] = true;
      this.q.push(this.now + us(ep.steps[idx]!.after), K_STEP, ep.id, idx);
    }
  }

  // ---------------------------------------------------------------- sending

  private sendSyn(ep: Endpoint, withAck: boolean, from: TcpState): void {
    let again = false;
    if (!ep.synSent) {
      ep.synSent = true;
      ep.sndUna = ep.iss;
      ep.sndNxt = add(ep.iss, 1);
      this.queue(ep, ep.iss, SYN, 0);
    } else {
      // SYN_RCVD answering a retransmitted SYN resends its SYN+ACK (§3.10.7.4).
      again = from === "SYN_RCVD";
    }
    if (withAck) this.emit(ep, SYN | ACK, ep.iss, ep.rcvNxt, 0, again ? Why.Retransmit : Why.SynAck, again);
    else this.emit(ep, SYN, ep.iss, 0, 0, Why.Syn, false);
    this.armRetransmit(ep);
  }

  private sendAck(ep: Endpoint, ei: number, from: TcpState): void {
    let why: number = Why.DupAck;
    if (ei === RCV_DATA) why = Why.DataAck;
    else if (ei === RCV_FIN || ei === RCV_FIN_ACK_OF_FIN) why = Why.FinAck;
    else if (ei === RCV_SYN_ACK && from === "SYN_SENT") why = Why.HandshakeAck;
    // Delayed ACK (RFC 1122 §4.2.3.2) for data, and for the FIN that moves us to CLOSE_WAIT:
    // Linux tcp_fin() only schedules that ACK, so an application that closes at once sends
    // its FIN with the ACK on it. Every other ACK goes at once, as in Linux.
    // A second segment while an ACK is already held is acknowledged at once (RFC 5681 §4.2:
    // at least every second full-sized segment).
    const delay = ei === RCV_DATA || (why === Why.FinAck && from !== "CLOSE_WAIT" && ep.state === "CLOSE_WAIT");
    if (ep.delayedAck && delay && !ep.dackPending) {
      ep.dackPending = true;
      ep.dackWhy = why;
      this.q.push(this.now + us(this.profile.delayedAck), K_DELACK, ep.id, ++ep.genDack);
      return;
    }
    this.emit(ep, ACK, ep.sndNxt, ep.rcvNxt, 0, why, false);
  }

  private sendFin(ep: Endpoint): void {
    const merged = ep.dackPending;
    ep.finSent = true;
    ep.finSeq = ep.sndNxt;
    ep.sndNxt = add(ep.sndNxt, 1);
    this.queue(ep, ep.finSeq, FIN | ACK, 0);
    this.emit(ep, FIN | ACK, ep.finSeq, ep.rcvNxt, 0, merged ? Why.FinWithAck : Why.Fin, false);
    this.armRetransmit(ep);
  }

  private sendRst(ep: Endpoint, ei: number, from: TcpState, f: number, seq: number, ack: number, len: number): void {
    const isReply = ei >= RCV_SYN && ei <= RCV_DATA && (from === "CLOSED" || from === "LISTEN" || from === "SYN_SENT");
    if (isReply) {
      // §3.10.7.1: take the sequence number from the ACK field, or acknowledge the segment.
      if (f & ACK) this.emit(ep, RST, ack, 0, 0, Why.RstRefuse, false);
      else this.emit(ep, RST | ACK, 0, add(seq, span(f, len)), 0, Why.RstRefuse, false);
      return;
    }
    let why: number = Why.RstAbort;
    if (ei === CLOSE) why = ep.fl & F_LINGER0 ? Why.RstLinger0 : Why.RstUnread;
    else if (ei === RCV_DATA) why = Why.RstDataAfterClose;
    // Linux tcp_send_active_reset(): RST+ACK at SND.NXT.
    this.emit(ep, RST | ACK, ep.sndNxt, ep.rcvNxt, 0, why, false);
  }

  private sendData(ep: Endpoint, bytes: number): void {
    for (let left = bytes; left > 0;) {
      const n = left < MSS ? left : MSS;
      left -= n;
      const flags = left === 0 ? ACK | PSH : ACK;
      const seq = ep.sndNxt;
      ep.sndNxt = add(seq, n);
      this.queue(ep, seq, flags, n);
      this.emit(ep, flags, seq, ep.rcvNxt, n, Why.Data, false);
    }
    this.armRetransmit(ep);
  }

  private queue(ep: Endpoint, seq: number, flags: number, len: number): void {
    const t = ep.rtxTail;
    ep.rtx[t] = seq;
    ep.rtx[t + 1] = flags;
    ep.rtx[t + 2] = len;
    ep.rtxTail = t + 3;
  }

  // ---------------------------------------------------------------- timers

  private armRetransmit(ep: Endpoint): void {
    if (ep.rtxRunning || ep.rtxHead >= ep.rtxTail) return;
    ep.rtxRunning = true;
    this.q.push(this.now + ep.rto, K_RTX, ep.id, ++ep.genRtx);
  }

  private stopRetransmit(ep: Endpoint): void {
    ep.genRtx++;
    ep.rtxRunning = false;
    ep.rtxHead = ep.rtxTail = 0;
  }

  private onRetransmitTimer(ep: Endpoint, gen: number): void {
    if (gen !== ep.genRtx || !ep.rtxRunning) return;
    ep.rtxRunning = false;
    if (ep.rtxHead >= ep.rtxTail) return;
    const limit = ep.rtx[ep.rtxHead + 1]! & SYN ? this.profile.synRetries : this.profile.maxRetries;
    if (ep.retries >= limit) {
      this.fire(ep, USER_TIMEOUT, 0, 0, 0, 0, 0);
      return;
    }
    const o = lookup(this.profile, ep.si, RETRANSMIT_TIMEOUT, ep.fl);
    if (o.kind !== "transition") return;
    ep.retries++;
    // RFC 6298 §5.5: back off the timer, up to the profile's maximum.
    ep.rto = Math.min(ep.rto * 2, this.rtoMax);
    this.apply(ep, o, RETRANSMIT_TIMEOUT, 0, 0, 0, 0, 0);
  }

  private retransmitOldest(ep: Endpoint): void {
    const h = ep.rtxHead;
    if (h >= ep.rtxTail) return;
    const flags = ep.rtx[h + 1]! | (ep.haveRcv ? ACK : 0);
    this.emit(ep, flags, ep.rtx[h]!, ep.haveRcv ? ep.rcvNxt : 0, ep.rtx[h + 2]!, Why.Retransmit, true);
    this.armRetransmit(ep);
  }

  private startTimeWait(ep: Endpoint): void {
    this.q.push(this.now + us(this.profile.timeWait), K_TIME_WAIT, ep.id, ++ep.genTw);
  }

  private maybeStartFinWait2(ep: Endpoint): void {
    const timeout = this.profile.finWait2Timeout;
    if (timeout === null || !(ep.fl & F_ORPHANED) || ep.state !== "FIN_WAIT_2") return;
    this.q.push(this.now + us(timeout), K_FIN_WAIT_2, ep.id, ++ep.genFw2);
  }

  // ---------------------------------------------------------------- the application

  /** Opening again after CLOSED: a new connection draws a new ISS from the seeded generator. */
  private freshIss(ep: Endpoint): void {
    if (!ep.reopen || ep.state !== "CLOSED") return;
    ep.reopen = false;
    ep.iss = Math.floor(this.rnd() * 4294967296) >>> 0;
    ep.sndUna = ep.sndNxt = ep.iss;
    ep.rto = this.rtoInit;
    ep.retries = 0;
  }

  private runStep(ep: Endpoint, idx: number): void {
    const step = ep.steps[idx]!;
    let o: Outcome;
    switch (step.do) {
      case "listen":
        this.freshIss(ep);
        ep.fl |= F_PASSIVE;
        o = this.fire(ep, PASSIVE_OPEN, 0, 0, 0, 0, 0);
        break;
      case "connect":
        this.freshIss(ep);
        ep.fl &= ~F_PASSIVE;
        o = this.fire(ep, ACTIVE_OPEN, 0, 0, 0, 0, 0);
        break;
      case "send":
        o = this.fire(ep, SEND, 0, 0, 0, 0, step.bytes);
        // §3.10.2: before ESTABLISHED the data is queued, and sent on opening.
        if (o.kind === "ignored" && (ep.state === "SYN_SENT" || ep.state === "SYN_RCVD")) ep.pending += step.bytes;
        break;
      case "close": {
        if (step.linger0) ep.fl |= F_LINGER0;
        if (ep.unread > 0) ep.fl |= F_UNREAD;
        else ep.fl &= ~F_UNREAD;
        o = this.fire(ep, CLOSE, 0, 0, 0, 0, 0);
        if (o.kind !== "error") {
          // close() releases the socket: from now on the kernel owns an orphan.
          const wasOrphan = (ep.fl & F_ORPHANED) !== 0;
          ep.fl |= F_ORPHANED;
          if (!wasOrphan) this.maybeStartFinWait2(ep);
        }
        break;
      }
      case "shutdown":
        o = this.fire(ep, SHUTDOWN_WRITE, 0, 0, 0, 0, 0);
        break;
      case "abort":
        o = this.fire(ep, ABORT, 0, 0, 0, 0, 0);
        break;
      case "read":
        ep.unread = 0;
        ep.fl &= ~F_UNREAD;
        return;
    }
    if (o.kind === "error") {
      const where = step.at !== undefined ? `at ${step.at}s` : `on ${step.on}`;
      this.diagnostics.push(`t=${this.now / 1e6}s ${ep.name} step "${step.do}" (${where}) refused in ${ep.state}: ${o.reason} (${o.ref})`);
    }
  }
}

/** Run a validated scenario. Deterministic: the same scenario, profile and seed give the same trace. */
export function runScenario(scenario: Scenario, opts: SimulationOptions = {}): SimulationResult {
  const profile = PROFILES[opts.profile ?? scenario.profile];
  const seed = (opts.seed ?? scenario.seed) >>> 0;
  return new Simulator(scenario, profile, seed).run(opts.maxEvents ?? 5_000_000);
}
