/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mrboot volume-identity: what the broker is to expect of a volume (tool-volume.h), computed
 * where the volume is enrolled: systemd's volume key id of DEVICE opened as NAME, and with
 * --resource the whole resource for the broker, {"passphrase","volume-key-id"}.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "basic/encoding.h"
#include "basic/error.h"
#include "basic/file.h"
#include "handoff/handoff.h"
#include "luks/volume-identity.h"
#include "luks/volume-resource.h"
#include "net/deadline.h"
#include "basic/secret.h"
#include "cli/tool.h"

#define VOLUME_IDENTITY_TIMEOUT_MS 120000
#define VOLUME_PASSPHRASE_MAX 8192

/* The whole key file (or stdin for "-") into a secret, without passing through the heap. */
static int read_passphrase(const char *path, struct secret *out, struct error *e)
{
	_cleanup_close_ int fd = -1;
	uint8_t chunk[512];
	ssize_t n;
	int r;

	fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO)
				    : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_set_errno(e, -errno, "%s", path);
	r = secret_alloc(out, VOLUME_PASSPHRASE_MAX, e);
	while (r == 0 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = error_set_errno(e, -errno, "reading %s", path);
		else
			r = secret_append(out, chunk, (size_t)n, e);
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (r == 0 && out->len == 0)
		r = error_set(e, -EINVAL, "%s is empty", path);
	return r;
}

static int volume_identity_run(struct tool *tool, int argc, char **argv)
{
	static const struct option options[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "resource", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *name = NULL, *key_file = "-";
	_cleanup_secret_ struct secret pass = { 0 }, json = { 0 };
	struct volume_key vk = { 0 };
	uint8_t id[VOLUME_IDENTITY_SIZE];
	char hex[VOLUME_IDENTITY_HEX_SIZE];
	struct error e = { 0 };
	bool resource = false;
	int c;

	while ((c = getopt_long(argc, argv, "n:k:rh", options, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'k':
			key_file = optarg;
			break;
		case 'r':
			resource = true;
			break;
		case 'h':
			return tool_usage(&command_volume_identity, EXIT_OK);
		default:
			return tool_usage(&command_volume_identity, EXIT_USAGE);
		}
	}
	if (optind + 1 != argc || !name)
		return tool_usage(&command_volume_identity, EXIT_USAGE);
	if (handoff_volume_valid(name, &e) < 0) {
		log_error(&tool->log, &e, "--name");
		return EXIT_USAGE;
	}
	if (read_passphrase(key_file, &pass, &e) < 0 ||
	    volume_key_read(argv[optind], &pass, deadline_after_ms(VOLUME_IDENTITY_TIMEOUT_MS), &vk,
			    &e) < 0 ||
	    volume_identity_compute(vk.key.data, vk.key.len, name, vk.uuid, id, &e) < 0 ||
	    (resource && volume_resource_write(&pass, id, &json, &e) < 0)) {
		volume_key_free(&vk);
		log_error(&tool->log, &e, "volume-identity");
		return EXIT_FAILED;
	}
	hex_encode(hex, id, sizeof(id));
	log_info(&tool->log, "volume %s on %s (LUKS UUID %s): volume key id %s", name, argv[optind],
		 vk.uuid, hex);
	volume_key_free(&vk);
	if (resource ? file_write_all(STDOUT_FILENO, json.data, json.len) < 0 ||
			       file_write_all(STDOUT_FILENO, "\n", 1) < 0
		     : printf("%s\n", hex) < 0 || fflush(stdout) == EOF) {
		log_err(&tool->log, "volume-identity: writing to stdout: %s", strerror(errno));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

const struct command command_volume_identity = {
	.name = "volume-identity",
	.summary = "Print a LUKS volume's identity (systemd's fixate-volume-key= value)",
	.usage =
		"DEVICE --name NAME [--key-file F] [--resource]\n"
		"\n"
		"Reads the volume key of DEVICE with the passphrase in F (stdin by default;\n"
		"never on the command line) through `cryptsetup luksDump --dump-volume-key`\n"
		"and prints HMAC-SHA256(volume key, \"cryptsetup:NAME:UUID\") in hex: the\n"
		"identity `mrboot run` checks before it lets the boot go on, equal to systemd's\n"
		"fixate-volume-key= value for the volume NAME. With --resource it prints the\n"
		"broker's resource instead: {\"passphrase\":\"<base64>\",\"volume-key-id\":\"<hex>\"}\n"
		"(it holds the passphrase: write it only where the broker's resources live).\n"
		"\n"
		"  -n, --name NAME      The volume's name at boot (its /dev/mapper name)\n"
		"  -k, --key-file F     The passphrase, the whole file (- for stdin)\n"
		"  -r, --resource       Print the broker's resource, not the identity\n"
		"  -h, --help           Show this help\n",
	.run = volume_identity_run,
};
