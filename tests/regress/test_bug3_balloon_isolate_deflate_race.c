// SPDX-License-Identifier: MIT
/*
 * Bug 3 (ARCHITECTURE.md): balloon isolation depended on the page lock and
 * could race with deflation of the same page. In ballast, isolation looks
 * the device up through ->private under balloon_pages_lock, and deflation
 * clears ->private under the same lock.
 *
 * The race is forced deterministically with the test hook inside
 * isolate_movable_page(): the isolating thread stops after it has taken
 * its reference and marked the page, and the main thread deflates while it
 * is stopped.
 *
 *   isolator:  get ref, PG_isolated ──[paused]──────────────> owner's isolate
 *   main:                            deflate everything  resume
 */
#include "../support/test_support.h"
#include "../support/balloon_fixture.h"

#include <ballast/task.h>
#include <ballast/lib/testhook.h>

#define RAM (64UL << 20)
#define PAGES 16

struct race {
	struct test_balloon tb;
	struct page *target;
	struct completion paused, resume;
	bool isolated;
	struct list_head list;
};

static void pause_hook(const char *name, void *arg, void *ctx)
{
	struct race *r = ctx;

	if (arg != r->target)
		return;
	complete(&r->paused);
	wait_for_completion(&r->resume);
}

static int isolator_fn(void *arg)
{
	struct race *r = arg;

	r->isolated = isolate_movable_page(r->target, 0);
	if (r->isolated)
		list_add(&r->target->lru, &r->list);
	return 0;
}

static void race_setup(struct race *r)
{
	test_mem_setup(RAM);
	assert_int_equal(balloon_init(), 0);
	test_balloon_init(&r->tb, true, false);
	assert_int_equal(test_balloon_inflate(&r->tb, PAGES), PAGES);
	spin_lock(&balloon_pages_lock);
	r->target = list_first_entry(&r->tb.info.pages, struct page, lru);
	spin_unlock(&balloon_pages_lock);
	init_completion(&r->paused);
	init_completion(&r->resume);
	INIT_LIST_HEAD(&r->list);
}

static void race_teardown(struct race *r)
{
	assert_int_equal(balloon_check(&r->tb.info), 0);
	balloon_exit();
	test_mem_teardown();
}

/*
 * Deflation wins: all PAGES pages leave the balloon while the isolator is
 * paused. The isolation then fails cleanly, the page is freed exactly once
 * (when the isolator drops its reference), and nothing is lost.
 */
static void test_isolate_movable_page_deflated_meanwhile_fails_cleanly(void **state)
{
	struct race r;
	struct task *t;
	unsigned long free_before;

	race_setup(&r);
	free_before = test_free_pages_drained();
	assert_int_equal(test_hook_set("migrate.isolate_movable_page",
				       pause_hook, &r), 0);
	assert_int_equal(task_create(&t, "isolator", isolator_fn, &r, 0), 0);
	wait_for_completion(&r.paused);
	assert_int_equal(test_balloon_deflate(&r.tb, ~0UL), PAGES);
	/* Our reference keeps the deflated target alive for now. */
	assert_int_equal(page_ref_count(r.target), 1);
	complete(&r.resume);
	assert_int_equal(task_destroy(t), 0);
	test_hook_clear("migrate.isolate_movable_page");

	assert_false(r.isolated);
	assert_false(PageIsolated(r.target));
	assert_int_equal(page_ref_count(r.target), 0);
	assert_int_equal(r.tb.info.nr_pages, 0);
	assert_int_equal(r.tb.info.isolated_pages, 0);
	assert_int_equal(node_page_state(NR_BALLOON_PAGES), 0);
	assert_int_equal(test_free_pages_drained(), free_before + PAGES);
	race_teardown(&r);
}

static struct page *alloc_dst(struct page *src, unsigned long private)
{
	return alloc_page(GFP_HIGHUSER_MOVABLE);
}

/*
 * Isolation wins: deflation of "everything" returns the PAGES - 1 listed
 * pages and leaves the isolated one alone; the isolated page then migrates,
 * and the next deflation finds its replacement. Host and balloon agree at
 * every step.
 */
static void test_balloon_deflate_while_isolated_never_loses_page(void **state)
{
	struct race r;
	struct task *t;
	unsigned long nr, iso;

	race_setup(&r);
	assert_int_equal(task_create(&t, "isolator", isolator_fn, &r, 0), 0);
	assert_int_equal(task_destroy(t), 0);
	assert_true(r.isolated);

	assert_int_equal(test_balloon_deflate(&r.tb, ~0UL), PAGES - 1);
	balloon_dev_counts(&r.tb.info, &nr, &iso);
	assert_int_equal(nr, 1);
	assert_int_equal(iso, 1);
	assert_int_equal(r.tb.told_inflate - r.tb.told_deflate, 1);

	assert_int_equal(migrate_pages(&r.list, alloc_dst, NULL, 0,
				       MIGRATE_SYNC, MR_COMPACTION, NULL), 0);
	balloon_dev_counts(&r.tb.info, &nr, &iso);
	assert_int_equal(nr, 1);
	assert_int_equal(iso, 0);
	assert_int_equal(r.tb.told_inflate - r.tb.told_deflate, 1);
	assert_int_equal(test_balloon_deflate(&r.tb, ~0UL), 1);
	assert_int_equal(r.tb.told_inflate, r.tb.told_deflate);
	race_teardown(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isolate_movable_page_deflated_meanwhile_fails_cleanly),
		cmocka_unit_test(test_balloon_deflate_while_isolated_never_loses_page),
	};

	return cmocka_run_group_tests_name("bug3_balloon_isolate_deflate_race",
					   tests, NULL, NULL);
}
