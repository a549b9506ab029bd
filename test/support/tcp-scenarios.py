"""Loopback TCP scenarios for the kernel-trace tests. Usage: tcp-scenarios.py MODE [HOST [PORT]]

Prints one JSON line {"server": port, "client": port} once the sockets exist, then plays the
scenario and exits. Every socket is closed before exit; nothing outlives the process but the
kernel's TIME_WAIT sockets.

Modes:
  four-way      client shutdown(SHUT_WR); server reads EOF, closes 50 ms later; client closes.
  simultaneous  the client fills the server's receive window, so the client's FIN waits behind
                its data; both shut down before either FIN arrives: the client ends in CLOSING
                (its FIN unsent when the server's arrives), the server in FIN_WAIT_2, then both
                TIME_WAIT once the server reads everything.
  abort         client close() with SO_LINGER {on, 0}: RST instead of FIN.
  refused       connect() to a port nobody listens on.
  orphan        the client close()s at once; the server only 2.5 s later: the client's orphaned
                FIN_WAIT_2 (a timewait socket) dies after tcp_fin_timeout first, and the
                server's late FIN is answered with a RST.
"""
import json, socket, struct, sys, time

mode = sys.argv[1]
host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
family = socket.AF_INET6 if ":" in host else socket.AF_INET
fixed_port = int(sys.argv[3]) if len(sys.argv) > 3 else 0


def say(**ports):
    print(json.dumps(ports), flush=True)


def pair():
    srv = socket.socket(family)
    srv.bind((host, fixed_port))
    srv.listen(4)
    port = srv.getsockname()[1]
    cli = socket.socket(family)
    cli.connect((host, port))
    acc, _ = srv.accept()
    return srv, cli, acc, port


if mode == "refused":
    probe = socket.socket(family)
    probe.bind((host, 0))
    port = probe.getsockname()[1]
    probe.close()  # bound, never listened: nobody is on this port now
    cli = socket.socket(family)
    say(server=port, client=0)
    try:
        cli.connect((host, port))
        print("connected?!", file=sys.stderr)
        sys.exit(1)
    except ConnectionRefusedError:
        pass
    finally:
        cli.close()
    sys.exit(0)

srv, cli, acc, port = pair()
say(server=port, client=cli.getsockname()[1])
time.sleep(0.05)

if mode == "four-way":
    cli.shutdown(socket.SHUT_WR)
    assert acc.recv(10) == b""
    time.sleep(0.05)
    acc.close()
    assert cli.recv(10) == b""
    cli.close()
elif mode == "simultaneous":
    cli.setblocking(False)
    sent = 0
    try:
        while sent < 64 << 20:
            sent += cli.send(b"x" * 65536)
    except BlockingIOError:
        pass
    cli.setblocking(True)
    cli.shutdown(socket.SHUT_WR)  # FIN_WAIT_1, FIN queued behind unsent data
    time.sleep(0.05)
    acc.shutdown(socket.SHUT_WR)  # its FIN reaches the client while the client's FIN is unsent
    time.sleep(0.05)
    got = 0
    while True:
        chunk = acc.recv(1 << 20)
        if not chunk:
            break
        got += len(chunk)
    assert got == sent, (got, sent)
    assert cli.recv(10) == b""
    time.sleep(0.05)
    cli.close()
    acc.close()
elif mode == "abort":
    cli.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    cli.close()
    time.sleep(0.05)
    try:
        acc.recv(10)
    except ConnectionResetError:
        pass
    acc.close()
elif mode == "orphan":
    cli.close()
    assert acc.recv(10) == b""
    time.sleep(2.5)
    acc.close()
    time.sleep(0.2)
else:
    print(f"unknown mode {mode}", file=sys.stderr)
    sys.exit(2)
time.sleep(0.05)
srv.close()
