#!/usr/bin/python3
"""A FUSE file system that behaves like the kernel's configfs-tsm report interface.

The host that runs the tests has no confidential-computing hardware and no configfs, so this
plays /sys/kernel/config for fixture trees, following Documentation/ABI/testing/
configfs-tsm-report and the configfs rules that matter to a client:
  - mkdir tsm/report/NAME makes a report; without a provider the kernel answers ENXIO;
  - binary attributes (inblob) buffer writes and commit them when the file is closed; more
    than the attribute's maximum (64 bytes for inblob) fails the write with EFBIG;
  - generation counts committed writes to inblob and the options;
  - outblob is generated from the committed inblob when it is opened;
  - which attributes exist depends on the provider (sev_guest adds auxblob, privlevel, ...).
The reports are shaped like the real ones where a verifier looks (TDX quote v4: REPORTDATA at
offset 568 and the RTMRs from the fixture's tsm-mr files; SEV-SNP report: REPORT_DATA at 0x50,
VMPL at 0x30; Arm CCA: the challenge inside a CBOR realm token) but are not signed.

Every operation is appended to --log as one line ("mkdir NAME", "inblob NAME HEX", "read NAME
outblob", "rmdir NAME"), so tests can check what the agent did.
Usage: configfs-tsm.py MOUNTPOINT --provider tdx_guest|sev_guest|arm_cca_guest|none
                       [--measurements DIR] [--log FILE]
"""
import argparse
import errno
import os
import stat
import struct
import threading
import time

import fusepy as fuse

INBLOB_MAX = 64

ATTRS = {  # name: (mode, kind)
    "inblob": (0o200, "bin-in"),
    "outblob": (0o444, "bin-out"),
    "provider": (0o444, "text"),
    "generation": (0o444, "text"),
}
SNP_ATTRS = {
    "auxblob": (0o444, "bin-out"),
    "manifestblob": (0o444, "bin-out"),
    "privlevel": (0o200, "option"),
    "privlevel_floor": (0o444, "text"),
    "service_provider": (0o200, "option"),
    "service_guid": (0o200, "option"),
    "service_manifest_version": (0o200, "option"),
}


class Report:
    def __init__(self, provider):
        self.attrs = dict(ATTRS)
        if provider == "sev_guest":
            self.attrs.update(SNP_ATTRS)
        self.inblob = b""
        self.generation = 0
        self.options = {"privlevel": "0"}
        self.ctime = time.time()


class ConfigfsTsm(fuse.Operations):
    def __init__(self, provider, measurements, log):
        self.provider = provider
        self.measurements = measurements
        self.log_path = log
        self.reports = {}
        self.pending = {}  # fh -> (report name, attr, bytearray)
        self.outblobs = {}  # fh -> bytes
        self.next_fh = 1
        self.lock = threading.Lock()

    # -- helpers -------------------------------------------------------------------------
    def log(self, line):
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def split(self, path):
        parts = [p for p in path.split("/") if p]
        if parts[:2] != ["tsm", "report"][: len(parts[:2])]:
            raise fuse.FuseOSError(errno.ENOENT)
        return parts

    def rtmrs(self):
        values = []
        for i in range(4):
            p = os.path.join(self.measurements or "", f"rtmr{i}:sha384")
            try:
                with open(p, "rb") as f:
                    values.append(f.read(48).ljust(48, b"\0"))
            except OSError:
                values.append(bytes(48))
        return values

    def make_outblob(self, r):
        data = r.inblob
        if self.provider == "tdx_guest":
            # Quote v4: 48-byte header, 584-byte TD report body (REPORTDATA last), then the
            # signature data length and a (fake) signature.
            header = struct.pack("<HHI", 4, 2, 0x81) + bytes(40)
            body = bytearray(584)
            for i, v in enumerate(self.rtmrs()):
                body[328 + 48 * i : 376 + 48 * i] = v
            body[520:584] = data.ljust(64, b"\0")
            sig = b"emulated quote signature"
            return header + bytes(body) + struct.pack("<I", len(sig)) + sig
        if self.provider == "sev_guest":
            report = bytearray(0x4A0)
            struct.pack_into("<I", report, 0, 5)
            struct.pack_into("<I", report, 0x30, int(r.options.get("privlevel", "0")))
            report[0x50:0x90] = data.ljust(64, b"\0")
            return bytes(report)
        if self.provider == "arm_cca_guest":
            # CBOR: tag 399 { 44241: bstr(realm token) }, the realm token a map holding
            # 10 (challenge) -> bstr. Enough for a client that passes the bytes through.
            realm = b"\xa1\x0a\x58" + bytes([len(data)]) + data
            return (b"\xd9\x01\x8f\xa1\x19\xac\xd1\x58" + bytes([len(realm)]) + realm)
        raise fuse.FuseOSError(errno.ENXIO)

    # -- directories ---------------------------------------------------------------------
    def getattr(self, path, fh=None):
        parts = self.split(path)
        now = time.time()
        if len(parts) <= 2:
            return dict(st_mode=stat.S_IFDIR | 0o755, st_nlink=2, st_ctime=now,
                        st_mtime=now, st_atime=now)
        r = self.reports.get(parts[2])
        if r is None:
            raise fuse.FuseOSError(errno.ENOENT)
        if len(parts) == 3:
            return dict(st_mode=stat.S_IFDIR | 0o755, st_nlink=2, st_ctime=r.ctime,
                        st_mtime=r.ctime, st_atime=r.ctime)
        if len(parts) == 4 and parts[3] in r.attrs:
            mode, kind = r.attrs[parts[3]]
            # configfs reports a size of 4096 for text attributes and 0 for binary ones.
            size = 4096 if kind in ("text", "option") else 0
            return dict(st_mode=stat.S_IFREG | mode, st_nlink=1, st_size=size,
                        st_ctime=r.ctime, st_mtime=r.ctime, st_atime=r.ctime)
        raise fuse.FuseOSError(errno.ENOENT)

    def readdir(self, path, fh):
        parts = self.split(path)
        if len(parts) == 0:
            return [".", "..", "tsm"]
        if len(parts) == 1:
            return [".", "..", "report"]
        if len(parts) == 2:
            return [".", ".."] + list(self.reports)
        r = self.reports.get(parts[2])
        if r is None or len(parts) != 3:
            raise fuse.FuseOSError(errno.ENOTDIR)
        return [".", ".."] + list(r.attrs)

    def mkdir(self, path, mode):
        parts = self.split(path)
        if len(parts) != 3:
            raise fuse.FuseOSError(errno.EPERM)
        if self.provider == "none":
            raise fuse.FuseOSError(errno.ENXIO)
        with self.lock:
            if parts[2] in self.reports:
                raise fuse.FuseOSError(errno.EEXIST)
            self.reports[parts[2]] = Report(self.provider)
        self.log(f"mkdir {parts[2]}")

    def rmdir(self, path):
        parts = self.split(path)
        if len(parts) != 3 or parts[2] not in self.reports:
            raise fuse.FuseOSError(errno.ENOENT)
        del self.reports[parts[2]]
        self.log(f"rmdir {parts[2]}")

    # -- attributes ----------------------------------------------------------------------
    def attr(self, path):
        parts = self.split(path)
        if len(parts) != 4 or parts[2] not in self.reports:
            raise fuse.FuseOSError(errno.ENOENT)
        r = self.reports[parts[2]]
        if parts[3] not in r.attrs:
            raise fuse.FuseOSError(errno.ENOENT)
        return parts[2], r, parts[3], r.attrs[parts[3]]

    def open(self, path, flags):
        name, r, attr, (mode, kind) = self.attr(path)
        wants_write = (flags & os.O_ACCMODE) != os.O_RDONLY
        if wants_write and not mode & 0o200 or not wants_write and not mode & 0o444:
            raise fuse.FuseOSError(errno.EACCES)
        with self.lock:
            fh = self.next_fh
            self.next_fh += 1
        if wants_write:
            self.pending[fh] = (name, attr, bytearray())
        elif kind == "bin-out":
            self.log(f"read {name} {attr}")
            if attr == "outblob":
                self.outblobs[fh] = self.make_outblob(r)
            else:
                self.outblobs[fh] = b""
        return fh

    def read(self, path, size, offset, fh):
        name, r, attr, (mode, kind) = self.attr(path)
        if kind == "text":
            if attr == "provider":
                text = self.provider + "\n"
            elif attr == "generation":
                text = f"{r.generation}\n"
            else:
                text = "0\n"
            data = text.encode()
        else:
            data = self.outblobs.get(fh, b"")
        return data[offset : offset + size]

    def write(self, path, data, offset, fh):
        name, attr, buf = self.pending[fh]
        limit = INBLOB_MAX if attr == "inblob" else 4096
        if offset + len(data) > limit:
            raise fuse.FuseOSError(errno.EFBIG)
        buf[offset : offset + len(data)] = data
        return len(data)

    def truncate(self, path, length, fh=None):
        return 0

    def release(self, path, fh):
        if fh in self.pending:
            name, attr, buf = self.pending.pop(fh)
            r = self.reports.get(name)
            if r is not None:
                # configfs commits a binary attribute's buffer when the file is closed.
                if attr == "inblob":
                    r.inblob = bytes(buf)
                    self.log(f"inblob {name} {r.inblob.hex()}")
                else:
                    r.options[attr] = bytes(buf).decode(errors="replace").strip()
                    self.log(f"option {name} {attr} {r.options[attr]}")
                r.generation += 1
        self.outblobs.pop(fh, None)
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mountpoint")
    ap.add_argument("--provider", required=True,
                    choices=["tdx_guest", "sev_guest", "arm_cca_guest", "none"])
    ap.add_argument("--measurements")
    ap.add_argument("--log")
    a = ap.parse_args()
    fuse.FUSE(ConfigfsTsm(a.provider, a.measurements, a.log), a.mountpoint,
              foreground=True, nothreads=True, default_permissions=False)


if __name__ == "__main__":
    main()
