#!/usr/bin/env python3
# TAP: the root hash mrboot measures is the one systemd attaches. Each kernel command line of
# the corpus goes to systemd's own veritysetup generator, run as in the initrd
# (SYSTEMD_IN_INITRD=1, the command line in SYSTEMD_PROC_CMDLINE: in_initrd() and
# proc_cmdline() of systemd's src/basic), and to `mrboot measure` on a fixture tree (SEV-SNP
# without a vTPM: events are logged, nothing is extended) whose /proc/cmdline is that line.
# The hashes in the units the generator writes (ExecStart=... systemd-veritysetup attach NAME
# DATA HASH ROOTHASH OPTIONS) must be those of mrboot's rootfs-verity events, read back with
# `mrboot log --format json`; a line mrboot must refuse (two values, verity off, a hash from
# the SystemdOptions EFI variable) must fail measure with exit status 1, naming both values,
# and log nothing.
#
# Witnesses: the machine's generator (/lib/systemd/system-generators), and the one in
# MRBOOT_WITNESS_SYSTEMD, a directory where Debian's systemd-cryptsetup and libsystemd-shared
# packages of another release were unpacked (dpkg-deb -x); by default the one scripts/setup
# unpacks from sid into ${MRBOOT_CACHE:-/var/cache/mrboot}/systemd-witness (262.1 needs only
# libc 2.34, so it runs on bookworm). A witness that does not attach a plain roothash= here
# (it does not run) is skipped, saying so.
# Usage: verity-witness.py MRBOOT FIXTURES_DIR
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

mrboot, fixtures = sys.argv[1], sys.argv[2]
n = 0
failed = False


def ok(cond, what, diag=None):
    global n, failed
    n += 1
    print(f"{'' if cond else 'not '}ok {n} - {what}")
    if not cond:
        failed = True
        for line in (diag or "").splitlines():
            print(f"# {line}")
    return cond


def skip(what, why):
    global n
    n += 1
    print(f"ok {n} - {what} # SKIP {why}")


A = "aa" * 32
B = "bb" * 32
GOOD = "600d" * 16
EVIL = "e7e1" * 16

# (what, command line, [measure] roothash or None, SystemdOptions or None, expectation)
# Expectation: "same" (mrboot measures what systemd attaches), or ("refuse", [texts the error
# names], exit status if not 1). attaches: what every systemd generator must attach, where the line is an attack
# that works on systemd (so that a change in systemd shows here), or a dict by version.
CORPUS = [
    ("roothash=", f"root=/dev/mapper/root ro roothash={A}", None, None, "same", None),
    ("rd.roothash= counts in the initrd", f"rd.roothash={A}", None, None, "same", {"root": A}),
    ("usrhash=", f"usrhash={B}", None, None, "same", None),
    ("rd.usrhash=", f"rd.usrhash={B}", None, None, "same", {"usr": B}),
    ("roothash= and usrhash=", f"roothash={A} usrhash={B}", None, None, "same", None),
    ("roothash=GOOD rd.roothash=EVIL: systemd attaches EVIL, mrboot refuses",
     f"roothash={GOOD} rd.roothash={EVIL}", None, None,
     ("refuse", [f"roothash={GOOD} and rd.roothash={EVIL}"]), {"root": EVIL}),
    ("rd.roothash=EVIL roothash=GOOD: refused", f"rd.roothash={EVIL} roothash={GOOD}", None,
     None, ("refuse", [f"rd.roothash={EVIL} and roothash={GOOD}"]), {"root": GOOD}),
    ("quoted forms 'roothash=GOOD' \"roothash\"=EVIL: refused",
     f"'roothash={GOOD}' \"roothash\"={EVIL}", None, None,
     ("refuse", [f"roothash={GOOD} and roothash={EVIL}"]), {"root": EVIL}),
    ("roothash=EVIL x\\vroothash=GOOD: one roothash for systemd, and mrboot measures it",
     f"roothash={EVIL} x\vroothash={GOOD}", None, None, "same", {"root": EVIL}),
    ("roothash=GOOD -- roothash=EVIL: systemd reads past --, mrboot refuses",
     f"roothash={GOOD} -- roothash={EVIL}", None, None,
     ("refuse", [f"roothash={GOOD} and roothash={EVIL}"]), {"root": EVIL}),
    ("the same value twice", f"roothash={A} rd.roothash={A}", None, None, "same", None),
    ("the same hex in other case: the last spelling",
     f"roothash={A} roothash={A.upper()}", None, None, "same", {"root": A.upper()}),
    ("systemd.verity_root_hash= is a device, not a hash",
     f"systemd.verity_root_data=/dev/vda systemd.verity_root_hash=/dev/vdb roothash={A}",
     None, None, "same", {"root": A}),
    ("usrhash=A rd.usrhash=B: refused", f"usrhash={A} rd.usrhash={B}", None, None,
     ("refuse", [f"usrhash={A} and rd.usrhash={B}"]), {"usr": B}),
    ("roothash without '=' is ignored", f"roothash={A} roothash", None, None, "same", None),
    ("an empty roothash= after a value: refused", f"roothash={A} roothash=", None, None,
     ("refuse", [f"roothash={A} and roothash="]), None),
    ("rd.rd.roothash= is no root hash", f"rd.rd.roothash={A}", None, None, "same", None),
    ("ROOTHASH= is no root hash", f"ROOTHASH={A}", None, None, "same", None),
    # systemd takes it (EXTRACT_RELAX); mrboot's settings, read from the same line by the
    # kernel's rules (cmdline.h), refuse an unterminated quote before anything is measured.
    ("an unterminated quote: systemd attaches, mrboot refuses the line (exit 3)",
     f"ro roothash=\"{A}", None, None, ("refuse", ["unterminated quote"], 3), {"root": A}),
    ("a quoted value", f"roothash='{A}'", None, None, "same", None),
    ("a word quoted whole: one value with a space, not hex: refused",
     f"\"roothash={A} usrhash={B}\"", None, None, ("refuse", ["verity roothash"]), None),
    ("roothash=A\\xa0roothash=B is one word for systemd: not hex, refused",
     f"roothash={A}\xa0roothash={B}", None, None, ("refuse", ["verity roothash"]), None),
    ("roothash=A\\froothash=B: refused", f"roothash={A}\froothash={B}", None, None,
     ("refuse", ["verity roothash"]), None),
    ("systemd.verity=0 with a hash: systemd attaches nothing, mrboot refuses",
     f"roothash={A} systemd.verity=0", None, None,
     ("refuse", ["systemd.verity=0 turns systemd's verity setup off"]), {"root": None}),
    ("rd.systemd.verity=off with a hash: refused", f"roothash={A} rd.systemd.verity=off", None,
     None, ("refuse", ["rd.systemd.verity=off"]), {"root": None}),
    ("systemd.verity=bogus is ignored", f"roothash={A} systemd.verity=bogus", None, None,
     "same", {"root": A}),
    ("systemd.verity=0 then systemd.verity: on again", f"systemd.verity=0 systemd.verity "
     f"roothash={A}", None, None, "same", {"root": A}),
    ("the configuration's roothash, equal to the command line's",
     f"roothash={GOOD}", GOOD, None, "same", None),
    ("the configuration's roothash is checked, not substituted: refused, naming both",
     f"roothash={EVIL}", GOOD, None,
     ("refuse", [f"roothash={EVIL} is not the configuration's [measure] roothash = {GOOD}"]),
     {"root": EVIL}),
    ("SystemdOptions sets roothash=EVIL, the command line none: refused",
     "ro", None, f"roothash={EVIL}", ("refuse", ["SystemdOptions", f"roothash={EVIL}"]),
     {"efi": EVIL}),
    ("SystemdOptions sets roothash=EVIL, the command line roothash=GOOD: refused",
     f"roothash={GOOD}", None, f"roothash={EVIL}",
     ("refuse", ["SystemdOptions", f"roothash={EVIL}"]), {"root": GOOD}),
]

EFI_CACHE = "run/systemd/efivars/SystemdOptions-8cf2644b-4b0b-428f-9387-6d876050dc67"


def generators():
    found = []
    for g in ("/lib/systemd/system-generators/systemd-veritysetup-generator",
              "/usr/lib/systemd/system-generators/systemd-veritysetup-generator"):
        if os.access(g, os.X_OK):
            found.append((g, None))
            break
    other = os.environ.get("MRBOOT_WITNESS_SYSTEMD") or os.path.join(
        os.environ.get("MRBOOT_CACHE", "/var/cache/mrboot"), "systemd-witness")
    if os.path.isdir(os.path.join(other, "usr/lib")):
        g = os.path.join(other, "usr/lib/systemd/system-generators/systemd-veritysetup-generator")
        libs = [os.path.join(other, "usr/lib", d, "systemd")
                for d in os.listdir(os.path.join(other, "usr/lib")) if "-linux-" in d]
        found.append((g, libs[0] if libs else None))
    return found


def version(gen, libdir):
    """The systemd release, from the libsystemd-shared-NNN.so the generator needs."""
    out = subprocess.run(["readelf", "-d", gen], capture_output=True, text=True).stdout
    m = re.search(r"libsystemd-shared-(\d+)", out)
    return int(m.group(1)) if m else None


def attach(gen, libdir, cmdline, efi):
    """What the generator attaches: {"root": hash or None, "usr": hash or None}."""
    with tempfile.TemporaryDirectory() as d:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SYSTEMD_IN_INITRD": "1",
               "SYSTEMD_PROC_CMDLINE": cmdline, "SYSTEMD_LOG_LEVEL": "emerg",
               # No host file may speak: an empty SystemdOptions and no veritytab.
               "SYSTEMD_EFI_OPTIONS": efi or "", "SYSTEMD_VERITYTAB": "/nonexistent"}
        if libdir:
            env["LD_LIBRARY_PATH"] = libdir
        subprocess.run([gen, d, d, d], env=env, capture_output=True)
        got = {}
        for name in ("root", "usr"):
            unit = os.path.join(d, f"systemd-veritysetup@{name}.service")
            got[name] = None
            if os.path.exists(unit):
                for line in open(unit, encoding="utf-8", errors="surrogateescape"):
                    if line.startswith("ExecStart="):
                        argv = shlex.split(line[len("ExecStart="):])
                        got[name] = argv[argv.index("attach") + 4]
        return got


def measure(tree, cmdline, config, efi):
    """mrboot measure: (status, stderr, {"root": hash, "usr": hash}, [rootfs-verity contents])."""
    root = os.path.join(tree, "root")
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(fixtures, "mktree.py"),
                    os.path.join(fixtures, "sev-snp.spec"), root], check=True)
    with open(os.path.join(root, "proc/cmdline"), "wb") as f:
        f.write(cmdline.encode("utf-8", "surrogateescape") + b"\n")
    os.makedirs(os.path.join(root, "etc"), exist_ok=True)
    with open(os.path.join(root, "etc/mrboot.conf"), "w") as f:
        f.write("[measure]\nrootfs = auto\n" + (f"roothash = {config}\n" if config else ""))
    if efi is not None:
        os.makedirs(os.path.dirname(os.path.join(root, EFI_CACHE)), exist_ok=True)
        with open(os.path.join(root, EFI_CACHE), "w") as f:
            f.write(efi)
    p = subprocess.run([mrboot, "--root", root, "measure"], capture_output=True)
    err = p.stderr.decode("utf-8", "replace")
    log = subprocess.run([mrboot, "--root", root, "log", "--format", "json"],
                         capture_output=True)
    records = json.loads(log.stdout)["records"] if log.returncode == 0 else []
    got, contents = {"root": None, "usr": None}, []
    for r in records:
        if r["operation"] == "rootfs-verity" and r["state"] == "committed":
            c = json.loads(r["content"])
            contents.append(r["content"])
            got["root" if c["parameter"] == "roothash" else "usr"] = c["hash"]
    return p.returncode, err, got, contents, len(records)


def jcs(obj):
    """RFC 8785 for these flat objects of ASCII strings: sorted keys, no whitespace."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def main():
    gens = []
    for g, lib in generators():
        if attach(g, lib, f"roothash={A}", None)["root"] == A:
            gens.append((g, lib, version(g, lib)))
        else:
            skip(f"the witness {g}", "it does not attach a plain roothash= here (does not run?)")
    if not gens:
        print(f"1..{n}" if n else
              "1..0 # SKIP no systemd-veritysetup-generator that runs on this machine")
        return 0
    print("# witnesses: " + ", ".join(f"systemd {v} ({g})" for g, _, v in gens))
    with tempfile.TemporaryDirectory() as tree:
        for what, cmdline, config, efi, expect, attaches in CORPUS:
            status, err, got, contents, nrec = measure(tree, cmdline, config, efi)
            for g, lib, v in gens:
                sd = attach(g, lib, cmdline, efi)
                label = f"systemd {v}: {what}"
                # What systemd does with the attacks, so that a change in systemd shows.
                if attaches and "efi" in attaches:
                    if v is None or 257 < v < 262:
                        skip(f"{label}: whether it reads SystemdOptions",
                             "252 and 257 read it, 262 does not; between them unchecked")
                    else:
                        want = attaches["efi"] if v <= 257 else None
                        if config is None and "root" not in attaches:
                            ok(sd["root"] == want, f"{label}: systemd attaches "
                               f"{want or 'nothing'} (SystemdOptions read up to 257)",
                               f"systemd: {sd}")
                if attaches:
                    for vol in ("root", "usr"):
                        if vol in attaches:
                            ok(sd[vol] == attaches[vol], f"{label}: systemd attaches "
                               f"{vol} {attaches[vol] or 'nothing'}", f"systemd: {sd}")
                if expect == "same":
                    ok(status == 0 and got == sd,
                       f"{label}: mrboot measures what systemd attaches",
                       f"status {status}\nmrboot: {got}\nsystemd: {sd}\n{err}")
                else:
                    texts, want_status = expect[1], expect[2] if len(expect) > 2 else 1
                    ok(status == want_status and all(t in err for t in texts) and nrec == 0,
                       f"{label}: mrboot refuses (exit {want_status}), naming it, logging "
                       "nothing",
                       f"status {status}, {nrec} records\nwant {texts}\n{err}\n"
                       f"systemd: {sd}")
            if expect == "same" and contents:
                src = "both" if config and got["root"] else None
                good = all(c == jcs(json.loads(c)) for c in contents)
                if src:
                    good = good and json.loads(contents[0])["source"] == "both"
                ok(good, f"{what}: the event content is its own JCS form"
                   + (", source both" if src else ""), "\n".join(contents))
    print(f"1..{n}")
    return 1 if failed else 0


sys.exit(main())
