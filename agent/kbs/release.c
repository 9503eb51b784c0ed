/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kbs/release.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>

#include "basic/error.h"
#include "crypto/hash.h"
#include "json/json.h"
#include "jose/jwe.h"
#include "net/deadline.h"
#include "basic/secret.h"
#include "basic/sleep.h"

/* Trustee takes request bodies up to 2 MiB (DESIGN.md section 6): no point sending more. */
#define KBS_REQUEST_MAX (2u << 20)

bool kbs_error_retryable(int r)
{
	switch (r) {
	case -EACCES:	    /* the broker said no */
	case -ENOENT:	    /* no such resource */
	case -EPERM:	    /* plain HTTP not allowed */
	case -EINVAL:	    /* a URL or resource that cannot work */
	case -EBADMSG:	    /* a JWE that does not decrypt with our key */
	case -EKEYREJECTED: /* a certificate that is not the broker's: not a passing fault */
		return false;
	default:
		return true;
	}
}

/*
 * In the initrd the broker is often asked before the network is up: no address, no route, no
 * name server yet. That is not the broker failing: while every failure of a round is of this
 * kind the brokers are polled every KBS_NETWORK_POLL_MS without growing the backoff, so that
 * the first request leaves within a poll of the network coming up rather than up to
 * KBS_BACKOFF_MAX_MS later, and mrboot need not wait for every link to be online.
 */
#define KBS_NETWORK_POLL_MS 100

static bool kbs_error_network_down(int r)
{
	return r == -ENETUNREACH || r == -ENETDOWN || r == -EHOSTUNREACH || r == -EADDRNOTAVAIL;
}

enum kbs_outcome {
	KBS_OK,
	KBS_RETRY,   /* this URL again, next round */
	KBS_REFUSED, /* not this URL again */
	KBS_LOCAL,   /* nothing again: the failure is here */
};

struct kbs_attempt {
	const struct kbs_release_options *opt;
	struct kbs_client *client;
	struct jwk_key key;
	struct secret *secrets;		  /* opt->n_resources */
	bool released[KBS_RESOURCES_MAX]; /* kept across URLs and rounds */
	bool network_down;		  /* the last round found no network */
};

static void kbs_report(const struct kbs_release_options *opt, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void kbs_report(const struct kbs_release_options *opt, int priority, const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX + 128];
	va_list ap;

	if (!opt->report)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	opt->report(opt->userdata, priority, msg);
}

static void kbs_warn_plain(void *userdata, const char *message)
{
	kbs_report(userdata, LOG_WARNING, "%s", message);
}

static int kbs_key_generate(const struct kbs_release_options *opt, struct jwk_key *key,
			    struct error *e)
{
	jwk_key_free(key);
	return jwk_generate_ec(key, opt->curve, e);
}

/* auth, key pair, evidence, attest: the session is attested and the token kept. */
static enum kbs_outcome kbs_handshake(struct kbs_attempt *a, struct error *e)
{
	const struct kbs_release_options *opt = a->opt;
	struct tee_evidence_input in = opt->evidence;
	struct kbs_challenge challenge;
	uint8_t hash[HASH_MAX_SIZE];
	struct json_writer evidence, request;
	enum kbs_outcome outcome = KBS_LOCAL;
	int r;

	r = kbs_client_auth(a->client, tee_name(in.tee), &challenge, opt->deadline, e);
	if (r < 0)
		return kbs_error_retryable(r) ? KBS_RETRY : KBS_REFUSED;
	/* A new key for every challenge: a key is never bound to two nonces. */
	r = kbs_key_generate(opt, &a->key, e);
	if (r < 0)
		return KBS_LOCAL;
	r = kbs_runtime_data_hash(challenge.nonce, &a->key, challenge.hash, hash, e);
	if (r < 0)
		return KBS_LOCAL;
	in.hash = hash;
	in.hash_len = hash_info(challenge.hash)->size;
	json_writer_init(&evidence, KBS_REQUEST_MAX);
	json_writer_init(&request, KBS_REQUEST_MAX);
	/* tee_evidence_write's messages name the TEE already. */
	r = tee_evidence_write(&evidence, &in, e);
	if (r == 0 && json_writer_finish(&evidence, e) < 0)
		r = error_prefix(e, "%s evidence", tee_name(in.tee));
	if (r < 0)
		goto out;
	kbs_attest_request_write(&request, challenge.nonce, &a->key, evidence.buf, evidence.len);
	r = json_writer_finish(&request, e);
	if (r < 0) {
		error_prefix(e, "attest request");
		goto out;
	}
	r = kbs_client_attest(a->client, request.buf, request.len, opt->deadline, e);
	if (r < 0)
		outcome = kbs_error_retryable(r) ? KBS_RETRY : KBS_REFUSED;
	else
		outcome = KBS_OK;
out:
	json_writer_free(&request);
	json_writer_free(&evidence);
	return outcome;
}

static enum kbs_outcome kbs_fetch(struct kbs_attempt *a, size_t i, struct error *e)
{
	const struct kbs_release_options *opt = a->opt;
	const char *path = opt->resource_paths[i];
	struct secret *secret = &a->secrets[i];
	uint8_t *body = NULL;
	size_t len = 0;
	enum kbs_outcome outcome;
	int r;

	r = kbs_client_resource(a->client, path, opt->deadline, &body, &len, e);
	if (r == -EACCES) {
		/* The session may have expired between attest and now: one new handshake. */
		kbs_report(opt, LOG_NOTICE, "%s; attesting again", e->msg);
		outcome = kbs_handshake(a, e);
		if (outcome != KBS_OK)
			return outcome;
		r = kbs_client_resource(a->client, path, opt->deadline, &body, &len, e);
	}
	if (r < 0)
		return kbs_error_retryable(r) ? KBS_RETRY : KBS_REFUSED;
	secret->len = 0;
	r = jwe_decrypt(body, len, &a->key, secret, e);
	free(body);
	/* An empty secret would reach cryptsetup as the empty passphrase: never a key. */
	if (r == 0 && secret->len == 0)
		r = error_set(e, -EBADMSG, "the released secret is empty");
	if (r < 0) {
		error_prefix(e, "resource %s from %s", path, a->client->url_text);
		return KBS_REFUSED;
	}
	return KBS_OK;
}

/* The handshake, then each resource not released yet, all in the one attested session. */
static enum kbs_outcome kbs_attempt_url(struct kbs_attempt *a, struct error *e)
{
	enum kbs_outcome outcome = kbs_handshake(a, e);

	for (size_t i = 0; outcome == KBS_OK && i < a->opt->n_resources; i++) {
		if (a->released[i])
			continue;
		outcome = kbs_fetch(a, i, e);
		a->released[i] = outcome == KBS_OK;
	}
	return outcome;
}

/* Full jitter over the upper half: never all clients at once, never no pause at all. */
static unsigned kbs_backoff_ms(unsigned round)
{
	unsigned ms = KBS_BACKOFF_MIN_MS;
	uint32_t rnd = 0;

	for (unsigned i = 0; i < round && ms < KBS_BACKOFF_MAX_MS; i++)
		ms *= 2;
	if (ms > KBS_BACKOFF_MAX_MS)
		ms = KBS_BACKOFF_MAX_MS;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint32_t)deadline_now_ms();
	return ms / 2 + rnd % (ms / 2 + 1);
}

/*
 * One pass over the URLs not refused yet: KBS_OK, KBS_LOCAL, or KBS_RETRY for another pass;
 * *network_down: every URL failed for want of a network (kbs_error_network_down()).
 */
static enum kbs_outcome kbs_round(struct kbs_attempt *a, struct kbs_client *clients, bool *refused,
				  size_t n, char **token, bool *network_down, struct error *e)
{
	const struct kbs_release_options *opt = a->opt;
	size_t open_urls = 0;

	*network_down = true;
	for (size_t i = 0; i < n; i++) {
		enum kbs_outcome outcome;

		if (refused[i])
			continue;
		if (deadline_left_ms(opt->deadline) == 0)
			return KBS_RETRY; /* the caller sees the deadline */
		a->client = &clients[i];
		outcome = kbs_attempt_url(a, e);
		if (outcome == KBS_OK) {
			/* The caller's own copy of the token, to print. */
			if (token && !(*token = strdup((char *)clients[i].auth.data +
						       sizeof(KBS_BEARER) - 1))) {
				error_set(e, -ENOMEM, "token: out of memory");
				return KBS_LOCAL;
			}
			return KBS_OK;
		}
		if (outcome == KBS_LOCAL)
			return KBS_LOCAL;
		refused[i] = outcome == KBS_REFUSED;
		open_urls += !refused[i];
		if (refused[i] || !kbs_error_network_down(e->code))
			*network_down = false;
		else if (a->network_down)
			continue; /* said once, while the network comes up */
		kbs_report(opt, LOG_WARNING, "%s%s", e->msg,
			   refused[i] ? " (not asked again)" : "");
	}
	if (open_urls == 0) {
		error_prefix(e, "every key broker refused; the last");
		return KBS_REFUSED;
	}
	return KBS_RETRY;
}

int kbs_release(const struct kbs_release_options *opt, struct secret *secrets, char **token,
		struct error *e)
{
	struct kbs_client clients[KBS_URLS_MAX];
	bool refused[KBS_URLS_MAX] = { false };
	struct kbs_attempt a = { .opt = opt, .secrets = secrets };
	enum kbs_outcome outcome = KBS_RETRY;
	size_t n = 0;
	int r = 0;

	if (token)
		*token = NULL;
	if (opt->n_resources > KBS_RESOURCES_MAX)
		return error_set(e, -EINVAL, "%zu resources, at most %d", opt->n_resources,
				 KBS_RESOURCES_MAX);
	for (size_t i = 0; i < opt->n_resources; i++)
		secrets[i] = (struct secret){ 0 };
	while (opt->urls && opt->urls[n])
		n++;
	if (n == 0)
		return error_set(e, -EINVAL, "no key broker: set [kbs] url");
	if (n > KBS_URLS_MAX)
		return error_set(e, -EINVAL, "%zu key broker URLs, at most %d", n, KBS_URLS_MAX);
	for (size_t i = 0; i < n; i++) {
		r = kbs_client_init(&clients[i], opt->urls[i], opt->anchors, opt->allow_plain,
				    kbs_warn_plain, (void *)opt, e);
		if (r < 0) {
			while (i-- > 0)
				kbs_client_free(&clients[i]);
			return r;
		}
	}
	for (size_t i = 0; r == 0 && i < opt->n_resources; i++)
		r = secret_alloc(&secrets[i], KBS_SECRET_MAX, e);
	for (unsigned round = 0; r == 0 && outcome == KBS_RETRY;) {
		bool network_down;
		unsigned pause;
		int left;

		outcome = kbs_round(&a, clients, refused, n, token, &network_down, e);
		left = deadline_left_ms(opt->deadline);
		if (outcome != KBS_RETRY)
			break;
		if (left == 0) {
			/* The last failure says why; the deadline says why there is no other try.
			 */
			if (e->code < 0)
				error_prefix(e, "no key before the deadline; the last failure");
			else
				error_set(e, -ETIMEDOUT, "no key before the deadline");
			e->code = -ETIMEDOUT;
			break;
		}
		if (network_down) {
			if (!a.network_down)
				kbs_report(opt, LOG_NOTICE,
					   "waiting for the network: trying "
					   "again every %d ms",
					   KBS_NETWORK_POLL_MS);
			pause = KBS_NETWORK_POLL_MS;
		} else {
			pause = kbs_backoff_ms(round++);
			kbs_report(opt, LOG_NOTICE, "trying again in %u ms", pause);
		}
		a.network_down = network_down;
		sleep_ms(pause < (unsigned)left ? pause : (unsigned)left);
	}
	if (r == 0 && outcome != KBS_OK)
		r = e->code < 0 ? e->code : -EIO;
	jwk_key_free(&a.key);
	for (size_t i = 0; i < n; i++)
		kbs_client_free(&clients[i]);
	for (size_t i = 0; r < 0 && i < opt->n_resources; i++)
		secret_free(&secrets[i]);
	return r;
}
