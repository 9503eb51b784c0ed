#!/usr/bin/python3
"""An independent RCAR 0.4.0 client that proves tests/kbs/broker.py before the agent uses it.

It shares no code with the broker (it only imports it for the JCS vectors, which test the
broker's function against published values): its JCS is json.dumps with sorted keys and no
whitespace (the same bytes for the ASCII keys of the runtime data), its evidence builders
follow the formats' documents (TCG PC Client PFP event logs, Intel's TDX quote v4, TPM 2.0
Part 2 TPMS_ATTEST, RFC 8949 CBOR), and the JWE is decrypted twice: with python3-cryptography's
primitives composed here, and with python3-jwcrypto when it is installed.

Usage: client.py --url URL [--cafile CA] [--workdir DIR] CHECK...
       client.py make-ak DIR           (a software TPM attestation key: DIR/ak.key, DIR/ak.pub)
Each CHECK prints nothing and exits 0, or prints why it failed and exits 1.
"""

import argparse
import base64
import email.utils
import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import struct
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "emulators"))
import dcap_quote  # noqa: E402 (the tests' TD quote maker, shared with the configfs-tsm emulator)
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap

try:
    from jwcrypto import jwe as jwcrypto_jwe
    from jwcrypto import jwk as jwcrypto_jwk
except ImportError:
    jwcrypto_jwe = None

ERR = "https://github.com/confidential-containers/kbs/errors/"
RESOURCE = "default/key/disk"
TIMEOUT = 10.0
BODY_CAP = 1 << 20


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def b64(data):
    return base64.b64encode(data).decode()


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    check(isinstance(text, str) and "=" not in text, f"not unpadded base64url: {text!r}")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(obj):
    """JCS for objects with ASCII keys and no floats, which is all the runtime data holds."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# ---------------------------------------------------------------------------------------------
# HTTP


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise Failure(f"HTTP {self.status} body is not JSON: {self.body[:80]!r}") from None

    def problem(self):
        doc = self.json()
        check(isinstance(doc, dict) and set(doc) == {"type", "detail"},
              f"HTTP {self.status} body is not a problem object: {self.body[:200]!r}")
        check(doc["type"].startswith(ERR), f"problem type {doc['type']!r}")
        return doc["type"][len(ERR):], doc["detail"]

    def header(self, name):
        values = self.headers.get(name.lower(), [])
        return values[0] if values else None


class Connection:
    """One HTTP/1.1 connection, kept open between requests as a real client would."""

    def __init__(self, url, cafile, timeout=TIMEOUT):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.tls = u.hostname, u.port, u.scheme == "https"
        self.cafile = cafile
        self.timeout = timeout
        self.conn = None

    def _connect(self):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.cafile)
            # The certificate names localhost; connect to the loopback address by that name.
            return http.client.HTTPSConnection("localhost", self.port, context=ctx,
                                               timeout=self.timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None, chunked=False):
        if self.conn is None:
            self.conn = self._connect()
        hdrs = dict(headers or {})
        if body is not None and "Content-Type" not in hdrs:
            hdrs["Content-Type"] = "application/json"
        try:
            if chunked:
                pieces = [body[i:i + 100] for i in range(0, len(body), 100)]
                self.conn.request(method, path, body=iter(pieces), headers=hdrs,
                                  encode_chunked=True)
            else:
                self.conn.request(method, path, body=body, headers=hdrs)
            resp = self.conn.getresponse()
            length = resp.getheader("content-length")
            if length is not None and int(length) > BODY_CAP:
                self.close()
                raise Failure(f"oversize: Content-Length {length} is over {BODY_CAP}")
            data = resp.read(BODY_CAP + 1)
            if len(data) > BODY_CAP:
                self.close()
                raise Failure("oversize body")
            if length is not None and len(data) != int(length):
                # http.client returns a short body silently when given an amount to read.
                self.close()
                raise http.client.IncompleteRead(data, int(length) - len(data))
            headers = {}
            for k, v in resp.getheaders():
                headers.setdefault(k.lower(), []).append(v)
            if resp.getheader("connection", "").lower() == "close":
                self.close()
            return Reply(resp.status, headers, data)
        except Failure:
            raise
        except Exception:
            self.close()
            raise


class Rcar:
    """The client side of one RCAR handshake."""

    def __init__(self, args, key="p256", tee="sample", conn=None):
        self.args = args
        self.conn = conn or Connection(args.url, args.cafile)
        self.tee = tee
        self.key_kind = key
        self.private, self.jwk = make_tee_key(key)
        self.cookie = None
        self.nonce = None
        self.hash_name = "sha384"
        self.token = None

    def auth(self, version="0.4.0", tee=None, extra=None, raw=None):
        body = raw if raw is not None else json.dumps(
            {"version": version, "tee": tee or self.tee,
             "extra-params": {} if extra is None else extra}).encode()
        r = self.conn.request("POST", "/kbs/v0/auth", body)
        if r.status == 200:
            self.cookie = parse_cookie(r.header("set-cookie"), self.args.session_lifetime)
            doc = r.json()
            check(isinstance(doc, dict) and set(doc) == {"nonce", "extra-params"},
                  f"challenge members {sorted(doc) if isinstance(doc, dict) else doc}")
            self.nonce = doc["nonce"]
            extra_out = doc["extra-params"]
            if extra_out == "":
                self.hash_name = "sha384"
            else:
                check(isinstance(extra_out, dict) and set(extra_out) == {"selected-hash-algorithm"},
                      f"extra-params {extra_out!r}")
                self.hash_name = extra_out["selected-hash-algorithm"]
        return r

    def runtime_hash(self, nonce=None):
        runtime = {"tee-pubkey": self.jwk, "nonce": nonce or self.nonce,
                   "additional-evidence": ""}
        return hashlib.new(self.hash_name, canonical(runtime)).digest()

    def attest(self, evidence, jwk=None, nonce=None, init_data=None, cookie=True, raw=None,
               chunked=False):
        doc = {"runtime-data": {"nonce": nonce or self.nonce, "tee-pubkey": jwk or self.jwk},
               "tee-evidence": {"primary_evidence": evidence, "additional_evidence": ""}}
        if init_data is not None:
            doc["init-data"] = init_data
        headers = {"Cookie": f"kbs-session-id={self.cookie}"} if cookie and self.cookie else {}
        body = raw if raw is not None else json.dumps(doc).encode()
        r = self.conn.request("POST", "/kbs/v0/attest", body, headers, chunked=chunked)
        if r.status == 200:
            cookie_back = parse_cookie(r.header("set-cookie"), self.args.session_lifetime)
            check(cookie_back == self.cookie, "attest answered with another session cookie")
            doc = r.json()
            check(isinstance(doc, dict) and set(doc) == {"token"}, f"attest reply {doc!r}")
            self.token = doc["token"]
        return r

    def resource(self, name=RESOURCE, cookie=True, bearer=None, conn=None):
        headers = {}
        if cookie and self.cookie:
            headers["Cookie"] = f"kbs-session-id={self.cookie}"
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return (conn or self.conn).request("GET", f"/kbs/v0/resource/{name}", None, headers)

    def decrypt(self, reply):
        check(reply.status == 200, f"resource: HTTP {reply.status} {reply.body[:300]!r}")
        plaintext = decrypt_jwe(reply.body, self.private, self.key_kind)
        if jwcrypto_jwe is not None:
            other = decrypt_jwcrypto(reply.body, self.private)
            check(other == plaintext, "jwcrypto decrypts the JWE to something else")
        return plaintext


def parse_cookie(value, lifetime):
    """Trustee's cookie: kbs-session-id=<uuid simple>; Expires=<IMF-fixdate>, nothing else."""
    check(value is not None, "no Set-Cookie")
    m = re.fullmatch(r"kbs-session-id=([0-9a-f]{32}); Expires=(.+)", value)
    check(m is not None, f"Set-Cookie {value!r} is not kbs-session-id=<32 hex>; Expires=<date>")
    date = m.group(2)
    check(re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|"
                       r"Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT", date),
          f"Expires {date!r} is not an IMF-fixdate")
    expires = email.utils.parsedate_to_datetime(date).timestamp()
    check(abs(expires - (time.time() + lifetime)) < 30,
          f"cookie expires {expires - time.time():.0f} s from now, not {lifetime}")
    return m.group(1)


def expect_problem(reply, status, variant, detail_has=None):
    check(reply.status == status,
          f"expected HTTP {status} {variant}, got {reply.status}: {reply.body[:300]!r}")
    got_variant, detail = reply.problem()
    check(got_variant == variant, f"expected problem {variant}, got {got_variant}: {detail}")
    check(reply.header("content-type") == "application/json",
          f"problem Content-Type {reply.header('content-type')!r}")
    if detail_has:
        check(detail_has in detail, f"detail {detail!r} does not mention {detail_has!r}")
    return detail


# ---------------------------------------------------------------------------------------------
# keys and JOSE

CURVES = {"p256": (ec.SECP256R1, "P-256", 32), "p521": (ec.SECP521R1, "P-521", 66)}


def make_tee_key(kind):
    if kind in CURVES:
        curve, crv, size = CURVES[kind]
        key = ec.generate_private_key(curve())
        n = key.public_key().public_numbers()
        return key, {"kty": "EC", "crv": crv, "alg": "ECDH-ES+A256KW",
                     "x": b64u(n.x.to_bytes(size, "big")), "y": b64u(n.y.to_bytes(size, "big"))}
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    n = key.public_key().public_numbers()
    return key, {"kty": "RSA", "alg": "RSA-OAEP-256", "n": b64u(n.n.to_bytes(256, "big")),
                 "e": b64u(n.e.to_bytes(3, "big"))}


def decrypt_jwe(body, private, kind):
    """RFC 7516/7518 with python3-cryptography's primitives, and the layout DESIGN.md gives."""
    doc = json.loads(body)
    check(list(doc) == ["protected", "encrypted_key", "iv", "ciphertext", "tag"],
          f"JWE members {list(doc)} are not protected, encrypted_key, iv, ciphertext, tag")
    header_text = unb64u(doc["protected"]).decode()
    header = json.loads(header_text)
    check(header.get("enc") == "A256GCM", f"JWE enc {header.get('enc')!r}")
    encrypted_key = unb64u(doc["encrypted_key"])
    if kind in CURVES:
        check(header.get("alg") == "ECDH-ES+A256KW", f"JWE alg {header.get('alg')!r}")
        _curve, crv, size = CURVES[kind]
        epk = header["epk"]
        check(list(header) == ["alg", "enc", "epk"] and list(epk) == ["crv", "kty", "x", "y"],
              f"protected header layout {header_text}")
        check(epk["crv"] == crv and epk["kty"] == "EC", f"epk {epk}")
        peer = ec.EllipticCurvePublicNumbers(int.from_bytes(unb64u(epk["x"]), "big"),
                                             int.from_bytes(unb64u(epk["y"]), "big"),
                                             private.curve).public_key()
        z = private.exchange(ec.ECDH(), peer)
        alg = b"ECDH-ES+A256KW"
        otherinfo = struct.pack(">I", len(alg)) + alg + bytes(8) + struct.pack(">I", 256)
        kek = ConcatKDFHash(hashes.SHA256(), 32, otherinfo).derive(z)
        cek = aes_key_unwrap(kek, encrypted_key)
    else:
        check(header == {"alg": "RSA-OAEP-256", "enc": "A256GCM"} and list(header) == ["alg", "enc"],
              f"protected header {header_text}")
        cek = private.decrypt(encrypted_key, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                                          algorithm=hashes.SHA256(), label=None))
    iv = unb64u(doc["iv"])
    check(len(iv) == 12, "IV is not 12 bytes")
    tag = unb64u(doc["tag"])
    return AESGCM(cek).decrypt(iv, unb64u(doc["ciphertext"]) + tag,
                               doc["protected"].encode("ascii"))


def decrypt_jwcrypto(body, private):
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    key = jwcrypto_jwk.JWK.from_pem(pem)
    token = jwcrypto_jwe.JWE()
    token.deserialize(body.decode(), key=key)
    return token.payload


def token_claims(token, expect_key=True):
    """Decodes the broker's JWT and verifies it with the jwk it carries (an independent check
    of the signature's encoding, not of trust)."""
    h64, c64, s64 = token.split(".")
    header = json.loads(unb64u(h64))
    claims = json.loads(unb64u(c64))
    sig = unb64u(s64)
    jwk = claims["jwk"]
    check(header.get("alg") == jwk.get("alg"), "token header alg differs from its jwk")
    if jwk["kty"] == "EC":
        pub = ec.EllipticCurvePublicNumbers(int.from_bytes(unb64u(jwk["x"]), "big"),
                                            int.from_bytes(unb64u(jwk["y"]), "big"),
                                            ec.SECP256R1()).public_key()
        try:
            pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                            int.from_bytes(sig[32:], "big")),
                       (h64 + "." + c64).encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise Failure("the token's ES256 signature does not verify") from None
    return claims


# ---------------------------------------------------------------------------------------------
# event logs (TCG PC Client PFP, "Event Logging"; the AAEL tagged event of guest-components)

EV_NO_ACTION, EV_EVENT_TAG, EV_EFI_ACTION, EV_SEPARATOR = 3, 6, 0x80000007, 4
ALG = {"sha1": (0x0004, 20), "sha256": (0x000B, 32), "sha384": (0x000C, 48),
       "sha512": (0x000D, 64)}


def spec_id_event(algs):
    event = b"Spec ID Event03\0" + struct.pack("<IBBBB", 0, 0, 2, 0, 2)
    event += struct.pack("<I", len(algs))
    for a in algs:
        event += struct.pack("<HH", *ALG[a])
    event += b"\0"  # no vendor info
    return struct.pack("<II", 0, EV_NO_ACTION) + bytes(20) + struct.pack("<I", len(event)) + event


def event2(index, etype, digests, event):
    out = struct.pack("<III", index, etype, len(digests))
    for name, d in digests:
        out += struct.pack("<H", ALG[name][0]) + d
    return out + struct.pack("<I", len(event)) + event


def aael_body(domain, operation, content):
    text = f"{domain} {operation} {content}".encode()
    return struct.pack("<II", 0x4141454C, len(text)) + text


MRBOOT_CMDLINE = "console=ttyS0 root=/dev/vda2 ro"
MRBOOT_CONFIG_SHA256 = hashlib.sha256(b"kbs_url=https://localhost\n").hexdigest()


def mrboot_events(case):
    """(index, domain, operation, content) of mrboot's events; index is the CC index 3
    (RTMR2), which mrboot's default PCR 15 maps to, or the PCR for a TPM."""
    cmdline = ("mrboot", "kernel-cmdline", json.dumps({"cmdline": MRBOOT_CMDLINE},
                                                      separators=(",", ":")))
    config = ("mrboot", "config", json.dumps({"path": "/etc/mrboot.conf",
                                              "sha256": MRBOOT_CONFIG_SHA256},
                                             separators=(",", ":")))
    sep = ("mrboot", "separator", '{"phase":"measurements-done"}')
    ev = {"good": [cmdline, config, sep],
          "unknown": [cmdline, ("mrboot", "mystery", "{}"), config, sep],
          "after-separator": [cmdline, config, sep, config],
          "missing": [config, sep],
          "bad-content": [("mrboot", "kernel-cmdline", '{"cmdline":"init=/bin/sh"}'), config,
                          sep],
          "other-domain": [cmdline, ("github.com/confidential-containers", "op", "x"),
                           config, sep]}[case]
    return ev


def ccel(case="good", index=3, extra=b"", algs=("sha384",), no_action=False, sha1=False,
         lie=False, firmware=True):
    """A CCEL: Spec ID, two firmware records (RTMR0, RTMR1), mrboot's AAEL records."""
    log = spec_id_event(list(algs) + (["sha1"] if sha1 else []))
    records = []
    if firmware:
        for i, text in ((1, b"firmware"), (2, b"kernel")):
            d = [(a, hashlib.new(a, text).digest()) for a in algs]
            records.append((i, EV_EFI_ACTION, d))
            log += event2(i, EV_EFI_ACTION, d, text)
    for n, (domain, op, content) in enumerate(mrboot_events(case)):
        body = aael_body(domain, op, content)
        digested = aael_body(domain, op, content + " (lie)") if lie and op == "config" else body
        d = [(a, hashlib.new(a, digested).digest()) for a in algs]
        if sha1 and n == 0:
            d.append(("sha1", hashlib.sha1(body).digest()))
        records.append((index, EV_EVENT_TAG, d))
        log += event2(index, EV_EVENT_TAG, d, body)
    if no_action:
        d = [(a, bytes(ALG[a][1])) for a in algs]
        records.append((index, EV_NO_ACTION, d))
        log += event2(index, EV_NO_ACTION, d, b"note")
    return log + extra, records


def replay(records, alg, count=4, base=1):
    regs = [bytes(ALG[alg][1])] * count
    for index, etype, digests in records:
        if etype == EV_NO_ACTION:
            continue
        d = dict(digests)[alg]
        regs[index - base] = hashlib.new(alg, regs[index - base] + d).digest()
    return regs


PCK_CHAIN = None


def tdx_quote(report_data, rtmrs, mrtd=b"\x11" * 48, mrconfigid=bytes(48), placeholder=False):
    """TDX quote v4 (Intel sgx_quote_4.h): header, TD report body, signature data as DCAP
    frames it (tests/emulators/dcap_quote.py, a self-made PCK chain), or with placeholder a
    bare 64-byte filler where the signature data goes."""
    global PCK_CHAIN
    body = bytearray(584)
    body[136:184] = mrtd
    body[184:232] = mrconfigid
    for i, v in enumerate(rtmrs):
        body[328 + 48 * i:376 + 48 * i] = v
    body[520:584] = report_data.ljust(64, b"\0")
    if placeholder:
        sig = b"\x5a" * 64
        return dcap_quote.td_header() + bytes(body) + struct.pack("<I", len(sig)) + sig
    if PCK_CHAIN is None:
        PCK_CHAIN = dcap_quote.PckChain()
    return dcap_quote.quote_v4(bytes(body), PCK_CHAIN)


# ---------------------------------------------------------------------------------------------
# TPM (TPM 2.0 Part 2: TPMS_ATTEST, TPMT_SIGNATURE)


def tpms_attest(extra, pcr_values, selected, bank=0x000B):
    out = struct.pack(">IH", 0xFF544347, 0x8018)
    name = struct.pack(">H", 0x000B) + b"\x22" * 32
    out += struct.pack(">H", len(name)) + name
    out += struct.pack(">H", len(extra)) + extra
    out += struct.pack(">QIIB", 123456, 1, 0, 1) + struct.pack(">Q", 0x2000)
    bits = bytearray(3)
    for p in selected:
        bits[p // 8] |= 1 << (p % 8)
    out += struct.pack(">IHB", 1, bank, 3) + bytes(bits)
    digest = hashlib.sha256(b"".join(pcr_values)).digest()
    return out + struct.pack(">H", len(digest)) + digest


def load_ak(workdir):
    with open(os.path.join(workdir, "ak.key"), "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def tpm_evidence(args, rhash, layout, case="good", ak=None, pcr_lie=False, extra_lie=False,
                 extra=None):
    """A TPM quote over PCR 0..23 (SHA-256) whose PCR 12 holds mrboot's events, with the
    runtime log as aa_eventlog (TCG2, SHA-256, digests of "domain operation content").
    Layout "A" is openanolis' (ak_pubkey, quote), "B" confidential-containers' (ak_public,
    tpm_quote), "AB" both over one quote. The quote's extraData is the hash's first 32 bytes
    (both verifiers' TPM_REPORT_DATA_SIZE), or extra when given."""
    ak = ak or load_ak(args.workdir)
    log = spec_id_event(["sha256"])
    regs = [bytes(32)] * 24
    for p in (0, 7):  # firmware PCRs, not in any log here: never replayed
        regs[p] = hashlib.sha256(b"firmware %d" % p).digest()
    for domain, op, content in mrboot_events(case):
        body = aael_body(domain, op, content)
        d = hashlib.sha256(body[8:]).digest()
        log += event2(12, EV_EVENT_TAG, [("sha256", d)], body)
        regs[12] = hashlib.sha256(regs[12] + d).digest()
    if pcr_lie:
        regs[12] = hashlib.sha256(b"something else").digest()
    selected = list(range(24))
    if extra is None:
        extra = rhash[:32] if not extra_lie else bytes(32)
    if layout == "A":
        body = tpms_attest(extra, regs, selected)
        sig = ak.sign(body, padding.PKCS1v15(), hashes.SHA256())
        pem = ak.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
        return {"ek_cert": None, "ak_pubkey": pem.decode(),
                "quote": {"SHA256": {"attest_body": b64(body), "attest_sig": b64(sig),
                                     "pcrs": [r.hex() for r in regs]}},
                "eventlog": None, "aa_eventlog": b64(log)}
    message = tpms_attest(extra, regs, selected)
    if layout == "AB":
        # One quote in both layouts, as the agent sends it.
        a = tpm_evidence(args, rhash, "A", case, ak, pcr_lie, extra_lie, extra)
        sig = ak.sign(message, padding.PKCS1v15(), hashes.SHA256())
        a["quote"]["SHA256"].update(attest_body=b64(message), attest_sig=b64(sig))
        b = tpm_evidence(args, rhash, "B", case, ak, pcr_lie, extra_lie, extra)
        b["tpm_quote"].update(message=b64(message), signature=b64(
            struct.pack(">HHH", 0x0014, 0x000B, len(sig)) + sig))
        return {**a, **b}
    sig = ak.sign(message, padding.PKCS1v15(), hashes.SHA256())
    tpmt = struct.pack(">HHH", 0x0014, 0x000B, len(sig)) + sig
    der = ak.public_key().public_bytes(serialization.Encoding.DER,
                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"ak_public": b64(der),
            "tpm_quote": {"signature": b64(tpmt), "message": b64(message),
                          "pcrs": [r.hex() for r in regs]},
            "aa_eventlog": b64(log)}


# ---------------------------------------------------------------------------------------------
# CBOR (RFC 8949), enough to write a CCA token


def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError("too large")


def cbor(v):
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, bytes):
        return cbor_head(2, len(v)) + v
    if isinstance(v, str):
        return cbor_head(3, len(v.encode())) + v.encode()
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return cbor_head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    if isinstance(v, tuple):  # (tag, value)
        return cbor_head(6, v[0]) + cbor(v[1])
    raise ValueError(type(v))


def cca_token(challenge, perso=bytes(64), bare_realm=False, platform=True):
    """An Arm CCA token: tag 399 {44234: platform COSE_Sign1, 44241: realm COSE_Sign1}, with
    the realm's challenge (10), personalization value (44235) and RIM (44238); bare_realm puts
    the realm claims map there without COSE_Sign1, platform=False leaves the platform out."""
    payload = cbor({10: challenge, 44235: perso, 44238: b"\x33" * 32})
    realm = payload if bare_realm else cbor((18, [cbor({1: -7}), {}, payload, b"\x44" * 64]))
    collection = {44241: realm}
    if platform:
        collection[44234] = cbor((18, [cbor({1: -7}), {}, cbor({10: b"\x55" * 32}),
                                       b"\x66" * 64]))
    return list(cbor((399, collection)))


# ---------------------------------------------------------------------------------------------
# checks


def sample_evidence(rhash, events=None):
    ev = {"svn": "1", "report_data": b64(rhash)}
    if events:
        log, _ = ccel(events, firmware=False)
        ev["cc_eventlog"] = b64(log)
    return ev


def full_flow(args, key="p256", tee="sample", bearer=False, events=None):
    """auth -> attest -> resource; returns the Rcar after checking the plaintext."""
    c = Rcar(args, key=key, tee=tee)
    r = c.auth()
    check(r.status == 200, f"auth: HTTP {r.status} {r.body[:300]!r}")
    check(len(base64.b64decode(c.nonce, validate=True)) == 32, f"nonce {c.nonce!r}")
    ev = build_evidence(args, c, tee, events or "good")
    r = c.attest(ev)
    check(r.status == 200, f"attest: HTTP {r.status} {r.body[:300]!r}")
    claims = token_claims(c.token)
    check(claims["tee-pubkey"] == c.jwk, "token tee-pubkey is not the key sent")
    check(claims["exp"] > claims["iat"] and abs(claims["iat"] - time.time()) < 60,
          f"token times iat {claims['iat']} exp {claims['exp']}")
    if bearer:
        other = Connection(args.url, args.cafile)
        r = c.resource(cookie=False, bearer=c.token, conn=other)
        other.close()
    else:
        r = c.resource()
    plaintext = c.decrypt(r)
    with open(args.plaintext, "rb") as f:
        check(plaintext == f.read(), "the resource decrypts to other bytes than the file")
    return c


def build_evidence(args, c, tee, case, **kw):
    rhash = c.runtime_hash()
    if tee == "sample":
        return sample_evidence(rhash, None if case == "none" else case)
    if tee == "tdx":
        log, records = ccel(case, **kw)
        return {"cc_eventlog": b64(log), "quote": b64(tdx_quote(rhash, replay(records, "sha384")))}
    if tee == "tpm":
        return tpm_evidence(args, rhash, "A", case)
    if tee == "snp":
        return snp_evidence(rhash)
    if tee == "cca":
        return {"token": cca_token(rhash.ljust(64, b"\0"))}
    raise ValueError(tee)


def snp_evidence(rhash, **change):
    """The members of the sev crate's AttestationReport (serde) that Trustee's SNP verifier
    reads, for a version 5 report of a Milan CPU at VMPL 0; change replaces members."""
    tcb = {"fmc": None, "bootloader": 4, "tee": 0, "snp": 22, "microcode": 213}
    report = {"version": 5, "guest_svn": 0, "policy": 0x30000, "family_id": [0] * 16,
              "image_id": [0] * 16, "vmpl": 0, "sig_algo": 1, "current_tcb": tcb,
              "plat_info": 3, "key_info": 0, "report_data": list(rhash.ljust(64, b"\0")),
              "measurement": [0x11] * 48, "host_data": [0] * 32, "id_key_digest": [0] * 48,
              "author_key_digest": [0] * 48, "report_id": [0] * 32, "report_id_ma": [0] * 32,
              "reported_tcb": tcb, "cpuid_fam_id": 0x19, "cpuid_mod_id": 0x01,
              "cpuid_step": 1, "chip_id": [0x22] * 64, "committed_tcb": tcb,
              "current": {"major": 1, "minor": 55, "build": 21},
              "committed": {"major": 1, "minor": 55, "build": 21}, "launch_tcb": tcb,
              "launch_mit_vector": 0, "current_mit_vector": 0,
              "signature": {"r": [0] * 72, "s": [0] * 72}}
    chain = change.pop("cert_chain", None)
    report.update(change)
    return {"attestation_report": report, "cert_chain": chain}


def policy_denied(args, tee, case, needle, at="resource", status=401):
    c = Rcar(args, tee=tee)
    check(c.auth().status == 200, "auth failed")
    r = c.attest(build_evidence(args, c, tee, case))
    if at == "attest":
        expect_problem(r, status, "PolicyDeny", needle)
        return
    check(r.status == 200, f"attest: HTTP {r.status} {r.body[:300]!r}")
    expect_problem(c.resource(), status, "PolicyDeny", needle)


def attest_refused(args, tee, evidence_fn, needle, **kw):
    c = Rcar(args, tee=tee)
    check(c.auth().status == 200, "auth failed")
    r = c.attest(evidence_fn(c), **kw)
    expect_problem(r, 401, "AttestationError", needle)


CHECKS = {}


def register(name):
    def wrap(fn):
        CHECKS[name] = fn
        return fn
    return wrap


@register("jcs-vectors")
def _(args):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    import broker
    # Trustee's attestation-service test vector (parse_runtimedata_json_binding).
    got = hashlib.sha384(broker.jcs({"b": 1, "a": "test", "c": {"d": "e"}})).hexdigest()
    check(got == "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c"
                 "4597480a186427c813ca941da78870c3", f"Trustee vector: {got}")
    # RFC 8785 section 3.2.3: sorting by UTF-16 code units.
    doc = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With "
           "Dagesh", "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
           "\u00f6": "Latin Small Letter O With Diaeresis"}
    order = [k for k in json.loads(broker.jcs(doc))]
    check(order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"],
          f"RFC 8785 3.2.3 order {order!r}")
    # RFC 8785 section 3.2.2.2: string escaping.
    got = broker.jcs("\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/")
    check(got == '"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'.encode(), f"escaping {got!r}")
    for bad in (1.5, 2**53, "\ud800", float("nan")):
        try:
            broker.jcs(bad)
            raise Failure(f"jcs accepted {bad!r}")
        except ValueError:
            pass


@register("sample-cookie")
def _(args):
    c = full_flow(args)
    claims = token_claims(c.token)
    check(claims["evaluation-report"]["policy"] == "allow", "evaluation is not allow")


@register("sample-bearer")
def _(args):
    full_flow(args, bearer=True)


@register("sample-p521")
def _(args):
    full_flow(args, key="p521")


@register("sample-rsa")
def _(args):
    full_flow(args, key="rsa")


@register("chunked-body")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200, "auth failed")
    r = c.attest(sample_evidence(c.runtime_hash()), chunked=True)
    check(r.status == 200, f"chunked attest: HTTP {r.status} {r.body[:200]!r}")


@register("reattest-same-token")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200, "auth failed")
    check(c.attest(sample_evidence(c.runtime_hash())).status == 200, "attest failed")
    first = c.token
    # Trustee answers an attested session with its token, whatever the evidence now says.
    r = c.attest(sample_evidence(bytes(48)))
    check(r.status == 200 and c.token == first, "a second attest did not return the old token")


@register("version-mismatch")
def _(args):
    for v in ("0.4.1", "0.3.0", "1.0.0", "0.4", "v0.4.0", "0.4.0-rc1", "00.4.0", 4):
        expect_problem(Rcar(args).auth(version=v), 401, "AttestationError")
    check(Rcar(args).auth(version="0.4.0+build.7").status == 200,
          "semver =0.4.0 refused 0.4.0+build.7 (build metadata does not count)")


@register("tee-refused")
def _(args):
    expect_problem(Rcar(args).auth(tee="sgx"), 401, "AttestationError", "not accepted")
    expect_problem(Rcar(args).auth(tee="nonsense"), 401, "AttestationError")


@register("auth-malformed")
def _(args):
    for raw in (b"not json", b'{"version":"0.4.0","tee":"sample"}',
                b'{"version":"0.4.0","tee":"sample","tee":"tdx","extra-params":{}}',
                b'{"version":"0.4.0","tee":"sample","extra-params":5}',
                b'{"version":"0.4.0","tee":"sample","extra-params":{},"x":1}',
                b'{"version":"0.4.0","tee":"sample","extra-params":{'
                b'"supported-hash-algorithms":"sha384"}}', b"\xff\xfe"):
        expect_problem(Rcar(args).auth(raw=raw), 401, "AttestationError")
    r = Rcar(args).auth(raw=b'{"version":"0.4.0","tee":"sample","extra-params":""}')
    check(r.status == 200, "extra-params \"\" (older clients) refused")


@register("challenge-format")
def _(args):
    c = Rcar(args)
    r = c.auth()
    check(r.status == 200, "auth failed")
    check(r.json()["extra-params"] == "", "extra-params is not the empty string")
    check(re.fullmatch(r"[A-Za-z0-9+/]{43}=", c.nonce), f"nonce {c.nonce!r}")
    check(r.header("content-type") == "application/json", "challenge Content-Type")
    check(len(r.headers.get("set-cookie", [])) == 1, "more than one Set-Cookie")


@register("attest-no-cookie")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200, "auth failed")
    expect_problem(c.attest(sample_evidence(c.runtime_hash()), cookie=False), 401,
                   "AttestationError", "cookie")
    c.cookie = "0" * 32
    expect_problem(c.attest(sample_evidence(c.runtime_hash())), 401, "AttestationError")


@register("attest-nonce-mismatch")
def _(args):
    other = base64.b64encode(os.urandom(32)).decode()
    attest_refused(args, "sample", lambda c: sample_evidence(c.runtime_hash(other)), "nonce",
                   nonce=other)


@register("attest-report-data-mismatch")
def _(args):
    attest_refused(args, "sample", lambda c: sample_evidence(hashlib.sha384(b"x").digest()),
                   "REPORT_DATA is different")
    # Trustee 78962cd4 sample/mod.rs: the raw hash, not padded as for the hardware TEEs.
    attest_refused(args, "sample", lambda c: sample_evidence(c.runtime_hash().ljust(64, b"\0")),
                   "REPORT_DATA is different")
    # The hash over a runtime data with another member order or spacing is another hash.
    def spaced(c):
        text = json.dumps({"tee-pubkey": c.jwk, "nonce": c.nonce, "additional-evidence": ""})
        return sample_evidence(hashlib.sha384(text.encode()).digest())
    attest_refused(args, "sample", spaced, "REPORT_DATA is different")
    attest_refused(args, "sample", lambda c: {"svn": "1", "report_data":
                                              b64(c.runtime_hash()) + "="}, "base64")


@register("attest-jwk-strict")
def _(args):
    def with_jwk(change):
        c = Rcar(args)
        check(c.auth().status == 200, "auth failed")
        jwk = dict(c.jwk)
        change(jwk)
        ev = sample_evidence(hashlib.sha384(canonical(
            {"tee-pubkey": jwk, "nonce": c.nonce, "additional-evidence": ""})).digest())
        return c.attest(ev, jwk=jwk)
    expect_problem(with_jwk(lambda j: j.update(use="enc")), 401, "AttestationError",
                   "unexpected member")
    expect_problem(with_jwk(lambda j: j.update(alg="ECDH-ES")), 401, "AttestationError", "alg")
    expect_problem(with_jwk(lambda j: j.update(crv="P-384")), 401, "AttestationError", "crv")
    expect_problem(with_jwk(lambda j: j.update(y=j["x"])), 401, "AttestationError", "curve")
    expect_problem(with_jwk(lambda j: j.update(x=j["x"] + "=")), 401, "AttestationError")


@register("attest-not-json")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200, "auth failed")
    expect_problem(c.attest(None, raw=b"{"), 401, "AttestationError", "deserialize")
    expect_problem(c.attest(None, raw=b'{"runtime-data":{},"tee-evidence":{},"extra":1}'), 401,
                   "AttestationError")


@register("resource-unauthenticated")
def _(args):
    c = Rcar(args)
    expect_problem(c.resource(), 401, "TokenNotFound")
    check(c.auth().status == 200, "auth failed")
    expect_problem(c.resource(), 401, "TokenNotFound")  # authenticated, not attested


@register("resource-missing")
def _(args):
    c = full_flow(args)
    expect_problem(c.resource("default/key/absent"), args.missing_status, "PluginInternalError",
                   "not found")
    expect_problem(c.resource("default/key/.hidden"), 401, "PluginInternalError", "illegal")


@register("routing")
def _(args):
    conn = Connection(args.url, args.cafile)
    expect_problem(conn.request("GET", "/kbs/v0/nosuchplugin"), 404, "PluginNotFound")
    expect_problem(conn.request("GET", "/kbs/v0/auth"), 404, "PluginNotFound")
    expect_problem(conn.request("GET", "/kbs/v0/resource"), 401, "AdminAuth")
    expect_problem(conn.request("POST", "/kbs/v0/resource/default/key/disk", b"x"), 401,
                   "AdminAuth")
    r = conn.request("PUT", "/kbs/v0/auth", b"{}")
    check(r.status == 405, f"PUT: HTTP {r.status}")
    r = conn.request("GET", "/elsewhere")
    check(r.status == 404 and not r.body, f"/elsewhere: HTTP {r.status} {r.body!r}")


@register("body-limit")
def _(args):
    conn = Connection(args.url, args.cafile)
    r = conn.request("POST", "/kbs/v0/auth", b" " * ((2 << 20) + 1))
    expect_problem(r, 413, "PayloadTooLarge")
    conn.close()
    r = Rcar(args).auth(raw=b" " * (2 << 20))  # at the limit: read, then refused as not JSON
    expect_problem(r, 401, "AttestationError")


@register("bearer-forged")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200 and c.attest(sample_evidence(c.runtime_hash())).status == 200,
          "handshake failed")
    h64, c64, s64 = c.token.split(".")
    claims = json.loads(unb64u(c64))
    claims["exp"] += 3600
    forged = h64 + "." + b64u(json.dumps(claims).encode()) + "." + s64
    expect_problem(c.resource(cookie=False, bearer=forged), 401, "TokenVerifierError")
    # A token signed by another key, carrying that key as its jwk.
    key = ec.generate_private_key(ec.SECP256R1())
    n = key.public_key().public_numbers()
    claims["jwk"] = {"alg": "ES256", "crv": "P-256", "kty": "EC",
                     "x": b64u(n.x.to_bytes(32, "big")), "y": b64u(n.y.to_bytes(32, "big"))}
    signing_input = h64 + "." + b64u(json.dumps(claims).encode())
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    r_, s_ = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    other = signing_input + "." + b64u(r_.to_bytes(32, "big") + s_.to_bytes(32, "big"))
    expect_problem(c.resource(cookie=False, bearer=other), 401, "TokenVerifierError")
    expect_problem(c.resource(cookie=False, bearer="not.a.token"), 401, "TokenVerifierError")


for case, needle in (("unknown", "mystery"), ("after-separator", "after the separator"),
                     ("missing", "kernel-cmdline (policy rule 1) is missing"),
                     ("bad-content", "init=/bin/sh"), ("other-domain", "github.com")):
    register(f"sample-policy-{case}")(
        lambda args, case=case, needle=needle: policy_denied(args, "sample", case, needle))
    register(f"tdx-policy-{case}")(
        lambda args, case=case, needle=needle: policy_denied(args, "tdx", case, needle))


@register("sample-policy-good")
def _(args):
    full_flow(args, events="good")


@register("tdx-policy-no-log")
def _(args):
    def no_log(c):
        _log, records = ccel("good")
        return {"quote": b64(tdx_quote(c.runtime_hash(), replay(records, "sha384")))}
    c = Rcar(args, tee="tdx")
    check(c.auth().status == 200, "auth failed")
    check(c.attest(no_log(c)).status == 200, "attest without a log failed")
    expect_problem(c.resource(), 401, "PolicyDeny", "no event log")


@register("deny-at-attest")
def _(args):
    policy_denied(args, "sample", "unknown", "mystery", at="attest", status=403)


@register("tdx-good")
def _(args):
    c = full_flow(args, tee="tdx")
    claims = token_claims(c.token)
    events = claims["evaluation-report"]["events"]
    check([e["operation"] for e in events] == ["kernel-cmdline", "config", "separator"],
          f"token events {events}")
    check(claims["tcb-status"]["quote"]["body"]["mr_td"] == "11" * 48, "token MRTD")
    check(claims["tcb-status"]["init_data"] == "00" * 48, "token init_data (MRCONFIGID)")


@register("tdx-p521-two-banks")
def _(args):
    c = Rcar(args, key="p521", tee="tdx")
    check(c.auth().status == 200, "auth failed")
    check(c.attest(build_evidence(args, c, "tdx", "good", algs=("sha256", "sha384"))).status
          == 200, "attest with a SHA-256 + SHA-384 CCEL failed")
    c.decrypt(c.resource())


def tdx_refused(args, needle, quote_change=None, **kw):
    def evidence(c):
        log, records = ccel("good", **kw)
        rtmrs = replay(records, "sha384")
        rhash = c.runtime_hash()
        if quote_change:
            rhash, rtmrs = quote_change(rhash, rtmrs)
        return {"cc_eventlog": b64(log), "quote": b64(tdx_quote(rhash, rtmrs))}
    attest_refused(args, "tdx", evidence, needle)


@register("tdx-lying-digest")
def _(args):
    tdx_refused(args, "not the hash of the AAEL", lie=True)


@register("tdx-rtmr-mismatch")
def _(args):
    tdx_refused(args, "RTMR2", quote_change=lambda h, r: (h, r[:2] + [bytes(48)] + r[3:]))


@register("tdx-reportdata-mismatch")
def _(args):
    tdx_refused(args, "REPORT_DATA is different", quote_change=lambda h, r: (bytes(48), r))


@register("tdx-log-malformed")
def _(args):
    tdx_refused(args, "SHA-1", sha1=True)
    tdx_refused(args, "left over", extra=b"\x01\x02\x03")
    tdx_refused(args, "EV_NO_ACTION", no_action=True)


@register("tdx-log-terminators")
def _(args):
    for tail in (b"\xff" * 8 + b"\xff" * 100, bytes(8)):
        c = Rcar(args, tee="tdx")
        check(c.auth().status == 200, "auth failed")
        check(c.attest(build_evidence(args, c, "tdx", "good", extra=tail)).status == 200,
              f"a CCEL ending in {tail[:8].hex()} was refused")


@register("tdx-quote-malformed")
def _(args):
    def truncated(c):
        log, records = ccel("good")
        q = tdx_quote(c.runtime_hash(), replay(records, "sha384"))
        return {"cc_eventlog": b64(log), "quote": b64(q[:-1])}
    attest_refused(args, "tdx", truncated, "signature data length")

    def sgx(c):
        log, records = ccel("good")
        q = bytearray(tdx_quote(c.runtime_hash(), replay(records, "sha384")))
        q[4] = 0
        return {"cc_eventlog": b64(log), "quote": b64(bytes(q))}
    attest_refused(args, "tdx", sgx, "tee_type")

    # Trustee 78962cd4 intel_dcap/quote.rs: a bare filler is no ECDSA signature data.
    def placeholder(c):
        log, records = ccel("good")
        q = tdx_quote(c.runtime_hash(), replay(records, "sha384"), placeholder=True)
        return {"cc_eventlog": b64(log), "quote": b64(q)}
    attest_refused(args, "tdx", placeholder, "signature data")

    def forged(c):
        log, records = ccel("good")
        q = bytearray(tdx_quote(c.runtime_hash(), replay(records, "sha384")))
        q[48 + 136] ^= 1  # MRTD, after the attestation key signed it
        return {"cc_eventlog": b64(log), "quote": b64(bytes(q))}
    attest_refused(args, "tdx", forged, "quote signature")


@register("tdx-init-data")
def _(args):
    toml = 'version = "0.1.0"\nalgorithm = "sha384"\n[data]\n"policy.rego" = "x"\n'
    digest = hashlib.sha384(toml.encode()).digest()
    for good in (True, False):
        c = Rcar(args, tee="tdx")
        check(c.auth().status == 200, "auth failed")
        log, records = ccel("good")
        q = tdx_quote(c.runtime_hash(), replay(records, "sha384"),
                      mrconfigid=digest if good else bytes(48))
        r = c.attest({"cc_eventlog": b64(log), "quote": b64(q)},
                     init_data={"format": "toml", "body": toml})
        if good:
            check(r.status == 200, f"init-data bound to MRCONFIGID refused: {r.body[:200]!r}")
        else:
            expect_problem(r, 401, "AttestationError", "MRCONFIGID")


@register("tpm-a-good")
def _(args):
    full_flow(args, tee="tpm")


@register("tpm-b-good")
def _(args):
    c = Rcar(args, tee="tpm")
    check(c.auth().status == 200, "auth failed")
    r = c.attest(tpm_evidence(args, c.runtime_hash(), "B"))
    check(r.status == 200, f"attest: HTTP {r.status} {r.body[:300]!r}")
    c.decrypt(c.resource())


@register("tpm-both-layouts")
def _(args):
    c = Rcar(args, tee="tpm")
    check(c.auth().status == 200, "auth failed")
    r = c.attest(tpm_evidence(args, c.runtime_hash(), "AB"))
    check(r.status == 200, f"attest: HTTP {r.status} {r.body[:300]!r}")
    check(token_claims(c.token)["tcb-status"]["layouts"] == ["ak_public", "ak_pubkey"],
          "the token does not say both layouts were verified")
    c.decrypt(c.resource())

    def two_keys(c):
        ev = tpm_evidence(args, c.runtime_hash(), "AB")
        other = tpm_evidence(args, c.runtime_hash(), "A", ak=stranger)
        ev.update(ak_pubkey=other["ak_pubkey"], quote=other["quote"])
        return ev
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attest_refused(args, "tpm", two_keys, "different keys")


@register("tpm-refused")
def _(args):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for layout in ("A", "B"):
        attest_refused(args, "tpm", lambda c: tpm_evidence(args, c.runtime_hash(), layout,
                                                           ak=stranger), "not trusted")
        attest_refused(args, "tpm", lambda c: tpm_evidence(args, c.runtime_hash(), layout,
                                                           pcr_lie=True), "PCR 12")
        attest_refused(args, "tpm", lambda c: tpm_evidence(args, c.runtime_hash(), layout,
                                                           extra_lie=True), "extraData")

    def bad_sig(c):
        ev = tpm_evidence(args, c.runtime_hash(), "A")
        body = bytearray(base64.b64decode(ev["quote"]["SHA256"]["attest_body"]))
        body[-1] ^= 1
        ev["quote"]["SHA256"]["attest_body"] = b64(bytes(body))
        return ev
    attest_refused(args, "tpm", bad_sig, "signature")


@register("tpm-report-data-size")
def _(args):
    """Trustee 78962cd4 deps/verifier/src/tpm/mod.rs verify_nonce(): extraData == the hash
    resized to 32; openanolis 531bcb0b check_report_data(): the first 32 bytes compared."""
    def good(layout, extra_of):
        c = Rcar(args, tee="tpm")
        check(c.auth().status == 200, "auth failed")
        rhash = c.runtime_hash()
        r = c.attest(tpm_evidence(args, rhash, layout, extra=extra_of(rhash)))
        check(r.status == 200, f"layout {layout}: attest: HTTP {r.status} {r.body[:300]!r}")
        return r
    good("B", lambda h: h[:32])
    good("AB", lambda h: h[:32])
    good("A", lambda h: h[:32])
    # openanolis ignores extraData after its first 32 bytes.
    good("A", lambda h: h.ljust(64, b"\0"))
    for layout in ("B", "AB"):
        # The rule before Trustee 7c390d7a: the hash zero-padded to 64 bytes. No more.
        attest_refused(args, "tpm", lambda c: tpm_evidence(
            args, c.runtime_hash(), layout, extra=c.runtime_hash().ljust(64, b"\0")),
            "TPM quote nonce doesn't match expected report_data")
        attest_refused(args, "tpm", lambda c: tpm_evidence(
            args, c.runtime_hash(), layout, extra=c.runtime_hash()), "extraData is 48 bytes")
        attest_refused(args, "tpm", lambda c: tpm_evidence(
            args, c.runtime_hash(), layout, extra=c.runtime_hash()[16:48]), "nonce")
    attest_refused(args, "tpm", lambda c: tpm_evidence(
        args, c.runtime_hash(), "A", extra=c.runtime_hash()[:31]), "first 32 bytes")


@register("tpm-policy-unknown")
def _(args):
    policy_denied(args, "tpm", "unknown", "mystery")


@register("snp-binding")
def _(args):
    c = full_flow(args, tee="snp")
    claims = token_claims(c.token)["tcb-status"]
    check(claims["measurement"] == "11" * 48 and claims["policy_smt_allowed"] is True
          and claims["platform_smt_enabled"] is True and claims["reported_tcb_snp"] == 22,
          f"token claims {claims}")
    # Trustee 78962cd4 deps/verifier/src/snp/mod.rs, each refusal.
    for needle, change in (("REPORT_DATA", {"report_data": [0] * 64}),
                           ("version 2", {"version": 2}),
                           ("version 6", {"version": 6}),
                           ("VMPL", {"vmpl": 1}),
                           ("family not supported", {"cpuid_fam_id": 0x17}),
                           ("model not supported", {"cpuid_mod_id": 0x20}),
                           ("missing CPU family", {"cpuid_fam_id": None}),
                           ("VCEK/VLEK", {"cert_chain": []}),
                           ("VCEK/VLEK", {"cert_chain": [{"cert_type": "ARK", "data": [1]}]})):
        attest_refused(args, "snp", lambda c: snp_evidence(c.runtime_hash(), **change), needle)
    # With init-data, HOST_DATA must be its digest, padded or cut to 32 bytes.
    toml = 'version = "0.1.0"\nalgorithm = "sha256"\n[data]\n"a" = "b"\n'
    digest = hashlib.sha256(toml.encode()).digest()
    for good in (True, False):
        c = Rcar(args, tee="snp")
        check(c.auth().status == 200, "auth failed")
        r = c.attest(snp_evidence(c.runtime_hash(), host_data=list(digest if good else bytes(32))),
                     init_data={"format": "toml", "body": toml})
        if good:
            check(r.status == 200, f"init-data bound to HOST_DATA refused: {r.body[:200]!r}")
        else:
            expect_problem(r, 401, "AttestationError", "Host Data Mismatch")


@register("cca-binding")
def _(args):
    full_flow(args, tee="cca")
    attest_refused(args, "cca", lambda c: {"token": cca_token(bytes(64))}, "challenge")
    padded = lambda c: c.runtime_hash().ljust(64, b"\0")  # noqa: E731
    attest_refused(args, "cca", lambda c: {"token": cca_token(padded(c), bare_realm=True)},
                   "COSE_Sign1")
    attest_refused(args, "cca", lambda c: {"token": cca_token(padded(c), platform=False)},
                   "platform (44234)")
    # Trustee 78962cd4 cca/mod.rs: the init-data digest equals the 64-byte personalization
    # value exactly: a SHA-512 digest binds, a SHA-384 one padded to 64 does not.
    for alg, good in (("sha512", True), ("sha384", False)):
        toml = f'version = "0.1.0"\nalgorithm = "{alg}"\n[data]\n"a" = "b"\n'
        digest = hashlib.new(alg, toml.encode()).digest()
        c = Rcar(args, tee="cca")
        check(c.auth().status == 200, "auth failed")
        r = c.attest({"token": cca_token(padded(c), perso=digest.ljust(64, b"\0"))},
                     init_data={"format": "toml", "body": toml})
        if good:
            check(r.status == 200, f"{alg} init-data refused: {r.body[:200]!r}")
        else:
            expect_problem(r, 401, "AttestationError", "init data hash is different")


@register("hash-negotiated")
def _(args):
    c = Rcar(args)
    r = c.auth(extra={"supported-hash-algorithms": ["sha256", "sha384", "sha512"]})
    check(r.status == 200 and c.hash_name == "sha512",
          f"selected {r.json().get('extra-params')!r}, not sha512")
    check(c.attest(sample_evidence(c.runtime_hash())).status == 200, "sha512 attest failed")
    check(len(c.runtime_hash()) == 64, "not a SHA-512 hash")
    c.decrypt(c.resource())


@register("hash-not-listed")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200 and c.hash_name == "sha384", "without a list: not sha384")
    check(c.attest(sample_evidence(c.runtime_hash())).status == 200, "sha384 attest failed")
    expect_problem(Rcar(args).auth(extra={"supported-hash-algorithms": ["sha256"]}), 401,
                   "AttestationError", "sha512")


@register("session-expiry")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200, "auth failed")
    time.sleep(2.5)
    expect_problem(c.attest(sample_evidence(c.runtime_hash())), 401, "AttestationError",
                   "expired")
    c = Rcar(args)
    check(c.auth().status == 200 and c.attest(sample_evidence(c.runtime_hash())).status == 200,
          "handshake failed")
    time.sleep(2.5)
    expect_problem(c.resource(cookie=False, bearer=c.token), 401, "TokenVerifierError",
                   "expired")


@register("plain-http")
def _(args):
    full_flow(args)


# -- faults: the first request meets the fault, the next one works


@register("fault-down")
def _(args):
    c = Rcar(args)
    try:
        r = c.auth()
        raise Failure(f"down: got HTTP {r.status}")
    except (http.client.RemoteDisconnected, ConnectionError, ssl.SSLError):
        pass
    full_flow(args)


@register("fault-slow")
def _(args):
    c = Rcar(args, conn=Connection(args.url, args.cafile, timeout=1.0))
    start = time.monotonic()
    try:
        c.auth()
        raise Failure("slow: the reply came within a 1 s timeout")
    except (TimeoutError, socket.timeout):
        pass
    check(time.monotonic() - start < 5, "the timeout did not bound the wait")
    full_flow(args)  # served on another connection while the slow one sleeps


@register("fault-401")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200, "auth failed")
    expect_problem(c.attest(sample_evidence(c.runtime_hash())), 401, "AttestationError",
                   "injected")
    full_flow(args)


@register("fault-5xx")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200 and c.attest(sample_evidence(c.runtime_hash())).status == 200,
          "handshake failed")
    expect_problem(c.resource(), 500, "PluginInternalError", "injected")
    c.decrypt(c.resource())


@register("fault-malformed-json")
def _(args):
    r = Connection(args.url, args.cafile).request(
        "POST", "/kbs/v0/auth", json.dumps({"version": "0.4.0", "tee": "sample",
                                            "extra-params": {}}).encode())
    check(r.status == 200, f"HTTP {r.status}")
    try:
        json.loads(r.body)
        raise Failure("the body is JSON")
    except ValueError:
        pass
    full_flow(args)


@register("fault-wrong-nonce")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200, "auth failed")
    check(len(base64.b64decode(c.nonce)) != 32, "the nonce is 32 bytes")
    full_flow(args)


@register("fault-expired-session")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200 and c.attest(sample_evidence(c.runtime_hash())).status == 200,
          "handshake failed")
    expect_problem(c.resource(), 401, "TokenNotFound")
    full_flow(args)  # a new handshake


@register("fault-bad-jwe-tag")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200 and c.attest(sample_evidence(c.runtime_hash())).status == 200,
          "handshake failed")
    r = c.resource()
    try:
        decrypt_jwe(r.body, c.private, "p256")
        raise Failure("a JWE with a flipped tag bit decrypted")
    except InvalidTag:
        pass
    if jwcrypto_jwe is not None:
        try:
            decrypt_jwcrypto(r.body, c.private)
            raise Failure("jwcrypto decrypted a JWE with a flipped tag bit")
        except jwcrypto_jwe.InvalidJWEData:
            pass
    c.decrypt(c.resource())


@register("fault-unsupported-alg")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200 and c.attest(sample_evidence(c.runtime_hash())).status == 200,
          "handshake failed")
    r = c.resource()
    check(r.status == 200, f"HTTP {r.status}")
    header = json.loads(unb64u(json.loads(r.body)["protected"]))
    check(header == {"alg": "A128KW", "enc": "A128CBC-HS256"}, f"header {header}")
    c.decrypt(c.resource())


@register("fault-reset")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200 and c.attest(sample_evidence(c.runtime_hash())).status == 200,
          "handshake failed")
    try:
        r = c.resource()
        raise Failure(f"reset: got a whole HTTP {r.status} reply")
    except http.client.RemoteDisconnected:
        raise Failure("reset: no status line came before the connection ended") from None
    except (ConnectionResetError, http.client.IncompleteRead):
        pass  # the status line and part of the body, then the connection broke
    c.decrypt(c.resource())


@register("fault-reset-tcp")
def _(args):
    """On plain TCP the reset is visible as such: ECONNRESET, not an end of file (over TLS,
    Python's ssl module reports an RST after the data as a ragged end of file)."""
    u = urllib.parse.urlsplit(args.url)
    check(u.scheme == "http", "this check needs a --plain broker")
    body = json.dumps({"version": "0.4.0", "tee": "sample", "extra-params": {}}).encode()
    with socket.create_connection((u.hostname, u.port), timeout=TIMEOUT) as s:
        s.sendall(b"POST /kbs/v0/auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                  b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        got = b""
        try:
            for _ in range(100):
                chunk = s.recv(65536)
                if not chunk:
                    raise Failure(f"the connection ended with a FIN after {len(got)} bytes")
                got += chunk
            raise Failure("no end of the connection")
        except ConnectionResetError:
            pass
    check(got.startswith(b"HTTP/1.1 200 "), f"before the reset: {got[:40]!r}")
    full_flow(args)


@register("fault-oversize")
def _(args):
    c = Rcar(args)
    check(c.auth().status == 200 and c.attest(sample_evidence(c.runtime_hash())).status == 200,
          "handshake failed")
    try:
        c.resource()
        raise Failure("oversize: the reply fitted")
    except Failure as e:
        check("oversize" in str(e), str(e))
    c.decrypt(c.resource())


@register("fault-sequence")
def _(args):
    c = Rcar(args)
    try:
        c.auth()
        raise Failure("the first auth was answered")
    except (http.client.RemoteDisconnected, ConnectionError, ssl.SSLError):
        pass
    expect_problem(Rcar(args).auth(), 500, "AttestationError")
    full_flow(args)


def make_ak(workdir):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with open(os.path.join(workdir, "ak.key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(os.path.join(workdir, "ak.pub"), "wb") as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo))


def main(argv):
    if len(argv) == 2 and argv[0] == "make-ak":
        make_ak(argv[1])
        return 0
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--cafile")
    p.add_argument("--workdir", default=".")
    p.add_argument("--plaintext", help="the file the broker serves as default/key/disk")
    p.add_argument("--session-lifetime", type=int, default=300)
    p.add_argument("--missing-status", type=int, default=401)
    p.add_argument("checks", nargs="+", choices=sorted(CHECKS))
    args = p.parse_args(argv)
    for name in args.checks:
        try:
            CHECKS[name](args)
        except Failure as e:
            print(f"{name}: {e}")
            return 1
        except Exception as e:  # an unexpected exception is a failure with its story
            print(f"{name}: {type(e).__name__}: {e}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
