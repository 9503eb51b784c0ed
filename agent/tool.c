/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tool.h"

#include "error.h"

int tool_load_settings(struct tool *tool, struct settings *settings)
{
	struct error e = { 0 };
	int target, level;

	if (settings_load(settings, tool->root, tool->config_path, &e) < 0) {
		log_error(&tool->log, &e, "configuration");
		return EXIT_CONFIG;
	}
	target = tool->log_target >= 0 ? tool->log_target : settings->log_target;
	level = tool->log_level >= 0 ? tool->log_level : settings_log_priority(settings);
	log_close(&tool->log);
	log_open(&tool->log, (enum log_target)target, tool->root, level);
	return EXIT_OK;
}
