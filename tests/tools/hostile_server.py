#!/usr/bin/env python3
"""A loopback HTTPS server that answers every GET with one hostile response.

One listening socket per response kind, all on 127.0.0.1 with free ports, so one
process serves every kind and a scenario picks one by its port. It prints one line
per kind, "NAME PORT", then "ready", and serves until killed or for --seconds (60)
at most; each connection is held at most --hold seconds (10) after the response, so
a client that does not see the response is bad waits out its own time limit.

    hostile_server.py --pki DIR [--pidfile FILE] [--seconds S] [--hold S]

The certificate is the test PKI's rsa2048 leaf (localhost, 127.0.0.1), as the
harness writes it (tlsharness pki DIR).
"""
import argparse
import os
import socket
import ssl
import sys
import threading
import time

BODY = b"x" * 1024
ESC_STATUS = b"HTTP/9.9 999 \x1b]0;pwned\x07\x1b[2J\x1b[31mred\r\n"

# name -> the bytes sent after the request's head. After them the connection stays
# open (unless the kind streams or closes), so only a client that rejects them
# promptly is fast.
RESPONSES = {
    "ok": b"HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n" + BODY,
    "chunked-garbage": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz-not-hex\r\n",
    "chunk-overflow": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"10000000000000000000000\r\n",
    "length-negative": b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n" + BODY,
    "bad-status": ESC_STATUS + b"Content-Length: 2\r\n\r\nok",
    "status-500": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nerror",
    "status-404": b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    "bad-header": b"HTTP/1.1 200 OK\r\nX-Evil\x1b[2J\x07 no colon\r\nContent-Length: 2\r\n\r\nok",
    "no-length": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + BODY,
    # these two close after the response (close_notify, then the socket; see CLOSED)
    "close-delimited": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + BODY,
    "short-body": b"HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n" + BODY[:100],
    # streamed without end (see serve_stream): the client must stop at its bound
    "huge-length": b"HTTP/1.1 200 OK\r\nContent-Length: 1099511627776\r\n\r\n",
    "huge-chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
}
CLOSED = {"close-delimited", "short-body"}
STREAMED = {"huge-length": b"", "huge-chunked": b"100000\r\n"}
STREAM_MAX = 4 << 30  # bytes of body sent at most, whatever the client does


def read_head(conn):
    """The request's head, or None when the peer went before sending it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk or len(data) > 65536:
            return None
        data += chunk
    return data


def serve_stream(conn, kind):
    piece = b"y" * (1 << 20)
    frame = STREAMED[kind]
    sent = 0
    while sent < STREAM_MAX:
        conn.sendall(frame + piece + (b"\r\n" if frame else b""))
        sent += len(piece)


def serve(conn, kind, hold):
    try:
        conn.settimeout(hold)
        if read_head(conn) is None:
            return
        conn.sendall(RESPONSES[kind])
        if kind in STREAMED:
            serve_stream(conn, kind)
            return
        if kind in CLOSED:
            conn = conn.unwrap()  # close_notify: the TLS stream ends cleanly
            return
        end = time.monotonic() + hold
        while time.monotonic() < end:  # hold it open: wait for the client to go
            if not conn.recv(4096):
                return
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def accept_loop(lsock, ctx, kind, hold):
    while True:
        try:
            raw, _ = lsock.accept()
        except OSError:
            return
        try:
            raw.settimeout(hold)
            conn = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            continue
        threading.Thread(target=serve, args=(conn, kind, hold), daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pki", required=True)
    ap.add_argument("--pidfile")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--hold", type=float, default=10)
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(a.pki, "rsa2048.chain.pem"),
                        os.path.join(a.pki, "rsa2048.key.pem"))
    ctx.set_alpn_protocols(["http/1.1"])
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    for kind in RESPONSES:
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(16)
        print(kind, lsock.getsockname()[1])
        threading.Thread(target=accept_loop, args=(lsock, ctx, kind, a.hold), daemon=True).start()
    print("ready", flush=True)
    time.sleep(a.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
