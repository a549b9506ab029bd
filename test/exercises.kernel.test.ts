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
  it("05-capture-a.pcap (close-unread-data demo): the client ends with a RST after acknowledging the server's bytes", async () => {
    const f = await closeFacts(CAPTURE_05_1);
    expect(f.firstClose).toMatchObject({ by: "client", kind: "RST", seq: 1, ack: UNREAD_BYTES + 1 });
    expect(f.rst).toEqual({ by: "client", receivedBefore: UNREAD_BYTES, finBefore: false, openedBefore: true });
    expect(f.bytesAfterFirstFin).toBe(0);
    expect(f.listing.length).toBe(f.segments);
  });

  it("05-capture-b.pcap (abort-rst demo): handshake, then the client's RST with nothing received", async () => {
    const f = await closeFacts(CAPTURE_05_2);
    expect(f.segments).toBe(4);
    expect(f.firstClose).toMatchObject({ by: "client", kind: "RST", seq: 1, ack: 1 });
    expect(f.rst).toEqual({ by: "client", receivedBefore: 0, finBefore: false, openedBefore: true });
  });

  it("the capture files are named neutrally: no answer in a file name", () => {
    for (const f of [CAPTURE_05_1, CAPTURE_05_2]) expect(f).toMatch(/05-capture-[a-z]\.pcap$/);
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

  it("05.1 and 05.2: every wrong choice is wrong, with a misconception that names no choice", async () => {
    const cases: [string, readonly string[]][] = [
      ["05.1", ["client FIN", "server FIN", "server RST"]],
      ["05.2", ["unread data", "no connection"]],
    ];
    for (const [id, wrong] of cases) {
      const e = getExercise(id);
      for (const w of wrong) {
        resetTries();
        const a = await judgeAnswer(id, w);
        expect(a.correct, `${id} ${w}`).toBe(false);
        expect(a.misconception, `${id} ${w}`).toBeDefined();
        const says = e.misconceptions.find((m) => m.answers.includes(w as never))?.says ?? "";
        // The feedback must not name the right answer, nor rule other choices out by name.
        expect(says, `${id} ${w}`).not.toContain(String(e.solution));
        for (const other of wrong.filter((o) => o !== w)) expect(says.includes(`"${other}"`), `${id} ${w} names ${other}`).toBe(false);
      }
    }
    resetTries();
  });

  it("05.3: the explanation gives the CLOSE_WAIT count before (the exercise's leaky handler) and after (the answer)", async () => {
    const e = getExercise("05.3");
    const read = e.read((getExercise("05.3").solution as { handler: unknown }).handler);
    if (read.ok !== true) throw new Error("read failed");
    const j = await e.judge(read.value);
    const rejected = Array.from({ length: 6 }, (_, i) => LEAK_PROBE_REQUESTS[i % LEAK_PROBE_REQUESTS.length]).filter((r) => !r?.startsWith("GET ")).length;
    expect(j.correct).toBe(true);
    expect(j.explanation).toContain(`before (the leaky handler): ${rejected} of 6 stuck in CLOSE_WAIT; after (yours): 0 of 6`);
  }, 15000);

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
