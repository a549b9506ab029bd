/**
 * `tcp-lifecycle replay <file.pcap|file.pcapng> [--format ascii|svg|json] [--connection N] [--relative]`
 *
 * Reads a capture, replays each TCP connection through the transition table, and prints
 * the ladder diagram (ASCII or SVG, the simulator's renderers) or one JSON object
 * (docs/replay-json.md). Reader diagnostics go to stderr as `file: offset N: reason` and
 * do not change the exit code: the segments before the damage are still replayed. A
 * missing file, a file that is not a capture, or a bad option is a UserError (exit 2).
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { readPcap, formatPcapDiagnostic, type PcapResult } from "../../parse/pcap/index.js";
import { formatPcapEndpoint, replayCapture, replayedStates, type ReplayedConnection, type ReplayResult } from "../../replay/index.js";
import { renderAsciiLadder } from "../../render/ascii-ladder.js";
import { renderSvgLadder } from "../../render/svg-ladder.js";
import { UserError, choiceOption, numberOption } from "../errors.js";

const FORMATS = ["ascii", "svg", "json"] as const;

interface ReplayCliOptions {
  format: string;
  connection?: string;
  relative?: boolean;
}

function readCapture(file: string): PcapResult {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, expected a capture file" : code ?? String(err);
    throw new UserError(`${file}: cannot read the capture (${why})`);
  }
  const pcap = readPcap(bytes, { source: file });
  if (pcap.format === null) throw new UserError(`${file}: ${pcap.diagnostics[0]?.reason ?? "not a pcap or pcapng file"}`);
  return pcap;
}

/** The JSON document of docs/replay-json.md. */
export function replayToJson(pcap: PcapResult, replay: ReplayResult, connections: readonly ReplayedConnection[], relative: boolean): unknown {
  return {
    file: pcap.source ?? null,
    format: pcap.format,
    byteOrder: pcap.byteOrder,
    interfaces: pcap.interfaces,
    frames: pcap.frames,
    skipped: pcap.skippedByKind,
    diagnostics: pcap.diagnostics.map((d) => ({ offset: d.offset ?? null, reason: d.reason })),
    sequenceNumbers: relative ? "relative" : "absolute",
    connections: connections.map(({ trace: _trace, ...c }) => ({
      ...c,
      states: { client: replayedStates(c as ReplayedConnection, "client"), server: replayedStates(c as ReplayedConnection, "server") },
    })),
    ...(replay.connections.length !== connections.length && { totalConnections: replay.connections.length }),
  };
}

function heading(c: ReplayedConnection): string {
  return `connection ${c.id}: ${formatPcapEndpoint(c.client)} → ${formatPcapEndpoint(c.server)}, ${c.segments.length} segment(s); ` +
    `client ${c.final.client}, server ${c.final.server}`;
}

export function registerReplay(program: Command): void {
  program
    .command("replay")
    .description("replay a packet capture through the state machine and draw each TCP connection's ladder")
    .argument("<file>", "a capture file: classic pcap or pcapng (tcpdump -w, Wireshark, tshark)")
    .option("--format <format>", `output: ${FORMATS.join(", ")}`, "ascii")
    .option("--connection <n>", "only the n-th connection (1-based, in order of first segment)")
    .option("--relative", "sequence numbers relative to each side's ISN, as tcpdump prints them (default: absolute)")
    .action((file: string, opts: ReplayCliOptions) => {
      const format = choiceOption("--format", opts.format, FORMATS);
      const relative = opts.relative === true;
      const pcap = readCapture(file);
      for (const d of pcap.diagnostics) process.stderr.write(`${formatPcapDiagnostic(d)}\n`);
      const replay = replayCapture(pcap, { relative, source: file });
      const all = replay.connections;
      let chosen: readonly ReplayedConnection[] = all;
      if (opts.connection !== undefined) {
        const n = numberOption("--connection", opts.connection, { min: 1, integer: true });
        const c = all[n - 1];
        if (!c) {
          throw new UserError(`--connection: expected 1..${all.length} (the capture has ${all.length} TCP connection(s)), got ${n}`);
        }
        chosen = [c];
      }
      const skipped = Object.entries(pcap.skippedByKind);
      if (skipped.length > 0 && format !== "json") {
        const total = skipped.reduce((n, [, k]) => n + k, 0);
        process.stderr.write(`${file}: ${total} packet(s) were not TCP segments: ${skipped.map(([k, n]) => `${k} ${n}`).join(", ")}\n`);
      }
      if (format === "json") {
        process.stdout.write(JSON.stringify(replayToJson(pcap, replay, chosen, relative), null, 2) + "\n");
        return;
      }
      if (chosen.length === 0) {
        throw new UserError(`${file}: no TCP segments to draw (${pcap.frames} packet(s) read)`);
      }
      if (format === "svg") {
        if (chosen.length > 1) {
          throw new UserError(`${file} has ${chosen.length} TCP connections and an SVG holds one ladder: choose one with --connection 1..${chosen.length}`);
        }
        process.stdout.write(renderSvgLadder((chosen[0] as ReplayedConnection).trace) + "\n");
        return;
      }
      const blocks = chosen.map((c) => {
        const notes = c.anomalies.map((a) => `  ! ${a.kind}: ${a.message}${a.frame !== undefined ? ` (frame ${a.frame})` : ""}`);
        return [heading(c), renderAsciiLadder(c.trace), ...notes].join("\n");
      });
      process.stdout.write(blocks.join("\n\n") + "\n");
    });
}
