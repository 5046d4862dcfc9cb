// SPDX-License-Identifier: MIT
/*
 * test_compaction.c - compaction over a guest fragmented by ballooned
 * pages (one page in four stays in the balloon, so no free block above
 * order 1 exists although three quarters of RAM are free):
 *
 *   pfn:  0 1 2 3 4 5 6 7 8 ...
 *         B . . . B . . . B
 *
 * Each path (manual, direct, kcompactd, proactive) must make order-9
 * allocations possible again, and the balloon must agree with the host
 * record at the end.
 */
#include "../../support/test_support.h"
#include "../../support/fragment.h"

#include <ballast/task.h>
#include <ballast/lib/testhook.h>

#include <stdlib.h>
#include <string.h>

#define RAM (64UL << 20)

static struct test_balloon tb;

static struct completion kcompactd_round;
static _Atomic(unsigned long) rounds;	/* kcompactd rounds over */

static void round_hook(const char *name, void *arg, void *ctx)
{
	atomic_fetch_add(&rounds, 1);
	complete(&kcompactd_round);
}

/*
 * Wait, round after round of kcompactd (signalled through a test hook),
 * until @cond holds; a round that takes more than 20 s (80 s under the
 * sanitizers) fails the test: a failure detector, not synchronisation.
 */
#define WAIT_FOR(cond)                                                   \
	do {                                                             \
		while (!(cond))                                          \
			if (!wait_for_completion_timeout(                \
				    &kcompactd_round,                    \
				    (unsigned long)(20000 / test_scale()))) \
				fail_msg("timed out: %s", #cond);        \
	} while (0)

static void start_kcompactd(void)
{
	init_completion(&kcompactd_round);
	assert_int_equal(test_hook_set("compaction.kcompactd_round", round_hook,
				       NULL), 0);
	assert_int_equal(compaction_init(), 0);
}

static void stop_kcompactd(void)
{
	compaction_exit();
	test_hook_clear("compaction.kcompactd_round");
}

/* Wait until the kcompactd round now running (or the next one) is over. */
static void wait_kcompactd_round(void)
{
	unsigned long r = atomic_load(&rounds);

	WAIT_FOR(atomic_load(&rounds) > r);
}

/*
 * Wait until kcompactd has done the work a failed allocation asked for:
 * its wake count passed @wakes, and that round is over.
 */
static void wait_kcompactd_work(unsigned long wakes)
{
	WAIT_FOR(vm_event_sum(KCOMPACTD_WAKE) > wakes);
	wait_kcompactd_round();
}

static int setup(void **state)
{
	test_mem_setup(RAM);
	assert_int_equal(balloon_init(), 0);
	test_balloon_init(&tb, true, false);
	compaction_set_proactiveness(0);
	return 0;
}

static int teardown(void **state)
{
	unsigned long nr, iso;

	stop_kcompactd();	/* idempotent: a failed wait must not leave it running */
	balloon_dev_counts(&tb.info, &nr, &iso);
	assert_int_equal(iso, 0);
	assert_int_equal(tb.told_inflate - tb.told_deflate, nr);
	assert_int_equal(balloon_check(&tb.info), 0);
	test_balloon_deflate(&tb, ~0UL);
	balloon_exit();
	compaction_set_proactiveness(20);
	test_mem_teardown();
	return 0;
}

static unsigned long attempts(void)
{
	return test_free_pages_drained() / pageblock_nr_pages;
}

/*
 * Manual compaction of the whole node (compact_memory) moves the balloon
 * pages together: order-9 allocations go from none to most of free memory,
 * the extfrag index for order 9 goes from "fragmentation" to -1000, and
 * every balloon page is still in the balloon.
 */
static void test_compact_nodes_fragmented_balloon_restores_order9(void **state)
{
	struct zone *normal = &contig_page_data.node_zones[ZONE_NORMAL];
	unsigned long kept = fragment_with_balloon(&tb, 4);
	unsigned long before, after, n = attempts();

	assert_true(kept > 3000);
	assert_true(extfrag_index(normal, 9) > 500);
	assert_true(unusable_free_index(normal, 9) > 990);
	before = count_high_order_allocs(9, n);
	compact_nodes();
	after = count_high_order_allocs(9, n);
	print_message("order-9 success: before %lu/%lu, after %lu/%lu\n",
		      before, n, after, n);
	assert_int_equal(before, 0);
	assert_true(after * 10 >= n * 8);
	assert_int_equal(extfrag_index(normal, 9), -1000);
	assert_int_equal(tb.info.nr_pages, kept);
	assert_true(vm_event_sum(BALLOON_MIGRATE) > 0);
	assert_true(vm_event_sum(COMPACTMIGRATE_SCANNED) > 0);
	assert_true(vm_event_sum(COMPACTFREE_SCANNED) > 0);
	assert_int_equal(alloc_check(NULL, ALLOC_CHECK_QUIESCENT), 0);
}

/*
 * Setup: the balloon fragments Normal one page in four, except for the
 * highest pageblock the balloon had whole, left free (an order-9 block):
 *
 *   block:  0        1                 free_block        top
 *           B...B... B...B...  ...     ..........        (slab, B...)
 *
 * Action: compact_nodes(). Expected: the free scanner passes over the
 * free order-9 block (Linux's suitable_migration_target()) instead of
 * splitting it to hold migrated pages: after compaction it is still one
 * free block of order 9 or more, with no balloon page in it, while the
 * balloon pages did move.
 */
static void test_compact_nodes_free_pageblock_is_not_split(void **state)
{
	struct zone *normal = &contig_page_data.node_zones[ZONE_NORMAL];
	unsigned long nr_blocks = normal->spanned_pages / pageblock_nr_pages;
	unsigned int *in_balloon = calloc(nr_blocks, sizeof(*in_balloon));
	unsigned long free_block = 0, first_pfn;
	struct page *page, *next;
	LIST_HEAD(pages);
	LIST_HEAD(keep);

	assert_non_null(in_balloon);
	test_balloon_inflate(&tb, ~0UL);
	mutex_lock(&tb.lock);
	tb.told_deflate += balloon_page_list_dequeue(&tb.info, &pages, ~0UL);
	mutex_unlock(&tb.lock);
	list_for_each_entry(page, &pages, lru)
		if (page_zone(page) == normal)
			in_balloon[(page_to_pfn(page) - normal->zone_start_pfn) /
				   pageblock_nr_pages]++;
	for (unsigned long b = 0; b < nr_blocks; b++)
		if (in_balloon[b] == pageblock_nr_pages)
			free_block = b;
	free(in_balloon);
	assert_true(free_block > 0);
	first_pfn = normal->zone_start_pfn + free_block * pageblock_nr_pages;
	list_for_each_entry_safe(page, next, &pages, lru) {
		unsigned long pfn = page_to_pfn(page);

		list_del(&page->lru);
		if (pfn % 4 == 0 && page_zone(page) == normal &&
		    (pfn < first_pfn || pfn >= first_pfn + pageblock_nr_pages))
			list_add(&page->lru, &keep);
		else
			put_page(page);
	}
	mutex_lock(&tb.lock);
	tb.told_inflate += balloon_page_list_enqueue(&tb.info, &keep);
	mutex_unlock(&tb.lock);
	drain_all_pages(NULL);
	page = pfn_to_page(first_pfn);
	assert_true(PageBuddy(page) && buddy_order_unsafe(page) >= 9);

	compact_nodes();
	assert_true(tb.migrations > 0);
	drain_all_pages(NULL);
	for (unsigned long i = 0; i < pageblock_nr_pages; i++)
		if (PageOffline(pfn_to_page(first_pfn + i)))
			fail_msg("pfn %#lx of the free block holds a balloon page",
				 first_pfn + i);
	assert_true(PageBuddy(page) && buddy_order_unsafe(page) >= 9);
}

/*
 * Direct compaction: with compaction registered, a GFP_KERNEL order-9
 * allocation in the fragmented guest compacts and succeeds; the stall and
 * success counters move.
 */
static void test_alloc_pages_order9_direct_compaction_succeeds(void **state)
{
	unsigned long stall = vm_event_sum(COMPACTSTALL);
	unsigned long success = vm_event_sum(COMPACTSUCCESS);
	struct page *page;

	fragment_with_balloon(&tb, 4);
	assert_int_equal(count_high_order_allocs(9, 1), 0);
	assert_int_equal(compaction_init(), 0);
	page = alloc_pages(GFP_KERNEL, 9);
	compaction_exit();
	assert_non_null(page);
	assert_true(vm_event_sum(COMPACTSTALL) > stall);
	assert_true(vm_event_sum(COMPACTSUCCESS) > success);
	__free_pages(page, 9);
}

/*
 * Setup: the fragmented guest, compaction registered. Action: a GFP_KERNEL
 * order-9 allocation inside a NOIO scope (effective mask GFP_NOIO).
 * Expected: as in Linux (gfp_compaction_allowed()), no direct compaction
 * without __GFP_IO: no stall counted, nothing scanned but by kcompactd
 * (woken by the failure), and the allocation fails.
 */
static void test_alloc_pages_order9_noio_scope_does_not_compact(void **state)
{
	unsigned long stall = vm_event_sum(COMPACTSTALL);
	unsigned long scanned = vm_event_sum(COMPACTMIGRATE_SCANNED) -
				vm_event_sum(KCOMPACTD_MIGRATE_SCANNED);
	unsigned int noio;
	struct page *page;

	fragment_with_balloon(&tb, 4);
	assert_int_equal(compaction_init(), 0);
	noio = memalloc_noio_save();
	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 9);
	memalloc_noio_restore(noio);
	compaction_exit();	/* kcompactd has stopped scanning */
	assert_null(page);
	assert_int_equal(vm_event_sum(COMPACTSTALL), stall);
	assert_int_equal(vm_event_sum(COMPACTMIGRATE_SCANNED) -
				 vm_event_sum(KCOMPACTD_MIGRATE_SCANNED),
			 scanned);
}

/*
 * Setup: the guest fragmented by a balloon whose pages cannot migrate, so
 * no compaction can succeed; compaction and kcompactd running.
 * Action and expected, as Linux's defer_compaction() counts for Normal:
 *  1. an order-9 __GFP_RETRY_MAYFAIL allocation fails at every priority;
 *     the sync-light and sync-full failures defer the zone twice: of the
 *     next 1 << 2 attempts, 3 are skipped. kcompactd, woken by the failure,
 *     counts attempt 1.
 *  2. an order-9 __GFP_NORETRY allocation: attempt 2 is deferred: it fails
 *     without scanning a page (compaction was skipped), yet counts a stall
 *     and a failure, as Linux counts COMPACT_DEFERRED; kcompactd's wake is
 *     attempt 3.
 *  3. the same allocation again: attempt 4 reaches the limit and compacts
 *     (pages are scanned again).
 */
static void test_alloc_pages_order9_failed_sync_compaction_defers_next(void **state)
{
	const gfp_t noretry = GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN;
	unsigned long scanned, stall, fail, wakes;

	test_balloon_init(&tb, false, false);
	fragment_with_balloon(&tb, 4);
	start_kcompactd();

	wakes = vm_event_sum(KCOMPACTD_WAKE);
	assert_null(alloc_pages(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN,
				9));
	wait_kcompactd_work(wakes);

	scanned = vm_event_sum(COMPACTMIGRATE_SCANNED);
	stall = vm_event_sum(COMPACTSTALL);
	fail = vm_event_sum(COMPACTFAIL);
	wakes = vm_event_sum(KCOMPACTD_WAKE);
	assert_null(alloc_pages(noretry, 9));
	wait_kcompactd_work(wakes);
	assert_int_equal(vm_event_sum(COMPACTMIGRATE_SCANNED), scanned);
	assert_int_equal(vm_event_sum(COMPACTSTALL), stall + 1);
	assert_int_equal(vm_event_sum(COMPACTFAIL), fail + 1);

	wakes = vm_event_sum(KCOMPACTD_WAKE);
	assert_null(alloc_pages(noretry, 9));
	wait_kcompactd_work(wakes);
	assert_true(vm_event_sum(COMPACTMIGRATE_SCANNED) > scanned);
	stop_kcompactd();
}

/*
 * kcompactd: a failed GFP_NOWAIT order-9 allocation wakes it; it compacts
 * in the background until an order-9 block exists.
 */
static void test_kcompactd_woken_by_failed_allocation_compacts(void **state)
{
	struct zone *normal = &contig_page_data.node_zones[ZONE_NORMAL];
	unsigned long wakes = vm_event_sum(KCOMPACTD_WAKE);

	fragment_with_balloon(&tb, 4);
	start_kcompactd();
	assert_null(alloc_pages(GFP_NOWAIT, 9));
	WAIT_FOR(vm_event_sum(KCOMPACTD_WAKE) > wakes &&
		 extfrag_index(normal, 9) == -1000);
	stop_kcompactd();
	assert_true(count_high_order_allocs(9, 1) == 1);
}

/*
 * Proactive compaction: with proactiveness 90 (target score 10, acted on
 * above 20) the fragmented zone's score is far too high; kcompactd brings
 * it under the threshold without any allocation asking.
 */
static void test_kcompactd_proactive_lowers_fragmentation_score(void **state)
{
	struct zone *normal = &contig_page_data.node_zones[ZONE_NORMAL];

	fragment_with_balloon(&tb, 4);
	assert_true(fragmentation_score(normal) > 50);
	compaction_set_proactiveness(90);
	start_kcompactd();
	WAIT_FOR(fragmentation_score(normal) <= 20);
	stop_kcompactd();
}

/*
 * Setup: the guest fragmented by a balloon whose pages cannot migrate,
 * proactiveness 90: the score is far above the mark and nothing can lower
 * it. Action: let kcompactd run its first proactive compaction, then three
 * more intervals. Expected: as Linux's proactive_defer, a run that did not
 * lower the node's score makes kcompactd skip the next 64 intervals: those
 * three scan nothing.
 */
static void test_kcompactd_proactive_without_progress_backs_off(void **state)
{
	unsigned long scanned = vm_event_sum(KCOMPACTD_MIGRATE_SCANNED), r;

	test_balloon_init(&tb, false, false);
	fragment_with_balloon(&tb, 4);
	compaction_set_proactiveness(90);
	start_kcompactd();
	WAIT_FOR(vm_event_sum(KCOMPACTD_MIGRATE_SCANNED) > scanned);
	wait_kcompactd_round();
	scanned = vm_event_sum(KCOMPACTD_MIGRATE_SCANNED);
	r = atomic_load(&rounds);
	WAIT_FOR(atomic_load(&rounds) >= r + 3);
	assert_int_equal(vm_event_sum(KCOMPACTD_MIGRATE_SCANNED), scanned);
	stop_kcompactd();
}

/*
 * Fragment the DMA zone (pfns 0..1023, all free at setup) with ballooned
 * pages: take every page of it (movable, so both pageblocks stay movable),
 * keep pfns 0, 4, 8, ... in the balloon and free the rest. The free lists
 * then hold 256 order-0 blocks (pfns 4k+1) and 256 order-1 blocks (pfns
 * 4k+2..4k+3): 768 free pages in 512 blocks.
 *
 *   pfn:  0 1 2 3 4 5 6 7 ... 1020 1021 1022 1023
 *         B . [ ] B . [ ]     B    .    [       ]
 */
#define DMA_PAGES 1024UL

/* Take every page of the DMA zone onto @pages. */
static void take_dma(struct list_head *pages)
{
	const gfp_t gfp = GFP_NOWAIT | __GFP_DMA | __GFP_MOVABLE |
			  __GFP_MEMALLOC;
	struct page *page;
	unsigned long taken = 0;

	assert_int_equal(contig_page_data.node_zones[ZONE_DMA].spanned_pages,
			 DMA_PAGES);
	while ((page = alloc_page(gfp))) {
		list_add(&page->lru, pages);
		taken++;
	}
	assert_int_equal(taken, DMA_PAGES);
}

static void fragment_dma(void)
{
	struct zone *dma = &contig_page_data.node_zones[ZONE_DMA];
	struct page *page, *next;
	LIST_HEAD(keep);
	LIST_HEAD(all);

	take_dma(&all);
	list_for_each_entry_safe(page, next, &all, lru) {
		list_del(&page->lru);
		if (page_to_pfn(page) % 4)
			put_page(page);
		else
			list_add(&page->lru, &keep);
	}
	mutex_lock(&tb.lock);
	tb.told_inflate += balloon_page_list_enqueue(&tb.info, &keep);
	mutex_unlock(&tb.lock);
	drain_all_pages(NULL);
	assert_int_equal(atomic_load(&dma->free_area[0].nr_free), 256);
	assert_int_equal(atomic_load(&dma->free_area[1].nr_free), 256);
	for (unsigned int o = 2; o <= MAX_PAGE_ORDER; o++)
		assert_int_equal(atomic_load(&dma->free_area[o].nr_free), 0);
}

/*
 * Setup: the DMA zone fragmented as fragment_dma() draws it. Action: one
 * order-2 GFP_KERNEL | __GFP_DMA allocation, which compacts the DMA zone
 * (async, before any reclaim: an unmovable high-order request).
 * Expected, step by step as Linux counts:
 *  - the migration scanner isolates the balloon pages at pfns 0, 4, ...,
 *    124 (COMPACT_CLUSTER_MAX = 32) and stops after pfn 124: 125 pfns
 *    scanned, the free blocks it steps over counted page by page;
 *  - the free scanner takes the upper pageblock (512..1023) whole: 512
 *    pfns scanned, 384 free pages isolated;
 *  - 32 pages migrate; pfns 0..127 are then free, an order-2 block exists:
 *    compaction succeeds and the allocation with it.
 *   compact_migrate_scanned 125, compact_free_scanned 512,
 *   compact_isolated 32 + 384, compact_stall 1, compact_success 1,
 *   compact_fail 0, pgmigrate_success 32, pgmigrate_fail 0.
 */
static void test_alloc_pages_dma_order2_compaction_counts_exactly(void **state)
{
	static const struct {
		enum vm_event_item item;
		unsigned long delta;
	} want[] = {
		{ COMPACTMIGRATE_SCANNED, 125 }, { COMPACTFREE_SCANNED, 512 },
		{ COMPACTISOLATED, 32 + 384 }, { COMPACTSTALL, 1 },
		{ COMPACTSUCCESS, 1 }, { COMPACTFAIL, 0 },
		{ PGMIGRATE_SUCCESS, 32 }, { PGMIGRATE_FAIL, 0 },
	};
	unsigned long before[ARRAY_SIZE(want)];
	struct page *page;

	fragment_dma();
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		before[i] = vm_event_sum(want[i].item);
	assert_int_equal(compaction_init(), 0);
	page = alloc_pages(GFP_KERNEL | __GFP_DMA, 2);
	compaction_exit();
	assert_non_null(page);
	assert_int_equal(page_zone(page)->idx, ZONE_DMA);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (vm_event_sum(want[i].item) - before[i] != want[i].delta)
			fail_msg("%s: %lu, want %lu", vm_event_name(want[i].item),
				 vm_event_sum(want[i].item) - before[i],
				 want[i].delta);
	assert_int_equal(tb.migrations, 32);
	__free_pages(page, 2);
}

/*
 * The indexes follow Linux's formulas to the unit on three known states of
 * the DMA zone, and the dumps print them in /sys/kernel/debug/extfrag's
 * formats:
 *  - all free (one order-10 block): -1000 and 0 for every order;
 *  - nothing free: extfrag 0 (no free block), unusable 1000;
 *  - fragment_dma(): 768 free pages in 256 order-0 and 256 order-1 blocks.
 *    Order 0: -1000 and 0; order 1: -1000 and (768 - 2 * 256) * 1000 / 768
 *    = 333; order o >= 2: 1000 - (1000 + 768 * 1000 / 2^o) / 512 and 1000.
 */
static void test_extfrag_index_matches_linux_formula(void **state)
{
	static const int extfrag[NR_PAGE_ORDERS] = {
		-1000, -1000, 624, 811, 905, 952, 975, 987, 993, 996, 997,
	};
	static const int unusable[NR_PAGE_ORDERS] = {
		0, 333, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000,
	};
	struct zone *dma = &contig_page_data.node_zones[ZONE_DMA];
	struct page *page, *next;
	char *buf = NULL;
	size_t len = 0;
	LIST_HEAD(all);
	FILE *f;

	for (unsigned int o = 0; o <= MAX_PAGE_ORDER; o++) {
		assert_int_equal(extfrag_index(dma, o), -1000);
		assert_int_equal(unusable_free_index(dma, o), 0);
	}
	take_dma(&all);
	for (unsigned int o = 0; o <= MAX_PAGE_ORDER; o++) {
		assert_int_equal(extfrag_index(dma, o), 0);
		assert_int_equal(unusable_free_index(dma, o), 1000);
	}
	list_for_each_entry_safe(page, next, &all, lru) {
		list_del(&page->lru);
		put_page(page);
	}
	drain_all_pages(NULL);

	fragment_dma();
	for (unsigned int o = 0; o <= MAX_PAGE_ORDER; o++) {
		if (extfrag_index(dma, o) != extfrag[o] ||
		    unusable_free_index(dma, o) != unusable[o])
			fail_msg("order %u: extfrag %d (want %d), unusable %d "
				 "(want %d)", o, extfrag_index(dma, o),
				 extfrag[o], unusable_free_index(dma, o),
				 unusable[o]);
	}
	f = open_memstream(&buf, &len);
	extfrag_dump(f);
	unusable_dump(f);
	fclose(f);
	assert_non_null(strstr(buf, "Node 0, zone      DMA -1.000 -1.000  0.624 "
				    " 0.811  0.905  0.952  0.975  0.987  0.993 "
				    " 0.996  0.997 \n"));
	assert_non_null(strstr(buf, "Node 0, zone      DMA 0.000 0.333 1.000 "
				    "1.000 1.000 1.000 1.000 1.000 1.000 1.000 "
				    "1.000 \n"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_compact_nodes_fragmented_balloon_restores_order9),
		T(test_compact_nodes_free_pageblock_is_not_split),
		T(test_alloc_pages_order9_direct_compaction_succeeds),
		T(test_alloc_pages_order9_noio_scope_does_not_compact),
		T(test_kcompactd_woken_by_failed_allocation_compacts),
		T(test_alloc_pages_order9_failed_sync_compaction_defers_next),
		T(test_kcompactd_proactive_lowers_fragmentation_score),
		T(test_kcompactd_proactive_without_progress_backs_off),
		T(test_extfrag_index_matches_linux_formula),
		T(test_alloc_pages_dma_order2_compaction_counts_exactly),
#undef T
	};

	return cmocka_run_group_tests_name("compaction", tests, NULL, NULL);
}
