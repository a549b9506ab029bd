/**
 * Reading a capture file from disk and replaying it: the Node side of src/parse/pcap and
 * src/replay, which are pure and take bytes.
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { readPcap } from "../parse/pcap/reader.js";
import type { PcapResult } from "../parse/pcap/types.js";
import { replayCapture } from "../replay/replay.js";
import type { ReplayOptions, ReplayResult } from "../replay/types.js";

/** Read and replay a pcap or pcapng file. Diagnostics (with byte offsets) are in both results. */
export async function replayCaptureFile(
  file: string,
  options: ReplayOptions = {},
): Promise<{ readonly pcap: PcapResult; readonly replay: ReplayResult }> {
  const source = options.source ?? basename(file);
  const pcap = readPcap(new Uint8Array(await readFile(file)), { source });
  return { pcap, replay: replayCapture(pcap, { ...options, source }) };
}
