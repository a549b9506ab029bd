/**
 * `tcp-lifecycle replay <file.pcap|file.pcapng> [--format ascii|svg|json] [--connection N] [--relative] [--absolute]`
 *
 * Reads a capture, replays each TCP connection through the transition table, and prints
 * the ladder diagram (ASCII or SVG, the simulator's renderers) or one JSON object
 * (docs/replay-json.md). Reader diagnostics go to stderr as `file: offset N: reason` and
 * do not change the exit code: the segments before the damage are still replayed. A
 * missing file, a file that is not a capture (refused at its magic, before the rest is
 * read), a file over INPUT_LIMITS.captureBytes, a capture with no TCP segments, or a bad
 * option is a UserError (exit 2), the first line on stderr whatever the --format.
 */
import type { Command } from "commander";
import { readPcap, formatPcapDiagnostic, type PcapResult } from "../../parse/pcap/index.js";
import { sniff } from "../../parse/pcap/containers.js";
import { formatPcapEndpoint, replayCapture, replayedStates, type ReplayedConnection, type ReplayResult } from "../../replay/index.js";
import { renderAsciiLadder } from "../../render/ascii-ladder.js";
import { renderSvgLadder } from "../../render/svg-ladder.js";
import { UserError, choiceOption, numberOption } from "../errors.js";
import { INPUT_LIMITS, readFileBounded } from "./parse-io.js";

const FORMATS = ["ascii", "svg", "json"] as const;

interface ReplayCliOptions {
  format: string;
  connection?: string;
  relative?: boolean;
  absolute?: boolean;
}

/** How many reader diagnostics a user error carries after its first line (the rest are counted). */
const MAX_DIAGNOSTICS_IN_ERROR = 20;

/**
 * The capture's bytes, within INPUT_LIMITS.captureBytes: the 4-byte magic is checked first,
 * so /dev/zero or a text file is refused at byte 0 without reading on.
 */
function readCapture(file: string): PcapResult {
  const readError = (err: unknown): UserError => {
    if (err instanceof UserError) {
      // fileError's wording, in replay's words.
      const m = /: (no such file|is a directory, expected a file|cannot read \((.*)\))$/.exec(err.message);
      if (m && err.message.startsWith(`${file}: `)) {
        const why = m[1] === "no such file" ? "no such file" : m[2] ?? "is a directory, expected a capture file";
        return new UserError(`${file}: cannot read the capture (${why})`);
      }
      return err;
    }
    return new UserError(`${file}: cannot read the capture (${String(err)})`);
  };
  let bytes: Buffer;
  try {
    bytes = readFileBounded(file, {
      limit: INPUT_LIMITS.captureBytes,
      what: "a capture file",
      headBytes: 4,
      head: (head) => {
        const kind = sniff(head);
        if (kind.format === null) throw new UserError(`${file}: ${kind.reason}`);
      },
    });
  } catch (err) {
    throw readError(err);
  }
  const pcap = readPcap(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { source: file });
  if (pcap.format === null) throw new UserError(`${file}: ${pcap.diagnostics[0]?.reason ?? "not a pcap or pcapng file"}`);
  return pcap;
}

/** A user error whose first line is `message`, followed by the reader's diagnostics (bounded). */
function errorWithDiagnostics(message: string, pcap: PcapResult): UserError {
  const lines = pcap.diagnostics.slice(0, MAX_DIAGNOSTICS_IN_ERROR).map((d) => formatPcapDiagnostic(d));
  const more = pcap.diagnostics.length - lines.length;
  if (more > 0) lines.push(`… and ${more} more diagnostic(s)`);
  return new UserError([message, ...lines].join("\n"));
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
    .option("--relative", "json: sequence numbers relative to each side's ISN, as tcpdump prints them (default: absolute)")
    .option("--absolute", "ladders: sequence numbers as on the wire (default: relative to each side's ISN, as tcpdump without -S)")
    .action((file: string, opts: ReplayCliOptions) => {
      const format = choiceOption("--format", opts.format, FORMATS);
      const relative = opts.relative === true;
      const pcap = readCapture(file);
      const replay = replayCapture(pcap, { relative, source: file });
      const all = replay.connections;
      // Every user error is decided before anything is printed, so it is stderr's first line
      // (the reader's diagnostics follow it), and the exit status is the same for every format.
      if (all.length === 0) {
        throw errorWithDiagnostics(`${file}: no TCP segments to draw (${pcap.frames} packet(s) read)`, pcap);
      }
      let chosen: readonly ReplayedConnection[] = all;
      if (opts.connection !== undefined) {
        const n = numberOption("--connection", opts.connection, { min: 1, integer: true });
        const c = all[n - 1];
        if (!c) {
          throw errorWithDiagnostics(`--connection: expected 1..${all.length} (the capture has ${all.length} TCP connection(s)), got ${n}`, pcap);
        }
        chosen = [c];
      }
      if (format === "svg" && chosen.length > 1) {
        throw errorWithDiagnostics(`${file} has ${chosen.length} TCP connections and an SVG holds one ladder: choose one with --connection 1..${chosen.length}`, pcap);
      }
      for (const d of pcap.diagnostics) process.stderr.write(`${formatPcapDiagnostic(d)}\n`);
      const skipped = Object.entries(pcap.skippedByKind);
      if (skipped.length > 0 && format !== "json") {
        const total = skipped.reduce((n, [, k]) => n + k, 0);
        process.stderr.write(`${file}: ${total} packet(s) were not TCP segments: ${skipped.map(([k, n]) => `${k} ${n}`).join(", ")}\n`);
      }
      if (format === "json") {
        process.stdout.write(JSON.stringify(replayToJson(pcap, replay, chosen, relative), null, 2) + "\n");
        return;
      }
      if (format === "svg") {
        process.stdout.write(renderSvgLadder((chosen[0] as ReplayedConnection).trace, { absolute: opts.absolute === true }) + "\n");
        return;
      }
      const blocks = chosen.map((c) => {
        const notes = c.anomalies.map((a) => `  ! ${a.kind}: ${a.message}${a.frame !== undefined ? ` (frame ${a.frame})` : ""}`);
        return [heading(c), renderAsciiLadder(c.trace, { absolute: opts.absolute === true }), ...notes].join("\n");
      });
      process.stdout.write(blocks.join("\n\n") + "\n");
    });
}
