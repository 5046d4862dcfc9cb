// SPDX-License-Identifier: MIT
/*
 * test_events.c - waits on events and sleeping context: the page-lock /
 * writeback cycle through an owed PG_writeback, waiting for an event while
 * owing one of its class, completions (a lock held across a wait whose
 * completer takes it), sleeping under a spinlock or in an atomic section,
 * and the hung-task watchdog catching a real hang.
 */
#include "../../support/lockdep_test.h"

#include <ballast/alloc.h>
#include <ballast/page.h>
#include <ballast/slab.h>

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct page *pages[4];

static int group_setup(void **state)
{
	test_mem_setup(64UL << 20);
	for (int i = 0; i < 4; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		assert_non_null(pages[i]);
	}
	return 0;
}

static int group_teardown(void **state)
{
	for (int i = 0; i < 4; i++)
		__free_page(pages[i]);
	test_mem_teardown();
	return 0;
}

/*
 * Setup: real pages. Action: task A holds a page lock while waiting for
 * another page's writeback (the bit is clear: it does not block); task B
 * (a flusher) sets writeback on a page, unlocks it, and locks the next
 * page before submitting. Expected: a cycle PG_writeback -> PG_locked ->
 * PG_writeback, without a hang; once B submits before locking, none.
 */
static void test_lock_page_wait_writeback_vs_owed_writeback_reports_cycle(void **state)
{
	lock_page(pages[0]);
	wait_on_page_writeback(pages[1]);
	unlock_page(pages[0]);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);

	/* Fixed flusher: hand the page to I/O before taking the next lock. */
	lock_page(pages[2]);
	assert_false(set_page_writeback(pages[2]));
	unlock_page(pages[2]);
	page_writeback_submitted(1);
	lock_page(pages[3]);
	unlock_page(pages[3]);
	end_page_writeback(pages[2]);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);

	/* Buggy flusher: still owes the writeback when it locks a page. */
	lock_page(pages[2]);
	assert_false(set_page_writeback(pages[2]));
	unlock_page(pages[2]);
	lock_page(pages[3]);
	unlock_page(pages[3]);
	end_page_writeback(pages[2]);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "PG_writeback -> PG_locked -> PG_writeback", 1);
}

/* Mark @page for writeback: the caller owes it until submitted or ended. */
static void start_writeback(struct page *page)
{
	lock_page(page);
	assert_false(set_page_writeback(page));
	unlock_page(page);
}

/* A page lock held across a wait for writeback: PG_locked -> PG_writeback. */
static void lock_page_wait_writeback(void)
{
	lock_page(pages[0]);
	wait_on_page_writeback(pages[1]);
	unlock_page(pages[0]);
}

/*
 * Setup: PG_locked -> PG_writeback recorded; the task marked page A and
 * submitted it, then marked page B (owed). Action: it ends A's writeback,
 * then locks page C. Expected: the cycle PG_writeback -> PG_locked ->
 * PG_writeback: ending A does not pay B's debt (debts are per page).
 */
static void test_end_page_writeback_other_page_keeps_debt_reports_cycle(void **state)
{
	lock_page_wait_writeback();
	start_writeback(pages[1]);
	page_writeback_submitted(1);
	start_writeback(pages[2]);
	end_page_writeback(pages[1]);
	lock_page(pages[3]);
	unlock_page(pages[3]);
	end_page_writeback(pages[2]);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "PG_writeback -> PG_locked -> PG_writeback", 1);
}

static void *end_writeback_thread(void *arg)
{
	end_page_writeback(arg);	/* the I/O completes elsewhere */
	return NULL;
}

/*
 * Setup: the task marks page A for writeback and does not submit it.
 * Action: another thread ends A's writeback; then the task resets the
 * validator, records PG_locked -> PG_writeback and locks page C.
 * Expected: the reset succeeds and nothing is reported: the debt was paid
 * by whoever ended the page, not left with its owner.
 */
static void test_end_page_writeback_by_other_task_pays_owner_debt(void **state)
{
	pthread_t th;

	start_writeback(pages[1]);
	assert_int_equal(pthread_create(&th, NULL, end_writeback_thread,
					pages[1]), 0);
	pthread_join(th, NULL);
	assert_int_equal(lockdep_reset(), 0);
	lock_page_wait_writeback();
	lock_page(pages[3]);
	unlock_page(pages[3]);
}

/*
 * Setup: real pages. Action: a task that owes PG_writeback for one page
 * waits for the writeback of another. Expected: a recursion report (the
 * other page's owner may be waiting for the page this task owes).
 */
static void test_wait_on_page_writeback_while_owing_reports_recursion(void **state)
{
	lock_page(pages[0]);
	assert_false(set_page_writeback(pages[0]));
	unlock_page(pages[0]);
	wait_on_page_writeback(pages[1]);
	end_page_writeback(pages[0]);
	assert_lockdep_claim(LOCKDEP_REPORT_RECURSION, "PG_writeback", 1);
}

/*
 * Setup: a real page, not locked, not under writeback. Action:
 * unlock_page() and end_page_writeback() on it. Expected: two misuse
 * reports from the validator, naming the operation; the page's bits are
 * unchanged and it can be locked as usual.
 */
static void test_unlock_page_unlocked_reports_misuse(void **state)
{
	unlock_page(pages[0]);
	end_page_writeback(pages[0]);
	assert_lockdep_claim(LOCKDEP_REPORT_MISUSE, "unlock_page on unlocked", 1);
	assert_lockdep_claim(LOCKDEP_REPORT_MISUSE,
			     "end_page_writeback on pfn", 1);
	assert_false(PageLocked(pages[0]) || PageWriteback(pages[0]));
	lock_page(pages[0]);
	unlock_page(pages[0]);
}

/* ------------------------------------------------------------------ */

static DEFINE_MUTEX(cw_lock);
static struct completion cw_done;

static void *completer(void *arg)
{
	mutex_lock(&cw_lock);		/* work that needs cw_lock */
	mutex_unlock(&cw_lock);
	complete(&cw_done);
	return NULL;
}

/*
 * Setup: a completer thread that takes cw_lock before completing cw_done.
 * Action: it runs first (so nothing blocks); then the main task waits for
 * cw_done while holding cw_lock. Expected: a cycle cw_lock -> &cw_done ->
 * cw_lock; waiting without the lock, or with a timeout, gives none.
 */
static void test_wait_for_completion_holding_completers_lock_reports_cycle(void **state)
{
	pthread_t th;

	init_completion(&cw_done);
	assert_int_equal(pthread_create(&th, NULL, completer, NULL), 0);
	pthread_join(th, NULL);
	wait_for_completion(&cw_done);		/* nothing held: fine */
	assert_int_equal(pthread_create(&th, NULL, completer, NULL), 0);
	pthread_join(th, NULL);
	mutex_lock(&cw_lock);
	assert_true(wait_for_completion_timeout(&cw_done, 1000));
	mutex_unlock(&cw_lock);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);

	complete(&cw_done);
	mutex_lock(&cw_lock);
	wait_for_completion(&cw_done);
	mutex_unlock(&cw_lock);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "cw_lock -> &cw_done -> cw_lock", 1);
}

/* ------------------------------------------------------------------ */

static DEFINE_SPINLOCK(ctx_spin);
static DEFINE_MUTEX(ctx_mutex);

/*
 * Setup: a spinlock. Action: take a mutex under it (twice: one report per
 * site), then might_sleep() in an atomic section, then a GFP_ATOMIC
 * allocation under the spinlock. Expected: two invalid-context reports
 * (the mutex, naming ctx_spin among the held locks; the atomic section),
 * nothing for GFP_ATOMIC.
 */
static void test_mutex_lock_under_spinlock_reports_invalid_context(void **state)
{
	struct page *page;

	for (int i = 0; i < 2; i++) {
		spin_lock(&ctx_spin);
		mutex_lock(&ctx_mutex);
		mutex_unlock(&ctx_mutex);
		spin_unlock(&ctx_spin);
	}
	assert_lockdep_claim(LOCKDEP_REPORT_INVALID_CONTEXT,
			     "test_mutex_lock_under_spinlock", 1);

	lockdep_atomic_enter();
	might_sleep();
	lockdep_atomic_exit();
	assert_lockdep_claim(LOCKDEP_REPORT_INVALID_CONTEXT, "might_sleep", 1);

	spin_lock(&ctx_spin);
	page = alloc_page(GFP_ATOMIC);
	spin_unlock(&ctx_spin);
	assert_non_null(page);
	__free_page(page);
}

/*
 * Setup: a spinlock. Action: a GFP_KERNEL allocation under it (may sleep
 * in direct reclaim). Expected: one invalid-context report, naming this
 * function (the allocation's caller), however many annotations on the
 * allocation path notice it.
 */
static void test_alloc_pages_kernel_under_spinlock_reports_invalid_context(void **state)
{
	struct page *page;

	spin_lock(&ctx_spin);
	page = alloc_page(GFP_KERNEL);
	spin_unlock(&ctx_spin);
	__free_page(page);
	assert_lockdep_claim(LOCKDEP_REPORT_INVALID_CONTEXT,
			     "test_alloc_pages_kernel_under_spinlock", 1);
}

static DEFINE_SPINLOCK(site_spin_a);
static DEFINE_SPINLOCK(site_spin_b);

static __noinline void alloc_under_spin_a(void)
{
	struct page *page;

	spin_lock(&site_spin_a);
	page = alloc_page(GFP_KERNEL);
	spin_unlock(&site_spin_a);
	__free_page(page);
}

static __noinline void cache_alloc_under_spin_b(struct kmem_cache *cache)
{
	void *obj;

	spin_lock(&site_spin_b);
	obj = kmem_cache_alloc(cache, GFP_KERNEL);
	spin_unlock(&site_spin_b);
	kmem_cache_free(cache, obj);
}

static __noinline void kmalloc_in_spin_a(void)
{
	void *obj;

	spin_lock(&site_spin_a);
	obj = kmalloc(64, GFP_KERNEL);
	spin_unlock(&site_spin_a);
	kfree(obj);
}

static __noinline void kzalloc_in_spin_b(void)
{
	void *obj;

	spin_lock(&site_spin_b);
	obj = kzalloc(64, GFP_KERNEL);
	spin_unlock(&site_spin_b);
	kfree(obj);
}

static __noinline void lock_page_under_spin_a(struct page *page)
{
	spin_lock(&site_spin_a);
	lock_page(page);
	unlock_page(page);
	spin_unlock(&site_spin_a);
}

static __noinline void wait_writeback_under_spin_b(struct page *page)
{
	spin_lock(&site_spin_b);
	wait_on_page_writeback(page);
	spin_unlock(&site_spin_b);
}

/*
 * Setup: two spinlocks, a slab cache, no reset between the steps. Action:
 * four functions allocate under them (alloc_page(), kmem_cache_alloc(),
 * kmalloc(), kzalloc()), two others lock a page and wait for writeback
 * under them. Expected: six invalid-context reports, each naming its
 * caller: the primitives
 * report where they were called from, not their own line, so one site
 * does not hide the others.
 */
static void test_might_sleep_six_sites_under_spinlocks_reports_each(void **state)
{
	struct kmem_cache *cache = kmem_cache_create("site_cache", 64, 0, 0,
						     NULL);

	assert_non_null(cache);
	alloc_under_spin_a();
	cache_alloc_under_spin_b(cache);
	kmalloc_in_spin_a();
	kzalloc_in_spin_b();
	lock_page_under_spin_a(pages[0]);
	wait_writeback_under_spin_b(pages[1]);
	kmem_cache_destroy(cache);
	assert_lockdep_claim(LOCKDEP_REPORT_INVALID_CONTEXT,
			     "alloc_under_spin_a", 1);
	assert_lockdep_claim(LOCKDEP_REPORT_INVALID_CONTEXT,
			     "cache_alloc_under_spin_b", 1);
	assert_lockdep_claim(LOCKDEP_REPORT_INVALID_CONTEXT,
			     "kmalloc_in_spin_a", 1);
	assert_lockdep_claim(LOCKDEP_REPORT_INVALID_CONTEXT,
			     "kzalloc_in_spin_b", 1);
	assert_lockdep_claim(LOCKDEP_REPORT_INVALID_CONTEXT,
			     "lock_page_under_spin_a", 1);
	assert_lockdep_claim(LOCKDEP_REPORT_INVALID_CONTEXT,
			     "wait_writeback_under_spin_b", 1);
}

/*
 * Setup: a spinlock. Action: twice, lock a page under it (the same site);
 * in the second atomic section, also wait for writeback (a new site).
 * Expected: two reports: a site already reported does not use up the
 * report of the atomic section it recurs in.
 */
static void test_might_sleep_known_site_then_new_site_reports_new(void **state)
{
	for (int i = 0; i < 2; i++) {
		spin_lock(&ctx_spin);
		lock_page(pages[0]);
		unlock_page(pages[0]);
		if (i)
			wait_on_page_writeback(pages[1]);
		spin_unlock(&ctx_spin);
	}
	assert_lockdep_claim(LOCKDEP_REPORT_INVALID_CONTEXT,
			     "test_might_sleep_known_site_then_new_site", 2);
}

/* ------------------------------------------------------------------ */

static DEFINE_MUTEX(hung_lock);
static sem_t hung_sem;

static void hung_hook(enum lockdep_report_kind kind, const char *summary,
		      void *arg)
{
	if (kind == LOCKDEP_REPORT_HUNG_TASK)
		sem_post(&hung_sem);
}

static void *hung_waiter(void *arg)
{
	mutex_lock(&hung_lock);		/* blocks until the test unlocks */
	mutex_unlock(&hung_lock);
	return NULL;
}

static struct completion idle_work;

static void *idle_waiter(void *arg)
{
	wait_for_completion_idle(&idle_work);	/* a worker with nothing to do */
	return NULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Setup: the watchdog with a 200 ms threshold; the test holds hung_lock; a
 * worker already idles in wait_for_completion_idle().
 * Action: a thread blocks on hung_lock; the test waits for the watchdog's
 * report (through the report hook; 30 s is only a failure detector), then
 * releases the lock so the thread ends, and gives the idle worker its work.
 * Expected: one hung-task report, naming hung_lock, made after the
 * threshold and within 1.25 thresholds plus scheduling slack; none for the
 * idle worker, which waited longer (an unclaimed report fails the test).
 */
static void test_lockdep_hung_task_start_real_hang_reported(void **state)
{
	struct timespec deadline;
	pthread_t th, idle;
	uint64_t t0, dt;
	int ret;

	sem_init(&hung_sem, 0, 0);
	init_completion(&idle_work);
	assert_int_equal(pthread_create(&idle, NULL, idle_waiter, NULL), 0);
	lockdep_set_report_hook(hung_hook, NULL);
	assert_int_equal(lockdep_hung_task_start(200), 0);
	mutex_lock(&hung_lock);
	t0 = now_ms();
	assert_int_equal(pthread_create(&th, NULL, hung_waiter, NULL), 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 30;
	while ((ret = sem_timedwait(&hung_sem, &deadline)) && errno == EINTR)
		;
	dt = now_ms() - t0;
	mutex_unlock(&hung_lock);
	pthread_join(th, NULL);
	complete(&idle_work);
	pthread_join(idle, NULL);
	lockdep_hung_task_stop();
	lockdep_set_report_hook(NULL, NULL);
	sem_destroy(&hung_sem);
	assert_int_equal(ret, 0);
	assert_true(dt >= 200);
	assert_true(dt < 200 + 50 + 5000);
	assert_lockdep_claim(LOCKDEP_REPORT_HUNG_TASK, "hung_lock", 1);
}

/*
 * Setup: the shared fixtures (test_mem_setup(), lockdep_test_setup()).
 * Action: none. Expected: the hung-task watchdog runs, with the 10 s
 * default unless $BALLAST_HUNG_TASK_MS sets another threshold.
 */
static void test_lockdep_test_setup_watchdog_running_by_default(void **state)
{
	if (getenv("BALLAST_HUNG_TASK_MS"))
		assert_true(lockdep_hung_task_threshold() > 0);
	else
		assert_int_equal(lockdep_hung_task_threshold(), 10000);
}

/* Start the watchdog with $BALLAST_HUNG_TASK_MS = @env; its threshold. */
static unsigned long hung_task_threshold_from_env(const char *env)
{
	unsigned long ms;

	assert_int_equal(setenv("BALLAST_HUNG_TASK_MS", env, 1), 0);
	assert_int_equal(lockdep_hung_task_start(0), 0);
	ms = lockdep_hung_task_threshold();
	lockdep_hung_task_stop();
	return ms;
}

/*
 * Setup: the watchdog stopped. Action: start it with the threshold from
 * $BALLAST_HUNG_TASK_MS set to a valid value, then to values strtoul()
 * would take wrongly: negative, trailing junk, hexadecimal, zero, out of
 * range (its nanoseconds would overflow); then an explicit threshold out
 * of range. Expected: 250 is used; every bad value gives the 10 s
 * default (with one warning); the explicit one is refused with -EINVAL.
 */
static void test_lockdep_hung_task_start_bad_env_uses_default(void **state)
{
	const char *old = getenv("BALLAST_HUNG_TASK_MS");
	char *saved = old ? strdup(old) : NULL;
	static const char *const bad[] = {
		"-1", "1x", "0x10", "0", " 5", "18446744073709551615",
		"86400001",
	};

	lockdep_hung_task_stop();
	assert_int_equal(hung_task_threshold_from_env("250"), 250);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(hung_task_threshold_from_env(bad[i]), 10000);
	assert_int_equal(lockdep_hung_task_start(LOCKDEP_HUNG_TASK_MAX_MS + 1),
			 -EINVAL);
	assert_int_equal(lockdep_hung_task_threshold(), 0);
	if (saved)
		setenv("BALLAST_HUNG_TASK_MS", saved, 1);
	else
		unsetenv("BALLAST_HUNG_TASK_MS");
	free(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		lockdep_unit_test(test_lock_page_wait_writeback_vs_owed_writeback_reports_cycle),
		lockdep_unit_test(test_wait_on_page_writeback_while_owing_reports_recursion),
		lockdep_unit_test(test_end_page_writeback_other_page_keeps_debt_reports_cycle),
		lockdep_unit_test(test_end_page_writeback_by_other_task_pays_owner_debt),
		lockdep_unit_test(test_unlock_page_unlocked_reports_misuse),
		lockdep_unit_test(test_wait_for_completion_holding_completers_lock_reports_cycle),
		lockdep_unit_test(test_mutex_lock_under_spinlock_reports_invalid_context),
		lockdep_unit_test(test_alloc_pages_kernel_under_spinlock_reports_invalid_context),
		lockdep_unit_test(test_might_sleep_six_sites_under_spinlocks_reports_each),
		lockdep_unit_test(test_might_sleep_known_site_then_new_site_reports_new),
		lockdep_unit_test(test_lockdep_hung_task_start_real_hang_reported),
		lockdep_unit_test(test_lockdep_hung_task_start_bad_env_uses_default),
		lockdep_unit_test(test_lockdep_test_setup_watchdog_running_by_default),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
