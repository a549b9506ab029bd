import type { Command } from "commander";
import { SEGMENT_CHECKS, STATES, TRANSITION_TABLE, isTcpState, type TcpState } from "../../fsm/index.js";
import { NAMED_PATH_NAMES, renderFsmDocument, renderStateDiagram, type NamedPath } from "../../render/index.js";
import { UserError, choiceOption } from "../errors.js";

const FORMATS = ["markdown", "svg", "json"] as const;

export function registerFsm(program: Command): void {
  program
    .command("fsm")
    .description("print the RFC 9293 transition table (markdown, json) or the state diagram (svg)")
    .option("--format <format>", `one of ${FORMATS.join(", ")}`, "markdown")
    .option("--highlight <state>", `svg: highlight a state (${STATES.join(", ")})`)
    .option("--path <name>", `svg: highlight a path of transitions (${NAMED_PATH_NAMES.join(", ")})`)
    .action((opts: { format: string; highlight?: string; path?: string }) => {
      const format = choiceOption("--format", opts.format, FORMATS);
      let state: TcpState | undefined;
      if (opts.highlight !== undefined) {
        const raw = opts.highlight.toUpperCase().replace(/-/g, "_");
        if (!isTcpState(raw)) throw new UserError(`--highlight: expected one of ${STATES.join(", ")}, got "${opts.highlight}"`);
        state = raw;
      }
      const path: NamedPath | undefined =
        opts.path === undefined ? undefined : choiceOption("--path", opts.path, NAMED_PATH_NAMES);
      if (format !== "svg" && (state !== undefined || path !== undefined)) {
        throw new UserError("--highlight and --path apply to --format svg only");
      }
      if (format === "json") {
        process.stdout.write(JSON.stringify({ checks: SEGMENT_CHECKS, transitions: TRANSITION_TABLE }, null, 2) + "\n");
      }
      else if (format === "markdown") process.stdout.write(renderFsmDocument());
      else {
        const highlight = { ...(state !== undefined ? { state } : {}), ...(path !== undefined ? { path } : {}) };
        process.stdout.write(renderStateDiagram({ highlight }));
      }
    });
}
