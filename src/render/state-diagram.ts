/**
 * The RFC 9293 state diagram as SVG, generated from TRANSITION_TABLE.
 *
 * Node positions are data (NODE_PLACES), laid out like RFC 9293 §3.3.2 Figure 5: CLOSED at
 * the top, the opening states, ESTABLISHED in the middle, the active close on the left, the
 * passive close on the right, and CLOSED again at the bottom. Edges are computed: one edge
 * per distinct (from → to) pair of states that some case of the table connects, labelled
 * with every "event / segments sent" that takes it.
 *
 * Bundling: about a dozen states reach CLOSED through a RST, an ABORT, the user timeout or a
 * close() that resets (SO_LINGER 0, unread data, data after close). Drawn as full edges they
 * would cross the whole figure (the RFC's own Figure 5 leaves them out for that reason).
 * Here each such (state → CLOSED) pair is a short dashed "reset" stub leaving its state,
 * explained once in the legend; the stub keeps data-from/data-to and a <title> listing its
 * events, so it can still be highlighted and read by a screen reader.
 */
import { STATES, type TcpState } from "../fsm/states.js";
import { EVENT_LABELS, type TcpEvent } from "../fsm/events.js";
import { TRANSITION_TABLE, type Case } from "../fsm/table.js";
import { escapeXml, num, safeId, svgHead } from "./svg-util.js";

export interface NodePlace {
  /** Unique per drawn box: CLOSED is drawn twice, as in Figure 5. */
  readonly key: string;
  readonly state: TcpState;
  readonly x: number;
  readonly y: number;
}

const W = 900;
const NODE_W = 132;
const NODE_H = 36;

export const NODE_PLACES: readonly NodePlace[] = [
  { key: "CLOSED-top", state: "CLOSED", x: 450, y: 50 },
  { key: "LISTEN", state: "LISTEN", x: 450, y: 160 },
  { key: "SYN_RCVD", state: "SYN_RCVD", x: 190, y: 270 },
  { key: "SYN_SENT", state: "SYN_SENT", x: 710, y: 270 },
  { key: "ESTABLISHED", state: "ESTABLISHED", x: 450, y: 380 },
  { key: "FIN_WAIT_1", state: "FIN_WAIT_1", x: 190, y: 490 },
  { key: "CLOSE_WAIT", state: "CLOSE_WAIT", x: 710, y: 490 },
  { key: "FIN_WAIT_2", state: "FIN_WAIT_2", x: 100, y: 610 },
  { key: "CLOSING", state: "CLOSING", x: 420, y: 610 },
  { key: "LAST_ACK", state: "LAST_ACK", x: 710, y: 610 },
  { key: "TIME_WAIT", state: "TIME_WAIT", x: 235, y: 730 },
  { key: "CLOSED-end", state: "CLOSED", x: 450, y: 850 },
];

/** States whose normal edges into CLOSED end at the bottom box (the close half of Figure 5). */
const ENDS_AT_BOTTOM: ReadonlySet<TcpState> = new Set<TcpState>([
  "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT", "ESTABLISHED",
]);

/** Curvature for edges that would otherwise cut through a box; positive bends left of travel. */
const BENDS: Readonly<Record<string, number>> = {
  "SYN_RCVD>CLOSE_WAIT": -120,
  "FIN_WAIT_2>CLOSED": -150,
  "CLOSED>SYN_SENT": 40,
  "SYN_SENT>CLOSED": 40,
};
const REVERSE_BEND = 26;
/**
 * Label placement where the default (the middle of the edge, outside the bend) collides:
 * t is the position along the edge (0…1), side puts the text right (1), left (-1) or centred (0).
 */
const LABEL_AT: Readonly<Record<string, { readonly t: number; readonly side: -1 | 0 | 1 }>> = {
  "SYN_RCVD>CLOSE_WAIT": { t: 0.75, side: 0 },
  "FIN_WAIT_1>TIME_WAIT": { t: 0.42, side: 1 },
  "FIN_WAIT_2>CLOSED": { t: 0.62, side: -1 },
  "SYN_SENT>CLOSED": { t: 0.7, side: -1 },
  "LAST_ACK>CLOSED": { t: 0.3, side: 1 },
};

/** Which way each state's reset stub points (unit-ish vector). */
const RESET_STUB_DIR: Readonly<Record<TcpState, readonly [number, number]>> = {
  CLOSED: [0, -1],
  LISTEN: [1, 0],
  SYN_SENT: [1, 0],
  SYN_RCVD: [-1, 0],
  ESTABLISHED: [1, 0],
  FIN_WAIT_1: [-1, 0],
  CLOSE_WAIT: [1, 0],
  FIN_WAIT_2: [-0.2, 1],
  CLOSING: [1, 0],
  LAST_ACK: [1, 0],
  TIME_WAIT: [0, 1],
};
const STUB_LEN = 34;

export type EdgeKind = "normal" | "reset";

export interface DiagramEdge {
  readonly from: TcpState;
  readonly to: TcpState;
  readonly kind: EdgeKind;
  /** "event / sent" lines, grouped by what is sent. */
  readonly labels: readonly string[];
}

const RESET_EVENTS: ReadonlySet<TcpEvent> = new Set<TcpEvent>(["ABORT", "RCV_RST", "RCV_RST_IN_WINDOW", "USER_TIMEOUT"]);

/**
 * A case's condition, short: its profile and guard, and "no rfc5961" / "no rfc1337" when an
 * earlier case of the row took the profile switch (so this one applies only with it off).
 */
function shortCondition(cases: readonly Case[], i: number): string {
  const c = cases[i]!;
  const parts: string[] = [c.profile, c.when].filter((p): p is NonNullable<typeof p> => p !== undefined);
  for (const earlier of cases.slice(0, i)) {
    if ((earlier.when === "rfc5961" || earlier.when === "rfc1337") && earlier.profile === undefined &&
      !parts.includes(`no ${earlier.when}`)) parts.push(`no ${earlier.when}`);
  }
  return parts.length === 0 ? "" : ` [${parts.join(", ")}]`;
}

/** Every distinct (from → to, kind) edge of the table, from ≠ to, in table order. */
export function diagramEdges(): DiagramEdge[] {
  const groups = new Map<string, { from: TcpState; to: TcpState; kind: EdgeKind; bySend: Map<string, string[]> }>();
  for (const row of TRANSITION_TABLE) {
    for (const [i, c] of row.cases.entries()) {
      const o = c.outcome;
      if (o.kind !== "transition" || o.next === row.state) continue;
      // A guarded case that goes where a later unguarded one goes, sending the same, adds nothing to the figure.
      const same = row.cases.slice(i + 1).some((d) => d.when === undefined && d.profile === undefined &&
        d.outcome.kind === "transition" && d.outcome.next === o.next && d.outcome.send.join() === o.send.join());
      if (same) continue;
      const kind: EdgeKind =
        o.next === "CLOSED" && (RESET_EVENTS.has(row.event) || o.send.includes("RST")) ? "reset" : "normal";
      const key = `${row.state}>${o.next}>${kind}`;
      let g = groups.get(key);
      if (!g) {
        g = { from: row.state, to: o.next, kind, bySend: new Map() };
        groups.set(key, g);
      }
      const sent = o.send.join(", ");
      const list = g.bySend.get(sent) ?? [];
      // RFC 9293's CLOSE is both close() and shutdown(SHUT_WR) (they differ only in the
      // guarded cases, which keep their condition); one word keeps the figure readable.
      const ev = (row.event === "SHUTDOWN_WRITE" ? EVENT_LABELS.CLOSE : EVENT_LABELS[row.event]) + shortCondition(row.cases, i);
      if (!list.includes(ev)) list.push(ev);
      g.bySend.set(sent, list);
    }
  }
  return [...groups.values()].map((g) => ({
    from: g.from,
    to: g.to,
    kind: g.kind,
    labels: [...g.bySend.entries()].map(([sent, evs]) => (sent === "" ? evs.join(", ") : `${evs.join(", ")} / ${sent}`)),
  }));
}

/** The two paths every lesson draws. */
export const NAMED_PATHS = {
  "active-close": ["ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"],
  "passive-close": ["ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"],
} as const satisfies Record<string, readonly TcpState[]>;
export type NamedPath = keyof typeof NAMED_PATHS;
export const NAMED_PATH_NAMES = Object.keys(NAMED_PATHS) as NamedPath[];

export interface StateDiagramOptions {
  readonly highlight?: {
    /** State(s) drawn highlighted. */
    readonly state?: TcpState | readonly TcpState[];
    /** A sequence of states; each consecutive pair's edge is highlighted. A name picks a NAMED_PATHS entry. */
    readonly path?: readonly TcpState[] | NamedPath;
  };
  /** Prefix for ids (markers), so two diagrams can share a page. Default "tcp-fsm". */
  readonly idPrefix?: string;
  /** Override the <title>. */
  readonly title?: string;
}

interface Pt { x: number; y: number }

function placeOf(state: TcpState, role: "from" | "to", other: TcpState): NodePlace {
  let key: string = state;
  if (state === "CLOSED") key = role === "from" || !ENDS_AT_BOTTOM.has(other) ? "CLOSED-top" : "CLOSED-end";
  const p = NODE_PLACES.find((n) => n.key === key);
  if (!p) throw new Error(`no place for ${key}`);
  return p;
}

/** Where the ray from the centre of a box towards `toward` leaves the box. */
function boxExit(c: Pt, toward: Pt): Pt {
  const dx = toward.x - c.x;
  const dy = toward.y - c.y;
  const s = Math.min(dx === 0 ? Infinity : NODE_W / 2 / Math.abs(dx), dy === 0 ? Infinity : NODE_H / 2 / Math.abs(dy));
  return { x: c.x + dx * s, y: c.y + dy * s };
}

function resolvePath(path: readonly TcpState[] | NamedPath | undefined): readonly TcpState[] {
  if (path === undefined) return [];
  if (typeof path === "string") return NAMED_PATHS[path];
  return path;
}

const STYLE = `
.tcp-fsm-diagram { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
.tcp-fsm-diagram .node rect { fill: none; stroke: currentColor; stroke-width: 1.5; }
.tcp-fsm-diagram .node text { fill: currentColor; font-size: 13px; font-weight: 600; }
.tcp-fsm-diagram .node.on-path rect { stroke-width: 2.5; }
.tcp-fsm-diagram .node.hl rect { stroke: #e8590c; stroke-width: 3; fill: rgba(232, 89, 12, 0.16); }
.tcp-fsm-diagram .edge path { fill: none; stroke: currentColor; stroke-opacity: 0.65; stroke-width: 1.2; }
.tcp-fsm-diagram .edge text { fill: currentColor; font-size: 10px; paint-order: stroke; stroke: white; stroke: Canvas; stroke-width: 3px; stroke-linejoin: round; }
.tcp-fsm-diagram .edge.reset path { stroke-dasharray: 4 3; }
.tcp-fsm-diagram .edge.hl path { stroke: #e8590c; stroke-opacity: 1; stroke-width: 2.6; }
.tcp-fsm-diagram .edge.hl text { fill: #e8590c; font-weight: 600; }
.tcp-fsm-diagram .legend text { fill: currentColor; font-size: 11px; }
.tcp-fsm-diagram .legend path { fill: none; stroke: currentColor; stroke-dasharray: 4 3; }
`;

/** The SVG state diagram; deterministic for the same options. */
export function renderStateDiagram(opts: StateDiagramOptions = {}): string {
  const id = safeId(opts.idPrefix ?? "tcp-fsm");
  const hlStates = new Set<TcpState>(
    opts.highlight?.state === undefined ? [] : typeof opts.highlight.state === "string" ? [opts.highlight.state] : opts.highlight.state,
  );
  const path = resolvePath(opts.highlight?.path);
  const edges = diagramEdges();
  // A path step marks its normal edge; the reset stub only when the step is nothing but a reset.
  const hlEdges = new Set<DiagramEdge>();
  for (let i = 0; i + 1 < path.length; i++) {
    const a = path[i]!;
    const b = path[i + 1]!;
    const candidates = edges.filter((e) => e.from === a && e.to === b);
    const pick = candidates.find((e) => e.kind === "normal") ?? candidates[0];
    if (!pick) throw new Error(`the transition table has no transition ${a} → ${b}`);
    hlEdges.add(pick);
  }
  const onPath = new Set<TcpState>(path);

  const pairs = new Set(edges.filter((e) => e.kind === "normal").map((e) => `${e.from}>${e.to}`));
  const out: string[] = [];
  const title = opts.title ?? "TCP connection state diagram (RFC 9293, Figure 5)";
  const hlText = [
    hlStates.size > 0 ? `Highlighted state: ${[...hlStates].join(", ")}.` : "",
    path.length > 0 ? `Highlighted path: ${path.join(" → ")}.` : "",
  ].filter((s) => s !== "").join(" ");
  const desc =
    `The ${STATES.length} TCP states and the ${edges.length} transitions between distinct states from the RFC 9293 transition table. ` +
    `Dashed stubs mark resets (RST, ABORT, user timeout) that lead to CLOSED. ${hlText}`.trim();
  const H = 940;
  out.push(...svgHead({
    className: "tcp-fsm-diagram", width: W, height: H, id, title, desc, style: STYLE,
    markers: { arrow: "currentColor", "arrow-hl": "#e8590c" },
  }));

  out.push('<g class="edges">');
  for (const e of edges) {
    const hl = hlEdges.has(e);
    const cls = `edge ${e.kind}${hl ? " hl" : ""}`;
    const marker = `url(#${id}-arrow${hl ? "-hl" : ""})`;
    const label = e.labels.join("; ");
    const head = `<g class="${cls}" data-from="${e.from}" data-to="${e.to}" data-kind="${e.kind}"><title>${escapeXml(`${e.from} → ${e.to}: ${label}`)}</title>`;
    if (e.kind === "reset") {
      const from = placeOf(e.from, "from", e.to);
      const [dx, dy] = RESET_STUB_DIR[e.from];
      const len = Math.hypot(dx, dy);
      const far = { x: from.x + (dx / len) * 1000, y: from.y + (dy / len) * 1000 };
      const s = boxExit(from, far);
      const t = { x: s.x + (dx / len) * STUB_LEN, y: s.y + (dy / len) * STUB_LEN };
      out.push(`${head}<path d="M${num(s.x)},${num(s.y)} L${num(t.x)},${num(t.y)}" marker-end="${marker}"/></g>`);
      continue;
    }
    const a = placeOf(e.from, "from", e.to);
    const b = placeOf(e.to, "to", e.from);
    const key = `${e.from}>${e.to}`;
    const bend = BENDS[key] ?? (pairs.has(`${e.to}>${e.from}`) ? REVERSE_BEND : 0);
    const mx = (a.x + b.x) / 2;
    const my = (a.y + b.y) / 2;
    const dist = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    // Perpendicular to the direction of travel, so the two directions of a pair bend apart.
    const c = { x: mx + ((b.y - a.y) / dist) * bend, y: my - ((b.x - a.x) / dist) * bend };
    const s = boxExit(a, c);
    const t = boxExit(b, c);
    const at = LABEL_AT[key];
    const lt = at?.t ?? 0.5;
    const lx0 = (1 - lt) ** 2 * s.x + 2 * lt * (1 - lt) * c.x + lt ** 2 * t.x;
    const ly = (1 - lt) ** 2 * s.y + 2 * lt * (1 - lt) * c.y + lt ** 2 * t.y;
    // A bent edge's label sits on the outside of the bend, so the two directions of a pair don't collide.
    const side = at !== undefined ? at.side : bend === 0 ? 0 : Math.sign(lx0 - mx);
    const anchor = side > 0 ? "start" : side < 0 ? "end" : "middle";
    const lx = lx0 + side * 4;
    const tspans = e.labels
      .map((l, i) => `<tspan x="${num(lx)}" dy="${i === 0 ? num(-((e.labels.length - 1) * 12) / 2 + 3) : "12"}">${escapeXml(l)}</tspan>`)
      .join("");
    out.push(
      `${head}<path d="M${num(s.x)},${num(s.y)} Q${num(c.x)},${num(c.y)} ${num(t.x)},${num(t.y)}" marker-end="${marker}"/>` +
        `<text x="${num(lx)}" y="${num(ly)}" text-anchor="${anchor}">${tspans}</text></g>`,
    );
  }
  // The one self-loop worth drawing: a retransmitted FIN in TIME_WAIT restarts 2MSL (§3.10.7.4).
  const tw = placeOf("TIME_WAIT", "from", "TIME_WAIT");
  const sx = tw.x + NODE_W / 2;
  out.push(
    `<g class="edge self" data-from="TIME_WAIT" data-to="TIME_WAIT" data-kind="self"><title>TIME_WAIT → TIME_WAIT: rcv FIN / ACK, restart 2MSL</title>` +
      `<path d="M${num(sx)},${num(tw.y - 10)} C${num(sx + 50)},${num(tw.y - 30)} ${num(sx + 50)},${num(tw.y + 30)} ${num(sx)},${num(tw.y + 10)}" marker-end="url(#${id}-arrow)"/>` +
      `<text x="${num(sx + 44)}" y="${num(tw.y + 4)}" text-anchor="start">rcv FIN / ACK (restart 2MSL)</text></g>`,
  );
  out.push("</g>");

  out.push('<g class="nodes">');
  for (const n of NODE_PLACES) {
    const cls = `node${hlStates.has(n.state) ? " hl" : ""}${onPath.has(n.state) ? " on-path" : ""}`;
    out.push(
      `<g class="${cls}" data-state="${n.state}" data-node="${n.key}">` +
        `<rect x="${num(n.x - NODE_W / 2)}" y="${num(n.y - NODE_H / 2)}" width="${NODE_W}" height="${NODE_H}" rx="6"/>` +
        `<text x="${num(n.x)}" y="${num(n.y + 4.5)}" text-anchor="middle">${n.state}</text></g>`,
    );
  }
  out.push("</g>");

  const ly = H - 30;
  out.push(
    `<g class="legend"><path d="M20,${ly} L54,${ly}" marker-end="url(#${id}-arrow)"/>` +
      `<text x="62" y="${ly + 4}">RST, ABORT, user timeout, or a close() that resets → CLOSED (one stub per state instead of an edge across the figure)</text>` +
      `<text x="20" y="${ly + 20}">Labels read "event / segments sent"; CLOSE is close() or shutdown(SHUT_WR). [passiveOpen], [orphaned], [linux] … are conditions from the table.</text></g>`,
  );
  out.push("</svg>");
  return out.join("\n") + "\n";
}
