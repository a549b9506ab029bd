#!/usr/bin/env python3
"""
Runs one parsed packetdrill script against the real Linux kernel, the way packetdrill does:
the script plays the remote peer through a TUN device, and its system calls run on real
sockets. Standard library only; needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and /dev/net/tun.

Input (stdin, one JSON document): the events of a Script from src/packetdrill/parse.ts,
    {"file": str, "events": [{"line": n, "text": str, "time": {...}, "body": {...}}, ...],
     "toleranceUsecs": int}
Output (stdout, one JSON line):
    {"passed": bool, "failure": null | {"line", "expected", "actual", "reason"},
     "skipped": [{"line", "text", "reason"}], "log": ["t=0.000 > S 0:0(0) ...", ...]}
Exit status: 0 whether or not the script passed; 2 on malformed input; 3 when the
environment cannot run scripts (no namespace, no TUN device). `--probe` only checks the
environment and prints {"ok": true} or {"ok": false, "reason": ...}.

Isolation: the process first moves itself into a fresh network namespace (unshare(2) with
CLONE_NEWNET), so nothing touches the host network. Inside it: `lo` up, a TUN device `tun0`
(MTU 1500) with the kernel side 192.168.0.1/24 and the remote peer 192.0.2.1 routed via
tun0, like packetdrill's defaults. No sysctl is changed except IPv6 being disabled on new
devices (so tun0 stays quiet). The namespace, the device and every socket go away when the
process exits; at the end, sockets still open are closed abortively (SO_LINGER 0), as
packetdrill resets its connections.

Script conventions (what a script must look like for this executor):
  * ONE connection per script. All TCP segments the kernel sends to 192.0.2.1 belong to it.
  * Listener script: the kernel side binds 192.168.0.1:8080 (bind's arguments are `...`),
    the peer is 192.0.2.1:53000:
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        +0   bind(3, ..., ...) = 0
        +0   listen(3, 1) = 0
        +0   < S 0:0(0) win 65535 <mss 1460>
        +0   > S. 0:0(0) ack 1 <...>
        +0.01 < . 1:1(0) ack 1 win 65535
        +0   accept(3, ..., ...) = 4
  * Client script: connect() goes to 192.0.2.1:8080; the kernel's port is learnt from its SYN:
        0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0   fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
        +0   connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
        +0   > S 0:0(0) <...>
        +0   < S. 0:0(0) ack 1 win 65535 <mss 1460>
        +0   > . 1:1(0) ack 1
  * Relative numbers as in packetdrill: each side's ISN is 0. Inbound seq is relative to the
    script's ISN (random per run), inbound ack to the kernel's ISN (learnt from its SYN or
    SYN+ACK; 0 before that, so e.g. a bare ACK to a listener carries the absolute ack it
    names). Outbound seq is relative to the kernel's ISN, outbound ack to the script's ISN.
  * Inbound: `win` defaults to 65535; options mss, wscale, sackOK, nop, eol, TS (raw val/ecr),
    sack (blocks relative to the kernel's ISN) are encoded; payload is zeros.
  * Outbound lines are compared on flags, seq, ack (when written) and payload length; window
    and options are NOT compared (write `<...>` or nothing, never `win`).
  * System calls: socket, setsockopt (SO_REUSEADDR, SO_LINGER {onoff, linger}, SO_RCVBUF,
    TCP_NODELAY and other integer options), getsockopt (SO_ERROR compared with [ERRNO] or
    [0]; integer options with [N]), fcntl (F_SETFL / F_GETFL), bind, listen, accept,
    connect, write/send (N zero bytes), read/recv (N bytes), shutdown, close. Script fd
    numbers are the script's own (mapped to real fds). Any other call fails the script.
  * Timing as packetdrill: absolute times from script start; `+d` after the previous event's
    actual time (after its script time when both are inbound packets); `*` any time (an
    outbound packet is awaited at most ANY_WAIT_SECS); `a~b` ranges; `a...b` blocking calls
    run in a thread (the script goes on once the call sleeps in the kernel) and must return
    within tolerance of b. A call without `...` runs in the main thread and must return at
    once (a SIGALRM after NONBLOCKING_LIMIT_SECS fails the script). Like packetdrill, the
    process takes the lowest SCHED_RR priority on multi-CPU machines so a busy machine
    does not delay its events; an inbound packet or call that still starts late is only
    logged as a warning (the kernel's replies are timed from when it actually happened).
  * An outbound segment must arrive within [t - tolerance, t + tolerance]. A segment the
    kernel sent that no `>` line consumed fails the script at the next inbound packet or
    system call ("unexpected outbound packet"), and after the last event (waited for
    ~tolerance). Shell commands, python blocks and other skipped events are listed, not run.
  * Bounds: scripts longer than MAX_SCRIPT_SECS of script time are refused; the whole run
    is capped at WALL_CLOCK_SECS.
  * Linux rate-limits out-of-window and challenge ACKs to one per 500 ms per socket
    (net.ipv4.tcp_invalid_ratelimit): space such probes at least 0.5 s apart.
"""
import ctypes
import errno
import fcntl
import json
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

LOCAL_IP = "192.168.0.1"
REMOTE_IP = "192.0.2.1"
LOCAL_PORT = 8080  # the listener's port, and the remote port a client connects to
REMOTE_PORT = 53000  # the peer's port in a listener script
TUN_NAME = "tun0"
MTU = 1500
MAX_SCRIPT_SECS = 120.0
WALL_CLOCK_SECS = 150
ANY_WAIT_SECS = 30.0
NONBLOCKING_LIMIT_SECS = 0.5
CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 1, 2, 4, 8, 16, 32, 64, 128
FLAG_BITS = {"FIN": FIN, "SYN": SYN, "RST": RST, "PSH": PSH, "ACK": ACK, "URG": URG, "ECE": ECE, "CWR": CWR}
FLAG_ORDER = ((FIN, "F"), (SYN, "S"), (RST, "R"), (PSH, "P"), (URG, "U"), (ECE, "E"), (CWR, "W"), (ACK, "."))
U32 = 0xFFFFFFFF


class Failure(Exception):
    def __init__(self, line, expected, actual, reason):
        super().__init__(reason)
        self.info = {"line": line, "expected": expected, "actual": actual, "reason": reason}


class Malformed(Exception):
    pass


class WallClock(Exception):
    pass


# ---------------------------------------------------------------- environment


def enter_netns():
    if hasattr(os, "unshare"):  # Python 3.12+
        os.unshare(CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "unshare(CLONE_NEWNET): " + os.strerror(e))


def ip(*args):
    r = subprocess.run(["ip", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise OSError(0, "ip %s: %s" % (" ".join(args), r.stderr.strip()))


def setup_network():
    """Inside the fresh namespace: lo, tun0 and the route to the peer. Returns the tun fd."""
    try:
        with open("/proc/sys/net/ipv6/conf/default/disable_ipv6", "w") as f:
            f.write("1")
    except OSError:
        pass
    ip("link", "set", "lo", "up")
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", TUN_NAME.encode(), IFF_TUN | IFF_NO_PI))
    ip("addr", "add", LOCAL_IP + "/24", "dev", TUN_NAME)
    ip("link", "set", TUN_NAME, "mtu", str(MTU), "up")
    ip("route", "add", "192.0.2.0/24", "dev", TUN_NAME)
    os.set_blocking(fd, False)
    time.sleep(0.05)
    while True:  # anything the stack sent while the device came up
        try:
            os.read(fd, 65536)
        except BlockingIOError:
            break
    return fd


def realtime_priority():
    """As packetdrill: the lowest real-time round-robin priority when there is more than one
    CPU, so that a busy machine does not delay events by milliseconds. The loop never spins
    (it sleeps in select), and the kernel's RT throttling bounds it anyway."""
    if (os.cpu_count() or 1) <= 1:
        return
    try:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(os.sched_get_priority_min(os.SCHED_RR)))
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------- packets


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def build_packet(sport, dport, seq, ack, flags, win, opts, payload):
    while len(opts) % 4:
        opts += b"\0"  # EOL padding
    th = struct.pack("!HHIIBBHHH", sport, dport, seq & U32, ack & U32, ((20 + len(opts)) // 4) << 4, flags, win, 0, 0) + opts
    pseudo = socket.inet_aton(REMOTE_IP) + socket.inet_aton(LOCAL_IP) + struct.pack("!BBH", 0, 6, len(th) + len(payload))
    th = th[:16] + struct.pack("!H", checksum(pseudo + th + payload)) + th[18:]
    total = 20 + len(th) + len(payload)
    ih = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, random.getrandbits(16), 0x4000, 64, 6, 0,
                     socket.inet_aton(REMOTE_IP), socket.inet_aton(LOCAL_IP))
    ih = ih[:10] + struct.pack("!H", checksum(ih)) + ih[12:]
    return ih + th + payload


def parse_packet(b, t):
    """An IPv4 TCP segment from the kernel to the peer, or None."""
    if len(b) < 40 or b[0] >> 4 != 4 or b[9] != 6:
        return None
    ihl = (b[0] & 15) * 4
    total = struct.unpack("!H", b[2:4])[0]
    if socket.inet_ntoa(b[16:20]) != REMOTE_IP:
        return None
    tcp = b[ihl:total]
    sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", tcp[:16])
    hl = (off >> 4) * 4
    return {"sport": sport, "dport": dport, "seq": seq, "ack": ack, "flags": flags, "win": win,
            "opts": tcp[20:hl], "len": len(tcp) - hl, "t": t}


def flag_text(flags):
    return "".join(c for bit, c in FLAG_ORDER if flags & bit) or "-"


def decode_options(o, sack_base):
    out, i = [], 0
    while i < len(o):
        k = o[i]
        if k == 0:
            out.append("eol")
            break
        if k == 1:
            out.append("nop")
            i += 1
            continue
        if i + 1 >= len(o) or o[i + 1] < 2:
            out.append("?")
            break
        n = o[i + 1]
        v = o[i + 2:i + n]
        if k == 2 and n == 4:
            out.append("mss %d" % struct.unpack("!H", v)[0])
        elif k == 3 and n == 3:
            out.append("wscale %d" % v[0])
        elif k == 4:
            out.append("sackOK")
        elif k == 8 and n == 10:
            out.append("TS val %d ecr %d" % struct.unpack("!II", v))
        elif k == 5:
            blocks = [struct.unpack("!II", v[j:j + 8]) for j in range(0, len(v) - 7, 8)]
            out.append("sack " + " ".join("%d:%d" % ((a - sack_base) & U32, (b - sack_base) & U32) for a, b in blocks))
        else:
            out.append("opt%d" % k)
        i += n
    return ",".join(out)


def encode_options(options, kernel_isn):
    b = b""
    for o in options:
        k = o.get("kind")
        if k == "mss":
            b += struct.pack("!BBH", 2, 4, o["value"])
        elif k == "wscale":
            b += struct.pack("!BBB", 3, 3, o["value"])
        elif k == "sackOK":
            b += b"\x04\x02"
        elif k == "nop":
            b += b"\x01"
        elif k == "eol":
            b += b"\x00"
        elif k == "TS":
            b += struct.pack("!BBII", 8, 10, o["val"] & U32, o["ecr"] & U32)
        elif k == "sack":
            blocks = o["blocks"]
            b += struct.pack("!BB", 5, 2 + 8 * len(blocks))
            for left, right in blocks:
                b += struct.pack("!II", (kernel_isn + left) & U32, (kernel_isn + right) & U32)
        else:
            raise ValueError("TCP option %r cannot be encoded" % o.get("text", k))
    if len(b) > 40:
        raise ValueError("TCP options longer than 40 bytes")
    return b


# ---------------------------------------------------------------- script text


def fmt_arg(a):
    k = a.get("kind")
    if k == "number":
        return str(a["value"])
    if k == "symbol":
        return a["name"]
    if k == "flags":
        return "|".join(a["names"])
    if k == "ellipsis":
        return "..."
    if k == "string":
        return '"%s"' % a["value"]
    if k == "array":
        return "[" + ", ".join(fmt_arg(x) for x in a["items"]) + "]"
    if k == "struct":
        return "{" + ", ".join("%s=%s" % (f["name"], fmt_arg(f["value"])) for f in a["fields"]) + "}"
    return "?"


def fmt_call(body):
    return "%s(%s)" % (body["name"], ", ".join(fmt_arg(a) for a in body["args"]))


def fmt_result(ret, err):
    return "-1 %s" % errno.errorcode.get(err, str(err)) if ret == -1 and err else str(ret)


def fmt_expected_packet(body):
    text = "%s %s %d:%d(%d)" % ("<" if body["direction"] == "inbound" else ">", body["flagText"], body["seq"], body["end"], body["len"])
    if body.get("ack") is not None:
        text += " ack %d" % body["ack"]
    return text


def flags_of(body):
    bits = 0
    for name, bit in FLAG_BITS.items():
        if body["flags"].get(name):
            bits |= bit
    return bits


# ---------------------------------------------------------------- system calls


def resolve(name):
    for mod in (socket, os, fcntl, errno):
        v = getattr(mod, name, None)
        if isinstance(v, int):
            return v
    if name == "SOL_TCP":
        return socket.IPPROTO_TCP
    raise Failure(None, None, None, "unknown symbol %s" % name)


def int_arg(a, what):
    k = a.get("kind")
    if k == "number":
        return a["value"]
    if k == "symbol":
        return resolve(a["name"])
    if k == "flags":
        v = 0
        for n in a["names"]:
            v |= resolve(n)
        return v
    if k == "array" and len(a["items"]) == 1:
        return int_arg(a["items"][0], what)
    raise Failure(None, None, None, "expected a number for %s, got %s" % (what, fmt_arg(a)))


class CallBlocked(BaseException):
    """Raised by SIGALRM when a call run in the main thread does not return in time."""


def on_alarm(signum, frame):
    raise CallBlocked()


class Call:
    """One system call: run in the main thread (`run`), or for `start...end` in its own thread (`start`)."""

    def __init__(self, runner, event, body, start_t, end_t):
        self.runner, self.event, self.body = runner, event, body
        self.start_t, self.end_t = start_t, end_t  # script times; end_t only for blocking calls
        self.done = False
        self.ret, self.err, self.value, self.problem = None, 0, None, None
        self.returned_at = None
        self.tid = None

    def run(self):
        try:
            self.ret, self.value = self.runner.syscall(self.body)
        except OSError as e:
            self.ret, self.err = -1, e.errno or 0
        except Failure as f:
            self.problem = f.info["reason"]
        except Exception as e:  # a bug or unsupported argument: reported, never a hang
            self.problem = "%s: %s" % (type(e).__name__, e)
        self.returned_at = self.runner.now()
        self.done = True

    def start(self):
        threading.Thread(target=self.threaded, daemon=True).start()

    def threaded(self):
        self.tid = threading.get_native_id()
        self.run()
        try:
            os.write(self.runner.wake_w, b"x")
        except OSError:
            pass

    def sleeping_in_kernel(self):
        """Whether the thread sleeps inside the system call (not on the interpreter's lock)."""
        if self.tid is None:
            return False
        try:
            with open("/proc/self/task/%d/wchan" % self.tid) as f:
                wchan = f.read().strip()
            with open("/proc/self/task/%d/stat" % self.tid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state in ("S", "D") and wchan not in ("", "0") and "futex" not in wchan


class Runner:
    def __init__(self, doc, tun):
        self.file = doc["file"]
        self.events = doc["events"]
        self.tol = doc["toleranceUsecs"] / 1e6
        self.tun = tun
        self.script_isn = random.getrandbits(32)
        self.kernel_isn = 0  # until learnt from the kernel's SYN / SYN+ACK
        self.kernel_port = None  # client scripts: the kernel's ephemeral port
        self.bound_port = LOCAL_PORT
        self.connected = False
        self.socks = {}  # script fd -> socket object
        self.pending = []  # kernel segments not yet matched by a `>` line
        self.log, self.skipped = [], []
        self.blocking = None  # the Call of a running `a...b` system call
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        self.t0 = None
        self.wall_deadline = time.monotonic() + WALL_CLOCK_SECS
        self.last = None  # (was an inbound packet, script time) of the previous timed event

    # ---- time and the TUN device

    def now(self):
        return time.monotonic() - self.t0

    def note(self, t, text):
        self.log.append("t=%.3f %s" % (t, text))

    def drain(self):
        while True:
            try:
                b = os.read(self.tun, 65536)
            except BlockingIOError:
                return
            p = parse_packet(b, self.now())
            if p is not None:
                self.pending.append(p)
                self.note(p["t"], "> " + self.describe(p, full=True) + "  (kernel)")

    def pump(self, deadline, stop=None):
        """Reads the device until `stop()` or the script time `deadline`; checks a running blocking call."""
        while True:
            if time.monotonic() > self.wall_deadline:
                raise WallClock()
            self.drain()
            self.check_blocking()
            if stop is not None and stop():
                return True
            left = deadline - self.now()
            if left <= 0:
                return False
            r, _, _ = select.select([self.tun, self.wake_r], [], [], min(left, 0.05))
            if self.wake_r in r:
                try:
                    os.read(self.wake_r, 256)
                except BlockingIOError:
                    pass

    def describe(self, p, full=False):
        rs = (p["seq"] - self.kernel_isn) & U32
        if p["flags"] & SYN and self.kernel_isn == 0:  # logged before its ISN is learnt: that ISN is 0
            rs = 0
        text = "%s %d:%d(%d)" % (flag_text(p["flags"]), rs, (rs + p["len"]) & U32, p["len"])
        if p["flags"] & ACK:
            text += " ack %d" % ((p["ack"] - self.script_isn) & U32)
        if full:
            text += " win %d" % p["win"]
            if p["opts"]:
                text += " <%s>" % decode_options(p["opts"], self.script_isn)
        return text

    # ---- timing

    def times(self, ev, inbound):
        """(script time, range end or None, blocking end or None, any) of an event."""
        t = ev["time"]
        start = t["start"]
        kind = start.get("kind")
        if kind == "absolute":
            offset = 0.0
        elif self.last is not None and self.last[0] and inbound:
            offset = self.last[1]  # consecutive inbound packets are anchored to script times
        else:
            offset = self.now()
        at = offset + (start.get("seconds", 0.0) if kind != "any" else 0.0)

        def spec(s):
            if s is None or s.get("kind") == "any":
                return None
            return s["seconds"] + (0.0 if s["kind"] == "absolute" else offset)

        return at, spec(t.get("rangeEnd")), spec(t.get("blockingEnd")), kind == "any"

    # ---- blocking calls

    def check_blocking(self):
        c = self.blocking
        if c is None:
            return
        line = c.event["line"]
        expected = "%s = %s" % (fmt_call(c.body), c.body["result"])
        if c.done:
            self.blocking = None
            self.note(c.returned_at, "%s = %s (blocking call returned)" % (fmt_call(c.body), self.got_text(c)))
            self.check_result(c, line)
            if abs(c.returned_at - c.end_t) > self.tol:
                raise Failure(line, expected, "returned at %.3f" % c.returned_at,
                              "timing: blocking call expected to return at %.3f got %.3f" % (c.end_t, c.returned_at))
        elif self.now() > c.end_t + self.tol:
            self.blocking = None
            raise Failure(line, expected, "still blocked at %.3f" % self.now(),
                          "timing: blocking call expected to return at %.3f, still blocked" % c.end_t)

    # ---- the run

    def run(self):
        self.t0 = time.monotonic()
        total = self.script_length()
        if total is not None:
            line, secs = total
            raise Failure(line, None, None, "script time %.1f s exceeds the limit of %.0f s" % (secs, MAX_SCRIPT_SECS))
        for ev in self.events:
            body = ev["body"]
            kind = body.get("kind")
            if kind == "skipped" or ev.get("time") is None:
                self.skipped.append({"line": ev["line"], "text": ev.get("text", ""), "reason": body.get("reason", "not run")})
                continue
            inbound = kind == "packet" and body["direction"] == "inbound"
            at, range_end, blocking_end, any_time = self.times(ev, inbound)
            if kind == "packet" and body["direction"] == "outbound":
                self.outbound(ev, body, at, range_end, any_time)
            elif kind in ("packet", "syscall"):
                self.pump(at)
                late = self.now() - at
                if late > max(self.tol, 0.02):
                    self.note(self.now(), "warning: line %d ran %.1f ms late" % (ev["line"], late * 1000))
                self.no_unexpected(ev)
                if kind == "packet":
                    self.inbound(ev, body)
                else:
                    self.call(ev, body, at, blocking_end)
            else:
                raise Malformed("line %s: unknown event kind %r" % (ev.get("line"), kind))
            self.last = (inbound, at)
        # the end: a blocking call still running, then stray output
        if self.blocking is not None:
            c = self.blocking
            self.pump(c.end_t + self.tol + 0.001, lambda: self.blocking is None)
        self.pump(self.now() + max(self.tol, 0.005))
        if self.events:
            self.no_unexpected(self.events[-1], after=True)

    def script_length(self):
        t = 0.0
        for ev in self.events:
            tm = ev.get("time")
            if not tm:
                continue
            s = tm["start"]
            base = 0.0 if s.get("kind") == "absolute" else t
            t = base + s.get("seconds", 0.0) if s.get("kind") != "any" else t
            end = t
            for key in ("rangeEnd", "blockingEnd"):
                e = tm.get(key)
                if e and e.get("kind") != "any":
                    end = max(end, e["seconds"] + (0.0 if e["kind"] == "absolute" else base))
            if max(t, end) > MAX_SCRIPT_SECS:
                return ev["line"], max(t, end)
        return None

    def no_unexpected(self, ev, after=False):
        self.drain()
        if self.pending:
            p = self.pending[0]
            where = "after the last event (line %d)" % ev["line"] if after else "before line %d" % ev["line"]
            raise Failure(ev["line"], "no outbound packet", "> " + self.describe(p),
                          "unexpected outbound packet at %.3f %s" % (p["t"], where))

    def outbound(self, ev, body, at, range_end, any_time):
        line = ev["line"]
        expected = fmt_expected_packet(body)
        hi = self.now() + ANY_WAIT_SECS if any_time else (range_end if range_end is not None else at) + self.tol
        if not self.pump(hi, lambda: bool(self.pending)):
            raise Failure(line, expected, "(none)",
                          "no outbound packet: expected at %.3f, none by %.3f" % (at, hi) if not any_time else
                          "no outbound packet within %.0f s" % ANY_WAIT_SECS)
        p = self.pending.pop(0)
        want = flags_of(body)
        if p["flags"] & SYN and want & SYN:  # learn the kernel's ISN (and a client's port)
            self.kernel_isn = (p["seq"] - body["seq"]) & U32
            if self.connected:
                self.kernel_port = p["sport"]
        actual = "> " + self.describe(p)
        if p["flags"] != want:
            raise Failure(line, expected, actual, "bad outbound TCP flags")
        if (p["seq"] - self.kernel_isn) & U32 != body["seq"]:
            raise Failure(line, expected, actual, "bad seq")
        if body.get("ack") is not None and (p["ack"] - self.script_isn) & U32 != body["ack"]:
            raise Failure(line, expected, actual, "bad ack")
        if p["len"] != body["len"]:
            raise Failure(line, expected, actual, "bad length")
        if not any_time:
            lo, top = at - self.tol, (range_end if range_end is not None else at) + self.tol
            if p["t"] < lo or p["t"] > top:
                want_t = "%.3f" % at if range_end is None else "%.3f~%.3f" % (at, range_end)
                raise Failure(line, expected, "%s at %.3f" % (actual, p["t"]),
                              "timing: expected at %s got %.3f" % (want_t, p["t"]))

    def inbound(self, ev, body):
        line = ev["line"]
        if self.connected:
            if self.kernel_port is None:
                raise Failure(line, fmt_expected_packet(body), None, "cannot send: the kernel's SYN (and so its port) was not seen yet")
            sport, dport = LOCAL_PORT, self.kernel_port
        else:
            sport, dport = REMOTE_PORT, self.bound_port
        flags = flags_of(body)
        ack = (self.kernel_isn + body["ack"]) & U32 if (flags & ACK and body.get("ack") is not None) else 0
        win = body.get("win", 65535)
        if win is None:
            win = 65535
        try:
            opts = encode_options(body.get("options") or [], self.kernel_isn)
            pkt = build_packet(sport, dport, self.script_isn + body["seq"], ack, flags, win, opts, bytes(body["len"]))
        except (ValueError, struct.error) as e:
            raise Failure(line, fmt_expected_packet(body), None, "cannot build the inbound packet: %s" % e)
        os.write(self.tun, pkt)
        text = fmt_expected_packet(body) + " win %d" % win
        if body.get("options"):
            text += " <%s>" % decode_options(opts, self.kernel_isn)
        self.note(self.now(), text)

    def call(self, ev, body, at, blocking_end):
        line = ev["line"]
        if self.blocking is not None:  # packetdrill runs one system call at a time
            c = self.blocking
            self.pump(c.end_t + self.tol + 0.001, lambda: self.blocking is None)
        if body["name"] == "connect":
            self.connected = True
        c = Call(self, ev, body, at, blocking_end)
        if blocking_end is not None:
            self.note(self.now(), "%s ... (blocking until %.3f)" % (fmt_call(body), blocking_end))
            self.blocking = c
            c.start()
            # as packetdrill: go on once the call sleeps in the kernel (or has returned)
            self.pump(self.now() + 0.05, lambda: c.done or c.sleeping_in_kernel())
            return
        signal.setitimer(signal.ITIMER_REAL, NONBLOCKING_LIMIT_SECS)
        try:
            c.run()
        except CallBlocked:
            raise Failure(line, "%s = %s" % (fmt_call(body), body["result"]), "blocked",
                          "system call blocked for %.1f s; a call without start...end must return at once" % NONBLOCKING_LIMIT_SECS)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        self.note(c.returned_at, "%s = %s" % (fmt_call(body), self.got_text(c)))
        self.check_result(c, line)

    @staticmethod
    def got_text(c):
        """What a finished call returned, as a script would write it (a new fd by the script's number)."""
        if c.problem is not None:
            return "(not run: %s)" % c.problem
        want = c.body["result"]
        if c.body["name"] in ("socket", "accept") and c.ret != -1:
            return "%d" % want if want >= 0 else "a new fd"
        return fmt_result(c.ret, c.err)

    def check_result(self, c, line):
        body = c.body
        want, want_errno = body["result"], body.get("errno")
        want_text = "-1 %s" % want_errno if want == -1 and want_errno else str(want)
        expected = "%s = %s" % (fmt_call(body), want_text)
        if c.problem is not None:
            raise Failure(line, expected, None, c.problem)
        new_fd = body["name"] in ("socket", "accept") and c.ret != -1
        got_text = self.got_text(c)
        got = "%s = %s" % (fmt_call(body), got_text)
        if c.ret == -1:
            ok = want == -1 and (want_errno is None or getattr(errno, want_errno, None) == c.err)
        else:
            ok = want >= 0 if new_fd else c.ret == want
        if not ok:
            raise Failure(line, expected, got, "syscall returned %s, expected %s" % (got_text, want_text))
        if new_fd:  # the result is the script's own number for the new fd
            self.socks[want] = c.value
            return
        if body["name"] == "getsockopt" and c.value is not None and len(body["args"]) > 3:
            opt, value = c.value
            exp = body["args"][3]
            if exp.get("kind") != "array" or len(exp["items"]) != 1 or exp["items"][0].get("kind") == "ellipsis":
                return
            want_value = int_arg(exp["items"][0], "the option value")
            if want_value != value:
                name = (lambda v: errno.errorcode.get(v, str(v)) if v else "0") if opt == socket.SO_ERROR else str
                raise Failure(line, expected, "%s value [%s]" % (fmt_call(body), name(value)),
                              "getsockopt value %s, expected %s" % (name(value), name(want_value)))

    # ---- the system calls themselves (run in a Call's thread)

    def sock(self, a):
        fd = int_arg(a, "the fd")
        s = self.socks.get(fd)
        if s is None:
            raise OSError(errno.EBADF, "unknown fd %d" % fd)
        return s

    def syscall(self, body):
        """(return value, extra) or raises OSError; extra: a new socket, or (option, value)."""
        name, args = body["name"], body["args"]

        def arg(i, what):
            if i >= len(args):
                raise Failure(None, None, None, "%s(): missing %s" % (name, what))
            return args[i]

        if name == "socket":
            dom = arg(0, "the domain")
            family = socket.AF_INET if dom.get("kind") == "ellipsis" else int_arg(dom, "the domain")
            if family != socket.AF_INET:
                raise Failure(None, None, None, "only AF_INET sockets are supported")
            typ = int_arg(arg(1, "the type"), "the type")
            proto = arg(2, "the protocol")
            proto = 0 if proto.get("kind") == "ellipsis" else int_arg(proto, "the protocol")
            s = socket.socket(family, typ, proto)
            return 0, s
        if name == "setsockopt":
            s = self.sock(arg(0, "the fd"))
            level, opt = int_arg(arg(1, "the level"), "the level"), int_arg(arg(2, "the option"), "the option")
            v = arg(3, "the value")
            if v.get("kind") == "struct":
                fields = {f["name"]: f["value"] for f in v["fields"]}
                on = fields.get("onoff", fields.get("l_onoff"))
                secs = fields.get("linger", fields.get("l_linger"))
                if on is None or secs is None:
                    raise Failure(None, None, None, "setsockopt(): a struct value must be {onoff=N, linger=N}")
                s.setsockopt(level, opt, struct.pack("ii", int_arg(on, "onoff"), int_arg(secs, "linger")))
            else:
                s.setsockopt(level, opt, int_arg(v, "the value"))
            return 0, None
        if name == "getsockopt":
            s = self.sock(arg(0, "the fd"))
            level, opt = int_arg(arg(1, "the level"), "the level"), int_arg(arg(2, "the option"), "the option")
            return 0, (opt, s.getsockopt(level, opt))
        if name == "fcntl":
            s = self.sock(arg(0, "the fd"))
            cmd = int_arg(arg(1, "the command"), "the command")
            if cmd == fcntl.F_SETFL:
                return fcntl.fcntl(s.fileno(), cmd, int_arg(arg(2, "the flags"), "the flags")), None
            if cmd == fcntl.F_GETFL:
                return fcntl.fcntl(s.fileno(), cmd), None
            raise Failure(None, None, None, "fcntl(): only F_SETFL and F_GETFL are supported")
        if name == "bind":
            s = self.sock(arg(0, "the fd"))
            s.bind((LOCAL_IP, LOCAL_PORT))
            self.bound_port = LOCAL_PORT
            return 0, None
        if name == "listen":
            self.sock(arg(0, "the fd")).listen(int_arg(arg(1, "the backlog"), "the backlog"))
            return 0, None
        if name == "accept":
            conn, _ = self.sock(arg(0, "the fd")).accept()
            return conn.fileno(), conn
        if name == "connect":
            r = self.sock(arg(0, "the fd")).connect_ex((REMOTE_IP, LOCAL_PORT))
            if r != 0:
                raise OSError(r, os.strerror(r))
            return 0, None
        if name in ("write", "send"):
            s = self.sock(arg(0, "the fd"))
            n = int_arg(arg(2, "the length"), "the length")
            if name == "write":
                return os.write(s.fileno(), bytes(n)), None
            flags = int_arg(args[3], "the flags") if len(args) > 3 else 0
            return s.send(bytes(n), flags | socket.MSG_NOSIGNAL), None
        if name in ("read", "recv"):
            s = self.sock(arg(0, "the fd"))
            n = int_arg(arg(2, "the length"), "the length")
            if name == "read":
                return len(os.read(s.fileno(), n)), None
            flags = int_arg(args[3], "the flags") if len(args) > 3 else 0
            return len(s.recv(n, flags)), None
        if name == "shutdown":
            self.sock(arg(0, "the fd")).shutdown(int_arg(arg(1, "how"), "how"))
            return 0, None
        if name == "close":
            fd = int_arg(arg(0, "the fd"), "the fd")
            s = self.socks.pop(fd, None)
            if s is None:
                raise OSError(errno.EBADF, "unknown fd %d" % fd)
            os.close(s.detach())
            return 0, None
        raise Failure(None, None, None, "system call %s() is not supported by the kernel executor" % name)

    def close_all(self):
        for s in list(self.socks.values()):
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        self.socks.clear()


# ---------------------------------------------------------------- main


def validate(doc):
    if not isinstance(doc, dict):
        raise Malformed("expected a JSON object")
    if not isinstance(doc.get("file", ""), str):
        raise Malformed("file must be a string")
    events = doc.get("events")
    if not isinstance(events, list):
        raise Malformed("events must be an array")
    tol = doc.get("toleranceUsecs", 4000)
    if not isinstance(tol, int) or isinstance(tol, bool) or not 0 <= tol <= 10_000_000:
        raise Malformed("toleranceUsecs must be an integer from 0 to 10000000")
    for i, ev in enumerate(events):
        if not isinstance(ev, dict) or not isinstance(ev.get("body"), dict):
            raise Malformed("event %d: expected {line, time, body}" % i)
        if "line" not in ev:
            ev["line"] = (ev.get("at") or {}).get("line", 0)
        if not isinstance(ev["line"], int):
            raise Malformed("event %d: line must be a number" % i)
        body = ev["body"]
        kind = body.get("kind")
        if kind not in ("packet", "syscall", "skipped"):
            raise Malformed("event %d (line %d): unknown body kind %r" % (i, ev["line"], kind))
        t = ev.get("time")
        if kind != "skipped" and (not isinstance(t, dict) or not isinstance(t.get("start"), dict)):
            raise Malformed("event %d (line %d): missing time" % (i, ev["line"]))
        if kind == "packet":
            for key in ("seq", "end", "len"):
                if not isinstance(body.get(key), int) or body[key] < 0:
                    raise Malformed("line %d: packet %s must be a non-negative integer" % (ev["line"], key))
            if body.get("direction") not in ("inbound", "outbound") or not isinstance(body.get("flags"), dict):
                raise Malformed("line %d: packet needs direction and flags" % ev["line"])
            if body["len"] > MTU - 40:
                raise Malformed("line %d: payload longer than %d bytes" % (ev["line"], MTU - 40))
            body.setdefault("flagText", flag_text(flags_of(body)))
        if kind == "syscall" and (not isinstance(body.get("name"), str) or not isinstance(body.get("args"), list)
                                  or not isinstance(body.get("result"), int)):
            raise Malformed("line %d: system call needs name, args and result" % ev["line"])
    doc["events"] = events
    doc["toleranceUsecs"] = tol
    doc.setdefault("file", "<script>")
    return doc


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def probe():
    try:
        if os.geteuid() != 0:
            raise OSError(errno.EPERM, "not root")
        enter_netns()
        os.close(setup_network())
        emit({"ok": True})
    except Exception as e:
        emit({"ok": False, "reason": "%s: %s" % (type(e).__name__, e)})
    return 0


def main():
    if sys.argv[1:] == ["--probe"]:
        return probe()
    try:
        doc = validate(json.loads(sys.stdin.read()))
    except (ValueError, Malformed) as e:
        emit({"passed": False, "failure": {"line": 0, "expected": None, "actual": None, "reason": "malformed input: %s" % e},
              "skipped": [], "log": []})
        return 2
    try:
        enter_netns()
        tun = setup_network()
    except Exception as e:
        emit({"passed": False, "failure": {"line": 0, "expected": None, "actual": None,
                                           "reason": "environment: %s: %s" % (type(e).__name__, e)}, "skipped": [], "log": []})
        return 3

    signal.signal(signal.SIGALRM, on_alarm)
    realtime_priority()
    runner = Runner(doc, tun)
    failure = None
    try:
        runner.run()
    except Failure as f:
        failure = f.info
        if failure["line"] is None:
            failure["line"] = 0
    except WallClock:
        failure = {"line": 0, "expected": None, "actual": None, "reason": "wall-clock limit of %d s reached" % WALL_CLOCK_SECS}
    except Malformed as e:
        failure = {"line": 0, "expected": None, "actual": None, "reason": "malformed input: %s" % e}
    runner.close_all()
    os.close(tun)
    emit({"passed": failure is None, "failure": failure, "skipped": runner.skipped, "log": runner.log})
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # blocked system call threads must not keep the process alive
