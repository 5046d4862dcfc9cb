// SPDX-License-Identifier: MIT
/* lockdep_test.c - cmocka fixtures for tests under the validator. */
#include "lockdep_test.h"

#include <stdio.h>

#if BALLAST_LOCKDEP
int lockdep_test_setup(void **state)
{
	int ret;

	lockdep_set_mode(LOCKDEP_MODE_CONTINUE);
	if (lockdep_reset()) {
		fprintf(stderr, "lockdep_test_setup: a task still holds a "
			"lock or owes an event\n");
		return -1;
	}
	ret = lockdep_hung_task_start(0);
	if (ret) {
		fprintf(stderr, "lockdep_test_setup: no hung-task watchdog: "
			"%d\n", ret);
		return -1;
	}
	return 0;
}

int lockdep_test_teardown(void **state)
{
	unsigned long n;

	lockdep_hung_task_stop();
	n = lockdep_reports_unclaimed(false);
	if (!n)
		return 0;
	fprintf(stderr, "%lu unexpected validator report(s):\n", n);
	lockdep_reports_unclaimed(true);
	/* Claimed now so the next test and the exit check start clean. */
	for (int k = 0; k < LOCKDEP_NR_REPORT_KINDS; k++)
		lockdep_report_claim((enum lockdep_report_kind)k, NULL);
	return -1;
}
#else
int lockdep_test_setup(void **state)
{
	return 0;
}

int lockdep_test_teardown(void **state)
{
	return 0;
}
#endif
