/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli/tool-volume.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "evlog/eventlog.h"
#include "json/json.h"
#include "luks/volume-identity.h"
#include "luks/volume-resource.h"
#include "luks/volume-source.h"
#include "basic/macro.h"
#include "measure/events.h"
#include "net/deadline.h"
#include "basic/path.h"

/* How often the device is looked for while udev may still be making its link. */
#define VOLUME_DEVICE_POLL_MS 100
/* cryptsetup close, also after the deadline has passed. */
#define VOLUME_CLOSE_TIMEOUT_MS 10000

static bool volume_mapped(const char *root, const char *name)
{
	char mapper[PATH_MAX], joined[PATH_MAX];

	snprintf(mapper, sizeof(mapper), "/dev/mapper/%s", name);
	return path_join_root(joined, sizeof(joined), root, mapper) == 0 &&
	       access(joined, F_OK) == 0;
}

/* The device under root, waited for until the deadline (udev makes /dev/disk/by-uuid). */
static int volume_device(struct tool *tool, const char *name, const char *cmdline,
			 uint64_t deadline, char device[PATH_MAX], char joined[PATH_MAX],
			 struct error *e)
{
	bool said = false;
	int r;

	r = volume_source_find(tool->root, name, cmdline, device, PATH_MAX, e);
	if (r < 0)
		return r;
	r = path_join_root(joined, PATH_MAX, tool->root, device);
	if (r < 0)
		return error_set_errno(e, r, "%s under %s", device, tool->root);
	while (access(joined, F_OK) < 0) {
		if (deadline_left_ms(deadline) == 0)
			return error_set(e, -ETIMEDOUT, "volume %s: its device %s did not appear",
					 name, device);
		if (!said)
			log_info(&tool->log, "volume %s: waiting for %s", name, device);
		said = true;
		usleep(VOLUME_DEVICE_POLL_MS * 1000);
	}
	return 0;
}

static int volume_measure(struct tool *tool, struct context *ctx, const char *name,
			  const char *device, const struct volume_key *vk, const char *id_hex)
{
	struct record_event ev = { 0 };
	struct json_writer w;
	struct error e = { 0 };
	int r;

	json_writer_init(&w, 4096);
	json_writer_begin_object(&w);
	json_writer_key(&w, "name");
	json_writer_string(&w, name);
	json_writer_key(&w, "uuid");
	json_writer_string(&w, vk->uuid);
	json_writer_key(&w, "volume-key-id");
	json_writer_string(&w, id_hex);
	json_writer_key(&w, "device");
	json_writer_string(&w, device);
	json_writer_end_object(&w);
	r = json_writer_finish(&w, &e);
	if (r == 0)
		r = record_event_set(&ev, (unsigned)ctx->settings.pcr_rootfs, MEASURE_DOMAIN,
				     "volume", w.buf, false, MEASURE_DOMAIN, &e);
	json_writer_free(&w);
	if (r < 0) {
		log_error(&tool->log, &e, "volume event");
		return EXIT_FAILED;
	}
	r = tool_measure_one(tool, ctx, &ev);
	record_event_free(&ev);
	return r;
}

/* One volume whose resource names its identity: checked, opened, measured; or refused. */
static int volume_bind_one(struct tool *tool, struct context *ctx, const char *name,
			   const struct volume_resource *res, uint64_t deadline, bool *opened)
{
	char device[PATH_MAX], joined[PATH_MAX], want[VOLUME_IDENTITY_HEX_SIZE],
		got[VOLUME_IDENTITY_HEX_SIZE];
	uint8_t id[VOLUME_IDENTITY_SIZE];
	struct volume_key vk = { 0 };
	struct error e = { 0 };
	int r;

	hex_encode(want, res->identity, VOLUME_IDENTITY_SIZE);
	if (volume_mapped(tool->root, name)) {
		log_err(&tool->log,
			"volume %s is already open, by something that did not check it against "
			"the broker's identity %s: closing it again",
			name, want);
		if (volume_deactivate(name, deadline_after_ms(VOLUME_CLOSE_TIMEOUT_MS), &e) < 0)
			log_error(&tool->log, &e, "volume");
		return EXIT_VOLUME;
	}
	if (volume_device(tool, name, ctx->cmdline, deadline, device, joined, &e) < 0 ||
	    volume_key_read(joined, &res->passphrase, deadline, &vk, &e) < 0 ||
	    volume_identity_compute(vk.key.data, vk.key.len, name, vk.uuid, id, &e) < 0) {
		log_error(&tool->log, &e, "volume");
		volume_key_free(&vk);
		return EXIT_VOLUME;
	}
	hex_encode(got, id, VOLUME_IDENTITY_SIZE);
	if (!volume_identity_equal(id, res->identity)) {
		log_err(&tool->log,
			"volume %s on %s (LUKS UUID %s) is not the enrolled volume: its identity "
			"(volume key id) is %s, the broker expects %s; not opened, the boot stays "
			"locked",
			name, device, vk.uuid, got, want);
		volume_key_free(&vk);
		return EXIT_VOLUME;
	}
	r = volume_activate(joined, name, &vk.key, deadline, &e);
	if (r < 0) {
		log_error(&tool->log, &e, "volume");
		volume_key_free(&vk);
		return EXIT_VOLUME;
	}
	*opened = true;
	log_notice(&tool->log,
		   "volume %s on %s (LUKS UUID %s) is the enrolled volume (volume key "
		   "id %s): opened with its checked key",
		   name, device, vk.uuid, got);
	r = volume_measure(tool, ctx, name, device, &vk, got);
	volume_key_free(&vk);
	if (r != EXIT_OK) {
		log_err(&tool->log, "volume %s: its identity could not be measured", name);
		return EXIT_VOLUME;
	}
	return EXIT_OK;
}

int tool_volume_bind(struct tool *tool, struct context *ctx, char *const *volumes,
		     struct secret *keys, size_t n, bool *opened)
{
	const struct settings *s = &ctx->settings;
	uint64_t deadline = deadline_after_ms(s->unlock_timeout * 1000);
	struct error e = { 0 };
	int r = EXIT_OK;

	for (size_t i = 0; i < n; i++)
		opened[i] = false;
	for (size_t i = 0; r == EXIT_OK && i < n; i++) {
		struct volume_resource res;

		if (volume_resource_parse(&keys[i], &res, &e) < 0) {
			log_error(&tool->log, &e, volumes[i]);
			r = EXIT_VOLUME;
			break;
		}
		if (res.has_identity) {
			r = volume_bind_one(tool, ctx, volumes[i], &res, deadline, &opened[i]);
		} else if (s->unlock_volume_identity == SETTINGS_VOLUME_IDENTITY_REQUIRED) {
			log_err(&tool->log,
				"volume %s: the broker's resource holds no volume identity, so "
				"nothing would bind the volume the key opens to the enrolled one; "
				"refused ([unlock] volume-identity = required). Put "
				"{\"passphrase\",\"volume-key-id\"} in the resource (mrboot "
				"volume-identity --resource)",
				volumes[i]);
			r = EXIT_VOLUME;
		} else {
			log_warning(
				&tool->log,
				"volume %s: the broker's resource holds no volume identity: the "
				"key is handed off unbound ([unlock] volume-identity = "
				"optional)",
				volumes[i]);
			/* The bare passphrase is the released bytes themselves. */
		}
		volume_resource_free(&res);
	}
	if (r != EXIT_OK) {
		for (size_t i = 0; i < n; i++) {
			if (!opened[i])
				continue;
			if (volume_deactivate(volumes[i],
					      deadline_after_ms(VOLUME_CLOSE_TIMEOUT_MS), &e) < 0)
				log_error(&tool->log, &e, "volume");
			else
				log_notice(&tool->log, "volume %s closed again", volumes[i]);
			opened[i] = false;
		}
	}
	return r;
}
