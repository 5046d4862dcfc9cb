// SPDX-License-Identifier: MIT
/*
 * test_slowpath.c - watermarks and reserves, the OOM notifier chain, the
 * retry modifiers (__GFP_NORETRY, __GFP_RETRY_MAYFAIL, __GFP_NOFAIL),
 * memalloc scopes reaching nested allocations, and fault injection.
 *
 * Memory is exhausted by holding order-0 GFP_ATOMIC pages on a list: that
 * leaves less than the min watermark even after the per-CPU lists are
 * drained, so a GFP_KERNEL allocation reaches the OOM step. With 64 MiB of
 * RAM the Normal zone's min watermark is about 240 pages.
 */
#include "../../support/test_support.h"

#include <ballast/alloc.h>
#include <ballast/slab.h>
#include <ballast/task.h>

#include <errno.h>
#include <string.h>

#define RAM (64UL << 20)

static LIST_HEAD(held);
static unsigned long nr_held;

static int setup(void **state)
{
	test_mem_setup(RAM);
	return 0;
}

static void release_held(unsigned long n)
{
	while (n-- && !list_empty(&held)) {
		struct page *page = list_first_entry(&held, struct page, lru);

		list_del(&page->lru);
		__free_page(page);
		nr_held--;
	}
}

static int teardown(void **state)
{
	release_held(~0UL);
	alloc_fault_set(NULL);
	test_mem_teardown();
	return 0;
}

/* Hold pages allocated with @gfp until the allocator refuses. */
static unsigned long exhaust(gfp_t gfp)
{
	unsigned long n = 0;
	struct page *page;

	while ((page = alloc_page(gfp | __GFP_NOWARN))) {
		list_add(&page->lru, &held);
		nr_held++;
		n++;
	}
	return n;
}

/*
 * Reserves, as in Linux: GFP_NOWAIT stops at the min watermark (no access
 * to the min reserve), GFP_ATOMIC (__GFP_HIGH) digs deeper, a PF_MEMALLOC
 * task ignores the watermarks, and __GFP_NOMEMALLOC takes that right away
 * again.
 */
static void test_alloc_pages_reserves_by_gfp_and_task_flags(void **state)
{
	struct zone *normal = &contig_page_data.node_zones[ZONE_NORMAL];
	unsigned int noreclaim;
	long free_nowait, free_atomic;

	assert_true(exhaust(GFP_NOWAIT) > 10000);
	free_nowait = (long)nr_free_pages();
	/* At most the one per-CPU batch taken just above min is below it. */
	assert_true(zone_page_state(normal, NR_FREE_PAGES) <=
		    (long)min_wmark_pages(normal));
	assert_true(zone_page_state(normal, NR_FREE_PAGES) >
		    (long)min_wmark_pages(normal) - normal->pcp[0].batch);

	assert_true(exhaust(GFP_ATOMIC) > 0);
	free_atomic = (long)nr_free_pages();
	assert_true(free_atomic < free_nowait);

	noreclaim = memalloc_noreclaim_save();
	assert_null(alloc_page(GFP_NOWAIT | __GFP_NOMEMALLOC));
	assert_true(exhaust(GFP_NOWAIT) > 0);
	memalloc_noreclaim_restore(noreclaim);
	assert_true((long)nr_free_pages() < free_atomic);
	assert_int_equal(alloc_check(NULL, 0), 0);
}

/*
 * Setup: memory exhausted with GFP_ATOMIC. Action: GFP_NOWAIT, then with
 * __GFP_MEMALLOC, then with __GFP_MEMALLOC | __GFP_NOMEMALLOC.
 * Expected: only the __GFP_MEMALLOC one gets a page (it ignores the
 * watermarks); __GFP_NOMEMALLOC takes precedence over it.
 */
static void test_alloc_pages_gfp_memalloc_uses_reserves_unless_nomemalloc(void **state)
{
	struct page *page;

	exhaust(GFP_ATOMIC);
	assert_null(alloc_page(GFP_NOWAIT));
	assert_null(alloc_page(GFP_NOWAIT | __GFP_MEMALLOC | __GFP_NOMEMALLOC));
	page = alloc_page(GFP_NOWAIT | __GFP_MEMALLOC);
	assert_non_null(page);
	__free_page(page);
}

/*
 * Lowmem reserve: an allocation that may use Normal falls back to DMA
 * only while DMA keeps min + lowmem_reserve[ZONE_NORMAL] free; a __GFP_DMA
 * allocation, which has nowhere else to go, may take that reserve.
 *
 *   DMA free: [ min | lowmem_reserve | ... ]
 *                   ^ GFP_NOWAIT stops here (less a per-CPU batch)
 *             ^ GFP_NOWAIT | __GFP_DMA stops here
 */
static void test_alloc_pages_lowmem_reserve_protects_low_zone(void **state)
{
	struct zone *dma = &contig_page_data.node_zones[ZONE_DMA];
	long reserve = atomic_load(&dma->lowmem_reserve[ZONE_NORMAL]);
	long min = (long)min_wmark_pages(dma);

	assert_true(reserve > dma->pcp[0].batch);
	exhaust(GFP_NOWAIT);
	assert_true(zone_page_state(dma, NR_FREE_PAGES) >
		    min + reserve - dma->pcp[0].batch);
	assert_true(exhaust(GFP_NOWAIT | __GFP_DMA) > 0);
	assert_true(zone_page_state(dma, NR_FREE_PAGES) <= min);
}

struct oom_pool {
	struct notifier_block nb;
	int calls;
	int free_on_call;	/* free pages from this call on (1-based) */
	unsigned long to_free;
};

static int oom_pool_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	struct oom_pool *pool = container_of(nb, struct oom_pool, nb);
	unsigned long *freed = data;

	pool->calls++;
	if (pool->calls >= pool->free_on_call && pool->to_free) {
		unsigned long before = nr_held;

		release_held(pool->to_free);
		*freed += before - nr_held;
		pool->to_free = 0;
	}
	return NOTIFY_OK;
}

/*
 * With memory exhausted and no reclaim, a GFP_KERNEL allocation reaches
 * the OOM step; a notifier that frees pages makes it retry and succeed.
 */
static void test_alloc_pages_oom_notifier_frees_and_allocation_retries(void **state)
{
	struct oom_pool pool = { .nb.notifier_call = oom_pool_notify,
				 .free_on_call = 1, .to_free = 512 };
	struct page *page;

	exhaust(GFP_ATOMIC);
	assert_int_equal(register_oom_notifier(&pool.nb), 0);
	page = alloc_page(GFP_KERNEL);
	assert_int_equal(unregister_oom_notifier(&pool.nb), 0);
	assert_non_null(page);
	assert_int_equal(pool.calls, 1);
	__free_page(page);
	assert_int_equal(unregister_oom_notifier(&pool.nb), -ENOENT);
}

/*
 * __GFP_NORETRY and __GFP_RETRY_MAYFAIL give up without the OOM step; a
 * plain GFP_KERNEL allocation with nothing to free and no OOM killer
 * registered fails after calling the notifiers (ballast's documented
 * deviation: it does not loop forever).
 */
static void test_alloc_pages_retry_modifiers_skip_or_reach_oom(void **state)
{
	struct oom_pool pool = { .nb.notifier_call = oom_pool_notify,
				 .free_on_call = 1000 };

	exhaust(GFP_ATOMIC);
	assert_int_equal(register_oom_notifier(&pool.nb), 0);
	assert_null(alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN));
	assert_null(alloc_page(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN));
	assert_int_equal(pool.calls, 0);
	assert_null(alloc_page(GFP_KERNEL | __GFP_NOWARN));
	assert_int_equal(pool.calls, 1);
	assert_int_equal(unregister_oom_notifier(&pool.nb), 0);
}

/*
 * __GFP_NOFAIL keeps retrying (through memalloc_retry_wait) until memory
 * appears: here the notifier frees only on its third call. Memory is
 * exhausted down to GFP_ATOMIC's reserve, below the half-min reserve that
 * __GFP_NOFAIL may use between rounds.
 */
static void test_alloc_pages_nofail_retries_until_memory_appears(void **state)
{
	struct oom_pool pool = { .nb.notifier_call = oom_pool_notify,
				 .free_on_call = 3, .to_free = 512 };
	struct page *page;

	exhaust(GFP_ATOMIC);
	assert_int_equal(register_oom_notifier(&pool.nb), 0);
	page = alloc_page(GFP_KERNEL | __GFP_NOFAIL);
	assert_int_equal(unregister_oom_notifier(&pool.nb), 0);
	assert_non_null(page);
	assert_int_equal(pool.calls, 3);
	__free_page(page);
}

/*
 * Setup: memory exhausted down to GFP_ATOMIC's reserve.
 * Action: a GFP_NOWAIT | __GFP_NOFAIL allocation (cannot reclaim).
 * Expected: a warning and NULL, as in Linux, instead of spinning for ever
 * (the runner's timeout catches the old spin).
 */
static void test_alloc_pages_nofail_without_reclaim_fails(void **state)
{
	exhaust(GFP_ATOMIC);
	assert_null(alloc_page(GFP_NOWAIT | __GFP_NOFAIL));
}

static int oom_kill_calls;

/* An OOM killer that finds a victim on its first call only. */
static bool kill_first_time(struct oom_control *oc)
{
	return ++oom_kill_calls == 1;
}

/*
 * Setup: the current task is an OOM victim (PF_OOM_VICTIM); every page is
 * taken (a PF_MEMALLOC task ignores the watermarks); an OOM killer that
 * reports a kill on its first call.
 * Action: a GFP_KERNEL allocation (its alloc_flags carry ALLOC_KSWAPD
 * besides ALLOC_OOM).
 * Expected: after the OOM reserve and one OOM call it fails instead of
 * retrying on the killer's progress (which could kill a second victim).
 */
static void test_alloc_pages_oom_victim_fails_after_one_oom_call(void **state)
{
	struct alloc_hooks hooks = { .oom_kill = kill_first_time };
	unsigned int noreclaim;

	noreclaim = memalloc_noreclaim_save();
	exhaust(GFP_NOWAIT);
	memalloc_noreclaim_restore(noreclaim);
	alloc_set_hooks(&hooks);
	oom_kill_calls = 0;
	current_set_flags(PF_OOM_VICTIM);
	assert_null(alloc_page(GFP_KERNEL | __GFP_NOWARN));
	current_clear_flags(PF_OOM_VICTIM);
	alloc_clear_hooks(&hooks);
	assert_int_equal(oom_kill_calls, 1);
}

/* The slow path's steps, one letter each, in the order the hooks ran. */
static char steps[64];

static void step(char c)
{
	size_t n = strlen(steps);

	if (n + 1 < sizeof(steps))
		steps[n] = c;
}

/* K: a kswapd wake-up round (recorded for its first zone, Normal). */
static void step_wakeup_kswapd(struct zone *zone, gfp_t gfp, unsigned int order,
			       enum zone_type highest_zoneidx)
{
	if (zone->idx == highest_zoneidx)
		step('K');
}

static unsigned long step_reclaim(gfp_t gfp, unsigned int order)
{
	step('R');
	return 0;
}

static enum compact_result step_compact(gfp_t gfp, unsigned int order,
					enum compact_priority prio)
{
	step('C');
	return COMPACT_COMPLETE;
}

static void step_wakeup_kcompactd(unsigned int order)
{
	step('W');
}

static bool step_oom_kill(struct oom_control *oc)
{
	step('O');
	return false;
}

static const struct alloc_hooks step_hooks = {
	.wakeup_kswapd = step_wakeup_kswapd,
	.try_to_free_pages = step_reclaim,
	.try_to_compact_pages = step_compact,
	.wakeup_kcompactd = step_wakeup_kcompactd,
	.oom_kill = step_oom_kill,
};

/* Run one failing GFP_KERNEL allocation of @order; return its steps. */
static const char *slowpath_steps(unsigned int order)
{
	memset(steps, 0, sizeof(steps));
	alloc_set_hooks(&step_hooks);
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, order));
	alloc_clear_hooks(&step_hooks);
	return steps;
}

/*
 * Setup: memory exhausted; hooks that free nothing and record their calls.
 * Action: a GFP_KERNEL order-0 allocation.
 * Expected, in Linux's order: wake kswapd (K), retry and wake again (K),
 * direct reclaim (R); no compaction for order 0; no progress, so no retry;
 * then the OOM killer (O); it kills nobody, so the allocation fails.
 */
static void test_alloc_pages_order0_slowpath_reclaims_then_ooms(void **state)
{
	exhaust(GFP_ATOMIC);
	assert_string_equal(slowpath_steps(0), "KKRO");
}

/*
 * Setup: as above. Action: a GFP_KERNEL order-4 (costly) allocation.
 * Expected: wake kswapd (K), direct compaction first (C), retry: wake (K),
 * direct reclaim (R), direct compaction (C); a costly order without
 * __GFP_RETRY_MAYFAIL then fails without the OOM step, waking kcompactd
 * (W).
 */
static void test_alloc_pages_costly_order_compacts_first_and_skips_oom(void **state)
{
	exhaust(GFP_ATOMIC);
	assert_string_equal(slowpath_steps(4), "KCKRCW");
}

static gfp_t reclaim_gfp_seen;
static int reclaim_calls;

static unsigned long record_reclaim(gfp_t gfp, unsigned int order)
{
	reclaim_gfp_seen = gfp;
	reclaim_calls++;
	/* Reclaim runs as PF_MEMALLOC: nested allocations cannot recurse. */
	assert_true(task_flags(current) & PF_MEMALLOC);
	return 0;
}

/* A helper standing for code deep inside another layer. */
static void *nested_kmalloc(void)
{
	return kmalloc(4000, GFP_KERNEL);
}

/*
 * A NOIO scope strips __GFP_IO | __GFP_FS from every allocation inside
 * it, including nested ones made by other layers (here kmalloc growing a
 * slab): direct reclaim, forced on every allocation, sees the stripped
 * mask. Outside the scope it sees GFP_KERNEL's bits again.
 */
static void test_noio_scope_strips_io_fs_from_nested_allocations(void **state)
{
	struct alloc_hooks hooks = { .try_to_free_pages = record_reclaim };
	struct alloc_fault_config every = { .reclaim_nth = 1 };
	unsigned int noio;
	void *obj;

	alloc_set_hooks(&hooks);
	alloc_fault_set(&every);
	noio = memalloc_noio_save();
	obj = nested_kmalloc();
	memalloc_noio_restore(noio);
	assert_non_null(obj);
	assert_true(reclaim_calls > 0);
	assert_true(reclaim_gfp_seen & __GFP_DIRECT_RECLAIM);
	assert_false(reclaim_gfp_seen & (__GFP_IO | __GFP_FS));
	kfree(obj);

	reclaim_calls = 0;
	obj = alloc_page(GFP_KERNEL);
	assert_int_equal(reclaim_calls, 1);
	assert_int_equal(reclaim_gfp_seen & (__GFP_IO | __GFP_FS),
			 __GFP_IO | __GFP_FS);
	__free_page((struct page *)obj);
	alloc_fault_set(NULL);
	alloc_clear_hooks(&hooks);
}

/*
 * Fault injection: every Nth allocation fails, except __GFP_NOFAIL ones;
 * the forced OOM pass calls the notifiers without memory pressure, from
 * masks that could reach them (not GFP_NOWAIT, __GFP_NORETRY or
 * __GFP_RETRY_MAYFAIL).
 */
static void test_alloc_fault_knobs_fail_and_force_oom(void **state)
{
	struct alloc_fault_config cfg = { .fail_nth = 2 };
	struct oom_pool pool = { .nb.notifier_call = oom_pool_notify,
				 .free_on_call = 1000 };
	struct page *a, *b, *c;

	alloc_fault_set(&cfg);
	a = alloc_page(GFP_KERNEL);
	b = alloc_page(GFP_KERNEL);
	c = alloc_page(GFP_KERNEL | __GFP_NOFAIL);
	alloc_fault_set(NULL);
	assert_non_null(a);
	assert_null(b);
	assert_non_null(c);
	__free_page(a);
	__free_page(c);

	cfg = (struct alloc_fault_config){ .oom_nth = 1 };
	assert_int_equal(register_oom_notifier(&pool.nb), 0);
	alloc_fault_set(&cfg);
	a = alloc_page(GFP_KERNEL);
	b = alloc_page(GFP_NOWAIT);	/* cannot enter reclaim: no OOM pass */
	/* The slow path never takes these to the OOM notifiers either. */
	c = alloc_page(GFP_KERNEL | __GFP_NORETRY);
	__free_page(c);
	c = alloc_page(GFP_KERNEL | __GFP_RETRY_MAYFAIL);
	alloc_fault_set(NULL);
	assert_int_equal(unregister_oom_notifier(&pool.nb), 0);
	assert_int_equal(pool.calls, 1);
	__free_page(a);
	__free_page(b);
	__free_page(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_alloc_pages_reserves_by_gfp_and_task_flags),
		T(test_alloc_pages_gfp_memalloc_uses_reserves_unless_nomemalloc),
		T(test_alloc_pages_lowmem_reserve_protects_low_zone),
		T(test_alloc_pages_oom_notifier_frees_and_allocation_retries),
		T(test_alloc_pages_retry_modifiers_skip_or_reach_oom),
		T(test_alloc_pages_nofail_retries_until_memory_appears),
		T(test_alloc_pages_nofail_without_reclaim_fails),
		T(test_alloc_pages_oom_victim_fails_after_one_oom_call),
		T(test_alloc_pages_order0_slowpath_reclaims_then_ooms),
		T(test_alloc_pages_costly_order_compacts_first_and_skips_oom),
		T(test_noio_scope_strips_io_fs_from_nested_allocations),
		T(test_alloc_fault_knobs_fail_and_force_oom),
#undef T
	};

	return cmocka_run_group_tests_name("slowpath", tests, NULL, NULL);
}
