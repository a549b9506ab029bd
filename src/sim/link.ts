/**
 * The link between the two endpoints: a one-way delay, the scenario's rules (drop, delay or
 * duplicate the segments they match), then seeded loss, reordering and duplication. Every
 * segment sent is recorded in the trace with its fate, lost ones included; a delivered one
 * is put on the agenda as an arrival at the other endpoint.
 */
import type { SegmentRecord } from "./trace.js";
import type { LinkRule } from "./scenario.js";
import type { Endpoint } from "./endpoint.js";
import type { Simulation } from "./simulation.js";
import { K_ARRIVE, us } from "./clock.js";
import { FLAG_ARRAYS } from "./segment.js";
import { Why, explainSegment } from "./explain.js";


export function transmit(sim: Simulation, ep: Endpoint, flags: number, seq: number, ack: number, len: number, why: number, retransmission: boolean): void {
  const link = sim.sc.link;
  const t = sim.now;
  let dropped = false;
  let extra = 0;
  let duplicate = false;
  let dupExtra = sim.delayUs >> 1;
  const rules = link.rules;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    const mask = sim.ruleFlags[i]!;
    if (mask !== -1 && mask !== flags) continue;
    if (!ruleMatches(r, ep, len, retransmission, t)) continue;
    const hit = ++sim.ruleHits[i]!;
    if (r.nth !== undefined && hit !== r.nth) continue;
    if (r.action === "drop") dropped = true;
    else if (r.action === "delay") extra += us(r.by ?? 0);
    else {
      duplicate = true;
      if (r.by !== undefined) dupExtra = us(r.by);
    }
  }
  if (link.loss > 0 && sim.rnd() < link.loss) dropped = true;
  if (link.reorder > 0 && sim.rnd() < link.reorder) extra += sim.reorderUs;
  if (link.duplicate > 0 && sim.rnd() < link.duplicate) duplicate = true;
  const to = 1 - ep.id;
  const arrives = t + sim.delayUs + extra;
  recordSegment(sim, ep, flags, seq, ack, len, dropped, arrives, retransmission, why);
  if (dropped || sim.scripted) return;
  sim.q.push(arrives, K_ARRIVE, to, flags, seq, ack, len, sim.segments - 1);
  if (duplicate) {
    recordSegment(sim, ep, flags, seq, ack, len, false, arrives + dupExtra, retransmission, Why.Duplicate);
    sim.events[sim.events.length - 1] = { ...(sim.events[sim.events.length - 1] as SegmentRecord), duplicate: true };
    sim.q.push(arrives + dupExtra, K_ARRIVE, to, flags, seq, ack, len, sim.segments - 1);
  }
}

function ruleMatches(r: LinkRule, ep: Endpoint, len: number, retransmission: boolean, t: number): boolean {
  if (r.from !== undefined && r.from !== ep.name) return false;
  if (r.data !== undefined && r.data !== len > 0) return false;
  if (r.retransmission !== undefined && r.retransmission !== retransmission) return false;
  if (r.after !== undefined && t < us(r.after)) return false;
  if (r.before !== undefined && t >= us(r.before)) return false;
  return true;
}

function recordSegment(sim: Simulation, ep: Endpoint, flags: number, seq: number, ack: number, len: number, dropped: boolean,
  arrives: number, retransmission: boolean, why: number): void {
  sim.journal?.push({ kind: "send", t: sim.now / 1e6, endpoint: ep.id, seg: sim.segments });
  sim.segments++;
  const t = sim.now / 1e6, to = ep.id === 0 ? "server" : "client", f = FLAG_ARRAYS[flags]!, at = dropped ? null : arrives / 1e6;
  const explanation = explainSegment(why as Why, dropped);
  // A RST in reply to a segment advertises no window (Linux tcp_v4_send_reset()).
  const win = sim.replyRst ? 0 : ep.rcvWnd;
  // Two literals, not a spread: the record is built once per segment on the hot path.
  sim.events.push(sim.arriving < 0
    ? { type: "segment", t, from: ep.name, to, flags: f, seq, ack, len, win, dropped, arrives: at, retransmission, explanation }
    : { type: "segment", t, from: ep.name, to, flags: f, seq, ack, len, win, dropped, arrives: at, retransmission, causeSegment: sim.arriving, explanation });
}
