/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What detection and the tsm-mr backend read from sysfs and configfs, as bytes a kernel (or
 * an emulator, or a root file system under --root) could hand them. The first input byte
 * picks the parser, the rest is the text:
 *   0: tsm_mr_parse_name(), an attribute name of the measurements group
 *   1: detect_attr_text(), a small text attribute (provider, TPM version), with the buffer
 *      size from the second byte
 *   2: detect_cpuinfo_has_flag(), /proc/cpuinfo, for each flag detection asks about
 * Each result is held to the rule written out here a second time.
 */
#include <errno.h>
#include <string.h>

#include "basic/error.h"
#include "fuzz.h"
#include "crypto/hash.h"
#include "mr/tsm-mr.h"
#include "platform/detect.h"

static void check_register_name(const char *name)
{
	struct tsm_mr_register reg;
	struct error e = { 0 };
	const char *colon = strchr(name, ':');
	size_t n = colon ? (size_t)(colon - name) : strlen(name), digits = 0;
	int r = tsm_mr_parse_name(&reg, name, &e);

	if (r < 0) {
		fuzz_check(e.code == r && (r == -EINVAL || r == -EOPNOTSUPP),
			   "a refused name is -EINVAL or -EOPNOTSUPP");
		return;
	}
	fuzz_check(strlen(name) < sizeof(reg.file) && n > 0, "an accepted name fits");
	fuzz_check(strcmp(reg.file, name) == 0, "file is the attribute name");
	fuzz_check(strlen(reg.name) == n && memcmp(reg.name, name, n) == 0,
		   "name is what comes before the colon");
	fuzz_check(reg.has_alg == (colon != NULL), "a hash suffix is accepted only when known");
	if (reg.has_alg)
		fuzz_check(strcmp(hash_info(reg.alg)->name, colon + 1) == 0,
			   "the algorithm is the one the suffix names");
	while (digits < n && name[n - 1 - digits] >= '0' && name[n - 1 - digits] <= '9')
		digits++;
	if (digits == 0 || digits > 2 || digits == n)
		fuzz_check(reg.index == -1, "no index without one or two trailing digits");
	else
		fuzz_check(reg.index == (digits == 2 ? 10 * (name[n - 2] - '0') : 0) +
						(name[n - 1] - '0'),
			   "the index is the trailing number");
}

static void check_attr_text(const uint8_t *data, size_t size, size_t buffer)
{
	char *text = malloc(size + 1);
	size_t len = size;
	int r;

	fuzz_check(text != NULL, "memory for the text");
	memcpy(text, data, size);
	text[size] = '\0';
	r = detect_attr_text(text, size, buffer);
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == ' '))
		len--;
	if (len >= buffer || memchr(data, '\0', len))
		fuzz_check(r == -EINVAL, "a value that does not fit, or holds a NUL, is refused");
	else
		fuzz_check(r == (int)len && memcmp(text, data, len) == 0 && text[len] == '\0',
			   "the value is the text without its trailing newlines and spaces");
	free(text);
}

/* The first line that starts with "flags", split at spaces after its first colon. */
static int reference_has_flag(const char *text, const char *flag)
{
	const char *line = text;

	while (*line) {
		size_t n = strcspn(line, "\n");

		if (n > 0 && strncmp(line, "flags", 5) == 0 && n >= 5) {
			const char *colon = memchr(line, ':', n);

			for (const char *w = colon; w && w < line + n;) {
				size_t k;

				while (w < line + n && (*w == ' ' || *w == ':'))
					w++;
				k = strcspn(w, " \n");
				if (k == strlen(flag) && memcmp(w, flag, k) == 0)
					return 1;
				if (k == 0)
					break;
				w += k;
			}
			return 0;
		}
		line += n;
		while (*line == '\n')
			line++;
	}
	return 0;
}

static void check_cpuinfo(const uint8_t *data, size_t size)
{
	static const char *const flags[] = { "tdx_guest", "sev", "sev_snp", "hypervisor" };
	char *text = malloc(size + 1);

	fuzz_check(text != NULL, "memory for the text");
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		memcpy(text, data, size);
		text[size] = '\0';
		fuzz_check(detect_cpuinfo_has_flag(text, flags[i]) ==
				   reference_has_flag((const char *)data, flags[i]),
			   "the flag is found exactly when the first flags line lists it");
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 2)
		return 0;
	switch (data[0] % 3) {
	case 0:
		text = strndup((const char *)data + 1, size - 1);
		fuzz_check(text != NULL, "memory for the name");
		check_register_name(text);
		free(text);
		break;
	case 1:
		check_attr_text(data + 2, size - 2, data[1] + 1u);
		break;
	default:
		/* The reference reads up to the first NUL, as the C string the agent gets. */
		text = strndup((const char *)data + 1, size - 1);
		fuzz_check(text != NULL, "memory for the text");
		check_cpuinfo((const uint8_t *)text, strlen(text));
		free(text);
		break;
	}
	return 0;
}
