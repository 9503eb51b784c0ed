"""Intel DCAP ECDSA TD quotes (version 4) as the tests make them: a real header, TD report body
and signature data, framed as DCAP frames it, signed by a self-made chain (not Intel's).

Layout (Intel confidential-computing.tee.dcap QuoteGeneration/quote_wrapper/common/inc/
sgx_quote_4.h; Trustee 78962cd4 deps/verifier/src/intel_dcap/quote.rs parses the same):

  header (48)          version u16 = 4, att_key_type u16 = 2 (ECDSA-256 with P-256),
                       tee_type u32 = 0x81 (TDX), reserved u32, qe_vendor_id (16), user_data (20)
  TD report body (584) REPORTDATA last, at body offset 520
  u32 signature data length, then the signature data (sgx_ecdsa_sig_data_v4_t):
    signature (64)          ECDSA P-256 r || s over header || body, by the attestation key
    attestation key (64)    its x || y
    certification data      u16 type = 6 (QE report certification data), u32 size, then:
      QE report (384)         an SGX report body (sgx_report_body_t); its REPORTDATA (offset
                              320) is SHA-256(attestation key || QE auth data) || 32 zero bytes
      QE report signature (64) ECDSA P-256 r || s over the QE report, by the PCK key
      QE auth data            u16 size, then the data
      certification data      u16 type = 5 (PCK certificate chain), u32 size, then the PEM
                              chain leaf (PCK), intermediate (PCK Processor CA), root

The PCK leaf carries the SGX extensions (OID 1.2.840.113741.1.13.1) in the order Intel's "SGX
PCK Certificate and Certificate Revocation List Profile" gives and Trustee's
intel_dcap/pck.rs reads (PPID, TCB, PCE-ID, FMSPC, SGX type), so a verifier can walk them. The
names say Intel where a verifier matches on them (the intermediate's CN); the organisation
says it is a test chain. Nothing here is signed by Intel: no verifier with Intel's root
certificate accepts these quotes.

Python's standard library and python3-cryptography.
"""
import datetime
import hashlib
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

HEADER_SIZE = 48
TD_REPORT_BODY_SIZE = 584
QE_REPORT_SIZE = 384
ATT_KEY_TYPE_ECDSA_P256 = 2
TEE_TYPE_TDX = 0x81
CERT_TYPE_PCK_CHAIN = 5
CERT_TYPE_QE_REPORT = 6
# Intel's QE vendor ID (sgx_quote_4.h users, e.g. the QVL, compare it).
INTEL_QE_VENDOR_ID = bytes.fromhex("939a7233f79c4ca9940a0db3957f0607")
SGX_EXTENSIONS_OID = "1.2.840.113741.1.13.1"
PCK_PROCESSOR_CA_CN = "Intel SGX PCK Processor CA"
PCK_PLATFORM_CA_CN = "Intel SGX PCK Platform CA"


# -- DER, as much as the SGX extension needs ------------------------------------------------

def _der(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + length + content


def _oid(dotted):
    parts = [int(p) for p in dotted.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(chunk))
    return _der(0x06, out)


def _int(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return _der(0x02, b)


def _seq(*items):
    return _der(0x30, b"".join(items))


def sgx_extension(fmspc, pceid=b"\x00\x00", cpusvn=bytes(16), pcesvn=13, comps=bytes(16),
                  ppid=bytes(16), platform=None):
    """The SGX extensions' value (a DER SEQUENCE). platform: None for a Processor CA leaf,
    else (platform_instance_id (16), dynamic, cached_keys, smt) for a Platform CA leaf."""
    base = SGX_EXTENSIONS_OID
    tcb = [_seq(_oid(f"{base}.2.{i + 1}"), _int(c)) for i, c in enumerate(comps)]
    tcb.append(_seq(_oid(f"{base}.2.17"), _int(pcesvn)))
    tcb.append(_seq(_oid(f"{base}.2.18"), _der(0x04, cpusvn)))
    items = [_seq(_oid(f"{base}.1"), _der(0x04, ppid)),
             _seq(_oid(f"{base}.2"), _seq(*tcb)),
             _seq(_oid(f"{base}.3"), _der(0x04, pceid)),
             _seq(_oid(f"{base}.4"), _der(0x04, fmspc)),
             _seq(_oid(f"{base}.5"), _der(0x0A, b"\x00" if platform is None else b"\x01"))]
    if platform is not None:
        pi, dynamic, cached, smt = platform
        boolean = [_der(0x01, b"\xff" if v else b"\x00") for v in (dynamic, cached, smt)]
        items.append(_seq(_oid(f"{base}.6"), _der(0x04, pi)))
        items.append(_seq(_oid(f"{base}.7"),
                          _seq(*[_seq(_oid(f"{base}.7.{i + 1}"), b)
                                 for i, b in enumerate(boolean)])))
    return _seq(*items)


# -- the chain ------------------------------------------------------------------------------

def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                         "mrboot test chain, not Intel")])


def _cert(subject, key, issuer, issuer_key, ca, extensions=()):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(days=1))
         .not_valid_after(now + datetime.timedelta(days=30))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    for ext in extensions:
        b = b.add_extension(ext, critical=False)
    return b.sign(issuer_key, hashes.SHA256())


class PckChain:
    """A root, a PCK Processor CA and a PCK leaf with the SGX extensions, made once."""

    def __init__(self, fmspc=bytes.fromhex("00906ed50000"), ca_cn=PCK_PROCESSOR_CA_CN):
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.pck_key = ec.generate_private_key(ec.SECP256R1())
        root_name = _name("mrboot test SGX Root CA")
        ca_name = _name(ca_cn)
        self.root = _cert(root_name, self.root_key, root_name, self.root_key, True)
        self.ca = _cert(ca_name, self.ca_key, root_name, self.root_key, True)
        ext = x509.UnrecognizedExtension(x509.ObjectIdentifier(SGX_EXTENSIONS_OID),
                                         sgx_extension(fmspc))
        self.leaf = _cert(_name("Intel SGX PCK Certificate"), self.pck_key, ca_name,
                          self.ca_key, False, (ext,))
        self.fmspc = fmspc

    def pem(self):
        return b"".join(c.public_bytes(serialization.Encoding.PEM)
                        for c in (self.leaf, self.ca, self.root))


def _raw_signature(key, data):
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _raw_public(key):
    n = key.public_key().public_numbers()
    return n.x.to_bytes(32, "big") + n.y.to_bytes(32, "big")


def td_header():
    return (struct.pack("<HHII", 4, ATT_KEY_TYPE_ECDSA_P256, TEE_TYPE_TDX, 0)
            + INTEL_QE_VENDOR_ID + bytes(20))


def signature_data(signed, chain, attestation_key=None, qe_auth=b"mrboot test QE auth data"):
    """sgx_ecdsa_sig_data_v4_t over the signed bytes (header || body)."""
    attestation_key = attestation_key or ec.generate_private_key(ec.SECP256R1())
    att_pub = _raw_public(attestation_key)
    qe_report = bytearray(QE_REPORT_SIZE)
    qe_report[320:352] = hashlib.sha256(att_pub + qe_auth).digest()
    qe_report = bytes(qe_report)
    pem = chain.pem()
    qe_cert_data = (qe_report + _raw_signature(chain.pck_key, qe_report)
                    + struct.pack("<H", len(qe_auth)) + qe_auth
                    + struct.pack("<HI", CERT_TYPE_PCK_CHAIN, len(pem)) + pem)
    return (_raw_signature(attestation_key, signed) + att_pub
            + struct.pack("<HI", CERT_TYPE_QE_REPORT, len(qe_cert_data)) + qe_cert_data)


def quote_v4(body, chain):
    """A TD quote v4 of the 584-byte TD report body, signed through chain."""
    if len(body) != TD_REPORT_BODY_SIZE:
        raise ValueError(f"TD report body of {len(body)} bytes")
    signed = td_header() + bytes(body)
    sig = signature_data(signed, chain)
    return signed + struct.pack("<I", len(sig)) + sig
