/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_EC_H
#define MRBOOT_EC_H

#include <bearssl_ec.h>

/*
 * The elliptic curves of the TLS client, the certificate checks and the JWE/JWK keys:
 * P-256, P-384, P-521 and Curve25519, all on BearSSL's 31-bit integer code (ec_prime_i31,
 * ec_c25519_i31). BearSSL's default (br_ec_all_m31) adds specialised P-256 and Curve25519
 * code that is about twice as fast and 7 KB larger in the agent; a boot does a handful of
 * these operations, well under a millisecond each here. Constant-time, as all of BearSSL's.
 */
extern const br_ec_impl ec_i31;

#endif
