#!/usr/bin/env python3
"""The witness for tests/integration/log.sh: writes mrboot journals and reads `mrboot log` back.

Everything here is derived from the specifications, not from mrboot's code: the journal's
record layout (DESIGN.md section 5, RFC 7464 JSON text sequences), AAEL bodies and their
digests (hashlib), TCG_PCR_EVENT2 (PC Client PFP), CEL-TLV (TCG Canonical Event Log) and the
Spec ID event of a firmware CCEL.

Usage:
    log-check.py journal ROOT SCENARIO      write ROOT/run/log/mrboot/events.jsonseq
    log-check.py ccel-fixture PATH          write a firmware CCEL (SHA-384, one record, 0xFF)
    log-check.py json JOURNAL OUTPUT        OUTPUT is `log --format json` of JOURNAL
    log-check.py text JOURNAL OUTPUT        ... `--format text`
    log-check.py aael JOURNAL OUTPUT        ... `--format aael`
    log-check.py cel-tlv JOURNAL OUTPUT     ... `--format cel-tlv`
    log-check.py ccel JOURNAL FIRMWARE OUTPUT
Exit status 0 when the output is what the journal says, 1 with the first difference.
"""
import hashlib
import json
import os
import struct
import sys

RS = b"\x1e"
AAEL_ID = 0x4141454C
EV_NO_ACTION = 3
EV_SEPARATOR = 4
EV_EVENT_TAG = 6
# TPM_ALG_ID and digest size (TCG Algorithm Registry)
ALGS = {"sha1": (0x0004, 20), "sha256": (0x000B, 32), "sha384": (0x000C, 48),
        "sha512": (0x000D, 64)}
ALG_BY_ID = {alg_id: (name, size) for name, (alg_id, size) in ALGS.items()}
PREFIX = {"tpm": "pcr", "tdx": "rtmr", "cca": "rem"}


def aael_body(domain: str, operation: str, content: str) -> bytes:
    text = f"{domain} {operation} {content}".encode()
    return struct.pack("<II", AAEL_ID, len(text)) + text


def measured(ev: dict, family: str, alg: str) -> bytes:
    """What the register is extended with (DESIGN.md 5): AAEL body for CC, the string for TPM."""
    if family == "tpm":
        s = ev["content"] if ev["style"] == "string" else \
            f"{ev['domain']} {ev['operation']} {ev['content']}"
        return hashlib.new(alg, s.encode()).digest()
    return hashlib.new(alg, aael_body(ev["domain"], ev["operation"], ev["content"])).digest()


# Each event: (pcr, family, register index, banks, domain, operation, content, style, fate).
# fate is the state record that follows: "committed", "aborted:<reason>", "committed:<reason>"
# (settled by recovery), or "pending" (none).
SCENARIOS = {
    "tdx": [
        (12, "tdx", 2, ["sha384"], "mrboot", "kernel-cmdline", '{"cmdline":"quiet"}',
         "aael", "committed"),
        (9, "tdx", 2, ["sha384"], "mrboot", "config", '{"path":"/etc/mrboot.conf"}', "aael",
         "aborted:extend failed: EIO"),
        (1, "tdx", 0, ["sha384"], "mrboot", "file", '{"path":"/etc/crypttab"}', "aael",
         "committed"),
        (12, "tdx", 2, ["sha384"], "mrboot", "rootfs", '{"verity":"caf\u00e9 \u2603"}',
         "aael", "committed:recovered: the register shows the extend happened"),
        (17, "tdx", 3, ["sha384"], "mrboot", "separator", '{"done":true}', "aael",
         "committed"),
        (17, "tdx", 3, ["sha384"], "mrboot", "late", '{"n":1}', "aael", "pending"),
    ],
    "cca": [
        (12, "cca", 2, ["sha512"], "mrboot", "kernel-cmdline", '{"cmdline":""}', "aael",
         "committed"),
        (4, "cca", 1, ["sha512"], "mrboot", "file", '{"path":"/boot"}', "aael", "committed"),
    ],
    "tpm": [
        (12, "tpm", 12, ["sha256", "sha1"], "mrboot", "kernel-cmdline", '{"cmdline":"ro"}',
         "aael", "committed"),
        (9, "tpm", 9, ["sha256", "sha1"], "mrboot", "extend", "hello world", "string",
         "committed"),
        (12, "tpm", 12, ["sha256", "sha1"], "mrboot", "separator", '{"done":true}', "aael",
         "aborted:TPM2_PCR_Extend: TPM_RC_LOCALITY"),
        (12, "tpm", 12, ["sha256", "sha1"], "mrboot", "separator", '{"done":true}', "aael",
         "committed"),
    ],
    "mixed": [
        (12, "tdx", 2, ["sha384"], "mrboot", "kernel-cmdline", '{"cmdline":"a"}', "aael",
         "committed"),
        (12, "tpm", 12, ["sha256"], "mrboot", "kernel-cmdline", '{"cmdline":"a"}', "aael",
         "committed"),
    ],
    # An edited journal: a control character that must not reach a terminal as one.
    "control": [
        (12, "tdx", 2, ["sha384"], "mrboot", "file", '{"path":"\u001b[2J"}', "aael",
         "committed"),
    ],
    # No committed record, only pending and aborted ones: the binary forms are empty.
    "unsettled": [
        (12, "tdx", 2, ["sha384"], "mrboot", "kernel-cmdline", '{"cmdline":"a"}', "aael",
         "aborted:no"),
        (12, "tdx", 2, ["sha384"], "mrboot", "kernel-cmdline", '{"cmdline":"b"}', "aael",
         "pending"),
    ],
}


# More text than a pipe holds (64 KiB), so that `log` blocks writing it to one.
SCENARIOS["many"] = [(12, "tdx", 2, ["sha384"], "mrboot", "file",
                      '{"n":%d,"pad":"%s"}' % (i, "x" * 200), "aael", "committed")
                     for i in range(400)]


def journal_records(scenario: str):
    """The JSON texts of the journal, in order, and the pending records by seq."""
    texts = []
    for seq, (pcr, family, index, banks, domain, operation, content, style, fate) in \
            enumerate(SCENARIOS[scenario], 1):
        ev = {"domain": domain, "operation": operation, "content": content, "style": style}
        digests, before, after = [], [], []
        for alg in banks:
            d = measured(ev, family, alg)
            zero = bytes(ALGS[alg][1])
            digests.append({"alg": alg, "digest": d.hex()})
            before.append({"alg": alg, "digest": zero.hex()})
            after.append({"alg": alg, "digest": hashlib.new(alg, zero + d).hexdigest()})
        texts.append({"seq": seq, "state": "pending", "pcr": pcr, "family": family,
                      "index": index, "domain": domain, "operation": operation,
                      "content": content, "style": style, "event_type": "phase",
                      "digests": digests, "before": before, "after": after,
                      "time_usec": 1700000000000000 + seq,
                      "boot_id": "0b9f2d6e-6c3c-4e0e-9a1e-2f2d8b7c6a51"})
        state, _, reason = fate.partition(":")
        if state != "pending":
            settle = {"seq": seq, "state": state}
            if reason:
                settle["reason"] = reason
            texts.append(settle)
    return texts


def write_journal(root: str, scenario: str) -> None:
    path = os.path.join(root, "run/log/mrboot/events.jsonseq")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        for t in journal_records(scenario):
            f.write(RS + json.dumps(t, ensure_ascii=False, separators=(",", ":")).encode()
                    + b"\n")


def read_journal(path: str):
    """RFC 7464 records folded by seq: the pending record with its final state and reason."""
    records = {}
    with open(path, "rb") as f:
        data = f.read()
    for chunk in data.split(RS)[1:]:
        if not chunk.endswith(b"\n"):
            continue  # torn: its writer died inside write()
        r = json.loads(chunk)
        if r["state"] == "pending":
            records[r["seq"]] = dict(r, reason=None)
        else:
            records[r["seq"]]["state"] = r["state"]
            records[r["seq"]]["reason"] = r.get("reason")
    return [records[k] for k in sorted(records)]


def committed(path: str):
    return [r for r in read_journal(path) if r["state"] == "committed"]


def handle(r: dict) -> int:
    """PCR for TPM; CC index (RTMR / REM index + 1) otherwise, as the CCEL numbers them."""
    return r["index"] if r["family"] == "tpm" else r["index"] + 1


def expect_digests(r: dict):
    """(TPM_ALG_ID, digest) per bank, recomputed here from the event, not taken on trust."""
    out = []
    for d in r["digests"]:
        want = measured(r, r["family"], d["alg"])
        if want.hex() != d["digest"]:
            raise SystemExit(f"fixture: record {r['seq']} digest is not what its event measures")
        out.append((ALGS[d["alg"]][0], want))
    return out


class Fail(Exception):
    pass


def parse_event2(data: bytes, pos: int):
    """One TCG_PCR_EVENT2 at pos: (index, type, [(alg, digest)], event, next pos)."""
    if pos + 12 > len(data):
        raise Fail(f"byte {pos}: cut-off record header")
    index, etype, count = struct.unpack_from("<III", data, pos)
    pos += 12
    digests = []
    for _ in range(count):
        (alg,) = struct.unpack_from("<H", data, pos)
        if alg not in ALG_BY_ID:
            raise Fail(f"byte {pos}: unknown algorithm {alg:#06x}")
        size = ALG_BY_ID[alg][1]
        digests.append((alg, data[pos + 2:pos + 2 + size]))
        pos += 2 + size
    (size,) = struct.unpack_from("<I", data, pos)
    event = data[pos + 4:pos + 4 + size]
    if len(event) != size:
        raise Fail(f"byte {pos}: event of {size} bytes runs past the end")
    return index, etype, digests, event, pos + 4 + size


def compare_event2(data: bytes, pos: int, records) -> int:
    for r in records:
        index, etype, digests, event, pos2 = parse_event2(data, pos)
        got = (index, etype, digests, event)
        want = (handle(r), EV_EVENT_TAG, expect_digests(r),
                aael_body(r["domain"], r["operation"], r["content"]))
        if got != want:
            raise Fail(f"record seq {r['seq']} at byte {pos}: got {got!r}, want {want!r}")
        pos = pos2
    return pos


def check_aael(journal: str, output: str) -> None:
    data = open(output, "rb").read()
    pos = compare_event2(data, 0, committed(journal))
    if pos != len(data):
        raise Fail(f"{len(data) - pos} bytes after the last record")


def cel_tlvs(data: bytes):
    """Top-level TLVs: 1-byte type, u32 big-endian length, value."""
    pos, out = 0, []
    while pos < len(data):
        if pos + 5 > len(data):
            raise Fail(f"byte {pos}: cut-off TLV header")
        t, n = data[pos], struct.unpack_from(">I", data, pos + 1)[0]
        if pos + 5 + n > len(data):
            raise Fail(f"byte {pos}: TLV of {n} bytes runs past the end")
        out.append((t, data[pos + 5:pos + 5 + n]))
        pos += 5 + n
    return out


def check_cel(journal: str, output: str) -> None:
    tlvs = cel_tlvs(open(output, "rb").read())
    records = committed(journal)
    if len(tlvs) != 4 * len(records):
        raise Fail(f"{len(tlvs)} TLVs for {len(records)} records of four")
    numbers = {}
    for i, r in enumerate(records):
        recnum, pcr, digests, content = tlvs[4 * i:4 * i + 4]
        # CEL 4.2.2: recnum counts the records of each PCR on its own, from 0.
        want_recnum = numbers.get(handle(r), 0)
        numbers[handle(r)] = want_recnum + 1
        if recnum[0] != 0 or int.from_bytes(recnum[1], "big") != want_recnum:
            raise Fail(f"seq {r['seq']}: recnum {recnum!r}, want {want_recnum}")
        if pcr[0] != 1 or int.from_bytes(pcr[1], "big") != handle(r):
            raise Fail(f"seq {r['seq']}: handle {pcr!r}, want pcr {handle(r)}")
        got = [(t, v) for t, v in cel_tlvs(digests[1])]
        if digests[0] != 3 or got != expect_digests(r):
            raise Fail(f"seq {r['seq']}: digests {got!r}, want {expect_digests(r)!r}")
        fields = cel_tlvs(content[1])
        want = [(0, bytes([EV_EVENT_TAG])),
                (1, aael_body(r["domain"], r["operation"], r["content"]))]
        if content[0] != 5 or fields != want:
            raise Fail(f"seq {r['seq']}: content {content!r}, want pcclient_std {want!r}")


def spec_id_event(algs) -> bytes:
    """TCG_PCR_EVENT holding TCG_EfiSpecIDEvent "Spec ID Event03", version 2.0."""
    body = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, len(algs))
    for name in algs:
        body += struct.pack("<HH", *ALGS[name])
    body += b"\0"  # vendorInfoSize
    return struct.pack("<II", 0, EV_NO_ACTION) + bytes(20) + struct.pack("<I", len(body)) + body


FIRMWARE_PAD = 256


def ccel_fixture(path: str) -> None:
    sep = bytes(4)
    rec = struct.pack("<IIIH", 1, EV_SEPARATOR, 1, ALGS["sha384"][0]) + \
        hashlib.sha384(sep).digest() + struct.pack("<I", len(sep)) + sep
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        # The ACPI table's log area: the log, then unused space of 0xFF.
        f.write(spec_id_event(["sha384"]) + rec + b"\xff" * FIRMWARE_PAD)


def check_ccel(journal: str, firmware: str, output: str) -> None:
    fw = open(firmware, "rb").read()
    log = fw[:-FIRMWARE_PAD]
    data = open(output, "rb").read()
    if not data.startswith(log):
        raise Fail("the stream does not start with the firmware's log")
    records = committed(journal) if os.path.exists(journal) else []
    pos = compare_event2(data, len(log), records)
    if data[pos:] != b"\xff" * 8:
        raise Fail(f"after the records: {data[pos:].hex()!r}, want 8 bytes of ff and no more")


def check_json(journal: str, output: str) -> None:
    doc = json.load(open(output, encoding="utf-8"))
    want = read_journal(journal)
    if list(doc) != ["records"] or len(doc["records"]) != len(want):
        raise Fail(f"want {{\"records\": [{len(want)} records]}}")
    for got, w in zip(doc["records"], want):
        w = dict(w)
        if w["reason"] is None:
            del w["reason"]
        if got != w:
            raise Fail(f"record {w['seq']}: got {got!r}, want {w!r}")


def check_text(journal: str, output: str) -> None:
    lines = open(output, encoding="utf-8").read().split("\n")
    records = read_journal(journal)
    states = [r["state"] for r in records]
    want = [f"# {journal}: {len(records)} records, {states.count('committed')} committed, "
            f"{states.count('pending')} pending, {states.count('aborted')} aborted"]
    for r in records:
        reg = f"{PREFIX[r['family']]}{r['index']}"
        if r["family"] != "tpm":
            reg += f" (pcr {r['pcr']})"
        want.append(f"{r['seq']}  {r['state']:<9}  {reg}  "
                    f"{r['domain']} {r['operation']} {r['content']}")
        for d in r["digests"]:
            want.append(f"    {d['alg']:<7} {measured(r, r['family'], d['alg']).hex()}")
        if r["reason"]:
            want.append(f"    reason: {r['reason']}")
    want.append("")
    for i, (g, w) in enumerate(zip(lines, want)):
        if g != w:
            raise Fail(f"line {i + 1}: got {g!r}, want {w!r}")
    if len(lines) != len(want):
        raise Fail(f"{len(lines)} lines, want {len(want)}")


def main(argv) -> int:
    cmd, args = argv[1], argv[2:]
    try:
        if cmd == "journal":
            write_journal(*args)
        elif cmd == "ccel-fixture":
            ccel_fixture(*args)
        elif cmd == "json":
            check_json(*args)
        elif cmd == "text":
            check_text(*args)
        elif cmd == "aael":
            check_aael(*args)
        elif cmd == "cel-tlv":
            check_cel(*args)
        elif cmd == "ccel":
            check_ccel(*args)
        else:
            raise SystemExit(f"unknown command {cmd!r}")
    except (Fail, struct.error, json.JSONDecodeError, UnicodeDecodeError) as e:
        print(f"{cmd}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
