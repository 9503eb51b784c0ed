#!/usr/bin/python3
"""Reads a reference-value message as Trustee's RVPS takes it, sharing no code with mrboot, and
prints what the RVPS would store: a JSON object of reference-value names to values.

The rules, read at confidential-containers/trustee 78962cd416dc:
- rvps/src/lib.rs, Message: a JSON object with `payload` and `type` (strings) and `version`
  (a string, "0.1.0" when absent; any other version is refused);
- rvps/src/extractors/mod.rs: the extractor named by `type`; mrboot writes "sample" only;
- rvps/src/extractors/sample/mod.rs: `payload` is standard base64 (padded; the base64 crate's
  STANDARD engine refuses other padding and trailing bits) of a JSON object, each member a
  reference value's name and its value stored as given;
- deps/key-value-storage/src/lib.rs, is_valid_key(): the file, Postgres and Redis stores take
  names of ASCII letters, digits, '-', '_', '.' and '/' only.

Usage: trustee-rvps.py MESSAGE.json
Exits 1 with the reason when Trustee would refuse the message.
"""
import base64
import binascii
import json
import re
import sys


def refuse(why):
    sys.exit("trustee would refuse: " + why)


def main():
    try:
        msg = json.load(open(sys.argv[1], encoding="utf-8"))
    except (OSError, ValueError) as e:
        refuse("not JSON: %s" % e)
    if not isinstance(msg, dict):
        refuse("the message is not an object")
    for field in ("payload", "type"):
        if not isinstance(msg.get(field), str):
            refuse("%s is missing or not a string" % field)
    version = msg.get("version", "0.1.0")
    if version != "0.1.0":
        refuse("version %r is not 0.1.0" % version)
    if msg["type"] != "sample":
        refuse("type %r: this reader knows the sample extractor only" % msg["type"])
    try:
        raw = base64.b64decode(msg["payload"], validate=True)
    except binascii.Error as e:
        refuse("payload is not standard base64: %s" % e)
    if base64.b64encode(raw).decode() != msg["payload"]:
        refuse("payload's base64 is not canonical (padding or trailing bits)")
    try:
        provenance = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        refuse("payload is not JSON: %s" % e)
    if not isinstance(provenance, dict):
        refuse("payload is not a JSON object")
    for name in provenance:
        if not re.fullmatch(r"[A-Za-z0-9._/-]+", name):
            refuse("name %r has characters the RVPS stores refuse" % name)
    print(json.dumps(provenance, sort_keys=True))


if __name__ == "__main__":
    main()
