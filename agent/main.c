/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include "mrboot-config.h"
int main(void)
{
	puts("mrboot " MRBOOT_VERSION);
	return 0;
}
