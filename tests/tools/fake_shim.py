#!/usr/bin/env python3
"""A shim that speaks the shim protocol (backends/README.md, "Shims") over a toy
"TLS": records of 1 type byte, 2 length bytes and the payload, in the clear
(h: ClientHello, s: ServerHello, d: data, c: close_notify). It lets the driver's side
of the protocol be tested without a real stack, and misbehave on request: a context
whose "sni" is "die" makes the process exit at its connection's first byte, "silent"
makes the connection never answer, "refuse" makes the server fail the handshake
(unknown_ca), "slow" makes the client's first flight come in three frames.

  fake_shim.py SOCKET_PATH"""
import json
import os
import socket
import struct
import sys
import threading

CAPS = {"roles": ["client", "server"], "versions": ["1.2", "1.3"], "suites": [4865, 4866],
        "groups": [29], "resume": ["ticket"],
        "features": ["alpn", "sni", "restrict_versions"],
        "defaults_changed": ["nothing: a toy stack"]}
contexts, sessions = {}, {}
lock = threading.Lock()


def frame(sock, kind, payload=b""):
    sock.sendall(kind.encode() + struct.pack(">I", len(payload)) + payload)


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


class Conn:
    def __init__(self, sock, ctx, session):
        self.sock, self.ctx, self.session = sock, ctx, session
        self.wire = b""      # ciphertext from the driver, not yet parsed
        self.fed = 0         # C frames taken in
        self.acts = 0

    def record(self, kind, payload=b""):
        frame(self.sock, "C", kind.encode() + struct.pack(">H", len(payload)) + payload)

    def next_record(self):
        """The next toy record from the peer, reading frames as needed (W when blocked)."""
        while True:
            if len(self.wire) >= 3:
                n = struct.unpack(">H", self.wire[1:3])[0]
                if len(self.wire) >= 3 + n:
                    kind, payload = chr(self.wire[0]), self.wire[3:3 + n]
                    self.wire = self.wire[3 + n:]
                    return kind, payload
            frame(self.sock, "W", struct.pack(">Q", self.fed))
            while True:
                kind, payload = self.read_frame()
                if kind == "C":
                    self.wire += payload
                    self.fed += 1
                    break
                if kind == "E":
                    return "EOF", b""
                self.other(kind, payload)

    def read_frame(self):
        head = read_exact(self.sock, 5)
        return chr(head[0]), read_exact(self.sock, struct.unpack(">I", head[1:])[0])

    def other(self, kind, payload):
        """A driver frame that is not input: application data, close, session."""
        if kind == "P":
            self.record("d", payload)
            self.ack()
        elif kind == "S":
            self.record("c")
            self.ack()
        elif kind == "G":
            with lock:
                sid = len(sessions) + 1
                sessions[sid] = True
            frame(self.sock, "g", json.dumps({"session": sid}).encode())

    def ack(self):
        self.acts += 1
        frame(self.sock, "A", struct.pack(">Q", self.acts))

    def negotiated(self):
        return json.dumps({"version": "1.3", "suite": 4865, "group": 29, "alpn": "",
                           "resumed": self.session is not None, "cert_requested": False,
                           "client_cert": False, "ocsp": "none"}).encode()

    def run(self):
        cfg = self.ctx["config"]
        sni = cfg.get("sni") or ""
        if sni == "silent":
            while self.sock.recv(65536):
                pass
            return
        if cfg["role"] == "client":
            if sni == "die":
                os._exit(3)
            if sni == "slow":
                frame(self.sock, "C", b"h\x00")
                frame(self.sock, "C", b"\x02h")
                frame(self.sock, "C", b"i")
            else:
                self.record("h", b"hi")
            kind, _ = self.next_record()
            if kind != "s":
                frame(self.sock, "F", json.dumps({"outcome": "handshake_failure", "code": 40,
                                                  "text": "expected a ServerHello, got " + kind}).encode())
                return
        else:
            kind, _ = self.next_record()
            if kind == "EOF":
                frame(self.sock, "F", json.dumps({"outcome": "truncated", "code": 0,
                                                  "text": "closed before the ClientHello"}).encode())
                return
            if sni == "refuse" or self.ctx.get("refuse"):
                frame(self.sock, "F", json.dumps({"outcome": "unknown_ca", "code": 48,
                                                  "text": "toy: unknown CA"}).encode())
                return
            self.record("s")
        frame(self.sock, "H", self.negotiated())
        while True:
            kind, payload = self.next_record()
            if kind == "d":
                frame(self.sock, "P", payload)
            elif kind == "c":
                frame(self.sock, "Z")
            elif kind == "EOF":
                frame(self.sock, "F", json.dumps({"outcome": "truncated", "code": 0,
                                                  "text": "toy: closed without close_notify"}).encode())
                return


def serve_conn(sock):
    try:
        head = read_exact(sock, 5)
        n = json.loads(read_exact(sock, struct.unpack(">I", head[1:])[0]))
        with lock:
            ctx = contexts[n["ctx"]]
        Conn(sock, ctx, n.get("session")).run()
    except (EOFError, OSError, KeyError):
        pass
    finally:
        sock.close()


def listen(path):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(64)
    while True:
        sock, _ = srv.accept()
        threading.Thread(target=serve_conn, args=(sock,), daemon=True).start()


def main():
    threading.Thread(target=listen, args=(sys.argv[1],), daemon=True).start()
    while not os.path.exists(sys.argv[1]):
        pass
    for line in sys.stdin:
        req = json.loads(line)
        op = req.get("op")
        if op == "hello":
            reply = {"ok": True, "protocol": 1, "name": "fake", "library": "toy",
                     "version": "fake 1", "caps": CAPS}
        elif op == "ctx":
            with lock:
                cid = len(contexts) + 1
                contexts[cid] = {"config": req["config"]}
            reply = {"ok": True, "ctx": cid}
            if req["config"].get("hostname") == "bad-config":
                reply = {"ok": False, "error": {"outcome": "internal_error", "code": 7,
                                                "text": "toy: cannot honour hostname bad-config"}}
        elif op in ("ctx_free", "session_free"):
            reply = {"ok": True}
        elif op == "quit":
            print(json.dumps({"ok": True}), flush=True)
            return
        else:
            reply = {"ok": False, "error": {"outcome": "internal_error", "code": 0,
                                            "text": "unknown op " + str(op)}}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
