#!/usr/bin/python3
# Writes the seed corpora of fuzz-jwe (JWEs to the key in fuzz-jwe.c) and fuzz-jwk (private
# and public JWKs), made with tests/witness/jwe-make.py's producers (python3-cryptography, and
# python3-jwcrypto where installed). Run again to renew them: JWEs differ on every run.
# Usage: tests/fuzz/jwe-seeds.py  (Debian's /usr/bin/python3)
import importlib.util
import json
import os
import re
import sys

from cryptography.hazmat.primitives.asymmetric import ec, rsa

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("jwe_make",
                                              os.path.join(here, "..", "witness", "jwe-make.py"))
jm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(jm)


def target_jwk():
    """The fixed key of fuzz-jwe.c, read from its C string so that there is one copy."""
    text = open(os.path.join(here, "fuzz-jwe.c"), encoding="utf-8").read()
    body = re.search(r"fuzz_jwk\[\] =\s*((?:\s*\"(?:[^\"\\]|\\.)*\")+);", text).group(1)
    parts = re.findall(r"\"((?:[^\"\\]|\\.)*)\"", body)
    return json.loads("".join(parts).replace('\\"', '"'))


def write(corpus, name, data):
    os.makedirs(os.path.join(here, "corpus", corpus), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(here, "corpus", corpus, "seed-" + name), "wb") as f:
        f.write(data)


def main():
    key = target_jwk()
    pub = jm.public_key(key)
    p521 = ec.generate_private_key(ec.SECP521R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    rsa2048 = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    # fuzz-jwe: JWEs that decrypt, in both producers' spellings, and ones refused by name.
    write("jwe", "ecdh-32-bytes", jm.pyca_jwe(pub, os.urandom(32)))
    write("jwe", "ecdh-empty", jm.pyca_jwe(pub, b""))
    write("jwe", "ecdh-1-byte", jm.pyca_jwe(pub, b"\x00"))
    write("jwe", "ecdh-300-bytes", jm.pyca_jwe(pub, os.urandom(300)))
    if jm.HAVE_JWCRYPTO:
        write("jwe", "jwcrypto-flattened", jm.jwcrypto_flattened(key, os.urandom(64),
                                                                 "ECDH-ES+A256KW"))
    write("jwe", "p521-epk", jm.pyca_jwe(p521.public_key(), os.urandom(32)))
    write("jwe", "enc-a128gcm", jm.pyca_jwe(pub, os.urandom(32), enc="A128GCM"))
    write("jwe", "cek-16-bytes", jm.pyca_jwe(pub, os.urandom(32), cek_size=16))
    write("jwe", "rsa-oaep-256", jm.pyca_jwe(rsa2048.public_key(), os.urandom(32)))
    good = json.loads(jm.pyca_jwe(pub, os.urandom(32)))
    tag = bytearray(jm.unb64u(good["tag"]))
    tag[0] ^= 1
    good["tag"] = jm.b64u(bytes(tag))
    write("jwe", "tag-changed", jm.compact_json(good))

    # fuzz-jwk: private keys (the one with "alg"), public keys, a curve that is refused.
    def public(jwk):
        return {k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y", "n", "e")}

    write("jwk", "ec-p256-private", jm.compact_json(key))
    write("jwk", "ec-p256-public", jm.compact_json(public(key)))
    write("jwk", "ec-p521-private", jm.compact_json(jm.private_jwk(p521)))
    write("jwk", "ec-p521-public", jm.compact_json(public(jm.private_jwk(p521))))
    write("jwk", "ec-p384-private", jm.compact_json(jm.private_jwk(p384)))
    rsa_jwk = jm.private_jwk(rsa2048)
    rsa_jwk["alg"] = "RSA-OAEP-256"
    write("jwk", "rsa-2048-private", jm.compact_json(rsa_jwk))
    write("jwk", "rsa-2048-public", jm.compact_json(public(rsa_jwk)))
    epk = json.loads(jm.unb64u(good["protected"]))
    write("jwk", "jwe-epk", jm.compact_json(epk["epk"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
