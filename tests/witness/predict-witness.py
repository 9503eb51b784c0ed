#!/usr/bin/python3
"""An independent check of `mrboot predict --json`, sharing no code with mrboot.

From each event's domain, operation and content alone it recomputes the digests the way the
formats document them (agent/evlog/aael.h for TDX and CCA: the hash of the AAEL tagged event
u32le 0x4141454C, u32le size, "<domain> <operation> <content>"; for a TPM bank, the hash of the
UTF-8 string "<domain> <operation> <content>", as systemd measures strings), the register each
event lands in (the logical PCR itself on a TPM; the UEFI CC mapping on TDX and CCA: PCR 1 and
7 -> index 0, 2..6 -> 1, 8..15 -> 2, others -> 3), and each register from zero as
H(old || digest), and checks the prediction against them. With --live NAME=HEX it also checks
a predicted register against a value read back from the registers after `mrboot measure`.

Each platform's prediction in the document is checked on its own.

Usage: predict-witness.py PREDICTION.json [--live rtmr2=HEX ...]
Prints one line per mismatch and exits 1 if there is any.
"""
import hashlib
import json
import struct
import sys


def cc_index(pcr):
    if pcr in (1, 7):
        return 0
    if 2 <= pcr <= 6:
        return 1
    if 8 <= pcr <= 15:
        return 2
    return 3


def check(pred, bad):
    """Checks one platform's prediction; returns its registers by name."""
    platform = pred["platform"]
    family = "tpm" if platform.startswith("tpm") else platform.split("-")[0]
    prefix = {"tpm": "pcr", "tdx": "rtmr", "cca": "rem"}.get(family)
    regs = {}
    for i, ev in enumerate(pred["events"]):
        text = "%s %s %s" % (ev["domain"], ev["operation"], ev["content"])
        raw = text.encode("utf-8")
        body = raw if family == "tpm" else struct.pack("<II", 0x4141454C, len(raw)) + raw
        index = ev["pcr"] if family == "tpm" else cc_index(ev["pcr"])
        want_reg = None if prefix is None else "%s%d" % (prefix, index)
        if ev["register"] != want_reg:
            bad.append("event %d: register %s, want %s" % (i, ev["register"], want_reg))
        for alg, digest in ev["digests"].items():
            want = hashlib.new(alg, body).hexdigest()
            if digest != want:
                bad.append("event %d (%s): %s digest %s, want %s" % (i, ev["operation"], alg, digest, want))
            if want_reg is not None:
                old = regs.setdefault(want_reg, {}).get(alg, bytes(hashlib.new(alg).digest_size))
                regs[want_reg][alg] = hashlib.new(alg, old + bytes.fromhex(want)).digest()
    got = {r["register"]: r for r in pred["registers"]}
    if set(got) != set(regs):
        bad.append("registers %s, want %s" % (sorted(got), sorted(regs)))
    for name, banks in regs.items():
        r = got.get(name)
        if r is None:
            continue
        if r["firmware_events"] != 0:
            bad.append("%s: %d firmware events; this witness replays from zero" % (name, r["firmware_events"]))
            continue
        for alg, value in banks.items():
            if r["value"].get(alg) != value.hex():
                bad.append("%s %s: predicted %s, from the events %s" % (name, alg, r["value"].get(alg), value.hex()))
    return got


def main():
    pred = json.load(open(sys.argv[1], encoding="utf-8"))
    live = {}
    args = sys.argv[2:]
    while args:
        if args[0] != "--live" or len(args) < 2:
            sys.exit("usage: predict-witness.py PREDICTION.json [--live NAME=HEX ...]")
        name, _, value = args[1].partition("=")
        live[name] = value.lower()
        args = args[2:]
    bad = []
    got = {}
    for p in pred["predictions"]:
        for name, r in check(p, bad).items():
            got.setdefault(name, []).extend(r["value"].values())
    for name, value in live.items():
        if value not in got.get(name, []):
            bad.append("%s: predicted %s, live %s" % (name, got.get(name, []), value))
    for line in bad:
        print(line)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
