// SPDX-License-Identifier: MIT
/*
 * test_vmscan.c - reclaim of page-cache pages, by context: clean pages
 * freed under real memory pressure (direct reclaim, then kswapd), pages
 * under writeback skipped by global and unified-memcg reclaim and waited
 * on by legacy memcg reclaim, dirty pages left to the flusher by direct
 * reclaim and freed once written.
 *
 * 64 MiB of RAM with the page cache over a temporary directory; kswapd
 * only where a test starts it; the flusher with a long interval.
 *
 * Pages under writeback are made by the test itself acting as the I/O
 * owner: lock, set_page_writeback(), unlock, page_writeback_submitted();
 * end_page_writeback() later. (Those pages carry no writeback tag; reclaim
 * only looks at PG_writeback.)
 */
#include "../../support/test_support.h"

#include <ballast/reclaim.h>
#include <ballast/task.h>
#include <ballast/writeback.h>

#include <stdlib.h>
#include <string.h>

#define RAM (64UL << 20)

static int setup(void **state)
{
	struct writeback_config cfg = { .writeback_interval_ms = 60000 };

	test_pagecache_setup(RAM, &cfg, false);
	return 0;
}

static int teardown(void **state)
{
	alloc_fault_set(NULL);
	reclaim_set_writeback_wait_hook(NULL);
	test_pagecache_teardown();
	return 0;
}

static void force_direct_reclaim(gfp_t gfp)
{
	struct alloc_fault_config force = { .reclaim_nth = 1 };
	struct page *page;

	alloc_fault_set(&force);
	page = alloc_page(gfp);
	alloc_fault_set(NULL);
	assert_non_null(page);
	__free_page(page);
}

static void assert_file_bytes(struct address_space *m, unsigned long nr,
			      uint64_t seed)
{
	char *buf = malloc(nr * PAGE_SIZE), *want = malloc(nr * PAGE_SIZE);

	test_pattern(want, nr * PAGE_SIZE, seed, 0);
	assert_int_equal(filemap_read(m, 0, buf, nr * PAGE_SIZE),
			 (ssize_t)(nr * PAGE_SIZE));
	assert_memory_equal(buf, want, nr * PAGE_SIZE);
	free(buf);
	free(want);
}

static LIST_HEAD(held);

static unsigned long hold_pages(unsigned long nr, gfp_t gfp)
{
	unsigned long n = 0;

	while (n < nr) {
		struct page *page = alloc_page(gfp | __GFP_NOWARN);

		if (!page)
			break;
		list_add(&page->lru, &held);
		n++;
	}
	return n;
}

/*
 * Take pages with GFP_NOWAIT (no direct reclaim) until both zones are
 * under their low watermark, or nothing more is free.
 */
static void hold_below_low(void)
{
	struct zone *normal = &contig_page_data.node_zones[ZONE_NORMAL];
	struct zone *dma = &contig_page_data.node_zones[ZONE_DMA];
	unsigned long limit = RAM / PAGE_SIZE;

	while (limit-- &&
	       (zone_page_state(normal, NR_FREE_PAGES) >
			(long)low_wmark_pages(normal) ||
		zone_page_state(dma, NR_FREE_PAGES) >
			(long)low_wmark_pages(dma)))
		if (hold_pages(1, GFP_NOWAIT) != 1)
			break;
}

static void release_held(void)
{
	while (!list_empty(&held)) {
		struct page *page = list_first_entry(&held, struct page, lru);

		list_del(&page->lru);
		__free_page(page);
	}
}

/*
 * Setup: ~75% of RAM filled with clean page cache (one file). Action:
 * allocate GFP_KERNEL pages until 60% of RAM is held (more than is free),
 * with no kswapd. Expected: every allocation succeeds through direct
 * reclaim (ALLOCSTALL, PGSCAN_DIRECT, PGSTEAL_DIRECT grow, the page cache
 * shrinks); afterwards the file still reads back byte-exact (evicted
 * pages are re-read from the backing file).
 */
static void test_try_to_free_pages_fills_ram_clean_cache_reclaimed(void **state)
{
	unsigned long nr_file = (RAM / PAGE_SIZE) * 3 / 4;
	unsigned long want = (RAM / PAGE_SIZE) * 6 / 10;
	unsigned long steal = vm_event_sum(PGSTEAL_DIRECT);
	unsigned long stall = vm_event_sum(ALLOCSTALL_NORMAL);
	struct address_space *m = test_clean_file("fill", nr_file, 1);
	long cached = node_page_state(NR_FILE_PAGES);

	assert_true(nr_free_pages() < want);
	assert_int_equal(hold_pages(want, GFP_KERNEL), want);
	assert_true(vm_event_sum(PGSTEAL_DIRECT) > steal);
	assert_true(vm_event_sum(ALLOCSTALL_NORMAL) > stall);
	assert_true(vm_event_sum(PGSCAN_DIRECT) >= vm_event_sum(PGSTEAL_DIRECT));
	assert_true(node_page_state(NR_FILE_PAGES) < cached);
	assert_int_equal(reclaim_check(RECLAIM_CHECK_QUIESCENT), 0);
	assert_int_equal(writeback_check(WRITEBACK_CHECK_QUIESCENT), 0);
	release_held();
	assert_file_bytes(m, nr_file, 1);
	filemap_close(m);
}

/*
 * Setup: RAM filled with clean page cache, kswapd running. Action: take
 * pages with GFP_NOWAIT (no direct reclaim) until both zones are under
 * their low watermark (kswapd, woken meanwhile, races with us), then
 * kswapd_sync(). Expected: kswapd reclaimed (PGSTEAL_KSWAPD) and left the
 * node balanced: an eligible zone above its high watermark again.
 */
static void test_kswapd_low_watermark_reclaims_to_high(void **state)
{
	struct zone *normal = &contig_page_data.node_zones[ZONE_NORMAL];
	unsigned long nr_file = (RAM / PAGE_SIZE) * 3 / 4;
	struct zone *dma = &contig_page_data.node_zones[ZONE_DMA];
	struct address_space *m = test_clean_file("kswapd", nr_file, 2);
	struct reclaim_stats st;

	assert_int_equal(kswapd_run(), 0);
	/* Both zones under low: nothing eligible is balanced any more. */
	hold_below_low();
	assert_int_equal(kswapd_sync(20000), 0);
	reclaim_get_stats(&st);
	assert_true(st.kswapd_runs > 0);
	assert_true(vm_event_sum(PGSTEAL_KSWAPD) > 0);
	assert_true(zone_watermark_ok(normal, 0, high_wmark_pages(normal),
				      ZONE_NORMAL) ||
		    zone_watermark_ok(dma, 0, high_wmark_pages(dma),
				      ZONE_NORMAL));
	kswapd_stop();
	release_held();
	assert_file_bytes(m, nr_file, 2);
	filemap_close(m);
}

/* Mark @page under writeback on behalf of the test (the "I/O"). */
static void test_start_writeback(struct page *page)
{
	lock_page(page);
	assert_false(set_page_writeback(page));
	unlock_page(page);
	page_writeback_submitted(1);
}

/*
 * Setup: a clean file of 64 pages; pages 0, 2, 4, ... (32) put under
 * writeback by the test; the others clean. Action: direct reclaim forced
 * on a GFP_KERNEL allocation. Expected: global reclaim never waits: the
 * writeback pages stay cached, marked PG_reclaim (so their writeback end
 * rotates them), counted as skipped; clean pages were freed.
 */
static void test_shrink_page_list_direct_reclaim_skips_writeback(void **state)
{
	struct address_space *m = test_clean_file("wbskip", 64, 3);
	struct page *wb[32];
	struct reclaim_stats st;

	for (int i = 0; i < 32; i++) {
		wb[i] = find_get_page(m, (pgoff_t)(2 * i));
		test_start_writeback(wb[i]);
	}
	force_direct_reclaim(GFP_KERNEL);
	reclaim_get_stats(&st);
	assert_true(st.writeback_skipped > 0);
	assert_int_equal(st.writeback_waited, 0);
	for (int i = 0; i < 32; i++) {
		assert_ptr_equal(wb[i]->mapping, m);
		assert_true(PageWriteback(wb[i]));
	}
	assert_true(m->nrpages < 64);
	for (int i = 0; i < 32; i++) {
		if (PageReclaim(wb[i]))
			assert_true(PageWriteback(wb[i]));
		end_page_writeback(wb[i]);
		put_page(wb[i]);
	}
	assert_file_bytes(m, 64, 3);
	filemap_close(m);
}

/* A fake memcg: every page's lruvec is the node's; legacy or unified. */
static bool fake_legacy;
static struct mem_cgroup *const fake_memcg = (struct mem_cgroup *)&fake_legacy;

static struct lruvec *fake_page_lruvec(struct page *page)
{
	return node_lruvec();
}

static struct lruvec *fake_lruvec_iter(struct mem_cgroup *root,
				       struct lruvec *prev)
{
	return prev ? NULL : node_lruvec();
}

static bool fake_waits(struct mem_cgroup *memcg)
{
	return fake_legacy;
}

static const struct reclaim_memcg_ops fake_memcg_ops = {
	.page_lruvec = fake_page_lruvec,
	.lruvec_iter = fake_lruvec_iter,
	.reclaim_waits_writeback = fake_waits,
};
static const struct reclaim_ops fake_ops = { .memcg = &fake_memcg_ops };

static unsigned long hook_calls;

/*
 * The reclaimer is about to sleep on @page's writeback, with the page
 * unlocked: end the writeback (the I/O completes), as the flusher would.
 */
static void end_writeback_hook(struct page *page)
{
	hook_calls++;
	assert_false(PageLocked(page));
	end_page_writeback(page);
}

/*
 * Setup: a legacy memcg (reclaim waits on writeback), a clean file of
 * 64 pages whose first 8 are under writeback and already marked
 * PG_reclaim. Action: try_to_free_mem_cgroup_pages(); the wait hook ends
 * the writeback when the reclaimer is about to wait. Expected: the
 * reclaimer waited (case 3) once per page, with the page unlocked, and
 * then freed those pages; then the same with a unified memcg: it never
 * waits and keeps writeback pages.
 */
static void test_try_to_free_mem_cgroup_pages_legacy_waits_unified_skips(void **state)
{
	struct address_space *m = test_clean_file("memcg", 64, 4);
	struct reclaim_stats st;
	struct page *wb[8];

	reclaim_set_ops(&fake_ops);
	reclaim_set_writeback_wait_hook(end_writeback_hook);

	/* Legacy: waits. */
	for (int i = 0; i < 8; i++) {
		wb[i] = find_get_page(m, (pgoff_t)i);
		test_start_writeback(wb[i]);
		SetPageReclaim(wb[i]);
		put_page(wb[i]);	/* only the cache holds them */
	}
	fake_legacy = true;
	assert_true(try_to_free_mem_cgroup_pages(fake_memcg, 64, GFP_KERNEL,
						 0) > 0);
	reclaim_get_stats(&st);
	assert_int_equal(hook_calls, 8);
	assert_int_equal(st.writeback_waited, 8);
	for (int i = 0; i < 8; i++)
		assert_null(find_get_page(m, (pgoff_t)i));

	/* Unified: never waits. */
	test_clean_file("memcg", 64, 4);	/* read the pages back in, clean */
	filemap_close(m);
	for (int i = 0; i < 8; i++) {
		wb[i] = find_get_page(m, (pgoff_t)i);
		assert_non_null(wb[i]);
		test_start_writeback(wb[i]);
		SetPageReclaim(wb[i]);
	}
	fake_legacy = false;
	try_to_free_mem_cgroup_pages(fake_memcg, 64, GFP_KERNEL, 0);
	reclaim_get_stats(&st);
	assert_int_equal(st.writeback_waited, 8);
	for (int i = 0; i < 8; i++) {
		assert_ptr_equal(wb[i]->mapping, m);
		end_page_writeback(wb[i]);
		put_page(wb[i]);
	}
	reclaim_clear_ops(&fake_ops);
	assert_file_bytes(m, 64, 4);
	filemap_close(m);
}

/*
 * Setup: a file of 256 dirty pages (never written back), the flusher
 * idle. Action: direct reclaim forced; then flusher_sync(); then direct
 * reclaim again. Expected: the first reclaim writes none of them (direct
 * reclaim never writes file pages): it marks them PG_reclaim and wakes the
 * flusher; once the flusher has written them, their writeback end rotates
 * them to the inactive tail (PGROTATED) and the next reclaim frees them.
 * The file content survives byte-exact.
 */
static void test_shrink_page_list_direct_reclaim_leaves_dirty_to_flusher(void **state)
{
	char *buf = malloc(256 * PAGE_SIZE);
	unsigned long rotated = vm_event_sum(PGROTATED);
	struct address_space *m;
	struct reclaim_stats st;

	test_pattern(buf, 256 * PAGE_SIZE, 6, 0);
	assert_int_equal(filemap_open("dirty", &m), 0);
	assert_int_equal(filemap_write(m, 0, buf, 256 * PAGE_SIZE),
			 (ssize_t)(256 * PAGE_SIZE));
	assert_int_equal(m->nrdirty, 256);
	force_direct_reclaim(GFP_KERNEL);
	reclaim_get_stats(&st);
	assert_true(st.dirty_kept > 0);
	assert_true(st.flusher_wakeups > 0);
	assert_int_equal(st.dirty_written, 0);
	/*
	 * The woken flusher may already have cleaned (and reclaim freed) some
	 * pages during that reclaim; none was written by reclaim itself.
	 */
	assert_int_equal(flusher_sync(20000), 0);
	assert_int_equal(m->nrdirty, 0);
	assert_true(vm_event_sum(PGROTATED) > rotated);
	force_direct_reclaim(GFP_KERNEL);
	assert_true(m->nrpages < 256);
	assert_file_bytes(m, 256, 6);
	filemap_close(m);
	free(buf);
}

static int setup_no_flusher(void **state)
{
	struct writeback_config cfg = { .no_flusher = true };

	test_pagecache_setup(RAM, &cfg, false);
	return 0;
}

/*
 * Setup: no flusher; a file of 2000 dirty pages (under the dirty limit)
 * is the only reclaimable memory; kswapd running. Action: take pages
 * with GFP_NOWAIT until both zones are under their low watermark, then
 * kswapd_sync(). Expected: kswapd finds a tail of dirty pages (marks them
 * PG_reclaim, flags the lruvec), and on seeing them again (within a few
 * passes, each one a kswapd_sync()) writes them itself through the file
 * ops writepage (dirty_written > 0), then frees them; the file still
 * reads back byte-exact.
 */
static void test_kswapd_writes_dirty_pages_seen_twice(void **state)
{
	unsigned long nr = 2000;
	char *buf = malloc(nr * PAGE_SIZE);
	struct address_space *m;
	struct reclaim_stats st;

	test_pattern(buf, nr * PAGE_SIZE, 8, 0);
	assert_int_equal(filemap_open("kswapd-dirty", &m), 0);
	assert_int_equal(filemap_write(m, 0, buf, nr * PAGE_SIZE),
			 (ssize_t)(nr * PAGE_SIZE));
	assert_int_equal(m->nrdirty, nr);
	assert_int_equal(kswapd_run(), 0);
	hold_below_low();
	/* Seeing a page twice may take kswapd more than one pass. */
	for (int pass = 0; pass < 16; pass++) {
		assert_int_equal(kswapd_sync(20000), 0);
		reclaim_get_stats(&st);
		if (st.dirty_written)
			break;
	}
	assert_true(st.dirty_kept > 0);
	assert_true(st.dirty_written > 0);
	assert_true(m->nrpages < nr);
	kswapd_stop();
	release_held();
	assert_file_bytes(m, nr, 8);
	filemap_close(m);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_try_to_free_pages_fills_ram_clean_cache_reclaimed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kswapd_low_watermark_reclaims_to_high, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kswapd_writes_dirty_pages_seen_twice, setup_no_flusher, teardown),
		cmocka_unit_test_setup_teardown(test_shrink_page_list_direct_reclaim_skips_writeback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_try_to_free_mem_cgroup_pages_legacy_waits_unified_skips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shrink_page_list_direct_reclaim_leaves_dirty_to_flusher, setup, teardown),
	};

	test_seed();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
