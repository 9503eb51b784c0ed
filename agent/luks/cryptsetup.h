/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MRBOOT_LUKS_CRYPTSETUP_H
#define MRBOOT_LUKS_CRYPTSETUP_H

/*
 * The cryptsetup(8) binary as a subprocess, for the static agent that has no libcryptsetup.
 * Key material never goes into argv or the environment (both are readable by every user in
 * /proc): each secret is written to a pipe that the child reads as one of its descriptors,
 * stdin for --key-file=- and /dev/fd/N for the others. An input can also be a descriptor of
 * mrboot's, passed as is: an open key file, or mrboot's own stdin, on which cryptsetup asks
 * for a passphrase itself when it is a terminal. stdin is /dev/null when no input is on it,
 * so that cryptsetup cannot stop to prompt. stdout is captured when asked for; stderr always
 * is, and its last line is the message of a failure.
 */

#include <stddef.h>
#include <stdint.h>

struct error;
struct secret;

#define CRYPTSETUP_INPUTS_MAX 2
#define CRYPTSETUP_OUTPUT_MAX (4u << 20) /* luksDump's JSON: the LUKS2 metadata area at most */
#define CRYPTSETUP_STDERR_MAX 4096	 /* what is kept of the child's stderr */

struct cryptsetup_input {
	int fd;		  /* the descriptor the child reads it on: 0 (stdin), or 3 and up */
	const void *data; /* these len bytes, through a pipe; or NULL: */
	size_t len;
	int pass_fd; /* with data NULL, this descriptor of mrboot's, as is */
};

struct cryptsetup_command {
	const char *const *argv; /* NULL-terminated; argv[0] is looked up on PATH */
	const struct cryptsetup_input *inputs;
	size_t n_inputs; /* at most CRYPTSETUP_INPUTS_MAX */
	char **output;	 /* NULL, or where stdout goes: heap, NUL-terminated, the caller frees */
	size_t *output_len;
	/*
	 * Or, for output that holds key material (luksDump --dump-volume-key): stdout appended to
	 * this secret (allocated by the caller, its cap the most kept), never to the heap.
	 */
	struct secret *output_secret;
	uint64_t deadline; /* deadline_after_ms(): the child is killed after it */
};

/*
 * Runs the command to its end. 0 when it exits with status 0; else -EIO ("<argv[0]> <argv[1]>
 * failed (exit N): <its last stderr line>"), -ETIMEDOUT when it was killed at the deadline,
 * -ENOENT when the program is not found, or the errno of a failing pipe, fork or poll.
 */
int cryptsetup_run(const struct cryptsetup_command *c, struct error *e);

#endif
