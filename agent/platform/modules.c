/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "modules.h"

#include <errno.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stddef.h>

#include "basic/error.h"

/* libkmod would print to stderr; the caller reports failures through struct error. */
static void modules_log_nothing(void *data, int priority, const char *file, int line,
				const char *fn, const char *format, va_list args)
{
}

int modules_open(struct modules *m, struct error *e)
{
	int r;

	m->kmod = kmod_new(NULL, NULL);
	if (!m->kmod)
		return error_set(e, -ENOMEM, "cannot set up libkmod");
	kmod_set_log_fn(m->kmod, modules_log_nothing, NULL);
	r = kmod_load_resources(m->kmod);
	if (r < 0) {
		kmod_unref(m->kmod);
		m->kmod = NULL;
		return error_set_errno(e, r, "cannot read the module index of the running kernel");
	}
	return 0;
}

void modules_close(struct modules *m)
{
	if (m->kmod)
		kmod_unref(m->kmod);
	m->kmod = NULL;
}

int modules_load(struct modules *m, const char *name, enum module_state *state, struct error *e)
{
	struct kmod_list *list = NULL, *it;
	int r, found = 0;

	r = kmod_module_new_from_lookup(m->kmod, name, &list);
	if (r < 0)
		return error_set_errno(e, r, "module %s: lookup failed", name);
	*state = MODULE_MISSING;
	kmod_list_foreach(it, list)
	{
		struct kmod_module *mod = kmod_module_get_module(it);
		int st = kmod_module_get_initstate(mod);

		found = 1;
		if (st == KMOD_MODULE_BUILTIN || st == KMOD_MODULE_LIVE ||
		    st == KMOD_MODULE_COMING) {
			*state = MODULE_PRESENT;
		} else {
			r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL,
							    NULL, NULL, NULL);
			if (r == 0 && *state != MODULE_PRESENT)
				*state = MODULE_LOADED;
		}
		kmod_module_unref(mod);
		if (r < 0)
			break;
	}
	kmod_module_unref_list(list);
	if (r < 0)
		return error_set_errno(e, r, "module %s: cannot load", name);
	if (!found)
		*state = MODULE_MISSING;
	return 0;
}

const char *module_state_name(enum module_state state)
{
	static const char *const names[] = {
		[MODULE_LOADED] = "loaded",
		[MODULE_PRESENT] = "present",
		[MODULE_MISSING] = "missing",
	};

	return names[state];
}
