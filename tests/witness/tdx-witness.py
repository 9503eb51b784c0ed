#!/usr/bin/python3
"""The witness for tests that run mrboot against an emulated TDX guest (tests/emulators/).

Everything here is derived from the formats' documents, not from mrboot's code: TCG
crypto-agile event logs (TCG PC Client Platform Firmware Profile: the Spec ID event,
TCG_PCR_EVENT2, UEFI_VARIABLE_DATA, UEFI_PLATFORM_FIRMWARE_BLOB2), AAEL tagged events and the
journal's records (DESIGN.md section 5), the TDX quote v4 TD report body (RTMR0..3 after
TEE_TCB_SVN, MRSEAM, MRSIGNERSEAM, SEAMATTRIBUTES, TDATTRIBUTES, XFAM, MRTD, MRCONFIGID,
MROWNER, MROWNERCONFIG) and the extend rule of a measurement register, SHA-384(old || digest).

Usage:
    tdx-witness.py ccel CCEL JSON          CCEL is a valid firmware log whose replay is JSON's
    tdx-witness.py expect JOURNAL INDEX [CCEL]
                                           print RTMR INDEX as the committed records make it,
                                           from the CCEL's replay (or zero)
    tdx-witness.py extends JOURNAL EMULOG  the emulator extended exactly the committed records'
                                           AAEL digests, in order, and failed the aborted ones
    tdx-witness.py stream STREAM CCEL JOURNAL REGS
                                           STREAM (`mrboot log --format ccel`) is the firmware
                                           log, an AAEL record per committed record, 8 bytes
                                           of 0xFF, and replays to REGS (JSON of rtmr0..3)
    tdx-witness.py quote OUTBLOB INBLOB_HEX REGS
                                           a TDX quote v4 holding INBLOB and REGS' RTMRs
    tdx-witness.py regs DIR                print rtmr0..3 of the measurements directory DIR as
                                           JSON, each read with read(2) until end of file
Exit status 0 when the check holds, 1 with the first difference on standard error.
"""
import hashlib
import json
import os
import struct
import sys
import uuid

EV_NO_ACTION = 0x3
EV_SEPARATOR = 0x4
EV_EVENT_TAG = 0x6
EV_EFI_VARIABLE_DRIVER_CONFIG = 0x80000001
EV_EFI_ACTION = 0x80000007
EV_EFI_PLATFORM_FIRMWARE_BLOB2 = 0x8000000A
SHA384 = 0x000C
AAEL_ID = 0x4141454C
RS = b"\x1e"


class Fail(Exception):
    pass


def parse_log(data: bytes):
    """Spec ID event, TCG_PCR_EVENT2 records, and the offset where the log ends."""
    index, ev_type = struct.unpack_from("<II", data, 0)
    size = struct.unpack_from("<I", data, 28)[0]
    if index != 0 or ev_type != EV_NO_ACTION or data[8:28] != bytes(20):
        raise Fail("the first event is not a Spec ID event (index 0, EV_NO_ACTION, zero SHA-1)")
    spec = data[32:32 + size]
    if spec[:16] != b"Spec ID Event03\0":
        raise Fail(f"Spec ID signature {spec[:16]!r}")
    minor, major, _errata, uintn = spec[20:24]
    count = struct.unpack_from("<I", spec, 24)[0]
    algs = dict(struct.unpack_from("<HH", spec, 28 + 4 * i) for i in range(count))
    vendor = spec[28 + 4 * count]
    if (major, minor) != (2, 0) or uintn not in (1, 2) or 29 + 4 * count + vendor != size:
        raise Fail(f"Spec ID event: version {major}.{minor}, uintnSize {uintn}, "
                   f"{count} algorithms, vendor info {vendor} in {size} bytes")
    pos, recs = 32 + size, []
    while pos < len(data):
        if data[pos:pos + 8] in (b"\xff" * 8, bytes(8)):
            break
        index, ev_type, count = struct.unpack_from("<III", data, pos)
        p, digests = pos + 12, {}
        for _ in range(count):
            alg = struct.unpack_from("<H", data, p)[0]
            if alg not in algs or alg in digests:
                raise Fail(f"record at byte {pos}: digest of algorithm {alg:#06x}")
            digests[alg] = data[p + 2:p + 2 + algs[alg]]
            p += 2 + algs[alg]
        n = struct.unpack_from("<I", data, p)[0]
        event = data[p + 4:p + 4 + n]
        if len(event) != n:
            raise Fail(f"record at byte {pos}: event of {n} bytes runs past the end")
        recs.append((pos, index, ev_type, digests, event))
        pos = p + 4 + n
    return algs, recs, pos


def replay(recs, base=None) -> dict:
    regs = dict(base or {i: bytes(48) for i in range(1, 5)})
    for _, index, ev_type, digests, _ in recs:
        if ev_type == EV_NO_ACTION:
            continue
        if index not in regs:
            raise Fail(f"an extend of CC index {index}")
        regs[index] = hashlib.sha384(regs[index] + digests[SHA384]).digest()
    return regs


def as_json(regs: dict) -> dict:
    return {f"rtmr{i - 1}": regs[i].hex() for i in sorted(regs)}


def firmware_log(ccel: str) -> bytes:
    data = open(ccel, "rb").read()
    return data[:parse_log(data)[2]]


def check_firmware_event(pos, ev_type, digest, event):
    if ev_type == EV_EFI_PLATFORM_FIRMWARE_BLOB2:
        # UEFI_PLATFORM_FIRMWARE_BLOB2; its digest is of memory the log does not hold.
        n = event[0]
        if len(event) != 1 + n + 16:
            raise Fail(f"record at byte {pos}: FIRMWARE_BLOB2 of {len(event)} bytes")
        return
    if hashlib.sha384(event).digest() != digest:
        raise Fail(f"record at byte {pos}: the digest is not the SHA-384 of the event data")
    if ev_type == EV_SEPARATOR and event != bytes(4):
        raise Fail(f"record at byte {pos}: a separator's data is not UINT32 0")
    elif ev_type == EV_EFI_ACTION and not event.isascii():
        raise Fail(f"record at byte {pos}: an action that is not ASCII")
    elif ev_type == EV_EFI_VARIABLE_DRIVER_CONFIG:
        guid = uuid.UUID(bytes_le=event[:16])
        chars, size = struct.unpack_from("<QQ", event, 16)
        name = event[32:32 + 2 * chars].decode("utf-16-le")
        if 32 + 2 * chars + size != len(event):
            raise Fail(f"record at byte {pos}: UEFI_VARIABLE_DATA sizes do not add up")
        known = {"8be4df61-93ca-11d2-aa0d-00e098032b8c": {"SecureBoot", "PK", "KEK"},
                 "d719b2cb-3d3a-4596-a3bc-dad00e67656f": {"db", "dbx"}}
        if name not in known.get(str(guid), ()):
            raise Fail(f"record at byte {pos}: variable {guid}:{name}")
    elif ev_type not in (EV_SEPARATOR, EV_EFI_ACTION, EV_EFI_VARIABLE_DRIVER_CONFIG):
        raise Fail(f"record at byte {pos}: event type {ev_type:#x}")


def cmd_ccel(ccel: str, want_json: str) -> None:
    data = open(ccel, "rb").read()
    algs, recs, end = parse_log(data)
    if algs != {SHA384: 48}:
        raise Fail(f"the Spec ID event lists {algs}, want SHA-384 only")
    for pos, index, ev_type, digests, event in recs:
        if index not in (1, 2) or list(digests) != [SHA384]:
            raise Fail(f"record at byte {pos}: index {index}, digests {list(digests)}")
        check_firmware_event(pos, ev_type, digests[SHA384], event)
    if data[end:] != b"\xff" * (len(data) - end):
        raise Fail(f"the log area after byte {end} is not all 0xFF")
    got, want = as_json(replay(recs)), json.load(open(want_json))
    if got != want:
        raise Fail(f"the replay is {got}, {want_json} says {want}")


def journal(path: str):
    """The journal's event records, each with its final state and reason (none: empty)."""
    recs, settled = [], {}
    data = open(path, "rb").read()
    if data and not data.startswith(RS):
        raise Fail(f"{path} does not start with a record separator")
    for chunk in data.split(RS)[1:]:
        if not chunk.endswith(b"\n"):
            raise Fail(f"{path}: a record without its line feed")
        r = json.loads(chunk)
        if r["state"] == "pending" and "domain" in r:
            recs.append(r)
        else:
            settled[r["seq"]] = (r["state"], r.get("reason"))
    for r in recs:
        r["final"], r["why"] = settled.get(r["seq"], ("pending", None))
    return recs


def aael_body(r) -> bytes:
    text = f'{r["domain"]} {r["operation"]} {r["content"]}'.encode()
    return struct.pack("<II", AAEL_ID, len(text)) + text


def cmd_expect(path: str, index: str, ccel: str = None) -> None:
    base = replay(parse_log(firmware_log(ccel))[1]) if ccel else None
    regs = base or {i: bytes(48) for i in range(1, 5)}
    value = regs[int(index) + 1]
    for r in journal(path):
        if r["final"] == "committed" and r["family"] == "tdx" and r["index"] == int(index):
            value = hashlib.sha384(value + hashlib.sha384(aael_body(r)).digest()).digest()
    print(value.hex())


def cmd_extends(path: str, emulog: str) -> None:
    want = []
    for r in journal(path):
        verb = {"committed": "extend", "aborted": "fail"}.get(r["final"])
        if verb:
            want.append((verb, f'rtmr{r["index"]}', hashlib.sha384(aael_body(r)).hexdigest()))
    got = []
    for line in open(emulog):
        words = line.split()
        if words[0] in ("extend", "fail"):
            got.append((words[0], words[1], words[-1]))
    if got != want:
        raise Fail(f"the emulator saw {got}, the journal says {want}")


def cmd_stream(stream: str, ccel: str, path: str, regs_json: str) -> None:
    data, fw = open(stream, "rb").read(), firmware_log(ccel)
    if not data.startswith(fw):
        raise Fail("the stream does not start with the firmware's log")
    _, recs, end = parse_log(data)
    if data[end:] != b"\xff" * 8:
        raise Fail(f"after byte {end}: {data[end:].hex()}, want 8 bytes of ff and no more")
    ours = [rec for rec in recs if rec[0] >= len(fw)]
    committed = [r for r in journal(path) if r["final"] == "committed"]
    if len(ours) != len(committed):
        raise Fail(f"{len(ours)} records after the firmware's, {len(committed)} committed")
    for (pos, index, ev_type, digests, event), r in zip(ours, committed):
        if (index, ev_type, list(digests)) != (r["index"] + 1, EV_EVENT_TAG, [SHA384]):
            raise Fail(f"record at byte {pos}: index {index}, type {ev_type}, {list(digests)}")
        if event != aael_body(r) or digests[SHA384] != hashlib.sha384(event).digest():
            raise Fail(f"record at byte {pos} is not record {r['seq']}'s AAEL event")
    got, want = as_json(replay(recs)), json.load(open(regs_json))
    if got != want:
        raise Fail(f"the stream replays to {got}, the registers are {want}")


def cmd_quote(outblob: str, inblob: str, regs_json: str) -> None:
    q, regs = open(outblob, "rb").read(), json.load(open(regs_json))
    body = 48  # the quote v4 header
    if struct.unpack_from("<H", q, 0)[0] != 4:
        raise Fail("not a quote of version 4")
    rtmr0 = body + 16 + 48 + 48 + 8 + 8 + 8 + 4 * 48
    for i in range(4):
        got = q[rtmr0 + 48 * i:rtmr0 + 48 * (i + 1)].hex()
        if got != regs[f"rtmr{i}"]:
            raise Fail(f"the quote's RTMR{i} is {got}, the register {regs[f'rtmr{i}']}")
    if q[rtmr0 + 4 * 48:rtmr0 + 4 * 48 + 64].hex() != inblob:
        raise Fail("REPORTDATA is not the inblob")


def cmd_regs(directory: str) -> None:
    regs = {}
    for i in range(4):
        fd = os.open(os.path.join(directory, f"rtmr{i}:sha384"), os.O_RDONLY)
        value = b""
        for _ in range(100):
            piece = os.read(fd, 64)
            if not piece:
                break
            value += piece
        os.close(fd)
        regs[f"rtmr{i}"] = value.hex()
    print(json.dumps(regs, indent=1))


def main(argv) -> int:
    commands = {"ccel": cmd_ccel, "expect": cmd_expect, "extends": cmd_extends,
                "stream": cmd_stream, "quote": cmd_quote, "regs": cmd_regs}
    try:
        commands[argv[1]](*argv[2:])
    except Fail as e:
        print(f"{argv[1]}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
