// SPDX-License-Identifier: MIT
/*
 * test_alloc_stress.c - threads allocate and free at random: mixed orders,
 * mixed GFP masks, compound and plain blocks, kmalloc objects, frees by
 * __free_pages and by put_page, while a checker thread runs alloc_check()
 * concurrently.
 *
 * Every block is filled with a pattern unique to its owner and allocation,
 * and verified before it is freed: two owners of one page would be caught.
 * Workers only record what they find (cmocka's failures longjmp, which
 * must not cross threads); the main thread asserts.
 * At the end everything is freed; the census must show every page free,
 * and the free lists must again hold exactly RAM / 4 MiB order-10 blocks.
 */
#include "../support/test_support.h"

#include <ballast/slab.h>
#include <ballast/task.h>

#include <string.h>

#define RAM (128UL << 20)
#define NR_THREADS 4
#define SLOTS 256

struct slot {
	struct page *page;
	void *obj;
	size_t obj_size;
	unsigned int order;
	uint64_t tag;
};

struct worker {
	int id;
	unsigned long ops;
	unsigned long failures;		/* allocations refused */
	unsigned long corrupt;		/* blocks with a wrong word */
	char first_corrupt[128];	/* what the first one was */
	struct slot slots[SLOTS];
};

static _Atomic(bool) stop_checker;
static _Atomic(unsigned long) concurrent_errors;

static const gfp_t masks[] = {
	GFP_KERNEL, GFP_NOWAIT, GFP_ATOMIC, GFP_HIGHUSER_MOVABLE,
	GFP_KERNEL | __GFP_RECLAIMABLE, GFP_KERNEL | __GFP_DMA,
	GFP_KERNEL | __GFP_ZERO, GFP_KERNEL | __GFP_COMP, GFP_NOIO, GFP_NOFS,
	GFP_KERNEL | __GFP_NORETRY, GFP_KERNEL | __GFP_RETRY_MAYFAIL,
};

static void fill(void *p, size_t len, uint64_t tag)
{
	uint64_t *w = p;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = tag ^ i;
}

/* Check that the block holds @tag's pattern (@zero: zeroes instead). */
static void verify(struct worker *wk, const void *p, size_t len, uint64_t tag,
		   bool zero)
{
	const uint64_t *w = p;

	for (size_t i = 0; i < len / 8; i++) {
		uint64_t want = zero ? 0 : tag ^ i;

		if (w[i] == want)
			continue;
		if (!wk->corrupt++)
			snprintf(wk->first_corrupt, sizeof(wk->first_corrupt),
				 "word %zu of a block tagged %#llx%s is %#llx",
				 i, (unsigned long long)tag,
				 zero ? " (__GFP_ZERO)" : "",
				 (unsigned long long)w[i]);
		return;
	}
}

static unsigned int random_order(void)
{
	uint64_t r = test_rand_below(100);

	if (r < 60)
		return 0;
	if (r < 85)
		return 1 + (unsigned int)test_rand_below(3);
	if (r < 98)
		return 4 + (unsigned int)test_rand_below(5);
	return 9 + (unsigned int)test_rand_below(2);
}

static void slot_release(struct worker *w, struct slot *s)
{
	if (s->page) {
		verify(w, page_address(s->page), PAGE_SIZE << s->order, s->tag,
		       false);
		if (PageHead(s->page) || (s->order == 0 && (s->tag & 1)))
			put_page(s->page);
		else
			__free_pages(s->page, s->order);
		s->page = NULL;
	}
	if (s->obj) {
		verify(w, s->obj, s->obj_size & ~7UL, s->tag, false);
		kfree(s->obj);
		s->obj = NULL;
	}
}

static int worker_fn(void *arg)
{
	struct worker *w = arg;
	unsigned long iters = test_scaled(60000);

	test_rand_seed((uint64_t)w->id + 1);
	for (unsigned long i = 0; i < iters; i++) {
		struct slot *s = &w->slots[test_rand_below(SLOTS)];
		uint64_t tag = ((uint64_t)w->id << 56) ^ (i << 8) ^ test_rand();

		if (s->page || s->obj) {
			slot_release(w, s);
		} else if (test_rand_below(4) == 0) {
			s->obj_size = 8 + test_rand_below(12000);
			s->obj = kmalloc(s->obj_size, GFP_KERNEL | __GFP_NOWARN);
			if (!s->obj) {
				w->failures++;
				continue;
			}
			s->tag = tag;
			fill(s->obj, s->obj_size & ~7UL, tag);
		} else {
			gfp_t gfp = masks[test_rand_below(ARRAY_SIZE(masks))];

			s->order = random_order();
			s->page = alloc_pages(gfp | __GFP_NOWARN, s->order);
			if (!s->page) {
				w->failures++;
				continue;
			}
			s->tag = tag;
			if (gfp & __GFP_ZERO)
				verify(w, page_address(s->page),
				       PAGE_SIZE << s->order, tag, true);
			fill(page_address(s->page), PAGE_SIZE << s->order, tag);
		}
		w->ops++;
	}
	for (int i = 0; i < SLOTS; i++)
		slot_release(w, &w->slots[i]);
	return 0;
}

static int checker_fn(void *arg)
{
	while (!atomic_load(&stop_checker)) {
		atomic_fetch_add(&concurrent_errors, alloc_check(NULL, 0));
		task_sleep_ms(5);
	}
	return 0;
}

/*
 * Setup: 128 MiB, 4 workers, a concurrent checker.
 * Action: random mixed-order, mixed-mask allocations and frees.
 * Expected: no content corruption, no concurrent check error, and after
 * freeing everything: all pages free, 32 order-10 blocks, quiescent check
 * clean.
 */
static void test_alloc_stress_mixed_orders_and_masks_keep_accounting(void **state)
{
	static struct worker workers[NR_THREADS];
	struct task *tasks[NR_THREADS], *checker;
	struct alloc_census c;
	unsigned long max_blocks = 0, ops = 0;
	struct zone *zone;

	test_mem_setup(RAM);
	assert_int_equal(task_create(&checker, "checker", checker_fn, NULL, 0), 0);
	for (int i = 0; i < NR_THREADS; i++) {
		workers[i].id = i;
		assert_int_equal(task_create(&tasks[i], "stress", worker_fn,
					     &workers[i], 0), 0);
	}
	for (int i = 0; i < NR_THREADS; i++) {
		assert_int_equal(task_destroy(tasks[i]), 0);
		ops += workers[i].ops;
	}
	for (int i = 0; i < NR_THREADS; i++)
		if (workers[i].corrupt)
			fail_msg("worker %d: %lu corrupt blocks; first: %s", i,
				 workers[i].corrupt, workers[i].first_corrupt);
	atomic_store(&stop_checker, true);
	assert_int_equal(task_destroy(checker), 0);
	assert_int_equal(atomic_load(&concurrent_errors), 0);
	assert_true(ops > test_scaled(60000) * NR_THREADS / 2);

	slab_exit();
	drain_all_pages(NULL);
	assert_int_equal(alloc_check(&c, ALLOC_CHECK_QUIESCENT), 0);
	assert_int_equal(c.nr_free_buddy, RAM / PAGE_SIZE);
	for_each_zone(zone)
		max_blocks += atomic_load(&zone->free_area[MAX_PAGE_ORDER].nr_free);
	assert_int_equal(max_blocks, RAM / (4UL << 20));
	assert_int_equal(slab_init(), 0);
	test_mem_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_stress_mixed_orders_and_masks_keep_accounting),
	};

	return cmocka_run_group_tests_name("alloc_stress", tests, NULL, NULL);
}
