/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "measure.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "encoding.h"
#include "error.h"
#include "json.h"
#include "macro.h"
#include "path.h"

/* Finishes a content object and makes the event of it. */
static int measure_event(struct json_writer *w, const char *operation, unsigned pcr,
			 struct record_event *ev, struct error *e)
{
	int r;

	json_writer_end_object(w);
	r = json_writer_finish(w, e);
	if (r >= 0)
		r = record_event_set(ev, pcr, MEASURE_DOMAIN, operation, w->buf, false,
				     MEASURE_DOMAIN, e);
	json_writer_free(w);
	return r;
}

int measure_cmdline_event(const char *cmdline, unsigned pcr, struct record_event *ev,
			  struct error *e)
{
	struct json_writer w;

	json_writer_init(&w, 1u << 20);
	json_writer_begin_object(&w);
	json_writer_key(&w, "cmdline");
	json_writer_string(&w, cmdline);
	return measure_event(&w, "kernel-cmdline", pcr, ev, e);
}

/* {"path":...,"sha256":...}, or {"path":...,"absent":true} when digest is NULL. */
static int measure_digest_event(const char *path, const char *operation, const uint8_t *digest,
				unsigned pcr, struct record_event *ev, struct error *e)
{
	char hex[2 * 32 + 1];
	struct json_writer w;

	json_writer_init(&w, 1u << 20);
	json_writer_begin_object(&w);
	json_writer_key(&w, "path");
	json_writer_string(&w, path);
	if (!digest) {
		json_writer_key(&w, "absent");
		json_writer_bool(&w, true);
		return measure_event(&w, operation, pcr, ev, e);
	}
	hex_encode(hex, digest, 32);
	json_writer_key(&w, "sha256");
	json_writer_string(&w, hex);
	return measure_event(&w, operation, pcr, ev, e);
}

int measure_file_event(const char *root, const char *path, const char *operation, unsigned pcr,
		       struct record_event *ev, struct error *e)
{
	_cleanup_close_ int fd = -1;
	uint8_t digest[HASH_MAX_SIZE];
	char p[PATH_MAX];
	int r;

	r = path_join_root(p, sizeof(p), root, path);
	if (r < 0)
		return error_set_errno(e, r, "%s under %s", path, root);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return measure_digest_event(path, operation, NULL, pcr, ev, e);
	if (fd < 0)
		return error_set_errno(e, -errno, "cannot open %s", p);
	r = hash_fd(HASH_SHA256, fd, digest, NULL, NULL, e);
	if (r < 0)
		return error_prefix(e, "%s", p);
	return measure_digest_event(path, operation, digest, pcr, ev, e);
}

int measure_config_event(const char *path, const uint8_t *sha256, unsigned pcr,
			 struct record_event *ev, struct error *e)
{
	return measure_digest_event(path, "config", sha256, pcr, ev, e);
}

static int measure_verity_event(const char *parameter, const char *hex, unsigned pcr,
				struct record_event *ev, struct error *e)
{
	uint8_t raw[HASH_MAX_SIZE];
	struct json_writer w;
	size_t n;
	int r;

	/* A root hash is a SHA-256 or larger digest in hex; anything else is a typo to refuse. */
	r = hex_decode(raw, sizeof(raw), hex, strlen(hex), &n, e);
	if (r < 0 || n < 32)
		return r < 0 ? error_prefix(e, "verity root hash %s", parameter)
			     : error_set(e, -EINVAL, "verity root hash %s is only %zu bytes",
					 parameter, n);
	json_writer_init(&w, 4096);
	json_writer_begin_object(&w);
	json_writer_key(&w, "parameter");
	json_writer_string(&w, parameter);
	json_writer_key(&w, "hash");
	json_writer_string(&w, hex);
	return measure_event(&w, "rootfs-verity", pcr, ev, e);
}

struct verity_scan {
	unsigned pcr, max, count;
	struct record_event *evs;
	struct error *e;
};

static int measure_verity_param(const char *key, const char *value, void *userdata)
{
	static const char *const params[] = { "roothash", "usrhash", "systemd.verity_root_hash" };
	struct verity_scan *v = userdata;

	for (size_t i = 0; i < ARRAY_SIZE(params); i++) {
		if (strcmp(key, params[i]) != 0)
			continue;
		if (!value || !*value)
			return error_set(v->e, -EINVAL, "kernel command line: %s= has no value",
					 key);
		if (v->count == v->max)
			return error_set(v->e, -E2BIG, "kernel command line: too many root hashes");
		return measure_verity_event(key, value, v->pcr, &v->evs[v->count++], v->e) < 0
			       ? v->e->code
			       : 0;
	}
	return 0;
}

int measure_verity_events(const char *cmdline, unsigned pcr, struct record_event *evs, unsigned max,
			  unsigned *count, struct error *e)
{
	struct verity_scan v = { .pcr = pcr, .max = max, .evs = evs, .e = e };
	_cleanup_free_ char *copy = strdup(cmdline);
	int r;

	if (!copy)
		return error_set_errno(e, -ENOMEM, "kernel command line");
	r = cmdline_parse(copy, measure_verity_param, &v, e);
	*count = v.count;
	if (r < 0) {
		for (unsigned i = 0; i < v.count; i++)
			record_event_free(&evs[i]);
		*count = 0;
	}
	return r < 0 ? r : 0;
}

int measure_verity_config_event(const char *hex, unsigned pcr, struct record_event *ev,
				struct error *e)
{
	return measure_verity_event("config", hex, pcr, ev, e);
}

int measure_device_event(const char *root, const char *device, unsigned pcr,
			 const struct hash_progress *progress, struct record_event *ev,
			 struct error *e)
{
	_cleanup_close_ int fd = -1;
	uint8_t digest[HASH_MAX_SIZE];
	char p[PATH_MAX], hex[2 * HASH_MAX_SIZE + 1];
	struct json_writer w;
	uint64_t size;
	int r;

	r = path_join_root(p, sizeof(p), root, device);
	if (r < 0)
		return error_set_errno(e, r, "%s under %s", device, root);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_set_errno(e, -errno, "cannot open the root device %s", p);
	r = hash_fd(HASH_SHA256, fd, digest, &size, progress, e);
	if (r < 0)
		return error_prefix(e, "root device %s", p);
	hex_encode(hex, digest, 32);
	json_writer_init(&w, 4096);
	json_writer_begin_object(&w);
	json_writer_key(&w, "device");
	json_writer_string(&w, device);
	json_writer_key(&w, "size");
	json_writer_uint64(&w, size);
	json_writer_key(&w, "sha256");
	json_writer_string(&w, hex);
	return measure_event(&w, "rootfs-device", pcr, ev, e);
}

int measure_separator_event(unsigned pcr, struct record_event *ev, struct error *e)
{
	struct json_writer w;

	json_writer_init(&w, 4096);
	json_writer_begin_object(&w);
	json_writer_key(&w, "phase");
	json_writer_string(&w, "measurements-done");
	return measure_event(&w, "separator", pcr, ev, e);
}
