// SPDX-License-Identifier: MIT
/*
 * test_buddy.c - the buddy allocator: initial layout, split and merge,
 * zones, compound pages, misuse reports, per-CPU lists, fallback stealing,
 * dumps and the accounting check.
 *
 * Each test gets fresh 64 MiB guest RAM:
 *   pfn 0 ........ 1024 ..................................... 16384
 *       |  DMA 4M  |              Normal 60M                    |
 * i.e. 1 + 15 max-order (order-10, 4 MiB) blocks.
 */
#include "../../support/test_support.h"

#include <ballast/alloc.h>
#include <ballast/slab.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAM (64UL << 20)
#define DMA_PAGES 1024UL

static int setup(void **state)
{
	test_mem_setup(RAM);
	return 0;
}

static int teardown(void **state)
{
	test_mem_teardown();
	return 0;
}

static struct zone *zone_of(enum zone_type t)
{
	return &contig_page_data.node_zones[t];
}

static unsigned long blocks(enum zone_type t, unsigned int order)
{
	return atomic_load(&zone_of(t)->free_area[order].nr_free);
}

/*
 * After alloc_init() every page is free and the free lists hold exactly
 * RAM / 4 MiB blocks of order 10, none smaller.
 */
static void test_alloc_init_free_lists_hold_max_order_blocks(void **state)
{
	struct alloc_census c;

	assert_int_equal(zone_of(ZONE_DMA)->spanned_pages, DMA_PAGES);
	assert_int_equal(blocks(ZONE_DMA, MAX_PAGE_ORDER), 1);
	assert_int_equal(blocks(ZONE_NORMAL, MAX_PAGE_ORDER), 15);
	for (unsigned int o = 0; o < MAX_PAGE_ORDER; o++)
		assert_int_equal(blocks(ZONE_DMA, o) + blocks(ZONE_NORMAL, o), 0);
	assert_int_equal(nr_free_pages(), RAM / PAGE_SIZE);
	assert_int_equal(alloc_check(&c, ALLOC_CHECK_QUIESCENT), 0);
	assert_int_equal(c.nr_free_buddy, RAM / PAGE_SIZE);
	assert_int_equal(c.nr_allocated, 0);
	assert_true(min_wmark_pages(zone_of(ZONE_NORMAL)) > 0);
	assert_true(low_wmark_pages(zone_of(ZONE_NORMAL)) >
		    min_wmark_pages(zone_of(ZONE_NORMAL)));
	assert_true(high_wmark_pages(zone_of(ZONE_NORMAL)) >
		    low_wmark_pages(zone_of(ZONE_NORMAL)));
}

/*
 * An order-1 allocation splits one order-10 block of Normal into halves:
 * one free block at each order 1..9 remains, plus 14 order-10 blocks.
 * Freeing it merges everything back.
 *
 *   [ 2 | 2 | 4 | 8 | ... | 512 ]  <- one 4 MiB block after the split
 *     ^ allocated
 */
static void test_alloc_pages_order1_splits_then_merges_back(void **state)
{
	struct page *page = alloc_pages(GFP_KERNEL, 1);

	assert_non_null(page);
	assert_true(IS_ALIGNED(page_to_pfn(page), 2));
	assert_true(page_to_pfn(page) >= DMA_PAGES);
	for (unsigned int o = 1; o < MAX_PAGE_ORDER; o++)
		assert_int_equal(blocks(ZONE_NORMAL, o), 1);
	assert_int_equal(blocks(ZONE_NORMAL, MAX_PAGE_ORDER), 14);
	assert_int_equal(alloc_check(NULL, 0), 0);
	__free_pages(page, 1);
	for (unsigned int o = 1; o < MAX_PAGE_ORDER; o++)
		assert_int_equal(blocks(ZONE_NORMAL, o), 0);
	assert_int_equal(blocks(ZONE_NORMAL, MAX_PAGE_ORDER), 15);
}

/*
 * Every order 0..10 gives a naturally aligned block with one reference,
 * no type, and memory that the caller can write entirely.
 */
static void test_alloc_pages_every_order_is_aligned_and_writable(void **state)
{
	for (unsigned int o = 0; o <= MAX_PAGE_ORDER; o++) {
		struct page *page = alloc_pages(GFP_KERNEL, o);

		assert_non_null(page);
		assert_true(IS_ALIGNED(page_to_pfn(page), 1UL << o));
		assert_int_equal(page_ref_count(page), 1);
		assert_int_equal(page_get_type(page), PGTY_NONE);
		memset(page_address(page), 0xa5, PAGE_SIZE << o);
		__free_pages(page, o);
	}
	assert_int_equal(test_free_pages_drained(), RAM / PAGE_SIZE);
	assert_int_equal(blocks(ZONE_NORMAL, MAX_PAGE_ORDER), 15);
}

/* __GFP_DMA allocations come from the low zone, others from Normal. */
static void test_alloc_pages_gfp_dma_uses_low_zone(void **state)
{
	struct page *dma = alloc_pages(GFP_KERNEL | __GFP_DMA, 2);
	struct page *normal = alloc_pages(GFP_KERNEL, 2);

	assert_non_null(dma);
	assert_non_null(normal);
	assert_true(page_to_pfn(dma) < DMA_PAGES);
	assert_ptr_equal(page_zone(dma), zone_of(ZONE_DMA));
	assert_true(page_to_pfn(normal) >= DMA_PAGES);
	__free_pages(dma, 2);
	__free_pages(normal, 2);
}

/* __GFP_ZERO returns zeroed memory even when the page was dirty. */
static void test_alloc_pages_gfp_zero_returns_zeroed_memory(void **state)
{
	struct page *page = alloc_pages(GFP_KERNEL, 2);
	unsigned char *p;

	memset(page_address(page), 0xff, 4 * PAGE_SIZE);
	__free_pages(page, 2);
	page = alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
	p = page_address(page);
	for (size_t i = 0; i < 4 * PAGE_SIZE; i++)
		if (p[i])
			fail_msg("byte %zu is %#x", i, p[i]);
	__free_pages(page, 2);
}

/*
 * __GFP_COMP: the head carries PG_head and the order; tails point to it.
 * put_page() on a tail drops the head's reference and frees the block.
 */
static void test_alloc_pages_comp_put_page_on_tail_frees_block(void **state)
{
	unsigned long before = test_free_pages_drained();
	struct page *head = alloc_pages(GFP_KERNEL | __GFP_COMP, 3);

	assert_true(PageHead(head));
	assert_int_equal(compound_order(head), 3);
	for (int i = 1; i < 8; i++) {
		assert_true(PageTail(head + i));
		assert_ptr_equal(compound_head(head + i), head);
	}
	get_page(head + 5);
	assert_int_equal(page_ref_count(head), 2);
	put_page(head + 3);
	assert_int_equal(test_free_pages_drained(), before - 8);
	put_page(head);
	assert_int_equal(test_free_pages_drained(), before);
	assert_false(PageTail(head + 1));
}

/* The last put_page() of an order-0 page frees it. */
static void test_put_page_last_reference_frees_page(void **state)
{
	unsigned long before = test_free_pages_drained();
	struct page *page = alloc_page(GFP_KERNEL);

	get_page(page);
	put_page(page);
	assert_int_equal(test_free_pages_drained(), before - 1);
	put_page(page);
	assert_int_equal(test_free_pages_drained(), before);
}

/*
 * Misuse is reported and refused, never corrupting the free lists: an
 * order above 10, a double free, a free with the wrong order, freeing a
 * tail page, freeing a page that is still locked.
 */
static void test___free_pages_misuse_is_reported_and_refused(void **state)
{
	unsigned long misuse = log_misuse_count();
	struct page *page;

	assert_null(alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER + 1));
	assert_int_equal(log_misuse_count(), misuse + 1);
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1));
	assert_int_equal(log_misuse_count(), misuse + 1);

	page = alloc_pages(GFP_KERNEL, 2);
	__free_pages(page, 1);			/* wrong order */
	assert_int_equal(log_misuse_count(), misuse + 2);
	assert_int_equal(page_ref_count(page), 1);
	__free_pages(page + 1, 0);		/* not the first page */
	assert_int_equal(log_misuse_count(), misuse + 3);
	__free_pages(page, 2);
	__free_pages(page, 2);			/* double free */
	assert_int_equal(log_misuse_count(), misuse + 4);
	__free_pages(pfn_to_page(8000), 0);	/* never allocated */
	assert_int_equal(log_misuse_count(), misuse + 5);

	page = alloc_page(GFP_KERNEL);
	lock_page(page);
	__free_pages(page, 0);			/* busy: reported, leaked */
	assert_int_equal(log_misuse_count(), misuse + 6);
	assert_int_equal(page_ref_count(page), 0);
	unlock_page(page);
	set_page_count(page, 1);		/* repair for the teardown */
	__free_pages(page, 0);
	assert_int_equal(alloc_check(NULL, ALLOC_CHECK_QUIESCENT), 0);
}

/*
 * Setup: none. Action: allocate with a bit above GFP_VALID_MASK. Expected:
 * reported as misuse; the unknown bit is otherwise ignored.
 */
static void test_alloc_pages_unknown_gfp_bits_are_reported(void **state)
{
	unsigned long misuse = log_misuse_count();
	struct page *page = alloc_page(GFP_KERNEL | (GFP_VALID_MASK + 1));

	assert_int_equal(log_misuse_count(), misuse + 1);
	assert_non_null(page);
	__free_page(page);
	page = alloc_page(GFP_KERNEL);
	assert_int_equal(log_misuse_count(), misuse + 1);
	__free_page(page);
}

/*
 * Order-0 pages go through per-CPU lists: the first allocation pulls a
 * batch from the buddy lists; draining returns every cached page.
 */
static void test_pcp_refills_in_batches_and_drains(void **state)
{
	struct zone *zone = zone_of(ZONE_NORMAL);
	unsigned long before = nr_free_pages();
	struct alloc_census c;
	struct page *page;
	int batch = zone->pcp[0].batch;

	drain_all_pages(NULL);
	page = alloc_page(GFP_KERNEL);
	assert_int_equal(nr_free_pages(), before - (unsigned long)batch);
	assert_int_equal(alloc_check(&c, 0), 0);
	assert_int_equal(c.nr_free_pcp, (unsigned long)batch - 1);
	__free_page(page);
	assert_int_equal(alloc_check(&c, 0), 0);
	assert_int_equal(c.nr_free_pcp, (unsigned long)batch);
	drain_all_pages(NULL);
	assert_int_equal(nr_free_pages(), before);
}

/*
 * Setup: 4 * high order-0 pages held, per-CPU lists drained. Action: free
 * them all. Expected: a per-CPU list that reaches high gives a batch back
 * to the buddy lists, so no list ever holds high pages, and what the lists
 * cannot hold is back in the buddy lists.
 */
static void test___free_page_pcp_above_high_drains_a_batch(void **state)
{
	struct zone *zone = zone_of(ZONE_NORMAL);
	int high = zone->pcp[0].high, n = 4 * high;
	struct page **pages = calloc((size_t)n, sizeof(*pages));
	unsigned long before;
	struct alloc_census c;

	assert_non_null(pages);
	for (int i = 0; i < n; i++)
		pages[i] = alloc_page(GFP_KERNEL);
	drain_all_pages(NULL);
	before = nr_free_pages();
	for (int i = 0; i < n; i++)
		__free_page(pages[i]);
	free(pages);
	for (int i = 0; i < zone->nr_pcp; i++)
		assert_true(atomic_load(&zone->pcp[i].count) < high);
	assert_true(nr_free_pages() - before >=
		    (unsigned long)(n - zone->nr_pcp * (high - 1)));
	assert_int_equal(alloc_check(&c, 0), 0);
	assert_int_equal(nr_free_pages() + c.nr_free_pcp, RAM / PAGE_SIZE);
}

/*
 * Pageblocks start movable. The first unmovable allocation finds no
 * unmovable block and claims a whole free max-order block (two pageblocks)
 * for its type; movable allocations keep using movable blocks.
 */
static void test_alloc_unmovable_claims_movable_pageblocks(void **state)
{
	struct page *unmov = alloc_pages(GFP_KERNEL, 1);
	struct page *mov = alloc_pages(GFP_HIGHUSER_MOVABLE, 1);
	struct zone *zone = zone_of(ZONE_NORMAL);
	unsigned long nr_unmovable = 0;

	assert_int_equal(get_pageblock_migratetype(unmov), MIGRATE_UNMOVABLE);
	assert_int_equal(get_pageblock_migratetype(mov), MIGRATE_MOVABLE);
	for (unsigned long pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone);
	     pfn += pageblock_nr_pages)
		if (get_pageblock_migratetype(pfn_to_page(pfn)) ==
		    MIGRATE_UNMOVABLE)
			nr_unmovable++;
	assert_int_equal(nr_unmovable, 2);
	assert_int_equal(alloc_check(NULL, 0), 0);
	__free_pages(unmov, 1);
	__free_pages(mov, 1);
}

/*
 * The dumps use /proc's formats (Linux's padding included) and agree with
 * the counters: buddyinfo's Normal line gives free_area[].nr_free of each
 * order, vmstat's nr_free_pages the gauge.
 */
static void test_dumps_use_proc_formats(void **state)
{
	struct page *page = alloc_pages(GFP_KERNEL, 3);	/* splits a block */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char line[128];
	int n;

	drain_all_pages(NULL);
	buddyinfo_dump(f);
	pagetypeinfo_dump(f);
	vmstat_dump(f);
	fclose(f);
	n = snprintf(line, sizeof(line), "Node 0, zone   Normal ");
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%6lu ",
			      blocks(ZONE_NORMAL, o));
	snprintf(line + n, sizeof(line) - (size_t)n, "\n");
	assert_non_null(strstr(buf, line));
	assert_non_null(strstr(buf, "     14 \n"));	/* order 10: 15 - 1 */
	assert_non_null(strstr(buf, "Page block order: 9\n"
				    "Pages per block:  512\n\n"
				    "Free pages count per migrate type at order"
				    "       0      1 "));
	assert_non_null(strstr(buf, "\nNumber of blocks type     Unmovable"
				    "      Movable  Reclaimable \n"));
	snprintf(line, sizeof(line), "\nnr_free_pages %lu\n", nr_free_pages());
	assert_non_null(strstr(buf, line));
	assert_non_null(strstr(buf, "\npgalloc_normal "));
	assert_non_null(strstr(buf, "\nballoon_inflate "));
	assert_non_null(strstr(buf, "\ncompact_stall "));
	free(buf);
	__free_pages(page, 3);
}

/*
 * The checker is not a test that cannot fail: a free block moved to the
 * wrong migrate-type list is found, and the repair passes again.
 */
static void test_alloc_check_detects_block_on_wrong_list(void **state)
{
	struct zone *zone = zone_of(ZONE_NORMAL);
	struct page *blk;
	unsigned long errors;

	spin_lock(&zone->lock);
	blk = list_first_entry(&zone->free_area[MAX_PAGE_ORDER]
					.free_list[MIGRATE_MOVABLE],
			       struct page, lru);
	list_move(&blk->lru, &zone->free_area[MAX_PAGE_ORDER]
				      .free_list[MIGRATE_UNMOVABLE]);
	spin_unlock(&zone->lock);
	errors = alloc_check(NULL, 0);
	spin_lock(&zone->lock);
	list_move(&blk->lru, &zone->free_area[MAX_PAGE_ORDER]
				      .free_list[MIGRATE_MOVABLE]);
	spin_unlock(&zone->lock);
	assert_true(errors > 0);
	assert_int_equal(alloc_check(NULL, 0), 0);
}

/*
 * Losing managed pages (a balloon that does not count its pages) lowers
 * the watermarks; giving them back restores them.
 */
static void test_adjust_managed_page_count_recomputes_watermarks(void **state)
{
	struct zone *zone = zone_of(ZONE_NORMAL);
	unsigned long min = min_wmark_pages(zone);
	struct page *page = pfn_to_page(4096);

	adjust_managed_page_count(page, -8192);
	assert_true(min_wmark_pages(zone) < min);
	adjust_managed_page_count(page, 8192);
	assert_int_equal(min_wmark_pages(zone), min);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_alloc_init_free_lists_hold_max_order_blocks),
		T(test_alloc_pages_order1_splits_then_merges_back),
		T(test_alloc_pages_every_order_is_aligned_and_writable),
		T(test_alloc_pages_gfp_dma_uses_low_zone),
		T(test_alloc_pages_gfp_zero_returns_zeroed_memory),
		T(test_alloc_pages_comp_put_page_on_tail_frees_block),
		T(test_put_page_last_reference_frees_page),
		T(test___free_pages_misuse_is_reported_and_refused),
		T(test_alloc_pages_unknown_gfp_bits_are_reported),
		T(test_pcp_refills_in_batches_and_drains),
		T(test___free_page_pcp_above_high_drains_a_batch),
		T(test_alloc_unmovable_claims_movable_pageblocks),
		T(test_dumps_use_proc_formats),
		T(test_alloc_check_detects_block_on_wrong_list),
		T(test_adjust_managed_page_count_recomputes_watermarks),
#undef T
	};

	return cmocka_run_group_tests_name("buddy", tests, NULL, NULL);
}
