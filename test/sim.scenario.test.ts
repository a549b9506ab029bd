/**
 * Scenario files: validation errors name the field and list the allowed values; a valid
 * file runs, with its link rules, triggers and options.
 */
import { describe, expect, it } from "vitest";
import {
  ACTIONS, TRIGGERS, formatScenarioError, parseScenarioJson, presetDocument, PRESET_NAMES, runSimulation,
  validateScenario, type Scenario, type Trace,
} from "../src/sim/index.js";

function errorsOf(doc: unknown): string[] {
  const r = validateScenario(doc);
  return r.ok ? [] : r.errors.map(formatScenarioError);
}

function ok(doc: unknown): Scenario {
  const r = validateScenario(doc);
  if (!r.ok) throw new Error(r.errors.map(formatScenarioError).join("\n"));
  return r.scenario;
}

const flagsOf = (t: Trace) => t.events.flatMap((e) => e.type === "segment" ? [`${e.from[0]}:${e.flags.join(",")}${e.dropped ? "!" : ""}`] : []);

describe("scenario validation", () => {
  it("names the step and lists the allowed actions", () => {
    const errs = errorsOf({ steps: { server: [{ at: 0, do: "listen" }, { on: "eof", do: "close" }, { at: 1, do: "hangup" }] } });
    expect(errs).toEqual([`steps.server[2].do: expected one of ${ACTIONS.join(", ")}, got "hangup"`]);
  });

  it("reports every problem at once, each with its path", () => {
    const errs = errorsOf({
      name: 3,
      profile: "bsd",
      seed: -1,
      start: "open",
      bogus: true,
      link: { delay: "fast", loss: 2, rules: [{ action: "zap", flags: ["SYN", "URG"], nth: 0 }] },
      endpoints: { client: { autoRead: "no" }, router: {} },
      steps: {
        client: [{ do: "close" }, { at: 1, on: "eof", do: "close" }, { on: "timeout", do: "read" }, "close",
          { at: 0, do: "send", bytes: 0 }, { at: 0, do: "shutdown", linger0: true }],
        proxy: [],
      },
    });
    expect(errs).toEqual([
      "bogus: unknown field; allowed fields are name, title, description, profile, rfc5961, seed, start, delayedAck, endpoints, link, steps, until",
      "name: expected a string, got 3",
      'profile: expected one of rfc9293, linux, got "bsd"',
      "seed: expected an integer from 0 to 4294967295, got -1",
      'start: expected one of closed, established, got "open"',
      "endpoints.router: unknown field; allowed fields are client, server",
      'endpoints.client.autoRead: expected true or false, got "no"',
      "steps.proxy: unknown field; allowed fields are client, server",
      `steps.client[0]: needs exactly one of "at" (seconds) or "on" (one of ${TRIGGERS.join(", ")})`,
      `steps.client[1]: needs exactly one of "at" (seconds) or "on" (one of ${TRIGGERS.join(", ")})`,
      `steps.client[2].on: expected one of ${TRIGGERS.join(", ")}, got "timeout"`,
      'steps.client[3]: expected a step object like {"at": 0, "do": "close"}, got "close"',
      "steps.client[4].bytes: expected an integer from 1 to 1000000000, got 0",
      'steps.client[5].linger0: only allowed with "do": "close"',
      'link.delay: expected a number from 0 to 60, got "fast"',
      'link.rules[0].action: expected one of drop, duplicate, delay, got "zap"',
      'link.rules[0].flags[1]: expected one of SYN, FIN, RST, PSH, ACK, got "URG"',
      "link.rules[0].nth: expected an integer >= 1, got 0",
      "link.loss: expected a number from 0 to 1, got 2",
    ]);
  });

  it("rejects a document that is not an object, and a missing steps field", () => {
    expect(errorsOf([1, 2])[0]).toMatch(/^a scenario is a JSON object with fields name, /);
    expect(errorsOf({})).toEqual(['steps: missing; expected {"client": [steps], "server": [steps]}']);
  });

  it("reports a JSON syntax error as a value, not an exception", () => {
    const r = parseScenarioJson('{"steps": {');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]!.message).toMatch(/^not valid JSON at line 1, column 12 \(byte offset 11\): /);
  });

  it("accepts every preset's own document (the presets are examples of the format)", () => {
    for (const name of PRESET_NAMES) expect(errorsOf(JSON.parse(JSON.stringify(presetDocument(name)))), name).toEqual([]);
  });

  it("fills in the documented defaults", () => {
    const s = ok({ steps: {} });
    expect(s).toMatchObject({
      name: "scenario", profile: "rfc9293", seed: 1, start: "closed", until: 3600,
      endpoints: { client: { delayedAck: false, autoRead: true }, server: { delayedAck: false, autoRead: true } },
      link: { delay: 0.05, loss: 0, duplicate: 0, reorder: 0, reorderDelay: 0.15, rules: [] },
    });
  });
});

describe("scenario runs", () => {
  it("a teacher's scenario: handshake, request, reply, close on EOF, with a duplicated SYN", () => {
    const s = ok({
      name: "teacher",
      steps: {
        client: [{ at: 0, do: "connect" }, { on: "established", do: "send", bytes: 10 }, { on: "data", after: 0.5, do: "close" }],
        server: [{ at: 0, do: "listen" }, { on: "data", do: "send", bytes: 20 }, { on: "eof", do: "close" }],
      },
      link: { rules: [{ action: "duplicate", from: "client", flags: ["SYN"], by: 0.01 }] },
    });
    const { trace, quiescent, diagnostics } = runSimulation(s);
    expect(diagnostics).toEqual([]);
    expect(quiescent).toBe(true);
    expect(flagsOf(trace)).toEqual([
      "c:SYN", "c:SYN", // the duplicate
      // rfc9293: the copy's SEG.SEQ = IRS is below RCV.NXT, so SYN_RCVD answers it with an ACK
      // (§3.10.7.4 first; Linux would resend its SYN+ACK, see the linux case below)
      "s:SYN,ACK", "s:ACK",
      "c:ACK", "c:PSH,ACK", // handshake ACK, the request (the server's ACK was acceptable: no reply)
      "s:ACK", "s:PSH,ACK", "c:ACK", "c:FIN,ACK", "s:ACK", "s:FIN,ACK", "c:ACK",
    ]);
    expect(trace.final).toEqual({ client: "CLOSED", server: "CLOSED" });
    // linux: the request socket answers the SYN again with its SYN+ACK (tcp_check_req()).
    const linux = runSimulation(s, { profile: "linux" }).trace;
    expect(flagsOf(linux).slice(0, 5)).toEqual(["c:SYN", "c:SYN", "s:SYN,ACK", "s:SYN,ACK", "c:ACK"]);
    expect(linux.final).toEqual({ client: "CLOSED", server: "CLOSED" });
  });

  it("a rule that drops every FIN from the client ends in a user timeout after maxRetries retransmissions", () => {
    const s = ok({
      start: "established", profile: "linux",
      steps: { client: [{ at: 0, do: "close" }], server: [] },
      link: { rules: [{ action: "drop", from: "client", flags: ["FIN", "ACK"] }] },
    });
    const { trace, quiescent } = runSimulation(s);
    const fins = trace.events.filter((e) => e.type === "segment" && e.flags.includes("FIN"));
    expect(fins).toHaveLength(1 + 15); // the first FIN and tcp_retries2 = 15 retransmissions
    const times = fins.map((e) => e.t);
    // exponential backoff from 1 s, capped at 120 s
    expect(times.slice(0, 9)).toEqual([0, 1, 3, 7, 15, 31, 63, 127, 247]);
    expect(times[9]).toBe(367);
    const last = trace.events.at(-1)!;
    expect(last).toMatchObject({ type: "state", endpoint: "client", from: "FIN_WAIT_1", to: "CLOSED", cause: "USER_TIMEOUT" });
    expect(trace.final).toEqual({ client: "CLOSED", server: "ESTABLISHED" });
    expect(quiescent).toBe(true);
  });

  it("a SYN to a silent peer is retried synRetries times, then connect() fails (Linux's 127 s)", () => {
    const s = ok({ profile: "linux", steps: { client: [{ at: 0, do: "connect" }], server: [] }, link: { loss: 1 } });
    const { trace } = runSimulation(s);
    const syns = trace.events.filter((e) => e.type === "segment");
    expect(syns.map((e) => e.t)).toEqual([0, 1, 3, 7, 15, 31, 63]);
    expect(trace.events.at(-1)).toMatchObject({ t: 127, to: "CLOSED", cause: "USER_TIMEOUT" });
  });

  it("reports a user call the table refuses, without stopping", () => {
    const s = ok({ start: "established", steps: { client: [{ at: 0, do: "close" }, { at: 1, do: "send" }], server: [] } });
    const { diagnostics } = runSimulation(s);
    expect(diagnostics).toEqual([
      't=1s client step "send" (at 1s) refused in FIN_WAIT_2: error: "connection closing" (§3.10.2)',
    ]);
  });

  it("data sent before the handshake completes is queued and sent once ESTABLISHED (§3.10.2)", () => {
    const s = ok({ steps: { client: [{ at: 0, do: "connect" }, { at: 0, do: "send", bytes: 5 }], server: [{ at: 0, do: "listen" }] } });
    expect(flagsOf(runSimulation(s).trace)).toEqual(["c:SYN", "s:SYN,ACK", "c:ACK", "c:PSH,ACK", "s:ACK"]);
  });

  it("an orphaned FIN_WAIT_2 receiving data resets (linux), a half-closed one keeps reading", () => {
    const base = (clientDo: string) => ok({
      start: "established",
      steps: { client: [{ at: 0, do: clientDo }], server: [{ on: "eof", after: 0.2, do: "send", bytes: 10 }] },
    });
    // The RST answers the data segment: <SEQ=SEG.ACK><CTL=RST> (§3.5.2; Linux tcp_v4_send_reset()).
    expect(flagsOf(runSimulation(base("close")).trace)).toEqual(["c:FIN,ACK", "s:ACK", "s:PSH,ACK", "c:RST"]);
    expect(flagsOf(runSimulation(base("shutdown")).trace)).toEqual(["c:FIN,ACK", "s:ACK", "s:PSH,ACK", "c:ACK"]);
  });

  it("delayed ACK holds one segment's ACK for the profile's delay, and ACKs a second at once", () => {
    const times = (bytes: number, profile: "linux" | "rfc9293") => runSimulation(ok({
      start: "established", profile, endpoints: { server: { delayedAck: true } },
      steps: { client: [{ at: 0, do: "send", bytes }], server: [] },
    })).trace.events.flatMap((e) => e.type === "segment" && e.from === "server" ? [e.t] : []);
    expect(times(100, "linux")).toEqual([0.09]); // arrives at 0.05, held 40 ms
    expect(times(100, "rfc9293")).toEqual([0.25]); // held 200 ms
    expect(times(2920, "linux")).toEqual([0.05]); // two full segments: the second is ACKed at once
  });

  it("stops at the time limit, and says so", () => {
    const s = ok({ start: "established", until: 0.5, steps: { client: [{ at: 0, do: "close" }], server: [] },
      link: { rules: [{ action: "drop", from: "client", flags: ["FIN", "ACK"] }] } });
    const r = runSimulation(s);
    expect(r.quiescent).toBe(false);
    expect(r.diagnostics).toEqual(["stopped at the time limit (until = 0.5s) with events still pending"]);
    expect(r.trace.final.client).toBe("FIN_WAIT_1");
    const capped = runSimulation(s, { maxEvents: 1 });
    expect(capped.diagnostics).toEqual(["stopped after 1 events at t=0s"]);
  });

  it("an out-of-order FIN that acknowledges our FIN still moves FIN_WAIT_1 on (§3.10.7.4 fifth)", () => {
    // The server's ACK of the client's FIN and its data are lost; its FIN arrives ahead of
    // the data, so it waits for the gap, but its ACK field acknowledges the client's FIN.
    const s = ok({
      start: "established",
      steps: { client: [{ at: 0, do: "shutdown" }], server: [{ on: "eof", do: "send", bytes: 100 }, { on: "eof", after: 0.2, do: "close" }] },
      link: { rules: [{ action: "drop", from: "server", flags: ["ACK"], nth: 1 }, { action: "drop", from: "server", data: true, nth: 1 }] },
    });
    const { trace, quiescent } = runSimulation(s);
    expect(quiescent).toBe(true);
    const client = trace.events.flatMap((e) => e.type === "state" && e.endpoint === "client" ? [`${e.t}:${e.from}>${e.to}`] : []);
    expect(client.slice(0, 2)).toEqual(["0:ESTABLISHED>FIN_WAIT_1", "0.3:FIN_WAIT_1>FIN_WAIT_2"]);
    expect(trace.final).toEqual({ client: "CLOSED", server: "CLOSED" });
  });

  it("RST in SYN_RCVD returns a passive opener to LISTEN", () => {
    const s = ok({
      steps: { client: [{ at: 0, do: "connect" }, { at: 0.07, do: "abort" }], server: [{ at: 0, do: "listen" }] },
    });
    const { trace } = runSimulation(s);
    // The client aborts in SYN_SENT (no RST, §3.10.5), then answers the SYN+ACK from CLOSED with a RST.
    expect(flagsOf(trace)).toEqual(["c:SYN", "s:SYN,ACK", "c:RST"]);
    expect(trace.final).toEqual({ client: "CLOSED", server: "LISTEN" });
  });
});

/**
 * Scenarios have no step that injects a raw segment, so these make the peer's own stack send
 * the RST: a segment reaching a CLOSED endpoint is answered with RST, seq = its ACK field
 * (§3.10.7.1). Whether that RST is in the TIME_WAIT side's window depends on which ACK it
 * answers. Neither profile turns RFC 1337 protection on (src/fsm/profiles.ts), so both
 * follow §3.10.7.4: an acceptable RST in TIME_WAIT deletes the TCB.
 */
describe("RST in TIME_WAIT (§3.10.7.4; RFC 1337 protection off in both profiles)", () => {
  const stateChanges = (t: Trace, endpoint: string) =>
    t.events.flatMap((e) => e.type === "state" && e.endpoint === endpoint ? [`${e.t}:${e.from}>${e.to}:${e.cause}`] : []);
  /** Runs a scenario that must end cleanly; returns its trace, the server's first FIN and the RST. */
  const runWithRst = (doc: object) => {
    const { trace, quiescent, diagnostics } = runSimulation(ok(doc));
    expect(diagnostics).toEqual([]);
    expect(quiescent).toBe(true);
    const fin = trace.events.find((e) => e.type === "segment" && e.from === "server" && e.flags.includes("FIN"));
    const rst = trace.events.find((e) => e.type === "segment" && e.flags.includes("RST"));
    if (fin?.type !== "segment" || rst?.type !== "segment") throw new Error("missing FIN or RST");
    return { trace, fin, rst };
  };

  for (const profile of ["linux", "rfc9293"] as const) {
    it(`${profile}: an in-window RST kills TIME_WAIT at once (TIME_WAIT assassination)`, () => {
      // The client's last ACK is lost; the server's retransmitted FIN is held up on the link,
      // and meanwhile the server aborts (silently, §3.10.5 in LAST_ACK). The late FIN makes
      // the client ACK again from TIME_WAIT; the CLOSED server answers that ACK with a RST
      // whose seq is the ACK's ack field: exactly the client's RCV.NXT.
      const { trace, fin, rst } = runWithRst({
        start: "established", profile,
        steps: { client: [{ at: 0, do: "close" }], server: [{ on: "eof", after: 0.5, do: "close" }, { at: 2, do: "abort" }] },
        link: { rules: [
          { action: "drop", from: "client", flags: ["ACK"], after: 0.5, nth: 1 },
          { action: "delay", from: "server", flags: ["FIN", "ACK"], retransmission: true, nth: 1, by: 5 },
        ] },
      });
      expect(flagsOf(trace)).toEqual(["c:FIN,ACK", "s:ACK", "s:FIN,ACK", "c:ACK!", "s:FIN,ACK", "c:ACK", "s:RST"]);
      expect(rst.seq).toBe((fin.seq + 1) >>> 0); // the client's RCV.NXT: in the window
      expect(stateChanges(trace, "client")).toEqual([
        "0:ESTABLISHED>FIN_WAIT_1:CLOSE",
        "0.1:FIN_WAIT_1>FIN_WAIT_2:RCV_ACK_OF_FIN",
        "0.6:FIN_WAIT_2>TIME_WAIT:RCV_FIN",
        "6.6:TIME_WAIT>TIME_WAIT:RCV_UNACCEPTABLE", // the late FIN: ACK again, restart 2MSL
        `${rst.arrives}:TIME_WAIT>CLOSED:RCV_RST`,
      ]);
      expect(rst.arrives).toBeLessThan(10); // long before 2MSL (60 s linux, 240 s rfc9293) would end
      expect(trace.final).toEqual({ client: "CLOSED", server: "CLOSED" });
    });

    it(`${profile}: an out-of-window RST is ignored, and TIME_WAIT runs its full 2MSL`, () => {
      // The client half-closes (shutdown, so it keeps reading: an orphan would answer data
      // with RST) and the server sends data after the client's FIN; the client's ACK of that
      // data is held up until after the close is over. The CLOSED server answers the stale
      // ACK with a RST whose seq (the data's end, the server's FIN) is one below the client's
      // RCV.NXT.
      const { trace, fin, rst } = runWithRst({
        start: "established", profile,
        steps: { client: [{ at: 0, do: "shutdown" }], server: [{ on: "eof", do: "send", bytes: 100 }, { on: "eof", after: 0.2, do: "close" }] },
        link: { rules: [{ action: "delay", from: "client", flags: ["ACK"], nth: 1, after: 0.1, by: 0.6 }] },
      });
      expect(flagsOf(trace)).toEqual(["c:FIN,ACK", "s:ACK", "s:PSH,ACK", "c:ACK", "s:FIN,ACK", "c:ACK", "s:RST"]);
      expect(rst.dropped).toBe(false);
      expect(rst.seq).toBe(fin.seq); // RCV.NXT - 1: outside the window
      const timeWait = profile === "linux" ? 60 : 240;
      const enteredAt = 0.3; // the server's FIN, sent at 0.25, arrives
      expect(rst.arrives).toBeGreaterThan(enteredAt);
      expect(stateChanges(trace, "client").slice(-2)).toEqual([
        `${enteredAt}:FIN_WAIT_2>TIME_WAIT:RCV_FIN`,
        `${enteredAt + timeWait}:TIME_WAIT>CLOSED:TIME_WAIT_TIMEOUT`,
      ]);
      expect(trace.final).toEqual({ client: "CLOSED", server: "CLOSED" });
    });
  }
});
