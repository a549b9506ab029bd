/**
 * The two typical paths through the state machine, drawn small before the full diagram, as
 * Kurose & Ross do: a client that opens actively and closes first, and a server that opens
 * passively and closes second. Pure SVG.
 *
 * Only the events are data here. Every state after the first and every "event / sent" label
 * is looked up in the transition table with `decide()`, so the small diagrams cannot disagree
 * with the table, the full diagram or the simulator.
 */
import { decide, type EndpointFlags } from "../fsm/machine.js";
import { EVENT_LABELS, type TcpEvent } from "../fsm/events.js";
import type { ProfileName } from "../fsm/profiles.js";
import type { TcpState } from "../fsm/states.js";
import { escapeXml, num, safeId, svgHead } from "./svg-util.js";

export type TypicalSide = "client" | "server";

export interface TypicalStepSpec {
  readonly event: TcpEvent;
  /** The endpoint's flags at that step (a server's SYN_RCVD came from LISTEN: passiveOpen). */
  readonly flags?: EndpointFlags;
  /** What the application or the peer does, in words, for the label's second line. */
  readonly why: string;
}

/**
 * The events of each path, from CLOSED. RFC 9293 §3.5 Figure 6 (the handshake) and §3.6
 * Figure 12 (the normal close) show the same two sides.
 */
export const TYPICAL_PATH_EVENTS: Readonly<Record<TypicalSide, readonly TypicalStepSpec[]>> = {
  client: [
    { event: "ACTIVE_OPEN", why: "the application calls connect()" },
    { event: "RCV_SYN_ACK", why: "the server accepts" },
    { event: "CLOSE", why: "the application calls close()" },
    { event: "RCV_ACK_OF_FIN", why: "the server acknowledges the FIN" },
    { event: "RCV_FIN", why: "the server closes too" },
    { event: "TIME_WAIT_TIMEOUT", why: "2MSL pass without a FIN again" },
  ],
  server: [
    { event: "PASSIVE_OPEN", why: "the application calls listen()" },
    { event: "RCV_SYN", why: "a client connects" },
    { event: "RCV_ACK", flags: { passiveOpen: true }, why: "the handshake's last segment" },
    { event: "RCV_FIN", why: "the client closes first" },
    { event: "CLOSE", why: "the application calls close()" },
    { event: "RCV_ACK_OF_FIN", why: "the client acknowledges the FIN" },
  ],
};

export interface TypicalStep {
  readonly from: TcpState;
  readonly event: TcpEvent;
  readonly to: TcpState;
  /** What the table says is sent ("SYN", "SYN+ACK", "" for nothing). */
  readonly sent: string;
  /** "event / sent", or "event / —" when nothing is sent (Kurose & Ross write Λ). */
  readonly label: string;
  readonly why: string;
  readonly ref: string;
}

/** The path's steps, each looked up in the transition table. Throws if the table refuses a step (a bug). */
export function typicalPath(side: TypicalSide, profile: ProfileName = "rfc9293"): TypicalStep[] {
  const steps: TypicalStep[] = [];
  let state: TcpState = "CLOSED";
  for (const spec of TYPICAL_PATH_EVENTS[side]) {
    const { outcome } = decide(state, spec.event, profile, spec.flags ?? {});
    if (outcome.kind !== "transition") throw new Error(`the table does not take ${state} on ${spec.event}: ${outcome.reason}`);
    const sent = outcome.send.join("+");
    steps.push({
      from: state, event: spec.event, to: outcome.next, sent,
      label: `${EVENT_LABELS[spec.event]} / ${sent === "" ? "—" : sent}`, why: spec.why, ref: outcome.ref,
    });
    state = outcome.next;
  }
  return steps;
}

export interface PathDiagramOptions {
  /** Prefix for ids (markers), so several diagrams can share a page. Default "tcp-path-<side>". */
  readonly idPrefix?: string;
  readonly profile?: ProfileName;
}

const W = 460;
const BOX_W = 150;
const BOX_H = 34;
const STEP = 74;
const TOP = 30;
const BOX_X = 20;

const STYLE = `
.tcp-path-diagram { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
.tcp-path-diagram .node rect { fill: none; stroke: currentColor; stroke-width: 1.5; }
.tcp-path-diagram .node.established rect { stroke-width: 2.5; }
.tcp-path-diagram .node text { fill: currentColor; font-size: 13px; font-weight: 600; }
.tcp-path-diagram .edge path { fill: none; stroke: currentColor; stroke-width: 1.4; }
.tcp-path-diagram .edge .label { fill: currentColor; font-size: 12px; font-weight: 600; }
.tcp-path-diagram .edge .why { fill: currentColor; fill-opacity: 0.75; font-size: 11px; }
.tcp-path-diagram .caption { fill: currentColor; font-size: 11px; }
`;

/**
 * One column of state boxes from CLOSED to CLOSED, an arrow between each pair labelled with
 * "event / sent" from the table and, under it, what caused the event. Deterministic.
 */
export function renderPathDiagram(side: TypicalSide, opts: PathDiagramOptions = {}): string {
  const steps = typicalPath(side, opts.profile ?? "rfc9293");
  const id = safeId(opts.idPrefix ?? `tcp-path-${side}`);
  const states = [steps[0]!.from, ...steps.map((s) => s.to)];
  const H = TOP + (states.length - 1) * STEP + BOX_H + 40;
  const title = side === "client" ? "The typical client path (active open, active close)" : "The typical server path (passive open, passive close)";
  const desc = `${states.join(" → ")}. Each arrow is labelled "event / segments sent", taken from the transition table: ` +
    steps.map((s) => `${s.from} → ${s.to}: ${s.label}`).join("; ") + ".";
  const out: string[] = [...svgHead({
    className: `tcp-path-diagram tcp-path-${side}`, width: W, height: H, id, title, desc, style: STYLE, markers: { arrow: "currentColor" },
  })];
  const cx = BOX_X + BOX_W / 2;
  const yOf = (i: number): number => TOP + i * STEP;
  out.push('<g class="edges">');
  steps.forEach((s, i) => {
    const y1 = yOf(i) + BOX_H;
    const y2 = yOf(i + 1);
    const mid = (y1 + y2) / 2;
    out.push(
      `<g class="edge" data-from="${s.from}" data-to="${s.to}" data-event="${s.event}"><title>${escapeXml(`${s.from} → ${s.to}: ${s.label} (${s.ref})`)}</title>` +
        `<path d="M${num(cx)},${num(y1)} L${num(cx)},${num(y2 - 1)}" marker-end="url(#${id}-arrow)"/>` +
        `<text class="label" x="${num(cx + 14)}" y="${num(mid - 2)}">${escapeXml(s.label)}</text>` +
        `<text class="why" x="${num(cx + 14)}" y="${num(mid + 12)}">${escapeXml(s.why)}</text></g>`,
    );
  });
  out.push("</g>");
  out.push('<g class="nodes">');
  states.forEach((st, i) => {
    const cls = `node${st === "ESTABLISHED" ? " established" : ""}`;
    out.push(
      `<g class="${cls}" data-state="${st}"><rect x="${num(BOX_X)}" y="${num(yOf(i))}" width="${BOX_W}" height="${BOX_H}" rx="6"/>` +
        `<text x="${num(cx)}" y="${num(yOf(i) + BOX_H / 2 + 4.5)}" text-anchor="middle">${st}</text></g>`,
    );
  });
  out.push("</g>");
  out.push(`<text class="caption" x="${BOX_X}" y="${num(H - 12)}">${escapeXml(`"event / segments sent" (—: nothing), from the table`)}</text>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}
