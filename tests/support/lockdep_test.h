// SPDX-License-Identifier: MIT
/*
 * lockdep_test.h - fixtures for tests that run under the validator.
 *
 * - lockdep_test_setup(): a cmocka setup that forgets the dependency graph
 *   and every earlier report (lockdep_reset()), in report-and-continue
 *   mode, so each test starts from nothing, and starts the hung-task
 *   watchdog with its default threshold (as test_mem_setup() does).
 * - lockdep_test_teardown(): a cmocka teardown that stops the watchdog and
 *   fails the test if the validator made a report the test did not claim,
 *   printing them.
 * - assert_lockdep_claim(kind, mention, n): assert that exactly @n
 *   unclaimed reports of @kind whose summary contains @mention (NULL: any)
 *   were made, and claim them.
 *
 * A test that provokes a report claims it; anything else fails it.
 * Programs that do not use these fixtures still fail at exit on unclaimed
 * reports (lockdep.h, lockdep_reports_unclaimed()).
 */
#ifndef BALLAST_LOCKDEP_TEST_H
#define BALLAST_LOCKDEP_TEST_H

#include "test_support.h"
#include <ballast/lockdep.h>

int lockdep_test_setup(void **state);
int lockdep_test_teardown(void **state);

#define assert_lockdep_claim(kind, mention, n)                             \
	assert_int_equal(lockdep_report_claim((kind), (mention)), (n))

#define lockdep_unit_test(f) \
	cmocka_unit_test_setup_teardown(f, lockdep_test_setup, \
					lockdep_test_teardown)

#endif
