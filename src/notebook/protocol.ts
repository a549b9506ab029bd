/**
 * Messages between the runner (parent) and the child process that executes one notebook's
 * cells through tslab. The parent owns the clock (timeouts) and the notebook file; the child
 * only sees cell sources.
 */
import type { ErrorOutput, MimeBundle, Output } from "./nbformat.js";

export interface ChildCell {
  /** Position in the notebook (0-based, counting every cell). */
  index: number;
  source: string;
  /** Tagged raises-exception: a failure is recorded and execution goes on. */
  expectError: boolean;
}

export type ParentMessage = { type: "run"; cells: ChildCell[] };

export type ChildMessage =
  | { type: "ready"; typescript: string }
  | { type: "cell-start"; index: number }
  | { type: "cell-end"; index: number; ok: boolean; outputs: Output[]; error?: ErrorOutput; durationMs: number }
  /** A display created by an earlier cell was updated (tslab.newDisplay()). */
  | { type: "display-update"; index: number; output: number; data: MimeBundle }
  | { type: "done" };
