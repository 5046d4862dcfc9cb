// SPDX-License-Identifier: MIT
/*
 * test_shrinker.c - shrinkers: count/scan called with the reclaimer's gfp
 * mask, in proportion to the priority, deferred work carried over, a
 * shrinker that needs the filesystem refusing GFP_NOFS work, and the
 * inode cache's shrinker (ballast's real shrinkable slab user) evicting
 * only clean, unused files and only with __GFP_FS.
 *
 * 64 MiB of RAM with the page cache; no kswapd.
 */
#include "../../support/test_support.h"

#include <ballast/reclaim.h>
#include <ballast/slab.h>
#include <ballast/task.h>
#include <ballast/writeback.h>

#include <errno.h>

static int setup(void **state)
{
	struct writeback_config cfg = { .writeback_interval_ms = 60000 };

	test_pagecache_setup(64UL << 20, &cfg, false);
	return 0;
}

static int teardown(void **state)
{
	alloc_fault_set(NULL);
	test_pagecache_teardown();
	return 0;
}

/* A cache of @objects objects whose freeing is "filesystem work". */
struct fs_cache {
	struct shrinker shrinker;
	unsigned long objects;
	unsigned long fs_work;		/* objects freed */
	unsigned long calls_nofs;	/* scans refused for lack of __GFP_FS */
	gfp_t last_gfp;
	struct mem_cgroup *last_memcg;
};

static unsigned long fs_cache_count(struct shrinker *s,
				    struct shrink_control *sc)
{
	struct fs_cache *c = container_of(s, struct fs_cache, shrinker);

	c->last_gfp = sc->gfp_mask;
	return c->objects;
}

static unsigned long fs_cache_scan(struct shrinker *s,
				   struct shrink_control *sc)
{
	struct fs_cache *c = container_of(s, struct fs_cache, shrinker);
	unsigned long n = min(sc->nr_to_scan, c->objects);

	c->last_gfp = sc->gfp_mask;
	c->last_memcg = sc->memcg;
	if (!(sc->gfp_mask & __GFP_FS)) {
		c->calls_nofs++;
		return SHRINK_STOP;
	}
	c->objects -= n;
	c->fs_work += n;
	return n;
}

/*
 * Setup: a shrinker over 1000 objects. Action: shrink_slab() at
 * DEF_PRIORITY, then at priority 0, with GFP_KERNEL.
 * Expected: at DEF_PRIORITY the share (1000 >> 12) is nothing, so no
 * scan; at priority 0 the shrinker scans in batches of SHRINK_BATCH and
 * frees objects, and sees GFP_KERNEL.
 */
static void test_shrink_slab_priority_scales_scan(void **state)
{
	struct fs_cache c = { .objects = 1000 };

	c.shrinker.count_objects = fs_cache_count;
	c.shrinker.scan_objects = fs_cache_scan;
	assert_int_equal(register_shrinker(&c.shrinker, "fs_cache"), 0);
	assert_int_equal(register_shrinker(&c.shrinker, "fs_cache"), -EBUSY);
	assert_int_equal(shrink_slab(GFP_KERNEL, NULL, DEF_PRIORITY), 0);
	assert_int_equal(atomic_load(&c.shrinker.nr_scans), 0);
	assert_true(shrink_slab(GFP_KERNEL, NULL, 0) > 0);
	assert_true(atomic_load(&c.shrinker.nr_scans) >= 1000 / SHRINK_BATCH);
	assert_int_equal(c.last_gfp, GFP_KERNEL);
	assert_true(c.fs_work > 0);
	unregister_shrinker(&c.shrinker);
	assert_int_equal(shrink_slab(GFP_KERNEL, NULL, 0), 0);
}

/*
 * Setup: two shrinkers over 1000 objects each, one flagged
 * SHRINKER_MEMCG_AWARE. Action: shrink_slab() at priority 0 for a memcg
 * (an opaque token: reclaim never looks inside it), then for global
 * reclaim. Expected: limit reclaim of the memcg scans only the aware
 * shrinker, and tells it which memcg; global reclaim scans both, with
 * sc->memcg NULL.
 */
static void test_shrink_slab_memcg_calls_only_memcg_aware(void **state)
{
	struct fs_cache aware = { .objects = 1000 };
	struct fs_cache other = { .objects = 1000 };
	char token;
	struct mem_cgroup *memcg = (struct mem_cgroup *)&token;

	aware.shrinker.count_objects = other.shrinker.count_objects =
		fs_cache_count;
	aware.shrinker.scan_objects = other.shrinker.scan_objects =
		fs_cache_scan;
	aware.shrinker.flags = SHRINKER_MEMCG_AWARE;
	assert_int_equal(register_shrinker(&aware.shrinker, "aware"), 0);
	assert_int_equal(register_shrinker(&other.shrinker, "other"), 0);
	assert_true(shrink_slab(GFP_KERNEL, memcg, 0) > 0);
	assert_true(aware.fs_work > 0);
	assert_ptr_equal(aware.last_memcg, memcg);
	assert_int_equal(atomic_load(&other.shrinker.nr_scans), 0);
	assert_int_equal(other.fs_work, 0);
	assert_true(shrink_slab(GFP_KERNEL, NULL, 0) > 0);
	assert_true(other.fs_work > 0);
	assert_null(other.last_memcg);
	unregister_shrinker(&other.shrinker);
	unregister_shrinker(&aware.shrinker);
}

/*
 * Setup: the same shrinker. Action: direct reclaim forced on a GFP_NOFS
 * allocation, then on a GFP_KERNEL one.
 * Expected: the NOFS reclaim calls the shrinker with a mask without
 * __GFP_FS (but with __GFP_IO), which refuses: no fs work is done and the
 * work is deferred; the GFP_KERNEL reclaim does the work.
 */
static void test_shrink_slab_gfp_nofs_reclaim_skips_fs_work(void **state)
{
	struct alloc_fault_config force = { .reclaim_nth = 1 };
	struct fs_cache c = { .objects = 100000 };
	struct page *page;

	c.shrinker.count_objects = fs_cache_count;
	c.shrinker.scan_objects = fs_cache_scan;
	assert_int_equal(register_shrinker(&c.shrinker, "fs_cache"), 0);

	alloc_fault_set(&force);
	page = alloc_page(GFP_NOFS);
	alloc_fault_set(NULL);
	assert_non_null(page);
	__free_page(page);
	assert_true(c.calls_nofs > 0);
	assert_int_equal(c.fs_work, 0);
	assert_false(c.last_gfp & __GFP_FS);
	assert_true(c.last_gfp & __GFP_IO);
	assert_true(atomic_load(&c.shrinker.nr_deferred) > 0);

	alloc_fault_set(&force);
	page = alloc_page(GFP_KERNEL);
	alloc_fault_set(NULL);
	assert_non_null(page);
	__free_page(page);
	assert_true(c.fs_work > 0);
	unregister_shrinker(&c.shrinker);
}

/*
 * Setup: three files written and closed: two clean (fsynced), one dirty;
 * a fourth still open and clean. Action: shrink_slab(GFP_NOFS, 0), then
 * drop_slab() (GFP_KERNEL). Expected: under GFP_NOFS nothing is evicted;
 * with __GFP_FS the two clean unused inodes are evicted with their pages
 * (PGINODESTEAL counts them), while the dirty one and the open one stay.
 */
static void test_inode_shrinker_evicts_clean_unused_only_with_fs(void **state)
{
	static const char *names[] = { "c1", "c2", "dirty", "open" };
	struct address_space *m[4];
	struct writeback_stats st;
	unsigned long steal = vm_event_sum(PGINODESTEAL);
	char buf[4 * PAGE_SIZE] = { 1 };

	for (int i = 0; i < 4; i++) {
		assert_int_equal(filemap_open(names[i], &m[i]), 0);
		assert_int_equal(filemap_write(m[i], 0, buf, sizeof(buf)),
				 (ssize_t)sizeof(buf));
		if (i != 2)
			assert_int_equal(filemap_fsync(m[i]), 0);
		if (i != 3)
			filemap_close(m[i]);
	}
	shrink_slab(GFP_NOFS, NULL, 0);
	writeback_get_stats(&st);
	assert_int_equal(st.inodes_evicted, 0);

	drop_slab();
	writeback_get_stats(&st);
	assert_int_equal(st.inodes_evicted, 2);
	assert_int_equal(vm_event_sum(PGINODESTEAL) - steal, 8);
	assert_int_equal(m[2]->nrpages, 4);	/* dirty: kept */
	assert_int_equal(m[3]->nrpages, 4);	/* open: kept */
	assert_int_equal(writeback_check(WRITEBACK_CHECK_QUIESCENT), 0);
	filemap_close(m[3]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shrink_slab_priority_scales_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shrink_slab_memcg_calls_only_memcg_aware, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shrink_slab_gfp_nofs_reclaim_skips_fs_work, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inode_shrinker_evicts_clean_unused_only_with_fs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
