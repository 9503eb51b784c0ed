/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The register layer's mapping of logical PCRs to CC measurement registers. */
#include "mr/registers.h"
#include "tap.h"

static void test_cc_index(void)
{
	/* UEFI 2.10 sec. 38.4.1 for PCR 1..15; everything else to RTMR3 (DESIGN.md sec. 4). */
	static const unsigned want[25] = { 4, 1, 2, 2, 2, 2, 2, 1, 3, 3, 3, 3, 3,
					   3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4 };
	unsigned bad = 0;

	for (unsigned pcr = 0; pcr < 25; pcr++)
		if (mr_cc_index_for_pcr(pcr) != want[pcr]) {
			tap_diag("PCR %u -> %u, want %u", pcr, mr_cc_index_for_pcr(pcr), want[pcr]);
			bad++;
		}
	tap_is_int(bad, 0, "PCR 0..24 map to CC indices 4,1,2,2,2,2,2,1,3x8,4x9");
	tap_is_int(mr_cc_index_for_pcr(12), 3, "PCR 12 (kernel command line, config) -> RTMR2");
	tap_is_int(mr_cc_index_for_pcr(15), 3, "PCR 15 (rootfs, separator) -> RTMR2");
}

int main(void)
{
	test_cc_index();
	return tap_done();
}
