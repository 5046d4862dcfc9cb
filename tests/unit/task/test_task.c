// SPDX-License-Identifier: MIT
/*
 * test_task.c - current, task creation, stop requests, memalloc scopes and
 * waiting for a worker's pass.
 */
#include "../../support/test_support.h"

#include <ballast/task.h>

#include <errno.h>
#include <string.h>

/* A thread that never went through task_create() is adopted on first use. */
static void test_current_adopts_foreign_thread(void **state)
{
	struct task *t = current;

	assert_non_null(t);
	assert_ptr_equal(current, t);
	assert_true(t->adopted);
	assert_int_equal(strncmp(t->comm, "thread-", 7), 0);
	assert_true(task_nr() >= 1);
}

struct seen {
	struct task *self;
	unsigned int flags;
	struct completion started;
};

static int record_fn(void *arg)
{
	struct seen *s = arg;

	s->self = current;
	s->flags = task_flags(current);
	complete(&s->started);
	while (!task_should_stop())
		task_sleep_ms(600000);	/* woken at once by task_destroy() */
	return 7;
}

/*
 * task_create() gives the thread its task (name, flags) before it runs;
 * task_destroy() wakes its ten-minute sleep at once (the runner's timeout
 * would catch a missed wake-up), waits for it and returns its value.
 */
static void test_task_create_runs_with_own_task_and_stops(void **state)
{
	struct seen s = { 0 };
	struct task *t;
	size_t before = task_nr();

	init_completion(&s.started);
	assert_int_equal(task_create(&t, "kworker/test", record_fn, &s,
				     PF_KTHREAD), 0);
	assert_string_equal(t->comm, "kworker/test");
	assert_true(t->kthread);
	wait_for_completion(&s.started);	/* it is now sleeping */
	assert_int_equal(task_destroy(t), 7);
	assert_ptr_equal(s.self, t);
	assert_true(s.flags & PF_KTHREAD);
	assert_int_equal(task_nr(), before);
}

struct sleeper {
	struct task *task;	/* a reference taken by the sleeper */
	struct completion started;
	bool killed;		/* fatal_signal_pending() after the sleep */
};

static void *adopted_sleeper(void *arg)
{
	struct sleeper *s = arg;

	s->task = current;	/* adopts this thread */
	task_get(s->task);
	complete(&s->started);
	task_sleep_ms(600000);	/* woken at once by task_kill() */
	s->killed = fatal_signal_pending(current);
	return NULL;
}

/*
 * Setup: a plain pthread, adopted on its first use of current, sleeps in
 * task_sleep_ms() for ten minutes. Action: task_kill() it. Expected: the
 * sleep ends at once (the runner's timeout would catch a missed wake-up)
 * and the thread sees the kill.
 */
static void test_task_sleep_ms_adopted_thread_woken_by_task_kill(void **state)
{
	struct sleeper s = { .killed = false };
	pthread_t th;

	init_completion(&s.started);
	assert_int_equal(pthread_create(&th, NULL, adopted_sleeper, &s), 0);
	wait_for_completion(&s.started);
	task_kill(s.task, false);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(s.killed);
	task_put(s.task);
}

/* Destroying a task that was not created (or oneself) is misuse. */
static void test_task_destroy_adopted_task_is_refused(void **state)
{
	unsigned long misuse = log_misuse_count();

	assert_int_equal(task_destroy(current), -EINVAL);
	assert_int_equal(log_misuse_count(), misuse + 1);
}

/*
 * Scopes nest: NOFS inside NOIO stays NOIO until the outer restore; the
 * inner restore does not drop the outer scope.
 */
static void test_memalloc_scopes_nest_and_restore(void **state)
{
	unsigned int noio, nofs, noio2;

	assert_int_equal(current_gfp_context(GFP_KERNEL), GFP_KERNEL);
	noio = memalloc_noio_save();
	assert_int_equal(current_gfp_context(GFP_KERNEL),
			 GFP_KERNEL & ~(__GFP_IO | __GFP_FS));
	nofs = memalloc_nofs_save();
	noio2 = memalloc_noio_save();
	memalloc_noio_restore(noio2);
	/* still inside the outer NOIO scope */
	assert_int_equal(current_gfp_context(GFP_KERNEL), GFP_NOIO);
	memalloc_nofs_restore(nofs);
	memalloc_noio_restore(noio);
	assert_int_equal(current_gfp_context(GFP_KERNEL), GFP_KERNEL);

	nofs = memalloc_nofs_save();
	assert_int_equal(current_gfp_context(GFP_KERNEL), GFP_NOFS);
	memalloc_nofs_restore(nofs);

	noio = memalloc_nodirect_save();
	assert_int_equal(current_gfp_context(GFP_KERNEL),
			 GFP_KERNEL & ~__GFP_DIRECT_RECLAIM);
	memalloc_nodirect_restore(noio);

	noio = memalloc_noreclaim_save();
	assert_true(task_flags(current) & PF_MEMALLOC);
	memalloc_noreclaim_restore(noio);
	assert_false(task_flags(current) & PF_MEMALLOC);
}

static int count_fn(struct task *t, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

/* task_for_each() sees every live task, including the adopted caller. */
static void test_task_for_each_visits_live_tasks(void **state)
{
	int n = 0;

	(void)current;
	assert_int_equal(task_for_each(count_fn, &n), 0);
	assert_int_equal((size_t)n, task_nr());
}

/*
 * A pass_sync waiter is completed by the first pass that starts after it
 * was queued (not by one already running), with that pass's result; a
 * stopping worker completes taken and queued waiters with -ENOENT.
 */
static void test_pass_sync_waits_for_a_whole_later_pass(void **state)
{
	static DEFINE_PASS_SYNC(ps);
	struct pass_waiter w1, w2, w3, w4;

	pass_waiter_init(&w1);
	pass_waiter_init(&w2);
	pass_waiter_init(&w3);
	pass_waiter_init(&w4);
	assert_false(pass_sync_begin(&ps));
	pass_sync_end(&ps, 0);

	pass_sync_queue(&ps, &w1);
	assert_true(pass_sync_begin(&ps));		/* pass 1 takes w1 */
	pass_sync_queue(&ps, &w2);			/* during pass 1 */
	pass_sync_end(&ps, 1);
	assert_true(completion_done(&w1.done));
	assert_false(completion_done(&w2.done));
	assert_int_equal(pass_sync_wait(&ps, &w1, 0), 1);

	assert_true(pass_sync_begin(&ps));		/* pass 2 takes w2 */
	pass_sync_end(&ps, 2);
	assert_int_equal(pass_sync_wait(&ps, &w2, 1000), 2);

	pass_sync_queue(&ps, &w3);
	assert_true(pass_sync_begin(&ps));		/* w3 taken */
	pass_sync_queue(&ps, &w4);			/* w4 still queued */
	pass_sync_stop(&ps);
	assert_int_equal(pass_sync_wait(&ps, &w3, 0), -ENOENT);
	assert_int_equal(pass_sync_wait(&ps, &w4, 0), -ENOENT);
	assert_false(pass_sync_begin(&ps));
}

/* With no worker, a timed wait gives up and unlinks its waiter. */
static void test_pass_sync_timeout_unlinks_waiter(void **state)
{
	static DEFINE_PASS_SYNC(ps);
	struct pass_waiter w;

	pass_waiter_init(&w);
	pass_sync_queue(&ps, &w);
	assert_int_equal(pass_sync_wait(&ps, &w, 20), -ETIMEDOUT);
	assert_true(list_empty(&w.list));
	assert_false(pass_sync_begin(&ps));		/* nothing left queued */
	pass_sync_end(&ps, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_current_adopts_foreign_thread),
		cmocka_unit_test(test_task_create_runs_with_own_task_and_stops),
		cmocka_unit_test(test_task_sleep_ms_adopted_thread_woken_by_task_kill),
		cmocka_unit_test(test_task_destroy_adopted_task_is_refused),
		cmocka_unit_test(test_memalloc_scopes_nest_and_restore),
		cmocka_unit_test(test_task_for_each_visits_live_tasks),
		cmocka_unit_test(test_pass_sync_waits_for_a_whole_later_pass),
		cmocka_unit_test(test_pass_sync_timeout_unlinks_waiter),
	};

	return cmocka_run_group_tests_name("task", tests, NULL, NULL);
}
