/**
 * The cheat sheet of chapter 07, as data: the commands that count and show sockets, the
 * sysctls that tune the end of a connection, and the common misconceptions, each with what
 * it really does and its source. Renderers turn each list into markdown for the notebook and
 * the site. Pure: no Node imports (a cell passes its own file reader to `readSysctls`).
 */
import { PROFILES } from "../fsm/profiles.js";
import { stateFromName } from "../parse/state-names.js";

/** A command a learner types, and what it really prints. */
export interface CheatCommand {
  /** The command line as typed (a shell pipeline). */
  readonly command: string;
  /** What it shows, in one sentence. */
  readonly shows: string;
  /** The trap around it, or what to read in its output. */
  readonly note: string;
  /** Where the behaviour is defined. */
  readonly source: string;
  /** A pipeline that gives a wrong answer, kept to show why. */
  readonly pitfall?: boolean;
}

export const CHEAT_COMMANDS: readonly CheatCommand[] = [
  {
    command: "ss -s",
    shows: "one summary line per protocol: `TCP: N (estab E, closed C, orphaned O, timewait W)`.",
    note: "the cheapest count there is: it reads the kernel's counters (/proc/net/sockstat), not one line per socket. `orphaned` counts sockets no process holds any more (closed, still finishing their close).",
    source: "iproute2 misc/ss.c (the summary reads /proc/net/sockstat and /proc/net/snmp)",
  },
  {
    command: "ss -Htan state time-wait | wc -l",
    shows: "the exact number of TCP sockets in TIME_WAIT.",
    note: "`-H` drops the header line; without it `wc -l` counts one line too many. With a single-state filter ss leaves the State column out.",
    source: "ss(8): -H, --no-header; STATE-FILTER",
  },
  {
    command: "ss -tan | awk 'NR>1{print $1}' | sort | uniq -c",
    shows: "how many sockets are in each state, in ss's spellings (ESTAB, TIME-WAIT, CLOSE-WAIT …).",
    note: "`NR>1` skips the one header line, so every counted word is a state.",
    source: "ss(8); awk NR is the line number",
  },
  {
    command: "ss -tnop state fin-wait-2",
    shows: "the FIN_WAIT_2 sockets, with their timers and the process that holds each one.",
    note: "a row without `users:(…)` is an orphan (the application closed it); Linux keeps an orphaned FIN_WAIT_2 as a timewait minisocket, so it shows `timer:(timewait,…)` and dies after tcp_fin_timeout. A FIN_WAIT_2 still held by a process has no such limit.",
    source: "Linux tcp_close() → tcp_time_wait(sk, TCP_FIN_WAIT2, tmo) in net/ipv4/tcp.c",
  },
  {
    command: "ss -tno state time-wait",
    shows: "each TIME_WAIT socket with the time it has left, e.g. `timer:(timewait,52sec,0)`.",
    note: `on Linux the time left never exceeds ${PROFILES.linux.timeWait} s: TCP_TIMEWAIT_LEN is fixed when the kernel is compiled, no sysctl changes it.`,
    source: "include/net/tcp.h TCP_TIMEWAIT_LEN; ss(8) -o, --options",
  },
  {
    command: "nstat -az TcpExtTCPAbortOnClose TcpExtTCPAbortOnData TcpExtTCPTimeWaitOverflow",
    shows: "three counters since boot: RSTs sent by close() with unread data, RSTs sent by an abort (SO_LINGER 0 and others), and TIME_WAIT sockets destroyed because tcp_max_tw_buckets was full.",
    note: "`-a` prints absolute values (without it nstat prints the change since its last run), `-z` keeps zero counters. Run it before and after an experiment and subtract.",
    source: "nstat(8); Linux LINUX_MIB_TCPABORTONCLOSE / TCPABORTONDATA in tcp_close(), TCPTIMEWAITOVERFLOW in tcp_time_wait()",
  },
  {
    command: "netstat -ant | awk '{print $6}' | sort | uniq -c",
    shows: "the state counts, plus two words that are not states: `Foreign` and `established)`.",
    note: "net-tools prints two header lines (`Active Internet connections (servers and established)` and `Proto Recv-Q Send-Q Local Address Foreign Address State`); their sixth words are counted as if they were states. Use the ss line above.",
    source: "net-tools netstat -ant output, observed on this machine",
    pitfall: true,
  },
];

/** A sysctl under /proc/sys/net/ipv4/, with what it really changes. */
export interface CheatSysctl {
  /** e.g. "tcp_fin_timeout" (net.ipv4.tcp_fin_timeout). */
  readonly name: string;
  /** The kernel's default, as /proc/sys prints it. */
  readonly defaultValue: string;
  /** What it really does. */
  readonly effect: string;
  /** What it is often believed to do, and does not. */
  readonly notEffect?: string;
  /** Documentation and the kernel function that reads it. */
  readonly source: string;
  /** True when the file no longer exists on current kernels. */
  readonly removed?: boolean;
}

/** Where the sysctls live. */
export const SYSCTL_DIR = "/proc/sys/net/ipv4";

const DOC = "Documentation/networking/ip-sysctl.rst";

export const CHEAT_SYSCTLS: readonly CheatSysctl[] = [
  {
    name: "tcp_fin_timeout",
    defaultValue: String(PROFILES.linux.finWait2Timeout),
    effect: "how long an orphaned FIN_WAIT_2 socket (closed by its application, waiting for the peer's FIN) lives, in seconds.",
    notEffect: `it does not shorten TIME_WAIT, which stays ${PROFILES.linux.timeWait} s (TCP_TIMEWAIT_LEN).`,
    source: `${DOC}; tcp_fin_time() in include/net/tcp.h, used by tcp_close() in net/ipv4/tcp.c`,
  },
  {
    name: "tcp_tw_reuse",
    defaultValue: "2",
    effect: "lets a new OUTGOING connect() take the 4-tuple of a TIME_WAIT socket, only with TCP timestamps on and only when the TIME_WAIT entry is older than tcp_tw_reuse_delay. 0 off, 1 on, 2 on for loopback only.",
    notEffect: "it does nothing for a server's accepted connections, and never reuses an orphaned FIN_WAIT_2.",
    source: `${DOC}; tcp_twsk_unique() in net/ipv4/tcp_ipv4.c`,
  },
  {
    name: "tcp_tw_reuse_delay",
    defaultValue: "1000",
    effect: "the minimum age, in milliseconds, of a TIME_WAIT entry before tcp_tw_reuse may take its 4-tuple (older kernels: a fixed 1 s).",
    source: `${DOC}; tcp_twsk_unique() in net/ipv4/tcp_ipv4.c`,
  },
  {
    name: "tcp_tw_recycle",
    defaultValue: "(absent)",
    effect: "removed in Linux 4.12: it dropped SYNs from clients behind one NAT whose timestamps were not in step.",
    notEffect: "there is nothing to turn on; advice to set it is out of date.",
    source: "Linux commit \"tcp: remove tcp_tw_recycle\" (v4.12)",
    removed: true,
  },
  {
    name: "tcp_max_tw_buckets",
    defaultValue: "depends on memory",
    effect: "the most TIME_WAIT sockets the system holds; past it a closing socket skips TIME_WAIT and is destroyed at once, and TcpExtTCPTimeWaitOverflow goes up by one.",
    notEffect: "current kernels log nothing when it overflows (the counter is the only trace).",
    source: `${DOC}; inet_twsk_alloc() in net/ipv4/inet_timewait_sock.c, tcp_time_wait() in net/ipv4/tcp_minisocks.c`,
  },
  {
    name: "ip_local_port_range",
    defaultValue: "32768 60999",
    effect: "the ephemeral ports connect() and bind(port 0) choose from: 28 232 of them by default, per destination address and port.",
    notEffect: "widening it down to 1024 lets ephemeral ports collide with services that listen later; protect those with ip_local_reserved_ports.",
    source: `${DOC}; __inet_hash_connect() in net/ipv4/inet_hashtables.c`,
  },
  {
    name: "ip_local_reserved_ports",
    defaultValue: "(empty)",
    effect: "ports (lists and ranges) that the ephemeral choice skips; an explicit bind() to them still works.",
    source: `${DOC}; inet_is_local_reserved_port() in include/net/ip.h`,
  },
  {
    name: "tcp_rfc1337",
    defaultValue: "0",
    effect: "1: a TIME_WAIT socket ignores a RST (RFC 1337's fix for TIME_WAIT assassination). 0, the default: an acceptable RST kills the TIME_WAIT socket, as RFC 9293 §3.10.7.4 says.",
    source: `${DOC}; tcp_timewait_state_process() in net/ipv4/tcp_minisocks.c`,
  },
  {
    name: "tcp_keepalive_time",
    defaultValue: "7200",
    effect: "seconds of silence before the first keepalive probe, for sockets with SO_KEEPALIVE only; the probes also run in CLOSE_WAIT.",
    notEffect: "it applies to no socket that did not ask for keepalive.",
    source: `${DOC}; tcp_keepalive_timer() in net/ipv4/tcp_timer.c`,
  },
  {
    name: "tcp_keepalive_intvl",
    defaultValue: "75",
    effect: "seconds between unanswered keepalive probes.",
    source: `${DOC}; tcp_keepalive_timer() in net/ipv4/tcp_timer.c`,
  },
  {
    name: "tcp_keepalive_probes",
    defaultValue: "9",
    effect: "unanswered probes before the connection is dropped (the application then gets ETIMEDOUT).",
    source: `${DOC}; tcp_keepalive_timer() in net/ipv4/tcp_timer.c`,
  },
  {
    name: "tcp_orphan_retries",
    defaultValue: "0",
    effect: "retransmissions before an orphaned socket (closed by its application, FIN unacknowledged) is given up; 0 means 8.",
    source: `${DOC}; tcp_orphan_retries() in net/ipv4/tcp_timer.c`,
  },
  {
    name: "tcp_max_orphans",
    defaultValue: "depends on memory",
    effect: "the most orphaned sockets the system keeps; past it, orphans are reset at once (\"too many orphaned sockets\").",
    source: `${DOC}; tcp_too_many_orphans() and tcp_out_of_resources() in net/ipv4/tcp_timer.c`,
  },
];

/** A common misconception and its one-line correction. */
export interface CheatMisconception {
  readonly myth: string;
  readonly correction: string;
  readonly source: string;
  /** The chapter notebook that shows it, e.g. "05-abnormal-close.ipynb". */
  readonly chapter: string;
}

export const CHEAT_MISCONCEPTIONS: readonly CheatMisconception[] = [
  {
    myth: "A crashed process makes its peer receive a RST.",
    correction: "the kernel closes a dead process's sockets normally, with a FIN; only unread data turns that into a RST. A crashed HOST sends nothing at all.",
    source: "Linux tcp_close() in net/ipv4/tcp.c; RFC 9293 §3.5.1 (half-open connections)",
    chapter: "05-abnormal-close.ipynb",
  },
  {
    myth: "The client enters TIME_WAIT (or: TIME_WAIT happens on the server only).",
    correction: "the side that sends the first FIN (the active closer) enters TIME_WAIT, client or server; in a simultaneous close both do.",
    source: "RFC 9293 §3.6, Figs. 12 and 13",
    chapter: "04-time-wait.ipynb",
  },
  {
    myth: "TIME_WAIT lasts 4 minutes.",
    correction: `2MSL is 4 minutes with RFC 9293's MSL of 2 minutes; Linux waits ${PROFILES.linux.timeWait} s (TCP_TIMEWAIT_LEN), whatever the sysctls say.`,
    source: "RFC 9293 §3.4.2; include/net/tcp.h",
    chapter: "04-time-wait.ipynb",
  },
  {
    myth: "Turn on tcp_tw_recycle to get rid of TIME_WAIT.",
    correction: "it was removed in Linux 4.12, because it broke clients behind NAT.",
    source: "Linux commit \"tcp: remove tcp_tw_recycle\" (v4.12)",
    chapter: "04-time-wait.ipynb",
  },
  {
    myth: "tcp_fin_timeout shortens TIME_WAIT.",
    correction: "it limits orphaned FIN_WAIT_2 sockets only; TIME_WAIT's length is compiled in.",
    source: "Documentation/networking/ip-sysctl.rst; tcp_close() in net/ipv4/tcp.c",
    chapter: "04-time-wait.ipynb",
  },
  {
    myth: "tcp_tw_reuse helps a busy server.",
    correction: "it applies to outgoing connect() only, needs timestamps, and waits tcp_tw_reuse_delay.",
    source: "tcp_twsk_unique() in net/ipv4/tcp_ipv4.c",
    chapter: "04-time-wait.ipynb",
  },
  {
    myth: "A close always takes four segments.",
    correction: "it is four messages (two FINs, two ACKs); on the wire often three, when the ACK rides on the second FIN, and an abort is a single RST.",
    source: "RFC 9293 §3.6; Linux delayed ACK (tcp_send_delayed_ack() in net/ipv4/tcp_output.c)",
    chapter: "02-why-four-not-three.ipynb",
  },
  {
    myth: "A RST means the peer crashed.",
    correction: "a RST means \"I have no valid connection for this\" (no listener, lost state after a reboot) or \"I am aborting\" (SO_LINGER 0, unread data).",
    source: "RFC 9293 §3.5.2",
    chapter: "05-abnormal-close.ipynb",
  },
  {
    myth: "CLOSE_WAIT times out by itself.",
    correction: "CLOSE_WAIT ends only when the application calls close(); with SO_KEEPALIVE, or on a write, the socket can be reset once the peer is gone, but the file descriptor leaks either way.",
    source: "RFC 9293 §3.10.4; tcp_keepalive_timer() in net/ipv4/tcp_timer.c",
    chapter: "05-abnormal-close.ipynb",
  },
  {
    myth: "Waiting 2MSL guarantees that every old segment is gone.",
    correction: "2MSL is designed to outlast old duplicates if segments live at most MSL, but nothing enforces MSL (TTL counts hops); today random ISNs and PAWS timestamps do the protecting.",
    source: "RFC 9293 §3.4.2; RFC 7323 §5 (PAWS); comment in net/ipv4/tcp_minisocks.c",
    chapter: "04-time-wait.ipynb",
  },
  {
    myth: "A TIME_WAIT socket is expensive.",
    correction: "it is a minisocket of a few hundred bytes, about a tenth of a full socket; the real limit is 4-tuples, i.e. ephemeral ports (EADDRNOTAVAIL).",
    source: "struct inet_timewait_sock (include/net/inet_timewait_sock.h); /proc/slabinfo tw_sock_TCP",
    chapter: "04-time-wait.ipynb",
  },
  {
    myth: "`netstat -ant | awk '{print $6}' | sort | uniq -c` counts the states.",
    correction: "it also counts the header words `Foreign` and `established)`; use `ss -tan | awk 'NR>1{print $1}' | sort | uniq -c`.",
    source: "net-tools netstat output (two header lines)",
    chapter: "06-lifecycle-monitor.ipynb",
  },
];

// ---------------------------------------------------------------------------------------------
// Renderers

/** Text inside a markdown table cell: a `|` would end the cell. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The commands as a markdown list: command, what it shows, the trap, the source. */
export function renderCommandsMarkdown(commands: readonly CheatCommand[] = CHEAT_COMMANDS): string {
  return commands
    .map((c) => `- ${c.pitfall === true ? "**Pitfall:** " : ""}\`${c.command}\`: ${c.shows} ${capitalise(c.note)} *(${c.source})*`)
    .join("\n");
}

/** A sysctl's value as read on a machine: the text, or null when the file does not exist. */
export type SysctlValues = Readonly<Record<string, string | null>>;

/**
 * Reads every cheat-sheet sysctl with the reader given (a notebook passes one built on
 * `readFileSync`); a file that cannot be read (removed, or no /proc) is null.
 */
export function readSysctls(read: (path: string) => string, sysctls: readonly CheatSysctl[] = CHEAT_SYSCTLS): SysctlValues {
  const values: Record<string, string | null> = {};
  for (const s of sysctls) {
    try {
      values[s.name] = read(`${SYSCTL_DIR}/${s.name}`).trim().replace(/\s+/g, " ");
    } catch {
      values[s.name] = null;
    }
  }
  return values;
}

/** The sysctls as a markdown table; with `live`, a column of this machine's values. */
export function renderSysctlsMarkdown(live?: SysctlValues, sysctls: readonly CheatSysctl[] = CHEAT_SYSCTLS): string {
  const head = live === undefined
    ? "| sysctl (net.ipv4.) | default | what it really does | source |\n|---|---|---|---|"
    : "| sysctl (net.ipv4.) | default | here | what it really does | source |\n|---|---|---|---|---|";
  const rows = sysctls.map((s) => {
    const effect = s.notEffect === undefined ? s.effect : `${s.effect} **Not:** ${s.notEffect}`;
    const here = live === undefined ? [] : [liveText(live[s.name])];
    return `| ${[`\`${s.name}\``, s.defaultValue, ...here, capitalise(effect), s.source].map(cell).join(" | ")} |`;
  });
  return `${head}\n${rows.join("\n")}`;
}

function liveText(v: string | null | undefined): string {
  if (v === undefined) return "not read";
  if (v === null) return "(no such file)";
  return v === "" ? "(empty)" : `\`${v}\``;
}

/** The misconceptions as a markdown list: the belief, its correction, the source and chapter. */
export function renderMisconceptionsMarkdown(list: readonly CheatMisconception[] = CHEAT_MISCONCEPTIONS): string {
  return list
    .map((m) => `- ✗ ${m.myth}\n  ✓ ${capitalise(m.correction)} *(${m.source}; [chapter ${m.chapter.slice(0, 2)}](${m.chapter}))*`)
    .join("\n");
}

function capitalise(s: string): string {
  return s === "" ? s : s[0]!.toUpperCase() + s.slice(1);
}

/**
 * What `uniq -c` printed ("  13 TIME_WAIT" lines) → the counted words that are not TCP state
 * names in any tool's spelling: the header words a pipeline counted by mistake.
 */
export function wordsThatAreNotStates(uniqOutput: string): { word: string; count: number }[] {
  const out: { word: string; count: number }[] = [];
  for (const line of uniqOutput.split("\n")) {
    const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(line);
    if (m === null) continue;
    if (stateFromName(m[2]!) === undefined) out.push({ word: m[2]!, count: Number(m[1]) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Material for the self-test (chapter 07's exercises read these; the notebook prints them).

/**
 * `ss -tanp` on a sick server (made up for the exercise, in ss's real format): a listener on
 * :8080 held by node (pid 4242), healthy ESTAB connections of an nginx front end (pid 900),
 * TIME-WAIT sockets, and CLOSE-WAIT sockets with unread bytes. Deterministic: the same text
 * every time.
 */
export const SICK_SERVER_SS_TANP: string = (() => {
  const head = "State      Recv-Q Send-Q   Local Address:Port      Peer Address:Port  Process";
  const rows: string[] = [
    `LISTEN     0      511            0.0.0.0:8080           0.0.0.0:*      users:(("node",pid=4242,fd=18))`,
    `LISTEN     0      511            0.0.0.0:443            0.0.0.0:*      users:(("nginx",pid=900,fd=6))`,
  ];
  for (let i = 0; i < 6; i++) {
    rows.push(`ESTAB      0      0            10.0.0.5:443         10.0.7.${20 + i}:${40100 + i * 7}  users:(("nginx",pid=900,fd=${30 + i}))`);
  }
  for (let i = 0; i < 9; i++) {
    rows.push(`TIME-WAIT  0      0            10.0.0.5:443         10.0.8.${10 + i}:${33000 + i * 17}`);
  }
  for (let i = 0; i < 5; i++) {
    rows.push(`CLOSE-WAIT ${1 + i * 37}     0           127.0.0.1:8080       127.0.0.1:${52000 + i * 11}  users:(("node",pid=4242,fd=${40 + i}))`);
  }
  return `${[head, ...rows].join("\n")}\n`;
})();

/** `ss -tan state time-wait` (header included, State column absent), as in the exercise on counting. */
export const TIME_WAIT_LISTING: string = [
  "Recv-Q Send-Q Local Address:Port  Peer Address:Port Process",
  "0      0          127.0.0.1:57147    127.0.0.1:45787",
  "0      0          127.0.0.1:55456    127.0.0.1:40529",
  "0      0          127.0.0.1:49322    127.0.0.1:8080",
  "0      0          127.0.0.1:49336    127.0.0.1:8080",
].join("\n") + "\n";
