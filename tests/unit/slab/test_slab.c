// SPDX-License-Identifier: MIT
/* test_slab.c - object caches and kmalloc. */
#include "../../support/test_support.h"

#include <ballast/slab.h>
#include <ballast/task.h>

#include <pthread.h>
#include <sched.h>
#include <string.h>

#define RAM (64UL << 20)

static int setup(void **state)
{
	test_mem_setup(RAM);
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(slab_check(), 0);
	test_mem_teardown();
	return 0;
}

/*
 * Objects of a cache are distinct, aligned, inside guest RAM, on pages of
 * type slab counted in NR_SLAB_UNRECLAIMABLE; destroying the emptied cache
 * returns every page.
 */
static void test_kmem_cache_alloc_objects_live_in_slab_pages(void **state)
{
	struct kmem_cache *cache = kmem_cache_create("test-100", 100, 32, 0,
						     NULL);
	void *objs[300];
	long slab_pages;

	assert_non_null(cache);
	for (int i = 0; i < 300; i++) {
		objs[i] = kmem_cache_alloc(cache, GFP_KERNEL);
		assert_non_null(objs[i]);
		assert_true(IS_ALIGNED((unsigned long)objs[i], 32));
		assert_true(virt_addr_valid(objs[i]));
		assert_true(PageSlab(compound_head(virt_to_page(objs[i]))));
		memset(objs[i], i & 0xff, 100);
	}
	for (int i = 0; i < 300; i++)
		for (int j = 0; j < 100; j++)
			assert_int_equal(((unsigned char *)objs[i])[j], i & 0xff);
	assert_int_equal(kmem_cache_nr_objects(cache), 300);
	slab_pages = node_page_state(NR_SLAB_UNRECLAIMABLE);
	assert_true(slab_pages >= (long)kmem_cache_nr_pages(cache));
	assert_int_equal(alloc_check(NULL, ALLOC_CHECK_QUIESCENT), 0);
	assert_int_equal(slab_check(), 0);
	for (int i = 0; i < 300; i++)
		kmem_cache_free(cache, objs[i]);
	assert_int_equal(kmem_cache_nr_objects(cache), 0);
	kmem_cache_destroy(cache);
	assert_true(node_page_state(NR_SLAB_UNRECLAIMABLE) < slab_pages);
}

static int ctor_calls;

static void count_ctor(void *obj)
{
	ctor_calls++;
	memset(obj, 0x5a, 16);
}

/*
 * A reclaimable cache puts its slabs in reclaimable pageblocks and counts
 * them separately; the constructor runs once per object of a new slab.
 */
static void test_kmem_cache_reclaimable_is_accounted_separately(void **state)
{
	struct kmem_cache *cache = kmem_cache_create(
		"test-reclaimable", 16, 0, SLAB_RECLAIM_ACCOUNT, count_ctor);
	long before = node_page_state(NR_SLAB_RECLAIMABLE);
	unsigned char *obj = kmem_cache_alloc(cache, GFP_KERNEL);

	assert_non_null(obj);
	assert_int_equal(obj[0], 0x5a);
	/*
	 * 16-byte objects + the free pointer after them: 24-byte stride;
	 * debug builds end the slab with a 3-word free map, one object less.
	 */
	assert_int_equal(ctor_calls, (PAGE_SIZE - (BALLAST_DEBUG ? 24 : 0)) / 24);
	assert_int_equal(node_page_state(NR_SLAB_RECLAIMABLE), before + 1);
	assert_int_equal(get_pageblock_migratetype(virt_to_page(obj)),
			 MIGRATE_RECLAIMABLE);
	kmem_cache_free(cache, obj);
	kmem_cache_destroy(cache);
	assert_int_equal(node_page_state(NR_SLAB_RECLAIMABLE), before);
}

/* kmalloc size classes, zero size, large allocations, kcalloc overflow. */
static void test_kmalloc_size_classes_and_large_pages(void **state)
{
	static const size_t sizes[] = { 1, 8, 9, 64, 65, 96, 100, 192, 200,
					4096, 4097, 8192 };
	static const size_t expect[] = { 8, 8, 16, 64, 96, 96, 128, 192, 256,
					 4096, 8192, 8192 };
	void *big;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		void *p = kmalloc(sizes[i], GFP_KERNEL);

		assert_non_null(p);
		assert_int_equal(ksize(p), expect[i]);
		memset(p, 1, sizes[i]);
		kfree(p);
	}
	assert_ptr_equal(kmalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	kfree(ZERO_SIZE_PTR);
	kfree(NULL);
	big = kmalloc(100000, GFP_KERNEL);
	assert_non_null(big);
	assert_int_equal(ksize(big), 128 * 1024);
	assert_true(PageHead(virt_to_page(big)));
	memset(big, 2, 100000);
	kfree(big);
	assert_null(kcalloc(SIZE_MAX / 2, 4, GFP_KERNEL));
	big = kcalloc(10, 10, GFP_KERNEL);
	for (int i = 0; i < 100; i++)
		assert_int_equal(((char *)big)[i], 0);
	kfree(big);
}

/*
 * Misuse is reported and refused: a pointer into the middle of an object,
 * an object of another cache, a double free, destroying a busy cache.
 */
/*
 * Setup: the kmalloc caches of 512 to 4096 bytes.
 * Action: allocate one object of each.
 * Expected: its slab has the order a release build chooses (the smallest
 * holding 8 objects with little waste): debug builds keep their free map
 * inside the slab, and used to pick twice as large slabs for it, so no
 * test ran the production layout.
 */
static void test_kmalloc_slab_order_is_the_release_order(void **state)
{
	for (unsigned int order = 0; order <= 3; order++) {
		size_t size = (PAGE_SIZE << order) / 8;
		void *p = kmalloc(size, GFP_KERNEL);

		assert_non_null(p);
		assert_int_equal(compound_order(compound_head(virt_to_page(p))),
				 order);
		kfree(p);
	}
}

static void test_kfree_misuse_is_reported(void **state)
{
	struct kmem_cache *a = kmem_cache_create("test-a", 64, 0, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("test-b", 64, 0, 0, NULL);
	unsigned long misuse = log_misuse_count();
	char *obj = kmem_cache_alloc(a, GFP_KERNEL);
	int local;

	kfree(obj + 8);
	assert_int_equal(log_misuse_count(), misuse + 1);
	kmem_cache_free(b, obj);
	assert_int_equal(log_misuse_count(), misuse + 2);
	kfree(&local);
	assert_int_equal(log_misuse_count(), misuse + 3);
	kmem_cache_free(a, obj);
	kmem_cache_free(a, obj);
	assert_int_equal(log_misuse_count(), misuse + 4);
	obj = kmem_cache_alloc(b, GFP_KERNEL);
	kmem_cache_destroy(b);		/* busy: reported, kept */
	assert_int_equal(log_misuse_count(), misuse + 5);
	kmem_cache_free(b, obj);
	kmem_cache_destroy(b);
	kmem_cache_destroy(a);
	assert_int_equal(log_misuse_count(), misuse + 5);
}

/*
 * Setup: an object allocated and freed, then kmem_cache_shrink() moves it
 * from the per-CPU array back to its slab's free list.
 * Action: free it again.
 * Expected: the double free is reported and refused: the next two
 * allocations return two different objects, and slab_check() is clean.
 */
static void test_kmem_cache_free_after_shrink_double_free_is_refused(void **state)
{
	struct kmem_cache *c = kmem_cache_create("test-shrink", 64, 0, 0, NULL);
	unsigned long misuse = log_misuse_count();
	void *keep = kmem_cache_alloc(c, GFP_KERNEL);	/* keeps the slab */
	void *obj = kmem_cache_alloc(c, GFP_KERNEL);
	void *a, *b;

	kmem_cache_free(c, obj);
	kmem_cache_shrink(c);
	kmem_cache_free(c, obj);
	assert_int_equal(log_misuse_count(), misuse + 1);
	assert_int_equal(slab_check(), 0);
	a = kmem_cache_alloc(c, GFP_KERNEL);
	b = kmem_cache_alloc(c, GFP_KERNEL);
	assert_ptr_not_equal(a, b);
	kmem_cache_free(c, a);
	kmem_cache_free(c, b);
	kmem_cache_free(c, keep);
	assert_int_equal(log_misuse_count(), misuse + 1);
	kmem_cache_destroy(c);
}

/* Move the calling thread to @cpu; false if it may not run there. */
static bool run_on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !pthread_setaffinity_np(pthread_self(), sizeof(set), &set) &&
	       sched_getcpu() == cpu;
}

/*
 * Setup: an object freed on CPU 0 sits in CPU 0's per-CPU array.
 * Action: free it again from CPU 1.
 * Expected: reported and refused (the second free does not look only at
 * CPU 1's array); slab_check() is clean. Needs two CPUs.
 */
static void test_kmem_cache_free_on_other_cpu_double_free_is_refused(void **state)
{
	struct kmem_cache *c = kmem_cache_create("test-xcpu", 64, 0, 0, NULL);
	unsigned long misuse = log_misuse_count();
	cpu_set_t saved;
	void *obj;

	assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof(saved),
						&saved), 0);
	if (!CPU_ISSET(0, &saved) || !CPU_ISSET(1, &saved)) {
		kmem_cache_destroy(c);
		skip();
	}
	obj = kmem_cache_alloc(c, GFP_KERNEL);
	assert_true(run_on_cpu(0));
	kmem_cache_free(c, obj);
	assert_true(run_on_cpu(1));
	kmem_cache_free(c, obj);
	assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(saved),
						&saved), 0);
	assert_int_equal(log_misuse_count(), misuse + 1);
	assert_int_equal(slab_check(), 0);
	kmem_cache_destroy(c);
}

static int nr_charges;

static int count_charge(struct page *page, unsigned int order, gfp_t gfp)
{
	nr_charges++;
	return 0;
}

/*
 * Setup: a memcg charge hook that counts its calls. Action: allocate from
 * a new cache with __GFP_ACCOUNT (a slab page is allocated), then a large
 * kmalloc() with GFP_KERNEL_ACCOUNT. Expected: the slab page is not
 * charged (slab.h rule 6); the large kmalloc's pages are, once.
 */
static void test_kmem_cache_alloc_gfp_account_does_not_charge_slab_page(void **state)
{
	struct alloc_hooks hooks = { .memcg_charge = count_charge };
	struct kmem_cache *c = kmem_cache_create("test-account", 64, 0, 0,
						 NULL);
	void *obj, *big;

	alloc_set_hooks(&hooks);
	nr_charges = 0;
	obj = kmem_cache_alloc(c, GFP_KERNEL | __GFP_ACCOUNT);
	assert_non_null(obj);
	assert_int_equal(kmem_cache_nr_pages(c), 1);
	assert_int_equal(nr_charges, 0);
	big = kmalloc(3 * PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	assert_non_null(big);
	assert_int_equal(nr_charges, 1);
	alloc_clear_hooks(&hooks);
	kfree(big);
	kmem_cache_free(c, obj);
	kmem_cache_destroy(c);
}

/* __GFP_ZERO zeroes a reused object. */
static void test_kmem_cache_alloc_zero_clears_reused_object(void **state)
{
	unsigned char *p = kmalloc(128, GFP_KERNEL);

	memset(p, 0xee, 128);
	kfree(p);
	p = kzalloc(128, GFP_KERNEL);
	for (int i = 0; i < 128; i++)
		assert_int_equal(p[i], 0);
	kfree(p);
}

/* slab_check finds a corrupted free list (and passes once repaired). */
static void test_slab_check_detects_corrupt_freelist(void **state)
{
	struct kmem_cache *c = kmem_cache_create("test-corrupt", 32, 0, 0, NULL);
	void *obj = kmem_cache_alloc(c, GFP_KERNEL);
	struct page *slab = compound_head(virt_to_page(obj));
	void *saved;

	kmem_cache_shrink(c);	/* per-CPU objects back to the slab */
	saved = *(void **)slab->freelist;
	/* The first free object now links outside the slab. */
	*(void **)slab->freelist = (char *)page_address(slab) + 2 * PAGE_SIZE;
	assert_true(slab_check() > 0);
	*(void **)slab->freelist = saved;
	assert_int_equal(slab_check(), 0);
	kmem_cache_free(c, obj);
	kmem_cache_destroy(c);
}

/*
 * Setup: an object freed into a per-CPU array. Action: link it into its
 * slab's free list too, as an unchecked double free would. Expected:
 * slab_check() reports it; once unlinked again it passes.
 */
static void test_slab_check_detects_object_in_cpu_array_and_freelist(void **state)
{
	struct kmem_cache *c = kmem_cache_create("test-twice", 32, 0, 0, NULL);
	void *obj = kmem_cache_alloc(c, GFP_KERNEL);
	struct page *slab = compound_head(virt_to_page(obj));

	kmem_cache_free(c, obj);
	/* No free pointer offset for a cache without constructor: word 0. */
	*(void **)obj = slab->freelist;
	slab->freelist = obj;
	slab->inuse--;
	assert_true(slab_check() > 0);
	slab->freelist = *(void **)obj;
	slab->inuse++;
	assert_int_equal(slab_check(), 0);
	kmem_cache_destroy(c);
}

struct churn {
	struct kmem_cache *cache;
	_Atomic(bool) stop;
};

/* Allocate and free objects of the cache until told to stop. */
static int churn_fn(void *arg)
{
	struct churn *ch = arg;
	void *objs[32];

	while (!atomic_load(&ch->stop)) {
		for (int i = 0; i < 32; i++)
			objs[i] = kmem_cache_alloc(ch->cache, GFP_KERNEL);
		for (int i = 0; i < 32; i++)
			kmem_cache_free(ch->cache, objs[i]);
	}
	return 0;
}

/*
 * Setup: two tasks allocate and free objects of one cache without pause.
 * Action: slab_check() many times meanwhile.
 * Expected: no violation: it takes every lock of the cache, so it sees no
 * object between its free bit and its place (a free marked its bit before
 * taking its CPU's lock, and slab_check() then counted one free bit more
 * than free objects).
 */
static void test_slab_check_while_allocating_is_clean(void **state)
{
	struct churn ch = {
		.cache = kmem_cache_create("test-churn", 64, 0, 0, NULL),
	};
	unsigned long errors = 0, rounds = test_scaled(5000);
	struct task *t[2];

	assert_non_null(ch.cache);
	for (int i = 0; i < 2; i++)
		assert_int_equal(task_create(&t[i], "churn", churn_fn, &ch, 0),
				 0);
	for (unsigned long i = 0; i < rounds; i++)
		errors += slab_check();
	atomic_store(&ch.stop, true);
	for (int i = 0; i < 2; i++)
		assert_int_equal(task_destroy(t[i]), 0);
	assert_int_equal(errors, 0);
	kmem_cache_destroy(ch.cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_kmem_cache_alloc_objects_live_in_slab_pages),
		T(test_kmem_cache_reclaimable_is_accounted_separately),
		T(test_kmalloc_size_classes_and_large_pages),
		T(test_kmalloc_slab_order_is_the_release_order),
		T(test_kfree_misuse_is_reported),
		T(test_kmem_cache_free_after_shrink_double_free_is_refused),
		T(test_kmem_cache_free_on_other_cpu_double_free_is_refused),
		T(test_kmem_cache_alloc_gfp_account_does_not_charge_slab_page),
		T(test_kmem_cache_alloc_zero_clears_reused_object),
		T(test_slab_check_detects_corrupt_freelist),
		T(test_slab_check_detects_object_in_cpu_array_and_freelist),
		T(test_slab_check_while_allocating_is_clean),
#undef T
	};

	return cmocka_run_group_tests_name("slab", tests, NULL, NULL);
}
