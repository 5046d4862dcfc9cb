// SPDX-License-Identifier: MIT
/*
 * test_reclaim.c - reclaim recursion through the allocator's pseudo-locks
 * ("reclaim", "reclaim_io", "reclaim_fs"), with the real allocation path
 * and its coverage-forcing knobs: a lock held across an allocation and
 * taken by an OOM notifier, by a shrinker-like reclaim hook or by a real
 * shrinker called from shrink_slab(); the I/O path with and without a
 * NOIO scope; a nested allocation laxer than its
 * caller's scope (bug 4); and bug 5's page-lock / reclaim / writeback
 * cycle, with its pre-allocation fix running clean.
 *
 * Each test first runs the reclaim-side path once (forced by the knobs:
 * nothing is really short of memory), then the allocating side; the
 * validator reports the cycle without anything hanging.
 */
#include "../../support/lockdep_test.h"

#include <ballast/alloc.h>
#include <ballast/reclaim.h>
#include <ballast/slab.h>
#include <ballast/task.h>

static int group_setup(void **state)
{
	return test_mem_group_setup(state);
}

static int group_teardown(void **state)
{
	return test_mem_group_teardown(state);
}

static void force(unsigned long reclaim_nth, unsigned long oom_nth)
{
	struct alloc_fault_config cfg = {
		.reclaim_nth = reclaim_nth,
		.oom_nth = oom_nth,
	};

	alloc_fault_set(&cfg);
}

static void alloc_and_free(gfp_t gfp)
{
	struct page *page = alloc_page(gfp);

	assert_non_null(page);
	__free_page(page);
}

/* ------------------------------------------------------------------ */
/* OOM notifier                                                          */
/* ------------------------------------------------------------------ */

static DEFINE_MUTEX(balloon_lock);
static unsigned long notifier_calls;

static int balloon_oom_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	mutex_lock(&balloon_lock);	/* deflate the balloon */
	notifier_calls++;
	mutex_unlock(&balloon_lock);
	return NOTIFY_OK;
}

static struct notifier_block balloon_oom_nb = {
	.notifier_call = balloon_oom_notify,
};

/*
 * Setup: an OOM notifier that takes balloon_lock (bug 1's deflate-on-OOM).
 * Action: one GFP_KERNEL allocation with the OOM pass forced runs the
 * notifier, which always holds the lowest level, "reclaim" (any
 * allocation that may enter direct reclaim can reach the notifiers); then,
 * unforced, balloon_lock is held across a GFP_NOWAIT allocation (cannot
 * enter reclaim) and across a GFP_KERNEL one (bug 1's inflate). Expected:
 * nothing for GFP_NOWAIT; a cycle balloon_lock -> reclaim -> balloon_lock
 * for GFP_KERNEL, explained as a lock held across an allocation and taken
 * in an OOM notifier.
 */
static void test_alloc_pages_lock_taken_by_oom_notifier_reports_cycle(void **state)
{
	assert_int_equal(register_oom_notifier(&balloon_oom_nb), 0);
	force(0, 1);
	alloc_and_free(GFP_KERNEL);
	force(0, 0);
	assert_int_equal(notifier_calls, 1);

	mutex_lock(&balloon_lock);
	alloc_and_free(GFP_NOWAIT);
	mutex_unlock(&balloon_lock);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);

	mutex_lock(&balloon_lock);
	alloc_and_free(GFP_KERNEL);
	mutex_unlock(&balloon_lock);
	assert_int_equal(unregister_oom_notifier(&balloon_oom_nb), 0);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "balloon_lock -> reclaim -> balloon_lock", 1);
}

/*
 * Setup: the same notifier, seen only once, from a GFP_KERNEL allocation.
 * Action: balloon_lock held across a GFP_NOIO allocation. Expected: the
 * cycle is still reported: a GFP_NOIO allocation reaches the OOM
 * notifiers too, so the level the notifier happened to be seen at must not
 * hide it.
 */
static void test_alloc_pages_noio_under_oom_notifier_lock_reports_cycle(void **state)
{
	assert_int_equal(register_oom_notifier(&balloon_oom_nb), 0);
	force(0, 1);
	alloc_and_free(GFP_KERNEL);
	force(0, 0);
	mutex_lock(&balloon_lock);
	alloc_and_free(GFP_NOIO);
	mutex_unlock(&balloon_lock);
	assert_int_equal(unregister_oom_notifier(&balloon_oom_nb), 0);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "balloon_lock -> reclaim -> balloon_lock", 1);
}

/*
 * Setup: the same notifier. Action: the fixed inflate: allocate first,
 * then take balloon_lock to enqueue. Expected: no report.
 */
static void test_alloc_pages_before_lock_oom_notifier_no_report(void **state)
{
	struct page *page;

	assert_int_equal(register_oom_notifier(&balloon_oom_nb), 0);
	force(0, 1);
	alloc_and_free(GFP_KERNEL);
	force(0, 0);
	page = alloc_page(GFP_KERNEL);
	assert_non_null(page);
	mutex_lock(&balloon_lock);
	mutex_unlock(&balloon_lock);
	__free_page(page);
	assert_int_equal(unregister_oom_notifier(&balloon_oom_nb), 0);
}

/* ------------------------------------------------------------------ */
/* Shrinker-like reclaim                                                 */
/* ------------------------------------------------------------------ */

static DEFINE_MUTEX(cache_lock);

static unsigned long cache_shrink_scan(gfp_t gfp, unsigned int order)
{
	/* A shrinker that only works when fs reclaim is allowed. */
	if (!(gfp & __GFP_FS))
		return 0;
	mutex_lock(&cache_lock);
	mutex_unlock(&cache_lock);
	return 0;
}

static const struct alloc_hooks shrink_hooks = {
	.try_to_free_pages = cache_shrink_scan,
};

/*
 * Setup: a direct-reclaim hook that, like a shrinker, takes cache_lock
 * when fs reclaim is allowed. Action: forced reclaim for one GFP_KERNEL
 * allocation; then cache_lock held across a GFP_NOIO allocation, then
 * across a GFP_KERNEL one. Expected: no report for GFP_NOIO (its reclaim
 * never reaches the fs level); a cycle cache_lock -> reclaim_fs ->
 * cache_lock for GFP_KERNEL.
 */
static void test_alloc_pages_lock_taken_by_shrinker_reports_cycle(void **state)
{
	alloc_set_hooks(&shrink_hooks);
	force(1, 0);
	alloc_and_free(GFP_KERNEL);
	force(0, 0);

	mutex_lock(&cache_lock);
	alloc_and_free(GFP_NOIO);
	mutex_unlock(&cache_lock);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);

	mutex_lock(&cache_lock);
	alloc_and_free(GFP_KERNEL);
	mutex_unlock(&cache_lock);
	alloc_clear_hooks(&shrink_hooks);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "cache_lock -> reclaim_fs -> cache_lock", 1);
}

/*
 * A real shrinker: freeing its objects is filesystem work under cache_lock.
 * cache_objects, cache_fs_scans: cache_lock (read without it: one task).
 */
static unsigned long cache_objects;
static unsigned long cache_fs_scans;

static unsigned long cache_count(struct shrinker *s, struct shrink_control *sc)
{
	return cache_objects;
}

static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long n;

	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	mutex_lock(&cache_lock);
	n = min(sc->nr_to_scan, cache_objects);
	cache_objects -= n;
	cache_fs_scans++;
	mutex_unlock(&cache_lock);
	return n;
}

static struct shrinker cache_shrinker = {
	.count_objects = cache_count,
	.scan_objects = cache_scan,
};

/* One allocation with @scope (memalloc_*_save flags, 0: none) around it. */
static void alloc_in_scope(unsigned int scope)
{
	unsigned int old = 0;

	if (scope == PF_MEMALLOC_NOFS)
		old = memalloc_nofs_save();
	else if (scope == PF_MEMALLOC_NOIO)
		old = memalloc_noio_save();
	alloc_and_free(GFP_KERNEL);
	if (scope == PF_MEMALLOC_NOFS)
		memalloc_nofs_restore(old);
	else if (scope == PF_MEMALLOC_NOIO)
		memalloc_noio_restore(old);
}

/*
 * Setup: real reclaim (reclaim_init()) with a registered shrinker whose
 * scan takes cache_lock to free objects, and refuses (SHRINK_STOP) when
 * the reclaim context may not enter the filesystem.
 * Action: forced direct reclaim for a GFP_KERNEL allocation, then for one
 * in a memalloc_nofs_save() scope and one in a memalloc_noio_save() scope
 * (try_to_free_pages() -> shrink_slab() -> the shrinker, at each level);
 * then, unforced, cache_lock held across a GFP_KERNEL allocation in a NOFS
 * scope, in a NOIO scope, and with no scope.
 * Expected: the shrinker is called at every level but takes cache_lock
 * only at the fs level; no report for the scoped allocations; a cycle
 * cache_lock -> reclaim_fs -> cache_lock for the unscoped one.
 */
static void test_shrink_slab_shrinker_lock_across_alloc_reports_cycle(void **state)
{
	unsigned long fs_scans, scans;

	assert_int_equal(reclaim_init(), 0);
	assert_int_equal(register_shrinker(&cache_shrinker, "test_cache"), 0);
	force(1, 0);
	cache_objects = 16;
	alloc_in_scope(0);
	fs_scans = cache_fs_scans;
	scans = atomic_load(&cache_shrinker.nr_scans);
	cache_objects = 16;
	alloc_in_scope(PF_MEMALLOC_NOFS);
	alloc_in_scope(PF_MEMALLOC_NOIO);
	force(0, 0);
	assert_true(fs_scans > 0);
	assert_int_equal(cache_fs_scans, fs_scans);
	assert_true(atomic_load(&cache_shrinker.nr_scans) > scans);

	mutex_lock(&cache_lock);
	alloc_in_scope(PF_MEMALLOC_NOFS);
	alloc_in_scope(PF_MEMALLOC_NOIO);
	mutex_unlock(&cache_lock);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);

	mutex_lock(&cache_lock);
	alloc_in_scope(0);
	mutex_unlock(&cache_lock);
	unregister_shrinker(&cache_shrinker);
	reclaim_exit();
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "cache_lock -> reclaim_fs -> cache_lock", 1);
}

/* ------------------------------------------------------------------ */
/* I/O path                                                              */
/* ------------------------------------------------------------------ */

static DEFINE_MUTEX(dev_lock);

static void io_submit_sim(void)
{
	io_path_enter();
	mutex_lock(&dev_lock);		/* the block device's queue lock */
	mutex_unlock(&dev_lock);
	io_path_exit();
}

/*
 * Setup: I/O-path code takes dev_lock (inside io_path_enter()). Action:
 * dev_lock held across a GFP_KERNEL allocation inside a
 * memalloc_noio_save() scope. Expected: no report: the scope makes it
 * GFP_NOIO, whose reclaim never waits for I/O.
 */
static void test_alloc_pages_io_lock_in_noio_scope_no_report(void **state)
{
	unsigned int noio;

	io_submit_sim();
	/* NOIO: reclaim must not wait for I/O queued behind dev_lock. */
	noio = memalloc_noio_save();
	mutex_lock(&dev_lock);
	alloc_and_free(GFP_KERNEL);
	mutex_unlock(&dev_lock);
	memalloc_noio_restore(noio);
}

/*
 * Setup: as above. Action: dev_lock held across a GFP_KERNEL allocation
 * without a scope. Expected: a cycle dev_lock -> reclaim_io -> dev_lock
 * (reclaim with __GFP_IO may wait for I/O that needs dev_lock).
 */
static void test_alloc_pages_io_lock_without_scope_reports_cycle(void **state)
{
	io_submit_sim();
	mutex_lock(&dev_lock);
	alloc_and_free(GFP_KERNEL);
	mutex_unlock(&dev_lock);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "dev_lock -> reclaim_io -> dev_lock", 1);
}

/* ------------------------------------------------------------------ */
/* Allocation scopes (bug 4)                                             */
/* ------------------------------------------------------------------ */

static __noinline void vmalloc_sim(gfp_t gfp, bool noio_scope)
{
	unsigned int noio = 0;

	alloc_scope_push(gfp, "__vmalloc", _RET_IP_);
	alloc_and_free(gfp);			/* the data pages */
	if (noio_scope)
		noio = memalloc_noio_save();	/* the fix: a scope */
	alloc_and_free(GFP_KERNEL);		/* a page table */
	if (noio_scope)
		memalloc_noio_restore(noio);
	alloc_scope_pop();
}

/*
 * Setup: a vmalloc-like API called with GFP_NOIO that allocates its page
 * tables with GFP_KERNEL (dm-bufio's bug 4). Expected: one alloc-scope
 * report naming the nested allocation, __vmalloc and this function (the
 * caller that passed GFP_NOIO), at once (no cycle or hang needed); with a
 * NOIO scope around the nested allocation, none.
 */
static void test_alloc_scope_push_laxer_nested_alloc_reports(void **state)
{
	vmalloc_sim(GFP_NOIO, false);
	assert_lockdep_claim(LOCKDEP_REPORT_ALLOC_SCOPE,
			     "allocation in alloc_and_free inside __vmalloc from "
			     "test_alloc_scope_push_laxer_nested_alloc_reports",
			     1);
	vmalloc_sim(GFP_NOIO, true);
	vmalloc_sim(GFP_KERNEL, false);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_ALLOC_SCOPE), 1);
}

/* Inside a GFP_NOIO scope: a large kmalloc and a kmem_cache_alloc that grows. */
static __noinline void slab_allocs_in_noio_scope(struct kmem_cache *cache)
{
	void *big, *obj;

	alloc_scope_push(GFP_NOIO, "__vmalloc", _RET_IP_);
	big = kmalloc(64 << 10, GFP_KERNEL);		/* pages, not a cache */
	obj = kmem_cache_alloc(cache, GFP_KERNEL);	/* a new slab */
	alloc_scope_pop();
	assert_non_null(big);
	assert_non_null(obj);
	kfree(big);
	kmem_cache_free(cache, obj);
}

/*
 * Setup: an empty cache (its first allocation grows a slab).
 * Action: inside a GFP_NOIO scope, a GFP_KERNEL kmalloc too large for the
 * caches and a GFP_KERNEL kmem_cache_alloc of the empty cache.
 * Expected: one alloc-scope report each, naming the caller's function: the
 * page allocation under them is the same call site, not a second report
 * naming slab.c (the large kmalloc used to report twice).
 */
static void test_alloc_scope_slab_page_alloc_reports_caller_once(void **state)
{
	struct kmem_cache *cache = kmem_cache_create("scope-cache", 64, 0, 0,
						     NULL);

	assert_non_null(cache);
	slab_allocs_in_noio_scope(cache);
	assert_lockdep_claim(LOCKDEP_REPORT_ALLOC_SCOPE,
			     "allocation in slab_allocs_in_noio_scope inside "
			     "__vmalloc", 2);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_ALLOC_SCOPE), 2);
	kmem_cache_destroy(cache);
}

/* ------------------------------------------------------------------ */
/* Bug 5: page lock -> pte allocation -> reclaim waits on writeback       */
/* ------------------------------------------------------------------ */

static struct page *wb_page;

static unsigned long memcg_reclaim_waits_writeback(gfp_t gfp,
						   unsigned int order)
{
	wait_on_page_writeback(wb_page);	/* legacy memcg reclaim */
	return 0;
}

static const struct alloc_hooks wb_hooks = {
	.try_to_free_pages = memcg_reclaim_waits_writeback,
};

/* The flusher: marks a page for writeback, then locks the next page. */
static void flusher_sim(struct page *p, struct page *next)
{
	lock_page(p);
	assert_false(set_page_writeback(p));	/* owed until submitted */
	unlock_page(p);
	lock_page(next);
	unlock_page(next);
	end_page_writeback(p);			/* I/O done: discharged */
}

/*
 * Setup: a reclaim hook that waits on writeback; four real pages.
 * Action: forced reclaim runs it once (reclaim_fs -> PG_writeback); the
 * flusher owes writeback and locks a page (PG_writeback -> PG_locked);
 * the fault path holds a page lock across a GFP_KERNEL page-table
 * allocation (PG_locked -> reclaim_fs). Expected: the three-edge cycle of
 * bug 5; with the page table allocated before lock_page(), no report.
 */
static void test_lock_page_alloc_under_page_lock_writeback_reports_cycle(void **state)
{
	struct page *p[4];

	for (int i = 0; i < 4; i++)
		assert_non_null(p[i] = alloc_page(GFP_KERNEL));
	wb_page = p[3];
	alloc_set_hooks(&wb_hooks);
	force(1, 0);
	alloc_and_free(GFP_KERNEL);
	force(0, 0);
	alloc_clear_hooks(&wb_hooks);
	flusher_sim(p[1], p[2]);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);

	/* Fixed fault path: pre-allocate, then lock. */
	{
		struct page *pte = alloc_page(GFP_KERNEL);

		lock_page(p[0]);
		unlock_page(p[0]);
		__free_page(pte);
	}
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);

	/* Buggy fault path. */
	lock_page(p[0]);
	alloc_and_free(GFP_KERNEL);
	unlock_page(p[0]);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "PG_locked -> reclaim_fs -> PG_writeback -> "
			     "PG_locked", 1);
	for (int i = 0; i < 4; i++)
		__free_page(p[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		lockdep_unit_test(test_alloc_pages_lock_taken_by_oom_notifier_reports_cycle),
		lockdep_unit_test(test_alloc_pages_noio_under_oom_notifier_lock_reports_cycle),
		lockdep_unit_test(test_alloc_pages_before_lock_oom_notifier_no_report),
		lockdep_unit_test(test_alloc_pages_lock_taken_by_shrinker_reports_cycle),
		lockdep_unit_test(test_shrink_slab_shrinker_lock_across_alloc_reports_cycle),
		lockdep_unit_test(test_alloc_pages_io_lock_in_noio_scope_no_report),
		lockdep_unit_test(test_alloc_pages_io_lock_without_scope_reports_cycle),
		lockdep_unit_test(test_alloc_scope_push_laxer_nested_alloc_reports),
		lockdep_unit_test(test_alloc_scope_slab_page_alloc_reports_caller_once),
		lockdep_unit_test(test_lock_page_alloc_under_page_lock_writeback_reports_cycle),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
