// SPDX-License-Identifier: MIT
/*
 * test_movable_ops.c - migrate_pages() with a movable-ops owner of the
 * test's own whose pages carry data: success, the owner's -EAGAIN (retried)
 * and -EBUSY (not retried), a destination allocator that runs dry (-ENOMEM,
 * the rest left isolated), putback after each failure, and the refusals of
 * set_movable_ops(). After every step each page's bytes are checked byte
 * for byte, and the teardown finds every frame free again.
 *
 * The owner registers PGTY_OFFLINE (the one type that can be movable), so
 * the balloon is not initialised here.
 */
#include "../../support/test_support.h"

#include <ballast/migrate.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RAM (64UL << 20)
#define NR 8
#define SEED 61

/*
 * The owner: a list of pages under its lock, like a balloon whose pages
 * hold data. A page is the owner's while ->private points to it; ->index
 * names its contents (the pattern at offset index * PAGE_SIZE).
 * fail_rc, fail_left, migrate_calls: owner only (the test thread, which
 * is the only one migrating).
 */
struct test_owner {
	spinlock_t lock;
	struct list_head pages;		/* lock: pages not isolated */
	unsigned long nr_pages;		/* lock: listed + isolated */
	unsigned long isolated;		/* lock */
	int fail_rc;			/* what a failing migrate_page returns */
	unsigned int fail_left;		/* migrate_page calls still failing */
	unsigned int migrate_calls;
};

static struct test_owner owner;
static unsigned long alloc_budget;	/* destinations alloc_dst still gives */
static unsigned int nr_put_new;		/* destinations given back to put_dst */

/* Make @page the owner's, holding the contents of @index; lock held. */
static bool owner_take_locked(struct page *page, unsigned long index)
{
	if (!page_set_type(page, PGTY_OFFLINE))
		return false;
	SetPageMovableOps(page);
	page->private = (unsigned long)&owner;
	page->index = index;
	list_add_tail(&page->lru, &owner.pages);
	return true;
}

/* The owner no longer has @page (off its list); lock held. */
static void owner_release_locked(struct page *page)
{
	page->private = 0;
	page->index = 0;
	ClearPageMovableOps(page);
	page_clear_type(page, PGTY_OFFLINE);
}

static bool owner_isolate(struct page *page, isolate_mode_t mode)
{
	bool ours;

	spin_lock(&owner.lock);
	ours = page->private == (unsigned long)&owner;
	if (ours) {
		list_del(&page->lru);
		owner.isolated++;
	}
	spin_unlock(&owner.lock);
	return ours;
}

/* Rule 2 of migrate.h: copy, take @dst, let go of @src. */
static int owner_migrate(struct page *dst, struct page *src,
			 enum migrate_mode mode)
{
	owner.migrate_calls++;
	if (owner.fail_left) {
		owner.fail_left--;
		return owner.fail_rc;
	}
	migrate_copy_page(dst, src);
	spin_lock(&owner.lock);
	if (!owner_take_locked(dst, src->index)) {
		spin_unlock(&owner.lock);
		return -EINVAL;
	}
	get_page(dst);				/* the owner's reference */
	owner.isolated--;
	owner_release_locked(src);
	spin_unlock(&owner.lock);
	put_page(src);				/* the owner's reference */
	return 0;
}

static void owner_putback(struct page *page)
{
	spin_lock(&owner.lock);
	list_add_tail(&page->lru, &owner.pages);
	owner.isolated--;
	spin_unlock(&owner.lock);
}

static const struct movable_operations owner_mops = {
	.isolate_page = owner_isolate,
	.migrate_page = owner_migrate,
	.putback_page = owner_putback,
};

static const struct movable_operations other_mops = {
	.isolate_page = owner_isolate,
	.migrate_page = owner_migrate,
	.putback_page = owner_putback,
};

static struct page *alloc_dst(struct page *src, unsigned long private)
{
	if (!alloc_budget)
		return NULL;
	alloc_budget--;
	return alloc_page(GFP_HIGHUSER_MOVABLE);
}

static void put_dst(struct page *dst, unsigned long private)
{
	nr_put_new++;
	put_page(dst);
}

/* @nr pages of data, owned. */
static void owner_fill(unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++) {
		struct page *page = alloc_page(GFP_HIGHUSER_MOVABLE);
		bool taken;

		assert_non_null(page);
		test_pattern(page_address(page), PAGE_SIZE, SEED, i * PAGE_SIZE);
		spin_lock(&owner.lock);
		taken = owner_take_locked(page, i);
		owner.nr_pages++;
		spin_unlock(&owner.lock);
		assert_true(taken);
	}
}

/* The owner's listed pages, in list order (at most NR); returns how many. */
static unsigned long owner_listed(struct page **pages)
{
	struct page *page;
	unsigned long n = 0;

	spin_lock(&owner.lock);
	list_for_each_entry(page, &owner.pages, lru)
		if (n < NR)
			pages[n++] = page;
	spin_unlock(&owner.lock);
	return n;
}

/*
 * Every page is back with the owner, none isolated, and each holds the
 * bytes its ->index names; @pfns (may be NULL) receives the frames, by
 * index.
 */
static void owner_verify(unsigned long *pfns)
{
	struct page *pages[NR];
	unsigned long n = owner_listed(pages);
	char *want = malloc(PAGE_SIZE);

	assert_int_equal(n, owner.nr_pages);
	assert_int_equal(owner.isolated, 0);
	for (unsigned long i = 0; i < n; i++) {
		struct page *page = pages[i];

		assert_true(page->index < NR);
		assert_false(PageIsolated(page));
		assert_ptr_equal(page_movable_ops(page), &owner_mops);
		test_pattern(want, PAGE_SIZE, SEED, page->index * PAGE_SIZE);
		if (memcmp(page_address(page), want, PAGE_SIZE))
			fail_msg("page of index %lu (pfn %#lx) lost its bytes",
				 page->index, page_to_pfn(page));
		if (pfns)
			pfns[page->index] = page_to_pfn(page);
	}
	free(want);
}

/* Isolate every listed page onto @list, in list order. */
static void owner_isolate_all(struct list_head *list)
{
	struct page *pages[NR];
	unsigned long n = owner_listed(pages);

	for (unsigned long i = 0; i < n; i++) {
		assert_true(isolate_movable_page(pages[i], 0));
		assert_true(PageIsolated(pages[i]));
		list_add_tail(&pages[i]->lru, list);
	}
}

static unsigned long list_count(struct list_head *list)
{
	struct page *page;
	unsigned long n = 0;

	list_for_each_entry(page, list, lru)
		n++;
	return n;
}

static int setup(void **state)
{
	test_mem_setup(RAM);
	spin_lock_init(&owner.lock);
	INIT_LIST_HEAD(&owner.pages);
	owner.nr_pages = owner.isolated = 0;
	owner.fail_rc = 0;
	owner.fail_left = owner.migrate_calls = 0;
	alloc_budget = ~0UL;
	nr_put_new = 0;
	assert_int_equal(set_movable_ops(&owner_mops, PGTY_OFFLINE), 0);
	return 0;
}

/* Give every page back to the allocator; the fixture checks it is all free. */
static int teardown(void **state)
{
	struct page *page, *next;
	LIST_HEAD(pages);

	owner_verify(NULL);
	spin_lock(&owner.lock);
	list_splice_init(&owner.pages, &pages);
	list_for_each_entry(page, &pages, lru)
		owner_release_locked(page);
	owner.nr_pages = 0;
	spin_unlock(&owner.lock);
	list_for_each_entry_safe(page, next, &pages, lru) {
		list_del(&page->lru);
		put_page(page);
	}
	clear_movable_ops(&owner_mops, PGTY_OFFLINE);
	test_mem_teardown();
	return 0;
}

/*
 * Setup: 8 owned pages of data, all isolated. Action: migrate_pages().
 * Expected: 0 (all moved), 8 succeeded and counted in pgmigrate_success;
 * each page is on another frame with the same bytes, none isolated; the
 * old frames went back to the allocator (free memory unchanged).
 */
static void test_migrate_pages_movable_ops_pages_move_with_their_bytes(void **state)
{
	unsigned long old[NR], now[NR], free_before;
	unsigned long success = vm_event_sum(PGMIGRATE_SUCCESS);
	LIST_HEAD(list);
	unsigned int done;

	owner_fill(NR);
	owner_verify(old);
	free_before = test_free_pages_drained();
	owner_isolate_all(&list);
	assert_int_equal(migrate_pages(&list, alloc_dst, put_dst, 0,
				       MIGRATE_SYNC, MR_SYSCALL, &done), 0);
	assert_int_equal(done, NR);
	assert_true(list_empty(&list));
	assert_int_equal(nr_put_new, 0);
	assert_int_equal(vm_event_sum(PGMIGRATE_SUCCESS), success + NR);
	owner_verify(now);
	for (unsigned long i = 0; i < NR; i++)
		assert_int_not_equal(now[i], old[i]);
	assert_int_equal(test_free_pages_drained(), free_before);
}

/*
 * Setup: one owned page; the owner's migrate_page returns -EAGAIN three
 * times. Action: migrate_pages(). Expected: the page is retried on the
 * next passes and moves on the fourth call; each refused destination went
 * back through put_new_page; the bytes moved.
 */
static void test_migrate_pages_owner_eagain_is_retried_and_succeeds(void **state)
{
	unsigned long old, now;
	LIST_HEAD(list);
	unsigned int done;

	owner_fill(1);
	owner_verify(&old);
	owner_isolate_all(&list);
	owner.fail_rc = -EAGAIN;
	owner.fail_left = 3;
	assert_int_equal(migrate_pages(&list, alloc_dst, put_dst, 0,
				       MIGRATE_SYNC, MR_SYSCALL, &done), 0);
	assert_int_equal(done, 1);
	assert_int_equal(owner.migrate_calls, 4);
	assert_int_equal(nr_put_new, 3);
	assert_true(list_empty(&list));
	owner_verify(&now);
	assert_int_not_equal(now, old);
}

/*
 * Setup: one owned page whose owner always answers -EAGAIN. Action:
 * migrate_pages(), then putback_movable_pages(). Expected: 1 page not
 * migrated after the 10 passes (10 calls, 10 destinations given back),
 * counted in pgmigrate_fail; the page stays isolated on the list until
 * putback returns it to the owner, unmoved and intact.
 */
static void test_migrate_pages_owner_eagain_always_fails_after_ten_passes(void **state)
{
	unsigned long fail = vm_event_sum(PGMIGRATE_FAIL), old, now;
	LIST_HEAD(list);
	unsigned int done;

	owner_fill(1);
	owner_verify(&old);
	owner_isolate_all(&list);
	owner.fail_rc = -EAGAIN;
	owner.fail_left = ~0u;
	assert_int_equal(migrate_pages(&list, alloc_dst, put_dst, 0,
				       MIGRATE_SYNC, MR_SYSCALL, &done), 1);
	assert_int_equal(done, 0);
	assert_int_equal(owner.migrate_calls, 10);
	assert_int_equal(nr_put_new, 10);
	assert_int_equal(vm_event_sum(PGMIGRATE_FAIL), fail + 1);
	assert_int_equal(list_count(&list), 1);
	assert_true(PageIsolated(pfn_to_page(old)));
	assert_int_equal(owner.isolated, 1);
	putback_movable_pages(&list);
	assert_true(list_empty(&list));
	owner.fail_left = 0;
	owner_verify(&now);
	assert_int_equal(now, old);
}

/*
 * Setup: two owned pages; the owner answers -EBUSY to the first call.
 * Action: migrate_pages(), then putback_movable_pages(). Expected: -EBUSY
 * is final: one page not migrated (left on the list after one call), the
 * other moved; the refused destination went back through put_new_page;
 * after putback both pages are the owner's, with their bytes.
 */
static void test_migrate_pages_owner_ebusy_is_not_retried(void **state)
{
	unsigned long old[2], now[2];
	LIST_HEAD(list);
	unsigned int done;

	owner_fill(2);
	owner_verify(old);
	owner_isolate_all(&list);
	owner.fail_rc = -EBUSY;
	owner.fail_left = 1;
	assert_int_equal(migrate_pages(&list, alloc_dst, put_dst, 0,
				       MIGRATE_SYNC, MR_SYSCALL, &done), 1);
	assert_int_equal(done, 1);
	assert_int_equal(owner.migrate_calls, 2);
	assert_int_equal(nr_put_new, 1);
	assert_int_equal(list_count(&list), 1);
	assert_int_equal(page_to_pfn(list_first_entry(&list, struct page, lru)),
			 old[0]);
	putback_movable_pages(&list);
	owner_verify(now);
	assert_int_equal(now[0], old[0]);
	assert_int_not_equal(now[1], old[1]);
}

/*
 * Setup: 8 owned pages, isolated; the allocator gives 3 destinations; the
 * owner refuses the first page once (-EAGAIN).
 *
 *   page:  0       1    2    3     4 .. 7
 *   dst:   d0 back d1   d2   NULL  -
 *
 * Action: migrate_pages(), then putback_movable_pages(). Expected:
 * -ENOMEM at page 3 with pages 1 and 2 moved; d0 went back through
 * put_new_page; pages 0 and 3..7 stay isolated on the list and putback
 * returns them, unmoved, with their bytes.
 */
static void test_migrate_pages_no_destination_returns_enomem_rest_stay(void **state)
{
	unsigned long old[NR], now[NR];
	LIST_HEAD(list);
	unsigned int done;

	owner_fill(NR);
	owner_verify(old);
	owner_isolate_all(&list);
	alloc_budget = 3;
	owner.fail_rc = -EAGAIN;
	owner.fail_left = 1;
	assert_int_equal(migrate_pages(&list, alloc_dst, put_dst, 0,
				       MIGRATE_SYNC, MR_SYSCALL, &done),
			 -ENOMEM);
	assert_int_equal(done, 2);
	assert_int_equal(nr_put_new, 1);
	assert_int_equal(list_count(&list), NR - 2);
	assert_int_equal(owner.isolated, NR - 2);
	putback_movable_pages(&list);
	assert_true(list_empty(&list));
	owner_verify(now);
	for (unsigned long i = 0; i < NR; i++)
		assert_int_equal(now[i] != old[i], i == 1 || i == 2);
}

/*
 * Setup: the owner holds PGTY_OFFLINE. Action: register it again, and
 * another owner; unregister the other one. Expected: -EBUSY both times;
 * the wrong clear_movable_ops() leaves the owner's registration alone.
 */
static void test_set_movable_ops_registered_type_returns_ebusy(void **state)
{
	struct page *page;

	owner_fill(1);
	assert_int_equal(set_movable_ops(&owner_mops, PGTY_OFFLINE), -EBUSY);
	assert_int_equal(set_movable_ops(&other_mops, PGTY_OFFLINE), -EBUSY);
	clear_movable_ops(&other_mops, PGTY_OFFLINE);
	assert_int_equal(owner_listed(&page), 1);
	assert_ptr_equal(page_movable_ops(page), &owner_mops);
}

/*
 * Action: register ops for the types that cannot be movable (none, buddy,
 * slab, page table, out of range) and NULL ops. Expected: -EINVAL each
 * time. In particular an untyped page with PG_movable_ops set still has
 * no movable ops and is not isolated (bug 2: the type names the owner).
 */
static void test_set_movable_ops_unmovable_type_returns_einval(void **state)
{
	static const enum page_type bad[] = {
		PGTY_NONE, PGTY_BUDDY, PGTY_SLAB, PGTY_TABLE, NR_PAGE_TYPES,
	};
	struct page *page;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(set_movable_ops(&other_mops, bad[i]), -EINVAL);
	assert_int_equal(set_movable_ops(NULL, PGTY_OFFLINE), -EINVAL);
	page = alloc_page(GFP_HIGHUSER_MOVABLE);
	assert_non_null(page);
	SetPageMovableOps(page);
	assert_null(page_movable_ops(page));
	assert_false(isolate_movable_page(page, 0));
	assert_false(PageIsolated(page));
	ClearPageMovableOps(page);
	put_page(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_migrate_pages_movable_ops_pages_move_with_their_bytes),
		T(test_migrate_pages_owner_eagain_is_retried_and_succeeds),
		T(test_migrate_pages_owner_eagain_always_fails_after_ten_passes),
		T(test_migrate_pages_owner_ebusy_is_not_retried),
		T(test_migrate_pages_no_destination_returns_enomem_rest_stay),
		T(test_set_movable_ops_registered_type_returns_ebusy),
		T(test_set_movable_ops_unmovable_type_returns_einval),
#undef T
	};

	return cmocka_run_group_tests_name("movable_ops", tests, NULL, NULL);
}
