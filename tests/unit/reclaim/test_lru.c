// SPDX-License-Identifier: MIT
/*
 * test_lru.c - LRU lists without the page cache: adding, aging, isolation
 * and putback, the free hook that unlists a page whose last reference
 * goes while listed, anonymous pages never reclaimed, and the counters.
 *
 * 64 MiB of RAM, reclaim set up, no kswapd, no page cache (pages have no
 * mapping; reclaim would free an unmapped file page whose only reference
 * is the isolation one, so tests keep their own reference).
 */
#include "../../support/test_support.h"

#include <ballast/reclaim.h>
#include <ballast/task.h>

#include <errno.h>

static int setup(void **state)
{
	test_mem_setup(64UL << 20);
	assert_int_equal(reclaim_init(), 0);
	return 0;
}

static int teardown(void **state)
{
	alloc_fault_set(NULL);
	assert_int_equal(reclaim_check(RECLAIM_CHECK_QUIESCENT), 0);
	reclaim_exit();
	test_mem_teardown();
	return 0;
}

/*
 * Setup: one page. Action: lru_cache_add(); mark_page_accessed() twice.
 * Expected: on the inactive file list first (PG_lru, gauges +1 at node
 * and zone), referenced after one access, active after the second
 * (PGACTIVATE); reclaim_check() agrees at each step.
 */
static void test_mark_page_accessed_twice_activates(void **state)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct zone *zone = page_zone(page);
	unsigned long activate = vm_event_sum(PGACTIVATE);

	lru_cache_add(page);
	assert_true(PageLRU(page));
	assert_false(PageActive(page));
	assert_int_equal(node_page_state(NR_INACTIVE_FILE), 1);
	assert_int_equal(zone_page_state(zone, NR_ZONE_INACTIVE_FILE), 1);
	assert_int_equal(reclaim_check(RECLAIM_CHECK_QUIESCENT), 0);

	mark_page_accessed(page);
	assert_true(PageReferenced(page));
	assert_false(PageActive(page));
	mark_page_accessed(page);
	assert_true(PageActive(page));
	assert_false(PageReferenced(page));
	assert_int_equal(node_page_state(NR_INACTIVE_FILE), 0);
	assert_int_equal(node_page_state(NR_ACTIVE_FILE), 1);
	assert_int_equal(zone_page_state(zone, NR_ZONE_ACTIVE_FILE), 1);
	assert_int_equal(vm_event_sum(PGACTIVATE), activate + 1);
	assert_int_equal(reclaim_check(RECLAIM_CHECK_QUIESCENT), 0);
	put_page(page);		/* the last reference: unlisted and freed */
	assert_int_equal(node_page_state(NR_ACTIVE_FILE), 0);
	assert_int_equal(zone_page_state(zone, NR_ZONE_ACTIVE_FILE), 0);
}

/*
 * Setup: a listed page. Action: isolate it, isolate it again, put it
 * back. Expected: the first isolation takes a reference and counts it in
 * NR_ISOLATED_FILE; the second is -EBUSY; putback relists it and drops
 * the isolation reference.
 */
static void test_isolate_lru_page_twice_second_busy(void **state)
{
	struct page *page = alloc_page(GFP_KERNEL);

	lru_cache_add(page);
	assert_int_equal(isolate_lru_page(page), 0);
	assert_false(PageLRU(page));
	assert_int_equal(page_ref_count(page), 2);
	assert_int_equal(node_page_state(NR_ISOLATED_FILE), 1);
	assert_int_equal(node_page_state(NR_INACTIVE_FILE), 0);
	assert_int_equal(isolate_lru_page(page), -EBUSY);
	assert_int_equal(reclaim_check(0), 0);
	putback_lru_page(page);
	assert_true(PageLRU(page));
	assert_int_equal(page_ref_count(page), 1);
	assert_int_equal(node_page_state(NR_ISOLATED_FILE), 0);
	assert_int_equal(node_page_state(NR_INACTIVE_FILE), 1);
	put_page(page);
}

/*
 * Setup: an isolated page whose owner drops its reference meanwhile.
 * Action: putback_lru_page(). Expected: the isolation reference was the
 * last: the page ends up free and on no list (the free hook unlisted it);
 * every page of RAM is free again.
 */
static void test_putback_lru_page_last_reference_frees(void **state)
{
	struct page *page = alloc_page(GFP_KERNEL);

	lru_cache_add(page);
	assert_int_equal(isolate_lru_page(page), 0);
	put_page(page);			/* the owner's reference */
	putback_lru_page(page);		/* the isolation one */
	assert_int_equal(node_page_state(NR_INACTIVE_FILE), 0);
	assert_int_equal(test_free_pages_drained(), totalram_pages());
	assert_int_equal(alloc_check(NULL, ALLOC_CHECK_QUIESCENT), 0);
}

/*
 * Setup: 64 anonymous pages (PG_swapbacked) and 64 file pages without a
 * mapping, all with our reference. Action: direct reclaim forced on a
 * GFP_KERNEL allocation. Expected: anonymous pages are never reclaimed
 * (no swap): all stay on the inactive anon list; file pages without a
 * mapping stay too (someone holds them).
 */
static void test_try_to_free_pages_anon_never_reclaimed(void **state)
{
	struct alloc_fault_config force = { .reclaim_nth = 1 };
	struct page *anon[64], *file[64], *p;

	for (int i = 0; i < 64; i++) {
		anon[i] = alloc_page(GFP_HIGHUSER_MOVABLE);
		SetPageSwapBacked(anon[i]);
		lru_cache_add(anon[i]);
		file[i] = alloc_page(GFP_HIGHUSER_MOVABLE);
		lru_cache_add(file[i]);
	}
	assert_int_equal(node_page_state(NR_INACTIVE_ANON), 64);
	alloc_fault_set(&force);
	p = alloc_page(GFP_KERNEL);
	alloc_fault_set(NULL);
	assert_non_null(p);
	__free_page(p);
	assert_int_equal(node_page_state(NR_INACTIVE_ANON), 64);
	assert_int_equal(node_page_state(NR_INACTIVE_FILE) +
				 node_page_state(NR_ACTIVE_FILE),
			 64);
	assert_int_equal(reclaim_check(RECLAIM_CHECK_QUIESCENT), 0);
	for (int i = 0; i < 64; i++) {
		put_page(anon[i]);
		put_page(file[i]);
	}
	assert_int_equal(node_page_state(NR_INACTIVE_ANON), 0);
}

/*
 * Setup: reclaim is initialised. Action: initialise it again; start
 * kswapd twice; kswapd_sync() with it running and after stopping it.
 * Expected: -EBUSY twice; a sync pass completes (0); -ENOENT when
 * stopped.
 */
static void test_kswapd_run_twice_busy_and_sync(void **state)
{
	assert_int_equal(reclaim_init(), -EBUSY);
	assert_int_equal(kswapd_run(), 0);
	assert_int_equal(kswapd_run(), -EBUSY);
	assert_int_equal(kswapd_sync(10000), 0);
	kswapd_stop();
	assert_int_equal(kswapd_sync(10000), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mark_page_accessed_twice_activates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_isolate_lru_page_twice_second_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_putback_lru_page_last_reference_frees, setup, teardown),
		cmocka_unit_test_setup_teardown(test_try_to_free_pages_anon_never_reclaimed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kswapd_run_twice_busy_and_sync, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
