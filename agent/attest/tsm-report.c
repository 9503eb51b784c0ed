/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "attest/tsm-report.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "basic/file.h"
#include "basic/macro.h"
#include "basic/path.h"

/* How many names to try when another report directory already has the one we drew. */
#define NAME_ATTEMPTS 8
/* The highest privilege level a provider can take (TSM_REPORT_PRIVLEVEL_MAX, GHCB VMPL3). */
#define PRIVLEVEL_MAX 3
/* Text attributes here are a provider name or a decimal number. */
#define TEXT_MAX 64
/* First allocation for a binary attribute, doubled as needed (an SEV-SNP report fits). */
#define BLOB_FIRST_ALLOC 4096

/* The inblob lengths each guest driver accepts; its report_new() answers EINVAL otherwise. */
static const struct {
	const char *provider;
	size_t min, max;
	const char *field;
} inblob_rules[] = {
	{ "tdx_guest", 64, 64, "TDX REPORTDATA" },
	{ "sev_guest", 64, 64, "SEV-SNP REPORT_DATA" },
	{ "arm_cca_guest", 32, 64, "Arm CCA challenge" },
};

/* One report directory: where it is, for the messages, and what has been written to it. */
struct report_dir {
	int fd;
	const char *path;
	unsigned long generation; /* read before the first write */
	unsigned writes;	  /* attributes written since, each one generation */
};

static void blob_free(struct tsm_report_blob *blob)
{
	free(blob->data);
	blob->data = NULL;
	blob->len = 0;
}

void tsm_report_free(struct tsm_report *report)
{
	if (!report)
		return;
	free(report->provider);
	blob_free(&report->outblob);
	blob_free(&report->auxblob);
	blob_free(&report->manifestblob);
	memset(report, 0, sizeof(*report));
}

/*
 * Reads a text attribute (configfs answers one line of at most a page) without its newline.
 * -ENOENT is returned with a message, for callers to whom an absent attribute is fine.
 */
static int attr_read_text(const struct report_dir *d, const char *attr, char *buf, size_t size,
			  struct error *e)
{
	_cleanup_close_ int fd = -1;
	ssize_t r;
	size_t n;

	fd = openat(d->fd, attr, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(e, -errno, "%s/%s", d->path, attr);
	r = file_read_full(fd, buf, size);
	if (r < 0)
		return error_set_errno(e, (int)r, "reading %s/%s", d->path, attr);
	n = (size_t)r;
	if (n == size)
		return error_set(e, -EOVERFLOW, "%s/%s: longer than %zu bytes", d->path, attr,
				 size - 1);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	if (strlen(buf) != n)
		return error_set(e, -EINVAL, "%s/%s: holds a NUL byte", d->path, attr);
	return 0;
}

static int attr_read_ulong(const struct report_dir *d, const char *attr, unsigned long *value,
			   struct error *e)
{
	char text[TEXT_MAX], *end;
	int r;

	r = attr_read_text(d, attr, text, sizeof(text), e);
	if (r < 0)
		return r;
	errno = 0;
	*value = strtoul(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end || errno)
		return error_set(e, -EINVAL, "%s/%s: '%s' is not a decimal number", d->path, attr,
				 text);
	return 0;
}

/*
 * Reads a binary attribute to its end. configfs gives binary attributes a size of 0, so the
 * size cannot be asked first; and the kernel fills the whole blob on the first read (where a
 * provider's refusal shows up), then serves it in pieces.
 */
static int attr_read_blob(const struct report_dir *d, const char *attr,
			  struct tsm_report_blob *blob, struct error *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	fd = openat(d->fd, attr, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(e, -errno, "%s/%s", d->path, attr);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			/* One byte past the limit, so that a larger blob is seen to be larger. */
			size_t want = cap ? cap * 2 : BLOB_FIRST_ALLOC;
			uint8_t *grown;

			if (cap > TSM_REPORT_BLOB_MAX)
				return error_set(e, -EFBIG, "%s/%s: larger than %u bytes", d->path,
						 attr, TSM_REPORT_BLOB_MAX);
			if (want > (size_t)TSM_REPORT_BLOB_MAX + 1)
				want = (size_t)TSM_REPORT_BLOB_MAX + 1;
			grown = realloc(buf, want);
			if (!grown)
				return error_set_errno(e, -ENOMEM, "reading %s/%s", d->path, attr);
			buf = grown;
			cap = want;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EFBIG)
			return error_set_errno(e, -EFBIG,
					       "reading %s/%s (the report is larger than the "
					       "kernel lets the attribute hold)",
					       d->path, attr);
		if (r < 0 && errno == EINVAL)
			return error_set_errno(e, -EINVAL,
					       "reading %s/%s (the provider refused the inblob "
					       "or an option)",
					       d->path, attr);
		if (r < 0)
			return error_set_errno(e, -errno, "reading %s/%s", d->path, attr);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n == 0) {
		blob->data = NULL;
		blob->len = 0;
		return 0;
	}
	blob->data = buf;
	buf = NULL;
	blob->len = n;
	return 0;
}

/* An attribute that may be absent: the provider decides which ones the report shows. */
static int attr_read_blob_optional(const struct report_dir *d, const char *attr,
				   struct tsm_report_blob *blob, struct error *e)
{
	int r = attr_read_blob(d, attr, blob, e);

	if (r == -ENOENT) {
		blob->data = NULL;
		blob->len = 0;
		return 0;
	}
	return r;
}

/*
 * Writes len bytes in one write() and closes the file. configfs stores a text attribute
 * (privlevel) during the write, but buffers a binary one (inblob) and hands it over only when
 * the file is closed; a second write() would add to that buffer. The kernel ignores what the
 * handover returns, so close() cannot report a refused inblob: the generation check after
 * the reads is what proves that every write counted.
 */
static int attr_write(struct report_dir *d, const char *attr, const void *data, size_t len,
		      struct error *e)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int r;

	fd = openat(d->fd, attr, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(e, -errno, "%s/%s", d->path, attr);
	do
		n = write(fd, data, len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EFBIG)
		return error_set_errno(
			e, -EFBIG, "writing %zu bytes to %s/%s, where the kernel takes at most %d",
			len, d->path, attr, TSM_REPORT_INBLOB_MAX);
	if (n < 0 && errno == EINVAL)
		return error_set_errno(e, -EINVAL, "writing %s/%s (the provider refused it)",
				       d->path, attr);
	if (n < 0)
		return error_set_errno(e, -errno, "writing %s/%s", d->path, attr);
	if ((size_t)n != len)
		return error_set(e, -EIO, "writing %s/%s: %zd of %zu bytes taken", d->path, attr, n,
				 len);
	r = close(take_fd(&fd));
	if (r < 0)
		return error_set_errno(e, -errno, "committing %s/%s", d->path, attr);
	d->writes++;
	return 0;
}

static int inblob_check(const char *provider, size_t len, struct error *e)
{
	if (len == 0)
		return error_set(e, -EINVAL, "an empty inblob: the report would bind nothing");
	for (size_t i = 0; i < ARRAY_SIZE(inblob_rules); i++) {
		if (strcmp(provider, inblob_rules[i].provider) != 0)
			continue;
		if (len >= inblob_rules[i].min && len <= inblob_rules[i].max)
			return 0;
		if (inblob_rules[i].min == inblob_rules[i].max)
			return error_set(e, -EINVAL,
					 "provider %s takes an inblob of exactly %zu bytes (%s), "
					 "not %zu",
					 provider, inblob_rules[i].min, inblob_rules[i].field, len);
		return error_set(e, -EINVAL,
				 "provider %s takes an inblob of %zu to %zu bytes (%s), not %zu",
				 provider, inblob_rules[i].min, inblob_rules[i].max,
				 inblob_rules[i].field, len);
	}
	/* A provider this code does not know: the kernel's own limit is the only rule. */
	return 0;
}

/*
 * Writes privlevel where the provider has one (SEV-SNP: the VMPL the report is for), before
 * the inblob so that the report is made with it.
 */
static int privlevel_write(struct report_dir *d, const char *provider,
			   const struct tsm_report_options *opt, struct error *e)
{
	unsigned long floor = 0;
	char text[16];
	int level, r;

	if (faccessat(d->fd, "privlevel", F_OK, 0) < 0) {
		if (errno != ENOENT)
			return error_set_errno(e, -errno, "%s/privlevel", d->path);
		if (opt->privlevel != TSM_REPORT_PRIVLEVEL_FLOOR)
			return error_set(e, -EINVAL,
					 "provider %s has no privlevel, so privlevel %d cannot be "
					 "asked for",
					 provider, opt->privlevel);
		return 0;
	}
	/* The kernel shows privlevel_floor beside privlevel; 0 is its own minimum. */
	r = attr_read_ulong(d, "privlevel_floor", &floor, e);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT)
		floor = 0;
	if (floor > PRIVLEVEL_MAX)
		return error_set(e, -EINVAL, "%s/privlevel_floor: %lu is above %d", d->path, floor,
				 PRIVLEVEL_MAX);
	level = opt->privlevel == TSM_REPORT_PRIVLEVEL_FLOOR ? (int)floor : opt->privlevel;
	if (level < (int)floor || level > PRIVLEVEL_MAX)
		return error_set(e, -EINVAL,
				 "privlevel %d is outside what provider %s takes (privlevel_floor "
				 "%lu to %d)",
				 level, provider, floor, PRIVLEVEL_MAX);
	snprintf(text, sizeof(text), "%d", level);
	return attr_write(d, "privlevel", text, strlen(text), e);
}

/* One request in a report directory of its own; *raced says another writer changed it. */
static int report_fill(struct report_dir *d, const uint8_t *inblob, size_t inblob_len,
		       const struct tsm_report_options *opt, struct tsm_report *rep, bool *raced,
		       struct error *e)
{
	char provider[TEXT_MAX];
	unsigned long generation;
	int r;

	/* Before anything is written: the baseline that every write of ours moves by one. */
	r = attr_read_ulong(d, "generation", &d->generation, e);
	if (r < 0)
		return r;
	r = attr_read_text(d, "provider", provider, sizeof(provider), e);
	if (r < 0)
		return r;
	rep->provider = strdup(provider);
	if (!rep->provider)
		return error_set_errno(e, -ENOMEM, "%s/provider", d->path);
	r = inblob_check(provider, inblob_len, e);
	if (r < 0)
		return r;
	r = privlevel_write(d, provider, opt, e);
	if (r < 0)
		return r;
	r = attr_write(d, "inblob", inblob, inblob_len, e);
	if (r < 0)
		return r;

	r = attr_read_blob(d, "outblob", &rep->outblob, e);
	if (r < 0)
		return r;
	if (rep->outblob.len == 0)
		return error_set(e, -ENODATA, "%s/outblob: provider %s returned an empty report",
				 d->path, provider);
	r = attr_read_blob_optional(d, "auxblob", &rep->auxblob, e);
	if (r < 0)
		return r;
	r = attr_read_blob_optional(d, "manifestblob", &rep->manifestblob, e);
	if (r < 0)
		return r;

	/*
	 * The blobs belong to our writes only if nobody else wrote in between: the kernel counts
	 * every write to the directory and regenerates the report for the newest ones.
	 */
	r = attr_read_ulong(d, "generation", &generation, e);
	if (r < 0)
		return r;
	if (generation != d->generation + d->writes) {
		*raced = true;
		return error_set(e, -EBUSY,
				 "%s: generation went from %lu to %lu over our %u writes: another "
				 "writer raced this report",
				 d->path, d->generation, generation, d->writes);
	}
	rep->generation = generation;
	return 0;
}

/* "mrboot-<pid>-<16 hex digits>": the pid says whose it is, the random part keeps it ours. */
static void report_name(char *buf, size_t size, unsigned attempt)
{
	uint8_t bits[8];
	char hex[2 * sizeof(bits) + 1];

	/*
	 * Early in boot the entropy pool may not be ready, and this name needs no secrecy: if
	 * getrandom() would block, a clock reading does (mkdir's EEXIST catches a collision).
	 */
	if (getrandom(bits, sizeof(bits), GRND_NONBLOCK) != (ssize_t)sizeof(bits)) {
		struct timespec ts;
		uint64_t v;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + attempt;
		memcpy(bits, &v, sizeof(bits));
	}
	hex_encode(hex, bits, sizeof(bits));
	snprintf(buf, size, "mrboot-%ld-%s", (long)getpid(), hex);
}

static int report_mkdir(int parent_fd, const char *parent, char *name, size_t size, struct error *e)
{
	for (unsigned i = 0; i < NAME_ATTEMPTS; i++) {
		report_name(name, size, i);
		if (mkdirat(parent_fd, name, 0700) == 0)
			return 0;
		if (errno == EEXIST)
			continue;
		if (errno == ENXIO)
			return error_set(e, -ENXIO,
					 "no attestation report provider is registered (mkdir in "
					 "%s: No such device or address): tdx_guest, sev_guest or "
					 "arm_cca_guest is not loaded",
					 parent);
		return error_set_errno(e, -errno, "cannot make a report in %s", parent);
	}
	return error_set(e, -EEXIST, "cannot make a report in %s: %d names drawn were all taken",
			 parent, NAME_ATTEMPTS);
}

/* One attempt: a directory of its own, removed again on every path. */
static int report_attempt(int parent_fd, const char *parent, const uint8_t *inblob,
			  size_t inblob_len, const struct tsm_report_options *opt,
			  struct tsm_report *rep, bool *raced, struct error *e)
{
	char name[64], path[PATH_MAX + 64];
	struct report_dir d = { .fd = -1, .path = path };
	int r;

	r = report_mkdir(parent_fd, parent, name, sizeof(name), e);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", parent, name);
	d.fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d.fd < 0)
		r = error_set_errno(e, -errno, "%s", path);
	else
		r = report_fill(&d, inblob, inblob_len, opt, rep, raced, e);
	if (d.fd >= 0)
		close(d.fd);
	/* configfs keeps a report, and the provider's reference, until its directory goes. */
	if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && r == 0)
		r = error_set_errno(e, -errno, "cannot remove the report %s", path);
	if (r < 0)
		tsm_report_free(rep);
	return r;
}

int tsm_report_generate(const char *root, const uint8_t *inblob, size_t inblob_len,
			const struct tsm_report_options *opt, struct tsm_report *out,
			struct error *e)
{
	static const struct tsm_report_options defaults = { .privlevel =
								    TSM_REPORT_PRIVLEVEL_FLOOR };
	_cleanup_close_ int parent_fd = -1;
	char parent[PATH_MAX];
	int r;

	memset(out, 0, sizeof(*out));
	if (!opt)
		opt = &defaults;
	if (!inblob && inblob_len > 0)
		return error_set(e, -EINVAL, "configfs-tsm report: no inblob");

	r = path_join_root(parent, sizeof(parent), root, TSM_REPORT_DIR);
	if (r < 0)
		return error_set_errno(e, r, "%s under %s", TSM_REPORT_DIR, root);
	parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0 && errno == ENOENT)
		return error_set(e, -ENOENT,
				 "configfs-tsm is not available: %s does not exist (configfs not "
				 "mounted at /sys/kernel/config, or tsm_report not loaded)",
				 parent);
	if (parent_fd < 0)
		return error_set_errno(e, -errno, "%s", parent);

	for (unsigned attempt = 1; attempt <= TSM_REPORT_ATTEMPTS; attempt++) {
		bool raced = false;

		r = report_attempt(parent_fd, parent, inblob, inblob_len, opt, out, &raced, e);
		if (r == 0) {
			out->attempts = attempt;
			return 0;
		}
		if (!raced)
			return error_prefix(e, "configfs-tsm report");
	}
	return error_prefix(e, "configfs-tsm report raced in all %d attempts", TSM_REPORT_ATTEMPTS);
}
