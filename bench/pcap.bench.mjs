/**
 * Issue 5: reading a large capture. Our pure reader (`readPcap`) and the full replay
 * (`readPcap` + `replayCapture`, every connection through the transition table) against
 * `tcpdump -nn -r file` writing to /dev/null, on the same file in the same run. The issue
 * names no target; tcpdump is the baseline because it is what a user would otherwise run.
 *
 * The file: the real four-way close capture (test/fixtures/pcap/four-way-close-v4.pcap,
 * 11 packets) repeated COPIES times, each copy with its own client port, so the replay sees
 * COPIES connections. Each side is timed REPEATS times, the fastest run counts; reading the
 * file from disk is included on both sides. The temporary file is deleted at the end.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const name = "pcap";

const COPIES = 20_000;
const REPEATS = 3;
const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "pcap", "four-way-close-v4.pcap");

/** The fixture's records COPIES times; copy k's client port is 10000 + k (Ethernet + IPv4 + TCP ports). */
function generate(file) {
  const src = readFileSync(FIXTURE);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const clientPort = view.getUint16(24 + 16 + 34);
  const records = [];
  for (let p = 24; p < src.length; ) {
    const incl = view.getUint32(p + 8, true);
    records.push(src.subarray(p, p + 16 + incl));
    p += 16 + incl;
  }
  const perCopy = records.reduce((n, r) => n + r.length, 0);
  const out = Buffer.alloc(24 + perCopy * COPIES);
  src.copy(out, 0, 0, 24);
  let at = 24;
  for (let k = 0; k < COPIES; k++) {
    for (const r of records) {
      r.copy ? r.copy(out, at) : out.set(r, at);
      const tcp = at + 16 + 34;
      if (out.readUInt16BE(tcp) === clientPort) out.writeUInt16BE(10000 + k, tcp);
      if (out.readUInt16BE(tcp + 2) === clientPort) out.writeUInt16BE(10000 + k, tcp + 2);
      at += r.length;
    }
  }
  writeFileSync(file, out);
  return { frames: records.length * COPIES, bytes: out.length };
}

async function best(fn) {
  let seconds = Infinity;
  let result;
  for (let i = 0; i < REPEATS; i++) {
    globalThis.gc?.();
    const t0 = performance.now();
    result = await fn();
    seconds = Math.min(seconds, (performance.now() - t0) / 1000);
  }
  return { seconds, result };
}

const round = (x, d = 2) => Number(x.toFixed(d));

export async function run() {
  const { readPcap, replayCapture } = await import("../dist/index.js");
  const dir = mkdtempSync(path.join(os.tmpdir(), "tcp-lifecycle-pcap-bench-"));
  const file = path.join(dir, "big.pcap");
  try {
    const { frames, bytes } = generate(file);
    const read = await best(() => {
      const r = readPcap(new Uint8Array(readFileSync(file)));
      if (r.segments.length !== frames || r.diagnostics.length > 0) throw new Error(`readPcap: ${r.segments.length} segments, ${r.diagnostics.length} diagnostics`);
      return r.segments.length;
    });
    const replay = await best(() => {
      const r = replayCapture(readPcap(new Uint8Array(readFileSync(file))));
      if (r.connections.length !== COPIES) throw new Error(`replay: ${r.connections.length} connections, expected ${COPIES}`);
      if (r.connections.some((c) => c.final.client !== "TIME_WAIT" || c.final.server !== "CLOSED")) throw new Error("replay: a connection did not end TIME_WAIT/CLOSED");
      return r.connections.length;
    });
    const exec = promisify(execFile);
    const tcpdump = await best(async () => {
      const { stderr } = await exec("sh", ["-c", `tcpdump -nn -r "$1" > /dev/null`, "sh", file], { maxBuffer: 1 << 20 });
      return stderr;
    });
    const size = `${frames.toLocaleString("en-US")} packets (${COPIES.toLocaleString("en-US")} four-way closes), ${round(bytes / 1e6)} MB, best of ${REPEATS}, reading the file included`;
    const baseline = { name: "tcpdump -nn -r file > /dev/null", value: round(frames / tcpdump.seconds / 1e3, 1), unit: "k packets/s" };
    const figure = (label, t, note) => ({
      name: label,
      value: round(frames / t.seconds / 1e3, 1),
      unit: "k packets/s",
      baseline,
      ratio: round(tcpdump.seconds / t.seconds),
      note: `${size}; ${round(t.seconds, 3)} s vs ${round(tcpdump.seconds, 3)} s; ratio = tcpdump ÷ ours. ${note}`,
    });
    return {
      figures: [
        figure("read: readPcap (segments with options)", read, "tcpdump decodes and prints every packet; readPcap builds a record per segment."),
        figure("read + replay: readPcap + replayCapture", replay, "Replay groups connections and runs both endpoints through the transition table, building traces."),
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
