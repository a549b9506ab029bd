/**
 * What a learner reads on the ladders (issue 11, §4): sequence numbers relative to each
 * side's ISN by default, a time column that never runs backwards and fits 80 columns, the
 * four waves of a normal close labelled ①–④ with u and v, timer bars on the SVG ladder, and
 * each side's application calls beside the wire.
 */
import { describe, expect, it } from "vitest";
import {
  ASCII_LADDER_KEY, formatTimerLength, relativeNumbers, renderAsciiLadder, renderSvgLadder, segmentLabel, teardownWaves,
} from "../src/render/index.js";
import { PRESET_NAMES, simulate } from "../src/sim/index.js";
import type { SegmentRecord, Trace } from "../src/sim/trace.js";
import { FOUR_WAY } from "./render.fixtures.js";

const segmentsOf = (t: Trace): SegmentRecord[] => t.events.filter((e): e is SegmentRecord => e.type === "segment");
const PROFILES = ["linux", "rfc9293"] as const;

describe("relative sequence numbers", () => {
  it("the SYN is seq=0 and the first ACK ack=1 by default; absolute: true gives the trace's numbers", () => {
    const t = simulate("three-way-handshake");
    const [syn, synAck, ack] = segmentsOf(t);
    const rel = relativeNumbers(t);
    expect(rel.isn).toEqual({ client: syn!.seq, server: synAck!.seq });
    expect(segmentLabel(syn!, rel)).toBe("SYN seq=0");
    expect(segmentLabel(synAck!, rel)).toBe("SYN, ACK seq=0 ack=1");
    expect(segmentLabel(ack!, rel)).toBe("ACK seq=1 ack=1");
    const ascii = renderAsciiLadder(t);
    expect(ascii).toContain("  SYN seq=0 ");
    expect(ascii).toContain(" SYN, ACK seq=0 ack=1  |");
    expect(ascii).toContain("  ACK seq=1 ack=1 ");
    const abs = renderAsciiLadder(t, { absolute: true });
    expect(abs).toContain(`  SYN seq=${syn!.seq} `);
    expect(abs).toContain(` SYN, ACK seq=${synAck!.seq} ack=${(syn!.seq + 1) >>> 0}  |`);
    const svg = renderSvgLadder(t);
    expect(svg).toContain(">SYN, ACK seq=0 ack=1</text>");
    expect(renderSvgLadder(t, { absolute: true })).toContain(`>SYN seq=${syn!.seq}</text>`);
    // The data attributes keep the trace's own numbers, for steppers and checkers.
    expect(svg).toContain(`data-seq="${syn!.seq}"`);
  });

  it("a run that starts ESTABLISHED has no SYN: its recorded ISS is the base, so the first FIN is seq=1", () => {
    const t = simulate("four-way-close");
    expect(t.isn).toBeDefined();
    const fin = segmentsOf(t)[0]!;
    expect(fin.seq).toBe((t.isn!.client + 1) >>> 0);
    expect(segmentLabel(fin, relativeNumbers(t))).toBe("FIN, ACK seq=1 ack=1");
  });

  it("a capture without a SYN counts from each side's first seq, modulo 2^32; a RST from a closed port is seq=0", () => {
    const rel = relativeNumbers(FOUR_WAY);
    expect(rel.isn).toEqual({ client: 1000, server: 5000 });
    const wrap: Trace = { ...FOUR_WAY, events: FOUR_WAY.events.map((e) => e.type === "segment" ? { ...e, seq: (e.seq + 4294966296) >>> 0, ack: (e.ack + 4294966296) >>> 0 } : e) };
    const labels = segmentsOf(wrap).map((s) => segmentLabel(s, relativeNumbers(wrap)));
    expect(labels).toEqual(segmentsOf(FOUR_WAY).map((s) => segmentLabel(s, rel)));
    const refused = simulate("connect-refused");
    expect(segmentsOf(refused).map((s) => segmentLabel(s, relativeNumbers(refused)))).toEqual(["SYN seq=0", "RST, ACK seq=0 ack=1"]);
  });
});

describe("the ASCII ladder's time column", () => {
  it("never runs backwards and fits 80 columns, for every preset under both profiles, with and without options", () => {
    for (const name of PRESET_NAMES) {
      for (const profile of PROFILES) {
        for (const opts of [{}, { app: true, waves: true }, { absolute: true }]) {
          const label = `${name}/${profile}/${JSON.stringify(opts)}`;
          const lines = renderAsciiLadder(simulate(name, { profile }), opts).split("\n");
          let last = -Infinity;
          let timed = 0;
          for (const line of lines) {
            expect(line.length, `${label}: ${line}`).toBeLessThanOrEqual(80);
            const m = /^ *(\d+\.\d{3}) /.exec(line);
            if (m === null) continue;
            timed++;
            expect(Number(m[1]), `${label}: ${line}`).toBeGreaterThanOrEqual(last);
            last = Number(m[1]);
          }
          expect(timed, label).toBeGreaterThan(1);
          expect(lines, label).toContain(ASCII_LADDER_KEY);
        }
      }
    }
  });

  it("the row that used to run backwards (0.100 then 0.050): each segment's label is at its send time", () => {
    // half-close: the server's ACKs and its reply leave at 0.050, after the client's segments
    // arrive at 0.050, and reach the client at 0.100.
    const lines = renderAsciiLadder(simulate("half-close", { profile: "linux" })).split("\n");
    const times = lines.map((l) => /^ *(\d+\.\d{3}) /.exec(l)?.[1]).filter((x): x is string => x !== undefined);
    expect(times).toEqual(["0.000", "0.050", "0.100", "0.150", "0.250", "0.300", "0.350", "60.300"]);
    expect(lines).toContain("                      |             #5 ACK seq=1 ack=102 len=1460  |");
    expect(lines).toContain("                      |<---------------... #5                      |");
  });
});

describe("wave labels ①–④ with u and v", () => {
  it("four-way-close: ① FIN seq=u, ② ACK ack=u+1, ③ FIN seq=v ack=u+1, ④ ACK seq=u+1 ack=v+1", () => {
    const t = simulate("four-way-close", { profile: "linux" });
    const w = teardownWaves(t);
    expect(w).not.toBeNull();
    expect([...w!.marks.entries()]).toEqual([[0, "①"], [1, "②"], [4, "③"], [5, "④"]]);
    expect([w!.first, w!.u, w!.v]).toEqual(["client", 1, 101]);
    const lines = renderAsciiLadder(t, { waves: true }).split("\n");
    expect(lines).toContain("   0.000   FIN_WAIT_1 |  ① FIN, ACK seq=u=1 ack=1                  |");
    expect(lines).toContain("   0.090              |                     ② ACK seq=1 ack=u+1=2  |");
    expect(lines).toContain("   0.750              |            ③ FIN, ACK seq=v=101 ack=u+1=2  | LAST_ACK");
    expect(lines).toContain("                      |  ④ ACK seq=u+1=2 ack=v+1=102               |");
    // The data in the half-closed connection is no wave.
    expect(lines).toContain("   0.350              |              PSH, ACK seq=1 ack=2 len=100  |");
    expect(renderSvgLadder(t, { waves: true })).toContain(">③ FIN, ACK seq=v=101 ack=u+1=2</text>");
  });

  it("three-way-close: the merged FIN+ACK is ②③", () => {
    const t = simulate("three-way-close");
    expect([...teardownWaves(t)!.marks.entries()]).toEqual([[0, "①"], [1, "②③"], [2, "④"]]);
    const lines = renderAsciiLadder(t, { waves: true }).split("\n");
    expect(lines).toContain("                      |             ②③ FIN, ACK seq=v=1 ack=u+1=2  | LAST_ACK");
    expect(lines).toContain("                      |  ④ ACK seq=u+1=2 ack=v+1=2                 |");
  });

  it("no waves without a normal close, or when the FINs cross; off by default", () => {
    expect(teardownWaves(simulate("simultaneous-close"))).toBeNull();
    expect(teardownWaves(simulate("abort-rst"))).toBeNull();
    expect(teardownWaves(simulate("close-wait-leak"))).toBeNull();
    expect(renderAsciiLadder(simulate("four-way-close"))).not.toContain("①");
  });
});

describe("timer bars on the SVG ladder", () => {
  const bars = (svg: string) =>
    [...svg.matchAll(/<g class="timer [^"]*" data-endpoint="(\w+)" data-kind="([\w-]+)" data-start="([\d.]+)" data-end="([\d.]*)" data-ended="(\w+)">/g)]
      .map((m) => `${m[1]} ${m[2]} ${m[3]}-${m[4]} ${m[5]}`);

  it("lost-final-ack: the server's RTO runs from its FIN to the retransmission, and fires", () => {
    const t = simulate("lost-final-ack");
    const retransmission = segmentsOf(t).find((s) => s.retransmission)!;
    expect(retransmission.t).toBe(1.15);
    expect(bars(renderSvgLadder(t))).toEqual([
      "client rto 0-0.1 stopped",
      "server rto 0.15-1.15 fired",
      "client 2msl 0.2-1.2 stopped", // restarted by the retransmitted FIN (RFC 9293 §3.10.7.4)
      "server rto 1.15-1.25 stopped",
      "client 2msl 1.2-241.2 fired",
    ]);
    expect(renderSvgLadder(t)).toContain("<title>server: RTO 1 s, fired</title>");
  });

  it("four-way-close (linux): a 60 s 2MSL bar, labelled with its real length across the compressed pause", () => {
    const svg = renderSvgLadder(simulate("four-way-close", { profile: "linux" }));
    expect(bars(svg)).toEqual([
      "client rto 0-0.14 stopped",
      "server delayed-ack 0.05-0.09 fired",
      "server rto 0.35-0.49 stopped",
      "client delayed-ack 0.4-0.44 fired",
      "server rto 0.75-0.85 stopped",
      "client 2msl 0.8-60.8 fired",
    ]);
    expect(svg).toContain(">2MSL 60 s</text>");
    expect(svg).toContain('class="timeline pause"');
    expect(bars(renderSvgLadder(simulate("four-way-close", { profile: "linux" }), { timers: false }))).toEqual([]);
  });

  it("formats lengths as a learner reads them", () => {
    expect([0.04, 0.2, 1.15 - 0.15, 60, 1.5].map(formatTimerLength)).toEqual(["40 ms", "200 ms", "1 s", "60 s", "1.5 s"]);
  });
});

describe("the application's view", () => {
  const appRows = (t: Trace): string[] =>
    renderAsciiLadder(t, { app: true }).split("\n").filter((l) => l.includes(" -> "));

  it("four-way-close: shutdown(), read() → 0 at the FIN, the data, close(), EOF at the client", () => {
    expect(appRows(simulate("four-way-close"))).toEqual([
      "   0.000   FIN_WAIT_1 |  shutdown(SHUT_WR) -> 0                    |",
      "                      |                         read() -> 0 (EOF)  |",
      "   0.350              |                         write(100) -> 100  |",
      "                      |  read() -> 100                             |",
      "   0.750              |                              close() -> 0  | LAST_ACK",
      "                      |  read() -> 0 (EOF)                         |",
    ]);
  });

  it("abort-rst, close-unread-data, connect-refused, peer-reboots: the errno each application gets", () => {
    expect(appRows(simulate("abort-rst"))).toEqual([
      "   0.000       CLOSED |  close() linger=0 -> 0                     |",
      "                      |                      read() -> ECONNRESET  |",
    ]);
    expect(appRows(simulate("close-unread-data"))).toEqual([
      "   0.000              |                         write(100) -> 100  |",
      "   0.200       CLOSED |  close() -> 0                              |",
      "                      |                      read() -> ECONNRESET  |",
    ]);
    expect(appRows(simulate("connect-refused"))).toEqual([
      "                      |  connect() -> ECONNREFUSED                 |",
    ]);
    expect(appRows(simulate("peer-reboots"))).toEqual([
      "   1.000       CLOSED |  (host reboots) -> TCB lost                |",
      "   2.000              |                         write(100) -> 100  |",
      "                      |                      read() -> ECONNRESET  |",
    ]);
    const svg = renderSvgLadder(simulate("peer-reboots"), { app: true });
    expect(svg).toContain('<g class="call" data-endpoint="server" data-t="2.1">');
    expect(svg).toContain(">read() → ECONNRESET</text>");
  });

  it("off by default", () => {
    expect(renderAsciiLadder(simulate("abort-rst"))).not.toContain(" -> ");
    expect(renderSvgLadder(simulate("abort-rst"))).not.toContain('class="call"');
  });
});
