#!/usr/bin/python3
# Writes the seed corpora of fuzz-snp and fuzz-tee from the reports tests/unit/tee.c builds:
# SEV-SNP ATTESTATION_REPORTs at the firmware ABI's offsets (tests/lib/tee-samples.h says which
# values), alone or followed by a GHCB certificate table, valid and broken; a TD quote and a
# CCA token as unit/tee.c feeds them, and the firmware CCEL of tests/lib/evlog-samples.h.
# Usage: tests/fuzz/tee-seeds.py  (any Python 3)
import os
import re
import struct

here = os.path.dirname(os.path.abspath(__file__))
REPORT_SIZE = 0x4A0


def write(corpus, name, data):
    os.makedirs(os.path.join(here, "corpus", corpus), exist_ok=True)
    with open(os.path.join(here, "corpus", corpus, "seed-" + name), "wb") as f:
        f.write(data)


def tcb(turin, bl, tee, snp, ucode):
    if turin:
        return bytes([1, bl, tee, snp, 0, 0, 0, ucode])
    return bytes([bl, tee, 0, 0, 0, 0, snp, ucode])


def report(version, turin):
    r = bytearray(REPORT_SIZE)

    def pattern(off, n):
        r[off:off + n] = bytes((off + i) & 0xFF for i in range(n))

    struct.pack_into("<IIQ", r, 0, version, 0x01020304, 0x30000)
    pattern(0x010, 16)
    pattern(0x020, 16)
    struct.pack_into("<II", r, 0x030, 0, 1)
    r[0x038:0x040] = tcb(turin, 3, 0, 8, 115)
    struct.pack_into("<QI", r, 0x040, 0x25, 1)
    for off, n in ((0x050, 64), (0x090, 48), (0x0C0, 32), (0x0E0, 48), (0x110, 48),
                   (0x140, 32), (0x160, 32)):
        pattern(off, n)
    r[0x180:0x188] = tcb(turin, 2, 0, 7, 114)
    if version >= 3:
        r[0x188:0x18B] = bytes([0x1A, 0x02, 0x01] if turin else [0x19, 0x11, 0x02])
    pattern(0x1A0, 64)
    r[0x1E0:0x1E8] = tcb(turin, 1, 0, 6, 113)
    r[0x1E8:0x1EB] = bytes([21, 55, 1])
    r[0x1EC:0x1EF] = bytes([20, 54, 1])
    r[0x1F0:0x1F8] = tcb(turin, 4, 1, 9, 116)
    if version >= 5:
        struct.pack_into("<QQ", r, 0x1F8, 0x0102030405060708, 7)
    pattern(0x2A0, 72)
    pattern(0x2E8, 72)
    return bytes(r)


def cert_table():
    """VCEK, a GUID the sev crate does not name, the zero entry, then the data."""
    t = bytearray(80)
    t[0:16] = bytes.fromhex("63da758de6644564adc5f4b93be8accd")
    struct.pack_into("<II", t, 16, 72, 3)
    t[24:40] = bytes.fromhex("112233445566778899aabbccddeeff00")
    struct.pack_into("<II", t, 40, 75, 2)
    t[72:77] = bytes([1, 2, 3, 9, 8])
    return bytes(t[:77])


def c_hex(path, name):
    """The hex string of a C macro made of string literals and other such macros."""
    text = re.sub(r"/\*.*?\*/", "", open(path, encoding="utf-8").read(), flags=re.S)
    text = text.replace("\\\n", " ")
    macros = dict(re.findall(r"^#define (\w+)[ \t]+(.*)$", text, flags=re.M))

    def expand(n):
        return "".join(t[1:-1] if t.startswith('"') else expand(t)
                       for t in re.findall(r'"[^"]*"|\w+', macros[n]))
    return expand(name).replace(" ", "")


milan3 = report(3, False)
write("snp", "v3-milan", milan3)
write("snp", "v5-turin-certs", report(5, True) + cert_table())
write("snp", "v2-empty-table", report(2, False) + bytes(24))
write("snp", "v3-no-zero-entry", milan3 + cert_table()[:24] + b"\xee" * 16 + b"\0\0")
write("snp", "v6", report(6, False))
write("snp", "short", milan3[:-1])

ccel = bytes.fromhex(c_hex(os.path.join(here, "..", "lib", "evlog-samples.h"), "CCEL_TABLE"))
write("tee", "tdx-ccel", b"\0" + ccel)
write("tee", "tdx-quote", b"\0" + bytes([0x04, 0x00, 0x02, 0x00, 0x81]))
write("tee", "cca-token", b"\1" + bytes([0xD9, 0x01, 0x8F, 0xA1, 0x00]))
write("tee", "cca-empty", b"\1")
