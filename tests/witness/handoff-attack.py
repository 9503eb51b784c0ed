#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The other side of tests/integration/unlock.sh's issue-13 cases (part 6): what a local process
# racing mrboot, or systemd-cryptsetup reading the keyring, does. Python standard library only.
#   handoff-attack.py watch DIR NAME STOP LOG   inotify on DIR: "CREATE NAME", "MODIFY NAME"
#                                               lines to LOG until the file STOP exists
#   handoff-attack.py swap DIR NAME ASIDE       waits for DIR/NAME, renames it to DIR/ASIDE
#                                               and plants a file of its own as NAME
#   handoff-attack.py private-session ARGV...   runs ARGV in a new session keyring that does
#                                               not link the user keyring (systemd's default
#                                               KeyringMode=private)
#   handoff-attack.py keyring-read SERIAL_FILE  as systemd-cryptsetup (KeyringMode=shared: the
#                                               user keyring linked into a new session):
#                                               request_key("user", "cryptsetup"), prints the
#                                               payload, writes the serial to SERIAL_FILE
#   handoff-attack.py keyring-gone SERIAL       exit 0 if that key can no longer be read
import ctypes
import os
import select
import struct
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)
SYS_add_key, SYS_request_key, SYS_keyctl = 248, 249, 250  # x86-64
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_LINK, KEYCTL_READ = 1, 8, 11
KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING = -3, -4
IN_MODIFY, IN_CREATE, IN_MOVED_TO = 0x2, 0x100, 0x80


def keyctl(*args):
    r = libc.syscall(SYS_keyctl, *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    if r < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return r


def watch(directory, name, stop, log):
    fd = libc.inotify_init1(os.O_CLOEXEC)
    if libc.inotify_add_watch(fd, directory.encode(), IN_CREATE | IN_MODIFY | IN_MOVED_TO) < 0:
        sys.exit("inotify_add_watch: " + os.strerror(ctypes.get_errno()))
    with open(log, "w") as out:
        out.write("ready\n")
        out.flush()
        while not os.path.exists(stop):
            if not select.select([fd], [], [], 0.05)[0]:
                continue
            buf = os.read(fd, 65536)
            off = 0
            while off < len(buf):
                _, mask, _, size = struct.unpack_from("iIII", buf, off)
                ev = buf[off + 16:off + 16 + size].rstrip(b"\0").decode()
                off += 16 + size
                if ev != name:
                    continue
                kind = "CREATE" if mask & (IN_CREATE | IN_MOVED_TO) else "MODIFY"
                out.write(f"{kind} {ev}\n")
                out.flush()


def swap(directory, name, aside):
    path = os.path.join(directory, name)
    end = time.time() + 30
    while time.time() < end:
        try:
            os.rename(path, os.path.join(directory, aside))
        except OSError:
            time.sleep(0.001)
            continue
        with open(path, "w") as f:
            f.write("planted by a local user\n")
        print("swapped")
        return
    sys.exit("the key never appeared")


def private_session(argv):
    keyctl(KEYCTL_JOIN_SESSION_KEYRING, None)
    os.execv(argv[0], argv)


def keyring_read(serial_file):
    keyctl(KEYCTL_JOIN_SESSION_KEYRING, None)
    keyctl(KEYCTL_LINK, KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING)
    serial = libc.syscall(SYS_request_key, b"user", b"cryptsetup", None, ctypes.c_long(0))
    if serial < 0:
        sys.exit("request_key: " + os.strerror(ctypes.get_errno()))
    buf = ctypes.create_string_buffer(4096)
    n = keyctl(KEYCTL_READ, serial, buf, 4096)
    open(serial_file, "w").write(str(serial))
    sys.stdout.write(buf.raw[:n].decode())


def keyring_gone(serial):
    buf = ctypes.create_string_buffer(4096)
    try:
        keyctl(KEYCTL_JOIN_SESSION_KEYRING, None)
        keyctl(KEYCTL_LINK, KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING)
        keyctl(KEYCTL_READ, int(serial), buf, 4096)
    except OSError as e:
        print(e, file=sys.stderr)
        return
    sys.exit("key %s is still readable" % serial)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "private-session":
        private_session(args)
    else:
        {"watch": watch, "swap": swap, "keyring-read": keyring_read,
         "keyring-gone": keyring_gone}[cmd](*args)
