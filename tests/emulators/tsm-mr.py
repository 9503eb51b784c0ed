#!/usr/bin/python3
"""A FUSE file system that behaves like the kernel's tsm-mr "measurements" sysfs group.

The host that runs the tests has no TDX module and no RMM, so a fixture's register files cannot
extend: a write would replace the value. This plays the directory that Linux (7.2) puts at
/sys/devices/virtual/misc/tdx_guest/measurements, following drivers/virt/coco/guest/tsm-mr.c,
the sysfs binary-attribute rules of fs/sysfs/file.c and the TDX guest driver:
  - one binary attribute per register, named "NAME:HASH" (hash_algo_name[]), or "NAME" for a
    register without a hash algorithm (TDX MRCONFIGID, MROWNER, MROWNERCONFIG);
  - mode 0444 for readable registers, 0644 for those that also extend (the RTMRs); sysfs
    refuses to open a file without a write bit for writing, root included (EACCES);
  - the attribute's size is the register's size (48 bytes for SHA-384), which stat reports;
  - a read returns the raw value from the read offset, at most up to the size; at or past the
    size it returns 0 bytes (EOF);
  - a write at an offset at or past the size fails with EFBIG; a longer one is cut to the
    size by sysfs before the driver sees it (so the caller is told fewer bytes were written);
    then tsm-mr refuses any write that is not exactly the size at offset 0 with EINVAL;
  - an accepted write extends: the register becomes HASH(old || data); the kernel keeps no
    log and does not hash the data itself;
  - nothing is cached by the page cache (direct_io): the value changes under the same size.
Providers (the register sets of tests/fixtures/tdx.spec and cca-*.spec):
  tdx         rtmr0..3:sha384 (0644), mrtd:sha384, mrconfigid, mrowner, mrownerconfig (0444)
  cca-sha256  rem0..3:sha256 (0644), rim:sha256 (0444): the tsm-mr group proposed for
              arm_cca_guest (not merged in 7.2), with the same extend rule
  cca-sha512  the same with SHA-512
Initial values: each register starts with the fixture file the mount shadows when that file
has the register's size (read before mounting), else zeros; --initial FILE (a JSON object of
register name, with or without its ":hash" suffix, to a hex value) overrides those.

Faults for the tests of a client:
  --fail-extend ERRNO[:N]  the Nth extend (counting writes that pass the size checks, 1 when
                           N is left out) fails with that errno (EIO, EINTR, ENOSPC, ...) and
                           leaves the register as it was; may be given more than once;
  --short-read[=N]         every read returns at most N bytes (default 7), so a reader must
                           loop until EOF.
Every operation is appended to --log as one line: "read NAME" (a register opened for reading),
"extend NAME HEX" (HEX: the data extended with), "fail NAME ERRNO HEX" (an injected fault),
"refuse NAME ERRNO SIZE@OFFSET" (a write the kernel refuses), "deny NAME" (a read-only
register opened for writing). --state FILE is rewritten after every extend with all values
({"rtmr2": HEX, ...}), so a test can see them without reading through the mount.
Usage: tsm-mr.py MOUNTPOINT --provider tdx|cca-sha256|cca-sha512 [--initial FILE] [--log FILE]
                 [--state FILE] [--fail-extend ERRNO[:N]]... [--short-read[=N]]
"""
import argparse
import errno
import hashlib
import json
import os
import stat
import sys
import time

import fusepy as fuse

# name, hash algorithm (None: the register has none), writable
PROVIDERS = {
    "tdx": [(f"rtmr{i}", "sha384", True) for i in range(4)] +
           [("mrtd", "sha384", False), ("mrconfigid", None, False), ("mrowner", None, False),
            ("mrownerconfig", None, False)],
    "cca-sha256": [("rim", "sha256", False)] + [(f"rem{i}", "sha256", True) for i in range(4)],
    "cca-sha512": [("rim", "sha512", False)] + [(f"rem{i}", "sha512", True) for i in range(4)],
}
# The TDX registers without a hash algorithm are SHA384_DIGEST_SIZE bytes all the same.
NOHASH_SIZE = 48
SHORT_READ_DEFAULT = 7


class Register:
    def __init__(self, name, alg, writable):
        self.name = name
        self.alg = alg
        self.file = f"{name}:{alg}" if alg else name
        self.size = hashlib.new(alg).digest_size if alg else NOHASH_SIZE
        self.mode = 0o644 if writable else 0o444
        self.writable = writable
        self.value = bytes(self.size)


class TsmMr(fuse.Operations):
    def __init__(self, registers, log, state, faults, short_read):
        self.regs = {r.file: r for r in registers}
        self.log_path = log
        self.state_path = state
        self.faults = faults  # extend number -> errno
        self.short_read = short_read
        self.extends = 0
        self.next_fh = 1
        self.ctime = time.time()

    def log(self, line):
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def save_state(self):
        if self.state_path:
            tmp = self.state_path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({r.name: r.value.hex() for r in self.regs.values()}, f, indent=1)
            os.replace(tmp, self.state_path)

    def register(self, path):
        r = self.regs.get(path.lstrip("/"))
        if r is None:
            raise fuse.FuseOSError(errno.ENOENT)
        return r

    def getattr(self, path, fh=None):
        times = dict(st_ctime=self.ctime, st_mtime=self.ctime, st_atime=self.ctime)
        if path == "/":
            return dict(st_mode=stat.S_IFDIR | 0o755, st_nlink=2, **times)
        r = self.register(path)
        return dict(st_mode=stat.S_IFREG | r.mode, st_nlink=1, st_size=r.size, **times)

    def readdir(self, path, fh):
        if path != "/":
            raise fuse.FuseOSError(errno.ENOTDIR)
        return [".", ".."] + list(self.regs)

    def open(self, path, flags):
        r = self.register(path)
        if (flags & os.O_ACCMODE) != os.O_RDONLY and not r.writable:
            # kernfs refuses a write open of a file with no write bit, whoever asks.
            self.log(f"deny {r.name}")
            raise fuse.FuseOSError(errno.EACCES)
        if (flags & os.O_ACCMODE) != os.O_WRONLY:
            self.log(f"read {r.name}")
        self.next_fh += 1
        return self.next_fh

    def read(self, path, size, offset, fh):
        r = self.register(path)
        if offset >= r.size:
            return b""
        n = min(size, r.size - offset)
        if self.short_read:
            n = min(n, self.short_read)
        return r.value[offset:offset + n]

    def write(self, path, data, offset, fh):
        r = self.register(path)
        # fs/sysfs/file.c, sysfs_kf_bin_write(): past the end is EFBIG, longer is cut.
        if offset >= r.size:
            self.log(f"refuse {r.name} EFBIG {len(data)}@{offset}")
            raise fuse.FuseOSError(errno.EFBIG)
        data = bytes(data[:r.size - offset])
        if not data:
            return 0
        # tsm-mr.c, tm_digest_write(): partial writes are not supported.
        if offset != 0 or len(data) != r.size:
            self.log(f"refuse {r.name} EINVAL {len(data)}@{offset}")
            raise fuse.FuseOSError(errno.EINVAL)
        self.extends += 1
        fault = self.faults.get(self.extends)
        if fault is not None:
            self.log(f"fail {r.name} {errno.errorcode[fault]} {data.hex()}")
            raise fuse.FuseOSError(fault)
        r.value = hashlib.new(r.alg, r.value + data).digest()
        self.log(f"extend {r.name} {data.hex()}")
        self.save_state()
        return len(data)

    def truncate(self, path, length, fh=None):
        # open(O_TRUNC) on sysfs leaves the attribute alone.
        self.register(path)
        return 0

    def create(self, path, mode, fi=None):
        raise fuse.FuseOSError(errno.EACCES)

    def mkdir(self, path, mode):
        raise fuse.FuseOSError(errno.EACCES)


def parse_fault(text):
    name, _, nth = text.partition(":")
    code = getattr(errno, name, None)
    if not name.startswith("E") or not isinstance(code, int):
        raise argparse.ArgumentTypeError(f"unknown errno name {name!r}")
    try:
        n = int(nth) if nth else 1
    except ValueError:
        raise argparse.ArgumentTypeError(f"{nth!r} is not an extend number")
    if n < 1:
        raise argparse.ArgumentTypeError("extends are counted from 1")
    return n, code


def initial_values(registers, mountpoint, initial):
    # The fixture's files, as the mount is about to hide them.
    for r in registers:
        try:
            with open(os.path.join(mountpoint, r.file), "rb") as f:
                v = f.read(r.size + 1)
        except OSError:
            continue
        if len(v) == r.size:
            r.value = v
    if not initial:
        return
    with open(initial, encoding="utf-8") as f:
        values = json.load(f)
    by_name = {key: r for r in registers for key in (r.name, r.file)}
    for key, text in values.items():
        r = by_name.get(key)
        if r is None:
            sys.exit(f"{initial}: no register {key!r} for this provider")
        v = bytes.fromhex(text)
        if len(v) != r.size:
            sys.exit(f"{initial}: {key} has {len(v)} bytes, not {r.size}")
        r.value = v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mountpoint")
    ap.add_argument("--provider", required=True, choices=sorted(PROVIDERS))
    ap.add_argument("--initial")
    ap.add_argument("--log")
    ap.add_argument("--state")
    ap.add_argument("--fail-extend", type=parse_fault, action="append", default=[])
    ap.add_argument("--short-read", type=int, nargs="?", const=SHORT_READ_DEFAULT, default=0)
    a = ap.parse_args()
    registers = [Register(*spec) for spec in PROVIDERS[a.provider]]
    initial_values(registers, a.mountpoint, a.initial)
    ops = TsmMr(registers, a.log, a.state, dict(a.fail_extend), a.short_read)
    ops.save_state()
    # nonempty: the point is to hide the fixture's files (libfuse 2 refuses otherwise).
    fuse.FUSE(ops, a.mountpoint, foreground=True, nothreads=True, default_permissions=False,
              direct_io=True, nonempty=True)


if __name__ == "__main__":
    main()
