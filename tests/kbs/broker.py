#!/usr/bin/python3
"""mrboot's test key broker: the broker side of the Trustee key broker protocol (RCAR 0.4.0).

Written from Trustee's public source and the specifications it follows, sharing no code with
the agent, so that the agent's client can be tested against a second, strict implementation.
Standard library plus Debian's python3-cryptography; TLS on loopback. tests/kbs/README.md says
how to run it, what every flag does, the policy format, the fault modes, and which Trustee files
each rule was checked against.

Sections, in the order a request meets them:
  strict input      JSON without duplicate members, canonical base64, RFC 8785 (JCS)
  keys and JOSE     the TEE's JWK, the resource JWE, the broker's JWT
  event logs        TCG2 crypto-agile logs (CCEL, TPM), AAEL tagged events, replay
  evidence          sample, tdx, tpm, snp, cca
  policy            the reference-value policy on mrboot's events
  protocol          sessions, /auth, /attest, /resource
  faults            injected failures for the client's retry logic
  http              a small HTTP/1.1 server (threads, timeouts, TLS)
"""

import argparse
import base64
import binascii
import email.utils
import fnmatch
import hashlib
import http
import itertools
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import tomllib

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import (
        decode_dss_signature,
        encode_dss_signature,
    )
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap
except ImportError:
    print("broker.py: python3-cryptography is not installed", file=sys.stderr)
    sys.exit(77)

PROTOCOL_VERSION = (0, 4, 0)
ERROR_TYPE_PREFIX = "https://github.com/confidential-containers/kbs/errors/"
SESSION_COOKIE = "kbs-session-id"
NONCE_BYTES = 32
MAX_SESSIONS = 4096

# Trustee's kbs_types::Tee names (lower case, as serde writes them). A name outside this list
# fails to deserialize in Trustee; a listed one the broker is not configured for is refused.
KNOWN_TEES = ("sample", "sample-device", "tdx", "snp", "sev", "sgx", "cca", "csv", "se", "tpm",
              "az-snp-vtpm", "az-tdx-vtpm", "azsnpvtpm", "aztdxvtpm", "nvidia", "hygon-dcu")
SUPPORTED_TEES = ("sample", "tdx", "tpm", "snp", "cca")

HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


class Problem(Exception):
    """An RFC 7807-style error as Trustee writes it: {"type": PREFIX + variant, "detail"}."""

    def __init__(self, status, variant, detail):
        super().__init__(detail)
        self.status = status
        self.variant = variant
        self.detail = detail


class EvidenceError(Exception):
    """The evidence is malformed or does not verify (Trustee: verifier error, /attest fails)."""


# ---------------------------------------------------------------------------------------------
# strict input


def _object_pairs(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate member {key!r}")
        obj[key] = value
    return obj


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def json_strict(data):
    """Parses UTF-8 JSON, refusing duplicate members and NaN/Infinity (Python accepts both)."""
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8")
    return json.loads(data, object_pairs_hook=_object_pairs, parse_constant=_no_constant)


def expect_members(obj, what, required, optional=()):
    """A JSON object with exactly the required members and perhaps some optional ones."""
    if not isinstance(obj, dict):
        raise ValueError(f"{what} is not a JSON object")
    missing = [k for k in required if k not in obj]
    if missing:
        raise ValueError(f"{what} lacks {', '.join(missing)}")
    extra = sorted(set(obj) - set(required) - set(optional))
    if extra:
        raise ValueError(f"{what} has unexpected member(s) {', '.join(extra)}")
    return obj


def b64std_decode(text, what):
    """Standard base64 with padding, canonical (what the base64 crate's STANDARD accepts)."""
    if not isinstance(text, str):
        raise ValueError(f"{what} is not a string")
    if len(text) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text):
        raise ValueError(f"{what} is not padded standard base64")
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error as e:
        raise ValueError(f"{what} is not standard base64: {e}") from None
    if base64.b64encode(data).decode() != text:
        raise ValueError(f"{what} is not canonical base64 (non-zero padding bits)")
    return data


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text, what):
    """base64url without padding (RFC 7515 section 2), canonical."""
    if not isinstance(text, str):
        raise ValueError(f"{what} is not a string")
    if len(text) % 4 == 1 or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError(f"{what} is not unpadded base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(data) != text:
        raise ValueError(f"{what} is not canonical base64url (non-zero padding bits)")
    return data


def hex_decode(text, what, size=None):
    if not isinstance(text, str) or not re.fullmatch(r"(?:[0-9a-fA-F]{2})*", text):
        raise ValueError(f"{what} is not hexadecimal")
    data = bytes.fromhex(text)
    if size is not None and len(data) != size:
        raise ValueError(f"{what} is {len(data)} bytes, not {size}")
    return data


def _jcs_string(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif c < 0x20:
            out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(c, f"\\u{c:04x}"))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _jcs_value(v, out, depth):
    if depth > 64:
        raise ValueError("JSON nested too deeply")
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, int):
        # RFC 8785 numbers are ES6 doubles; integers up to 2^53 print as plain decimals. Other
        # numbers never occur in the runtime data, so they are refused rather than guessed.
        if abs(v) > 2**53 - 1:
            raise ValueError("integer too large for RFC 8785")
        out.append(str(v))
    elif isinstance(v, float):
        raise ValueError("non-integer numbers are not supported by this JCS")
    elif isinstance(v, str):
        out.append(_jcs_string(v))
    elif isinstance(v, list):
        out.append("[")
        for i, item in enumerate(v):
            if i:
                out.append(",")
            _jcs_value(item, out, depth + 1)
        out.append("]")
    elif isinstance(v, dict):
        out.append("{")
        # Sorted by UTF-16 code units: big-endian UTF-16 bytes compare the same way.
        keys = sorted(v, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        for i, k in enumerate(keys):
            if i:
                out.append(",")
            out.append(_jcs_string(k))
            out.append(":")
            _jcs_value(v[k], out, depth + 1)
        out.append("}")
    else:
        raise ValueError(f"{type(v).__name__} is not JSON")


def jcs(value):
    """RFC 8785 JSON Canonicalization Scheme, UTF-8 bytes."""
    out = []
    _jcs_value(value, out, 0)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string holds a lone surrogate (not Unicode)") from None


# ---------------------------------------------------------------------------------------------
# keys and JOSE

EC_CURVES = {"P-256": (ec.SECP256R1, 32), "P-521": (ec.SECP521R1, 66)}
EC_ALG = "ECDH-ES+A256KW"
RSA_ALG = "RSA-OAEP-256"


class TeeKey:
    """The TEE's ephemeral public key, checked member by member."""

    def __init__(self, jwk):
        if not isinstance(jwk, dict):
            raise ValueError("tee-pubkey is not a JSON object")
        kty = jwk.get("kty")
        if kty == "EC":
            # Trustee rebuilds the key from exactly these members before hashing the runtime
            # data; any other member would make the client's hash differ from the broker's.
            expect_members(jwk, "tee-pubkey (EC)", ("kty", "crv", "alg", "x", "y"))
            if jwk["alg"] != EC_ALG:
                raise ValueError(f"tee-pubkey alg {jwk['alg']!r} is not {EC_ALG} for an EC key")
            if jwk["crv"] not in EC_CURVES:
                raise ValueError(f"tee-pubkey crv {jwk['crv']!r} is not P-256 or P-521")
            curve, size = EC_CURVES[jwk["crv"]]
            x = b64url_decode(jwk["x"], "tee-pubkey x")
            y = b64url_decode(jwk["y"], "tee-pubkey y")
            if len(x) != size or len(y) != size:
                raise ValueError(f"tee-pubkey coordinates must be {size} bytes for {jwk['crv']}")
            try:
                self.key = ec.EllipticCurvePublicNumbers(
                    int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve()).public_key()
            except ValueError:
                raise ValueError("tee-pubkey is not a point on its curve") from None
        elif kty == "RSA":
            expect_members(jwk, "tee-pubkey (RSA)", ("kty", "alg", "n", "e"))
            if jwk["alg"] != RSA_ALG:
                raise ValueError(f"tee-pubkey alg {jwk['alg']!r} is not {RSA_ALG} for an RSA key")
            n = b64url_decode(jwk["n"], "tee-pubkey n")
            e = b64url_decode(jwk["e"], "tee-pubkey e")
            if not n or n[0] == 0 or not e or e[0] == 0:
                raise ValueError("tee-pubkey n and e must be minimal big-endian integers")
            bits = int.from_bytes(n, "big").bit_length()
            if not 2048 <= bits <= 8192:
                raise ValueError(f"tee-pubkey modulus has {bits} bits (2048..8192 accepted)")
            try:
                self.key = rsa.RSAPublicNumbers(int.from_bytes(e, "big"),
                                                int.from_bytes(n, "big")).public_key()
            except ValueError as err:
                raise ValueError(f"tee-pubkey is not an RSA key: {err}") from None
        else:
            raise ValueError(f"tee-pubkey kty {kty!r} is not EC or RSA")
        self.jwk = dict(jwk)


def _gcm_seal(cek, protected_b64, plaintext):
    iv = secrets.token_bytes(12)
    sealed = AESGCM(cek).encrypt(iv, plaintext, protected_b64.encode("ascii"))
    return iv, sealed[:-16], sealed[-16:]


def _flattened(protected_b64, encrypted_key, iv, ciphertext, tag):
    # The member order of Trustee's kbs_types::Response (serde writes struct order, no aad).
    return json.dumps({"protected": protected_b64,
                       "encrypted_key": b64url_encode(encrypted_key),
                       "iv": b64url_encode(iv),
                       "ciphertext": b64url_encode(ciphertext),
                       "tag": b64url_encode(tag)}, separators=(",", ":")).encode()


def _compact(obj):
    return json.dumps(obj, separators=(",", ":"))


def jwe_encrypt(tee_key, plaintext, fault=None):
    """RFC 7516 flattened JWE of plaintext to the TEE's key, laid out as Trustee's jwe.rs."""
    if fault == "unsupported-alg":
        protected = b64url_encode(_compact({"alg": "A128KW", "enc": "A128CBC-HS256"}).encode())
        return _flattened(protected, secrets.token_bytes(40), secrets.token_bytes(16),
                          secrets.token_bytes(16 * (len(plaintext) // 16 + 1)),
                          secrets.token_bytes(16))
    cek = secrets.token_bytes(32)
    jwk = tee_key.jwk
    if jwk["kty"] == "EC":
        curve, size = EC_CURVES[jwk["crv"]]
        ephemeral = ec.generate_private_key(curve())
        z = ephemeral.exchange(ec.ECDH(), tee_key.key)
        alg = EC_ALG.encode()
        otherinfo = (struct.pack(">I", len(alg)) + alg + struct.pack(">I", 0)
                     + struct.pack(">I", 0) + struct.pack(">I", 256))
        kek = ConcatKDFHash(algorithm=hashes.SHA256(), length=32, otherinfo=otherinfo).derive(z)
        encrypted_key = aes_key_wrap(kek, cek)
        numbers = ephemeral.public_key().public_numbers()
        header = {"alg": EC_ALG, "enc": "A256GCM",
                  "epk": {"crv": jwk["crv"], "kty": "EC",
                          "x": b64url_encode(numbers.x.to_bytes(size, "big")),
                          "y": b64url_encode(numbers.y.to_bytes(size, "big"))}}
    else:
        encrypted_key = tee_key.key.encrypt(cek, padding.OAEP(
            mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
        header = {"alg": RSA_ALG, "enc": "A256GCM"}
    protected = b64url_encode(_compact(header).encode())
    iv, ciphertext, tag = _gcm_seal(cek, protected, plaintext)
    if fault == "bad-jwe-tag":
        tag = bytes([tag[0] ^ 0x01]) + tag[1:]
    return _flattened(protected, encrypted_key, iv, ciphertext, tag)


class TokenSigner:
    """The broker's attestation token: a JWT signed with a key made at start (ES256 or RS256)."""

    def __init__(self, alg):
        self.alg = alg
        if alg == "ES256":
            self.key = ec.generate_private_key(ec.SECP256R1())
            n = self.key.public_key().public_numbers()
            self.public_jwk = {"alg": "ES256", "crv": "P-256", "kty": "EC",
                               "x": b64url_encode(n.x.to_bytes(32, "big")),
                               "y": b64url_encode(n.y.to_bytes(32, "big"))}
        elif alg == "RS256":
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            n = self.key.public_key().public_numbers()
            self.public_jwk = {"alg": "RS256", "e": b64url_encode(n.e.to_bytes(3, "big")),
                               "kty": "RSA",
                               "n": b64url_encode(n.n.to_bytes(256, "big"))}
        else:
            raise ValueError(f"unknown token algorithm {alg}")

    def sign(self, claims):
        header = {"alg": self.alg, "typ": "JWT", "jwk": self.public_jwk}
        signing_input = (b64url_encode(_compact(header).encode()) + "."
                         + b64url_encode(_compact(claims).encode()))
        if self.alg == "ES256":
            r, s = decode_dss_signature(self.key.sign(signing_input.encode(),
                                                      ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        else:
            sig = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url_encode(sig)

    def verify(self, token, now):
        """The claims of a token this broker signed and that has not expired, else ValueError."""
        if not isinstance(token, str) or token.count(".") != 2:
            raise ValueError("the token is not a compact JWS")
        h64, c64, s64 = token.split(".")
        header = json_strict(b64url_decode(h64, "token header"))
        claims = json_strict(b64url_decode(c64, "token claims"))
        sig = b64url_decode(s64, "token signature")
        if not isinstance(header, dict) or header.get("alg") != self.alg:
            raise ValueError(f"token alg is not {self.alg}")
        signing_input = (h64 + "." + c64).encode()
        # Verified with the broker's own key, never with the jwk the token carries.
        try:
            if self.alg == "ES256":
                if len(sig) != 64:
                    raise ValueError("ES256 signature is not 64 bytes")
                der = encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                           int.from_bytes(sig[32:], "big"))
                self.key.public_key().verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
            else:
                self.key.public_key().verify(sig, signing_input, padding.PKCS1v15(),
                                             hashes.SHA256())
        except InvalidSignature:
            raise ValueError("the token signature does not verify with this broker's key") \
                from None
        if not isinstance(claims, dict):
            raise ValueError("token claims are not an object")
        exp = claims.get("exp")
        if not isinstance(exp, int) or isinstance(exp, bool) or exp <= now:
            raise ValueError("the token has expired")
        return claims


# ---------------------------------------------------------------------------------------------
# event logs

EV_NO_ACTION = 0x3
EV_EVENT_TAG = 0x6
AAEL_TAG_ID = 0x4141454C
SPEC_ID_SIGNATURE = b"Spec ID Event03\0"
STARTUP_LOCALITY = b"StartupLocality\0"

# TCG Algorithm Registry ids the event log formats use, with their digest sizes.
TCG_ALGS = {0x0004: ("sha1", 20), 0x000B: ("sha256", 32), 0x000C: ("sha384", 48),
            0x000D: ("sha512", 64), 0x0012: ("sm3_256", 32)}
TCG_ALG_IDS = {"sha1": 0x0004, "sha256": 0x000B, "sha384": 0x000C, "sha512": 0x000D}

# The event types Trustee's CCEL parser knows (deps/eventlog/src/ccel/tcg_enum.rs); it refuses a
# whole log with any other.
KNOWN_EVENT_TYPES = frozenset(list(range(0x0, 0x13)) + [
    0x80000000, 0x80000001, 0x80000002, 0x80000003, 0x80000004, 0x80000005, 0x80000006,
    0x80000007, 0x80000008, 0x80000009, 0x8000000A, 0x8000000B, 0x8000000C, 0x80000010,
    0x800000E0, 0x800000E1, 0x800000E2])

MAX_LOG_RECORDS = 65536


class LogRecord:
    def __init__(self, log, number, offset, index, etype, digests, event):
        self.log = log          # which log it came from, for messages
        self.number = number    # 1 for the first record after the Spec ID event
        self.offset = offset
        self.index = index      # PCR (TPM) or CC index (CCEL)
        self.type = etype
        self.digests = digests  # {alg_id: bytes}, in log order
        self.event = event
        self.aael = None        # (domain, operation, content) for an AAEL tagged event

    def where(self):
        return f"{self.log} record {self.number} (offset {self.offset}, index {self.index})"

    def describe(self):
        if self.aael:
            d, o, c = self.aael
            shown = c if len(c) <= 120 else c[:117] + "..."
            return f"event {d} {o} {shown} ({self.where()})"
        return f"{self.where()}, type {self.type:#x}"


def _u32(data, off, what):
    if off + 4 > len(data):
        raise EvidenceError(f"{what}: truncated at offset {off}")
    return struct.unpack_from("<I", data, off)[0]


def parse_tcg2_log(data, name, refuse_sha1, known_types_only):
    """A TCG PC Client crypto-agile log: the Spec ID event, then TCG_PCR_EVENT2 records.

    Returns ({alg_id: size}, [LogRecord]). The log ends at the end of the data or where 8 bytes
    of all 0xFF or all 0x00 stand in place of a record (the CCEL's unused space); 1..7 bytes
    left over are a truncated record, as Trustee's parser says too.
    """
    if len(data) < 32:
        raise EvidenceError(f"{name}: too short for the Spec ID event")
    pcr, etype = struct.unpack_from("<II", data, 0)
    size = _u32(data, 28, name)
    if pcr != 0 or etype != EV_NO_ACTION or data[8:28] != bytes(20):
        raise EvidenceError(f"{name}: the first record is not the Spec ID event "
                            "(PCR 0, EV_NO_ACTION, zero SHA-1 digest)")
    if 32 + size > len(data):
        raise EvidenceError(f"{name}: the Spec ID event runs past the end of the log")
    spec = data[32:32 + size]
    if len(spec) < 29 or spec[:16] != SPEC_ID_SIGNATURE:
        raise EvidenceError(f"{name}: the first event is not \"Spec ID Event03\"")
    minor, major = spec[20], spec[21]
    if (major, minor) != (2, 0):
        raise EvidenceError(f"{name}: Spec ID version {major}.{minor}, not 2.0")
    count = struct.unpack_from("<I", spec, 24)[0]
    if not 1 <= count <= 8 or 28 + 4 * count + 1 > len(spec):
        raise EvidenceError(f"{name}: Spec ID lists {count} algorithms")
    algs = {}
    for i in range(count):
        alg, dsize = struct.unpack_from("<HH", spec, 28 + 4 * i)
        if alg not in TCG_ALGS:
            raise EvidenceError(f"{name}: Spec ID lists unknown algorithm {alg:#06x}")
        if TCG_ALGS[alg][1] != dsize:
            raise EvidenceError(f"{name}: Spec ID gives {TCG_ALGS[alg][0]} {dsize} bytes")
        if alg in algs:
            raise EvidenceError(f"{name}: Spec ID lists {TCG_ALGS[alg][0]} twice")
        algs[alg] = dsize
    vendor_at = 28 + 4 * count
    if vendor_at + 1 + spec[vendor_at] != len(spec):
        raise EvidenceError(f"{name}: the Spec ID event's vendor data does not end the event")

    records = []
    pos = 32 + size
    while pos < len(data):
        if len(data) - pos < 8:
            raise EvidenceError(f"{name}: {len(data) - pos} bytes left over at offset {pos}")
        head = data[pos:pos + 8]
        if head in (b"\xff" * 8, bytes(8)):
            break
        if len(records) >= MAX_LOG_RECORDS:
            raise EvidenceError(f"{name}: more than {MAX_LOG_RECORDS} records")
        number = len(records) + 1
        start = pos
        if pos + 12 > len(data):
            raise EvidenceError(f"{name}: record {number} truncated at offset {pos}")
        index, etype, ndigests = struct.unpack_from("<III", data, pos)
        pos += 12
        if known_types_only and etype not in KNOWN_EVENT_TYPES:
            raise EvidenceError(f"{name}: record {number} has unknown event type {etype:#x}")
        if not 1 <= ndigests <= len(algs):
            raise EvidenceError(f"{name}: record {number} has {ndigests} digests")
        digests = {}
        for _ in range(ndigests):
            if pos + 2 > len(data):
                raise EvidenceError(f"{name}: record {number} truncated in its digests")
            alg = struct.unpack_from("<H", data, pos)[0]
            pos += 2
            if alg not in algs:
                raise EvidenceError(f"{name}: record {number} has a digest of algorithm "
                                    f"{alg:#06x}, which the Spec ID event does not list")
            if alg in digests:
                raise EvidenceError(f"{name}: record {number} has two {TCG_ALGS[alg][0]} digests")
            if refuse_sha1 and alg == 0x0004:
                raise EvidenceError(f"{name}: record {number} has a SHA-1 digest "
                                    "(Trustee refuses the whole log)")
            if pos + algs[alg] > len(data):
                raise EvidenceError(f"{name}: record {number} truncated in its digests")
            digests[alg] = data[pos:pos + algs[alg]]
            pos += algs[alg]
        esize = _u32(data, pos, f"{name}: record {number}")
        pos += 4
        if pos + esize > len(data):
            raise EvidenceError(f"{name}: record {number}'s event runs past the end of the log")
        rec = LogRecord(name, number, start, index, etype, digests, data[pos:pos + esize])
        pos += esize
        if etype == EV_EVENT_TAG:
            rec.aael = parse_tagged_event(rec)
        records.append(rec)
    return algs, records


def parse_tagged_event(rec):
    """A TCG_PCClientTaggedEvent; for the AAEL tag, the text "domain operation content"."""
    ev = rec.event
    if len(ev) < 8:
        raise EvidenceError(f"{rec.where()}: EV_EVENT_TAG data shorter than its header")
    tag, size = struct.unpack_from("<II", ev, 0)
    if 8 + size > len(ev):
        raise EvidenceError(f"{rec.where()}: tagged event size {size} runs past the event")
    if tag != AAEL_TAG_ID:
        return None
    if 8 + size != len(ev):
        raise EvidenceError(f"{rec.where()}: {len(ev) - 8 - size} bytes after the AAEL text")
    try:
        text = ev[8:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise EvidenceError(f"{rec.where()}: AAEL text is not UTF-8 ({e.reason} at byte "
                            f"{e.start})") from None
    first = text.find(" ")
    second = text.find(" ", first + 1) if first >= 0 else -1
    if second < 0:
        raise EvidenceError(f"{rec.where()}: AAEL text has fewer than two spaces")
    domain, operation, content = text[:first], text[first + 1:second], text[second + 1:]
    if not domain or not operation:
        raise EvidenceError(f"{rec.where()}: AAEL domain or operation is empty")
    return domain, operation, content


def check_tagged_digests(records, convention):
    """Each AAEL record's digests must be the hash of what it describes, so that the log cannot
    claim one event while the register holds another. convention: "body" (the whole tagged
    event: Trustee and the attestation agent on CC registers) or "text" (the bare text
    "domain operation content": mrboot's TPM convention)."""
    for rec in records:
        if rec.aael is None:
            continue
        material = rec.event if convention == "body" else rec.event[8:]
        for alg, digest in rec.digests.items():
            name = TCG_ALGS[alg][0]
            if name not in HASHES and name != "sha1":
                raise EvidenceError(f"{rec.where()}: cannot check a {name} digest")
            expected = hashlib.new(name, material).digest()
            if digest != expected:
                raise EvidenceError(
                    f"{rec.where()}: the {name} digest {digest.hex()} is not the hash of the "
                    f"AAEL {'tagged event' if convention == 'body' else 'text'} it carries "
                    f"({expected.hex()}): the log does not say what was measured")


def replay_cc(records, name):
    """RTMR0..3 from a CCEL: CC index i extends RTMR i-1 with SHA-384, from zero."""
    regs = {i: bytes(48) for i in range(1, 5)}
    for rec in records:
        if rec.index == 0:
            continue  # MRTD's index: fixed at build, not replayed (Trustee neither)
        if rec.index > 4:
            raise EvidenceError(f"{rec.where()}: CC index {rec.index} names no RTMR")
        if rec.type == EV_NO_ACTION:
            # The TCG says EV_NO_ACTION extends nothing; Trustee's replay extends every record
            # at an index. A log on which the two readings differ is refused, not guessed.
            raise EvidenceError(f"{rec.where()}: EV_NO_ACTION at an RTMR index "
                                "(Trustee would replay it, the TCG would not)")
        digest = rec.digests.get(0x000C)
        if digest is None:
            raise EvidenceError(f"{rec.where()}: no SHA-384 digest to replay")
        regs[rec.index] = hashlib.sha384(regs[rec.index] + digest).digest()
    return regs


def replay_pcrs(records, alg_id):
    """PCRs as a TPM would hold them after the records (PC Client PFP): each starts at zero
    (17..22 at all ones), EV_NO_ACTION extends nothing, a StartupLocality event sets PCR 0's
    starting locality. Returns {pcr: value} for the PCRs the records extend."""
    name, size = TCG_ALGS[alg_id]
    regs, locality = {}, 0
    for rec in records:
        if rec.type == EV_NO_ACTION:
            if rec.index == 0 and rec.event[:16] == STARTUP_LOCALITY and len(rec.event) == 17:
                if 0 in regs:
                    raise EvidenceError(f"{rec.where()}: StartupLocality after PCR 0 extends")
                locality = rec.event[16]
            continue
        if rec.index > 23:
            raise EvidenceError(f"{rec.where()}: PCR {rec.index} does not exist")
        digest = rec.digests.get(alg_id)
        if digest is None:
            raise EvidenceError(f"{rec.where()}: no {name} digest to replay")
        if rec.index not in regs:
            if 17 <= rec.index <= 22:
                regs[rec.index] = b"\xff" * size
            elif rec.index == 0:
                regs[0] = bytes(size - 1) + bytes([locality])
            else:
                regs[rec.index] = bytes(size)
        regs[rec.index] = hashlib.new(name, regs[rec.index] + digest).digest()
    return regs


# ---------------------------------------------------------------------------------------------
# evidence


class Verified:
    """What a verifier established: claims for the token, and the event log for the policy."""

    def __init__(self, claims, records=None, registers=None):
        self.claims = claims
        self.records = records        # None: no event log in the evidence
        self.registers = registers or {}


def regularize(data, size):
    """Trustee's regularize_data(): zero-padded or truncated to size bytes."""
    return data[:size].ljust(size, b"\0")


def parse_init_data(init_data):
    """{"format": "toml", "body": ...} as Trustee's builtin attestation service takes it: the
    digest of the body with the algorithm the TOML names."""
    expect_members(init_data, "init-data", ("format", "body"))
    if init_data["format"] != "toml":
        raise ValueError(f"init-data format {init_data['format']!r} is not toml")
    body = init_data["body"]
    if not isinstance(body, str):
        raise ValueError("init-data body is not a string")
    try:
        doc = tomllib.loads(body)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"init-data body is not TOML: {e}") from None
    # Trustee 78962cd4, attestation-service/src/lib.rs Initdata {version: String, algorithm:
    # HashAlgorithm, data: HashMap<String, String>}; parse_init_data(): the digest is that
    # algorithm over the TOML text's bytes as sent.
    alg = doc.get("algorithm")
    data = doc.get("data")
    if alg not in HASHES or not isinstance(doc.get("version"), str) \
            or not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError("init-data needs version, algorithm (sha256|sha384|sha512) and data "
                         "(a table of strings)")
    return HASHES[alg](body.encode()).digest()


def verify_sample(ev, report_hash, init_digest):
    """Trustee 78962cd4, deps/verifier/src/sample/mod.rs: SampleTeeEvidence {svn: String,
    report_data: String (default "")}."""
    expect_members(ev, "sample evidence", ("svn", "report_data"), ("cc_eventlog",))
    if not isinstance(ev["svn"], str):
        raise EvidenceError("sample evidence svn is not a string")
    # Trustee 78962cd4, deps/verifier/src/sample/mod.rs verify_tee_evidence(): report_data, standard
    # base64, decodes to exactly the expected report data: the raw hash (48 bytes for SHA-384), no
    # padding.
    try:
        report_data = b64std_decode(ev["report_data"], "sample report_data")
    except ValueError as e:
        raise EvidenceError(str(e)) from None
    if report_data != report_hash:
        raise EvidenceError("REPORT_DATA is different from that in Sample Quote "
                            f"(got {report_data.hex()}, expected {report_hash.hex()})")
    # Trustee 78962cd4, deps/verifier/src/sample/mod.rs parse_tee_evidence(): these claims,
    # report_data as sent (base64); init-data is not checked, its digest (base64) becomes the
    # init_data claim.
    claims = {"svn": ev["svn"], "report_data": ev["report_data"], "launch_digest": "abcde",
              "platform_version": {"major": 1, "minor": 4}, "debug": False}
    if init_digest is not None:
        claims["init_data"] = base64.b64encode(init_digest).decode()
    records = None
    if ev.get("cc_eventlog") is not None:
        # A broker extension (Trustee's sample verifier ignores the member): the log is
        # checked and goes to the policy, but nothing can replay it.
        try:
            log = b64std_decode(ev["cc_eventlog"], "sample cc_eventlog")
        except ValueError as e:
            raise EvidenceError(str(e)) from None
        _, records = parse_tcg2_log(log, "sample cc_eventlog", True, True)
        check_tagged_digests(records, "body")
        claims["eventlog"] = "present, not replayed (sample)"
    return Verified(claims, records)


TDX_HEADER_FIELDS = (("version", 0, 2), ("att_key_type", 2, 2), ("tee_type", 4, 4),
                     ("reserved", 8, 4), ("vendor_id", 12, 16), ("user_data", 28, 20))
TDX_BODY_FIELDS = (("tcb_svn", 0, 16), ("mr_seam", 16, 48), ("mrsigner_seam", 64, 48),
                   ("seam_attributes", 112, 8), ("td_attributes", 120, 8), ("xfam", 128, 8),
                   ("mr_td", 136, 48), ("mr_config_id", 184, 48), ("mr_owner", 232, 48),
                   ("mr_owner_config", 280, 48), ("rtmr_0", 328, 48), ("rtmr_1", 376, 48),
                   ("rtmr_2", 424, 48), ("rtmr_3", 472, 48), ("report_data", 520, 64))
TDX15_BODY_FIELDS = (("tee_tcb_svn2", 584, 16), ("mr_servicetd", 600, 48))
# Trustee 78962cd4, deps/verifier/src/tdx/claims.rs TdAttributesFlags: bit -> claim name.
TD_ATTRIBUTE_FLAGS = (("debug", 0), ("septve_disable", 28), ("protection_keys", 30),
                      ("key_locker", 31), ("perfmon", 63))
# Trustee 78962cd4, deps/verifier/src/intel_dcap/quote.rs: ATT_KEY_TYPE_ECDSA_P256,
# TEE_TYPE_TDX, QE_REPORT_CERT_DATA_TYPE, PCK_CERT_CHAIN_CERT_DATA_TYPE; pck.rs: the SGX
# extensions' OID and the intermediate CA names.
DCAP_ATT_KEY_TYPE_ECDSA_P256 = 2
DCAP_TEE_TYPE_TDX = 0x81
DCAP_QE_REPORT_CERT_DATA_TYPE = 6
DCAP_PCK_CERT_CHAIN_CERT_DATA_TYPE = 5
DCAP_QE_REPORT_SIZE = 384          # sgx_report_body_t
DCAP_SGX_EXTENSIONS_OID = "1.2.840.113741.1.13.1"
DCAP_PCK_CA_NAMES = {"Intel SGX PCK Platform CA": True, "Intel SGX PCK Processor CA": False}


class Cursor:
    """Little-endian fields off a byte string; running off the end is an EvidenceError."""

    def __init__(self, data, what):
        self.data, self.pos, self.what = data, 0, what

    def take(self, n, field):
        if n > len(self.data) - self.pos:
            raise EvidenceError(f"{self.what}: {field} needs {n} bytes at offset {self.pos}, "
                                f"{len(self.data) - self.pos} left")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u16(self, field):
        return struct.unpack("<H", self.take(2, field))[0]

    def u32(self, field):
        return struct.unpack("<I", self.take(4, field))[0]

    def left(self):
        return len(self.data) - self.pos


def _der_items(data, what):
    """The TLV items of DER content: [(tag, content)], definite lengths only."""
    items, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise EvidenceError(f"{what}: DER truncated")
        tag, n = data[pos], data[pos + 1]
        pos += 2
        if n & 0x80:
            k = n & 0x7F
            if not 1 <= k <= 3 or pos + k > len(data):
                raise EvidenceError(f"{what}: DER length")
            n = int.from_bytes(data[pos:pos + k], "big")
            pos += k
        if pos + n > len(data):
            raise EvidenceError(f"{what}: DER item runs past its container")
        items.append((tag, data[pos:pos + n]))
        pos += n
    return items


def _der_pair(item, value_tag, what):
    """SEQUENCE { OBJECT IDENTIFIER, value } -> the value's content (pck.rs OidAnd*)."""
    tag, content = item
    inner = _der_items(content, what) if tag == 0x30 else []
    if len(inner) != 2 or inner[0][0] != 0x06 or inner[1][0] != value_tag:
        raise EvidenceError(f"{what} is not SEQUENCE {{OID, tag {value_tag:#x}}}")
    return inner[1][1]


def parse_pck_chain(pem, what="PCK certificate chain"):
    """Trustee 78962cd4, deps/verifier/src/intel_dcap/pck.rs parse_platform_info(): exactly
    three PEM certificates (leaf, intermediate CA, root CA); the intermediate's CN is "Intel SGX
    PCK Platform CA" or "Intel SGX PCK Processor CA"; the leaf has exactly one SGX extension
    (1.2.840.113741.1.13.1) that parses whole as SEQUENCE {ppid, tcb {16 u8 components,
    pcesvn u16, cpusvn}, pceid, fmspc, sgxtype, platform_instance?, configuration?}, FMSPC 6
    bytes, PCE-ID 2, CPUSVN 16; platform_instance (16 bytes) and configuration exactly when
    the intermediate is the Platform CA. Returns the claims Trustee takes from it and the
    certificates."""
    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem, re.S)
    try:
        certs = [x509.load_pem_x509_certificate(b) for b in blocks]
    except ValueError as e:
        raise EvidenceError(f"{what}: failed to parse PCK PEM certificate chain: {e}") from None
    if len(certs) != 3:
        raise EvidenceError(f"{what}: PCK cert chain must contain exactly 3 certificates "
                            f"(leaf, intermediate CA, root CA), got {len(certs)}")
    leaf, ca, _root = certs
    cns = ca.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    if not cns or cns[0].value not in DCAP_PCK_CA_NAMES:
        raise EvidenceError(f"{what}: unexpected PCK intermediate CA CN "
                            f"{cns[0].value if cns else None!r}")
    platform_ca = DCAP_PCK_CA_NAMES[cns[0].value]
    exts = [e for e in leaf.extensions
            if e.oid.dotted_string == DCAP_SGX_EXTENSIONS_OID]
    if len(exts) != 1:
        raise EvidenceError(f"{what}: SGX extensions OID not found in PCK leaf cert")
    top = _der_items(exts[0].value.value, "SGX extension")
    if len(top) != 1 or top[0][0] != 0x30:
        raise EvidenceError("SGX extension is not one SEQUENCE (trailing bytes?)")
    parts = _der_items(top[0][1], "SGX extension")
    if len(parts) not in (5, 7):
        raise EvidenceError(f"SGX extension has {len(parts)} members, not 5 or 7")
    _ppid = _der_pair(parts[0], 0x04, "SGX extension ppid")
    tcb = _der_items(_der_pair(parts[1], 0x30, "SGX extension tcb"), "SGX tcb")
    if len(tcb) != 18:
        raise EvidenceError(f"SGX extension tcb has {len(tcb)} members, not 18")
    comps = []
    for i in range(16):
        v = _der_pair(tcb[i], 0x02, f"SGX tcb comp{i + 1}")
        if len(v) > 2 or int.from_bytes(v, "big", signed=True) not in range(256):
            raise EvidenceError(f"SGX tcb comp{i + 1} is not a u8")
        comps.append(int.from_bytes(v, "big"))
    pcesvn = _der_pair(tcb[16], 0x02, "SGX tcb pcesvn")
    if len(pcesvn) > 3 or int.from_bytes(pcesvn, "big", signed=True) not in range(65536):
        raise EvidenceError("SGX tcb pcesvn is not a u16")
    cpusvn = _der_pair(tcb[17], 0x04, "SGX tcb cpusvn")
    pceid = _der_pair(parts[2], 0x04, "SGX extension pceid")
    fmspc = _der_pair(parts[3], 0x04, "SGX extension fmspc")
    _der_pair(parts[4], 0x0A, "SGX extension sgxtype")
    if len(fmspc) != 6 or len(pceid) != 2 or len(cpusvn) != 16:
        raise EvidenceError("SGX extension: fmspc is not 6 bytes, pceid 2 or cpusvn 16")
    info = {"fmspc": fmspc.hex(), "is_platform_ca": platform_ca}
    if platform_ca:
        if len(parts) != 7:
            raise EvidenceError("Platform PCK cert is missing platform_instance or "
                                "configuration")
        pi = _der_pair(parts[5], 0x04, "SGX extension platform_instance")
        if len(pi) != 16:
            raise EvidenceError("platform_instance is not 16 bytes")
        cfg = _der_items(_der_pair(parts[6], 0x30, "SGX extension configuration"),
                         "SGX configuration")
        if len(cfg) != 3:
            raise EvidenceError("SGX configuration has not 3 members")
        for i, item in enumerate(cfg):
            _der_pair(item, 0x01, f"SGX configuration {i + 1}")
        # pck.rs: the GUID is stored little-endian; the claim is its big-endian form.
        info["platform_instance_id"] = pi[::-1].hex()
    elif len(parts) != 5:
        raise EvidenceError("Processor CA cert unexpectedly contains platform_instance or "
                            "configuration")
    return info, certs


def _ecdsa_p256_raw(pub_xy, sig, data, what):
    """An ECDSA P-256 SHA-256 signature r || s (32 bytes each) over data by the key x || y."""
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + pub_xy)
    except ValueError:
        raise EvidenceError(f"{what}: the key is not a point on P-256") from None
    _ecdsa_p256_key(key, sig, data, what)


def _ecdsa_p256_key(key, sig, data, what):
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise EvidenceError(f"{what} does not verify") from None


def parse_tdx_signature_data(sig_data, signed):
    """The signature data of a TD quote v4/v5 (Intel sgx_quote_4.h sgx_ecdsa_sig_data_v4_t),
    framed as Trustee 78962cd4 deps/verifier/src/intel_dcap/quote.rs parse_certification_data()
    reads it: signature (64), attestation key (64), u16 type == 6 (QE report certification
    data), u32 size, QE report (384), QE report signature (64), u16 QE auth data size and the
    data, u16 type == 5 (PCK certificate chain), u32 size and the PEM chain (then pck.rs).
    Trustee skips the type-6 size and ignores bytes after the chain; this broker requires the
    size to be exactly what it frames and nothing after (a bare placeholder signature fails
    here, as in Trustee, for want of the framing). Then what can be checked without Intel's
    keys: the quote signature by the attestation key over header || body, the QE report's
    REPORTDATA = SHA-256(attestation key || QE auth data) || 32 zero bytes, the QE report
    signature by the PCK leaf's key, and the chain's own signatures (leaf by the
    intermediate, intermediate by the root, the root by itself). The root is not Intel's and no
    collateral (TCB info, QE identity, CRLs) is fetched: the claims say so."""
    c = Cursor(sig_data, "TDX quote signature data")
    sig = c.take(64, "quote signature")
    att_key = c.take(64, "attestation key")
    cert_type = c.u16("certification data type")
    if cert_type != DCAP_QE_REPORT_CERT_DATA_TYPE:
        raise EvidenceError(f"TDX quote signature data: expected cert data type "
                            f"{DCAP_QE_REPORT_CERT_DATA_TYPE}, got {cert_type}")
    size = c.u32("QE report certification data size")
    if size != c.left():
        raise EvidenceError(f"TDX quote signature data: the QE report certification data "
                            f"says {size} bytes, {c.left()} follow")
    qe_report = c.take(DCAP_QE_REPORT_SIZE, "QE report")
    qe_sig = c.take(64, "QE report signature")
    qe_auth = c.take(c.u16("QE authentication data size"), "QE authentication data")
    chain_type = c.u16("PCK certification data type")
    if chain_type != DCAP_PCK_CERT_CHAIN_CERT_DATA_TYPE:
        raise EvidenceError(f"TDX quote signature data: expected cert chain type "
                            f"{DCAP_PCK_CERT_CHAIN_CERT_DATA_TYPE}, got {chain_type}")
    pem = c.take(c.u32("PCK certificate chain size"), "PCK certificate chain")
    if c.left():
        raise EvidenceError(f"TDX quote signature data: {c.left()} bytes after the PCK "
                            "certificate chain")
    info, (leaf, ca, root) = parse_pck_chain(pem)
    _ecdsa_p256_raw(att_key, sig, signed, "the quote signature (attestation key over header "
                    "and body)")
    if qe_report[320:384] != hashlib.sha256(att_key + qe_auth).digest() + bytes(32):
        raise EvidenceError("the QE report's REPORTDATA is not SHA-256(attestation key || QE "
                            "authentication data) || 32 zero bytes")
    if not isinstance(leaf.public_key(), ec.EllipticCurvePublicKey):
        raise EvidenceError("the PCK leaf's key is not an EC key")
    _ecdsa_p256_key(leaf.public_key(), qe_sig, qe_report, "the QE report signature (PCK key)")
    for child, parent, name in ((leaf, ca, "PCK leaf"), (ca, root, "PCK intermediate CA"),
                                (root, root, "root CA")):
        key = parent.public_key()
        if child.issuer != parent.subject or not isinstance(key, ec.EllipticCurvePublicKey):
            raise EvidenceError(f"PCK certificate chain: the {name}'s issuer is not the next "
                                "certificate, or its key is not EC")
        try:
            key.verify(child.signature, child.tbs_certificate_bytes,
                       ec.ECDSA(child.signature_hash_algorithm))
        except InvalidSignature:
            raise EvidenceError(f"PCK certificate chain: the {name} is not signed by its "
                                "issuer") from None
    return info


def parse_tdx_quote(q):
    """A TDX quote as Trustee 78962cd4 deps/verifier/src/intel_dcap/quote.rs parse_quote()
    takes it: the 48-byte header with att_key_type 2 (ECDSA-256 with P-256); (4, 0x81) -> the
    584-byte TD report body; (5, 0x81) -> u16 body type 2 (TDX 1.0, 584 bytes) or 3 (TDX 1.5,
    648), u32 size, the body; (3, 0) is an SGX quote, refused for TDX ("expected TDX quote
    (v4/v5), got SGX quote (v3)"). Then u32 signature data length and the signature data
    (parse_tdx_signature_data()). Stricter than Trustee's parser: the v5 size must be the
    body's, and the signature data must end the quote."""
    if len(q) < 48:
        raise EvidenceError("TDX quote shorter than its header (parse quote header failed)")
    version, att_key_type, tee_type = struct.unpack_from("<HHI", q, 0)
    if att_key_type != DCAP_ATT_KEY_TYPE_ECDSA_P256:
        raise EvidenceError(f"unsupported att_key_type {att_key_type}, expected 2 "
                            "(ECDSA-256-with-P-256)")
    if (version, tee_type) == (3, 0):
        raise EvidenceError("expected TDX quote (v4/v5), got SGX quote (v3)")
    if tee_type != DCAP_TEE_TYPE_TDX or version not in (4, 5):
        raise EvidenceError(f"unsupported quote version {version} / tee_type {tee_type:#010x}")
    extra_fields = ()
    v5 = None
    if version == 4:
        body_at, body_size = 48, 584
    else:
        if len(q) < 54:
            raise EvidenceError("TDX quote v5 truncated in the body descriptor")
        body_type, declared = struct.unpack_from("<HI", q, 48)
        body_size = {2: 584, 3: 648}.get(body_type)
        if body_size is None:
            raise EvidenceError(f"parse QuoteV5 Type failed. {body_type} not defined.")
        if declared != body_size:
            raise EvidenceError(f"TDX quote v5 body type {body_type} says {declared} bytes, "
                                f"not {body_size}")
        if body_type == 3:
            extra_fields = TDX15_BODY_FIELDS
        body_at = 54
        v5 = (body_type, q[50:54])
    end = body_at + body_size
    if len(q) < end + 4:
        raise EvidenceError(f"TDX quote of {len(q)} bytes is truncated in the TD report body")
    sig_len = struct.unpack_from("<I", q, end)[0]
    if len(q) < end + 4 + sig_len:
        raise EvidenceError(f"quote too short for declared signature data length ({sig_len})")
    if len(q) != end + 4 + sig_len:
        raise EvidenceError(f"TDX quote is {len(q)} bytes, its signature data ends at "
                            f"{end + 4 + sig_len}")
    platform = parse_tdx_signature_data(q[end + 4:], q[:end])
    body = q[body_at:end]
    fields = {name: body[off:off + size]
              for name, off, size in TDX_BODY_FIELDS + extra_fields}
    header = {name: q[off:off + size] for name, off, size in TDX_HEADER_FIELDS}
    return {"version": version, "header": header, "body": fields, "v5": v5,
            "platform": platform, **fields}


def trustee_type_name(etype):
    """Trustee 78962cd4, deps/eventlog/src/ccel/tcg_enum.rs: TcgEventType's variant (EvEventTag)
    in serde's SCREAMING_SNAKE_CASE (EV_EVENT_TAG); the names are the TCG's."""
    names = {0x0: "PrebootCert", 0x1: "PostCode", 0x2: "Unused", 0x3: "NoAction",
             0x4: "Separator", 0x5: "Action", 0x6: "EventTag", 0x7: "SCrtmContents",
             0x8: "SCrtmVersion", 0x9: "CpuMicrocode", 0xA: "PlatformConfigFlags",
             0xB: "TableOfDevices", 0xC: "CompactHash", 0xD: "Ipl", 0xE: "IplPartitionData",
             0xF: "NonhostCode", 0x10: "NonhostConfig", 0x11: "NonhostInfo",
             0x12: "OmitBootDeviceEvents", 0x80000000: "EfiEventBase",
             0x80000001: "EfiVariableDriverConfig", 0x80000002: "EfiVariableBoot",
             0x80000003: "EfiBootServicesApplication", 0x80000004: "EfiBootServicesDriver",
             0x80000005: "EfiRuntimeServicesDriver", 0x80000006: "EfiGptEvent",
             0x80000007: "EfiAction", 0x80000008: "EfiPlatformFirmwareBlob",
             0x80000009: "EfiHandoffTables", 0x8000000A: "EfiPlatformFirmwareBlob2",
             0x8000000B: "EfiHandoffTables2", 0x8000000C: "EfiVariableBoot2",
             0x80000010: "EfiHcrtmEvent", 0x800000E0: "EfiVariableAuthority",
             0x800000E1: "EfiSpdmFirmwareBlob", 0x800000E2: "EfiSpdmFirmwareConfig"}
    return "EV" + re.sub(r"([A-Z])", r"_\1", names[etype]).upper()


TRUSTEE_ALG_NAMES = {0x0004: "SHA-1", 0x000B: "SHA-256", 0x000C: "SHA-384", 0x000D: "SHA-512",
                     0x0012: "SM3"}


def _trustee_content(text):
    """event_tag.rs: the content as JSON when serde_json parses it, else the text."""
    def refuse(name):
        raise ValueError(name)
    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError:
        return text


def trustee_event_entries(records):
    """Trustee 78962cd4, deps/eventlog/src/lib.rs: the TDX verifier's uefi_event_logs, one
    EventlogEntry per record after the Spec ID event: index (the CC MR index), type_name,
    digests [{alg, digest (hex)}], event (standard base64 of the data), digest_matches_event
    (every digest is the hash of the data) and details. details as event_tag.rs fills it for a
    tagged event: {string (the data without NULs), and for the AAEL tag unicode_name "AAEL" and
    data {domain, operation, content}}; for other events {}, where Trustee parses EFI
    structures (device paths, variables) that no policy here reads."""
    entries = []
    for rec in records:
        digests = [{"alg": TRUSTEE_ALG_NAMES[alg], "digest": d.hex()}
                   for alg, d in rec.digests.items()]
        matches = all(hashlib.new(TCG_ALGS[alg][0], rec.event).digest() == d
                      for alg, d in rec.digests.items() if TCG_ALGS[alg][0] != "sm3_256")
        details = {}
        if rec.type == EV_EVENT_TAG and len(rec.event) >= 8:
            details["string"] = rec.event[8:].decode("utf-8", "replace").replace("\0", "")
            if rec.aael:
                details["unicode_name"] = "AAEL"
                details["data"] = {"domain": rec.aael[0], "operation": rec.aael[1],
                                   "content": _trustee_content(rec.aael[2])}
        entries.append({"index": rec.index, "type_name": trustee_type_name(rec.type),
                        "digests": digests,
                        "event": base64.b64encode(rec.event).decode(),
                        "digest_matches_event": matches, "details": details})
    return entries


def tdx_claims(q, log_records):
    """Trustee 78962cd4, deps/verifier/src/tdx/claims.rs generate_parsed_claim(): quote
    {header, body (hex), and for v5 type and size}, td_attributes (flags), report_data and
    init_data (MRCONFIGID), hex; platform_instance_id from a Platform CA PCK certificate;
    uefi_event_logs when a log was sent (trustee_event_entries())."""
    quote = {"header": {k: v.hex() for k, v in q["header"].items()},
             "body": {k: v.hex() for k, v in q["body"].items()}}
    if q["v5"] is not None:
        quote["type"] = q["v5"][0].to_bytes(2, "little").hex()
        quote["size"] = q["v5"][1].hex()
    attrs = int.from_bytes(q["td_attributes"], "little")
    claims = {"quote": quote,
              "td_attributes": {name: bool(attrs >> bit & 1) for name, bit in TD_ATTRIBUTE_FLAGS},
              "report_data": q["report_data"].hex(), "init_data": q["mr_config_id"].hex()}
    if "platform_instance_id" in q["platform"]:
        claims["platform_instance_id"] = q["platform"]["platform_instance_id"]
    if log_records is not None:
        claims["uefi_event_logs"] = trustee_event_entries(log_records)
    return claims


def verify_tdx(ev, report_hash, init_digest):
    """Trustee 78962cd4, deps/verifier/src/tdx/mod.rs verify_evidence()."""
    expect_members(ev, "tdx evidence", ("quote",), ("cc_eventlog",))
    if ev["quote"] == "":
        raise EvidenceError("TDX Quote is empty.")
    try:
        quote_bytes = b64std_decode(ev["quote"], "tdx quote")
    except ValueError as e:
        raise EvidenceError(str(e)) from None
    q = parse_tdx_quote(quote_bytes)
    # Trustee 78962cd4, deps/verifier/src/tdx/mod.rs: REPORT_DATA == regularize_data(expected, 64):
    # the SHA-384 hash zero-padded to 64 bytes.
    expected = regularize(report_hash, 64)
    if q["report_data"] != expected:
        raise EvidenceError("REPORT_DATA is different from that in TDX Quote (quote "
                            f"{q['report_data'].hex()}, expected {expected.hex()})")
    # Trustee 78962cd4, deps/verifier/src/tdx/mod.rs: MRCONFIGID == regularize_data(init-data
    # digest, 48).
    if init_digest is not None:
        if q["mr_config_id"] != regularize(init_digest, 48):
            raise EvidenceError("MRCONFIGID is different from that in TDX Quote")
    registers = {"mrtd": q["mr_td"], "mrconfigid": q["mr_config_id"]}
    for i in range(4):
        registers[f"rtmr{i}"] = q[f"rtmr_{i}"]
    records = None
    # Trustee 78962cd4, deps/verifier/src/tdx/mod.rs: a cc_eventlog that is absent or "" is no log;
    # else CcEventLog::try_from, replayed at CC indices 1..4 with SHA-384 against RTMR0..3.
    if ev.get("cc_eventlog"):
        try:
            log = b64std_decode(ev["cc_eventlog"], "tdx cc_eventlog")
        except ValueError as e:
            raise EvidenceError(str(e)) from None
        algs, records = parse_tcg2_log(log, "cc_eventlog", True, True)
        if 0x000C not in algs:
            raise EvidenceError("cc_eventlog has no SHA-384 digests (the RTMRs' algorithm)")
        check_tagged_digests(records, "body")
        replayed = replay_cc(records, "cc_eventlog")
        for i in range(1, 5):
            if replayed[i] != q[f"rtmr_{i - 1}"]:
                raise EvidenceError(
                    f"the event log replays RTMR{i - 1} to {replayed[i].hex()}, the quote "
                    f"holds {q[f'rtmr_{i - 1}'].hex()}")
    claims = tdx_claims(q, records)
    claims["signature"] = ("framing, attestation-key, QE report and PCK chain signatures "
                           "checked; the chain's root is not checked to be Intel's and no "
                           "DCAP collateral (TCB info, QE identity, CRLs) is used: no Intel "
                           "keys here, so tcb_status and the QVL's custom claims are absent")
    claims["fmspc"] = q["platform"]["fmspc"]
    if records is not None:
        claims["eventlog"] = "replayed to RTMR0..3"
    return Verified(claims, records, registers)


TPM_ALG_RSASSA = 0x0014
TPM_ST_ATTEST_QUOTE = 0x8018
TPM_GENERATED = 0xFF544347
TPM_BANKS = {"SHA1": 0x0004, "SHA256": 0x000B, "SHA384": 0x000C, "SHA512": 0x000D}


def _tpm2b(data, off, what):
    if off + 2 > len(data):
        raise EvidenceError(f"TPMS_ATTEST truncated in {what}")
    size = struct.unpack_from(">H", data, off)[0]
    if off + 2 + size > len(data):
        raise EvidenceError(f"TPMS_ATTEST truncated in {what}")
    return data[off + 2:off + 2 + size], off + 2 + size


def parse_tpms_attest(data):
    """TPMS_ATTEST of a TPM2_Quote (TPM 2.0 Part 2, 10.12), big-endian, nothing after it."""
    if len(data) < 6:
        raise EvidenceError("TPMS_ATTEST too short")
    magic, stype = struct.unpack_from(">IH", data, 0)
    if magic != TPM_GENERATED:
        raise EvidenceError(f"TPMS_ATTEST magic {magic:#x} is not TPM_GENERATED_VALUE")
    if stype != TPM_ST_ATTEST_QUOTE:
        raise EvidenceError(f"TPMS_ATTEST type {stype:#x} is not TPM_ST_ATTEST_QUOTE")
    signer, off = _tpm2b(data, 6, "qualifiedSigner")
    extra, off = _tpm2b(data, off, "extraData")
    if len(extra) > 64:
        raise EvidenceError("TPMS_ATTEST extraData longer than 64 bytes")
    if off + 17 + 8 + 4 > len(data):
        raise EvidenceError("TPMS_ATTEST truncated in clockInfo")
    clock, reset_count, restart_count, safe = struct.unpack_from(">QIIB", data, off)
    if safe > 1:
        raise EvidenceError("TPMS_ATTEST clockInfo.safe is not a TPMI_YES_NO")
    off += 17
    firmware = struct.unpack_from(">Q", data, off)[0]
    off += 8
    count = struct.unpack_from(">I", data, off)[0]
    off += 4
    if count > 16:
        raise EvidenceError(f"TPMS_ATTEST selects {count} banks")
    selection = []
    for _ in range(count):
        if off + 3 > len(data):
            raise EvidenceError("TPMS_ATTEST truncated in pcrSelect")
        alg, size = struct.unpack_from(">HB", data, off)
        off += 3
        if not 3 <= size <= 4 or off + size > len(data):
            raise EvidenceError(f"TPMS_ATTEST sizeofSelect {size}")
        bits = data[off:off + size]
        off += size
        pcrs = [8 * i + b for i in range(size) for b in range(8) if bits[i] >> b & 1]
        selection.append((alg, pcrs))
    digest, off = _tpm2b(data, off, "pcrDigest")
    if off != len(data):
        raise EvidenceError(f"{len(data) - off} bytes after the TPMS_ATTEST")
    return {"signer": signer, "extra_data": extra, "clock": clock, "reset_count": reset_count,
            "restart_count": restart_count, "firmware": firmware, "selection": selection,
            "pcr_digest": digest}


class TpmTrust:
    """Which attestation keys the broker trusts: a list of PEM public keys, or first use.

    Trustee 78962cd4, attestation-service/src/ear_token/ear_default_policy_cpu.rego (since
    2f87a432): `input.tpm.ak_public in query_reference_value("trusted_aks")`, the evidence's
    ak_public string (standard base64 of the DER SubjectPublicKeyInfo) compared as a string
    with the registered values. The broker registers base64(DER) of each allowed PEM key and
    compares ak_public as sent; the openanolis layout (no ak_public) by its PEM key's DER."""

    def __init__(self, allow_files, tofu):
        self.tofu = tofu
        self.allowed = set()
        for path in allow_files:
            with open(path, "rb") as f:
                pem = f.read()
            found = 0
            for block in re.findall(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----",
                                    pem, re.S):
                key = serialization.load_pem_public_key(block)
                self.allowed.add(key.public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
                found += 1
            if not found:
                raise ValueError(f"{path}: no PEM public key")
        self.trusted_aks = {base64.b64encode(der).decode() for der in self.allowed}

    def check(self, key, ak_public=None):
        der = _spki(key)
        fingerprint = hashlib.sha256(der).hexdigest()
        if ak_public is not None and ak_public in self.trusted_aks:
            return fingerprint, "trusted_aks"
        if ak_public is None and der in self.allowed:
            return fingerprint, "allow-list"
        if self.tofu:
            return fingerprint, "trusted on first use"
        raise EvidenceError(f"the attestation key (SHA-256 of its SubjectPublicKeyInfo "
                            f"{fingerprint}) is not trusted" +
                            (" (ak_public is not, as a string, one of trusted_aks)"
                             if ak_public is not None else ""))


def _verify_tpm_signature(key, sig, message, what):
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(sig, message, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(sig, message, ec.ECDSA(hashes.SHA256()))
        else:
            raise EvidenceError(f"{what}: the attestation key is neither RSA nor EC")
    except InvalidSignature:
        raise EvidenceError(f"{what}: the quote signature does not verify with the "
                            "attestation key") from None


def _tpm_pcr_values(att, bank_alg, pcr_hex, what):
    """The quoted PCR values: the selection must be the one bank, the listed values as many
    as it selects, and pcrDigest the SHA-256 of their concatenation (the signing scheme's hash,
    which is what Trustee computes)."""
    if len(att["selection"]) != 1 or att["selection"][0][0] != bank_alg:
        raise EvidenceError(f"{what}: the quote does not select exactly the "
                            f"{TCG_ALGS[bank_alg][0]} bank")
    selected = att["selection"][0][1]
    if not isinstance(pcr_hex, list) or len(pcr_hex) != len(selected):
        raise EvidenceError(f"{what}: {len(pcr_hex) if isinstance(pcr_hex, list) else 'no'} "
                            f"PCR values for {len(selected)} selected PCRs")
    size = TCG_ALGS[bank_alg][1]
    try:
        values = [hex_decode(v, f"{what} PCR value", size) for v in pcr_hex]
    except ValueError as e:
        raise EvidenceError(str(e)) from None
    if hashlib.sha256(b"".join(values)).digest() != att["pcr_digest"]:
        raise EvidenceError(f"{what}: pcrDigest is not the SHA-256 of the listed PCR values")
    return dict(zip(selected, values))


def _tpm_logs(ev):
    """The firmware log ("eventlog") and the runtime log ("aa_eventlog"), in that order."""
    records, present = [], False
    for member, strict in (("eventlog", False), ("aa_eventlog", True)):
        if ev.get(member) is None:
            continue
        try:
            log = b64std_decode(ev[member], f"tpm {member}")
        except ValueError as e:
            raise EvidenceError(str(e)) from None
        algs, recs = parse_tcg2_log(log, member, False, strict)
        if 0x000B not in algs:
            raise EvidenceError(f"{member} has no SHA-256 digests")
        records += recs
        present = True
    return records if present else None


def _spki(key):
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


# Trustee 78962cd4, deps/verifier/src/tpm/mod.rs: TPM_REPORT_DATA_SIZE = 32 (64 until 7c390d7a,
# 2025-10-30; both in v0.16.0 first, so no release had 64). openanolis 531bcb0b, same path:
# TPM_REPORT_DATA_SIZE = 32 too.
TPM_REPORT_DATA_SIZE = 32
TPM_INITDATA_PCR = 8


def _verify_tpm_ak_public(ev, report_hash, init_digest, claims):
    """confidential-containers/trustee 78962cd4, deps/verifier/src/tpm/mod.rs: Evidence
    {ak_public, tpm_quote {signature, message, pcrs}}."""
    if "ak_public" not in ev or "tpm_quote" not in ev:
        raise EvidenceError("tpm evidence has one of ak_public and tpm_quote without the other")
    # Trustee 78962cd4, deps/verifier/src/tpm/mod.rs verify_signature(): ak_public is standard
    # base64 of DER (PKey::public_key_from_der); the quote is an RSASSA signature, so an RSA key.
    try:
        key = serialization.load_der_public_key(b64std_decode(ev["ak_public"], "tpm ak_public"))
    except ValueError as e:
        raise EvidenceError(f"tpm ak_public: {e}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise EvidenceError("tpm ak_public is not an RSA key (RSASSA quotes only)")
    q = ev["tpm_quote"]
    try:
        expect_members(q, "tpm_quote", ("signature", "message", "pcrs"))
        sig_blob = b64std_decode(q["signature"], "tpm_quote signature")
        message = b64std_decode(q["message"], "tpm_quote message")
    except ValueError as e:
        raise EvidenceError(str(e)) from None
    # Trustee 78962cd4, deps/verifier/src/tpm/mod.rs extract_raw_signature_bytes(): signature is a
    # marshalled TPMT_SIGNATURE and must be Signature::RsaSsa ("Unsupported signature type, expected
    # RSA-SSA"); the bare signature is verified with SHA-256 (az-cvm-vtpm), so the scheme's hash
    # must be SHA-256 for it to verify. Nothing may follow it.
    if len(sig_blob) < 6:
        raise EvidenceError("TPMT_SIGNATURE too short")
    sig_alg, hash_alg, size = struct.unpack_from(">HHH", sig_blob, 0)
    if sig_alg != TPM_ALG_RSASSA:
        raise EvidenceError(f"TPMT_SIGNATURE sigAlg {sig_alg:#06x} is not RSASSA "
                            "(Trustee: Unsupported signature type, expected RSA-SSA)")
    if hash_alg != 0x000B or len(sig_blob) != 6 + size:
        raise EvidenceError("TPMT_SIGNATURE is not one RSASSA-SHA256 signature")
    _verify_tpm_signature(key, sig_blob[6:], message, "tpm_quote")
    att = parse_tpms_attest(message)
    # Trustee 78962cd4, deps/verifier/src/tpm/mod.rs parse_pcr_values(): every PCR exactly 64 hex
    # characters.
    pcr_hex = q["pcrs"]
    if not isinstance(pcr_hex, list) or not all(isinstance(v, str) and len(v) == 64
                                                for v in pcr_hex):
        raise EvidenceError("tpm_quote pcrs: every PCR must be 64 hex characters (32 bytes)")
    # Trustee 78962cd4, deps/verifier/src/tpm/mod.rs verify_pcrs() (az-cvm-vtpm Quote::verify_pcrs):
    # pcrDigest is SHA-256 of the listed values in order. Trustee reads the list by position
    # (pcrs[8] is the init-data PCR, the claims are pcr00.. by position) and looks at no selection;
    # the broker requires the selection to be SHA-256 PCRs 0..N-1 so that position = PCR number, and
    # N >= 9 (Trustee indexes pcrs[8] unconditionally and fails without it).
    pcrs = _tpm_pcr_values(att, 0x000B, pcr_hex, "tpm_quote")
    if sorted(pcrs) != list(range(len(pcrs))) or len(pcrs) <= TPM_INITDATA_PCR:
        raise EvidenceError("tpm_quote does not select SHA-256 PCRs 0..N-1 with N >= 9 (its "
                            "pcrs are read by position)")
    # Trustee 78962cd4, deps/verifier/src/tpm/mod.rs verify_nonce(): extraData == the expected
    # report data resized to TPM_REPORT_DATA_SIZE (32) with zeros: the first 32 bytes of the SHA-384
    # hash. A 64-byte (zero-padded) or 48-byte extraData is refused ("TPM quote nonce doesn't match
    # expected report_data").
    expected = regularize(report_hash, TPM_REPORT_DATA_SIZE)
    if att["extra_data"] != expected:
        raise EvidenceError(
            f"tpm_quote: TPM quote nonce doesn't match expected report_data: extraData is "
            f"{len(att['extra_data'])} bytes {att['extra_data'].hex()}, Trustee wants the "
            f"runtime data hash resized to {TPM_REPORT_DATA_SIZE} bytes, {expected.hex()}")
    # Trustee 78962cd4, deps/verifier/src/tpm/mod.rs verify_init_data(): PCR 8 == SHA-256(32 zero
    # bytes || init-data digest); the digest must be 32 bytes (copy_from_slice into 32 bytes).
    if init_digest is not None:
        if len(init_digest) != 32:
            raise EvidenceError("init-data for a TPM needs a SHA-256 digest (32 bytes)")
        if pcrs[TPM_INITDATA_PCR] != hashlib.sha256(bytes(32) + init_digest).digest():
            raise EvidenceError("TPM PCR[8] doesn't match expected initdata hash")
    # Trustee 78962cd4, deps/verifier/src/tpm/mod.rs parse_tee_evidence() and extend_claim():
    # init_data (PCR 8, hex), report_data (extraData, hex), ak_public (as sent), pcr00.. (hex, by
    # position).
    claims["init_data"] = pcrs[TPM_INITDATA_PCR].hex()
    claims["report_data"] = att["extra_data"].hex()
    claims["ak_public"] = ev["ak_public"]
    return key, pcrs


def _verify_tpm_ak_pubkey(ev, report_hash, init_digest, claims):
    """openanolis/trustee 531bcb0b, deps/verifier/src/tpm/mod.rs: TpmEvidence {ek_pubkey?,
    ek_cert (PEM or null), ak_pubkey (PEM), keylime_agent_uuid?, quote {BANK: {attest_body,
    attest_sig (the bare signature), pcrs}}, eventlog?, aa_eventlog?}."""
    if "ak_pubkey" not in ev or "quote" not in ev:
        raise EvidenceError("tpm evidence has one of ak_pubkey and quote without the other")
    if not isinstance(ev["ak_pubkey"], str):
        raise EvidenceError("tpm ak_pubkey is not a PEM string")
    try:
        key = serialization.load_pem_public_key(ev["ak_pubkey"].encode())
    except ValueError as e:
        raise EvidenceError(f"tpm ak_pubkey: {e}") from None
    if ev.get("ek_cert") is not None:
        try:
            cert = x509.load_pem_x509_certificate(ev["ek_cert"].encode())
        except (ValueError, AttributeError) as e:
            raise EvidenceError(f"tpm ek_cert is not a PEM certificate: {e}") from None
        claims["EK_cert_issuer"] = cert.issuer.rfc4514_string()
    if ev.get("keylime_agent_uuid") is not None:
        # openanolis 531bcb0b, deps/verifier/src/tpm/mod.rs: the AK and EK are compared with a
        # Keylime registrar's; there is none here.
        raise EvidenceError("keylime_agent_uuid given, and this broker has no Keylime "
                            "registrar to compare the AK and EK with")
    quotes = ev["quote"]
    if not isinstance(quotes, dict) or not quotes:
        raise EvidenceError("tpm quote is not a non-empty object of banks")
    bank_values = {}
    for bank, q in quotes.items():
        if bank not in TPM_BANKS:
            raise EvidenceError(f"tpm quote bank {bank!r} is not one of {', '.join(TPM_BANKS)}")
        try:
            expect_members(q, f"tpm quote {bank}", ("attest_body", "attest_sig", "pcrs"))
            body = b64std_decode(q["attest_body"], f"tpm quote {bank} attest_body")
            sig = b64std_decode(q["attest_sig"], f"tpm quote {bank} attest_sig")
        except ValueError as e:
            raise EvidenceError(str(e)) from None
        # openanolis 531bcb0b, deps/verifier/src/tpm/mod.rs verify_signature(): OpenSSL's SHA-256
        # verifier with ak_pubkey over attest_body.
        _verify_tpm_signature(key, sig, body, f"tpm quote {bank}")
        att = parse_tpms_attest(body)
        # openanolis 531bcb0b, deps/verifier/src/tpm/mod.rs check_report_data(): the expected report
        # data and extraData are each cut to TPM_REPORT_DATA_SIZE (32) and compared on the expected
        # value's length; bytes of extraData after 32 are ignored, fewer than 32 fail.
        extra = att["extra_data"]
        want = report_hash[:TPM_REPORT_DATA_SIZE]
        if len(extra) < len(want) or extra[:len(want)] != want:
            raise EvidenceError(f"tpm quote {bank}: extraData's first {len(want)} bytes are "
                                "not the runtime data hash's (Expected REPORT_DATA is "
                                "different from that in TPM Quote)")
        # openanolis 531bcb0b, deps/verifier/src/tpm/mod.rs check_pcrs(): pcrDigest is the SHA-256
        # of the listed values; the broker also requires the selection to be the bank named.
        bank_values[bank] = _tpm_pcr_values(att, TPM_BANKS[bank], q["pcrs"],
                                            f"tpm quote {bank}")
        if bank == "SHA256":
            claims["quote.signer"] = att["signer"].hex()
            claims["quote.clock_info"] = str(att["clock"])
            claims["quote.firmware_version"] = str(att["firmware"])
            claims.setdefault("report_data", extra.hex())
    if "SHA256" not in bank_values:
        raise EvidenceError("tpm quote has no SHA256 bank")
    if init_digest is not None and "init_data" not in claims:
        claims["init_data_note"] = ("not checked: openanolis' TPM verifier ignores the "
                                    "init-data hash")
    return key, bank_values["SHA256"]


TPM_MEMBERS = ("ak_public", "tpm_quote", "ak_pubkey", "quote", "ek_cert", "ek_pubkey",
               "keylime_agent_uuid", "eventlog", "aa_eventlog")


def verify_tpm(ev, report_hash, init_digest, trust, digest_convention):
    """Two evidence layouts exist in Trustee's lineages, and serde ignores members a layout
    does not name, so one object may carry both (the agent's does): each layout present is
    verified, and when both are, they must name the same key and the same PCR values."""
    expect_members(ev, "tpm evidence", (), TPM_MEMBERS)
    claims, found = {}, []
    if "ak_public" in ev or "tpm_quote" in ev:
        found.append(("ak_public", *_verify_tpm_ak_public(ev, report_hash, init_digest, claims)))
    if "ak_pubkey" in ev or "quote" in ev:
        found.append(("ak_pubkey", *_verify_tpm_ak_pubkey(ev, report_hash, init_digest, claims)))
    if not found:
        raise EvidenceError("tpm evidence has neither tpm_quote nor quote")
    if len(found) == 2:
        if _spki(found[0][1]) != _spki(found[1][1]):
            raise EvidenceError("ak_public and ak_pubkey are different keys")
        if found[0][2] != found[1][2]:
            raise EvidenceError("tpm_quote and quote.SHA256 quote different PCR values")
    claims["layouts"] = [name for name, _key, _pcrs in found]
    key, pcrs = found[0][1], found[0][2]
    claims["ak"], claims["ak_trust"] = trust.check(key, ev.get("ak_public")
                                                   if found[0][0] == "ak_public" else None)
    registers = {f"pcr{i}": v for i, v in pcrs.items()}
    for i, v in sorted(pcrs.items()):
        claims[f"pcr{i:02d}"] = v.hex()
    records = _tpm_logs(ev)
    if records is not None:
        check_tagged_digests(records, digest_convention)
        replayed = replay_pcrs(records, 0x000B)
        for i, value in sorted(replayed.items()):
            if i not in pcrs:
                raise EvidenceError(f"the event log extends PCR {i}, which the quote does "
                                    "not cover")
            if value != pcrs[i]:
                raise EvidenceError(f"the event log replays PCR {i} to {value.hex()}, the "
                                    f"quote holds {pcrs[i].hex()}")
        claims["eventlog"] = ("replayed to PCR " + ", ".join(str(i) for i in sorted(replayed))
                              if replayed else "present, extends nothing")
    return Verified(claims, records, registers)


def _byte_array(value, what, size=None):
    if not isinstance(value, list) or not all(
            isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 255 for b in value):
        raise EvidenceError(f"{what} is not an array of byte values")
    if size is not None and len(value) != size:
        raise EvidenceError(f"{what} has {len(value)} bytes, not {size}")
    return bytes(value)


def _json_uint(value, what, bits):
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << bits:
        raise EvidenceError(f"{what} is not a u{bits}")
    return value


# Trustee 78962cd4, deps/verifier/src/snp/mod.rs: REPORT_VERSION_MIN 3, REPORT_VERSION_MAX 5.
SNP_REPORT_VERSIONS = range(3, 6)


def snp_generation(fam, mod):
    """Trustee 78962cd4, deps/verifier/src/snp/mod.rs get_processor_generation(): the CPUID
    family and model of a version 3+ report name the processor, and only these are known."""
    if fam == 0x19:
        if 0x00 <= mod <= 0x0F:
            return "Milan"
        if 0x10 <= mod <= 0x1F or 0xA0 <= mod < 0xAF:
            return "Genoa"
        raise EvidenceError("Processor model not supported")
    if fam == 0x1A:
        if 0x00 <= mod <= 0x11:
            return "Turin"
        raise EvidenceError("Processor model not supported")
    raise EvidenceError("Processor family not supported")


SNP_CERT_TYPES = ("ARK", "ASK", "VCEK", "VLEK", "CRL")


def verify_snp(ev, report_hash, init_digest):
    """Trustee 78962cd4, deps/verifier/src/snp/mod.rs Snp::evaluate(): SnpEvidence
    {attestation_report (the sev crate's AttestationReport, serde), cert_chain:
    Option<Vec<CertTableEntry>>}. What needs AMD's keys (the ARK, the VCEK/VLEK chain, the
    report's signature, the TCB values against the VEK's extensions) is not done here: the
    claims say so. The members read are checked; the rest of the sev crate's layout is not."""
    expect_members(ev, "snp evidence", ("attestation_report",), ("cert_chain",))
    report = ev["attestation_report"]
    if not isinstance(report, dict):
        raise EvidenceError("snp attestation_report is not an object (the sev crate's layout)")
    version = _json_uint(report.get("version"), "snp attestation_report.version", 32)
    # Trustee 78962cd4, deps/verifier/src/snp/mod.rs: "Attestation Report version is too old" below
    # 3, "Unexpected attestation report version" above 5.
    if version not in SNP_REPORT_VERSIONS:
        raise EvidenceError(f"Attestation Report version {version} is not 3..5 (Trustee "
                            "needs 3 to tell the processor)")
    fam, mod = report.get("cpuid_fam_id"), report.get("cpuid_mod_id")
    if fam is None or mod is None:
        raise EvidenceError("Attestation report version 3+ is missing CPU family or model ID")
    generation = snp_generation(_json_uint(fam, "cpuid_fam_id", 8),
                                _json_uint(mod, "cpuid_mod_id", 8))
    # Trustee 78962cd4, deps/verifier/src/snp/mod.rs: a cert_chain given must hold a VCEK or VLEK
    # ("If a cert chain is provided, it must include a VCEK/VLEK"); an empty array fails so too.
    # null: Trustee fetches the VCEK from AMD's KDS.
    chain = ev.get("cert_chain")
    if chain is not None:
        if not isinstance(chain, list):
            raise EvidenceError("snp cert_chain is neither an array nor null")
        kinds = []
        for i, entry in enumerate(chain):
            try:
                expect_members(entry, f"snp cert_chain[{i}]", ("cert_type", "data"))
            except ValueError as e:
                raise EvidenceError(str(e)) from None
            kind = entry["cert_type"]
            if not (kind in SNP_CERT_TYPES or isinstance(kind, dict) and list(kind) == ["OTHER"]):
                raise EvidenceError(f"snp cert_chain[{i}].cert_type {kind!r}")
            _byte_array(entry["data"], f"snp cert_chain[{i}].data")
            kinds.append(kind)
        if "VCEK" not in kinds and "VLEK" not in kinds:
            raise EvidenceError("If a cert chain is provided, it must include a VCEK/VLEK")
    # Trustee 78962cd4, deps/verifier/src/snp/mod.rs: "VMPL Check Failed" unless VMPL 0.
    if _json_uint(report.get("vmpl"), "snp vmpl", 32) != 0:
        raise EvidenceError("VMPL Check Failed")
    # Trustee 78962cd4, deps/verifier/src/snp/mod.rs: REPORT_DATA == regularize_data(expected, 64).
    report_data = _byte_array(report.get("report_data"), "snp report_data", 64)
    if report_data != regularize(report_hash, 64):
        raise EvidenceError("Report Data Mismatch (SNP REPORT_DATA is not the runtime data "
                            "hash zero-padded to 64 bytes)")
    host_data = _byte_array(report.get("host_data"), "snp host_data", 32)
    # Trustee 78962cd4, deps/verifier/src/snp/mod.rs: HOST_DATA == regularize_data(init-data digest,
    # 32).
    if init_digest is not None and host_data != regularize(init_digest, 32):
        raise EvidenceError("Host Data Mismatch (HOST_DATA is not the init-data digest)")
    policy = _json_uint(report.get("policy"), "snp policy", 64)
    plat = _json_uint(report.get("plat_info"), "snp plat_info", 64)
    tcb = report.get("reported_tcb")
    if not isinstance(tcb, dict):
        raise EvidenceError("snp reported_tcb is not an object")
    # Trustee 78962cd4, deps/verifier/src/snp/mod.rs parse_tee_evidence(): these claims, bit fields
    # of the policy (SEV-SNP ABI GUEST_POLICY) and platform info (PLATFORM_INFO).
    claims = {"policy_abi_major": policy >> 8 & 0xFF, "policy_abi_minor": policy & 0xFF,
              "policy_smt_allowed": bool(policy >> 16 & 1),
              "policy_migrate_ma": bool(policy >> 18 & 1),
              "policy_debug_allowed": bool(policy >> 19 & 1),
              "policy_single_socket": bool(policy >> 20 & 1),
              "platform_tsme_enabled": bool(plat >> 1 & 1),
              "platform_smt_enabled": bool(plat & 1),
              "measurement": _byte_array(report.get("measurement"), "snp measurement", 48).hex(),
              "report_data": report_data.hex(), "init_data": host_data.hex(),
              "chip_id": _byte_array(report.get("chip_id"), "snp chip_id", 64).hex()}
    for part in ("bootloader", "tee", "snp", "microcode"):
        claims[f"reported_tcb_{part}"] = _json_uint(tcb.get(part), f"snp reported_tcb.{part}", 8)
    claims["processor_generation"] = generation
    claims["signature"] = ("not checked: no AMD keys here (ARK/ASK, VCEK or VLEK from the "
                           "chain or KDS, the report signature and the TCB against the VEK)")
    return Verified(claims)


def cbor_decode(data, pos=0, depth=0):
    """Definite-length CBOR (RFC 8949) as far as CCA tokens need it; returns (value, pos)."""
    if depth > 16 or pos >= len(data):
        raise EvidenceError("CBOR truncated or nested too deeply")
    initial = data[pos]
    major, info = initial >> 5, initial & 31
    pos += 1
    if info < 24:
        arg = info
    elif info in (24, 25, 26, 27):
        n = 1 << (info - 24)
        if pos + n > len(data):
            raise EvidenceError("CBOR truncated")
        arg = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    else:
        raise EvidenceError("indefinite-length or reserved CBOR item")
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        if pos + arg > len(data):
            raise EvidenceError("CBOR string truncated")
        chunk = data[pos:pos + arg]
        return (chunk if major == 2 else chunk.decode("utf-8", "strict")), pos + arg
    if major == 4:
        items = []
        for _ in range(arg):
            item, pos = cbor_decode(data, pos, depth + 1)
            items.append(item)
        return items, pos
    if major == 5:
        m = {}
        for _ in range(arg):
            k, pos = cbor_decode(data, pos, depth + 1)
            v, pos = cbor_decode(data, pos, depth + 1)
            if isinstance(k, (list, dict, tuple)) or k in m:
                raise EvidenceError("CBOR map key is a container or repeated")
            m[k] = v
        return m, pos
    if major == 6:
        inner, pos = cbor_decode(data, pos, depth + 1)
        return ("tag", arg, inner), pos
    if info in (20, 21, 22):
        return {20: False, 21: True, 22: None}[info], pos
    raise EvidenceError("unsupported CBOR simple value")


def _cbor_whole(data, what):
    value, end = cbor_decode(data)
    if end != len(data):
        raise EvidenceError(f"{len(data) - end} bytes after the {what}")
    return value


def _cose_sign1_payload(data, what):
    """The claims map of a COSE_Sign1 (RFC 9052: [protected bstr, unprotected map, payload bstr,
    signature bstr], tag 18 optional). The signature is not checked (no Arm keys here)."""
    value = _cbor_whole(data, what)
    if isinstance(value, tuple) and value[1] == 18:
        value = value[2]
    if not (isinstance(value, list) and len(value) == 4 and isinstance(value[0], bytes)
            and isinstance(value[1], dict) and isinstance(value[2], bytes)
            and isinstance(value[3], bytes)):
        raise EvidenceError(f"{what} is not a COSE_Sign1")
    claims = _cbor_whole(value[2], f"{what} payload")
    if not isinstance(claims, dict):
        raise EvidenceError(f"{what} payload is not a claims map")
    return claims


# Arm CCA realm claims (RMM specification, "Realm claims") and platform claims (the CCA
# platform token profile): the keys Trustee 78962cd4 deps/verifier/src/cca/local.rs reports.
CCA_REALM_CHALLENGE = 10
CCA_REALM_PERSONALIZATION = 44235
CCA_REALM_HASH_ALGO = 44236
CCA_REALM_RIM = 44238
CCA_REALM_REMS = 44239
CCA_PLATFORM_INSTANCE_ID = 256
CCA_PLATFORM_IMPLEMENTATION_ID = 2396


def verify_cca(ev, report_hash, init_digest):
    """Trustee 78962cd4, deps/verifier/src/cca/{mod,local}.rs: CcaEvidence {token: Vec<u8>} (a
    JSON array of numbers), the CCA attestation token: a CBOR tag-399 collection holding the
    platform token (44234) and the realm token (44241), each a COSE_Sign1. Trustee's local
    verifier checks both signatures against its trust-anchor store, appraises them against its
    reference values and requires the realm key's attestation to be affirming; none of that is
    possible here (no Arm CCA trust anchors), and the claims say so."""
    expect_members(ev, "cca evidence", ("token",))
    token = _cbor_whole(_byte_array(ev["token"], "cca token"), "CCA token")
    if not (isinstance(token, tuple) and token[1] == 399 and isinstance(token[2], dict)):
        raise EvidenceError("CCA token is not a tag-399 collection")
    platform, realm = token[2].get(44234), token[2].get(44241)
    if not isinstance(platform, bytes) or not isinstance(realm, bytes):
        raise EvidenceError("CCA token lacks the platform (44234) or realm (44241) token")
    platform = _cose_sign1_payload(platform, "platform token")
    realm = _cose_sign1_payload(realm, "realm token")
    challenge = realm.get(CCA_REALM_CHALLENGE)
    perso = realm.get(CCA_REALM_PERSONALIZATION)
    if not isinstance(challenge, bytes) or not isinstance(perso, bytes):
        raise EvidenceError("realm claims lack the challenge (10) or personalization value "
                            "(44235)")
    # Trustee 78962cd4, deps/verifier/src/cca/mod.rs and local.rs: the realm challenge ==
    # regularize_data(expected, 64) ("realm token challenge claim does not match
    # expected_report_data").
    if challenge != regularize(report_hash, 64):
        raise EvidenceError("realm token challenge claim does not match expected_report_data")
    # Trustee 78962cd4, deps/verifier/src/cca/mod.rs: the init-data digest == the personalization
    # value, exactly (no padding: only a 64-byte digest, SHA-512, can equal a 64-byte value).
    if init_digest is not None and perso != init_digest:
        raise EvidenceError("init data hash is different from that in CCA token")
    b64 = lambda v: base64.b64encode(v).decode() if isinstance(v, bytes) else None  # noqa: E731
    rems = realm.get(CCA_REALM_REMS)
    # Trustee 78962cd4, deps/verifier/src/cca/mod.rs EvidenceClaimsSet: realm and platform claims as
    # base64, report_data and init_data as hex.
    claims = {"realm": {"cca-realm-personalization-value": b64(perso),
                        "cca-realm-initial-measurement": b64(realm.get(CCA_REALM_RIM)),
                        "cca-realm-extensible-measurements":
                            [b64(v) for v in rems] if isinstance(rems, list) else None,
                        "cca-realm-hash-algo-id": realm.get(CCA_REALM_HASH_ALGO),
                        "cca-realm-challenge": b64(challenge)},
              "platform": {"cca-platform-instance-id": b64(platform.get(CCA_PLATFORM_INSTANCE_ID)),
                           "cca-platform-implementation-id":
                               b64(platform.get(CCA_PLATFORM_IMPLEMENTATION_ID))},
              "report_data": challenge.hex(), "init_data": perso.hex(),
              "signature": "not checked: no Arm CCA trust anchors or reference values here"}
    # The REMs as the policy's registers (rem0..rem3), as mrboot predict names them.
    registers = {f"rem{i}": v for i, v in enumerate(rems)
                 if isinstance(v, bytes)} if isinstance(rems, list) else {}
    return Verified(claims, None, registers)


# ---------------------------------------------------------------------------------------------
# policy

RULE_KEYS = {"domain", "operation", "content", "content_pattern", "content_json", "required",
             "max", "index", "separator", "comment"}
TEE_POLICY_KEYS = {"eventlog", "tpm_digest", "registers", "comment"}


class Rule:
    def __init__(self, doc, number):
        unknown = set(doc) - RULE_KEYS
        if unknown:
            raise ValueError(f"rule {number}: unknown key(s) {', '.join(sorted(unknown))}")
        self.number = number
        self.domain = doc.get("domain")
        self.operation = doc.get("operation")
        if not isinstance(self.domain, str) or not isinstance(self.operation, str):
            raise ValueError(f"rule {number}: domain and operation are required strings")
        kinds = [k for k in ("content", "content_pattern", "content_json") if k in doc]
        if len(kinds) > 1:
            raise ValueError(f"rule {number}: at most one of content, content_pattern, "
                             "content_json")
        self.kind = kinds[0] if kinds else None
        self.want = doc.get(self.kind) if self.kind else None
        if self.kind == "content_pattern":
            self.want = re.compile(self.want)
        elif self.kind == "content_json":
            _check_json_matcher(self.want, f"rule {number} content_json")
        elif self.kind == "content" and not isinstance(self.want, str):
            raise ValueError(f"rule {number}: content is not a string")
        self.required = bool(doc.get("required", False))
        self.separator = bool(doc.get("separator", False))
        self.max = doc.get("max")
        if self.max is not None and (not isinstance(self.max, int) or self.max < 1):
            raise ValueError(f"rule {number}: max is not a positive integer")
        self.index = doc.get("index")
        if self.index is not None and not isinstance(self.index, (int, dict)):
            raise ValueError(f"rule {number}: index is an integer or an object per TEE")

    def name(self):
        return f"{self.domain} {self.operation}"

    def index_for(self, tee):
        if isinstance(self.index, dict):
            return self.index.get(tee)
        return self.index

    def content_problem(self, content):
        """None when content matches, else why not."""
        if self.kind is None:
            return None
        if self.kind == "content":
            return None if content == self.want else f"is not {self.want!r}"
        if self.kind == "content_pattern":
            return None if self.want.fullmatch(content) else \
                f"does not match /{self.want.pattern}/"
        try:
            value = json_strict(content)
        except ValueError as e:
            return f"is not JSON ({e})"
        return _json_match(self.want, value, "content")


def _check_json_matcher(m, what):
    if isinstance(m, dict) and set(m) == {"pattern"}:
        re.compile(m["pattern"])
    elif isinstance(m, dict):
        for k, v in m.items():
            _check_json_matcher(v, f"{what}.{k}")
    elif isinstance(m, list):
        for i, v in enumerate(m):
            _check_json_matcher(v, f"{what}[{i}]")


def _json_match(want, got, path):
    """A JSON matcher: objects match member for member (the same set of members), arrays item
    for item, {"pattern": RE} a string by full match, anything else by equality."""
    if isinstance(want, dict) and set(want) == {"pattern"}:
        if not isinstance(got, str) or not re.fullmatch(want["pattern"], got):
            return f"{path} {json.dumps(got)} does not match /{want['pattern']}/"
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{path} is not an object"
        if set(want) != set(got):
            return (f"{path} has members {sorted(got)}, the policy expects {sorted(want)}")
        for k in want:
            why = _json_match(want[k], got[k], f"{path}.{k}")
            if why:
                return why
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return f"{path} is not an array of {len(want)} items"
        for i, (w, g) in enumerate(zip(want, got)):
            why = _json_match(w, g, f"{path}[{i}]")
            if why:
                return why
        return None
    if type(want) is not type(got) or want != got:
        return f"{path} is {json.dumps(got)}, the policy expects {json.dumps(want)}"
    return None


class Policy:
    """The reference-value policy (README: "Policy"). Without a policy file the broker checks
    the evidence only (binding, replay) and allows every event."""

    def __init__(self, doc=None):
        self.present = doc is not None
        doc = doc or {"tees": {}}
        unknown = set(doc) - {"version", "comment", "tees", "domains", "other_domains",
                              "events", "resources"}
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}")
        if doc.get("version", 1) != 1:
            raise ValueError("policy version must be 1")
        self.tees = {}
        for tee, tp in (doc.get("tees") or {}).items():
            if tee not in SUPPORTED_TEES:
                raise ValueError(f"tees: {tee!r} is not one of {', '.join(SUPPORTED_TEES)}")
            if not isinstance(tp, dict) or set(tp) - TEE_POLICY_KEYS:
                raise ValueError(f"tees.{tee}: an object with {', '.join(sorted(TEE_POLICY_KEYS))}")
            if tp.get("eventlog", "optional") not in ("required", "optional"):
                raise ValueError(f"tees.{tee}.eventlog is required or optional")
            if tp.get("tpm_digest", "text") not in ("text", "body"):
                raise ValueError(f"tees.{tee}.tpm_digest is text or body")
            regs = tp.get("registers", {})
            if not isinstance(regs, dict):
                raise ValueError(f"tees.{tee}.registers is not an object")
            for name, value in regs.items():
                hex_decode(value, f"tees.{tee}.registers.{name}")
            self.tees[tee] = tp
        self.domains = set(doc.get("domains", ["mrboot"]))
        self.other_domains = doc.get("other_domains", "deny")
        if self.other_domains not in ("deny", "ignore"):
            raise ValueError("other_domains is deny or ignore")
        self.rules = [Rule(r, i + 1) for i, r in enumerate(doc.get("events", []))]
        self.resources = doc.get("resources")
        if self.resources is not None and not (
                isinstance(self.resources, list)
                and all(isinstance(p, str) for p in self.resources)):
            raise ValueError("resources is an array of patterns")

    def tee_policy(self, tee):
        return self.tees.get(tee, {})

    def evaluate(self, tee, verified):
        """The reasons to deny (empty: allow)."""
        if not self.present:
            return []
        tp = self.tee_policy(tee)
        reasons = []
        for name, want in sorted(tp.get("registers", {}).items()):
            got = verified.registers.get(name)
            if got is None:
                reasons.append(f"register {name} is not in the {tee} evidence")
            elif got != bytes.fromhex(want):
                reasons.append(f"register {name} is {got.hex()}, the policy expects "
                               f"{want.lower()}")
        counts = {rule: 0 for rule in self.rules}
        if verified.records is None:
            # "optional": without a log there is nothing to hold to the rules; with one, all
            # of them apply. "required": no log, no key.
            if tp.get("eventlog", "optional") == "required":
                reasons.append(f"the {tee} evidence has no event log, and the policy requires one")
            return reasons
        else:
            separator = None
            for rec in verified.records:
                if separator is not None:
                    reasons.append(f"{rec.describe()} comes after the separator "
                                   f"({separator.where()}): nothing may be measured after it")
                    continue
                if rec.aael is None:
                    continue
                domain, operation, content = rec.aael
                if domain not in self.domains:
                    if self.other_domains == "deny":
                        reasons.append(f"{rec.describe()}: domain {domain!r} is not one the "
                                       "policy allows")
                    continue
                rule, why = self._match(tee, rec)
                if rule is None:
                    reasons.append(f"{rec.describe()}: {why}")
                    continue
                counts[rule] += 1
                if rule.max is not None and counts[rule] > rule.max:
                    reasons.append(f"{rec.describe()}: more than {rule.max} "
                                   f"{rule.name()} event(s)")
                if rule.separator:
                    separator = rec
        for rule in self.rules:
            if rule.required and counts[rule] == 0:
                reasons.append(f"required event {rule.name()} (policy rule {rule.number}) is "
                               "missing")
        return reasons

    def _match(self, tee, rec):
        domain, operation, content = rec.aael
        candidates = [r for r in self.rules if r.domain == domain and r.operation == operation]
        if not candidates:
            return None, f"unknown {domain} event: no policy rule allows operation {operation!r}"
        whys = []
        for rule in candidates:
            want_index = rule.index_for(tee)
            if want_index is not None and want_index != rec.index:
                whys.append(f"rule {rule.number} wants index {want_index}")
                continue
            why = rule.content_problem(content)
            if why is None:
                return rule, None
            whys.append(f"rule {rule.number}: content {why}")
        return None, "not allowed: " + "; ".join(whys)

    def resource_allowed(self, desc):
        if self.resources is None:
            return True
        return any(fnmatch.fnmatchcase(desc, p) for p in self.resources)


# ---------------------------------------------------------------------------------------------
# protocol

SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
                    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
                    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?")
RESOURCE_PART = re.compile(r"[a-zA-Z0-9_\-]+[a-zA-Z0-9_\-.]*")


def auth_error(detail):
    # Trustee: Error::AttestationError(RcarAuthFailed) -> 401 ".../AttestationError".
    return Problem(401, "AttestationError",
                   f"Attestation error: RCAR handshake Auth failed: {detail}")


def attest_error(detail, variant="AttestationError", status=401):
    return Problem(status, variant, f"Attestation error: RCAR handshake Attest failed: {detail}")


class Session:
    def __init__(self, sid, tee, nonce, hash_name, expires):
        self.id = sid
        self.tee = tee
        self.nonce = nonce
        self.hash_name = hash_name
        self.expires = expires
        self.token = None      # set once attested

    def cookie(self):
        return (f"{SESSION_COOKIE}={self.id}; "
                f"Expires={email.utils.formatdate(self.expires, usegmt=True)}")


class Request:
    def __init__(self, method, target, version, headers, body, peer):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers  # [(lower-case name, value)]
        self.body = body
        self.peer = peer
        self.path, _, self.query = target.partition("?")

    def header(self, name):
        for n, v in self.headers:
            if n == name:
                return v
        return None

    def cookie(self, name):
        for n, v in self.headers:
            if n != "cookie":
                continue
            for part in v.split(";"):
                k, eq, val = part.strip().partition("=")
                if eq and k == name:
                    return val
        return None

    def endpoint(self):
        if not self.path.startswith("/kbs/v0/"):
            return "other"
        plugin = self.path[len("/kbs/v0/"):].split("/")[0]
        return plugin if plugin in ("auth", "attest", "resource") else "other"


class Response:
    def __init__(self, status, body=b"", content_type="application/json", cookie=None):
        self.status = status
        self.body = body
        self.content_type = content_type if body else None
        self.cookie = cookie
        self.problem = None
        self.note = None


def problem_response(p):
    body = json.dumps({"type": ERROR_TYPE_PREFIX + p.variant, "detail": p.detail}).encode()
    r = Response(p.status, body)
    r.problem = (p.variant, p.detail)
    return r


class Broker:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.sessions = {}
        self.signer = TokenSigner(args.token_alg)
        policy_doc = None
        if args.policy:
            with open(args.policy, "rb") as f:
                policy_doc = json_strict(f.read())
        try:
            self.policy = Policy(policy_doc)
        except (ValueError, re.error) as e:
            raise ValueError(f"--policy {args.policy}: {e}") from None
        tees = [t for spec in args.tee for t in spec.split(",") if t]
        if not tees:
            tees = list(self.policy.tees) or ["sample"]
        for t in tees:
            if t not in SUPPORTED_TEES:
                raise ValueError(f"--tee {t}: not one of {', '.join(SUPPORTED_TEES)}")
        self.tees = tees
        self.resources = {}
        for spec in args.resource:
            name, eq, path = spec.partition("=")
            parts = name.split("/")
            if not eq or len(parts) != 3 or not all(RESOURCE_PART.fullmatch(p) for p in parts):
                raise ValueError(f"--resource {spec}: REPO/TYPE/TAG=FILE expected")
            with open(path, "rb") as f:
                self.resources[name] = f.read()
        self.trust = TpmTrust(args.tpm_ak_allow, args.tpm_ak_tofu)

    # -- sessions

    def _new_session(self, tee, nonce, hash_name):
        now = time.time()
        with self.lock:
            for sid in [s for s, v in self.sessions.items() if v.expires <= now]:
                del self.sessions[sid]
            if len(self.sessions) >= MAX_SESSIONS:
                raise auth_error("too many open sessions")
            session = Session(secrets.token_hex(16), tee, nonce, hash_name,
                              now + self.args.session_lifetime)
            self.sessions[session.id] = session
        return session

    def _session(self, request):
        sid = request.cookie(SESSION_COOKIE)
        if sid is None:
            return None, "cookie not found"
        with self.lock:
            session = self.sessions.get(sid)
            if session is None:
                return None, "no session for this cookie"
            if session.expires < time.time():
                del self.sessions[sid]
                return None, "session expired"
        return session, None

    def drop_session(self, request):
        sid = request.cookie(SESSION_COOKIE)
        with self.lock:
            self.sessions.pop(sid, None)

    # -- endpoints

    def dispatch(self, req, fault):
        path = req.path
        if not path.startswith("/kbs/v0/"):
            return Response(404)
        if req.method not in ("GET", "POST"):
            return Response(405)
        parts = path[len("/kbs/v0/"):].split("/")
        plugin, tail = parts[0], parts[1:]
        try:
            if plugin == "auth" and req.method == "POST":
                return self.auth(req, fault)
            if plugin == "attest" and req.method == "POST":
                return self.attest(req, fault)
            if plugin == "resource" and req.method == "GET" and tail and tail != [""]:
                return self.resource(req, "/".join(tail), fault)
            if plugin in ("resource", "resource-policy", "attestation-policy",
                          "reference-value"):
                raise Problem(401, "AdminAuth",
                              "Admin auth error: this broker has no admin interface")
            raise Problem(404, "PluginNotFound", f"Plugin {plugin} not found")
        except Problem as p:
            return problem_response(p)

    def auth(self, req, fault):
        try:
            request = json_strict(req.body)
            expect_members(request, "Request", ("version", "tee", "extra-params"))
        except (ValueError, UnicodeDecodeError) as e:
            raise auth_error(f"deserialize Request: {e}") from None
        version = request["version"]
        m = SEMVER.fullmatch(version) if isinstance(version, str) else None
        if m is None:
            raise auth_error(f"failed to parse KBS version {version!r}")
        if tuple(int(x) for x in m.group(1, 2, 3)) != PROTOCOL_VERSION or m.group(4):
            raise auth_error("KBS Client Protocol Version Mismatch: expect =0.4.0 while the "
                             f"request is {version}")
        tee = request["tee"]
        if tee not in KNOWN_TEES:
            raise auth_error(f"deserialize Request: unknown tee {tee!r}")
        if tee not in self.tees:
            raise auth_error(f"tee {tee!r} is not accepted by this broker (accepted: "
                             f"{', '.join(self.tees)})")
        extra = request["extra-params"]
        if extra == "":
            extra = {}
        if not isinstance(extra, dict):
            raise auth_error("extra-params is neither an object nor an empty string")
        hash_name, extra_out = "sha384", ""
        supported = extra.get("supported-hash-algorithms")
        if supported is not None:
            if not isinstance(supported, list) or not all(isinstance(a, str) for a in supported):
                raise auth_error("supported-hash-algorithms is not an array of strings")
            if self.args.hash_algorithm != "sha384":
                if self.args.hash_algorithm not in [a.lower() for a in supported]:
                    raise auth_error(f"the client does not support {self.args.hash_algorithm}")
                hash_name = self.args.hash_algorithm
                extra_out = {"selected-hash-algorithm": hash_name}
        raw = secrets.token_bytes(NONCE_BYTES if fault != "wrong-nonce" else 16)
        nonce = base64.b64encode(raw).decode()
        session = self._new_session(tee, nonce, hash_name)
        body = json.dumps({"nonce": nonce, "extra-params": extra_out},
                          separators=(",", ":")).encode()
        return Response(200, body, cookie=session.cookie())

    def attest(self, req, fault):
        if req.cookie(SESSION_COOKIE) is None:
            raise attest_error("cookie not found")
        try:
            att = json_strict(req.body)
            expect_members(att, "Attestation", ("runtime-data", "tee-evidence"), ("init-data",))
        except (ValueError, UnicodeDecodeError) as e:
            raise attest_error(f"deserialize Attestation: {e}") from None
        session, why = self._session(req)
        if session is None:
            raise attest_error(why)
        if session.token is not None:
            # Trustee: an attested session answers with the token it already has.
            return Response(200, json.dumps({"token": session.token}).encode(),
                            cookie=session.cookie())
        try:
            rd = expect_members(att["runtime-data"], "runtime-data", ("nonce", "tee-pubkey"))
            ev = expect_members(att["tee-evidence"], "tee-evidence",
                                ("primary_evidence", "additional_evidence"))
            if not isinstance(rd["nonce"], str):
                raise ValueError("runtime-data nonce is not a string")
            tee_key = TeeKey(rd["tee-pubkey"])
            additional = ev["additional_evidence"]
            if not isinstance(additional, str):
                raise ValueError("additional_evidence is not a string")
            init_digest = (parse_init_data(att["init-data"])
                           if att.get("init-data") is not None else None)
        except ValueError as e:
            raise attest_error(str(e)) from None
        if rd["nonce"] != session.nonce:
            raise attest_error("the nonce in the handshake session is different from the "
                               "client side in KBS protocol's Attestation message")
        if additional:
            raise attest_error("additional_evidence is not supported by this broker")
        runtime = {"tee-pubkey": tee_key.jwk, "nonce": session.nonce,
                   "additional-evidence": additional}
        try:
            material = jcs(runtime)
        except ValueError as e:
            raise attest_error(f"runtime data: {e}") from None
        report_hash = HASHES[session.hash_name](material).digest()
        verified = self.verify(session.tee, ev["primary_evidence"], report_hash, init_digest)
        reasons = self.policy.evaluate(session.tee, verified)
        if reasons and self.args.deny_at == "attest":
            raise Problem(self.args.deny_status, "PolicyDeny",
                          "Access denied by policy: " + "; ".join(reasons))
        now = int(time.time())
        events = []
        for rec in verified.records or []:
            if rec.aael:
                events.append({"index": rec.index, "domain": rec.aael[0],
                               "operation": rec.aael[1], "content": rec.aael[2]})
        claims = {"iss": self.args.issuer, "iat": now, "exp": now + self.args.token_lifetime,
                  "jwk": self.signer.public_jwk, "tee-pubkey": tee_key.jwk,
                  "tee": session.tee,
                  "runtime-data-hash": {"alg": session.hash_name, "value": report_hash.hex()},
                  "tcb-status": verified.claims,
                  "evaluation-report": {"policy": "deny" if reasons else "allow",
                                        "reasons": reasons, "events": events}}
        token = self.signer.sign(claims)
        with self.lock:
            session.token = token
        resp = Response(200, json.dumps({"token": token}).encode(), cookie=session.cookie())
        if reasons:
            resp.note = "policy: deny (reported on resource requests)"
        if fault == "expired-session":
            self.drop_session(req)
            resp.note = "session dropped after attest (fault)"
        return resp

    def verify(self, tee, evidence, report_hash, init_digest):
        try:
            if tee == "sample":
                return verify_sample(evidence, report_hash, init_digest)
            if tee == "tdx":
                return verify_tdx(evidence, report_hash, init_digest)
            if tee == "tpm":
                return verify_tpm(evidence, report_hash, init_digest, self.trust,
                                  self.policy.tee_policy("tpm").get("tpm_digest", "text"))
            if tee == "snp":
                return verify_snp(evidence, report_hash, init_digest)
            if tee == "cca":
                return verify_cca(evidence, report_hash, init_digest)
        except (EvidenceError, ValueError, struct.error) as e:
            raise attest_error(f"verify TEE evidence failed: {tee}: {e}") from None
        raise attest_error(f"no verifier for {tee}")

    def resource(self, req, desc, fault):
        if fault == "expired-session":
            self.drop_session(req)
        token = None
        session, _ = self._session(req)
        if session is not None and session.token is not None:
            token = session.token
        if token is None:
            auth = req.header("authorization")
            if auth is not None:
                scheme, _, value = auth.partition(" ")
                if scheme.lower() == "bearer" and value.strip():
                    token = value.strip()
        if token is None:
            raise Problem(401, "TokenNotFound", "Attestation Token not found")
        try:
            claims = self.signer.verify(token, time.time())
            tee_key = TeeKey(claims.get("tee-pubkey"))
        except ValueError as e:
            raise Problem(401, "TokenVerifierError", f"Token Verifier error: {e}") from None
        report = claims.get("evaluation-report") or {}
        if report.get("policy") != "allow":
            raise Problem(self.args.deny_status, "PolicyDeny",
                          "Access denied by policy: " + "; ".join(report.get("reasons", [])))
        if not self.policy.resource_allowed(desc):
            raise Problem(self.args.deny_status, "PolicyDeny",
                          f"Access denied by policy: resource {desc} is not released")
        parts = desc.split("/")
        if len(parts) != 3 or not all(RESOURCE_PART.fullmatch(p) for p in parts):
            raise Problem(401, "PluginInternalError",
                          f"Plugin internal error: illegal ResourceDesc format: {desc}")
        plaintext = self.resources.get(desc)
        if plaintext is None:
            raise Problem(self.args.missing_resource_status, "PluginInternalError",
                          f"Plugin internal error: resource not found: {desc}")
        body = jwe_encrypt(tee_key, plaintext, fault)
        return Response(200, body)


# ---------------------------------------------------------------------------------------------
# faults

FAULT_MODES = {
    # mode: (default endpoint, endpoints it may apply to)
    "down": ("any", None), "slow": ("any", None), "401": ("any", None), "5xx": ("any", None),
    "malformed-json": ("any", None), "reset": ("any", None), "oversize": ("any", None),
    "wrong-nonce": ("auth", ("auth",)),
    "expired-session": ("attest", ("attest", "resource")),
    "bad-jwe-tag": ("resource", ("resource",)),
    "unsupported-alg": ("resource", ("resource",)),
}
ENDPOINTS = ("auth", "attest", "resource", "any")


class Fault:
    def __init__(self, spec):
        parts = spec.split(":")
        if not 1 <= len(parts) <= 3 or parts[0] not in FAULT_MODES:
            raise ValueError(f"--fault {spec}: MODE[:ENDPOINT[:COUNT]] with MODE one of "
                             f"{', '.join(FAULT_MODES)}")
        self.mode = parts[0]
        default, allowed = FAULT_MODES[self.mode]
        self.endpoint = parts[1] if len(parts) > 1 and parts[1] else default
        if self.endpoint not in ENDPOINTS or (allowed and self.endpoint not in allowed):
            raise ValueError(f"--fault {spec}: {self.mode} applies to "
                             f"{', '.join(allowed or ENDPOINTS)}")
        count = parts[2] if len(parts) > 2 else "1"
        if count in ("inf", "0"):
            self.remaining = None
        elif count.isdigit():
            self.remaining = int(count)
        else:
            raise ValueError(f"--fault {spec}: COUNT is a number or inf")


class Faults:
    """Faults in the order given: a request takes the first one for its endpoint that has
    uses left, so "--fault down:auth:1 --fault 5xx:auth:1" drops the first /auth, answers the
    second with a 500 and the third normally."""

    def __init__(self, specs):
        self.faults = [Fault(s) for s in specs]
        self.lock = threading.Lock()

    def take(self, endpoint):
        with self.lock:
            for f in self.faults:
                if f.endpoint not in ("any", endpoint):
                    continue
                if f.remaining is None:
                    return f.mode
                if f.remaining > 0:
                    f.remaining -= 1
                    return f.mode
        return None


def fault_response(mode, endpoint):
    if mode == "401":
        variant = "TokenNotFound" if endpoint == "resource" else "AttestationError"
        return problem_response(Problem(401, variant, "injected fault: 401"))
    if mode == "5xx":
        variant = "PluginInternalError" if endpoint == "resource" else "AttestationError"
        return problem_response(Problem(500, variant, "injected fault: internal error"))
    if mode == "malformed-json":
        r = Response(200, b'{"nonce": this is not JSON')
        r.note = "malformed JSON (fault)"
        return r
    return None


# ---------------------------------------------------------------------------------------------
# http

TOKEN_CHARS = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class HttpError(Exception):
    def __init__(self, status, detail, problem=None):
        super().__init__(detail)
        self.status = status
        self.problem = problem
        self.drain = 0  # body bytes to read and drop after answering


def read_request(rfile, max_body):
    """One HTTP/1.1 request, or None at a clean end of the connection."""
    line = rfile.readline(8193)
    for _ in range(8):  # RFC 9112 2.2: ignore a few empty lines before a request
        if line not in (b"\r\n", b"\n"):
            break
        line = rfile.readline(8193)
    if not line:
        return None
    if len(line) > 8192 or not line.endswith(b"\n"):
        raise HttpError(414 if len(line) > 8192 else 400, "request line too long or cut")
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3 or not TOKEN_CHARS.fullmatch(parts[0]) or not parts[1].startswith("/"):
        raise HttpError(400, "malformed request line")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise HttpError(505, f"{version} is not supported")
    headers, total = [], 0
    while True:
        h = rfile.readline(8193)
        if not h:
            raise HttpError(400, "connection closed in the headers")
        total += len(h)
        if total > 65536 or len(headers) > 100:
            raise HttpError(431, "headers too large")
        if h in (b"\r\n", b"\n"):
            break
        if h[:1] in (b" ", b"\t"):
            raise HttpError(400, "obsolete header folding")
        name, sep, value = h.decode("latin-1").partition(":")
        if not sep or not TOKEN_CHARS.fullmatch(name):
            raise HttpError(400, "malformed header line")
        headers.append((name.lower(), value.strip(" \t\r\n")))
    te = [v for n, v in headers if n == "transfer-encoding"]
    cl = [v for n, v in headers if n == "content-length"]
    too_large = HttpError(413, "request body too large",
                          Problem(413, "PayloadTooLarge",
                                  f"Payload too large: more than {max_body} bytes"))
    expect = [v for n, v in headers if n == "expect"]
    body = b""
    if te and cl:
        raise HttpError(400, "both Transfer-Encoding and Content-Length")
    if te:
        codings = [c.strip().lower() for c in ",".join(te).split(",")]
        if codings != ["chunked"]:
            raise HttpError(501, f"transfer coding {','.join(codings)} is not supported")
        return method, target, version, headers, expect, ("chunked", too_large)
    if cl:
        if len(set(cl)) != 1 or not re.fullmatch(r"[0-9]{1,12}", cl[0]):
            raise HttpError(400, "bad Content-Length")
        length = int(cl[0])
        if length > max_body:
            too_large.drain = length
            raise too_large
        return method, target, version, headers, expect, ("length", length)
    return method, target, version, headers, expect, ("none", body)


def read_body(rfile, framing, max_body):
    kind, arg = framing
    if kind == "none":
        return b""
    if kind == "length":
        data = rfile.read(arg)
        if len(data) != arg:
            raise HttpError(400, "connection closed in the body")
        return data
    chunks, total = [], 0
    while True:
        line = rfile.readline(100)
        if not line.endswith(b"\n"):
            raise HttpError(400, "bad chunk size line")
        size_text = line.split(b";")[0].strip()
        if not re.fullmatch(rb"[0-9a-fA-F]{1,8}", size_text):
            raise HttpError(400, "bad chunk size")
        size = int(size_text, 16)
        if size == 0:
            break
        total += size
        if total > max_body:
            raise arg
        data = rfile.read(size)
        if len(data) != size or rfile.readline(3) not in (b"\r\n", b"\n"):
            raise HttpError(400, "bad chunk")
        chunks.append(data)
    for _ in range(100):  # trailers
        line = rfile.readline(8193)
        if line in (b"\r\n", b"\n"):
            return b"".join(chunks)
        if not line:
            break
    raise HttpError(400, "bad chunked trailer")


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, address, broker, faults, args, tls, log):
        self.broker = broker
        self.faults = faults
        self.args = args
        self.tls = tls
        self.log = log
        self.slots = threading.BoundedSemaphore(64)
        self.conn_ids = itertools.count(1)  # next() is atomic under the GIL
        super().__init__(address, Handler)

    def process_request(self, request, client_address):
        if not self.slots.acquire(blocking=False):
            request.close()  # too many connections at once
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request, client_address):
        print(f"broker.py: error on a connection from {client_address}: "
              f"{sys.exc_info()[1]!r}", file=sys.stderr)


class Log:
    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8") if path else None
        self.lock = threading.Lock()

    def write(self, entry):
        if self.file is None:
            return
        with self.lock:
            self.file.write(json.dumps(entry, sort_keys=True) + "\n")
            self.file.flush()


class Handler(socketserver.BaseRequestHandler):
    """One connection: requests in turn until one asks to close (or --no-keep-alive), the
    client ends it, or it stays idle --idle-timeout seconds."""

    def handle(self):
        srv = self.server
        sock = self.request
        sock.settimeout(srv.args.io_timeout)
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        # Every log line names its connection, and over TLS whether its handshake resumed a
        # session, so that a test can count both.
        self.conn_info = {"conn": next(srv.conn_ids)}
        if srv.tls is not None:
            try:
                sock = srv.tls.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError) as e:
                srv.log.write({"time": time.time(), "peer": peer, "tls_error": str(e),
                               **self.conn_info})
                return
            self.conn_info["tls_resumed"] = sock.session_reused
        self.sock = sock
        self.orderly = True  # False once a fault or an error broke the connection
        rfile = sock.makefile("rb")
        try:
            for i in range(1000):
                if i > 0 and not self.wait_next(rfile):
                    break
                if not self.one_request(rfile, peer):
                    break
        except (OSError, ssl.SSLError):
            self.orderly = False
        finally:
            self.close(rfile)

    def wait_next(self, rfile):
        """Waits for the first byte of another request: False at its end or when idle."""
        args = self.server.args
        self.sock.settimeout(args.idle_timeout if args.idle_timeout else args.io_timeout)
        try:
            more = bool(rfile.peek(1))
        except (TimeoutError, socket.timeout):
            return False
        self.sock.settimeout(args.io_timeout)
        return more

    def close(self, rfile):
        sock = self.sock
        try:
            rfile.close()
            # OpenSSL keeps a session for resumption only if this side sent close_notify
            # (SSL_free() drops a session whose connection was not shut down): send it, and
            # wait a little for the client's.
            if self.orderly and isinstance(sock, ssl.SSLSocket):
                sock.settimeout(1.0)
                try:
                    sock.unwrap()
                except (OSError, ssl.SSLError, ValueError):
                    pass
            sock.close()
        except OSError:
            pass

    def one_request(self, rfile, peer):
        srv = self.server
        entry = {"time": time.time(), "peer": peer, **self.conn_info}
        try:
            head = read_request(rfile, srv.args.max_body)
            if head is None:
                return False
            method, target, version, headers, expect, framing = head
            entry.update(method=method, path=target.partition("?")[0],
                         headers={n: v for n, v in headers})
            if expect and version == "HTTP/1.1" and framing[0] != "none":
                if expect[0].lower() != "100-continue":
                    raise HttpError(417, "unsupported Expect")
                self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = read_body(rfile, framing, srv.args.max_body)
        except HttpError as e:
            resp = problem_response(e.problem) if e.problem else Response(e.status)
            resp.status = e.status
            entry.update(status=e.status, error=str(e))
            self.send(resp, None, close=True)
            srv.log.write(entry)
            # Read (and drop) what the client is still sending, within bounds, so that closing
            # does not reset the connection before the client has read the answer.
            left = min(e.drain, 64 << 20)
            while left > 0:
                chunk = rfile.read(min(left, 65536))
                if not chunk:
                    break
                left -= len(chunk)
            return False
        except (TimeoutError, socket.timeout):
            entry.update(error="timed out reading the request")
            if "method" in entry:
                srv.log.write(entry)
            return False
        req = Request(method, target, version, headers, body, peer)
        entry["body_bytes"] = len(body)
        endpoint = req.endpoint()
        fault = srv.faults.take(endpoint)
        if fault:
            entry["fault"] = fault
        options = [o.strip().lower() for o in (req.header("connection") or "").split(",")]
        close = (srv.args.no_keep_alive or "close" in options
                 or version == "HTTP/1.0" and "keep-alive" not in options)
        if fault == "down":
            entry["status"] = None
            srv.log.write(entry)
            self.orderly = False
            return False
        if fault == "slow":
            time.sleep(srv.args.slow_seconds)
        resp = fault_response(fault, endpoint) if fault else None
        if resp is None:
            try:
                resp = srv.broker.dispatch(req, fault)
            except Exception as e:  # a bug here must not kill the broker
                resp = problem_response(Problem(500, "InternalError", f"broker bug: {e!r}"))
                print(f"broker.py: {e!r}", file=sys.stderr)
        entry.update(status=resp.status, response_bytes=len(resp.body))
        if resp.problem:
            entry.update(problem=resp.problem[0], detail=resp.problem[1])
        if resp.note:
            entry["note"] = resp.note
        srv.log.write(entry)
        return self.send(resp, fault, close) and not close

    def send(self, resp, fault, close):
        try:
            phrase = http.HTTPStatus(resp.status).phrase
        except ValueError:
            phrase = "Status"
        body = resp.body
        length = len(body)
        if fault == "oversize":
            length = self.server.args.oversize_bytes
        lines = [f"HTTP/1.1 {resp.status} {phrase}",
                 f"date: {email.utils.formatdate(usegmt=True)}",
                 f"content-length: {length}"]
        if resp.content_type or fault == "oversize":
            lines.append("content-type: application/json")
        if resp.cookie and fault != "oversize":
            lines.append(f"set-cookie: {resp.cookie}")
        if close:
            lines.append("connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        sock = self.sock
        if fault == "reset":
            part = head + body[:len(body) // 2] if body else head[:len(head) // 2]
            sock.sendall(part)
            # Give the client time to read the part: data it has not read when the RST arrives
            # is dropped by its kernel, and the fault would look like "down".
            time.sleep(0.3)
            # SO_LINGER with a zero timeout: close() sends a TCP RST instead of a FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.orderly = False
            return False
        if fault == "oversize":
            sock.sendall(head)
            chunk = b"A" * 65536
            sent = 0
            prefix = b'{"token":"'
            sock.sendall(prefix)
            sent += len(prefix)
            while sent < length - 2:
                n = min(len(chunk), length - 2 - sent)
                sock.sendall(chunk[:n])
                sent += n
            sock.sendall(b'"}'[:length - sent])
            self.orderly = False
            return False
        sock.sendall(head + body)
        return True


# ---------------------------------------------------------------------------------------------
# main


def parse_args(argv):
    p = argparse.ArgumentParser(description="mrboot's test key broker (Trustee RCAR 0.4.0).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--ready-file", help='gets "PORT\\n" once the broker listens')
    p.add_argument("--cert", help="server certificate chain (PEM)")
    p.add_argument("--key", help="server private key (PEM)")
    p.add_argument("--plain", action="store_true", help="plain HTTP instead of TLS")
    p.add_argument("--tee", action="append", default=[],
                   help="accepted TEE (repeatable or comma-separated); default: the policy's "
                        "TEEs, else sample")
    p.add_argument("--policy", help="reference-value policy (JSON)")
    p.add_argument("--resource", action="append", default=[], metavar="REPO/TYPE/TAG=FILE")
    p.add_argument("--session-lifetime", type=int, default=300, metavar="SECONDS")
    p.add_argument("--token-lifetime", type=int, default=300, metavar="SECONDS")
    p.add_argument("--hash-algorithm", choices=sorted(HASHES), default="sha384",
                   help="runtime-data hash when the client lists it (sha384 as Trustee)")
    p.add_argument("--token-alg", choices=("ES256", "RS256"), default="ES256")
    p.add_argument("--issuer", default="mrboot-test-kbs")
    p.add_argument("--tpm-ak-allow", action="append", default=[], metavar="PEM",
                   help="trusted TPM attestation public key(s)")
    p.add_argument("--tpm-ak-tofu", action="store_true",
                   help="trust any TPM attestation key (testing only)")
    p.add_argument("--fault", action="append", default=[], metavar="MODE[:ENDPOINT[:COUNT]]")
    p.add_argument("--slow-seconds", type=float, default=5.0)
    p.add_argument("--oversize-bytes", type=int, default=32 << 20)
    p.add_argument("--deny-at", choices=("resource", "attest"), default="resource",
                   help="where a policy denial is reported (Trustee: resource)")
    p.add_argument("--deny-status", type=int, choices=(401, 403), default=401)
    p.add_argument("--missing-resource-status", type=int, choices=(401, 404), default=401)
    p.add_argument("--max-body", type=int, default=2 << 20)
    p.add_argument("--io-timeout", type=float, default=10.0,
                   help="seconds any one read or write on a connection may take")
    p.add_argument("--idle-timeout", type=float, default=0, metavar="SECONDS",
                   help="seconds a connection may wait for its next request (default: "
                        "--io-timeout)")
    p.add_argument("--no-keep-alive", action="store_true",
                   help="answer every request with 'Connection: close' and close")
    p.add_argument("--log", help="append one JSON line per request")
    args = p.parse_args(argv)
    if args.plain == bool(args.cert or args.key) or bool(args.cert) != bool(args.key):
        p.error("give --cert and --key, or --plain")
    if args.oversize_bytes < 64:
        p.error("--oversize-bytes must be at least 64")
    return args


def main(argv):
    args = parse_args(argv)
    try:
        broker = Broker(args)
        faults = Faults(args.fault)
    except (OSError, ValueError) as e:
        print(f"broker.py: {e}", file=sys.stderr)
        return 2
    tls = None
    if not args.plain:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        tls.load_cert_chain(args.cert, args.key)
    log = Log(args.log)
    server = Server((args.host, args.port), broker, faults, args, tls, log)
    port = server.server_address[1]

    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.ready_file)
    print(f"broker.py: listening on {args.host}:{port} ({'http' if args.plain else 'https'}), "
          f"TEEs {', '.join(broker.tees)}", file=sys.stderr)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
