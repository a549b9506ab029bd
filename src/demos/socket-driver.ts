/**
 * A socket driver: a small python3 child that opens and drives sockets on request, one JSON
 * line per request and per reply. Node's `net` cannot do what some demos need: bind without
 * SO_REUSEADDR (libuv's uv__tcp_bind always sets it), set TCP_USER_TIMEOUT, TCP_KEEPIDLE,
 * TCP_KEEPINTVL, TCP_KEEPCNT or SO_LINGER, read the kernel's sequence numbers (TCP_REPAIR), or
 * run inside another network namespace (`ip netns exec NS python3 …`). python3's socket module
 * is a thin wrapper over the system calls, so each request is one call and its errno.
 *
 * Each request runs on its own thread, so a blocking read (waiting for ETIMEDOUT) does not hold
 * up the others. The child exits when its stdin closes, so it never outlives the demo, even when
 * the demo process is killed without running any cleanup.
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { DemoHarness } from "./harness.js";

/** The driver, in python3. Operations are named as the system calls they make. */
export const SOCKET_DRIVER_SCRIPT = String.raw`
import errno, json, os, socket, struct, sys, threading, time
TCP_REPAIR, TCP_REPAIR_QUEUE, TCP_QUEUE_SEQ = 19, 20, 21   # linux/tcp.h
RECV_QUEUE, SEND_QUEUE, REPAIR_OFF_NO_WP = 1, 2, -1
socks, reuse, lock = {}, set(), threading.Lock()

def emit(body):
    with lock:
        sys.stdout.write(json.dumps(body) + "\n")
        sys.stdout.flush()

def errname(e):
    if isinstance(e, OSError) and e.errno:
        return errno.errorcode.get(e.errno, str(e.errno))
    if isinstance(e, TimeoutError):
        return "WAIT_EXPIRED"   # our own wait ran out; the kernel reported nothing
    return type(e).__name__

def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET

def op_hello(a):
    return {"pid": os.getpid()}

def op_socket(a):
    s = socket.socket(family(a["host"]), socket.SOCK_STREAM)
    socks[a["s"]] = s
    if a.get("reuseaddr"):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        reuse.add(a["s"])
    return {}

def op_bind(a):
    s = socks[a["s"]]
    s.bind((a["host"], a["port"]))
    return {"port": s.getsockname()[1]}

def op_listen(a):
    socks[a["s"]].listen(16)
    return {}

def op_connect(a):
    s = socks[a["s"]]
    s.settimeout(a.get("timeout", 5))
    try:
        s.connect((a["host"], a["port"]))
    finally:
        s.settimeout(None)
    return {"port": s.getsockname()[1]}

def op_accept(a):
    s = socks[a["s"]]
    s.settimeout(a.get("timeout", 5))
    try:
        c, addr = s.accept()
    finally:
        s.settimeout(None)
    c.settimeout(None)
    socks[a["as"]] = c
    return {"port": addr[1]}

def op_setsockopt(a):
    s = socks[a["s"]]
    if "userTimeoutMs" in a:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, a["userTimeoutMs"])
    if "keepalive" in a:
        idle, intvl, cnt = a["keepalive"]
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, intvl)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, cnt)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    return {}

def op_send(a):
    return {"bytes": socks[a["s"]].send(b"x" * a["bytes"])}

def op_read(a):
    # Read until EOF (or "max" bytes), an error, or the wait runs out.
    s = socks[a["s"]]
    total = 0
    s.settimeout(a.get("timeout", 5))
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return {"bytes": total, "eof": True}
            total += len(d)
            if a.get("max") and total >= a["max"]:
                return {"bytes": total, "eof": False}
    except OSError as e:
        e.bytes = total
        raise
    finally:
        if a["s"] in socks:
            s.settimeout(None)

def op_seq(a):
    # TCP_REPAIR (CAP_NET_ADMIN) lets a socket's next sequence numbers be read: TCP_QUEUE_SEQ
    # is rcv_nxt for the receive queue and write_seq for the send queue (do_tcp_getsockopt).
    # Leaving repair mode sets sk_reuse to SK_NO_REUSE (do_tcp_setsockopt), so SO_REUSEADDR
    # is set again on a socket that had it.
    s = socks[a["s"]]
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    try:
        s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, RECV_QUEUE)
        rcv = s.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ) & 0xffffffff
        s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, SEND_QUEUE)
        snd = s.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ) & 0xffffffff
    finally:
        s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, REPAIR_OFF_NO_WP)
        if a["s"] in reuse:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return {"rcvNxt": rcv, "sndNxt": snd}

def op_close(a):
    s = socks.pop(a["s"])
    reuse.discard(a["s"])
    if a.get("linger0"):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return {}

OPS = {k[3:]: v for k, v in list(globals().items()) if k.startswith("op_")}

def handle(req):
    t0 = time.monotonic()
    try:
        body = dict(OPS[req["op"]](req), ok=True)
    except Exception as e:
        body = {"ok": False, "errno": errname(e), "message": str(e)}
        if hasattr(e, "bytes"):
            body["bytes"] = e.bytes
    body["id"] = req["id"]
    body["ms"] = round((time.monotonic() - t0) * 1000, 1)
    emit(body)

for line in sys.stdin:
    threading.Thread(target=handle, args=(json.loads(line),), daemon=True).start()
os._exit(0)
`;

/** One reply: `ok`, or the errno name (`EADDRINUSE`, `ETIMEDOUT` …; `WAIT_EXPIRED` when our own wait ran out). */
export interface DriverReply {
  readonly ok: boolean;
  readonly errno?: string;
  readonly message?: string;
  /** How long the call took, ms. */
  readonly ms: number;
  readonly pid?: number;
  /** bind/connect: the local port; accept: the peer's port. */
  readonly port?: number;
  readonly bytes?: number;
  readonly eof?: boolean;
  readonly rcvNxt?: number;
  readonly sndNxt?: number;
}

/** What a call shows to the application: "ok" or its errno. */
export function outcome(r: DriverReply): string {
  return r.ok ? "ok" : (r.errno ?? "error");
}

export type DriverArgs = Readonly<Record<string, string | number | boolean | readonly number[]>>;

export class SocketDriver {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: DriverReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private stderr = "";
  private exited = false;

  constructor(readonly child: ChildProcess) {
    child.stderr?.setEncoding("utf8").on("data", (c: string) => { this.stderr = (this.stderr + c).slice(-2000); });
    // A write after the child died must not crash the demo process.
    child.stdin?.on("error", () => {});
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let reply: DriverReply & { id: number };
      try {
        reply = JSON.parse(line) as DriverReply & { id: number };
      } catch {
        return;
      }
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      clearTimeout(waiter.timer);
      waiter.resolve(reply);
    });
    const fail = (why: string): void => {
      this.exited = true;
      for (const [id, w] of this.pending) {
        clearTimeout(w.timer);
        w.reject(new Error(`socket driver ${why} before answering: ${this.stderr.trim()}`));
        this.pending.delete(id);
      }
    };
    child.once("exit", (code, signal) => fail(`exited (code ${code}, signal ${signal})`));
    child.once("error", (err) => fail(`could not run (${err.message})`));
  }

  /** The driver's pid: /proc/<pid>/net/… shows its network namespace. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Send one request; resolves with the reply (errors are replies, not rejections). */
  request(op: string, args: DriverArgs = {}, timeoutMs = 10_000): Promise<DriverReply> {
    if (this.exited) return Promise.reject(new Error(`socket driver has exited: ${this.stderr.trim()}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`socket driver: no reply to ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.stdin?.write(JSON.stringify({ ...args, op, id }) + "\n");
    });
  }
}

/**
 * Start a driver as a child the harness tracks (killed in cleanup and on SIGINT/SIGTERM),
 * in network namespace `netns` when given, and wait until it answers.
 */
export async function startSocketDriver(h: DemoHarness, netns?: string): Promise<SocketDriver> {
  const python = ["python3", "-c", SOCKET_DRIVER_SCRIPT];
  const child = netns === undefined ? h.spawnChild(python[0]!, python.slice(1)) : h.spawnChild("ip", ["netns", "exec", netns, ...python]);
  const driver = new SocketDriver(child);
  const hello = await driver.request("hello", {}, 10_000);
  if (!hello.ok) throw new Error(`socket driver did not start: ${hello.message ?? hello.errno}`);
  return driver;
}
