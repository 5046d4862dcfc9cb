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

static void round_hook(const char *name, void *arg, void *ctx)
{
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

/* The metrics follow Linux's formulas on a known free-list state. */
static void test_extfrag_index_matches_linux_formula(void **state)
{
	struct zone *dma = &contig_page_data.node_zones[ZONE_DMA];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	/* One free order-10 block: suitable for every order. */
	for (unsigned int o = 0; o <= MAX_PAGE_ORDER; o++) {
		assert_int_equal(extfrag_index(dma, o), -1000);
		assert_int_equal(unusable_free_index(dma, o), 0);
	}
	f = open_memstream(&buf, &len);
	extfrag_dump(f);
	unusable_dump(f);
	fclose(f);
	assert_non_null(strstr(buf, "Node 0, zone      DMA -1.000 -1.000"));
	assert_non_null(strstr(buf, "Node 0, zone   Normal 0.000 0.000"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_compact_nodes_fragmented_balloon_restores_order9),
		T(test_alloc_pages_order9_direct_compaction_succeeds),
		T(test_kcompactd_woken_by_failed_allocation_compacts),
		T(test_kcompactd_proactive_lowers_fragmentation_score),
		T(test_extfrag_index_matches_linux_formula),
#undef T
	};

	return cmocka_run_group_tests_name("compaction", tests, NULL, NULL);
}
