/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "measure/plan.h"

#include <errno.h>

#include "basic/error.h"
#include "basic/macro.h"
#include "measure/events.h"

const char *measure_rootfs_name(int rootfs)
{
	static const char *const names[] = { "auto", "verity", "device", "none" };

	return rootfs >= 0 && (size_t)rootfs < ARRAY_SIZE(names) ? names[rootfs] : NULL;
}

void measure_plan_free(struct measure_plan *plan)
{
	for (unsigned i = 0; i < plan->count; i++)
		record_event_free(&plan->ev[i]);
	plan->count = 0;
}

static struct record_event *plan_next(struct measure_plan *plan, struct error *e)
{
	if (plan->count == MEASURE_PLAN_MAX) {
		error_set(e, -E2BIG, "more than %d items to measure", MEASURE_PLAN_MAX);
		return NULL;
	}
	return &plan->ev[plan->count++];
}

static int plan_rootfs(struct measure_plan *plan, const struct measure_plan_input *in,
		       struct error *e)
{
	struct record_event *ev;
	unsigned n = 0;
	int r;

	switch (in->rootfs) {
	case MEASURE_ROOTFS_AUTO:
	case MEASURE_ROOTFS_VERITY:
		r = measure_verity_events(in->root, in->cmdline, in->roothash, in->pcr_rootfs,
					  plan->ev + plan->count, MEASURE_PLAN_MAX - plan->count,
					  &n, e);
		if (r < 0)
			return r;
		plan->count += n;
		if (n == 0 && in->rootfs == MEASURE_ROOTFS_VERITY)
			return error_set(e, -ENOENT,
					 "rootfs = verity, but neither the kernel command line "
					 "(roothash=, usrhash=, as systemd reads them) nor the "
					 "configuration (roothash) has a root hash");
		return 0;
	case MEASURE_ROOTFS_DEVICE:
		if (!in->rootfs_device)
			return error_set(e, -EINVAL, "rootfs = device needs rootfs-device");
		if (!(ev = plan_next(plan, e)))
			return e->code;
		return measure_device_event(in->device_root ? in->device_root : in->root,
					    in->rootfs_device, in->pcr_rootfs, in->progress, ev, e);
	case MEASURE_ROOTFS_NONE:
		break;
	}
	return 0;
}

static int plan_items(struct measure_plan *plan, const struct measure_plan_input *in,
		      struct error *e)
{
	struct record_event *ev;
	int r;

	if (in->cmdline_event) {
		if (!(ev = plan_next(plan, e)))
			return e->code;
		r = measure_cmdline_event(in->cmdline, in->pcr_cmdline, ev, e);
		if (r < 0)
			return r;
	}
	if (in->config_event) {
		if (!(ev = plan_next(plan, e)))
			return e->code;
		r = measure_config_event(in->config_path, in->config_sha256, in->pcr_config, ev, e);
		if (r < 0)
			return r;
	}
	for (char *const *f = in->files; f && *f; f++) {
		if (!(ev = plan_next(plan, e)))
			return e->code;
		r = measure_file_event(in->root, *f, "file", in->pcr_config, ev, e);
		if (r < 0)
			return r;
	}
	r = plan_rootfs(plan, in, e);
	if (r < 0)
		return r;
	if (!(ev = plan_next(plan, e)))
		return e->code;
	return measure_separator_event(in->pcr_separator, ev, e);
}

int measure_plan_build(struct measure_plan *plan, const struct measure_plan_input *in,
		       struct error *e)
{
	int r;

	*plan = (struct measure_plan){ 0 };
	r = plan_items(plan, in, e);
	if (r < 0)
		measure_plan_free(plan);
	return r;
}
