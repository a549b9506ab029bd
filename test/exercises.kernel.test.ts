/**
 * Chapter 05's kernel-backed exercises: the read-a-capture judges read the shipped captures
 * through the pcap reader and replay; the fix-the-code judge runs handlers as real loopback
 * servers (loopback always works here: no skip).
 */
import { describe, expect, it } from "vitest";
import type net from "node:net";
import { registerCatalog } from "../src/exercises/catalog/index.js";
import { getExercise, judgeAnswer, resetTries } from "../src/exercises/engine.js";
import { CAPTURE_05_1, CAPTURE_05_2, closeFacts, probeCloseWaitLeak, registerKernelExercises, KERNEL_EXERCISES } from "../src/exercises/kernel/index.js";
import { LEAK_PROBE_REQUESTS } from "../src/exercises/kernel/leak-probe.js";
import { HALF_CLOSE_REPLY_BYTES } from "../src/demos/half-close.js";
import { UNREAD_BYTES } from "../src/demos/close-unread-data.js";

registerCatalog();
registerKernelExercises();

/** No end handler: the CLOSE_WAIT leak of chapter 05. */
const leakyEverywhere = (s: net.Socket): void => {
  s.on("data", (c: Buffer) => s.write(`got ${c.length} bytes\n`));
};
/** Answers GET, forgets the socket on anything else (the exercise's starting point). */
const leakyOnError = (s: net.Socket): void => {
  let request = "";
  s.on("data", (c: Buffer) => (request += c.toString()));
  s.on("end", () => {
    if (request.startsWith("GET ")) s.end("200\n");
  });
};
/** Closes everywhere but never replies: no CLOSE_WAIT, still wrong. */
const silent = (s: net.Socket): void => {
  s.on("end", () => s.end());
  s.resume();
};

describe("the shipped captures, read by the library", () => {
  it("05-close-unread-data.pcap: the client ends with a RST after acknowledging the server's bytes", async () => {
    const f = await closeFacts(CAPTURE_05_1);
    expect(f.firstClose).toMatchObject({ by: "client", kind: "RST", seq: 1, ack: UNREAD_BYTES + 1 });
    expect(f.rst).toEqual({ by: "client", receivedBefore: UNREAD_BYTES, finBefore: false });
    expect(f.bytesAfterFirstFin).toBe(0);
    expect(f.listing.length).toBe(f.segments);
  });

  it("05-half-close.pcap: the server sends its reply after the client's FIN", async () => {
    const f = await closeFacts(CAPTURE_05_2);
    expect(f.firstClose?.by).toBe("client");
    expect(f.firstClose?.kind).toBe("FIN");
    expect(f.bytesAfterFirstFin).toBe(HALF_CLOSE_REPLY_BYTES);
    expect(f.rst).toBeNull();
  });
});

describe("chapter 05's kernel exercises", () => {
  it("registers 05.1–05.3, each judging its own solution right", async () => {
    expect(KERNEL_EXERCISES.map((e) => e.id)).toEqual(["05.1", "05.2", "05.3"]);
    for (const e of KERNEL_EXERCISES) {
      resetTries();
      const raw = e.id === "05.3" ? (getExercise("05.3").solution as { handler: unknown }).handler : e.solution;
      const f = await judgeAnswer(e.id, raw);
      expect(f.status, `${e.id}: ${f.message}`).toBe("right");
    }
  });

  it("05.1 and 05.2: wrong answers are wrong, with the known misconception", async () => {
    resetTries();
    const a = await judgeAnswer("05.1", "server RST");
    expect(a.correct).toBe(false);
    expect(a.misconception).toBeDefined();
    const b = await judgeAnswer("05.2", 0);
    expect(b.correct).toBe(false);
    expect(b.misconception).toBeDefined();
    resetTries();
  });

  it("05.3: unanswered prints the neutral prompt; a non-function is the wrong shape", async () => {
    expect((await judgeAnswer("05.3", undefined)).status).toBe("unanswered");
    expect((await judgeAnswer("05.3", "close it")).status).toBe("invalid");
  });

  it("05.3: a leaky handler is wrong and the judge reports the CLOSE_WAIT counts", async () => {
    const e = getExercise("05.3");
    const read = e.read(leakyOnError);
    expect(read.ok).toBe(true);
    if (read.ok !== true) return;
    const j = await e.judge(read.value);
    const rejected = Array.from({ length: 6 }, (_, i) => LEAK_PROBE_REQUESTS[i % LEAK_PROBE_REQUESTS.length]).filter((r) => !r?.startsWith("GET ")).length;
    expect(j.correct).toBe(false);
    expect(j.explanation).toContain(`${rejected} half a second later`);
  }, 15000);

  it("the probe counts every leaked connection, and none for a fixed handler; it leaves nothing open", async () => {
    const leak = await probeCloseWaitLeak(leakyEverywhere, { connections: 4 });
    expect(leak.closeWaitFirst).toBe(4);
    expect(leak.closeWaitLater).toBe(4);
    expect(leak.repliesRead).toBe(4);
    expect(leak.eofRead).toBe(0);
    const fixed = await probeCloseWaitLeak((s) => {
      leakyEverywhere(s);
      s.on("end", () => s.end());
    }, { connections: 4 });
    expect(fixed.closeWaitLater).toBe(0);
    expect(fixed.eofRead).toBe(4);
    expect(fixed.clientErrors).toEqual([]);
    // Everything destroyed: the leaky run's port has no CLOSE_WAIT left once the probe returned.
    await new Promise((r) => setTimeout(r, 100));
    const { readFile } = await import("node:fs/promises");
    const { parseProcNetTcp } = await import("../src/parse/proc.js");
    const left = parseProcNetTcp(await readFile("/proc/net/tcp", "utf8")).records.filter((r) => r.local.port === leak.port && r.state === "CLOSE_WAIT");
    expect(left).toEqual([]);
  }, 15000);

  it("05.3: closing without replying is still wrong (no CLOSE_WAIT, but no reply)", async () => {
    const e = getExercise("05.3");
    const read = e.read(silent);
    if (read.ok !== true) throw new Error("read failed");
    const j = await e.judge(read.value);
    expect(j.correct).toBe(false);
    expect(j.explanation).toContain("0 client(s) got the reply");
  }, 15000);
});
