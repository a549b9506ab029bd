import type { Command } from "commander";
import { TRANSITION_TABLE } from "../../fsm/index.js";
import { choiceOption } from "../errors.js";

const FORMATS = ["json"] as const;

export function registerFsm(program: Command): void {
  program
    .command("fsm")
    .description("print the RFC 9293 transition table or state diagram")
    .option("--format <format>", `one of ${FORMATS.join(", ")}`, "json")
    .action((opts: { format: string }) => {
      const format = choiceOption("--format", opts.format, FORMATS);
      if (format === "json") process.stdout.write(JSON.stringify(TRANSITION_TABLE, null, 2) + "\n");
    });
}
