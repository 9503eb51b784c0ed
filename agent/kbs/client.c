/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kbs/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/error.h"
#include "json/json.h"
#include "basic/macro.h"
#include "net/http.h"
#include "basic/secret.h"

int kbs_client_init(struct kbs_client *c, const char *url, const struct trust_anchors *anchors,
		    bool allow_plain, kbs_warn_fn warn, void *userdata, struct error *e)
{
	const struct http_options opt = {
		.anchors = anchors,
		.allow_plain = allow_plain,
		.max_body = KBS_RESPONSE_MAX,
	};
	int r;

	*c = (struct kbs_client){
		.anchors = anchors,
		.allow_plain = allow_plain,
		.warn = warn,
		.userdata = userdata,
		.http = { .fd = -1 }, /* kbs_client_free() is safe after any failure */
	};
	r = url_parse(&c->url, url, e);
	if (r < 0)
		return r;
	url_format(&c->url, c->url_text, sizeof(c->url_text));
	if (!c->url.https && !allow_plain)
		return error_set(
			e, -EPERM,
			"%s: plain HTTP would carry the evidence and the session unprotected; "
			"use https, or set [kbs] insecure = yes for a test broker",
			c->url_text);
	r = http_session_init(&c->http, &c->url, &opt, e);
	if (r < 0)
		return error_prefix(e, "%s", c->url_text);
	return 0;
}

/* The session id and the token grant the key for their lifetime: wiped, not just freed. */
static void kbs_wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void kbs_wipe_freep(char **s)
{
	kbs_wipe_free(*s);
}

void kbs_client_reset(struct kbs_client *c)
{
	explicit_bzero(c->cookie, sizeof(c->cookie));
	secret_free(&c->auth);
}

void kbs_client_free(struct kbs_client *c)
{
	http_session_close(&c->http);
	kbs_client_reset(c);
}

/* What a status other than 200 means, as an errno (see client.h). */
static int kbs_status_errno(int status)
{
	if (status == 401)
		return -EACCES;
	if (status == 404)
		return -ENOENT;
	if (status >= 500 && status <= 599)
		return -EREMOTEIO;
	return -EPROTO;
}

/*
 * One request; a status other than 200 becomes an error naming the step, the URL, the status
 * and the broker's problem report. On success resp holds the answer.
 */
static int kbs_client_request(struct kbs_client *c, const char *step, const char *method,
			      const char *target, const char *const *headers, const char *body,
			      size_t body_len, uint64_t deadline, struct http_response *resp,
			      struct error *e)
{
	const struct http_request req = {
		.method = method,
		.target = target,
		.headers = headers,
		.content_type = body ? "application/json" : NULL,
		.body = body,
		.body_len = body_len,
	};
	char problem[KBS_PROBLEM_MAX];
	int r;

	if (!c->url.https && c->warn) {
		char msg[KBS_URL_TEXT_MAX + 96];

		snprintf(msg, sizeof(msg),
			 "%s %s over plain HTTP: anyone on the path can read and change it", step,
			 c->url_text);
		c->warn(c->userdata, msg);
	}
	r = http_session_exchange(&c->http, &req, deadline, resp, e);
	if (r < 0)
		return error_prefix(e, "%s %s", step, c->url_text);
	if (resp->status == 200)
		return 0;
	if (resp->status >= 300 && resp->status <= 399)
		r = error_set(e, -EPROTO, "%s %s: HTTP %d redirect to %.120s, not followed", step,
			      c->url_text, resp->status,
			      resp->location ? resp->location : "(no Location)");
	else {
		kbs_problem_describe(resp->body, resp->body_len, problem, sizeof(problem));
		r = error_set(e, kbs_status_errno(resp->status), "%s %s: HTTP %d: %s", step,
			      c->url_text, resp->status, problem);
	}
	http_response_free(resp);
	return r;
}

int kbs_client_auth(struct kbs_client *c, const char *tee, struct kbs_challenge *challenge,
		    uint64_t deadline, struct error *e)
{
	struct json_writer w;
	struct http_response resp = { 0 };
	int r;

	kbs_client_reset(c);
	json_writer_init(&w, 4096);
	kbs_auth_request_write(&w, tee);
	r = json_writer_finish(&w, e);
	if (r == 0)
		r = kbs_client_request(c, "auth", "POST", "/kbs/v0/auth", NULL, w.buf, w.len,
				       deadline, &resp, e);
	json_writer_free(&w);
	if (r < 0)
		return r;
	/* The body first: when it is not a challenge at all, that is what the user should see. */
	r = kbs_challenge_parse(resp.body, resp.body_len, challenge, e);
	if (r == 0 && !resp.set_cookie)
		r = error_set(e, -EPROTO, "the answer sets no " KBS_COOKIE_NAME " cookie");
	else if (r == 0)
		r = kbs_cookie_parse(resp.set_cookie, c->cookie, e);
	http_response_free(&resp);
	if (r < 0) {
		kbs_client_reset(c);
		/* A malformed answer, not a refusal: worth another try (release.h). */
		e->code = -EPROTO;
		return error_prefix(e, "auth %s", c->url_text);
	}
	return 0;
}

/* "Cookie: kbs-session-id=..." */
static void kbs_cookie_header(const struct kbs_client *c, char *out, size_t size)
{
	snprintf(out, size, "Cookie: %s", c->cookie);
}

int kbs_client_attest(struct kbs_client *c, const char *request, size_t len, uint64_t deadline,
		      struct error *e)
{
	char cookie[KBS_COOKIE_MAX + 16];
	const char *headers[] = { cookie, NULL };
	struct http_response resp;
	int r;

	if (!c->cookie[0])
		return error_set(e, -EINVAL, "attest %s: no session", c->url_text);
	kbs_cookie_header(c, cookie, sizeof(cookie));
	r = kbs_client_request(c, "attest", "POST", "/kbs/v0/attest", headers, request, len,
			       deadline, &resp, e);
	explicit_bzero(cookie, sizeof(cookie));
	if (r < 0)
		return r;
	char *token = NULL;

	secret_free(&c->auth);
	r = kbs_token_parse(resp.body, resp.body_len, &token, e);
	http_response_free(&resp);
	/* The header the resource request sends, made once, in secret memory. */
	if (r == 0)
		r = secret_alloc(&c->auth, sizeof(KBS_BEARER) + strlen(token), e);
	if (r == 0) {
		c->auth.len = c->auth.cap;
		memcpy(c->auth.data, KBS_BEARER, sizeof(KBS_BEARER) - 1);
		memcpy(c->auth.data + sizeof(KBS_BEARER) - 1, token, strlen(token) + 1);
	}
	kbs_wipe_free(token);
	if (r < 0) {
		e->code = -EPROTO;
		return error_prefix(e, "attest %s", c->url_text);
	}
	return 0;
}

int kbs_client_resource(struct kbs_client *c, const char *path, uint64_t deadline, uint8_t **body,
			size_t *len, struct error *e)
{
	_cleanup_(kbs_wipe_freep) char *auth = NULL;
	const char *headers[] = { (const char *)c->auth.data, NULL };
	struct http_response resp;
	int r;

	*body = NULL;
	*len = 0;
	if (c->cookie[0]) {
		auth = malloc(KBS_COOKIE_MAX + 16);
		if (!auth)
			return error_set_errno(e, -ENOMEM, "resource %s", c->url_text);
		kbs_cookie_header(c, auth, KBS_COOKIE_MAX + 16);
		headers[0] = auth;
	} else if (!c->auth.len) {
		return error_set(e, -EINVAL, "resource %s: neither a session nor a token",
				 c->url_text);
	}
	r = kbs_client_request(c, "resource", "GET", path, headers, NULL, 0, deadline, &resp, e);
	if (r < 0)
		return r;
	*body = resp.body;
	*len = resp.body_len;
	resp.body = NULL;
	http_response_free(&resp);
	return 0;
}
