/** The expected-vs-observed table that the CLI and the notebooks print. */
import { renderAsciiLadder } from "../render/ascii-ladder.js";
import type { DemoResult } from "./types.js";

export function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

/** The expected-vs-observed table (and the captured ladder); `ascii` keeps to 7-bit characters. */
export function formatDemoTable(result: DemoResult, ascii = false): string {
  const arrow = ascii ? "->" : "→";
  const mark = (ok: boolean): string => (ascii ? (ok ? "ok  " : "FAIL") : ok ? "✓" : "✗");
  const lines = [`${result.title} (${result.demo})`, ""];
  const w = Math.max(...result.steps.map((s) => s.step.length), 4);
  const states = (c: string, s: string): string => `${pad(c, 11)} ${pad(s, 11)}`;
  lines.push(`${ascii ? "    " : " "}  ${pad("step", w)}  ${pad("expected", 23)}  observed`);
  lines.push(`${ascii ? "    " : " "}  ${pad("", w)}  ${states("client", "server")}  ${states("client", "server")}`);
  result.steps.forEach((s) => {
    lines.push(`${mark(s.ok)}  ${pad(s.step, w)}  ${states(s.expected.client, s.expected.server)}  ${states(s.observed.client, s.observed.server)}`.trimEnd());
    if (s.detail) lines.push(`${ascii ? "    " : " "}  ${pad("", w)}  ${Object.entries(s.detail).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  });
  lines.push("", result.ok ? "the kernel did what was expected" : `the kernel did NOT do what was expected ${arrow} see the ${mark(false).trim()} steps`);
  lines.push(...formatAppCalls(result, ascii), ...formatCounters(result, ascii));
  if (result.capture) {
    lines.push("");
    if (!result.capture.ok) lines.push(`capture: unavailable: ${result.capture.reason}`);
    else {
      lines.push(`capture: ${result.segments.length} segment(s) in ${result.capture.connections} connection(s) (${result.capture.filter})`);
      // The kernel dropped packets before tcpdump read them: the segments and the ladder miss
      // some, so say so on a line of its own rather than let an incomplete capture pass as whole.
      if (result.capture.dropped) {
        lines.push(
          `capture INCOMPLETE: tcpdump reports ${result.capture.dropped} packet(s) dropped by the kernel before it read them; ` +
            "the segments and ladder below miss some (a burst too fast for tcpdump: try fewer --connections)",
        );
      } else if (result.capture.dropped === null) lines.push("capture: tcpdump did not report whether the kernel dropped packets");
      // A pile-up has dozens of connections: draw the first.
      const trace = result.traces?.[0];
      if (trace) lines.push("", renderAsciiLadder(trace));
      if ((result.traces?.length ?? 0) > 1) lines.push(`(${(result.traces?.length ?? 0) - 1} more connection(s) not drawn; the result's segments list every one)`);
    }
  }
  return lines.map((l) => l.trimEnd()).join("\n") + "\n";
}

/**
 * What the application saw, one call a line: "  0.0123 s  client  read() → 0 (EOF)". Empty
 * (no lines at all) when the demo recorded no calls (results made before `app` existed).
 */
export function formatAppCalls(result: Pick<DemoResult, "app">, ascii = false): string[] {
  const calls = result.app ?? [];
  if (calls.length === 0) return [];
  const arrow = ascii ? "->" : "→";
  const w = Math.max(...calls.map((c) => c.call.length));
  return [
    "",
    "what the application saw:",
    ...calls.map((c) => `  ${c.t.toFixed(4).padStart(8)} s  ${pad(c.endpoint, 6)}  ${pad(c.call, w)}  ${arrow} ${c.result}`),
  ];
}

/**
 * The counters that moved, "TcpExtTCPAbortOnClose +1", with the reminder that they are the
 * namespace's; nothing when the result has none.
 */
export function formatCounters(result: Pick<DemoResult, "counters">, _ascii = false): string[] {
  const counters = result.counters;
  if (!counters) return [];
  const moved = Object.entries(counters).filter(([, v]) => v !== 0);
  const still = Object.keys(counters).length - moved.length;
  const line = moved.length > 0 ? moved.map(([k, v]) => `${k} ${v > 0 ? "+" : ""}${v}`).join(", ") : "none moved";
  return [
    "",
    `kernel counters (nstat names; the whole network namespace, other sockets included): ${line}` +
      (still > 0 ? ` (${still} other relevant counter(s) unchanged)` : ""),
  ];
}
