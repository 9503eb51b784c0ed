#!/usr/bin/env python3
"""The independent producer for tests/unit/jwe.c: JWEs made without any of mrboot's code.

Two producers, sharing nothing with agent/jose/jwe.c but the RFCs:
  pyca      python3-cryptography's primitives (ECDH, ConcatKDFHash, aes_key_wrap, OAEP,
            AESGCM) composed here as RFC 7516 and RFC 7518 describe, the protected header laid
            out as the Trustee key broker's serde writes it ({"alg","enc","epk":{"crv","kty",
            "x","y"}}, no whitespace);
  jwcrypto  python3-jwcrypto's complete JWE implementation: its compact serialization
            carries every header parameter in the protected header, as the broker's does,
            and is rewritten member by member as the flattened JSON serialization
            (RFC 7516 sections 7.1 and 7.2.2 give both the same AAD).

Usage: jwe-make.py DIR
Reads DIR/agent-NAME.jwk: public JWKs the agent generated (jwk_write_public()).
Writes DIR/manifest.json:
  {"jwcrypto": bool,
   "keys": {NAME: private JWK},             keys of ours, as RFC 7518 section 6 writes them
   "agent_keys": {NAME: {"accepted": bool, "why": str}},  our verdict on each agent JWK
   "cases": [{"name", "key", "jwe", "plaintext" (hex), "mutate": bool,
              "refused": substring of the agent's message, when the JWE must be refused:
                         -EBADMSG for "does not authenticate...", -EINVAL for the rest}]}
Exits 77 when python3-cryptography is missing.
"""

import base64
import json
import os
import struct
import sys

try:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap
except ImportError:
    print("python3-cryptography is not installed", file=sys.stderr)
    sys.exit(77)

try:
    from jwcrypto import jwe as jwcrypto_jwe
    from jwcrypto import jwk as jwcrypto_jwk

    HAVE_JWCRYPTO = True
except ImportError:
    HAVE_JWCRYPTO = False

CURVES = {"P-256": (ec.SECP256R1, 32), "P-384": (ec.SECP384R1, 48), "P-521": (ec.SECP521R1, 66)}


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    if "=" in text or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64u(data) != text:
        raise ValueError("not the one spelling of its bytes")
    return data


def uint_bytes(n, size=None):
    """Base64urlUInt (RFC 7518 section 2): the shortest form, or a fixed size."""
    return n.to_bytes(size or max(1, (n.bit_length() + 7) // 8), "big")


def curve_name(curve):
    for name, (cls, _) in CURVES.items():
        if isinstance(curve, cls):
            return name
    raise ValueError(curve.name)


def private_jwk(key):
    if isinstance(key, ec.EllipticCurvePrivateKey):
        crv = curve_name(key.curve)
        size = CURVES[crv][1]
        pub = key.public_key().public_numbers()
        return {"kty": "EC", "crv": crv, "x": b64u(uint_bytes(pub.x, size)),
                "y": b64u(uint_bytes(pub.y, size)),
                "d": b64u(uint_bytes(key.private_numbers().private_value, size))}
    priv = key.private_numbers()
    pub = priv.public_numbers
    return {"kty": "RSA", "n": b64u(uint_bytes(pub.n)), "e": b64u(uint_bytes(pub.e)),
            "d": b64u(uint_bytes(priv.d)), "p": b64u(uint_bytes(priv.p)),
            "q": b64u(uint_bytes(priv.q)), "dp": b64u(uint_bytes(priv.dmp1)),
            "dq": b64u(uint_bytes(priv.dmq1)), "qi": b64u(uint_bytes(priv.iqmp))}


def public_key(jwk):
    """A public key from a public or private JWK, refusing what RFC 7518 section 6 refuses."""
    if jwk["kty"] == "EC":
        cls, size = CURVES[jwk["crv"]]
        x, y = unb64u(jwk["x"]), unb64u(jwk["y"])
        if len(x) != size or len(y) != size:
            raise ValueError("coordinates are not full length")
        # Raises unless the point is on the curve.
        return ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"),
                                             cls()).public_key()
    n, e = unb64u(jwk["n"]), unb64u(jwk["e"])
    if n[0] == 0 or e[0] == 0:
        raise ValueError("n or e has a leading zero byte")
    return rsa.RSAPublicNumbers(int.from_bytes(e, "big"), int.from_bytes(n, "big")).public_key()


def lenprefixed(data):
    return struct.pack(">I", len(data)) + data


def compact_json(obj):
    return json.dumps(obj, separators=(",", ":"))


def pyca_jwe(pub, plaintext, alg=None, enc="A256GCM", cek_size=32):
    """RFC 7516 section 5.1, step by step, with python3-cryptography's primitives."""
    cek = os.urandom(cek_size)
    iv = os.urandom(12)
    if isinstance(pub, ec.EllipticCurvePublicKey):
        alg = alg or "ECDH-ES+A256KW"
        ephemeral = ec.generate_private_key(pub.curve)
        z = ephemeral.exchange(ec.ECDH(), pub)
        # RFC 7518 section 4.6.2: AlgorithmID, empty PartyUInfo and PartyVInfo, keydatalen.
        other = (lenprefixed(alg.encode()) + lenprefixed(b"") + lenprefixed(b"") +
                 struct.pack(">I", 256))
        kek = ConcatKDFHash(hashes.SHA256(), 32, other).derive(z)
        encrypted_key = aes_key_wrap(kek, cek)
        crv = curve_name(pub.curve)
        size = CURVES[crv][1]
        point = ephemeral.public_key().public_numbers()
        header = {"alg": alg, "enc": enc,
                  "epk": {"crv": crv, "kty": "EC", "x": b64u(uint_bytes(point.x, size)),
                          "y": b64u(uint_bytes(point.y, size))}}
    elif alg == "RSA1_5":
        encrypted_key = pub.encrypt(cek, padding.PKCS1v15())
        header = {"alg": alg, "enc": enc}
    else:
        alg = alg or "RSA-OAEP-256"
        encrypted_key = pub.encrypt(cek, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                                      algorithm=hashes.SHA256(), label=None))
        header = {"alg": alg, "enc": enc}
    protected = b64u(compact_json(header).encode())
    sealed = AESGCM(cek).encrypt(iv, plaintext, protected.encode("ascii"))
    return compact_json({"protected": protected, "encrypted_key": b64u(encrypted_key),
                         "iv": b64u(iv), "ciphertext": b64u(sealed[:-16]),
                         "tag": b64u(sealed[-16:])})


def jwcrypto_flattened(jwk, plaintext, alg, enc="A256GCM"):
    key = jwcrypto_jwk.JWK.from_json(jwcrypto_jwk.JWK(**jwk).export_public())
    token = jwcrypto_jwe.JWE(plaintext, protected=json.dumps({"alg": alg, "enc": enc}))
    token.allowed_algs = [alg, enc]
    token.add_recipient(key)
    protected, encrypted_key, iv, ciphertext, tag = token.serialize(compact=True).split(".")
    # json.dumps' default separators put spaces in: whitespace the agent must read through.
    return json.dumps({"protected": protected, "encrypted_key": encrypted_key, "iv": iv,
                       "ciphertext": ciphertext, "tag": tag})


def jwcrypto_native_json(jwk, plaintext, alg):
    """jwcrypto's own JSON serialization: member order of its choosing, and for ECDH-ES the
    epk in an unprotected "header" member, which the agent must refuse."""
    key = jwcrypto_jwk.JWK.from_json(jwcrypto_jwk.JWK(**jwk).export_public())
    token = jwcrypto_jwe.JWE(plaintext, protected=json.dumps({"alg": alg, "enc": "A256GCM"}))
    token.allowed_algs = [alg, "A256GCM"]
    token.add_recipient(key)
    return token.serialize(compact=False)


def check_agent_jwk(text):
    """The agent's public JWK: exactly the members the broker rebuilds the key from
    (DESIGN.md section 6), values that decode, a point on the curve, jwcrypto loads it."""
    jwk = json.loads(text)
    if jwk.get("kty") == "EC":
        want = ["kty", "crv", "alg", "x", "y"]
        alg = "ECDH-ES+A256KW"
    else:
        want = ["kty", "alg", "n", "e"]
        alg = "RSA-OAEP-256"
    if sorted(jwk) != sorted(want):
        raise ValueError("members %s, expected %s" % (sorted(jwk), sorted(want)))
    if jwk["alg"] != alg:
        raise ValueError("alg %r" % jwk["alg"])
    key = public_key(jwk)
    if isinstance(key, rsa.RSAPublicKey) and key.public_numbers().e != 65537:
        raise ValueError("e is not 65537")
    if HAVE_JWCRYPTO:
        jwcrypto_jwk.JWK(**jwk)
    return jwk, key


def main():
    out = sys.argv[1]
    keys = {
        "ec-p256": ec.generate_private_key(ec.SECP256R1()),
        "ec-p521": ec.generate_private_key(ec.SECP521R1()),
        "ec-p384": ec.generate_private_key(ec.SECP384R1()),
        "rsa-2048": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "rsa-4096": rsa.generate_private_key(public_exponent=65537, key_size=4096),
    }
    jwks = {name: private_jwk(key) for name, key in keys.items()}
    publics = {name: (jwks[name], key.public_key()) for name, key in keys.items()}
    # A curve the agent refuses: its key is only for making JWEs to refuse.
    del keys["ec-p384"], jwks["ec-p384"]
    # One key says what it is for: an optional member the agent's import accepts.
    jwks["rsa-2048"]["alg"] = "RSA-OAEP-256"

    agent_keys = {}
    for entry in sorted(os.listdir(out)):
        if entry.startswith("agent-") and entry.endswith(".jwk"):
            name = entry[:-4]
            try:
                with open(os.path.join(out, entry)) as f:
                    publics[name] = check_agent_jwk(f.read())
                agent_keys[name] = {"accepted": True, "why": ""}
            except Exception as exc:  # the verdict is the test's, not a crash
                agent_keys[name] = {"accepted": False, "why": repr(exc)}

    plaintexts = {
        "64 random bytes": os.urandom(64),
        "1000 random bytes": os.urandom(1000),
        "one byte": b"\x00",
        "nothing": b"",
    }
    cases = []

    def add(name, key, jwe, plaintext=b"", mutate=False, refused=None):
        # The hand-composed producer is held to the complete one: jwcrypto must read what
        # pyca made for keys whose private half is here (jwcrypto 1.1 takes an empty payload
        # for a failure, so not that one).
        if (HAVE_JWCRYPTO and name.startswith("pyca") and not refused and key in keys and
                plaintext):
            token = jwcrypto_jwe.JWE()
            token.allowed_algs = ["ECDH-ES+A256KW", "RSA-OAEP-256", "A256GCM"]
            token.deserialize(jwe, jwcrypto_jwk.JWK(**jwks[key]))
            if token.payload != plaintext:
                raise SystemExit("jwcrypto reads %r differently" % name)
        case = {"name": name, "key": key, "jwe": jwe, "plaintext": plaintext.hex(),
                "mutate": mutate}
        if refused:
            case["refused"] = refused
        cases.append(case)

    for key in sorted(publics):
        if key == "ec-p384":
            continue
        jwk, pub = publics[key]
        alg = "ECDH-ES+A256KW" if jwk["kty"] == "EC" else "RSA-OAEP-256"
        for i, (what, data) in enumerate(plaintexts.items()):
            add("pyca %s to %s: %s" % (alg, key, what), key, pyca_jwe(pub, data), data,
                mutate=i == 0)
        if HAVE_JWCRYPTO:
            for what in ["64 random bytes", "1000 random bytes"]:
                data = plaintexts[what]
                add("jwcrypto %s to %s: %s" % (alg, key, what), key,
                    jwcrypto_flattened(jwk, data, alg), data)

    secret = plaintexts["64 random bytes"]
    # Made by the producers, refused by the agent, each by name.
    add("pyca ECDH-ES+A256KW on P-384", "ec-p256", pyca_jwe(publics["ec-p384"][1], secret),
        refused="crv 'P-384' is not accepted")
    add("pyca ECDH-ES+A256KW on P-521 to a P-256 key", "ec-p256",
        pyca_jwe(publics["ec-p521"][1], secret), refused="crv 'P-521' does not match our P-256")
    add("pyca RSA1_5", "rsa-2048", pyca_jwe(publics["rsa-2048"][1], secret, alg="RSA1_5"),
        refused="alg 'RSA1_5' is not accepted")
    add("pyca ECDH-ES+A256KW with enc A128GCM", "ec-p256",
        pyca_jwe(publics["ec-p256"][1], secret, enc="A128GCM"),
        refused="enc 'A128GCM' is not accepted")
    add("pyca RSA-OAEP-256 to an EC key", "ec-p256", pyca_jwe(publics["rsa-2048"][1], secret),
        refused="alg 'RSA-OAEP-256' does not fit our EC key")
    add("pyca ECDH-ES+A256KW to an RSA key", "rsa-2048",
        pyca_jwe(publics["ec-p256"][1], secret), refused="does not fit our RSA key")
    # A CEK of the wrong size under a header that says A256GCM.
    add("pyca ECDH-ES+A256KW wrapping a 16-byte CEK", "ec-p256",
        pyca_jwe(publics["ec-p256"][1], secret, cek_size=16),
        refused="member 'encrypted_key' is 24 bytes, expected 40")
    add("pyca RSA-OAEP-256 encrypting a 16-byte CEK", "rsa-2048",
        pyca_jwe(publics["rsa-2048"][1], secret, cek_size=16),
        refused="does not authenticate with our key")
    if HAVE_JWCRYPTO:
        add("jwcrypto JSON serialization, RSA-OAEP-256 (its own member order)", "rsa-2048",
            jwcrypto_native_json(jwks["rsa-2048"], secret, "RSA-OAEP-256"), secret)
        add("jwcrypto JSON serialization, ECDH-ES+A256KW (epk in an unprotected header)",
            "ec-p256", jwcrypto_native_json(jwks["ec-p256"], secret, "ECDH-ES+A256KW"),
            refused="member 'header' is not accepted")
        for alg, enc, key in [("ECDH-ES", "A256GCM", "ec-p256"),
                              ("ECDH-ES+A128KW", "A256GCM", "ec-p256"),
                              ("RSA-OAEP", "A256GCM", "rsa-2048"),
                              ("ECDH-ES+A256KW", "A256CBC-HS512", "ec-p256"),
                              ("RSA-OAEP-256", "A128GCM", "rsa-2048")]:
            field = "alg '%s'" % alg if enc == "A256GCM" else "enc '%s'" % enc
            add("jwcrypto %s with %s" % (alg, enc), key,
                jwcrypto_flattened(jwks[key], secret, alg, enc),
                refused=field + " is not accepted")

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"jwcrypto": HAVE_JWCRYPTO, "keys": jwks, "agent_keys": agent_keys,
                   "cases": cases}, f, indent=1)


if __name__ == "__main__":
    main()
