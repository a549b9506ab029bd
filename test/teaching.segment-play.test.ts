import { describe, expect, it } from "vitest";
import { playScript } from "../src/teaching/segment-play.js";

// A listener accepts one connection from the peer (the script), as in chapter 03.
const ACCEPTED = `0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0    bind(3, ..., ...) = 0
+0    listen(3, 1) = 0
+0    < S 0:0(0) win 65535
+0    > S. 0:0(0) ack 1
+0.1  < . 1:1(0) ack 1 win 65535
+0    accept(3, ..., ...) = 4
`;
// A RST inside the window but not at RCV.NXT: RFC 5961 answers with a challenge ACK, RFC 793 resets.
const IN_WINDOW_RST = ACCEPTED + `+0.1  < R. 1001:1001(0) ack 1 win 65535
+0    > . 1:1(0) ack 1
`;

describe("playScript (chapter 03's packetdrill step)", () => {
  it("passes under RFC 5961 and says so in one line", () => {
    const p = playScript("rst.pkt", IN_WINDOW_RST);
    expect(p.summary).toBe("rst.pkt (RFC 5961 on): passed, every line matched");
    expect(p.run.passed).toBe(true);
    // The judged list without the handshake's SYN and ACK: just the RST.
    expect(p.afterHandshake).toHaveLength(1);
    expect(p.afterHandshake[0]!.line).toBe(9);
    expect(p.run.judged).toHaveLength(3);
  });

  it("reports the failing line under RFC 793's rules", () => {
    const p = playScript("rst.pkt", IN_WINDOW_RST, { rfc5961: false });
    expect(p.run.passed).toBe(false);
    expect(p.summary).toMatch(/^rst\.pkt \(RFC 793's rules\): FAILED at line 10, .*: expected \+0    > \. 1:1\(0\) ack 1$/);
  });

  it("throws with the diagnostics on a script that does not parse", () => {
    expect(() => playScript("bad.pkt", "this is not packetdrill\n")).toThrow(/bad\.pkt:1:/);
  });
});
