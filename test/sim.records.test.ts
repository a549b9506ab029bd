/**
 * The trace's side arrays: the timers each side ran (trace.timers) and what each side's
 * application called and got back (trace.calls). Neither adds a kind of trace event.
 */
import { describe, expect, it } from "vitest";
import { PRESET_NAMES, simulate, validateScenario, type Scenario, type Trace } from "../src/sim/index.js";

const calls = (t: Trace): string[] => (t.calls ?? []).map((c) => `${c.t} ${c.endpoint} ${c.call} = ${c.result}`);
const timers = (t: Trace): string[] => (t.timers ?? []).map((s) => `${s.endpoint} ${s.kind} ${s.start}-${s.end} ${s.ended}`);

function scenario(doc: object): Scenario {
  const v = validateScenario(doc);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.scenario;
}

describe("trace.calls: the application's view", () => {
  it("four-way-close: shutdown, EOF, the half-closed reply, close, EOF", () => {
    expect(calls(simulate("four-way-close"))).toEqual([
      "0 client shutdown(SHUT_WR) = 0",
      "0.05 server read() = 0 (EOF)",
      "0.35 server write(100) = 100",
      "0.4 client read() = 100",
      "0.75 server close() = 0",
      "0.8 client read() = 0 (EOF)",
    ]);
  });

  it("errnos as Linux's tcp_reset() sets them: ECONNRESET, ECONNREFUSED; connect() and accept() return on the handshake", () => {
    expect(calls(simulate("abort-rst"))).toEqual(["0 client close() linger=0 = 0", "0.05 server read() = ECONNRESET"]);
    expect(calls(simulate("close-unread-data"))).toEqual([
      "0 server write(100) = 100", "0.2 client close() = 0", "0.25 server read() = ECONNRESET",
    ]);
    expect(calls(simulate("connect-refused"))).toEqual(["0.1 client connect() = ECONNREFUSED"]);
    expect(calls(simulate("three-way-handshake"))).toEqual([
      "0 server listen() = 0", "0.1 client connect() = 0", "0.15 server accept() = new socket",
    ]);
    expect(calls(simulate("peer-reboots"))).toEqual([
      "1 client (host reboots) = TCB lost", "2 server write(100) = 100", "2.1 server read() = ECONNRESET",
    ]);
  });

  it("a write after the peer's RST fails with EPIPE; after a RST in CLOSE_WAIT the pending EPIPE comes first", () => {
    const afterReset = scenario({
      start: "established",
      steps: { client: [{ at: 0, do: "close", linger0: true }], server: [{ at: 1, do: "send", bytes: 10 }] },
    });
    expect(calls(simulate(afterReset))).toEqual([
      "0 client close() linger=0 = 0", "0.05 server read() = ECONNRESET", "1 server write(10) = EPIPE",
    ]);
    // The server is in CLOSE_WAIT (it read the EOF, not yet closed) when the RST comes:
    // tcp_reset() leaves EPIPE for its next call, and no blocked read() sees ECONNRESET.
    const inCloseWait = scenario({
      start: "established",
      steps: { client: [{ at: 0, do: "shutdown" }, { at: 0.5, do: "abort" }], server: [{ at: 1, do: "send", bytes: 10 }] },
    });
    expect(calls(simulate(inCloseWait))).toEqual([
      "0 client shutdown(SHUT_WR) = 0", "0.05 server read() = 0 (EOF)", "0.5 client close() linger=0 = 0", "1 server write(10) = EPIPE",
    ]);
  });

  it("an orphan has no application: nothing is recorded after close()", () => {
    expect(calls(simulate("close-wait-leak"))).toEqual(["0 client close() = 0", "0.05 server read() = 0 (EOF)"]);
  });

  it("every call sits among the trace's events by its index, in time order", () => {
    for (const name of PRESET_NAMES) {
      for (const profile of ["linux", "rfc9293"] as const) {
        const t = simulate(name, { profile });
        let last = -Infinity;
        for (const c of t.calls ?? []) {
          expect(c.t, name).toBeGreaterThanOrEqual(last);
          last = c.t;
          expect(c.index, name).toBeGreaterThanOrEqual(0);
          expect(c.index, name).toBeLessThanOrEqual(t.events.length);
          const before = t.events[c.index - 1];
          if (before !== undefined) expect(before.t, `${name}: ${c.call}`).toBeLessThanOrEqual(c.t + 1e-9);
        }
      }
    }
  });
});

describe("trace.timers", () => {
  it("four-way-close under both profiles: RTOs stopped by ACKs, the delayed ACKs fire, 2MSL fires", () => {
    expect(timers(simulate("four-way-close"))).toEqual([
      "client rto 0-0.3 stopped",
      "server delayed-ack 0.05-0.25 fired",
      "server rto 0.35-0.65 stopped",
      "client delayed-ack 0.4-0.6 fired",
      "server rto 0.75-0.85 stopped",
      "client 2msl 0.8-240.8 fired",
    ]);
    expect(timers(simulate("four-way-close", { profile: "linux" })).at(-1)).toBe("client 2msl 0.8-60.8 fired");
  });

  it("close-wait-leak (linux): the orphan's FIN_WAIT_2 timer fires after tcp_fin_timeout; rfc9293 has none", () => {
    expect(timers(simulate("close-wait-leak"))).toEqual(["client rto 0-0.1 stopped", "client fin-wait-2 0.1-60.1 fired"]);
    expect(timers(simulate("close-wait-leak", { profile: "rfc9293" }))).toEqual(["client rto 0-0.1 stopped"]);
  });

  it("a timer still running when the run stops has end null", () => {
    const t = simulate(scenario({ start: "established", until: 10, steps: { client: [{ at: 0, do: "close" }], server: [{ on: "eof", do: "close" }] } }));
    expect(t.timers?.at(-1)).toEqual({ endpoint: "client", kind: "2msl", start: 0.1, end: null, ended: "running" });
  });

  it("the trace's events are the same kinds as before: records are side arrays", () => {
    for (const name of PRESET_NAMES) for (const e of simulate(name).events) expect(["segment", "state"]).toContain(e.type);
  });
});
