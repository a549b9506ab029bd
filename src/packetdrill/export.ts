/**
 * A simulated run as a packetdrill script, one endpoint as the system under test: its user
 * calls become system calls, the other endpoint's segments become `<` lines at the time
 * they arrive, and its own become `>` lines at the time it sends them. Presets and scripts
 * can so be mixed: `tcp-lifecycle simulate four-way-close --format pkt` prints the server's
 * side, and running that script (`tcp-lifecycle script`) gives the same segments back.
 *
 * A scenario that starts established gets a handshake at time 0 first (a script always
 * starts from socket()); an application that reads at once (`autoRead`) reads after each
 * arrival of data, so close() sees no unread data. Pure: no Node imports.
 */
import type { Scenario } from "../sim/scenario.js";
import type { EndpointName, SegmentRecord } from "../sim/trace.js";
import { runScenario } from "../sim/engine.js";
import { formatFlags, formatPacket } from "./format.js";
import type { PacketEvent, PacketFlags } from "./types.js";

export interface ExportOptions {
  /** The endpoint under test (default "server"). */
  readonly side?: EndpointName;
  /** A title for the header comment. */
  readonly title?: string;
  readonly profile?: Scenario["profile"];
  readonly seed?: number;
}

const FD = 3, CONN = 4;

/** Export a scenario run as a packetdrill script (text). */
export function scenarioToScript(scenario: Scenario, opts: ExportOptions = {}): string {
  const side = opts.side ?? "server";
  const me = side === "client" ? 0 : 1;
  const r = runScenario(scenario, { logCalls: true, ...(opts.profile ? { profile: opts.profile } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
  const trace = r.trace;
  const segs = trace.events.filter((e): e is SegmentRecord => e.type === "segment");
  // Each side's ISN as the script counts it: from its SYN; an established start has
  // ISS = first seq − 1; a side that never sent a SYN counts from 0, as packetdrill does.
  const established = scenario.start === "established";
  const issOf = (who: EndpointName): number => {
    const syn = segs.find((s) => s.from === who && s.flags.includes("SYN"));
    if (syn) return syn.seq;
    if (!established) return 0;
    const any = segs.find((s) => s.from === who);
    if (any) return (any.seq - 1) >>> 0;
    const other = segs.find((s) => s.to === who && s.flags.includes("ACK"));
    return other ? (other.ack - 1) >>> 0 : 0;
  };
  const myIss = issOf(side), peerIss = issOf(side === "client" ? "server" : "client");
  const lines: { t: number; text: string }[] = [];
  const add = (t: number, text: string): void => {
    lines.push({ t, text });
  };
  const journal = r.journal ?? [];
  const listens = journal.some((j) => j.kind === "call" && j.endpoint === me && j.call === "listen" && !j.refused);
  const fd = established || listens ? CONN : FD;
  const autoRead = scenario.endpoints[side].autoRead;
  add(0, `socket(..., SOCK_STREAM, IPPROTO_TCP) = ${FD}`);
  if (established) {
    add(0, `setsockopt(${FD}, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0`);
    add(0, `bind(${FD}, ..., ...) = 0`);
    add(0, `listen(${FD}, 1) = 0`);
    add(0, `< S 0:0(0) win 65535`);
    add(0, `> S. 0:0(0) ack 1`);
    add(0, `< . 1:1(0) ack 1 win 65535`);
    add(0, `accept(${FD}, ..., ...) = ${CONN}`);
  }
  let accepted = established;
  let open = false;
  const openAt = trace.events.find((e) => e.type === "state" && e.endpoint === side && e.to === "ESTABLISHED");
  // A read follows the segments the arrival itself caused (its ACK), as it runs after them.
  let readPending: { t: number; text: string } | null = null;
  const flushRead = (): void => {
    if (readPending !== null) add(readPending.t, readPending.text);
    readPending = null;
  };
  for (const j of journal) {
    if (j.endpoint !== me) continue;
    if (j.kind !== "send" || (readPending !== null && j.t > readPending.t)) flushRead();
    if (j.kind === "arrive") {
      const s = segs[j.seg]!;
      add(j.t, `< ${packet(s, peerIss, myIss, true)}`);
      if (!accepted && listens && openAt !== undefined && openAt.t <= j.t && !open) {
        open = true;
      }
      if (open && !accepted) {
        add(j.t, `accept(${FD}, ..., ...) = ${CONN}`);
        accepted = true;
      }
      if (autoRead && s.len > 0 && accepted) readPending = { t: j.t, text: `read(${fd}, ..., ${s.len}) = ${s.len}` };
    } else if (j.kind === "send") {
      const s = segs[j.seg]!;
      // Outbound lines name no window (a kernel run would compare it); a link's second copy is not a send.
      if (!s.duplicate) add(j.t, `> ${packet(s, myIss, peerIss, false)}`);
    } else if (!j.refused) {
      switch (j.call) {
        case "listen":
          add(j.t, `setsockopt(${FD}, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0`);
          add(j.t, `bind(${FD}, ..., ...) = 0`);
          add(j.t, `listen(${FD}, 1) = 0`);
          break;
        case "connect":
          add(j.t, `fcntl(${FD}, F_SETFL, O_RDWR|O_NONBLOCK) = 0`);
          add(j.t, `connect(${FD}, ..., ...) = -1 EINPROGRESS (Operation now in progress)`);
          break;
        case "send":
          add(j.t, `write(${fd}, ..., ${j.bytes}) = ${j.bytes}`);
          break;
        case "close":
        case "abort":
          if (j.linger0 || j.call === "abort") add(j.t, `setsockopt(${fd}, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0`);
          add(j.t, `close(${fd}) = 0`);
          break;
        case "shutdown":
          add(j.t, `shutdown(${fd}, SHUT_WR) = 0`);
          break;
        default:
          break;
      }
    }
  }
  flushRead();
  const out: string[] = [
    `// ${opts.title ?? scenario.title}: the ${side} is the system under test.`,
    `// Exported by tcp-lifecycle from a ${trace.profile} run (seed ${trace.seed}); run it with`,
    `// \`tcp-lifecycle script FILE --profile ${trace.profile}\`.`,
  ];
  if (scenario.endpoints[side].delayedAck) out.push("--delayed_ack=1");
  let prev = 0;
  for (const l of lines) {
    const dt = Math.round((l.t - prev) * 1e6) / 1e6;
    out.push(`${dt === 0 ? "+0" : `+${dt}`} ${l.text}`);
    prev = l.t;
  }
  return out.join("\n") + "\n";
}

function packet(s: SegmentRecord, senderIss: number, receiverIss: number, withWindow: boolean): string {
  const f: PacketFlags = {
    SYN: s.flags.includes("SYN"), FIN: s.flags.includes("FIN"), RST: s.flags.includes("RST"), PSH: s.flags.includes("PSH"),
    ACK: s.flags.includes("ACK"), URG: false, ECE: false, CWR: false,
  };
  const seq = (s.seq - senderIss) >>> 0;
  const p: PacketEvent = {
    kind: "packet", direction: "inbound", flags: f, flagText: formatFlags(f), seq, end: (seq + s.len) >>> 0, len: s.len,
    ...(f.ACK ? { ack: (s.ack - receiverIss) >>> 0 } : {}), ...(withWindow ? { win: s.win ?? 65535 } : {}),
  };
  return formatPacket(p);
}
