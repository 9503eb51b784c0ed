#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks mrboot's TPM evidence the way Trustee's TPM verifiers do, with no code of mrboot's.

  tpm-evidence-check.py check EVIDENCE.json --hash HEX --pcrs ALG=FILE... [--firmware-log F]
      [--mrboot-log F] [--trusted-ak PEM] [--expect-banks SHA256[,SHA1]]
    prints one line per check, "ok - ..." or "not ok - ...", for the caller to number.
    ALG=FILE: the PCRs 0..23 of bank ALG as `tpm2_pcrread -o FILE` wrote them.
  tpm-evidence-check.py firmware-log OUT
    writes a small TCG2 firmware log (SHA-1 and SHA-256) and prints, one per event,
    "PCR SHA1HEX SHA256HEX" for the caller to extend into the TPM so that the log is true.

The formats are written out here from the specifications: TPMS_ATTEST and TPMT_SIGNATURE
(TPM 2.0 Library Part 2), the TCG2 event log (PC Client Platform Firmware Profile), the AAEL
tagged event, and the evidence members as confidential-containers/trustee and
openanolis/trustee deps/verifier/src/tpm/mod.rs read them.
"""
import argparse
import base64
import hashlib
import json
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ALG_IDS = {"sha1": 0x0004, "sha256": 0x000B, "sha384": 0x000C, "sha512": 0x000D}
ALG_NAMES = {v: k for k, v in ALG_IDS.items()}
QUOTE_KEYS = {"SHA256": "sha256", "SHA1": "sha1"}

results = []


def check(cond, what):
    results.append((bool(cond), what))
    return bool(cond)


class Reader:
    """Big- or little-endian fields off a byte string; running off the end raises."""

    def __init__(self, data, order):
        self.data, self.pos, self.order = data, 0, order

    def take(self, n):
        if n > len(self.data) - self.pos:
            raise ValueError(f"{n} bytes wanted at {self.pos}, {len(self.data) - self.pos} left")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(self.order + "H", self.take(2))[0]

    def u32(self):
        return struct.unpack(self.order + "I", self.take(4))[0]

    def u64(self):
        return struct.unpack(self.order + "Q", self.take(8))[0]

    def sized(self):
        return self.take(self.u16())

    def left(self):
        return len(self.data) - self.pos


def parse_attest(b):
    """TPMS_ATTEST of a quote (Part 2, 10.12.12), every field, nothing after it."""
    r = Reader(b, ">")
    a = {"magic": r.u32(), "type": r.u16(), "signer": r.sized(), "extra": r.sized()}
    a["clock"], a["reset"], a["restart"], a["safe"] = r.u64(), r.u32(), r.u32(), r.u8()
    a["firmware"] = r.u64()
    count = r.u32()
    a["selections"] = []
    for _ in range(count):
        alg = r.u16()
        a["selections"].append((alg, r.take(r.u8())))
    a["pcr_digest"] = r.sized()
    a["trailing"] = r.left()
    return a


def parse_signature(b):
    """TPMT_SIGNATURE with TPMS_SIGNATURE_RSA (Part 2, 11.3.4)."""
    r = Reader(b, ">")
    sig_alg, hash_alg = r.u16(), r.u16()
    sig = r.sized()
    return sig_alg, hash_alg, sig, r.left()


def parse_tcg2(log):
    """A TCG2 crypto-agile log: the Spec ID event, then TCG_PCR_EVENT2 records up to the end
    or to 8 bytes of 0xFF. Returns (algorithm table, records, terminated)."""
    r = Reader(log, "<")
    index, etype, digest, size = r.u32(), r.u32(), r.take(20), r.u32()
    spec = Reader(r.take(size), "<")
    assert index == 0 and etype == 3 and digest == bytes(20), "Spec ID event header"
    assert spec.take(16) == b"Spec ID Event03\0", "Spec ID signature"
    spec.u32()
    minor, major, _, _ = spec.take(4)
    assert (major, minor) == (2, 0), "Spec ID version"
    sizes = {}
    for _ in range(spec.u32()):
        alg = spec.u16()
        sizes[alg] = spec.u16()
    spec.take(spec.u8())
    assert spec.left() == 0, "Spec ID event size"
    records, terminated = [], False
    while r.left():
        if r.left() >= 8 and log[r.pos:r.pos + 8] == b"\xff" * 8:
            r.take(8)
            terminated = True
            break
        index, etype, count = r.u32(), r.u32(), r.u32()
        digests = {}
        for _ in range(count):
            alg = r.u16()
            digests[alg] = r.take(sizes[alg])
        records.append({"index": index, "type": etype, "digests": digests,
                        "event": r.take(r.u32())})
    assert r.left() == 0, f"{r.left()} bytes after the log"
    return sizes, records, terminated


def mrboot_events(path):
    """The committed events of mrboot's JSON-SEQ log (RS, JSON, LF; pending records and the
    state records that settle them), as (PCR, AAEL text, the text a TPM bank hashes)."""
    pending, state = [], {}
    for chunk in open(path, "rb").read().split(b"\x1e")[1:]:
        rec = json.loads(chunk)
        if rec["state"] == "pending":
            pending.append(rec)
        else:
            state[rec["seq"]] = rec["state"]
    events = []
    for rec in pending:
        if state.get(rec["seq"]) != "committed":
            continue
        text = f'{rec["domain"]} {rec["operation"]} {rec["content"]}'
        hashed = rec["content"] if rec["style"] == "string" else text
        events.append((rec["index"], text.encode(), hashed.encode()))
    return events


def verify(key, sig, msg):
    try:
        key.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256())
        return True
    except InvalidSignature:
        return False


def check_quote(name, q_attest, q_sig_raw, q_pcrs, alg, pcrs_file, key, hash_):
    """One quote, the way both verifiers check it."""
    a = parse_attest(q_attest)
    size = hashlib.new(alg).digest_size
    want = open(pcrs_file, "rb").read()
    check(len(want) == 24 * size, f"{name}: tpm2_pcrread gave 24 {alg} PCRs")
    check(a["magic"] == 0xFF544347 and a["type"] == 0x8018 and a["trailing"] == 0,
          f"{name}: TPMS_ATTEST is a whole quote (TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE)")
    # confidential-containers/trustee 78962cd4, deps/verifier/src/tpm/mod.rs verify_nonce():
    # the expected report data resized to TPM_REPORT_DATA_SIZE = 32 and compared with ==
    # (64, the hash zero-padded, before 7c390d7a; no release had that rule).
    check(a["extra"] == (hash_ + bytes(32))[:32],
          f"{name}: extraData is exactly the hash's first 32 bytes (Trustee's verify_nonce)")
    # openanolis/trustee 531bcb0b, deps/verifier/src/tpm/mod.rs check_report_data(): both
    # sides cut to 32 bytes, then compared.
    check(len(a["extra"]) >= 32 and a["extra"][:32] == (hash_ + bytes(32))[:32],
          f"{name}: extraData's first 32 bytes are the hash's (openanolis' check_report_data)")
    check(a["selections"] == [(ALG_IDS[alg], b"\xff\xff\xff")],
          f"{name}: the quote selects {alg} PCRs 0..23")
    ok = isinstance(q_pcrs, list) and len(q_pcrs) == 24 and all(
        isinstance(p, str) and len(p) == 2 * size and p == p.lower() for p in q_pcrs)
    check(ok, f"{name}: pcrs are 24 lowercase hex {alg} values")
    if not ok:
        return
    listed = b"".join(bytes.fromhex(p) for p in q_pcrs)
    check(listed == want, f"{name}: pcrs are the PCR values tpm2_pcrread reads")
    check(a["pcr_digest"] == hashlib.sha256(want).digest(),
          f"{name}: pcrDigest is SHA-256 of tpm2_pcrread's PCR values in order")
    check(a["pcr_digest"] == hashlib.sha256(listed).digest(),
          f"{name}: pcrDigest is SHA-256 of the listed pcrs (verify_pcrs / check_pcrs)")
    check(verify(key, q_sig_raw, q_attest),
          f"{name}: the signature verifies with the AK (RSASSA-PKCS1-v1_5, SHA-256)")
    bad = bytearray(q_attest)
    bad[-1] ^= 1
    check(not verify(key, q_sig_raw, bytes(bad)),
          f"{name}: the signature does not verify over a changed TPMS_ATTEST")


def replay(records, alg, pcrs):
    """PC Client replay: each PCR from zero, H(old || digest), EV_NO_ACTION skipped."""
    for rec in records:
        if rec["type"] == 3 or ALG_IDS[alg] not in rec["digests"]:
            continue
        old = pcrs.get(rec["index"], bytes(hashlib.new(alg).digest_size))
        pcrs[rec["index"]] = hashlib.new(alg, old + rec["digests"][ALG_IDS[alg]]).digest()


def cmd_check(args):
    ev = json.load(open(args.evidence))
    hash_ = bytes.fromhex(args.hash)
    pcr_files = dict(p.split("=", 1) for p in args.pcrs)
    check(set(ev) == {"ak_public", "tpm_quote", "ek_cert", "ak_pubkey", "quote", "eventlog",
                      "aa_eventlog"}, "the evidence has the members both verifiers read")

    # The AK: base64 DER for confidential-containers/trustee, PEM for openanolis.
    der = base64.b64decode(ev["ak_public"], validate=True)
    key = serialization.load_der_public_key(der)
    check(isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
          and key.public_numbers().e == 65537, "ak_public is an RSA-2048 key, e = 65537")
    spki = key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
    check(der == spki, "ak_public is the canonical DER SubjectPublicKeyInfo, byte for byte")
    pem = key.public_bytes(serialization.Encoding.PEM,
                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    check(ev["ak_pubkey"] == pem, "ak_pubkey is the same key as PEM, as OpenSSL writes it")
    check(ev["ek_cert"] is None, "ek_cert is null")
    if args.trusted_ak:
        trusted = serialization.load_pem_public_key(open(args.trusted_ak, "rb").read())
        trusted_der = trusted.public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
        # Trustee 2f87a432: `input.tpm.ak_public in query_reference_value("trusted_aks")`,
        # the string as sent against the registered one (base64 of the DER).
        check(ev["ak_public"] == base64.b64encode(trusted_der).decode(),
              "ak_public is, as a string, the base64 DER of tpm2-tools' key from the same "
              "template (the trusted_aks reference value Trustee's policy compares)")

    # confidential-containers/trustee: tpm_quote.
    tq = ev["tpm_quote"]
    check(set(tq) == {"signature", "message", "pcrs"}, "tpm_quote has signature, message, pcrs")
    message = base64.b64decode(tq["message"], validate=True)
    tpmt = base64.b64decode(tq["signature"], validate=True)
    sig_alg, hash_alg, raw, trailing = parse_signature(tpmt)
    check((sig_alg, hash_alg, len(raw), trailing) == (0x0014, 0x000B, 256, 0),
          "tpm_quote.signature is a TPMT_SIGNATURE: TPM_ALG_RSASSA, TPM_ALG_SHA256, 256 bytes")
    check_quote("tpm_quote", message, raw, tq["pcrs"], "sha256", pcr_files["sha256"], key, hash_)

    # openanolis/trustee: quote, keyed by bank.
    check(sorted(ev["quote"]) == sorted(args.expect_banks.split(",")),
          f"quote has the banks {args.expect_banks}")
    for name, q in ev["quote"].items():
        if name not in QUOTE_KEYS:
            continue
        body = base64.b64decode(q["attest_body"], validate=True)
        sig = base64.b64decode(q["attest_sig"], validate=True)
        check_quote(f"quote.{name}", body, sig, q["pcrs"], QUOTE_KEYS[name],
                    pcr_files[QUOTE_KEYS[name]], key, hash_)
        if name == "SHA256":
            check(body == message and sig == raw and q["pcrs"] == tq["pcrs"],
                  "quote.SHA256 is the quote tpm_quote carries")

    # The firmware log, as read.
    replayed = {"sha1": {}, "sha256": {}}
    if args.firmware_log:
        fw = open(args.firmware_log, "rb").read()
        check(ev["eventlog"] is not None and base64.b64decode(ev["eventlog"], validate=True) == fw,
              "eventlog is the firmware log's bytes")
        _, records, _ = parse_tcg2(fw)
        for alg in replayed:
            replay(records, alg, replayed[alg])
    else:
        check(ev["eventlog"] is None, "eventlog is null without a firmware log")

    # mrboot's events: aa_eventlog, each record against the JSON-SEQ log's event.
    events = mrboot_events(args.mrboot_log) if args.mrboot_log else []
    if not events:
        check(ev["aa_eventlog"] is None, "aa_eventlog is null without committed events")
    else:
        aa = base64.b64decode(ev["aa_eventlog"], validate=True)
        sizes, records, terminated = parse_tcg2(aa)
        check(sizes == {0x000B: 32} and terminated,
              "aa_eventlog: a Spec ID event of SHA-256 alone, records, 8 bytes of 0xFF")
        check(len(records) == len(events), f"aa_eventlog has the {len(events)} committed events")
        for n, (rec, (pcr, text, hashed)) in enumerate(zip(records, events)):
            body = struct.pack("<II", 0x4141454C, len(text)) + text
            check(rec["index"] == pcr and rec["type"] == 6 and rec["event"] == body,
                  f"aa_eventlog record {n}: EV_EVENT_TAG at PCR {pcr} with the AAEL body of "
                  f"'{text[:40].decode()}...'")
            check(rec["digests"] == {0x000B: hashlib.sha256(hashed).digest()},
                  f"aa_eventlog record {n}: its one digest is SHA-256 of the string the PCR "
                  "was extended with")
        replay(records, "sha256", replayed["sha256"])

    # openanolis: every replayed PCR of a bank equals that bank's quoted value.
    for alg, values in replayed.items():
        if not values:
            continue
        name = {v: k for k, v in QUOTE_KEYS.items()}[alg]
        quoted = ev["quote"].get(name)
        check(quoted is not None, f"the {alg} replay has a quote of its bank")
        if quoted:
            bad = [i for i, v in values.items() if bytes.fromhex(quoted["pcrs"][i]) != v]
            check(not bad, f"{alg} PCRs {sorted(values)} replay to the quoted values "
                  f"(mismatch: {bad})")


def cmd_firmware_log(args):
    def event2(index, etype, data):
        d1, d256 = hashlib.sha1(data).digest(), hashlib.sha256(data).digest()
        print(index, d1.hex(), d256.hex())
        return (struct.pack("<III", index, etype, 2) + struct.pack("<H", 0x0004) + d1
                + struct.pack("<H", 0x000B) + d256 + struct.pack("<I", len(data)) + data)

    spec = (b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, 2)
            + struct.pack("<HHHH", 0x0004, 20, 0x000B, 32) + b"\0")
    log = struct.pack("<II", 0, 3) + bytes(20) + struct.pack("<I", len(spec)) + spec
    log += event2(0, 0x00000008, "mrboot test firmware".encode("utf-16-le"))  # EV_S_CRTM_VERSION
    log += event2(0, 0x00000004, bytes(4))  # EV_SEPARATOR
    log += event2(7, 0x00000004, bytes(4))  # EV_SEPARATOR
    open(args.out, "wb").write(log)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("evidence")
    c.add_argument("--hash", required=True)
    c.add_argument("--pcrs", nargs="+", required=True)
    c.add_argument("--firmware-log")
    c.add_argument("--mrboot-log")
    c.add_argument("--trusted-ak")
    c.add_argument("--expect-banks", default="SHA256")
    f = sub.add_parser("firmware-log")
    f.add_argument("out")
    args = p.parse_args()
    if args.cmd == "firmware-log":
        cmd_firmware_log(args)
        return
    try:
        cmd_check(args)
    except Exception as exc:  # a malformed structure is a failed check, not a crash
        check(False, f"the evidence parses: {type(exc).__name__}: {exc}")
    for ok, what in results:
        print(("ok - " if ok else "not ok - ") + what)


if __name__ == "__main__":
    sys.exit(main())
