/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tls.h"

#include <arpa/inet.h>
#include <bearssl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "crypto/ec.h"
#include "basic/error.h"
#include "mrboot-config.h"
#include "basic/macro.h"
#include "basic/secret.h"
#include "socket.h"
#include "tls-error.h"
#include "trust-anchors.h"
#include "x509.h"

/* Largest server certificate whose subjectAltName we read for an IP address check. */
#define TLS_EE_CERT_MAX 16384

/*
 * BearSSL's "minimal" X.509 engine wrapped to check an IP address: it matches only DNS names,
 * so for a host given as an address it runs without a name and this wrapper keeps the
 * end-entity certificate's bytes to look for the address among its iPAddress entries once the
 * chain has been validated.
 */
struct tls_x509 {
	const br_x509_class *vtable; /* first: BearSSL hands back a pointer to it */
	br_x509_minimal_context minimal;
	uint8_t addr[16];
	size_t addr_len; /* 0 for a DNS name */
	unsigned certs;	 /* certificates started in this chain */
	bool ee_too_large, mismatch;
	size_t ee_len;
	uint8_t ee[TLS_EE_CERT_MAX];
};

struct tls_client {
	br_ssl_client_context cc;
	struct tls_x509 x509;
	int fd;
	bool established; /* handshake done: later failures are named "TLS: ..." */
	bool peer_closed; /* close_notify received */

	uint8_t offered_id[32]; /* the session ID tls_client_restart() offered */
	size_t offered_len;
	bool resumed; /* the server echoed it: the handshake resumed that session */
	uint32_t clock,
		checked_at; /* days since 1970: the clock, and when certificates were checked */
	char host[256];
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	struct secret mem; /* the mapping this struct lives in: locked, left out of dumps */
};

static struct tls_x509 *x509_of(const br_x509_class **ctx)
{
	return (struct tls_x509 *)(void *)ctx;
}

static void x509_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tls_x509 *x = x509_of(ctx);

	x->certs = 0;
	x->ee_len = 0;
	x->ee_too_large = x->mismatch = false;
	x->minimal.vtable->start_chain(&x->minimal.vtable, server_name);
}

static void x509_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tls_x509 *x = x509_of(ctx);

	if (x->certs++ == 0)
		x->ee_too_large = length > sizeof(x->ee);
	x->minimal.vtable->start_cert(&x->minimal.vtable, length);
}

static void x509_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct tls_x509 *x = x509_of(ctx);

	if (x->certs == 1 && x->addr_len && !x->ee_too_large && len <= sizeof(x->ee) - x->ee_len) {
		memcpy(x->ee + x->ee_len, buf, len);
		x->ee_len += len;
	}
	x->minimal.vtable->append(&x->minimal.vtable, buf, len);
}

static void x509_end_cert(const br_x509_class **ctx)
{
	struct tls_x509 *x = x509_of(ctx);

	x->minimal.vtable->end_cert(&x->minimal.vtable);
}

static unsigned x509_end_chain(const br_x509_class **ctx)
{
	struct tls_x509 *x = x509_of(ctx);
	struct x509_cert cert;
	unsigned r;

	r = x->minimal.vtable->end_chain(&x->minimal.vtable);
	if (r != 0 || x->addr_len == 0)
		return r;
	if (x->ee_too_large)
		return BR_ERR_X509_LIMIT_EXCEEDED;
	/* The chain is valid; the address must be one the certificate names. */
	if (x509_cert_split(x->ee, x->ee_len, &cert) < 0 ||
	    x509_san_has_ip(&cert, x->addr, x->addr_len) != 1) {
		x->mismatch = true;
		return BR_ERR_X509_BAD_SERVER_NAME;
	}
	return 0;
}

static const br_x509_pkey *x509_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct tls_x509 *x = (struct tls_x509 *)(void *)ctx;

	if (x->mismatch)
		return NULL;
	return x->minimal.vtable->get_pkey(&x->minimal.vtable, usages);
}

static const br_x509_class x509_vtable = {
	sizeof(struct tls_x509), x509_start_chain, x509_start_cert, x509_append,
	x509_end_cert,		 x509_end_chain,   x509_get_pkey,
};

/*
 * Forward secrecy and AEAD only. AES-GCM alone: every TLS 1.2 stack a key broker runs on
 * (rustls, OpenSSL) offers it, and ChaCha20-Poly1305 would add its code to a binary that
 * must stay under its size budget for no broker that needs it.
 */
static const uint16_t suites[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};

/*
 * The client profile, assembled by hand as BearSSL's ssl_client_full.c does, but with only
 * the parts named in tls.h so that the static binary carries no CBC, CCM, 3DES, RSA key
 * exchange, TLS 1.0 PRF, MD5 or SHA-1. The implementations are the constant-time ones the JWE
 * code already links (ec_all_m31, aes_ct64, ghash_ctmul64).
 */
static void profile_init(struct tls_client *t, const struct trust_anchors *anchors)
{
	static const br_hash_class *const hashes[] = {
		&br_sha256_vtable,
		&br_sha384_vtable,
		&br_sha512_vtable,
	};
	br_ssl_engine_context *eng = &t->cc.eng;
	br_x509_minimal_context *xc = &t->x509.minimal;

	br_ssl_client_zero(&t->cc);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, suites, ARRAY_SIZE(suites));
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);

	br_x509_minimal_init(xc, &br_sha256_vtable, anchors->anchors, anchors->count);
	br_ssl_engine_set_ec(eng, &ec_i31);
	br_ssl_engine_set_ecdsa(eng, &br_ecdsa_i31_vrfy_asn1);
	/*
	 * RSA on the same 31-bit integers as the curves (ec.h): BearSSL's 62-bit code (its
	 * default on x86-64 and aarch64) is faster, but 1.7 KB more in the agent, for a few
	 * signatures a handshake. Same answers: both are BearSSL's constant-time code.
	 */
	br_ssl_engine_set_rsavrfy(eng, &br_rsa_i31_pkcs1_vrfy);
	br_x509_minimal_set_rsa(xc, &br_rsa_i31_pkcs1_vrfy);
	br_x509_minimal_set_ecdsa(xc, &ec_i31, &br_ecdsa_i31_vrfy_asn1);
	for (size_t i = 0; i < ARRAY_SIZE(hashes); i++) {
		int id = (int)((hashes[i]->desc >> BR_HASHDESC_ID_OFF) & BR_HASHDESC_ID_MASK);

		br_ssl_engine_set_hash(eng, id, hashes[i]);
		br_x509_minimal_set_hash(xc, id, hashes[i]);
	}
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);

	br_ssl_engine_set_gcm(eng, &br_sslrec_in_gcm_vtable, &br_sslrec_out_gcm_vtable);
	br_ssl_engine_set_aes_ctr(eng, &br_aes_ct64_ctr_vtable);
	br_ssl_engine_set_ghash(eng, &br_ghash_ctmul64);

	t->x509.vtable = &x509_vtable;
	br_ssl_engine_set_x509(eng, &t->x509.vtable);
	br_ssl_engine_set_buffer(eng, t->iobuf, sizeof(t->iobuf), 1);
}

/*
 * Days since 0000-01-01 (proleptic Gregorian), as BearSSL counts (bearssl_x509.h,
 * br_x509_minimal_set_time), of 1970-01-01.
 */
#define TLS_EPOCH_DAYS 719528

/*
 * The time certificates are checked at: the clock, but never before the build. The host sets
 * the clock (DESIGN.md section 11): one set back would let a certificate that expired before
 * this binary was built pass, and an unset one (1970) would refuse every certificate.
 */
static void tls_set_time(struct tls_client *t)
{
	time_t now = time(NULL);
	uint64_t at = now > MRBOOT_BUILD_TIME ? (uint64_t)now : MRBOOT_BUILD_TIME;

	t->clock = now > 0 ? (uint32_t)(now / 86400) : 0;
	t->checked_at = (uint32_t)(at / 86400);
	br_x509_minimal_set_time(&t->x509.minimal, t->checked_at + TLS_EPOCH_DAYS,
				 (uint32_t)(at % 86400));
}

/*
 * "YYYY-MM-DD" of a day counted from 1970-01-01, for messages; every fourth year is a leap
 * year, which holds from 1901 to 2099.
 */
static void tls_format_date(uint32_t days, char out[16])
{
	static const unsigned char month_days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	unsigned year = 1970, month = 0;

	while (days >= 365u + (year % 4 == 0))
		days -= 365u + (year++ % 4 == 0);
	for (unsigned n; days >= (n = month_days[month] + (month == 1 && year % 4 == 0u)); month++)
		days -= n;
	snprintf(out, 16, "%04u-%02u-%02u", year, month + 1, (unsigned)days + 1);
}

/* A new handshake on t->fd, resuming the engine's session or not. */
static int tls_reset(struct tls_client *t, bool resume, struct error *e)
{
	char why[128];

	tls_set_time(t);

	/*
	 * A DNS name goes out as SNI and BearSSL matches it; an address is never sent as SNI
	 * (RFC 6066 section 3) and is matched by the X.509 wrapper above.
	 */
	if (br_ssl_client_reset(&t->cc, t->x509.addr_len ? NULL : t->host, resume))
		return 0;
	tls_error_describe(br_ssl_engine_last_error(&t->cc.eng), why, sizeof(why));
	return error_set(e, -ECONNABORTED, "TLS setup: %s", why);
}

int tls_client_new(struct tls_client **out, int fd, const struct trust_anchors *anchors,
		   const char *host, struct error *e)
{
	struct tls_client *t;
	struct secret mem;
	uint8_t seed[32];
	int r;

	if (!anchors || anchors->count == 0)
		return error_set(e, -EINVAL, "no trust anchors for TLS");
	if (strlen(host) >= sizeof(t->host))
		return error_set(e, -EINVAL, "host name too long for TLS");
	/*
	 * Session keys, and in iobuf the plaintext of every record (the bearer token, the
	 * resource): in secret memory, as a key is (issue 13, part 6).
	 */
	r = secret_alloc(&mem, sizeof(*t), e);
	if (r < 0)
		return r;
	t = (struct tls_client *)(void *)mem.data;
	t->mem = mem;
	t->fd = fd;
	memcpy(t->host, host, strlen(host) + 1); /* fits: checked above */
	if (inet_pton(AF_INET, host, t->x509.addr) == 1)
		t->x509.addr_len = 4;
	else if (inet_pton(AF_INET6, host, t->x509.addr) == 1)
		t->x509.addr_len = 16;
	profile_init(t, anchors);

	/* getrandom() waits for the kernel's pool to be seeded, once, early in boot. */
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		r = -errno;
		tls_client_free(t);
		return error_set_errno(e, r ? r : -EIO, "seeding the TLS random generator");
	}
	br_ssl_engine_inject_entropy(&t->cc.eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));

	r = tls_reset(t, false, e);
	if (r < 0) {
		tls_client_free(t);
		return r;
	}
	*out = t;
	return 0;
}

int tls_client_restart(struct tls_client *t, int fd, struct error *e)
{
	const br_ssl_session_parameters *s = &t->cc.eng.session;

	t->fd = fd;
	t->established = t->peer_closed = t->resumed = false;
	/* An ID is public (it goes out in the ClientHello); the master secret stays where it is. */
	t->offered_len = s->session_id_len <= sizeof(t->offered_id) ? s->session_id_len : 0;
	memcpy(t->offered_id, s->session_id, t->offered_len);
	return tls_reset(t, true, e);
}

/* Where a failure happened, to begin its message. */
static const char *tls_stage(const struct tls_client *t)
{
	return t->established ? "TLS" : "TLS handshake";
}

/* The engine's error as an errno and a message. */
static int tls_fail(struct tls_client *t, struct error *e)
{
	int err = br_ssl_engine_last_error(&t->cc.eng);
	char why[160], addr[INET6_ADDRSTRLEN];

	if (err == BR_ERR_X509_BAD_SERVER_NAME && t->x509.addr_len) {
		if (!inet_ntop(t->x509.addr_len == 4 ? AF_INET : AF_INET6, t->x509.addr, addr,
			       sizeof(addr)))
			snprintf(addr, sizeof(addr), "%s", t->host);
		return error_set(
			e, -EKEYREJECTED,
			"%s: the certificate does not name IP address %s (no iPAddress entry of its subjectAltName matches)",
			tls_stage(t), addr);
	}
	if (err == BR_ERR_X509_EXPIRED) {
		char at[16], clock[16];

		tls_format_date(t->checked_at, at);
		tls_format_date(t->clock, clock);
		return error_set(e, -EKEYREJECTED,
				 "%s: a certificate has expired or is not yet valid at %s (the "
				 "clock, which the host sets, says %s; mrboot never checks against "
				 "a time before its build, %s)",
				 tls_stage(t), at, clock, MRBOOT_BUILD_DATE);
	}
	if (err == BR_ERR_X509_BAD_SERVER_NAME)
		return error_set(e, -EKEYREJECTED,
				 "%s: the certificate does not match the host name '%s'",
				 tls_stage(t), t->host);
	tls_error_describe(err, why, sizeof(why));
	return error_set(e,
			 err >= BR_ERR_X509_OK && err <= BR_ERR_X509_NOT_TRUSTED ? -EKEYREJECTED
										 : -ECONNABORTED,
			 "%s: %s", tls_stage(t), why);
}

/*
 * Drives the engine over the socket until one of the states in want is reached: records
 * waiting to go out are sent first, records are read when the engine asks for them.
 * Returns 0, 1 when the stream ended (socket end of stream or close_notify), or an error.
 */
static int tls_pump(struct tls_client *t, unsigned want, uint64_t deadline, struct error *e)
{
	br_ssl_engine_context *eng = &t->cc.eng;

	for (;;) {
		unsigned state = br_ssl_engine_current_state(eng);
		unsigned char *buf;
		size_t len;
		ssize_t n;

		if (state & BR_SSL_CLOSED) {
			if (br_ssl_engine_last_error(eng) != BR_ERR_OK)
				return tls_fail(t, e);
			return 1;
		}
		if (state & BR_SSL_SENDREC) {
			buf = br_ssl_engine_sendrec_buf(eng, &len);
			n = socket_send(t->fd, buf, len, deadline, e);
			if (n < 0) {
				/*
				 * The server may close right after its close_notify, before ours
				 * (the engine's last word) is out: that is still a clean end.
				 * BearSSL 0.6 has no accessor for the flag it keeps.
				 */
				if (eng->shutdown_recv && n != -ETIMEDOUT) {
					t->peer_closed = true;
					return 1;
				}
				if (!t->established)
					error_prefix(e, "%s", tls_stage(t));
				return (int)n;
			}
			br_ssl_engine_sendrec_ack(eng, (size_t)n);
			continue;
		}
		if (state & want)
			return 0;
		if (state & BR_SSL_RECVREC) {
			buf = br_ssl_engine_recvrec_buf(eng, &len);
			n = socket_recv(t->fd, buf, len, deadline, e);
			if (n < 0) {
				if (!t->established)
					error_prefix(e, "%s", tls_stage(t));
				return (int)n;
			}
			if (n == 0)
				return 1;
			br_ssl_engine_recvrec_ack(eng, (size_t)n);
			continue;
		}
		/* Application data the caller did not ask for blocks the engine. */
		return error_set(e, -ECONNABORTED, "%s: the server sent data out of turn",
				 tls_stage(t));
	}
}

/* The stream ended before a state that needs it open: what to tell the caller. */
static int tls_ended(struct tls_client *t, struct error *e)
{
	return error_set(e, -ECONNRESET, "%s: the server closed the connection%s", tls_stage(t),
			 t->cc.eng.shutdown_recv ? " (close_notify)" : "");
}

int tls_client_handshake(struct tls_client *t, uint64_t deadline, struct error *e)
{
	int r = tls_pump(t, BR_SSL_SENDAPP, deadline, e);

	if (r == 1)
		return tls_ended(t, e);
	if (r < 0)
		return r;
	t->established = true;
	/* BearSSL resumes exactly when the server echoes the ID offered (RFC 5246 7.4.1.3). */
	t->resumed = t->offered_len > 0 && t->cc.eng.session.session_id_len == t->offered_len &&
		     memcmp(t->cc.eng.session.session_id, t->offered_id, t->offered_len) == 0;
	return 0;
}

int tls_client_write(struct tls_client *t, const void *buf, size_t len, uint64_t deadline,
		     struct error *e)
{
	const uint8_t *p = buf;

	while (len > 0) {
		unsigned char *out;
		size_t room;
		int r = tls_pump(t, BR_SSL_SENDAPP, deadline, e);

		if (r == 1)
			return tls_ended(t, e);
		if (r < 0)
			return r;
		out = br_ssl_engine_sendapp_buf(&t->cc.eng, &room);
		if (room > len)
			room = len;
		memcpy(out, p, room);
		br_ssl_engine_sendapp_ack(&t->cc.eng, room);
		p += room;
		len -= room;
	}
	return 0;
}

int tls_client_flush(struct tls_client *t, uint64_t deadline, struct error *e)
{
	int r;

	br_ssl_engine_flush(&t->cc.eng, 0);
	r = tls_pump(t, BR_SSL_SENDAPP, deadline, e);
	if (r == 1)
		return tls_ended(t, e);
	return r;
}

ssize_t tls_client_read(struct tls_client *t, void *buf, size_t len, uint64_t deadline,
			struct error *e)
{
	unsigned char *in;
	size_t avail;
	int r;

	r = tls_pump(t, BR_SSL_RECVAPP, deadline, e);
	if (r < 0)
		return r;
	if (r == 1) {
		if (t->cc.eng.shutdown_recv)
			t->peer_closed = true;
		return 0;
	}
	in = br_ssl_engine_recvapp_buf(&t->cc.eng, &avail);
	if (avail > len)
		avail = len;
	memcpy(buf, in, avail);
	br_ssl_engine_recvapp_ack(&t->cc.eng, avail);
	return (ssize_t)avail;
}

bool tls_client_closed_cleanly(const struct tls_client *t)
{
	return t->peer_closed;
}

bool tls_client_resumed(const struct tls_client *t)
{
	return t->resumed;
}

void tls_client_close(struct tls_client *t)
{
	br_ssl_engine_context *eng = &t->cc.eng;

	br_ssl_engine_close(eng);
	while (br_ssl_engine_current_state(eng) & BR_SSL_SENDREC) {
		size_t len;
		unsigned char *buf = br_ssl_engine_sendrec_buf(eng, &len);
		ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n <= 0)
			break;
		br_ssl_engine_sendrec_ack(eng, (size_t)n);
	}
}

void tls_client_free(struct tls_client *t)
{
	struct secret mem;

	if (!t)
		return;
	/* Session keys and the records of the exchange (bearer tokens among them). */
	mem = t->mem;
	secret_free(&mem);
}
