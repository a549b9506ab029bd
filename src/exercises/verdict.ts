/**
 * What every exercise checker returns: right or wrong, and why. Notebooks print
 * `verdict.message`; the site's widget could show it too. Pure: no Node imports.
 */
export interface Verdict {
  readonly correct: boolean;
  /** Starts with "Right" or "Not quite", then explains. */
  readonly message: string;
}

export function right(why: string): Verdict {
  return { correct: true, message: `Right: ${why}` };
}

export function wrong(why: string): Verdict {
  return { correct: false, message: `Not quite: ${why}` };
}
