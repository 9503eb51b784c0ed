/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "crypto/ec.h"

/* Each operation goes to ec_c25519_i31 for Curve25519, else to ec_prime_i31 (the NIST curves). */
static const br_ec_impl *ec_i31_for(int curve)
{
	return curve == BR_EC_curve25519 ? &br_ec_c25519_i31 : &br_ec_prime_i31;
}

static const unsigned char *ec_i31_generator(int curve, size_t *len)
{
	return ec_i31_for(curve)->generator(curve, len);
}

static const unsigned char *ec_i31_order(int curve, size_t *len)
{
	return ec_i31_for(curve)->order(curve, len);
}

static size_t ec_i31_xoff(int curve, size_t *len)
{
	return ec_i31_for(curve)->xoff(curve, len);
}

static uint32_t ec_i31_mul(unsigned char *g, size_t glen, const unsigned char *k, size_t klen,
			   int curve)
{
	return ec_i31_for(curve)->mul(g, glen, k, klen, curve);
}

static size_t ec_i31_mulgen(unsigned char *r, const unsigned char *k, size_t klen, int curve)
{
	return ec_i31_for(curve)->mulgen(r, k, klen, curve);
}

static uint32_t ec_i31_muladd(unsigned char *a, const unsigned char *b, size_t len,
			      const unsigned char *x, size_t xlen, const unsigned char *y,
			      size_t ylen, int curve)
{
	return ec_i31_for(curve)->muladd(a, b, len, x, xlen, y, ylen, curve);
}

const br_ec_impl ec_i31 = {
	/* The curves of br_ec_all_m31, which this replaces. */
	.supported_curves = (uint32_t)1 << BR_EC_secp256r1 | (uint32_t)1 << BR_EC_secp384r1 |
			    (uint32_t)1 << BR_EC_secp521r1 | (uint32_t)1 << BR_EC_curve25519,
	.generator = ec_i31_generator,
	.order = ec_i31_order,
	.xoff = ec_i31_xoff,
	.mul = ec_i31_mul,
	.mulgen = ec_i31_mulgen,
	.muladd = ec_i31_muladd,
};
