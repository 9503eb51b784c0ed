#!/usr/bin/python3
"""TAP: the test broker's evidence rules, one TEE at a time, in both directions: evidence that
Trustee's current verifiers accept is accepted, and each thing they refuse is refused, with
the Trustee source the rule was read at beside it (confidential-containers/trustee 78962cd4,
openanolis/trustee 531bcb0b). The broker's verify_* functions are called directly (no
network); the evidence comes from client.py's builders and tests/emulators/dcap_quote.py,
which share no code with the broker's checks.

Usage: rules.py   (exits 0 with a TAP stream; 77-style SKIP without python3-cryptography)
"""
import base64
import hashlib
import importlib.util
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


try:
    import cryptography  # noqa: F401
except ImportError:
    print("1..0 # SKIP Debian's python3-cryptography is not installed")
    sys.exit(0)

broker = load("broker", os.path.join(here, "broker.py"))
client = load("client", os.path.join(here, "client.py"))
dcap = client.dcap_quote
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402

n = 0
failed = 0


def ok(cond, what, why=""):
    global n, failed
    n += 1
    if cond:
        print(f"ok {n} - {what}")
    else:
        failed += 1
        print(f"not ok {n} - {what}")
        for line in str(why).splitlines():
            print(f"# {line}")


def accepts(what, fn, *args):
    try:
        verified = fn(*args)
    except (broker.EvidenceError, ValueError) as e:
        ok(False, what, f"refused: {e}")
        return None
    ok(True, what)
    return verified


def refuses(what, needle, fn, *args):
    try:
        fn(*args)
    except (broker.EvidenceError, ValueError) as e:
        ok(needle in str(e), what, f"refused, but without {needle!r}: {e}")
        return
    ok(False, what, "accepted")


RHASH = hashlib.sha384(b"mrboot rules runtime data").digest()  # what SHA-384 of JCS gives


# ---- tpm ----------------------------------------------------------------------------------
ak = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ak_der = ak.public_key().public_bytes(serialization.Encoding.DER,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
ak_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"mrboot-rules-ak-{os.getpid()}.pem")
with open(ak_file, "wb") as f:
    f.write(ak.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo))
try:
    trust = broker.TpmTrust([ak_file], False)
finally:
    os.unlink(ak_file)


class Args:
    workdir = None


def tpm(layout, extra, **kw):
    return client.tpm_evidence(Args, RHASH, layout, ak=kw.pop("ak", ak), extra=extra, **kw)


def verify_tpm(ev, init=None, trust_=trust):
    return broker.verify_tpm(ev, RHASH, init, trust_, "text")


# Trustee 78962cd4 deps/verifier/src/tpm/mod.rs verify_nonce(): resize(32) and ==.
v = accepts("tpm ak_public: extraData = the hash's first 32 bytes is accepted",
            verify_tpm, tpm("B", RHASH[:32]))
if v:
    c = v.claims
    ok(c["report_data"] == RHASH[:32].hex() and c["ak_public"] == base64.b64encode(ak_der).decode()
       and c["init_data"] == c["pcr08"] and len([k for k in c if k.startswith("pcr")]) == 24,
       "tpm ak_public: claims report_data, ak_public, init_data (PCR 8), pcr00..pcr23", c)
    ok(c["ak_trust"] == "trusted_aks", "tpm ak_public: the AK is trusted as a trusted_aks "
       "string (Trustee 2f87a432)", c["ak_trust"])
refuses("tpm ak_public: the hash zero-padded to 64 bytes (the rule before 7c390d7a) is refused",
        "TPM quote nonce doesn't match expected report_data",
        verify_tpm, tpm("B", RHASH.ljust(64, b"\0")))
refuses("tpm ak_public: the whole 48-byte hash is refused", "extraData is 48 bytes",
        verify_tpm, tpm("B", RHASH))
refuses("tpm ak_public: 32 other bytes are refused", "nonce", verify_tpm, tpm("B", RHASH[16:]))
accepts("tpm both layouts over one quote with 32 bytes (as the agent sends) are accepted",
        verify_tpm, tpm("AB", RHASH[:32]))
refuses("tpm both layouts over one quote with 64 bytes are refused (by the ak_public layout)",
        "nonce", verify_tpm, tpm("AB", RHASH.ljust(64, b"\0")))
# openanolis 531bcb0b deps/verifier/src/tpm/mod.rs check_report_data(): first 32 bytes.
accepts("tpm ak_pubkey (openanolis): 32 bytes are accepted", verify_tpm, tpm("A", RHASH[:32]))
accepts("tpm ak_pubkey (openanolis): 64 bytes whose first 32 are the hash's are accepted",
        verify_tpm, tpm("A", RHASH.ljust(64, b"\0")))
refuses("tpm ak_pubkey (openanolis): a wrong first 32 bytes is refused", "first 32 bytes",
        verify_tpm, tpm("A", bytes(32) + RHASH[:32]))
refuses("tpm ak_pubkey (openanolis): 31 bytes are refused", "first 32 bytes",
        verify_tpm, tpm("A", RHASH[:31]))
stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
refuses("tpm: an AK that is not in trusted_aks is refused", "not trusted",
        verify_tpm, tpm("B", RHASH[:32], ak=stranger))
# Trustee 78962cd4 tpm/mod.rs verify_init_data(): PCR 8 = SHA-256(32 zero bytes || digest).
init = hashlib.sha256(b"init-data toml").digest()
ev = tpm("B", RHASH[:32])
refuses("tpm: init-data whose digest is not extended into PCR 8 is refused",
        "PCR[8] doesn't match", verify_tpm, ev, init)
refuses("tpm: a SHA-384 init-data digest is refused (Trustee copies 32 bytes)", "32 bytes",
        verify_tpm, ev, hashlib.sha384(b"x").digest())


def tpm_pcr8(init_digest):
    """ak_public evidence whose PCR 8 holds the init-data digest extended once."""
    regs = [bytes(32)] * 24
    regs[8] = hashlib.sha256(bytes(32) + init_digest).digest()
    message = client.tpms_attest(RHASH[:32], regs, list(range(24)))
    sig = ak.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return {"ak_public": base64.b64encode(ak_der).decode(),
            "tpm_quote": {"signature": base64.b64encode(
                struct.pack(">HHH", 0x0014, 0x000B, len(sig)) + sig).decode(),
                "message": base64.b64encode(message).decode(),
                "pcrs": [r.hex() for r in regs]}}


accepts("tpm: init-data extended into PCR 8 is accepted", verify_tpm, tpm_pcr8(init), init)
bad_sig = tpm_pcr8(init)
tpmt = bytearray(base64.b64decode(bad_sig["tpm_quote"]["signature"]))
tpmt[0:2] = b"\x00\x16"  # TPM_ALG_RSAPSS
bad_sig["tpm_quote"]["signature"] = base64.b64encode(bytes(tpmt)).decode()
refuses("tpm: a TPMT_SIGNATURE other than RSASSA is refused", "expected RSA-SSA",
        verify_tpm, bad_sig)
short = tpm_pcr8(init)
short["tpm_quote"]["pcrs"][3] = short["tpm_quote"]["pcrs"][3][:62]
refuses("tpm: a PCR value that is not 64 hex characters is refused", "64 hex",
        verify_tpm, short)

# ---- tdx ----------------------------------------------------------------------------------
chain = dcap.PckChain()


def td_body(report_data=None, mrconfigid=bytes(48)):
    body = bytearray(584)
    body[136:184] = b"\x11" * 48
    body[184:232] = mrconfigid
    body[520:584] = RHASH.ljust(64, b"\0") if report_data is None else report_data
    return bytes(body)


def tdx(quote):
    return {"quote": base64.b64encode(quote).decode()}


def verify_tdx(ev, init=None):
    return broker.verify_tdx(ev, RHASH, init)


def resign(quote, sig_data):
    return quote[:632] + struct.pack("<I", len(sig_data)) + sig_data


good = dcap.quote_v4(td_body(), chain)
v = accepts("tdx: a v4 quote with DCAP's signature data framing is accepted", verify_tdx,
            tdx(good))
if v:
    ok(v.claims["quote"]["body"]["report_data"] == RHASH.ljust(64, b"\0").hex()
       and v.claims["report_data"] == RHASH.ljust(64, b"\0").hex()
       and v.claims["init_data"] == "00" * 48 and v.claims["quote"]["header"]["version"] == "0400"
       and v.claims["td_attributes"]["debug"] is False,
       "tdx: claims in Trustee's claims.rs shape", v.claims)
sig_data = good[636:]
refuses("tdx: REPORTDATA = the hash not padded (48 bytes then junk) is refused",
        "REPORT_DATA is different", verify_tdx,
        tdx(dcap.quote_v4(td_body(RHASH + b"\x01" * 16), chain)))
refuses("tdx: a bare 64-byte placeholder signature is refused", "signature data",
        verify_tdx, tdx(resign(good, b"\x5a" * 64)))
refuses("tdx: a byte after the PCK chain is refused", "after the PCK", verify_tdx,
        tdx(resign(good, sig_data[:130] + struct.pack("<I", len(sig_data) - 134 + 1)
                   + sig_data[134:] + b"\0")))
refuses("tdx: a QE report certification data size other than what follows is refused",
        "says", verify_tdx, tdx(resign(good, sig_data[:130] + struct.pack("<I", 1)
                                       + sig_data[134:])))
refuses("tdx: certification data type 7 instead of 6 is refused", "expected cert data type 6",
        verify_tdx, tdx(resign(good, sig_data[:128] + b"\x07\x00" + sig_data[130:])))
auth_len = struct.unpack_from("<H", sig_data, 134 + 384 + 64)[0]
chain_type_at = 134 + 384 + 64 + 2 + auth_len
refuses("tdx: PCK chain type 4 instead of 5 is refused", "expected cert chain type 5",
        verify_tdx, tdx(resign(good, sig_data[:chain_type_at] + b"\x04\x00"
                               + sig_data[chain_type_at + 2:])))
broken = bytearray(sig_data)
broken[134 + 384 + 64 + 2] ^= 1  # QE auth data: the QE report no longer binds the key
refuses("tdx: a QE report that does not bind the attestation key is refused", "QE report",
        verify_tdx, tdx(resign(good, bytes(broken))))
forged = bytearray(good)
forged[48 + 472] ^= 1  # RTMR3 after signing
refuses("tdx: a body changed after signing is refused", "quote signature", verify_tdx,
        tdx(bytes(forged)))
akt = bytearray(good)
akt[2] = 3
refuses("tdx: att_key_type 3 is refused", "att_key_type", verify_tdx, tdx(bytes(akt)))
sgx = bytearray(good)
sgx[0:2] = b"\x03\x00"
sgx[4:8] = bytes(4)
refuses("tdx: an SGX v3 quote is refused", "got SGX quote (v3)", verify_tdx, tdx(bytes(sgx)))


class TwoCerts(dcap.PckChain):
    def pem(self):
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (self.leaf, self.ca))


refuses("tdx: a PCK chain of two certificates is refused", "exactly 3 certificates",
        verify_tdx, tdx(dcap.quote_v4(td_body(), TwoCerts())))
refuses("tdx: an intermediate CA of another name is refused", "intermediate CA CN",
        verify_tdx, tdx(dcap.quote_v4(td_body(), dcap.PckChain(ca_cn="Some Other CA"))))
refuses("tdx: a Platform CA leaf without platform_instance is refused", "Platform PCK",
        verify_tdx, tdx(dcap.quote_v4(td_body(), dcap.PckChain(
            ca_cn=dcap.PCK_PLATFORM_CA_CN))))
toml_digest = hashlib.sha384(b"init").digest()
accepts("tdx: MRCONFIGID = the init-data digest is accepted", verify_tdx,
        tdx(dcap.quote_v4(td_body(mrconfigid=toml_digest), chain)), toml_digest)
refuses("tdx: MRCONFIGID other than the init-data digest is refused", "MRCONFIGID",
        verify_tdx, tdx(good), toml_digest)

# ---- snp ----------------------------------------------------------------------------------


def verify_snp(ev, init=None):
    return broker.verify_snp(ev, RHASH, init)


v = accepts("snp: a version 5 Milan report at VMPL 0, REPORT_DATA the padded hash, is accepted",
            verify_snp, client.snp_evidence(RHASH))
if v:
    ok(v.claims["report_data"] == RHASH.ljust(64, b"\0").hex() and "chip_id" in v.claims
       and v.claims["policy_abi_major"] == 0 and v.claims["init_data"] == "00" * 32,
       "snp: claims as Trustee's parse_tee_evidence()", v.claims)
for what, needle, change in (
        ("REPORT_DATA other than the padded hash is refused", "Report Data Mismatch",
         {"report_data": list(RHASH[:32]) * 2}),
        ("version 2 is refused (REPORT_VERSION_MIN 3)", "version 2", {"version": 2}),
        ("VMPL 1 is refused", "VMPL Check Failed", {"vmpl": 1}),
        ("an unknown CPU family is refused", "family not supported", {"cpuid_fam_id": 0x17}),
        ("an empty cert_chain is refused", "VCEK/VLEK", {"cert_chain": []})):
    refuses(f"snp: {what}", needle, verify_snp, client.snp_evidence(RHASH, **change))
accepts("snp: a cert_chain with a VCEK entry passes the shape check", verify_snp,
        client.snp_evidence(RHASH, cert_chain=[{"cert_type": "VCEK", "data": [0x30]}]))
init = hashlib.sha256(b"init").digest()
accepts("snp: HOST_DATA = the init-data digest is accepted", verify_snp,
        client.snp_evidence(RHASH, host_data=list(init)), init)
refuses("snp: HOST_DATA other than the init-data digest is refused", "Host Data Mismatch",
        verify_snp, client.snp_evidence(RHASH), init)

# ---- cca ----------------------------------------------------------------------------------


def verify_cca(ev, init=None):
    return broker.verify_cca(ev, RHASH, init)


v = accepts("cca: a token whose realm challenge is the padded hash is accepted", verify_cca,
            {"token": client.cca_token(RHASH.ljust(64, b"\0"))})
if v:
    ok(v.claims["report_data"] == RHASH.ljust(64, b"\0").hex()
       and v.claims["realm"]["cca-realm-challenge"]
       == base64.b64encode(RHASH.ljust(64, b"\0")).decode(),
       "cca: claims as Trustee's EvidenceClaimsSet", v.claims)
refuses("cca: a 48-byte (unpadded) challenge is refused", "challenge", verify_cca,
        {"token": client.cca_token(RHASH)})
refuses("cca: a realm token that is not a COSE_Sign1 is refused", "COSE_Sign1", verify_cca,
        {"token": client.cca_token(RHASH.ljust(64, b"\0"), bare_realm=True)})
sha512 = hashlib.sha512(b"init").digest()
accepts("cca: a SHA-512 init-data digest equal to the personalization value is accepted",
        verify_cca, {"token": client.cca_token(RHASH.ljust(64, b"\0"), perso=sha512)}, sha512)
sha384 = hashlib.sha384(b"init").digest()
refuses("cca: a SHA-384 init-data digest is refused even zero-padded in the value",
        "init data hash", verify_cca,
        {"token": client.cca_token(RHASH.ljust(64, b"\0"), perso=sha384.ljust(64, b"\0"))},
        sha384)

# ---- sample -------------------------------------------------------------------------------


def verify_sample(ev, init=None):
    return broker.verify_sample(ev, RHASH, init)


v = accepts("sample: report_data = the raw 48-byte hash is accepted", verify_sample,
            client.sample_evidence(RHASH), init)
if v:
    ok(v.claims["report_data"] == base64.b64encode(RHASH).decode()
       and v.claims["init_data"] == base64.b64encode(init).decode()
       and v.claims["launch_digest"] == "abcde",
       "sample: claims as Trustee's (report_data as sent, init_data base64, not checked)",
       v.claims)
refuses("sample: the hash zero-padded to 64 bytes is refused", "REPORT_DATA is different",
        verify_sample, client.sample_evidence(RHASH.ljust(64, b"\0")))

print(f"1..{n}")
sys.exit(1 if failed else 0)
