/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The measurement plan (agent/measure/plan.h) as a function of the configuration, the kernel
 * command line and the files below a root. The expected events are written out from the
 * formats in agent/measure/events.h and the defaults in mrboot(1) (all four items in PCR
 * 15); the configuration digests are sha256sum's of the
 * files' text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/error.h"
#include "config/settings.h"
#include "measure/plan.h"
#include "tap.h"

#define H64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define A H64("aa")

struct expected {
	unsigned pcr;
	const char *operation;
	const char *content;
};

static char root[] = "/tmp/mrboot-test-plan-XXXXXX";

static void write_config(const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/etc", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/mrboot.conf", root);
	f = fopen(path, "w");
	if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

/* The plan for config and cmdline; its error's message in *msg ("" when it succeeded). */
static int plan_for(const char *config, const char *cmdline, struct measure_plan *plan, char *msg,
		    size_t size)
{
	struct settings s;
	struct error e = { 0 };
	int r;

	write_config(config);
	msg[0] = '\0';
	r = settings_load(&s, root, "/etc/mrboot.conf", cmdline, &e);
	if (r == 0) {
		struct measure_plan_input in = { .root = root, .cmdline = cmdline };

		settings_measure_plan(&s, "/etc/mrboot.conf", &in);
		r = measure_plan_build(plan, &in, &e);
		settings_free(&s);
	}
	if (r < 0)
		snprintf(msg, size, "%s", e.msg);
	return r;
}

static void check_plan(const char *what, const char *config, const char *cmdline,
		       const struct expected *want, unsigned n)
{
	struct measure_plan plan = { 0 };
	char msg[ERROR_MSG_MAX];

	if (!tap_ok(plan_for(config, cmdline, &plan, msg, sizeof(msg)) == 0, "%s: built", what)) {
		tap_diag("%s", msg);
		return;
	}
	tap_is_int(plan.count, n, "%s: %u events", what, n);
	for (unsigned i = 0; i < n && i < plan.count; i++) {
		tap_is_str(plan.ev[i].domain, "mrboot", "%s: event %u is mrboot's", what, i);
		tap_is_str(plan.ev[i].operation, want[i].operation, "%s: event %u is %s", what, i,
			   want[i].operation);
		tap_is_int(plan.ev[i].pcr, want[i].pcr, "%s: %s into PCR %u", what,
			   want[i].operation, want[i].pcr);
		tap_is_str(plan.ev[i].content, want[i].content, "%s: %s content", what,
			   want[i].operation);
	}
	measure_plan_free(&plan);
	tap_is_int(plan.count, 0, "%s: freed", what);
}

static void test_defaults(void)
{
	static const struct expected want[] = {
		{ 15, "kernel-cmdline", "{\"cmdline\":\"BOOT_IMAGE=/vmlinuz ro quiet\"}" },
		{ 15, "config",
		  "{\"path\":\"/etc/mrboot.conf\",\"sha256\":"
		  "\"68e18766af6d9b2b40f0661d18286db284b9ee8c374d242ff22c2f28bea862b8\"}" },
		{ 15, "file", "{\"path\":\"/etc/absent.conf\",\"absent\":true}" },
		{ 15, "separator", "{\"phase\":\"measurements-done\"}" },
	};

	check_plan("defaults and a missing file", "[measure]\nfile = /etc/absent.conf\n",
		   "BOOT_IMAGE=/vmlinuz ro quiet", want, 4);
}

static void test_verity(void)
{
	static const struct expected want[] = {
		{ 15, "kernel-cmdline", "{\"cmdline\":\"ro roothash=" A "\"}" },
		{ 15, "config",
		  "{\"path\":\"/etc/mrboot.conf\",\"sha256\":"
		  "\"68e18766af6d9b2b40f0661d18286db284b9ee8c374d242ff22c2f28bea862b8\"}" },
		{ 15, "file", "{\"path\":\"/etc/absent.conf\",\"absent\":true}" },
		{ 15, "rootfs-verity",
		  "{\"hash\":\"" A "\",\"parameter\":\"roothash\",\"source\":\"cmdline\"}" },
		{ 15, "separator", "{\"phase\":\"measurements-done\"}" },
	};

	check_plan("a verity root hash on the command line", "[measure]\nfile = /etc/absent.conf\n",
		   "ro roothash=" A, want, 5);
}

static void test_no_cmdline(void)
{
	static const struct expected want[] = {
		{ 15, "config",
		  "{\"path\":\"/etc/mrboot.conf\",\"sha256\":"
		  "\"c46a0a530316b16fada42be4ebf24002a3286b28f6e5742d29da26f6400e1361\"}" },
		{ 15, "separator", "{\"phase\":\"measurements-done\"}" },
	};

	check_plan("cmdline = no", "[measure]\ncmdline = no\n", "ro quiet", want, 2);
}

static void test_verity_missing(void)
{
	struct measure_plan plan = { 0 };
	char msg[ERROR_MSG_MAX];
	int r = plan_for("[measure]\ncmdline = no\nrootfs = verity\n", "ro quiet", &plan, msg,
			 sizeof(msg));

	tap_is_int(r, -ENOENT, "rootfs = verity without a root hash: refused");
	tap_ok(strstr(msg, "rootfs = verity") != NULL, "and the message names the setting (%s)",
	       msg);
	tap_is_int(plan.count, 0, "and the plan is left empty");
}

static void test_verity_disagrees(void)
{
	struct measure_plan plan = { 0 };
	char msg[ERROR_MSG_MAX];
	int r = plan_for("[measure]\nroothash = " H64("bb") "\n", "ro roothash=" A, &plan, msg,
			 sizeof(msg));

	tap_ok(r < 0, "a command line root hash that is not the configuration's: refused");
	tap_is_int(plan.count, 0, "and nothing is planned (the command line event was freed)");
}

int main(void)
{
	char path[256];

	if (!mkdtemp(root)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_defaults();
	test_verity();
	test_no_cmdline();
	test_verity_missing();
	test_verity_disagrees();
	snprintf(path, sizeof(path), "%s/etc/mrboot.conf", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/etc", root);
	rmdir(path);
	rmdir(root);
	return tap_done();
}
