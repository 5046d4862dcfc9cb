// SPDX-License-Identifier: MIT
/*
 * test_balloon_stress.c - the balloon under everything at once, against
 * the real host process: the host moves the target every round, threads
 * allocate until memory runs out (deflate-on-OOM) and make high-order
 * requests (direct compaction), a thread runs compact_nodes(), kcompactd
 * compacts proactively, and every 97th allocation is forced through the
 * OOM notifiers. Compaction migrates ballooned pages, which the driver
 * reports to the host as an inflate of the new pfn and a deflate of the
 * old one.
 *
 *   round r:  QMP balloon(target_r)            (host → driver worker;
 *                                               even rounds wait for it)
 *             hog 0, hog 1: fill, fragment, order-3 requests, empty
 *             compactor:    compact_nodes()
 *             kcompactd, the driver's worker, the OOM notifier: as they go
 *
 * Afterwards, at a quiescent point (threads stopped, kcompactd stopped,
 * a last target reached): the driver's list is consistent and no page is
 * isolated; alloc_check() with ALLOC_CHECK_QUIESCENT finds every page in
 * exactly one place (none both free and ballooned) and offline pages =
 * NR_BALLOON_PAGES; the driver's num_pages = the host's record = RAM -
 * actual; the memfd's backed size agrees. Balloon pages did migrate, and
 * the OOM notifier did give pages back.
 */
#include "../support/balloon_e2e.h"
#include "../support/lockdep_test.h"

#include <ballast/alloc.h>
#include <ballast/migrate.h>
#include <ballast/task.h>

#define RAM (64UL << 20)
#define MiB (1UL << 20)
#define NR_HOGS 2
#define HOG_MAX_PAGES (24 * MiB / PAGE_SIZE)	/* each */

struct worker {
	struct task *task;
	unsigned int id;
	struct completion go, done;
	_Atomic(bool) stop;
	unsigned long high_order_ok;	/* owner only */
};

static struct worker hogs[NR_HOGS], compactor;
static struct balloon_e2e e2e;

/*
 * One round: take pages until the round's want or until memory runs out,
 * free every other one (fragmenting what is left), ask for a few order-3
 * blocks (direct compaction may move ballooned pages), then free all.
 */
static void hog_round(struct worker *w)
{
	LIST_HEAD(held);
	LIST_HEAD(big);
	struct page *page, *next;
	unsigned long n = 0, want, i = 0;

	want = HOG_MAX_PAGES / 2 + test_rand_below(HOG_MAX_PAGES / 2);
	while (n < want) {
		page = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
		if (!page)
			break;
		*(volatile char *)page_address(page) = 1;
		list_add_tail(&page->lru, &held);
		n++;
	}
	list_for_each_entry_safe(page, next, &held, lru) {
		if (i++ % 2)
			continue;
		list_del(&page->lru);
		__free_page(page);
	}
	for (int k = 0; k < 4; k++) {
		page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 3);
		if (!page)
			continue;
		w->high_order_ok++;
		page->private = 3;
		list_add(&page->lru, &big);
	}
	list_for_each_entry_safe(page, next, &big, lru) {
		list_del(&page->lru);
		page->private = 0;
		__free_pages(page, 3);
	}
	list_for_each_entry_safe(page, next, &held, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

static int worker_fn(void *arg)
{
	struct worker *w = arg;

	test_rand_seed(2000 + w->id);
	for (;;) {
		wait_for_completion(&w->go);
		if (atomic_load(&w->stop))
			break;
		if (w == &compactor)
			compact_nodes();
		else
			hog_round(w);
		complete(&w->done);
	}
	return 0;
}

static void worker_start(struct worker *w, unsigned int id, const char *name)
{
	w->id = id;
	atomic_store(&w->stop, false);
	init_completion(&w->go);
	init_completion(&w->done);
	assert_int_equal(task_create(&w->task, name, worker_fn, w, 0), 0);
}

static void worker_stop(struct worker *w)
{
	atomic_store(&w->stop, true);
	complete(&w->go);
	assert_int_equal(task_destroy(w->task), 0);
}

static int setup(void **state)
{
	if (lockdep_test_setup(state))
		return -1;
	e2e_guest_boot(RAM, E2E_KSWAPD | E2E_COMPACTION);
	e2e_host_start(&e2e, NULL);
	e2e_driver_start(&e2e);
	return 0;
}

static int teardown(void **state)
{
	e2e_driver_stop(&e2e);
	e2e_host_stop(&e2e);
	e2e_guest_shutdown();
	return lockdep_test_teardown(state);
}

/*
 * Setup: 64 MiB guest with kswapd and kcompactd (proactiveness 60), the
 * real driver, the real host.
 * Action: rounds of { new random target (the guest keeps 16..56 MiB),
 * reached first in even rounds so compaction finds a full balloon to
 * move, then two hogs and the compactor run once while the driver still
 * inflates in odd rounds }, with every 97th allocation forced
 * through the OOM notifiers; then everything stops and a last target
 * (keep 36 MiB) is reached.
 * Expected: the invariants of the file comment; no validator report, no
 * sanitizer report; the host exits cleanly.
 */
static void test_balloon_inflate_deflate_oom_compaction_invariants_hold(void **state)
{
	struct alloc_fault_config cfg = { .oom_nth = 97 };
	unsigned long rounds = test_scaled(60);
	unsigned long migrated0 = vm_event_sum(BALLOON_MIGRATE);
	struct virtballoon_info info;
	struct alloc_census census;

	compaction_set_proactiveness(60);
	test_rand_seed(7);
	for (unsigned int i = 0; i < NR_HOGS; i++)
		worker_start(&hogs[i], i, "hog");
	worker_start(&compactor, NR_HOGS, "compactor");
	alloc_fault_set(&cfg);
	for (unsigned long r = 0; r < rounds; r++) {
		uint64_t keep = (16 + test_rand_below(41)) * MiB;

		/* Even rounds start from a balloon at its target. */
		if (r % 2 == 0)
			e2e_balloon(&e2e, keep);
		else
			json_decref(e2e_qmp(&e2e, "balloon",
					    json_pack("{s:I}", "value",
						      (json_int_t)keep)));
		for (unsigned int i = 0; i < NR_HOGS; i++)
			complete(&hogs[i].go);
		complete(&compactor.go);
		for (unsigned int i = 0; i < NR_HOGS; i++)
			wait_for_completion(&hogs[i].done);
		wait_for_completion(&compactor.done);
	}
	alloc_fault_set(NULL);
	for (unsigned int i = 0; i < NR_HOGS; i++)
		worker_stop(&hogs[i]);
	worker_stop(&compactor);
	compaction_set_proactiveness(20);

	/* Quiescent: kcompactd stops, the driver reaches a last target. */
	e2e_compaction_stop();
	e2e_balloon(&e2e, 36 * MiB);
	e2e_assert_agree(&e2e, true);
	virtballoon_get_info(e2e.vb, &info);
	assert_int_equal(info.num_pages, (RAM - 36 * MiB) / PAGE_SIZE);
	assert_int_equal(alloc_check(&census, ALLOC_CHECK_QUIESCENT), 0);
	assert_int_equal(census.nr_by_type[PGTY_OFFLINE],
			 node_page_state(NR_BALLOON_PAGES));
	assert_int_equal(census.nr_by_type[PGTY_OFFLINE], info.num_pages);
	assert_int_equal(census.nr_transit, 0);
	if (vm_event_sum(BALLOON_MIGRATE) == migrated0)
		fail_msg("compaction never migrated a ballooned page");
	if (!info.oom_deflated_pages)
		fail_msg("the OOM notifier never gave pages back");

	e2e_balloon(&e2e, RAM);
	e2e_assert_agree(&e2e, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_balloon_inflate_deflate_oom_compaction_invariants_hold,
			setup, teardown),
	};

	return cmocka_run_group_tests_name("balloon_stress", tests, NULL, NULL);
}
