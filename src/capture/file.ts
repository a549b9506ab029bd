/**
 * Reading a capture file from disk and replaying it: the Node side of src/parse/pcap and
 * src/replay, which are pure and take bytes.
 */
import { open } from "node:fs/promises";
import { basename } from "node:path";
import { sniff } from "../parse/pcap/containers.js";
import { readPcap } from "../parse/pcap/reader.js";
import type { PcapResult } from "../parse/pcap/types.js";
import { replayCapture } from "../replay/replay.js";
import type { ReplayOptions, ReplayResult } from "../replay/types.js";

/** The largest capture read (docs/limits.md): the reader holds the file and a record per segment. */
export const MAX_CAPTURE_BYTES = 256 * 1024 * 1024;

/**
 * A capture's bytes, within MAX_CAPTURE_BYTES. The 4-byte magic is read first: a file that is
 * not a capture (or /dev/zero) is not read further, and its 4 bytes go to readPcap, which says
 * so. A regular file over the limit, or any input that goes on past it, is an Error naming it.
 */
export async function readCaptureBytes(file: string, limit = MAX_CAPTURE_BYTES): Promise<Uint8Array> {
  const handle = await open(file, "r");
  try {
    const stats = await handle.stat();
    const tooLarge = (size?: string): Error =>
      new Error(`${file}: a capture file is limited to ${limit} bytes and this one ${size ?? "goes on past it"}`);
    if (stats.isFile() && stats.size > limit) throw tooLarge(`is ${stats.size} bytes`);
    const head = new Uint8Array(4);
    let have = 0;
    while (have < 4) {
      const { bytesRead } = await handle.read(head, have, 4 - have, null);
      if (bytesRead === 0) break;
      have += bytesRead;
    }
    if (have < 4 || sniff(head).format === null) return head.subarray(0, have);
    const chunks: Uint8Array[] = [head];
    let total = have;
    for (;;) {
      const chunk = new Uint8Array(Math.min(1 << 20, limit + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limit) throw tooLarge();
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}

/** Read and replay a pcap or pcapng file. Diagnostics (with byte offsets) are in both results. */
export async function replayCaptureFile(
  file: string,
  options: ReplayOptions = {},
): Promise<{ readonly pcap: PcapResult; readonly replay: ReplayResult }> {
  const source = options.source ?? basename(file);
  const pcap = readPcap(await readCaptureBytes(file), { source });
  return { pcap, replay: replayCapture(pcap, { ...options, source }) };
}
