// SPDX-License-Identifier: MIT
/*
 * test_errseq.c - error sequence counters: every observer sees each error
 * that happened after its sample exactly once, including an error that
 * races with its check.
 */
#include "../../support/test_support.h"

#include <ballast/lib/errseq.h>

#include <errno.h>
#include <pthread.h>

/* Two observers each see one error once; a repeat of it is new again. */
static void test_errseq_each_observer_sees_each_error_once(void **state)
{
	_Atomic(errseq_t) eseq = 0;
	errseq_t a = errseq_sample(&eseq), b = errseq_sample(&eseq);

	assert_int_equal(errseq_check_and_advance(&eseq, &a), 0);
	errseq_set(&eseq, -EIO);
	assert_int_equal(errseq_check(&eseq, a), -EIO);
	assert_int_equal(errseq_check_and_advance(&eseq, &a), -EIO);
	assert_int_equal(errseq_check_and_advance(&eseq, &a), 0);
	assert_int_equal(errseq_check_and_advance(&eseq, &b), -EIO);
	assert_int_equal(errseq_check_and_advance(&eseq, &b), 0);

	errseq_set(&eseq, -EIO);	/* the same errno, after it was seen */
	assert_int_equal(errseq_check_and_advance(&eseq, &a), -EIO);
	assert_int_equal(errseq_check_and_advance(&eseq, &b), -EIO);
}

/* An error nobody has seen reaches an observer that samples after it. */
static void test_errseq_unseen_error_reaches_new_observer(void **state)
{
	_Atomic(errseq_t) eseq = 0;
	errseq_t a;

	errseq_set(&eseq, -ENOSPC);
	a = errseq_sample(&eseq);
	assert_int_equal(errseq_check_and_advance(&eseq, &a), -ENOSPC);
	a = errseq_sample(&eseq);
	assert_int_equal(errseq_check_and_advance(&eseq, &a), 0);
}

struct setter {
	_Atomic(errseq_t) *eseq;
	_Atomic(unsigned long) set;
	_Atomic(bool) stop;
};

static void *set_errors(void *arg)
{
	struct setter *s = arg;

	while (!atomic_load(&s->stop)) {
		errseq_set(s->eseq, -EIO);
		atomic_fetch_add(&s->set, 1);
	}
	return NULL;
}

/*
 * Setup: one thread sets -EIO in a loop while an observer checks and
 * advances (their compare-and-swaps race). Action: stop the setter, let
 * the observer catch up, then set one last -EIO. Expected: the observer
 * saw errors during the race, and sees the last one, once.
 */
static void test_errseq_error_racing_a_check_is_not_lost(void **state)
{
	_Atomic(errseq_t) eseq = 0;
	struct setter s = { .eseq = &eseq };
	errseq_t a = errseq_sample(&eseq);
	unsigned long seen = 0;
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, set_errors, &s), 0);
	/* Race until the setter has run a while and we saw its errors. */
	for (unsigned long i = 0; i < test_scaled(200000) || !seen ||
				  atomic_load(&s.set) < 10000; i++)
		if (errseq_check_and_advance(&eseq, &a))
			seen++;
	atomic_store(&s.stop, true);
	pthread_join(th, NULL);
	assert_true(seen > 0);
	errseq_check_and_advance(&eseq, &a);	/* catch up */
	assert_int_equal(errseq_check_and_advance(&eseq, &a), 0);
	errseq_set(&eseq, -EIO);
	assert_int_equal(errseq_check(&eseq, a), -EIO);
	assert_int_equal(errseq_check_and_advance(&eseq, &a), -EIO);
	assert_int_equal(errseq_check_and_advance(&eseq, &a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errseq_each_observer_sees_each_error_once),
		cmocka_unit_test(test_errseq_unseen_error_reaches_new_observer),
		cmocka_unit_test(test_errseq_error_racing_a_check_is_not_lost),
	};

	return cmocka_run_group_tests_name("errseq", tests, NULL, NULL);
}
