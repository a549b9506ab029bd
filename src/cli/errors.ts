/**
 * A mistake by the person at the keyboard: an unknown preset, a malformed file, a negative
 * rate. The CLI prints its message and exits 2, without a stack trace. Anything else that
 * escapes is a bug and keeps its stack.
 */
export class UserError extends Error {
  override readonly name = "UserError";
}

/** Parse a number option, or throw a UserError that names the option and what it expects. */
export function numberOption(name: string, raw: string, opts: { min?: number; integer?: boolean } = {}): number {
  const value = Number(raw);
  const what = opts.integer ? "an integer" : "a number";
  const bound = opts.min !== undefined ? ` >= ${opts.min}` : "";
  if (raw.trim() === "" || !Number.isFinite(value) || (opts.integer && !Number.isInteger(value))) {
    throw new UserError(`${name}: expected ${what}${bound}, got "${raw}"`);
  }
  if (opts.min !== undefined && value < opts.min) {
    throw new UserError(`${name}: expected ${what}${bound}, got ${raw}`);
  }
  return value;
}

/** Check a choice option against its allowed values. */
export function choiceOption<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UserError(`${name}: expected one of ${allowed.join(", ")}, got "${raw}"`);
}
