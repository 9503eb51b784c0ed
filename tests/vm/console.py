#!/usr/bin/python3
# The guest's serial console for the boot test: connects to QEMU's serial socket (QEMU waits
# for this connection before it runs the guest, so nothing is lost), copies every byte to a
# log file as it comes, notes when patterns first appear, and types answers to prompts.
#
# console.py SOCKET LOG [--mark NAME=REGEX]... [--reply REGEX=TEXT]... [--timeout S]
#   --mark:  the first time REGEX matches the console, "NAME SECONDS" is appended to LOG.marks
#            (seconds since the connection, which is QEMU's start of the guest).
#   --reply: when REGEX matches (once), TEXT and a newline are typed on the console.
# Ends at EOF (QEMU exited) or after --timeout seconds (default 600), whichever is first.
import argparse
import re
import socket
import sys
import time


def pair(text):
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE: {text!r}")
    return name, value


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("log")
    ap.add_argument("--mark", type=pair, action="append", default=[])
    ap.add_argument("--reply", type=pair, action="append", default=[])
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()

    marks = [(name, re.compile(rx.encode())) for name, rx in args.mark]
    replies = [(re.compile(rx.encode()), text) for rx, text in args.reply]
    # QEMU creates the socket when it starts: wait for it, bounded.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.monotonic() + 30
    while True:
        try:
            s.connect(args.socket)
            break
        except OSError:
            if time.monotonic() > deadline:
                print(f"console.py: cannot connect to {args.socket}", file=sys.stderr)
                return 1
            time.sleep(0.05)
    start = time.monotonic()
    end = start + args.timeout
    seen = b""
    with open(args.log, "ab", buffering=0) as log, open(args.log + ".marks", "a") as mark_file:
        while time.monotonic() < end:
            s.settimeout(max(0.1, min(1.0, end - time.monotonic())))
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            log.write(data)
            # Patterns are matched on what came since the last match, plus a tail of the text
            # before so that a pattern split across reads is still found.
            seen = (seen + data)[-65536:]
            now = time.monotonic() - start
            for m in list(marks):
                if m[1].search(seen):
                    mark_file.write(f"{m[0]} {now:.2f}\n")
                    mark_file.flush()
                    marks.remove(m)
            for r in list(replies):
                if r[0].search(seen):
                    # A human's pause: ask-password may still be setting up the terminal.
                    time.sleep(0.5)
                    s.sendall(r[1].encode() + b"\n")
                    replies.remove(r)
                    seen = b""
    return 0


if __name__ == "__main__":
    sys.exit(main())
