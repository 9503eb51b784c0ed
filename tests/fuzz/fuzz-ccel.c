/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Trustee rules on any bytes as a CCEL (ccel_check_trustee()), the firmware log's end
 * (ccel_firmware_end()), and the evidence stream built from it: a firmware log that Trustee
 * accepts must still be accepted once cut at its end and closed with mrboot's terminator.
 */
#include <errno.h>
#include <string.h>

#include "basic/error.h"
#include "evlog/ccel.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error e = { 0 };
	size_t end = SIZE_MAX, written = 0;
	uint8_t *stream;
	int trustee, r;

	trustee = ccel_check_trustee(data, size, &e);
	fuzz_check(trustee <= 0, "0 or a negative errno");
	if (trustee < 0)
		fuzz_check(e.msg[0], "a refusal says why");

	r = ccel_firmware_end(data, size, &end, &e);
	if (r < 0) {
		fuzz_check(trustee < 0, "a log Trustee accepts has an end");
		return 0;
	}
	fuzz_check(end <= size, "the end lies within the log");

	stream = malloc(end + CCEL_TERMINATOR_SIZE);
	fuzz_check(stream, "malloc");
	r = ccel_stream_build(stream, end + CCEL_TERMINATOR_SIZE, data, size, NULL, 0, &written,
			      &e);
	if (r < 0 && trustee == 0)
		fprintf(stderr, "%s\n", e.msg);
	fuzz_check(r == 0 || trustee < 0, "a log Trustee accepts makes a stream it accepts");
	if (r == 0)
		fuzz_check(written == end + CCEL_TERMINATOR_SIZE && memcmp(stream, data, end) == 0,
			   "the stream is the log up to its end and the terminator");
	/* One byte less room is refused with the size needed, never overrun. */
	r = ccel_stream_build(stream, end + CCEL_TERMINATOR_SIZE - 1, data, size, NULL, 0, &written,
			      &e);
	fuzz_check(r == -ENOBUFS && written == end + CCEL_TERMINATOR_SIZE,
		   "too little room is -ENOBUFS with the size needed");
	free(stream);
	return 0;
}
