/**
 * Exercises as data, and the feedback loop a learner goes through. Pure: no Node imports
 * (the site runs it in the browser; kernel-backed judges register from outside).
 *
 * The loop, for one exercise:
 * - no answer yet (`undefined`): a neutral prompt, never the answer;
 * - an answer of the wrong shape: what shape is expected (not counted as a try);
 * - right: "Right:" and why;
 * - first wrong try: the misconception behind that answer, if it is a known one, and a hint;
 * - second wrong try, or `reveal(id)`: the answer and why.
 *
 * Every exercise carries its own `solution`, judged by the same `judge`, so a test proves each
 * exercise can be answered and the revealed explanation is the judge's own.
 */

/** What the exercise asks the learner to do. "recall" restates the text; the others make them think. */
export type ExerciseKind = "recall" | "reasoning" | "diagnostic" | "transfer";

/** The kinds that are not recall or one-step reasoning: every chapter has at least one. */
export const THINKING_KINDS: readonly ExerciseKind[] = ["diagnostic", "transfer"];

/** How the exercise is posed (for the cheat sheet, the site and the grader). */
export type ExerciseForm =
  | "predict-the-state"
  | "calculate"
  | "choose"
  | "read-a-capture"
  | "diagnose-a-dump"
  | "predict-then-run"
  | "fix-the-code"
  | "design";

export interface Assessment {
  readonly correct: boolean;
  /** Why the answer is right or wrong; may state the right answer, so it is shown only when right or revealed. */
  readonly explanation: string;
}

export type Read<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly problem: string };

export interface Misconception<A> {
  /** Answers (as `read` returns them) that show this misconception. */
  readonly answers: readonly A[];
  /** What the learner probably believes and why it is not so, without giving the answer. */
  readonly says: string;
}

export interface Exercise<A = unknown> {
  /** "04.2": two-digit chapter, a dot, the number within the chapter. Stable: graders key on it. */
  readonly id: string;
  readonly kind: ExerciseKind;
  readonly form: ExerciseForm;
  /** The question in one or two sentences (the notebook's markdown says it at length). */
  readonly question: string;
  /** The shape of an answer, e.g. `a state name such as "FIN_WAIT_2"`. */
  readonly expects: string;
  /** Turns the learner's raw value into an answer, or says what shape was expected. */
  readonly read: (raw: unknown) => Read<A>;
  readonly judge: (answer: A) => Assessment | Promise<Assessment>;
  /** A right answer (the solution cell passes the same value). */
  readonly solution: A;
  /** Shown after the first wrong try; points the way without giving the answer. */
  readonly hint: string;
  readonly misconceptions: readonly Misconception<A>[];
}

export type FeedbackStatus = "unanswered" | "invalid" | "right" | "hint" | "answer";

export interface Feedback {
  readonly id: string;
  readonly status: FeedbackStatus;
  /** True only when the answer was judged right. */
  readonly correct: boolean;
  /** What the learner reads. */
  readonly message: string;
  /** The known misconception the wrong answer matched, if any. */
  readonly misconception?: string;
}

/** Why an exercise id is not known, with the ids that are. */
export class UnknownExerciseError extends Error {}

const registry = new Map<string, Exercise<never>>();
const wrongTries = new Map<string, number>();

/** Adds exercises to the registry; an id registered twice is a bug. */
export function registerExercises(list: readonly Exercise<never>[]): void {
  for (const e of list) {
    if (!/^\d{2}\.\d+$/.test(e.id)) throw new Error(`exercise id "${e.id}" is not "NN.k"`);
    if (registry.has(e.id)) throw new Error(`exercise ${e.id} is registered twice`);
    registry.set(e.id, e);
  }
}

/** Helps a catalogue keep its answer type while the registry stores them all. */
export function defineExercise<A>(e: Exercise<A>): Exercise<never> {
  return e as unknown as Exercise<never>;
}

export function exerciseIds(): string[] {
  return [...registry.keys()].sort(compareIds);
}

export function getExercise(id: string): Exercise<unknown> {
  const e = registry.get(id);
  if (!e) throw new UnknownExerciseError(`no exercise "${id}"; known: ${exerciseIds().join(", ")}`);
  return e as unknown as Exercise<unknown>;
}

function compareIds(a: string, b: string): number {
  const [ac, an] = a.split(".").map(Number) as [number, number];
  const [bc, bn] = b.split(".").map(Number) as [number, number];
  return ac - bc || an - bn;
}

/** Forgets wrong tries (a fresh notebook kernel starts with none; tests and graders call this). */
export function resetTries(id?: string): void {
  if (id === undefined) wrongTries.clear();
  else wrongTries.delete(id);
}

export const UNANSWERED_PROMPT = "write your answer in place of `undefined`, then run the cell.";

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function feedbackFor(e: Exercise<unknown>, answer: unknown, j: Assessment, reveal: boolean): Feedback {
  if (j.correct) {
    wrongTries.delete(e.id);
    return { id: e.id, status: "right", correct: true, message: `Right: ${j.explanation}` };
  }
  const tries = (wrongTries.get(e.id) ?? 0) + 1;
  wrongTries.set(e.id, tries);
  const m = e.misconceptions.find((x) => x.answers.some((a) => same(a, answer)));
  const lead = m ? `Not quite. ${m.says}` : "Not quite.";
  const base = { id: e.id, correct: false, ...(m ? { misconception: m.says } : {}) };
  if (tries >= 2 || reveal) {
    return { ...base, status: "answer", message: `${lead}\nThe answer: ${revealText(e)}` };
  }
  return {
    ...base,
    status: "hint",
    message: `${lead}\nHint: ${e.hint}\nTry again, or run reveal("${e.id}") to see the answer.`,
  };
}

function revealText(e: Exercise<unknown>): string {
  const j = e.judge(e.solution);
  if (j instanceof Promise) return `${JSON.stringify(e.solution)} (run the solution cell to see why).`;
  return `${JSON.stringify(e.solution)}. ${j.explanation}`;
}

/**
 * Judges a learner's raw answer and returns the feedback (no printing). Counts wrong tries per
 * exercise, so the second wrong try reveals the answer. Asynchronous only when the exercise's
 * judge is (the kernel-backed ones).
 */
export function judgeAnswer(id: string, raw: unknown, opts: { reveal?: boolean } = {}): Feedback | Promise<Feedback> {
  const e = getExercise(id);
  if (raw === undefined) {
    return {
      id,
      status: "unanswered",
      correct: false,
      message: `Exercise ${id}: ${UNANSWERED_PROMPT} Expected: ${e.expects}.`,
    };
  }
  const read = e.read(raw);
  if (!read.ok) {
    return { id, status: "invalid", correct: false, message: `Exercise ${id}: ${read.problem} Expected: ${e.expects}.` };
  }
  const j = e.judge(read.value);
  const reveal = opts.reveal === true;
  return j instanceof Promise ? j.then((x) => feedbackFor(e, read.value, x, reveal)) : feedbackFor(e, read.value, j, reveal);
}

export type FeedbackReporter = (f: Feedback) => void;

let reporter: FeedbackReporter = (f) => console.log(f.message);

/** Where `check` and `reveal` send feedback (default: console.log of the message). Returns the previous one. */
export function setFeedbackReporter(next: FeedbackReporter): FeedbackReporter {
  const prev = reporter;
  reporter = next;
  return prev;
}

/**
 * What an exercise cell calls: `check("04.2", undefined)` with the learner's answer in place of
 * `undefined`. Prints the feedback; returns nothing (so a notebook shows no value after it), or a
 * promise for kernel-backed exercises (`await check(...)`).
 */
export function check(id: string, answer: unknown): void | Promise<void> {
  const f = judgeAnswer(id, answer);
  if (f instanceof Promise) return f.then((x) => reporter(x));
  reporter(f);
}

/** Shows the answer and why (the learner asked for it). */
export function reveal(id: string): void {
  const e = getExercise(id);
  reporter({ id, status: "answer", correct: false, message: `Exercise ${id}, the answer: ${revealText(e)}` });
}

/** Shows the hint without counting a try. */
export function hint(id: string): void {
  const e = getExercise(id);
  reporter({ id, status: "hint", correct: false, message: `Exercise ${id}, hint: ${e.hint}` });
}
