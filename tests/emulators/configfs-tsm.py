#!/usr/bin/python3
"""A FUSE file system that behaves like the kernel's configfs-tsm report interface.

The host that runs the tests has no confidential-computing hardware and no configfs, so this
plays /sys/kernel/config for fixture trees, following Documentation/ABI/testing/
configfs-tsm-report and the configfs rules that matter to a client:
  - mkdir tsm/report/NAME makes a report; without a provider the kernel answers ENXIO;
  - binary attributes (inblob) buffer writes and commit them when the file is closed; more
    than the attribute's maximum (64 bytes for inblob) fails the write with EFBIG;
  - text attributes (privlevel, ...) are stored by each write(); privlevel outside
    privlevel_floor..3 fails with EINVAL;
  - generation counts committed writes to inblob and the options;
  - outblob is generated from the committed inblob on the first read of an open file; no
    inblob, or one of a length the provider refuses (TDX and SEV-SNP exactly 64 bytes, Arm CCA
    32..64), fails that read with EINVAL, as the guest drivers do;
  - which attributes exist depends on the provider (sev_guest adds auxblob, privlevel, ...);
  - nothing is cached by the page cache (direct_io): binary attributes have a size of 0, so a
    cached read would see an empty file where configfs returns the blob.
The reports are shaped like the real ones where a verifier looks (TDX quote v4: REPORTDATA at
offset 568, the RTMRs from the fixture's tsm-mr files, and signature data framed as DCAP's,
signed by a self-made PCK chain, not Intel's: dcap_quote.py; SEV-SNP report: version 5 of a
Milan CPU (CPUID family 0x19, model 0x01), REPORT_DATA at 0x50, VMPL at 0x30, and an auxblob
holding a GHCB certificate table with VCEK, ASK and ARK entries; Arm CCA: the challenge inside
a realm token, COSE_Sign1 beside a platform token in the tag-399 collection). Only the TDX quote
carries real signatures, and no verifier with the vendors' keys accepts any of them. Any other provider name plays a driver mrboot does not know, whose
outblob echoes the inblob.

Faults for the tests of a client:
  --race once|always      another writer bumps the report's generation when outblob is opened
                          (only the first time in the emulator's life, or every time);
  --privlevel-floor N     the floor the provider reports (the VMPL the guest runs at);
  --empty-outblob         the provider returns an empty report.

Every operation is appended to --log as one line ("mkdir NAME", "inblob NAME HEX", "option NAME
ATTR VALUE", "read NAME outblob", "race NAME", "rmdir NAME"), so tests can check what the agent
did.
Usage: configfs-tsm.py MOUNTPOINT --provider tdx_guest|sev_guest|arm_cca_guest|none|OTHER
                       [--measurements DIR] [--log FILE] [--race once|always]
                       [--privlevel-floor N] [--empty-outblob]
"""
import argparse
import errno
import hashlib
import os
import stat
import struct
import threading
import time
import uuid

import fusepy as fuse

# The TDX quote's signature data needs python3-cryptography; other providers do without.
try:
    import dcap_quote
except ImportError:
    dcap_quote = None

INBLOB_MAX = 64
PRIVLEVEL_MAX = 3
# The inblob lengths each guest driver accepts (report_new answers EINVAL otherwise).
INBLOB_LENGTHS = {"tdx_guest": (64, 64), "sev_guest": (64, 64), "arm_cca_guest": (32, 64)}
# GHCB specification, "SNP Extended Guest Request": certificate table GUIDs.
SNP_CERT_GUIDS = [("63da758d-e664-4564-adc5-f4b93be8accd", 1360),  # VCEK
                  ("4ab7b379-bbac-4fe4-a02f-05aef327c782", 1600),  # ASK
                  ("c0b406a4-a803-4952-9743-3fb6014cd0ae", 1620)]  # ARK

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


def _cbor(v):
    """Definite-length CBOR (RFC 8949) of ints, bytes, text, lists, maps and ("tag", n, v)."""
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        size = next(k for k in (1, 2, 4, 8) if n < 1 << 8 * k)
        return bytes([major << 5 | {1: 24, 2: 25, 4: 26, 8: 27}[size]]) + n.to_bytes(size, "big")
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        return head(3, len(v.encode())) + v.encode()
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(_cbor(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(_cbor(k) + _cbor(x) for k, x in v.items())
    return head(6, v[1]) + _cbor(v[2])


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
    def __init__(self, provider, measurements, log, race=None, privlevel_floor=0,
                 empty_outblob=False):
        self.provider = provider
        self.measurements = measurements
        self.log_path = log
        self.race = race
        self.raced = False
        self.privlevel_floor = privlevel_floor
        self.empty_outblob = empty_outblob
        self.reports = {}
        self.pck_chain = None  # made on the first TDX quote
        self.pending = {}  # fh -> (report name, attr, bytearray)
        self.outblobs = {}  # fh -> bytes, made on the first read
        self.next_fh = 1
        # Not "lock": fusepy would take an attribute of that name for the POSIX lock operation.
        self.mutex = threading.Lock()

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
        low, high = INBLOB_LENGTHS.get(self.provider, (1, INBLOB_MAX))
        if not low <= len(data) <= high:
            raise fuse.FuseOSError(errno.EINVAL)
        if self.empty_outblob:
            return b""
        if self.provider == "tdx_guest":
            # Quote v4: 48-byte header, 584-byte TD report body (RTMRs at 328, REPORTDATA
            # last), then the signature data as DCAP frames it (dcap_quote.py).
            if dcap_quote is None:
                raise fuse.FuseOSError(errno.EIO)  # no python3-cryptography to sign with
            if self.pck_chain is None:
                self.pck_chain = dcap_quote.PckChain()
            body = bytearray(dcap_quote.TD_REPORT_BODY_SIZE)
            for i, v in enumerate(self.rtmrs()):
                body[328 + 48 * i : 376 + 48 * i] = v
            body[520:584] = data.ljust(64, b"\0")
            return dcap_quote.quote_v4(bytes(body), self.pck_chain)
        if self.provider == "sev_guest":
            report = bytearray(0x4A0)
            struct.pack_into("<I", report, 0, 5)
            # CPUID_FAM_ID, CPUID_MOD_ID (version 3 and later): a Milan CPU, which Trustee's
            # verifier (78962cd4 snp/mod.rs get_processor_generation) needs to know.
            report[0x188:0x18A] = b"\x19\x01"
            struct.pack_into("<I", report, 0x30, int(r.options.get("privlevel", "0")))
            report[0x50:0x90] = data.ljust(64, b"\0")
            return bytes(report)
        if self.provider == "arm_cca_guest":
            # The CCA attestation token: CBOR tag 399 {44234: platform token, 44241: realm
            # token}, each a COSE_Sign1 [protected, unprotected, payload, signature] (RFC 9052,
            # tag 18) whose payload is its claims map; the realm's challenge (10) is the inblob
            # as written. The signatures are zeros: no verifier with Arm's keys accepts it.
            def sign1(claims, sig_size):
                return _cbor(("tag", 18, [_cbor({1: -35}), {}, _cbor(claims), bytes(sig_size)]))
            platform = sign1({10: hashlib.sha256(data).digest(), 256: b"\x01" + bytes(32),
                              2396: bytes(32)}, 64)
            realm = sign1({10: data, 44235: bytes(64), 44236: "sha-256",
                           44238: bytes(32), 44239: [bytes(32)] * 4}, 96)
            return _cbor(("tag", 399, {44234: platform, 44241: realm}))
        return data

    def make_auxblob(self, r):
        if self.provider != "sev_guest":
            return b""
        # A certificate table: (GUID, u32 offset, u32 length) entries ending with a zeroed one,
        # then the certificates (filler bytes here) at their offsets from the table's start.
        # GUIDs in RFC 4122 byte order, as hosts write them (snphost) and the sev crate reads.
        table_len = 24 * (len(SNP_CERT_GUIDS) + 1)
        table, certs = b"", b""
        for i, (guid, size) in enumerate(SNP_CERT_GUIDS):
            table += uuid.UUID(guid).bytes + struct.pack("<II", table_len + len(certs), size)
            certs += bytes([0x30 + i]) * size
        return table + bytes(24) + certs

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
        with self.mutex:
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
        with self.mutex:
            fh = self.next_fh
            self.next_fh += 1
        if wants_write:
            self.pending[fh] = (name, attr, bytearray())
        elif kind == "bin-out":
            self.log(f"read {name} {attr}")
            if attr == "outblob" and (self.race == "always" or
                                      self.race == "once" and not self.raced):
                # Another writer of this report, between the client's writes and its reads.
                self.raced = True
                r.generation += 1
                self.log(f"race {name}")
        return fh

    def read(self, path, size, offset, fh):
        name, r, attr, (mode, kind) = self.attr(path)
        if kind == "text":
            if attr == "provider":
                text = self.provider + "\n"
            elif attr == "generation":
                text = f"{r.generation}\n"
            elif attr == "privlevel_floor":
                text = f"{self.privlevel_floor}\n"
            else:
                text = "0\n"
            data = text.encode()
        else:
            # configfs fills a binary attribute's buffer on the first read of an open file.
            if fh not in self.outblobs:
                make = self.make_outblob if attr == "outblob" else self.make_auxblob
                self.outblobs[fh] = make(r) if attr != "manifestblob" else b""
            data = self.outblobs[fh]
        return data[offset : offset + size]

    def write(self, path, data, offset, fh):
        name, attr, buf = self.pending[fh]
        limit = INBLOB_MAX if attr == "inblob" else 4096
        if offset + len(data) > limit:
            raise fuse.FuseOSError(errno.EFBIG)
        if attr != "inblob":
            # configfs stores a text attribute on every write, not when the file is closed.
            r = self.reports.get(name)
            if r is None:
                raise fuse.FuseOSError(errno.ENOENT)
            value = bytes(data).decode(errors="replace").strip()
            if attr == "privlevel":
                try:
                    level = int(value, 0)
                except ValueError:
                    raise fuse.FuseOSError(errno.EINVAL)
                if not self.privlevel_floor <= level <= PRIVLEVEL_MAX:
                    raise fuse.FuseOSError(errno.EINVAL)
            r.options[attr] = value
            r.generation += 1
            self.log(f"option {name} {attr} {value}")
            return len(data)
        buf[offset : offset + len(data)] = data
        return len(data)

    def truncate(self, path, length, fh=None):
        return 0

    def release(self, path, fh):
        if fh in self.pending:
            name, attr, buf = self.pending.pop(fh)
            r = self.reports.get(name)
            if r is not None and attr == "inblob":
                # configfs commits a binary attribute's buffer when the file is closed.
                r.inblob = bytes(buf)
                self.log(f"inblob {name} {r.inblob.hex()}")
                r.generation += 1
        self.outblobs.pop(fh, None)
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mountpoint")
    ap.add_argument("--provider", required=True,
                    help="tdx_guest, sev_guest, arm_cca_guest, none, or any other name")
    ap.add_argument("--measurements")
    ap.add_argument("--log")
    ap.add_argument("--race", choices=["once", "always"])
    ap.add_argument("--privlevel-floor", type=int, default=0)
    ap.add_argument("--empty-outblob", action="store_true")
    a = ap.parse_args()
    fuse.FUSE(ConfigfsTsm(a.provider, a.measurements, a.log, a.race, a.privlevel_floor,
                          a.empty_outblob),
              a.mountpoint, foreground=True, nothreads=True, default_permissions=False,
              direct_io=True)


if __name__ == "__main__":
    main()
