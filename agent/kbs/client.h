/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_KBS_CLIENT_H
#define MRBOOT_KBS_CLIENT_H

/*
 * One key broker at one URL, spoken to over agent/net/http.h: the three requests of RCAR
 * (auth, attest, resource), the session cookie between them and the token after them. Every
 * failure is returned with a message that names the step and the URL; the broker's own
 * problem report, when it sent one, follows as "<Variant>: <detail>".
 *
 * Status codes, as Trustee uses them (DESIGN.md section 6), become:
 *   401 -EACCES (policy denial, unknown session, bad evidence: the broker said no)
 *   404 -ENOENT (no such resource or path)
 *   5xx -EREMOTEIO (the broker failed; worth another try)
 *   any other, and 3xx (redirects are never followed) -EPROTO
 * and transport errors stay what agent/net/http.h returns (-ECONNREFUSED, -ETIMEDOUT, ...).
 */

#include <stdbool.h>
#include <stdint.h>

#include "kbs/protocol.h"
#include "basic/secret.h"
#include "net/http.h"
#include "net/url.h"

struct error;
struct trust_anchors;

#define KBS_URL_TEXT_MAX (URL_HOST_MAX + URL_PATH_MAX + 32)
#define KBS_RESPONSE_MAX (4u << 20) /* a JWE around a disk key is far smaller */

/* Called for what the user should know but that is not an error: plain HTTP in use. */
typedef void (*kbs_warn_fn)(void *userdata, const char *message);

struct kbs_client {
	struct url url;
	char url_text[KBS_URL_TEXT_MAX]; /* for messages */
	const struct trust_anchors *anchors;
	bool allow_plain;
	kbs_warn_fn warn;
	void *userdata;
	char cookie[KBS_COOKIE_MAX + 1]; /* "" before auth */
	struct http_session http;	 /* one connection for auth, attest and resource */
	/* KBS_BEARER "<token>" once attested (len 0 before): locked, wiped memory */
	struct secret auth;
};

#define KBS_BEARER "Authorization: Bearer "

/*
 * -EINVAL for a bad URL, -EPERM for http:// without allow_plain; on failure there is nothing
 * to free. The requests share one persistent connection (net/http.h: struct http_session).
 */
int kbs_client_init(struct kbs_client *c, const char *url, const struct trust_anchors *anchors,
		    bool allow_plain, kbs_warn_fn warn, void *userdata, struct error *e);

/* Closes the connection, wipes the session and the token. */
void kbs_client_free(struct kbs_client *c);

/* Forgets the session and the token, for a new handshake; the connection stays open. */
void kbs_client_reset(struct kbs_client *c);

/* POST /kbs/v0/auth: a new session (the cookie) and its challenge. */
int kbs_client_auth(struct kbs_client *c, const char *tee, struct kbs_challenge *challenge,
		    uint64_t deadline, struct error *e);

/* POST /kbs/v0/attest with the session cookie: the token, kept in c->auth. */
int kbs_client_attest(struct kbs_client *c, const char *request, size_t len, uint64_t deadline,
		      struct error *e);

/*
 * GET path (kbs_resource_path()) with the session cookie, or with the token as Bearer when
 * there is no session. On success *body and *len hold the response (the JWE), heap memory the
 * caller frees.
 */
int kbs_client_resource(struct kbs_client *c, const char *path, uint64_t deadline, uint8_t **body,
			size_t *len, struct error *e);

#endif
