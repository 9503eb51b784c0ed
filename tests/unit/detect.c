/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The text parsing of platform detection: small sysfs and configfs attributes as the kernel
 * writes them (a value and a newline), and the flags line of /proc/cpuinfo as x86 writes it
 * ("flags\t\t: fpu vme ... tdx_guest"). Whole trees are tests/integration/detect.sh's.
 */
#include <errno.h>
#include <string.h>

#include "platform/detect.h"
#include "tap.h"

static int attr(const char *text, size_t size, char *out)
{
	size_t len = strlen(text);

	memcpy(out, text, len + 1);
	return detect_attr_text(out, len, size);
}

static void test_attr_text(void)
{
	char buf[64];
	int r;

	r = attr("tdx_guest\n", 16, buf);
	tap_ok(r == 9 && strcmp(buf, "tdx_guest") == 0, "a provider name loses its newline");
	r = attr("2 \n\n", 16, buf);
	tap_ok(r == 1 && strcmp(buf, "2") == 0, "trailing spaces and newlines all go");
	r = attr(" 1", 16, buf);
	tap_ok(r == 2 && strcmp(buf, " 1") == 0, "a leading space stays");
	r = attr("\n", 16, buf);
	tap_ok(r == 0 && buf[0] == '\0', "an attribute of a newline alone is empty");
	r = attr("123456789012345\n", 16, buf);
	tap_is_int(r, 15, "15 bytes fit a 16-byte buffer");
	r = attr("1234567890123456\n", 16, buf);
	tap_is_int(r, -EINVAL, "16 bytes do not fit a 16-byte buffer with the NUL");
	memcpy(buf, "a\0b\n", 5);
	r = detect_attr_text(buf, 4, 16);
	tap_is_int(r, -EINVAL, "a NUL inside the value is refused");
}

static int has_flag(const char *cpuinfo, const char *flag)
{
	char buf[512];

	strcpy(buf, cpuinfo);
	return detect_cpuinfo_has_flag(buf, flag);
}

static void test_cpuinfo(void)
{
	static const char x86[] = "processor\t: 0\n"
				  "vendor_id\t: GenuineIntel\n"
				  "flags\t\t: fpu vme de tdx_guest x2apic\n"
				  "bugs\t\t: spectre_v1\n"
				  "\n"
				  "processor\t: 1\n"
				  "flags\t\t: fpu vme de x2apic sev\n";

	tap_ok(has_flag(x86, "tdx_guest"), "a flag in the middle of the line is found");
	tap_ok(has_flag(x86, "fpu"), "the first flag after the colon is found");
	tap_ok(has_flag(x86, "x2apic"), "the last flag of the line is found");
	tap_ok(!has_flag(x86, "tdx"), "a prefix of a flag is not the flag");
	tap_ok(!has_flag(x86, "sev"), "only the first CPU's flags line counts");
	tap_ok(!has_flag(x86, "spectre_v1"), "other lines are not flags");
	tap_ok(!has_flag("processor\t: 0\n", "fpu"), "no flags line, no flag");
	tap_ok(!has_flag("flags\n", "fpu"), "a flags line without a colon lists nothing");
	tap_ok(has_flag("flags\t\t: sev", "sev"), "a flags line without a final newline");
}

int main(void)
{
	test_attr_text();
	test_cpuinfo();
	return tap_done();
}
