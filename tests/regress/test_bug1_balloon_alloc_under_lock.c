// SPDX-License-Identifier: MIT
/*
 * Bug 1 (ARCHITECTURE.md): virtio-balloon filled the balloon by allocating
 * pages while holding balloon_lock, and its deflate-on-OOM notifier took
 * the same lock. An inflate allocation that entered reclaim and reached
 * the OOM notifiers deadlocked on the lock its own task held.
 *
 *   old fill_balloon:  lock(balloon_lock)
 *                        alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOMEMALLOC
 *                                   | __GFP_NORETRY)   -> may reclaim
 *                          -> OOM notifiers -> lock(balloon_lock)  (hang)
 *
 * Part (a) recreates the old pattern with ballast's own APIs - the
 * balloon framework, the old mask, a driver-like mutex and an OOM
 * notifier that deflates under it - and requires the validator to report
 * the cycle old_balloon_lock -> reclaim -> old_balloon_lock, in either
 * order of discovery, without anything hanging (the OOM pass is forced
 * from an allocation made outside the lock). The fixed pattern
 * (balloon_page_alloc() first, enqueue under the lock) runs clean.
 *
 * Part (b) runs the real virtio-balloon driver against the real host
 * process under an inflate + OOM storm: targets moving, threads
 * allocating until memory runs out (real deflate-on-OOM), and every 61st
 * allocation forced through the OOM notifiers; the hung-task watchdog
 * runs with a 3 s threshold. Any validator report fails the test, and
 * everything must finish.
 */
#include "../support/balloon_e2e.h"
#include "../support/lockdep_test.h"

#include <ballast/alloc.h>
#include <ballast/task.h>

#include <stdlib.h>
#include <string.h>

#define RAM (64UL << 20)
#define MiB (1UL << 20)
#define OLD_BALLOON_GFP \
	(GFP_HIGHUSER_MOVABLE | __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN)

/* ------------------------------------------------------------------ */
/* (a) the old driver                                                    */
/* ------------------------------------------------------------------ */

struct old_balloon {
	struct mutex lock;		/* the old balloon_lock */
	struct balloon_dev_info info;
	struct notifier_block nb;
	unsigned long oom_calls;	/* lock */
};

static struct old_balloon old;

/* Deflate-on-OOM as the old driver did it: under its lock. */
static int old_oom_notify(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	LIST_HEAD(pages);
	unsigned long *freed = data;
	struct page *page, *next;
	size_t n;

	mutex_lock(&old.lock);
	n = balloon_page_list_dequeue(&old.info, &pages, 16);
	old.oom_calls++;
	mutex_unlock(&old.lock);
	list_for_each_entry_safe(page, next, &pages, lru) {
		list_del(&page->lru);
		put_page(page);
	}
	*freed += n;
	return NOTIFY_OK;
}

/* The old fill_balloon: the allocation inside the lock (the bug). */
static unsigned long old_fill_balloon(unsigned long n)
{
	unsigned long got = 0;

	mutex_lock(&old.lock);
	while (got < n) {
		struct page *page = alloc_page(OLD_BALLOON_GFP);

		if (!page)
			break;
		balloon_page_enqueue(&old.info, page);
		got++;
	}
	mutex_unlock(&old.lock);
	return got;
}

/* The fixed fill: allocate with no lock held, then enqueue under it. */
static unsigned long fixed_fill_balloon(unsigned long n)
{
	LIST_HEAD(pages);
	unsigned long got = 0;

	while (got < n) {
		struct page *page = balloon_page_alloc();

		if (!page)
			break;
		list_add(&page->lru, &pages);
		got++;
	}
	mutex_lock(&old.lock);
	balloon_page_list_enqueue(&old.info, &pages);
	mutex_unlock(&old.lock);
	return got;
}

static void force_oom_pass(bool on)
{
	struct alloc_fault_config cfg = { .oom_nth = on ? 1 : 0 };

	alloc_fault_set(&cfg);
}

/* One GFP_KERNEL allocation, outside the lock, through the notifiers. */
static void run_oom_notifiers_once(void)
{
	unsigned long calls = old.oom_calls;
	struct page *page;

	force_oom_pass(true);
	page = alloc_page(GFP_KERNEL);
	force_oom_pass(false);
	assert_non_null(page);
	__free_page(page);
	assert_int_equal(old.oom_calls, calls + 1);
}

static int old_setup(void **state)
{
	if (lockdep_test_setup(state))
		return -1;
	test_mem_setup(RAM);
	assert_int_equal(balloon_init(), 0);
	memset(&old, 0, sizeof(old));
	{
		static struct lock_class_key key;

		mutex_init_key(&old.lock, "old_balloon_lock", &key);
	}
	balloon_devinfo_init(&old.info, NULL, false);
	old.nb.notifier_call = old_oom_notify;
	assert_int_equal(register_oom_notifier(&old.nb), 0);
	return 0;
}

static int old_teardown(void **state)
{
	LIST_HEAD(pages);
	struct page *page, *next;

	force_oom_pass(false);
	assert_int_equal(unregister_oom_notifier(&old.nb), 0);
	mutex_lock(&old.lock);
	balloon_page_list_dequeue(&old.info, &pages, ~0UL);
	mutex_unlock(&old.lock);
	list_for_each_entry_safe(page, next, &pages, lru) {
		list_del(&page->lru);
		put_page(page);
	}
	assert_int_equal(balloon_check(&old.info), 0);
	balloon_exit();
	test_mem_teardown();
	return lockdep_test_teardown(state);
}

/*
 * Setup: the old driver's deflate-on-OOM notifier, run once (forced).
 * Action: the old fill_balloon: 64 pages allocated with the old mask while
 * old_balloon_lock is held.
 * Expected: one cycle report, old_balloon_lock -> reclaim ->
 * old_balloon_lock; the pages did reach the balloon (nothing hung: the
 * validator reports the dependency, not a deadlock that happened).
 */
static void test_old_fill_balloon_after_oom_notifier_reports_cycle(void **state)
{
	run_oom_notifiers_once();
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);
	assert_int_equal(old_fill_balloon(64), 64);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "old_balloon_lock -> reclaim -> old_balloon_lock", 1);
}

/*
 * Setup: none. Action: the old fill_balloon first (64 pages under the
 * lock), then an allocation elsewhere reaches the OOM notifiers, which
 * deflate under the lock.
 * Expected: the same cycle, found from the other side, and reported as
 * reclaim -> old_balloon_lock -> reclaim; the notifier deflated 16 pages.
 * The notifier's acquisition adds two edges that each close a cycle, and
 * the validator reports each new edge's cycle once: also the longer one
 * through oom_notify_lock, which the notifier chain holds inside reclaim.
 */
static void test_oom_notifier_after_old_fill_balloon_reports_cycle(void **state)
{
	unsigned long nr, isolated;

	assert_int_equal(old_fill_balloon(64), 64);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);
	run_oom_notifiers_once();
	balloon_dev_counts(&old.info, &nr, &isolated);
	assert_int_equal(nr, 48);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "reclaim -> old_balloon_lock -> reclaim", 1);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "oom_notify_lock -> old_balloon_lock -> reclaim -> "
			     "oom_notify_lock", 1);
}

/*
 * Setup: the same notifier, run before and after.
 * Action: the fixed fill (balloon_page_alloc() with no lock held, then
 * balloon_page_list_enqueue() under it), 64 pages.
 * Expected: no report.
 */
static void test_fixed_fill_balloon_with_oom_notifier_no_report(void **state)
{
	run_oom_notifiers_once();
	assert_int_equal(fixed_fill_balloon(64), 64);
	run_oom_notifiers_once();
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);
}

/* ------------------------------------------------------------------ */
/* (b) the real driver under an inflate + OOM storm                     */
/* ------------------------------------------------------------------ */

#define NR_HOGS 2
#define HOG_MAX_PAGES (28 * MiB / PAGE_SIZE)	/* each; 56 of 64 MiB */

struct hog {
	struct task *task;
	unsigned int id;
	unsigned long rounds;
	struct completion go, done;
	_Atomic(bool) stop;
	unsigned long failures;		/* owner only */
};

static struct hog hogs[NR_HOGS];

/*
 * Each round: take up to HOG_MAX_PAGES pages (memory runs out well before:
 * the allocations reach reclaim and the OOM notifiers), write them, give
 * a random part back... then all of them. No sleeping: a failed
 * allocation ends the round's filling.
 */
static int hog_fn(void *arg)
{
	struct hog *h = arg;
	LIST_HEAD(held);
	struct page *page, *next;

	test_rand_seed(1000 + h->id);
	for (;;) {
		unsigned long n = 0, want;

		wait_for_completion(&h->go);
		if (atomic_load(&h->stop))
			break;
		want = HOG_MAX_PAGES / 2 + test_rand_below(HOG_MAX_PAGES / 2);
		while (n < want) {
			page = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
			if (!page) {
				h->failures++;
				break;
			}
			*(volatile char *)page_address(page) = 1;
			list_add(&page->lru, &held);
			n++;
		}
		list_for_each_entry_safe(page, next, &held, lru) {
			list_del(&page->lru);
			__free_page(page);
		}
		complete(&h->done);
	}
	return 0;
}

static struct balloon_e2e e2e;

static int storm_setup(void **state)
{
	if (lockdep_test_setup(state))
		return -1;
	e2e_guest_boot(RAM, E2E_KSWAPD);
	assert_int_equal(lockdep_hung_task_start(3000), 0);
	e2e_host_start(&e2e, NULL);
	e2e_driver_start(&e2e);
	return 0;
}

static int storm_teardown(void **state)
{
	e2e_driver_stop(&e2e);
	e2e_host_stop(&e2e);
	lockdep_hung_task_stop();
	e2e_guest_shutdown();
	return lockdep_test_teardown(state);
}

/*
 * Setup: 64 MiB guest, the real driver (MUST_TELL_HOST, STATS_VQ,
 * DEFLATE_ON_OOM), kswapd, the hung-task watchdog at 3 s; two threads
 * that each want up to 28 MiB; every 61st allocation forced through the
 * OOM notifiers.
 * Action: rounds of: a new random balloon target (the guest keeps 12 to
 * 56 MiB), then both threads fill and empty once while the driver
 * inflates. Finally the target goes back to all of RAM.
 * Expected: no validator report of any kind (no cycle, no hung task), no
 * hang; the OOM notifier ran and gave pages back; at the end the balloon
 * is empty and the driver, the host and the memfd agree.
 */
static void test_virtio_balloon_inflate_oom_storm_no_report(void **state)
{
	struct alloc_fault_config cfg = { .oom_nth = 61 };
	unsigned long rounds = test_scaled(40);
	struct virtballoon_info info;

	test_rand_seed(1);
	for (unsigned int i = 0; i < NR_HOGS; i++) {
		hogs[i].id = i;
		atomic_store(&hogs[i].stop, false);
		init_completion(&hogs[i].go);
		init_completion(&hogs[i].done);
		assert_int_equal(task_create(&hogs[i].task, "hog", hog_fn,
					     &hogs[i], 0), 0);
	}
	alloc_fault_set(&cfg);
	for (unsigned long r = 0; r < rounds; r++) {
		uint64_t keep = (12 + test_rand_below(45)) * MiB;

		json_decref(e2e_qmp(&e2e, "balloon",
				    json_pack("{s:I}", "value", (json_int_t)keep)));
		for (unsigned int i = 0; i < NR_HOGS; i++)
			complete(&hogs[i].go);
		for (unsigned int i = 0; i < NR_HOGS; i++)
			wait_for_completion(&hogs[i].done);
	}
	alloc_fault_set(NULL);
	for (unsigned int i = 0; i < NR_HOGS; i++) {
		atomic_store(&hogs[i].stop, true);
		complete(&hogs[i].go);
		assert_int_equal(task_destroy(hogs[i].task), 0);
	}
	virtballoon_get_info(e2e.vb, &info);
	if (!info.oom_notifications || !info.oom_deflated_pages)
		fail_msg("the OOM notifier never gave pages back (%llu calls)",
			 (unsigned long long)info.oom_notifications);
	e2e_balloon(&e2e, RAM);
	e2e_assert_agree(&e2e, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define OLD(f) cmocka_unit_test_setup_teardown(f, old_setup, old_teardown)
		OLD(test_old_fill_balloon_after_oom_notifier_reports_cycle),
		OLD(test_oom_notifier_after_old_fill_balloon_reports_cycle),
		OLD(test_fixed_fill_balloon_with_oom_notifier_no_report),
#undef OLD
		cmocka_unit_test_setup_teardown(
			test_virtio_balloon_inflate_oom_storm_no_report,
			storm_setup, storm_teardown),
	};

	return cmocka_run_group_tests_name("bug1_balloon_alloc_under_lock",
					   tests, NULL, NULL);
}
