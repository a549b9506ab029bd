/**
 * Run a listing tool through execa and return its stdout. A missing binary becomes a
 * CollectorError that names the tool and how to install it; a cancelled run (Ctrl-C while
 * sampling) rethrows as is so the caller can tell the two apart.
 */
import { execa } from "execa";
import { CollectorError, INSTALL_HINTS } from "./errors.js";

export interface RunOptions {
  readonly signal?: AbortSignal;
}

export async function runTool(tool: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  try {
    const result = await execa(tool, [...args], {
      ...(opts.signal ? { cancelSignal: opts.signal } : {}),
      // A listing of many sockets is large; 256 MiB is far above 1,000,000 connections.
      maxBuffer: 256 * 1024 * 1024,
      stripFinalNewline: false,
      env: { LC_ALL: "C" },
    });
    return result.stdout;
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string }; isCanceled?: boolean; shortMessage?: string; stderr?: string; signal?: string };
    if (e.isCanceled) throw err;
    if (e.code === "ENOENT" || e.cause?.code === "ENOENT") {
      const hint = INSTALL_HINTS[tool];
      throw new CollectorError(`${tool} was not found on this system${hint ? `: ${hint}` : ""}`, tool);
    }
    const detail = (e.stderr ?? "").trim() || e.shortMessage || String(err);
    throw new CollectorError(`${tool} ${args.join(" ")} failed: ${detail}`, tool, e.signal);
  }
}
