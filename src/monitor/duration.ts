/**
 * Durations as people type them on a command line: "1s", "500ms", "1.5s", "2m", or a bare
 * number meaning seconds (as `watch -n 2` does). Returns milliseconds, or an error message
 * that says what was expected; the CLI turns the message into a UserError.
 */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

export type DurationResult = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly error: string };

export function parseDuration(raw: string): DurationResult {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|sec|s|min|m|h)?\s*$/i.exec(raw);
  if (!m) {
    return { ok: false, error: `expected a duration such as 1s, 500ms, 2m, 1h or 2 (seconds), got "${raw}"` };
  }
  const value = Number(m[1]);
  const unit = (m[2] ?? "s").toLowerCase();
  const factor = UNIT_MS[unit];
  if (factor === undefined) return { ok: false, error: `unknown unit "${unit}" in "${raw}"` };
  return { ok: true, ms: Math.round(value * factor) };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
