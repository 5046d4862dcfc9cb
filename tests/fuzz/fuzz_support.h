// SPDX-License-Identifier: MIT
/*
 * fuzz_support.h - helpers shared by the fuzzers. A fuzzer is built from
 * its one .c file and src/ (FUZZ_* in the Makefile), without tests/support,
 * so what they share lives here, static (a unit test may include it too).
 */
#ifndef BALLAST_FUZZ_SUPPORT_H
#define BALLAST_FUZZ_SUPPORT_H

#include <dirent.h>

/*
 * Open descriptors of the process (with ".", ".." and the directory's own),
 * or -1 if /proc/self/fd cannot be read: equal counts before and after a
 * run mean no descriptor leaked.
 */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

#endif
