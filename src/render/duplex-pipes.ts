/**
 * Full duplex as a picture: a TCP connection is two independent byte streams, one in each
 * direction (RFC 9293 §3.6: "the notion of closing a full-duplex connection"), and a FIN
 * ends only the stream of the side that sends it (§3.6). Drawn as two pipes; a pipe closed by
 * a FIN gets a cap and a label, which is the half-close of RFC 9293 §3.6 ("half-closed"
 * connection) and of shutdown(SHUT_WR).
 * Pure: a string of SVG, no Node imports.
 */
import { escapeXml, num, safeId, svgHead } from "./svg-util.js";

/** One direction of the connection. */
export type PipeDirection = "client-to-server" | "server-to-client";

export interface DuplexPipesOptions {
  /** The directions already closed by a FIN (default: none, both open). */
  readonly closed?: readonly PipeDirection[];
  /** Names of the two ends (default "client" and "server"). */
  readonly left?: string;
  readonly right?: string;
  /** Id prefix, when several pictures share a page (default "duplex"). */
  readonly id?: string;
}

const WIDTH = 560;
const HEIGHT = 200;
const HOST_W = 96;
const PIPE_X0 = HOST_W + 24;
const PIPE_X1 = WIDTH - HOST_W - 24;

/**
 * Two labelled pipes between two hosts: the top one carries the left end's bytes to the right,
 * the bottom one the right end's bytes to the left. A closed pipe is drawn grey and dashed, with
 * a "FIN" cap at its sender's end: nothing more will be written into it, while the other pipe
 * still flows.
 */
export function renderDuplexPipes(opts: DuplexPipesOptions = {}): string {
  const left = opts.left ?? "client";
  const right = opts.right ?? "server";
  const closed = new Set(opts.closed ?? []);
  const id = safeId(opts.id ?? "duplex");
  const state =
    closed.size === 0 ? "both directions open" : closed.size === 2 ? "both directions closed" : "half-closed: one direction closed";
  const out = svgHead({
    className: "duplex-pipes",
    width: WIDTH,
    height: HEIGHT,
    id,
    title: `A TCP connection is two byte streams (${state})`,
    desc:
      `Two pipes between ${left} and ${right}. Top: ${left} to ${right}, ${closed.has("client-to-server") ? "closed by a FIN" : "open"}. ` +
      `Bottom: ${right} to ${left}, ${closed.has("server-to-client") ? "closed by a FIN" : "open"}.`,
    style:
      ".host{fill:#eef2f7;stroke:#34495e;stroke-width:1.5}.pipe{stroke-width:14;stroke-linecap:butt;fill:none}" +
      ".open{stroke:#5dade2}.shut{stroke:#c8c8c8;stroke-dasharray:10 6}.open-head{fill:#2e86c1}.shut-head{fill:#aaa}.cap{fill:#c0392b}" +
      "text{font:13px sans-serif;fill:#222}.small{font-size:11px}.fin{fill:#fff;font:bold 10px sans-serif}",
    markers: {},
  });
  out.push(`<rect class="host" x="8" y="40" width="${HOST_W}" height="120" rx="8"/>`);
  out.push(`<rect class="host" x="${WIDTH - HOST_W - 8}" y="40" width="${HOST_W}" height="120" rx="8"/>`);
  out.push(`<text x="${num(8 + HOST_W / 2)}" y="104" text-anchor="middle">${escapeXml(left)}</text>`);
  out.push(`<text x="${num(WIDTH - 8 - HOST_W / 2)}" y="104" text-anchor="middle">${escapeXml(right)}</text>`);
  out.push(pipe(72, PIPE_X0, PIPE_X1, `${left} → ${right} bytes`, closed.has("client-to-server")));
  out.push(pipe(136, PIPE_X1, PIPE_X0, `${right} → ${left} bytes`, closed.has("server-to-client")));
  out.push(`<text class="small" x="${WIDTH / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escapeXml(state)}</text>`);
  out.push("</svg>");
  return out.join("\n");
}

/** One pipe from x0 (the writer) to x1 (the reader), at height y. */
function pipe(y: number, x0: number, x1: number, label: string, shut: boolean): string {
  const cls = shut ? "shut" : "open";
  const dir = Math.sign(x1 - x0);
  const parts = [
    `<line class="pipe ${cls}" x1="${num(x0)}" y1="${y}" x2="${num(x1 - dir * 14)}" y2="${y}"/>`,
    // The arrowhead is drawn, not a marker: a marker scales with the pipe's 14-px stroke.
    `<polygon class="${cls}-head" points="${num(x1)},${y} ${num(x1 - dir * 16)},${y - 12} ${num(x1 - dir * 16)},${y + 12}"/>`,
    `<text x="${WIDTH / 2}" y="${y - 16}" text-anchor="middle">${escapeXml(label)}${shut ? " — closed by a FIN" : " — open"}</text>`,
  ];
  if (shut) {
    // The FIN is the last thing the writer puts in the pipe: a cap at the writer's end.
    const cx = x0 + dir * 14;
    parts.push(`<rect class="cap" x="${num(cx - 14)}" y="${y - 10}" width="28" height="20" rx="3"/>`);
    parts.push(`<text class="fin" x="${num(cx)}" y="${y + 4}" text-anchor="middle">FIN</text>`);
  }
  return parts.join("\n");
}
