/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ini_parse_text() on any bytes, then the write/read round trip of what it accepted. */
#include "config/ini.h"
#include "basic/error.h"
#include "fuzz.h"
#include "schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_settings s = FUZZ_SETTINGS_DEFAULTS;
	struct error e = { 0 };

	if (ini_parse_text(&fuzz_schema, &s, (const char *)data, size, "fuzz", &e) == 0)
		fuzz_settings_round_trip(&s);
	else
		fuzz_check(e.code < 0 && e.msg[0], "a refusal says why");
	ini_free(&fuzz_schema, &s);
	return 0;
}
