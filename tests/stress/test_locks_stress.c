// SPDX-License-Identifier: MIT
/*
 * test_locks_stress.c - the lock primitives exclude each other under
 * contention: threads increment plain counters under a spinlock, a mutex
 * and an rwsem (readers check the counter never moves under them), and
 * hand a token around with completions. The totals must be exact; TSan
 * checks that the primitives order the plain accesses.
 */
#include "../support/test_support.h"

#include <ballast/task.h>

#define NR_THREADS 4

static DEFINE_SPINLOCK(spin);
static DEFINE_MUTEX(mtx);
static DECLARE_RWSEM(sem);
static unsigned long spin_count, mutex_count, sem_count;	/* by their locks */
static unsigned long reader_violations;				/* by sem (write) */
static _Atomic(unsigned long) iters;

static int hammer(void *arg)
{
	unsigned long n = atomic_load(&iters);

	test_rand_seed((uint64_t)(uintptr_t)arg);
	for (unsigned long i = 0; i < n; i++) {
		spin_lock(&spin);
		spin_count++;
		spin_unlock(&spin);

		mutex_lock(&mtx);
		mutex_count++;
		mutex_unlock(&mtx);

		if (test_rand_below(4)) {
			unsigned long seen;

			down_read(&sem);
			seen = sem_count;
			if (sem_count != seen)
				__atomic_fetch_add(&reader_violations, 1,
						   __ATOMIC_RELAXED);
			up_read(&sem);
		} else {
			down_write(&sem);
			sem_count++;
			up_write(&sem);
		}
	}
	return 0;
}

/*
 * Setup: 4 threads, N iterations each.
 * Expected: spin and mutex counters = 4N; the rwsem counter equals the
 * number of write sections; no reader saw a change.
 */
static void test_lock_primitives_exclude_under_contention(void **state)
{
	struct task *t[NR_THREADS];
	unsigned long n = test_scaled(200000);

	atomic_store(&iters, n);
	for (uintptr_t i = 0; i < NR_THREADS; i++)
		assert_int_equal(task_create(&t[i], "hammer", hammer,
					     (void *)(i + 1), 0), 0);
	for (int i = 0; i < NR_THREADS; i++)
		assert_int_equal(task_destroy(t[i]), 0);
	assert_int_equal(spin_count, n * NR_THREADS);
	assert_int_equal(mutex_count, n * NR_THREADS);
	assert_true(sem_count > 0 && sem_count < n * NR_THREADS);
	assert_int_equal(reader_violations, 0);
}

struct relay {
	struct completion *in, *out;
	unsigned long rounds;
	unsigned long *token;	/* passed around; owned by the holder */
};

static int relay_fn(void *arg)
{
	struct relay *r = arg;

	for (unsigned long i = 0; i < r->rounds; i++) {
		wait_for_completion(r->in);
		(*r->token)++;
		complete(r->out);
	}
	return 0;
}

/*
 * Two threads pass a token back and forth through two completions; the
 * token is touched only by whoever was last completed, so its final value
 * is exact and TSan sees the hand-offs as synchronisation.
 */
static void test_completion_relay_passes_token_exactly(void **state)
{
	struct completion a, b;
	unsigned long token = 0, rounds = test_scaled(20000);
	struct relay ra = { &a, &b, rounds, &token };
	struct relay rb = { &b, &a, rounds, &token };
	struct task *ta, *tb;

	init_completion(&a);
	init_completion(&b);
	assert_int_equal(task_create(&ta, "relay-a", relay_fn, &ra, 0), 0);
	assert_int_equal(task_create(&tb, "relay-b", relay_fn, &rb, 0), 0);
	complete(&a);
	assert_int_equal(task_destroy(ta), 0);
	assert_int_equal(task_destroy(tb), 0);
	assert_int_equal(token, 2 * rounds);
	assert_true(try_wait_for_completion(&a));	/* b's last hand-off */
	assert_false(completion_done(&a));
	assert_false(wait_for_completion_timeout(&b, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_primitives_exclude_under_contention),
		cmocka_unit_test(test_completion_relay_passes_token_exactly),
	};

	return cmocka_run_group_tests_name("locks_stress", tests, NULL, NULL);
}
