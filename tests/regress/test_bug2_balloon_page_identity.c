// SPDX-License-Identifier: MIT
/*
 * Bug 2 (ARCHITECTURE.md): balloon pages were recognised through a fake
 * mapping and refcount tricks, so migration could be fooled by, or lose,
 * pages. ballast marks balloon pages by page type + PG_movable_ops and
 * decides membership by ->private under balloon_pages_lock.
 *
 * This test hands the isolation path a page of every other kind, including
 * one dressed up the old way (a "balloon" ->mapping and ->private but no
 * type): none is isolated and none changes. A real balloon page keeps its
 * identity across two migrations.
 */
#include "../support/test_support.h"
#include "../support/balloon_fixture.h"

#include <ballast/slab.h>

#define RAM (64UL << 20)

struct snapshot {
	uint32_t flags;
	int refcount;
	enum page_type type;
	unsigned long private;
};

static struct snapshot snap(struct page *page)
{
	return (struct snapshot){ atomic_load(&page->flags),
				  page_ref_count(page), page_get_type(page),
				  page->private };
}

static void assert_refused_unchanged(struct page *page, const char *what)
{
	struct snapshot before = snap(page), after;

	if (isolate_movable_page(page, 0))
		fail_msg("%s was isolated", what);
	after = snap(page);
	if (before.flags != after.flags || before.refcount != after.refcount ||
	    before.type != after.type || before.private != after.private)
		fail_msg("%s changed: flags %#x->%#x count %d->%d", what,
			 before.flags, after.flags, before.refcount,
			 after.refcount);
}

static void test_isolate_movable_page_foreign_pages_are_refused(void **state)
{
	struct test_balloon tb;
	struct page *plain, *table, *faked, *flagged, *orphan, *slab, *pcp;
	void *obj;

	test_mem_setup(RAM);
	assert_int_equal(balloon_init(), 0);
	test_balloon_init(&tb, true, false);
	assert_int_equal(test_balloon_inflate(&tb, 4), 4);

	/* a free page in the buddy lists, and one on a per-CPU list */
	assert_refused_unchanged(pfn_to_page(max_pfn - 1), "buddy page");
	pcp = alloc_page(GFP_KERNEL);
	__free_page(pcp);
	assert_refused_unchanged(pcp, "per-CPU free page");

	/* a slab page */
	obj = kmalloc(64, GFP_KERNEL);
	slab = compound_head(virt_to_page(obj));
	assert_refused_unchanged(slab, "slab page");

	/* a page-table page */
	table = alloc_page(GFP_KERNEL);
	assert_true(page_set_type(table, PGTY_TABLE));
	assert_refused_unchanged(table, "page-table page");

	/* an ordinary page */
	plain = alloc_page(GFP_HIGHUSER_MOVABLE);
	assert_refused_unchanged(plain, "ordinary page");

	/* the old trick: looks like a balloon page by mapping and private */
	faked = alloc_page(GFP_HIGHUSER_MOVABLE);
	faked->mapping = (struct address_space *)&tb.info;
	faked->private = (unsigned long)&tb.info;
	assert_refused_unchanged(faked, "page with a fake balloon mapping");

	/* PG_movable_ops without the offline type */
	flagged = alloc_page(GFP_HIGHUSER_MOVABLE);
	SetPageMovableOps(flagged);
	assert_refused_unchanged(flagged, "movable-ops flag on a plain page");

	/* offline + movable-ops, but in no balloon (->private empty) */
	orphan = alloc_page(GFP_HIGHUSER_MOVABLE);
	assert_true(page_set_type(orphan, PGTY_OFFLINE));
	SetPageMovableOps(orphan);
	assert_refused_unchanged(orphan, "offline page outside any balloon");

	assert_int_equal(tb.info.isolated_pages, 0);
	assert_int_equal(balloon_check(&tb.info), 0);

	ClearPageMovableOps(orphan);
	page_clear_type(orphan, PGTY_OFFLINE);
	ClearPageMovableOps(flagged);
	faked->mapping = NULL;
	page_clear_type(table, PGTY_TABLE);
	__free_page(orphan);
	__free_page(flagged);
	__free_page(faked);
	__free_page(plain);
	__free_page(table);
	kfree(obj);
	test_balloon_deflate(&tb, ~0UL);
	balloon_exit();
	test_mem_teardown();
}

static struct page *alloc_dst(struct page *src, unsigned long private)
{
	return alloc_page(GFP_HIGHUSER_MOVABLE);
}

/* A balloon page is still a balloon page after migrating, twice. */
static void test_migrate_pages_balloon_page_keeps_identity(void **state)
{
	struct test_balloon tb;
	struct page *page;

	test_mem_setup(RAM);
	assert_int_equal(balloon_init(), 0);
	test_balloon_init(&tb, true, false);
	assert_int_equal(test_balloon_inflate(&tb, 1), 1);
	for (int i = 0; i < 2; i++) {
		LIST_HEAD(list);

		spin_lock(&balloon_pages_lock);
		page = list_first_entry(&tb.info.pages, struct page, lru);
		spin_unlock(&balloon_pages_lock);
		assert_true(isolate_movable_page(page, 0));
		list_add(&page->lru, &list);
		assert_int_equal(migrate_pages(&list, alloc_dst, NULL, 0,
					       MIGRATE_SYNC, MR_SYSCALL, NULL), 0);
		spin_lock(&balloon_pages_lock);
		page = list_first_entry(&tb.info.pages, struct page, lru);
		assert_ptr_equal(balloon_page_device(page), &tb.info);
		spin_unlock(&balloon_pages_lock);
		assert_true(PageOffline(page) && PageMovableOps(page));
	}
	assert_int_equal(balloon_check(&tb.info), 0);
	test_balloon_deflate(&tb, ~0UL);
	balloon_exit();
	test_mem_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isolate_movable_page_foreign_pages_are_refused),
		cmocka_unit_test(test_migrate_pages_balloon_page_keeps_identity),
	};

	return cmocka_run_group_tests_name("bug2_balloon_page_identity", tests,
					   NULL, NULL);
}
