// SPDX-License-Identifier: MIT
/* test_balloon.c - the balloon framework and movable-ops migration. */
#include "../../support/test_support.h"
#include "../../support/balloon_fixture.h"

#include <ballast/slab.h>

#define RAM (64UL << 20)

static struct test_balloon tb;

static int setup(void **state)
{
	test_mem_setup(RAM);
	assert_int_equal(balloon_init(), 0);
	test_balloon_init(&tb, true, false);
	return 0;
}

static int teardown(void **state)
{
	test_balloon_deflate(&tb, ~0UL);
	assert_int_equal(balloon_check(&tb.info), 0);
	balloon_exit();
	test_mem_teardown();
	return 0;
}

static struct page *first_balloon_page(void)
{
	struct page *page;

	spin_lock(&balloon_pages_lock);
	page = list_first_entry(&tb.info.pages, struct page, lru);
	spin_unlock(&balloon_pages_lock);
	return page;
}

/*
 * Inflated pages are offline, movable-ops, point to the device, and are
 * counted (balloon_inflate, nr_balloon_pages); deflated pages are plain
 * pages again and go back to the allocator.
 */
static void test_balloon_page_list_enqueue_marks_and_counts(void **state)
{
	unsigned long free_before = test_free_pages_drained();
	unsigned long inflate_before = vm_event_sum(BALLOON_INFLATE);
	struct page *page;

	assert_int_equal(test_balloon_inflate(&tb, 100), 100);
	assert_int_equal(tb.info.nr_pages, 100);
	assert_int_equal(node_page_state(NR_BALLOON_PAGES), 100);
	assert_int_equal(vm_event_sum(BALLOON_INFLATE), inflate_before + 100);
	assert_int_equal(test_free_pages_drained(), free_before - 100);
	page = first_balloon_page();
	assert_true(PageOffline(page));
	assert_true(PageMovableOps(page));
	assert_ptr_equal((void *)page->private, &tb.info);
	assert_int_equal(get_pageblock_migratetype(page), MIGRATE_MOVABLE);
	assert_int_equal(balloon_check(&tb.info), 0);
	assert_int_equal(alloc_check(NULL, ALLOC_CHECK_QUIESCENT), 0);

	assert_int_equal(test_balloon_deflate(&tb, 60), 60);
	assert_int_equal(node_page_state(NR_BALLOON_PAGES), 40);
	assert_int_equal(test_free_pages_drained(), free_before - 40);
	assert_int_equal(tb.told_inflate, 100);
	assert_int_equal(tb.told_deflate, 60);
}

/*
 * Setup: three pages from balloon_page_alloc(); the middle one is given
 * the page-table type first (a caller's bug).
 * Action: balloon_page_list_enqueue() of the three.
 * Expected: the misuse is reported once; two pages are enqueued and
 * counted (nr_pages, nr_balloon_pages, balloon_inflate); the typed page is
 * still on the caller's list, still a page table, not pointing to the
 * device.
 *
 *   caller's list:  [A] [T] [B]  ──enqueue──►  balloon: A B   caller: [T]
 */
static void test_balloon_page_list_enqueue_typed_page_stays_with_caller(void **state)
{
	unsigned long misuse = log_misuse_count();
	unsigned long inflate_before = vm_event_sum(BALLOON_INFLATE);
	struct page *pages[3], *typed;
	LIST_HEAD(list);

	for (int i = 0; i < 3; i++) {
		pages[i] = balloon_page_alloc();
		assert_non_null(pages[i]);
		list_add_tail(&pages[i]->lru, &list);
	}
	typed = pages[1];
	assert_true(page_set_type(typed, PGTY_TABLE));

	assert_int_equal(balloon_page_list_enqueue(&tb.info, &list), 2);
	assert_int_equal(log_misuse_count(), misuse + 1);
	assert_int_equal(tb.info.nr_pages, 2);
	assert_int_equal(node_page_state(NR_BALLOON_PAGES), 2);
	assert_int_equal(vm_event_sum(BALLOON_INFLATE), inflate_before + 2);
	assert_ptr_equal(list_first_entry(&list, struct page, lru), typed);
	assert_ptr_equal(typed->lru.next, &list);
	assert_true(PageTable(typed));
	assert_int_equal(typed->private, 0);
	assert_int_equal(balloon_check(&tb.info), 0);

	list_del(&typed->lru);
	assert_true(page_clear_type(typed, PGTY_TABLE));
	put_page(typed);
	assert_int_equal(test_balloon_deflate(&tb, 10), 2);
}

/*
 * Setup: a page from balloon_page_alloc(), given the page-table type (a
 * caller's bug).
 * Action: balloon_page_enqueue() of it.
 * Expected: the misuse is reported, nothing is enqueued, and the page is
 * left on no list: its lru does not point into the enqueue's stack frame.
 */
static void test_balloon_page_enqueue_typed_page_left_unlinked(void **state)
{
	unsigned long misuse = log_misuse_count();
	struct page *typed = balloon_page_alloc();

	assert_non_null(typed);
	assert_true(page_set_type(typed, PGTY_TABLE));
	balloon_page_enqueue(&tb.info, typed);
	assert_int_equal(log_misuse_count(), misuse + 1);
	assert_int_equal(tb.info.nr_pages, 0);
	assert_true(list_empty(&typed->lru));
	assert_true(page_clear_type(typed, PGTY_TABLE));
	put_page(typed);
}

/*
 * Isolation takes a page off the list (isolated count 1) and the deflater
 * cannot see it; putback returns it.
 */
static void test_balloon_page_list_dequeue_skips_isolated_page(void **state)
{
	LIST_HEAD(isolated);
	struct page *page;
	unsigned long nr, iso;

	test_balloon_inflate(&tb, 3);
	page = first_balloon_page();
	assert_true(isolate_movable_page(page, 0));
	assert_true(PageIsolated(page));
	list_add(&page->lru, &isolated);
	assert_false(isolate_movable_page(page, 0));	/* already isolated */
	balloon_dev_counts(&tb.info, &nr, &iso);
	assert_int_equal(nr, 3);
	assert_int_equal(iso, 1);
	assert_int_equal(test_balloon_deflate(&tb, 10), 2);
	assert_int_equal(balloon_check(&tb.info), 0);
	putback_movable_pages(&isolated);
	assert_false(PageIsolated(page));
	assert_int_equal(tb.info.isolated_pages, 0);
	assert_int_equal(page_ref_count(page), 1);
	assert_int_equal(test_balloon_deflate(&tb, 10), 1);
}

static struct page *alloc_dst(struct page *src, unsigned long private)
{
	return alloc_page(GFP_HIGHUSER_MOVABLE);
}

/*
 * migrate_pages() moves a balloon page to a new frame: the new page is in
 * the balloon with the same device, the old one is freed, the driver told
 * the host about both, counters say so, and the new page migrates again.
 */
static void test_migrate_pages_balloon_page_moves_identity(void **state)
{
	unsigned long free_before, migrate_before = vm_event_sum(BALLOON_MIGRATE);
	LIST_HEAD(list);
	struct page *page, *now;
	unsigned int done;

	test_balloon_inflate(&tb, 1);
	free_before = test_free_pages_drained();
	page = first_balloon_page();
	for (int round = 0; round < 2; round++) {
		assert_true(isolate_movable_page(page, 0));
		list_add(&page->lru, &list);
		assert_int_equal(migrate_pages(&list, alloc_dst, NULL, 0,
					       MIGRATE_SYNC, MR_SYSCALL, &done), 0);
		assert_int_equal(done, 1);
		assert_true(list_empty(&list));
		now = first_balloon_page();
		assert_ptr_not_equal(now, page);
		assert_true(PageOffline(now) && PageMovableOps(now));
		assert_ptr_equal((void *)now->private, &tb.info);
		assert_int_equal(page_ref_count(now), 1);
		assert_int_equal(page_get_type(page), PGTY_NONE);
		assert_int_equal(page_ref_count(page), 0);	/* freed */
		page = now;
	}
	assert_int_equal(tb.info.nr_pages, 1);
	assert_int_equal(tb.info.isolated_pages, 0);
	assert_int_equal(tb.migrations, 2);
	assert_int_equal(vm_event_sum(BALLOON_MIGRATE), migrate_before + 2);
	assert_int_equal(test_free_pages_drained(), free_before);
	assert_int_equal(alloc_check(NULL, ALLOC_CHECK_QUIESCENT), 0);
}

/* A device without migratepage keeps its pages where they are. */
static void test_isolate_movable_page_device_without_migration_refuses(void **state)
{
	struct test_balloon fixed;
	struct page *page;

	test_balloon_init(&fixed, false, false);
	test_balloon_inflate(&fixed, 1);
	spin_lock(&balloon_pages_lock);
	page = list_first_entry(&fixed.info.pages, struct page, lru);
	spin_unlock(&balloon_pages_lock);
	assert_false(PageMovableOps(page));
	assert_false(isolate_movable_page(page, 0));
	assert_int_equal(test_balloon_deflate(&fixed, 1), 1);
}

/*
 * A balloon that does not count its pages as managed memory lowers the
 * zones' managed pages while inflated.
 */
static void test_balloon_adjust_managed_pages_follows_balloon(void **state)
{
	struct test_balloon unmanaged;
	unsigned long total = totalram_pages();

	test_balloon_init(&unmanaged, true, true);
	assert_int_equal(test_balloon_inflate(&unmanaged, 1000), 1000);
	assert_int_equal(totalram_pages(), total - 1000);
	assert_int_equal(test_balloon_deflate(&unmanaged, 1000), 1000);
	assert_int_equal(totalram_pages(), total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_balloon_page_list_enqueue_marks_and_counts),
		T(test_balloon_page_list_enqueue_typed_page_stays_with_caller),
		T(test_balloon_page_enqueue_typed_page_left_unlinked),
		T(test_balloon_page_list_dequeue_skips_isolated_page),
		T(test_migrate_pages_balloon_page_moves_identity),
		T(test_isolate_movable_page_device_without_migration_refuses),
		T(test_balloon_adjust_managed_pages_follows_balloon),
#undef T
	};

	return cmocka_run_group_tests_name("balloon", tests, NULL, NULL);
}
