#!/usr/bin/env python3
"""A loopback HTTPS/1.1 server that stalls: every --period seconds (1) it answers
nothing for --stall seconds (0.1), then answers what waited, as a server does in a
garbage-collection pause or a blocking flush. A load that waits for each answer
before asking again (closed loop) sends almost nothing during a stall, so the stall
barely shows in its latencies; a load at a fixed rate (open loop) keeps asking, and
what it asked during the stall waits up to the whole stall.

    stall_server.py --pki DIR --port PORT [--period S] [--stall S] [--seconds S]
                    [--idle-close S]

Every GET is answered 200 with the same 1024-byte body (b"stall\\n" repeated, cut to
1024 bytes; its SHA-256 is printed as "sha256 HEX" at the start), keep-alive. The
certificate is the test PKI's rsa2048 leaf (tlsharness pki DIR). Serves until killed
or for --seconds (60) at most.
"""
import argparse
import hashlib
import os
import socket
import ssl
import sys
import threading
import time

BODY = (b"stall\n" * 200)[:1024]
HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n\r\n" % len(BODY)


def wait_out_stall(t0, period, stall):
    """Sleep until the current stall window (if any) has ended."""
    phase = (time.monotonic() - t0) % period
    if phase < stall:
        time.sleep(stall - phase)


def serve_conn(ctx, raw, t0, args):
    buf = b""
    conn = raw
    try:
        raw.settimeout(args.idle_close or 30)
        conn = ctx.wrap_socket(raw, server_side=True)
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(16384)
                if not data:
                    return
                buf += data
                if len(buf) > 65536:
                    return
            _, buf = buf.split(b"\r\n\r\n", 1)
            wait_out_stall(t0, args.period, args.stall)
            conn.sendall(HEAD + BODY)
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pki", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--period", type=float, default=1.0)
    ap.add_argument("--stall", type=float, default=0.1)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--idle-close", type=float, default=0,
                    help="close a connection idle this long (as servers end keep-alive)")
    args = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(args.pki, "rsa2048.chain.pem"),
                        os.path.join(args.pki, "rsa2048.key.pem"))
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(128)
    print("port", ls.getsockname()[1])
    print("sha256", hashlib.sha256(BODY).hexdigest())
    print("ready", flush=True)
    t0 = time.monotonic()
    end = t0 + args.seconds
    ls.settimeout(0.5)
    while time.monotonic() < end:
        try:
            raw, _ = ls.accept()
        except socket.timeout:
            continue
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # the handshake in the connection's thread: a peer that never sends a
        # ClientHello must not hold up the accepts
        threading.Thread(target=serve_conn, args=(ctx, raw, t0, args), daemon=True).start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
