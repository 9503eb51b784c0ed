#!/usr/bin/python3
"""A DNS server for tests, on UDP: answers A queries for the names given with 127.0.0.1,
NXDOMAIN for anything else, or (--silent) swallows every query, as a resolver behind a broken
network does. Writes its port to --ready-file once bound; logs each query name to stderr.
Written from RFC 1035 section 4 (header, question, resource record)."""
import argparse
import socket
import struct
import sys


def question(msg):
    """The query's name (text) and the offset after its question section."""
    labels, i = [], 12
    while True:
        n = msg[i]
        if n == 0:
            return ".".join(labels), i + 5  # the root label, QTYPE, QCLASS
        if n & 0xC0:
            raise ValueError("a compressed name in a question")
        labels.append(msg[i + 1:i + 1 + n].decode("ascii"))
        i += 1 + n


def answer(msg, names):
    ident, flags = struct.unpack(">HH", msg[:4])
    name, end = question(msg)
    qtype = struct.unpack(">H", msg[end - 4:end - 2])[0]
    known = name.lower().rstrip(".") in names
    rcode = 0 if known else 3  # NXDOMAIN
    answers = 1 if known and qtype == 1 else 0
    head = struct.pack(">HHHHHH", ident, 0x8180 | (flags & 0x0100) | rcode, 1, answers, 0, 0)
    out = head + msg[12:end]
    if answers:
        # The name by pointer to the question (offset 12), type A, class IN, TTL 60, 4 bytes.
        out += struct.pack(">HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--silent", action="store_true")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.address, a.port))
    with open(a.ready_file, "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    names = {n.lower() for n in a.names}
    while True:
        msg, peer = s.recvfrom(512)
        try:
            name = question(msg)[0]
        except (IndexError, ValueError, UnicodeDecodeError) as err:
            print("malformed query: %s" % err, file=sys.stderr, flush=True)
            continue
        print("query %s" % name, file=sys.stderr, flush=True)
        if not a.silent:
            s.sendto(answer(msg, names), peer)


main()
