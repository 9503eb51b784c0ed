#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small HTTP/1.1 server over Python's ssl module (OpenSSL) for tests/integration/http.sh.

The response is chosen by the last segment of the request path ("/prefix/kbs/ok" -> "ok"),
so one server per certificate serves every case. TLS runs on memory BIOs (ssl.SSLObject)
rather than on an SSLSocket, so that a case can make OpenSSL send a real alert mid-stream
and choose whether close_notify goes out before the socket closes. Each request is logged
as one JSON line (SNI, method, target, headers, body, the connection's number and whether
its TLS handshake resumed a session) for the test to check.

With --keep-alive a connection serves requests until the client ends it or a case closes it
(RFC 9112 section 9.3); without, each closes after one response. Connections after the first
get a new SSLContext (so no session to resume) with --later-cert/--later-key.

Usage: tls-server.py [--cert PEM --key PEM [--tls13] [--ciphers LIST] | --plain] [--stall]
                     [--keep-alive] [--later-cert PEM --later-key PEM]
                     --port-file FILE --log FILE
"""
import argparse
import itertools
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time

LIMIT = 30  # seconds: the longest any case waits, so that nothing outlives the test


class Conn:
    """One accepted connection, TLS or plain, with the few operations the cases need."""

    def __init__(self, sock, ctx):
        self.sock = sock
        self.sock.settimeout(LIMIT)
        self.tls = None
        self.sni = None
        if ctx:
            self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
            self.tls = ctx.wrap_bio(self.inc, self.out, server_side=True)
            self._handshake()

    def _flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("client closed")
        self.inc.write(data)

    def _handshake(self):
        while True:
            try:
                self.tls.do_handshake()
                self._flush()
                return
            except ssl.SSLWantReadError:
                self._flush()
                self._fill()
            except ssl.SSLError:
                self._flush()  # the alert OpenSSL wrote, for the client to read
                raise

    def recv(self):
        if not self.tls:
            return self.sock.recv(65536)
        while True:
            try:
                return self.tls.read(65536)
            except ssl.SSLZeroReturnError:
                return b""  # close_notify
            except ssl.SSLWantReadError:
                self._flush()
                try:
                    self._fill()
                except EOFError:
                    return b""

    def send(self, data):
        if not self.tls:
            self.sock.sendall(data)
            return
        # Records of at most 4 KiB, so that a body spans several of them.
        for i in range(0, len(data), 4096):
            self.tls.write(data[i:i + 4096])
            self._flush()

    def close_notify(self):
        if self.tls:
            try:
                self.tls.unwrap()
            except ssl.SSLError:
                pass
            self._flush()

    def alert(self):
        """Feeds OpenSSL a forged application-data record: it fails to decrypt it and
        answers with a fatal bad_record_mac alert, which goes to the client."""
        self.inc.write(b"\x17\x03\x03" + struct.pack(">H", 40) + bytes(40))
        try:
            self.tls.read(1)
        except ssl.SSLError:
            pass
        self._flush()

    def reset(self):
        # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self):
        self.sock.close()


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv()
        if not chunk:
            return None
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:]]
    length = int(dict((k.lower(), v) for k, v in headers).get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv()
        if not chunk:
            break
        body += chunk
    return {"method": method, "target": target, "version": version, "headers": headers,
            "body": body.decode("latin-1")}


def big_body(n):
    return bytes((ord("a") + i % 26) for i in range(n))


def respond(conn, req, keep_alive):
    """Answers req; returns what becomes of the connection: "keep" (another request may
    come), "close" (orderly: close_notify, then FIN), "drop-next" (keep, but end the
    connection when the next request has arrived, without answering it), "idle-close"
    (close it after a moment of idleness), or None (closed already)."""
    mode = req["target"].rsplit("/", 1)[-1]
    echo = json.dumps(req).encode()
    if mode == "ok":
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Set-Cookie: kbs-session-id=0123456789abcdef0123456789abcdef; "
                  b"Expires=Thu, 01 Jan 2099 00:00:00 GMT\r\nSet-Cookie: other=1\r\n"
                  b"Content-Length: %d\r\n%s\r\n"
                  % (len(echo), b"" if keep_alive else b"Connection: close\r\n") + echo)
    elif mode == "close":
        conn.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nclose")
        return "close"
    elif mode in ("drop-next", "reset-next", "idle-close"):
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(mode) +
                  mode.encode())
        return mode
    elif mode == "status-401":
        body = b'{"type":"https://github.com/confidential-containers/kbs/errors/PolicyDeny"}'
        conn.send(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    elif mode == "interim":
        conn.send(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    elif mode == "chunked":
        body = big_body(100000)
        conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        i, size = 0, 1
        while i < len(body):
            piece = body[i:i + size]
            conn.send(b"%x;n=%d\r\n" % (len(piece), size) + piece + b"\r\n")
            i += len(piece)
            size = size * 3 + 1
        conn.send(b"0\r\nX-Trailer: done\r\n\r\n")
    elif mode == "length-big":
        body = big_body(300000)
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    elif mode == "eof-close-notify":
        conn.send(b"HTTP/1.0 200 OK\r\n\r\n" + big_body(5000))
        conn.close_notify()
    elif mode == "eof-no-close-notify":
        conn.send(b"HTTP/1.0 200 OK\r\n\r\n" + big_body(5000))
    elif mode == "close-notify-mid":
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + big_body(100))
        conn.close_notify()
    elif mode == "over-limit":
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + big_body(2000))
    elif mode == "over-limit-chunked":
        conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(4):
            conn.send(b"200\r\n" + big_body(512) + b"\r\n")
        conn.send(b"0\r\n\r\n")
    elif mode == "slow":
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
        time.sleep(LIMIT)
    elif mode == "reset":
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + big_body(100))
        time.sleep(0.2)
        conn.reset()
        return None
    elif mode == "alert":
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + big_body(100))
        conn.alert()
    elif mode == "redirect":
        conn.send(b"HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/kbs\r\n"
                  b"Content-Length: 0\r\n\r\n")
    elif mode == "malformed":
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok")
    else:
        conn.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    if keep_alive and mode not in ("eof-close-notify", "eof-no-close-notify", "close-notify-mid",
                                   "slow", "alert"):
        return "keep"
    time.sleep(0.05)
    conn.close()
    return None


def close_orderly(conn):
    """close_notify, then FIN: OpenSSL keeps the session for resumption only after a
    connection it shut down (SSL_free() drops the session of one it did not)."""
    conn.close_notify()
    conn.close()


def serve_one(sock, number, ctx, args, log_lock):
    try:
        if args.stall:
            time.sleep(LIMIT)
            return
        conn = Conn(sock, ctx)
        sni = SNI.pop(id(conn.tls), None) if conn.tls else None
        resumed = conn.tls.session_reused if conn.tls else None
        then = "keep"
        while then in ("keep", "drop-next", "reset-next"):
            req = read_request(conn)
            if req is None:
                close_orderly(conn)
                return
            req.update(sni=sni, conn=number, resumed=resumed)
            with log_lock, open(args.log, "a") as f:
                f.write(json.dumps(req) + "\n")
            if then == "drop-next":
                close_orderly(conn)  # as a server closing an idle connection would
                return
            if then == "reset-next":
                conn.reset()
                return
            then = respond(conn, req, args.keep_alive)
        if then == "idle-close":
            time.sleep(0.1)
            close_orderly(conn)
        elif then == "close":
            close_orderly(conn)
    except (OSError, EOFError, ssl.SSLError) as e:
        print("tls-server: %s" % e, file=sys.stderr)
        sock.close()


SNI = {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--stall", action="store_true")
    ap.add_argument("--tls13", action="store_true", help="TLS 1.3 only")
    ap.add_argument("--ciphers", help="OpenSSL cipher list for TLS 1.2")
    ap.add_argument("--keep-alive", action="store_true")
    ap.add_argument("--later-cert")
    ap.add_argument("--later-key")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()

    def on_sni(obj, name, context):
        SNI[id(obj)] = name

    def context(cert, key):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if args.tls13:
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        if args.ciphers:
            ctx.set_ciphers(args.ciphers)
        ctx.load_cert_chain(cert, key)
        ctx.sni_callback = on_sni
        return ctx

    ctx = None if args.plain else context(args.cert, args.key)

    # Dual-stack where IPv6 exists, so that 127.0.0.1, ::1 and "localhost" all reach us.
    try:
        listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind(("::", 0))
    except OSError:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    os.rename(args.port_file + ".tmp", args.port_file)

    log_lock = threading.Lock()
    listener.settimeout(300)
    for number in itertools.count(1):
        try:
            sock, _ = listener.accept()
        except socket.timeout:
            return
        if number > 1 and args.later_cert:
            ctx = context(args.later_cert, args.later_key)
        threading.Thread(target=serve_one, args=(sock, number, ctx, args, log_lock),
                         daemon=True).start()


if __name__ == "__main__":
    main()
