/**
 * `tcp-lifecycle trace [--port N] [--pid P] [--duration S] [--json] [--no-lifecycle]`: every TCP
 * state change on this machine as the kernel makes it, like bcc's tcpstates, from tracefs (no
 * BPF). One line per transition (time, process, both ends, old → new, time in the old state),
 * resets and retransmissions inline, and a lifecycle line (like tcplife) when a connection ends.
 * --json: one object per line (docs/trace-json.md). Ctrl-C or --duration stops cleanly, exit 0;
 * not root / no tracefs: one line saying what is missing and what to do, exit 2.
 */
import type { Command } from "commander";
import { parseDuration } from "../../monitor/duration.js";
import { formatRecord, startKernelTrace, TEXT_HEADER, type TraceRecord } from "../../trace/index.js";
import { numberOption, UserError } from "../errors.js";

interface TraceOpts {
  port?: string;
  pid?: string;
  duration?: string;
  json?: boolean;
  lifecycle?: boolean;
}

/** --duration's upper bound: a day. Without it, trace runs until stopped. */
export const MAX_TRACE_SECONDS = 86_400;

export function registerTrace(program: Command): void {
  program
    .command("trace")
    .description("follow every TCP state change on this machine as the kernel makes it (tracefs; root)")
    .option("--port <n>", "only connections where either port is N")
    .option("--pid <p>", "only changes made by process P, or on connections it opened, accepted or closed")
    .option("--duration <s>", "stop after this long (e.g. 10, 10s, 500ms, 2m)")
    .option("--json", "one JSON object per line (docs/trace-json.md)")
    .option("--no-lifecycle", "no lifecycle summary when a connection ends")
    .action(async (opts: TraceOpts) => {
      const port = opts.port !== undefined ? numberOption("--port", opts.port, { min: 0, integer: true }) : undefined;
      if (port !== undefined && port > 65535) throw new UserError(`--port: expected an integer from 0 to 65535, got ${opts.port}`);
      const pid = opts.pid !== undefined ? numberOption("--pid", opts.pid, { min: 1, integer: true }) : undefined;
      let durationMs: number | undefined;
      if (opts.duration !== undefined) {
        const d = parseDuration(opts.duration);
        if (!d.ok) throw new UserError(`--duration: ${d.error}`);
        if (d.ms <= 0 || d.ms > MAX_TRACE_SECONDS * 1000) throw new UserError(`--duration: expected more than 0 and at most ${MAX_TRACE_SECONDS} s, got "${opts.duration}"`);
        durationMs = d.ms;
      }
      const out = process.stdout;
      const write = (records: readonly TraceRecord[]): void => {
        let text = "";
        for (const r of records) text += (opts.json ? JSON.stringify(r) : formatRecord(r)) + "\n";
        out.write(text);
      };
      const started = startKernelTrace({
        ...(port !== undefined && { port }),
        ...(pid !== undefined && { pid }),
        lifecycle: opts.lifecycle !== false,
        onRecords: write,
      });
      if (!started.ok) throw new UserError(`trace: cannot trace: missing ${started.missing}. To fix: ${started.fix}`);
      const { trace } = started;
      const filters = [port !== undefined && `port ${port}`, pid !== undefined && `pid ${pid}`].filter(Boolean).join(", ");
      process.stderr.write(
        `tracing TCP state changes${filters ? ` (${filters})` : ""}${durationMs !== undefined ? ` for ${durationMs / 1000} s` : ""}… Ctrl-C to stop (tracefs instance ${trace.instance})\n`,
      );
      if (!opts.json) out.write(TEXT_HEADER + "\n");
      await new Promise<void>((resolve) => {
        const done = (): void => {
          process.off("SIGINT", done);
          process.off("SIGTERM", done);
          process.off("SIGHUP", done);
          if (timer) clearTimeout(timer);
          resolve();
        };
        const timer = durationMs !== undefined ? setTimeout(done, durationMs) : undefined;
        process.on("SIGINT", done);
        process.on("SIGTERM", done);
        process.on("SIGHUP", done);
      });
      const summary = await trace.stop();
      const lost = summary.lost > 0 ? `, ${summary.lost} LOST by the kernel's ring buffer` : ", none lost";
      const bad = summary.diagnosticCount > 0 ? `; ${summary.diagnosticCount} lines not understood, first: ${summary.diagnostics[0]}` : "";
      process.stderr.write(`stopped: ${summary.events} kernel events read${lost}${bad}\n`);
    });
}
