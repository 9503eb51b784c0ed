/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "measure/events.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "json/json.h"
#include "basic/macro.h"
#include "basic/path.h"
#include "measure/verity-cmdline.h"

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

/* The members in JCS order (RFC 8785: sorted keys), so the content is its own canonical form. */
static int measure_verity_event(const char *parameter, const char *hex, const char *source,
				unsigned pcr, struct record_event *ev, struct error *e)
{
	uint8_t raw[HASH_MAX_SIZE];
	struct json_writer w;
	size_t n;
	int r;

	/* A root hash is a SHA-256 or larger digest in hex; anything else is a typo to refuse. */
	r = hex_decode(raw, sizeof(raw), hex, strlen(hex), &n, e);
	if (r < 0 || n < 32)
		return r < 0 ? error_prefix(e, "verity %s (%s)", parameter, source)
			     : error_set(e, -EINVAL, "verity %s (%s) is only %zu bytes", parameter,
					 source, n);
	json_writer_init(&w, 4096);
	json_writer_begin_object(&w);
	json_writer_key(&w, "hash");
	json_writer_string(&w, hex);
	json_writer_key(&w, "parameter");
	json_writer_string(&w, parameter);
	json_writer_key(&w, "source");
	json_writer_string(&w, source);
	return measure_event(&w, "rootfs-verity", pcr, ev, e);
}

/* Every check first, so that nothing is made of a command line that is refused. */
static int measure_verity_check(const struct verity_cmdline *v, const char *config_roothash,
				struct error *e)
{
	if (v->roothash && config_roothash && !verity_hash_equal(v->roothash, config_roothash))
		return error_set(e, -EINVAL,
				 "the kernel command line's %sroothash=%.140s is not the "
				 "configuration's [measure] roothash = %.140s",
				 v->roothash_rd ? "rd." : "", v->roothash, config_roothash);
	/*
	 * With verity off the generator attaches nothing (veritysetup-generator.c run()), so a
	 * measured hash would vouch for a root file system that no hash protects.
	 */
	if (v->verity_off && (v->roothash || v->usrhash || config_roothash))
		return error_set(
			e, -EINVAL,
			"%ssystemd.verity=%s turns systemd's verity setup off, but %s sets "
			"a root hash that would then protect nothing",
			v->verity_off_rd ? "rd." : "", v->verity_value,
			v->roothash || v->usrhash ? "the kernel command line"
						  : "the configuration");
	return 0;
}

int measure_verity_events(const char *root, const char *cmdline, const char *config_roothash,
			  unsigned pcr, struct record_event *evs, unsigned max, unsigned *count,
			  struct error *e)
{
	struct verity_cmdline v;
	unsigned n = 0;
	bool has_root;
	int r;

	*count = 0;
	r = verity_systemd_options_check(root, e);
	if (r < 0)
		return r;
	r = verity_cmdline_parse(cmdline, &v, e);
	if (r < 0)
		return r;
	r = measure_verity_check(&v, config_roothash, e);
	has_root = v.roothash || config_roothash;
	if (r >= 0 && (unsigned)has_root + (v.usrhash != NULL) > max)
		r = error_set(e, -E2BIG, "too many items to measure");
	/* A failed event holds nothing: only the ones made are counted and freed. */
	if (r >= 0 && has_root) {
		r = measure_verity_event("roothash", v.roothash ? v.roothash : config_roothash,
					 v.roothash && config_roothash ? "both"
					 : v.roothash		       ? "cmdline"
								       : "config",
					 pcr, &evs[n], e);
		n += r >= 0;
	}
	if (r >= 0 && v.usrhash) {
		r = measure_verity_event("usrhash", v.usrhash, "cmdline", pcr, &evs[n], e);
		n += r >= 0;
	}
	verity_cmdline_free(&v);
	if (r < 0) {
		for (unsigned i = 0; i < n; i++)
			record_event_free(&evs[i]);
		return r;
	}
	*count = n;
	return 0;
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
