// SPDX-License-Identifier: MIT
/*
 * test_vm_stress.c - address spaces under pressure, all at once:
 *  - anonymous workers, each in its own address space (and a unified
 *    memcg), mapping and unmapping regions at random and writing and
 *    checking whole pages through the MMU;
 *  - two writers sharing a file through shared mappings (each its own
 *    half), fsyncing now and then;
 *  - a copy-on-write worker writing into a private mapping of a file that
 *    must never change;
 *  - a reader in a small unified group reading a large clean file, so its
 *    limit reclaim runs all the time;
 *  - a migrator playing vm.h's migration-entry protocol against the
 *    anonymous workers' live pages (the remote vm_access() to find one,
 *    try_to_migrate(), a reference check, copy or give up,
 *    remove_migration_ptes());
 *  - a hog in a group of its own touching four times the group's limit:
 *    the group's OOM kills it (and only it) and the reaper frees its
 *    memory while everything else runs;
 *  - a pressure task holding and freeing pages; kswapd and the flusher;
 *    every 10007th allocation forced into direct reclaim.
 * Every page's contents are a function of (owner, address, generation),
 * so readers check any page at any time and the backing files are
 * checked byte for byte with pread() at the end. Then, at a quiescent
 * point: vm_check(), memcg_check(), reclaim_check(), writeback_check()
 * and alloc_check(), all with their quiescent flags.
 */
#include "../support/anon_regions.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAM (48UL << 20)
#define NR_ANON 2
#define SHARED_PAGES 512		/* two halves of 256 */
#define PRIVATE_PAGES 128
#define BIG_PAGES 4096			/* 16 MiB read by the small group */
#define HOLD_MAX 4096			/* pressure: up to 16 MiB held */

#define FILE_BASE (1UL << 39)

static _Atomic(bool) stop_all;
static _Atomic(unsigned long) errors, migrated, migrate_aborted;
static struct task *anon_tasks[NR_ANON];
static struct mem_cgroup *anon_group, *small_group, *hog_group;

static void stress_fail(const char *what, long a, long b)
{
	if (atomic_fetch_add(&errors, 1) < 10)
		fprintf(stderr, "vm stress: %s (%ld, %ld)\n", what, a, b);
}

/* ------------------------------------------------------------------ */
/* Anonymous workers                                                     */
/* ------------------------------------------------------------------ */

static int anon_worker(void *arg)
{
	int w = (int)(intptr_t)arg;
	unsigned long rounds = test_scaled(72000);
	struct test_anon_regions ar;

	test_rand_seed(10 + (uint64_t)w);
	if (memcg_attach(anon_group))
		stress_fail("attach", w, 0);
	test_anon_regions_init(&ar, w, stress_fail);
	for (unsigned long i = 0; i < rounds && !atomic_load(&stop_all); i++)
		test_anon_regions_step(&ar, 3, 57);
	/* Everything still mapped must still be right. */
	test_anon_regions_verify(&ar);
	test_anon_regions_destroy(&ar);
	return 0;
}

/* ------------------------------------------------------------------ */
/* File workers                                                          */
/* ------------------------------------------------------------------ */

static unsigned int shared_gen[SHARED_PAGES];	/* each half: its writer */

static int shared_writer(void *arg)
{
	int w = (int)(intptr_t)arg;
	unsigned long rounds = test_scaled(36000);
	char *buf = malloc(PAGE_SIZE), *got = malloc(PAGE_SIZE);
	struct address_space *m;
	struct mm_struct *mm;

	test_rand_seed(20 + (uint64_t)w);
	mm = test_use_new_mm();
	if (filemap_open("shared", &m))
		return -1;
	test_mmap(mm, FILE_BASE, SHARED_PAGES * PAGE_SIZE,
		  VM_READ | VM_WRITE | VM_SHARED, m, 0);
	for (unsigned long i = 0; i < rounds && !atomic_load(&stop_all); i++) {
		unsigned int p = (unsigned int)(w * (SHARED_PAGES / 2) +
						test_rand_below(SHARED_PAGES / 2));
		unsigned long addr = FILE_BASE + (unsigned long)p * PAGE_SIZE;
		int err;

		if (test_rand_below(100) < 70 || !shared_gen[p]) {
			shared_gen[p]++;
			test_page_bytes(buf, 100, (unsigned long)p * PAGE_SIZE,
					shared_gen[p]);
			if (vm_write(current, addr, buf, PAGE_SIZE) != PAGE_SIZE)
				stress_fail("shared write", w, p);
		} else {
			test_page_bytes(buf, 100, (unsigned long)p * PAGE_SIZE,
					shared_gen[p]);
			if (vm_read(current, addr, got, PAGE_SIZE) != PAGE_SIZE ||
			    memcmp(buf, got, PAGE_SIZE))
				stress_fail("shared bytes", w, p);
		}
		if (i % 500 == 499 && (err = filemap_fsync(m)))
			stress_fail("fsync", w, err);
	}
	filemap_close(m);
	free(buf);
	free(got);
	return 0;
}

static int cow_worker(void *arg)
{
	unsigned long rounds = test_scaled(36000);
	unsigned int gen[PRIVATE_PAGES] = { 0 };
	char *buf = malloc(PAGE_SIZE), *got = malloc(PAGE_SIZE);
	struct address_space *m;
	struct mm_struct *mm;

	test_rand_seed(30);
	mm = test_use_new_mm();
	if (filemap_open("private", &m))
		return -1;
	test_mmap(mm, FILE_BASE, PRIVATE_PAGES * PAGE_SIZE,
		  VM_READ | VM_WRITE, m, 0);
	for (unsigned long i = 0; i < rounds && !atomic_load(&stop_all); i++) {
		unsigned int p = (unsigned int)test_rand_below(PRIVATE_PAGES);
		unsigned long addr = FILE_BASE + (unsigned long)p * PAGE_SIZE;

		if (test_rand_below(100) < 30) {
			gen[p]++;
			test_page_bytes(buf, 200, addr, gen[p]);
			if (vm_write(current, addr, buf, PAGE_SIZE) != PAGE_SIZE)
				stress_fail("cow write", p, 0);
			continue;
		}
		if (gen[p])
			test_page_bytes(buf, 200, addr, gen[p]);
		else
			test_pattern(buf, PAGE_SIZE, 7,
				     (uint64_t)p * PAGE_SIZE);
		if (vm_read(current, addr, got, PAGE_SIZE) != PAGE_SIZE ||
		    memcmp(buf, got, PAGE_SIZE))
			stress_fail("cow bytes", p, gen[p]);
	}
	filemap_close(m);
	free(buf);
	free(got);
	return 0;
}

static int small_group_reader(void *arg)
{
	unsigned long rounds = test_scaled(48000);
	char *buf = malloc(2 * PAGE_SIZE), *want = malloc(2 * PAGE_SIZE);
	struct address_space *m;

	test_rand_seed(40);
	if (memcg_attach(small_group) || filemap_open("big", &m))
		return -1;
	for (unsigned long i = 0; i < rounds && !atomic_load(&stop_all); i++) {
		size_t len = 1 + test_rand_below(2 * PAGE_SIZE);
		size_t off = test_rand_below(BIG_PAGES * PAGE_SIZE - len);

		test_pattern(want, len, 8, off);
		if (filemap_read(m, (loff_t)off, buf, len) != (ssize_t)len ||
		    memcmp(buf, want, len))
			stress_fail("big bytes", (long)off, (long)len);
	}
	filemap_close(m);
	free(buf);
	free(want);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The migrator (vm.h rule 6, played against live workers)               */
/* ------------------------------------------------------------------ */

static void migrate_one(struct task *t, unsigned long addr)
{
	struct page *old, *new;
	struct vm_pin pin;

	if (vm_access(t, addr, 1, 0, &pin))
		return;			/* not mapped now */
	old = pin.page;
	get_page(old);
	vm_access_put(&pin);
	if (!PageSwapBacked(old) || isolate_lru_page(old)) {
		put_page(old);
		return;
	}
	new = alloc_page(GFP_HIGHUSER_MOVABLE);
	lock_page(old);
	if (!new || !trylock_page(new)) {
		if (new)
			put_page(new);
		unlock_page(old);
		putback_lru_page(old);
		put_page(old);
		return;
	}
	try_to_migrate(old);
	/* Only our reference and the isolation's: nobody writes it now. */
	if (page_ref_count(old) == 2) {
		memcpy(page_address(new), page_address(old), PAGE_SIZE);
		new->memcg = old->memcg;	/* the charge moves, off the LRU */
		old->memcg = NULL;
		remove_migration_ptes(old, new);
		lru_cache_add(new);
		atomic_fetch_add(&migrated, 1);
	} else {
		remove_migration_ptes(old, old);	/* pinned: give up */
		atomic_fetch_add(&migrate_aborted, 1);
	}
	unlock_page(new);
	put_page(new);
	unlock_page(old);
	putback_lru_page(old);
	put_page(old);
}

static int migrator(void *arg)
{
	unsigned long rounds = test_scaled(36000);

	test_rand_seed(50);
	for (unsigned long i = 0; i < rounds && !atomic_load(&stop_all); i++) {
		int w = (int)test_rand_below(NR_ANON);
		unsigned int r = (unsigned int)test_rand_below(
						TEST_ANON_REGIONS);
		unsigned int p = (unsigned int)test_rand_below(
						TEST_ANON_REGION_PAGES);

		migrate_one(anon_tasks[w], TEST_ANON_REGION_ADDR(w, r) +
					   (unsigned long)p * PAGE_SIZE);
	}
	return 0;
}

static int pressure(void *arg)
{
	unsigned long rounds = test_scaled(600);
	struct test_held held;

	test_rand_seed(60);
	test_held_init(&held);
	for (unsigned long r = 0; r < rounds && !atomic_load(&stop_all); r++) {
		unsigned long want = test_rand_below(HOLD_MAX);

		test_held_alloc(&held, want,
				GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY);
		test_held_free(&held, want / 2);
		task_sleep_ms(1);
	}
	test_held_free(&held, 0);
	return 0;
}

/* ------------------------------------------------------------------ */

static void check_backing(void)
{
	char *buf = malloc(PAGE_SIZE), *want = malloc(PAGE_SIZE);
	int fd = open(test_backing_path("shared"), O_RDONLY);

	assert_true(fd >= 0);
	for (unsigned int p = 0; p < SHARED_PAGES; p++) {
		if (shared_gen[p])
			test_page_bytes(want, 100, (unsigned long)p * PAGE_SIZE,
					shared_gen[p]);
		else
			memset(want, 0, PAGE_SIZE);
		assert_int_equal(pread(fd, buf, PAGE_SIZE,
				       (off_t)p * PAGE_SIZE), PAGE_SIZE);
		if (memcmp(buf, want, PAGE_SIZE))
			fail_msg("shared page %u differs on disk", p);
	}
	close(fd);
	fd = open(test_backing_path("private"), O_RDONLY);
	assert_true(fd >= 0);
	for (unsigned int p = 0; p < PRIVATE_PAGES; p++) {
		test_pattern(want, PAGE_SIZE, 7, (uint64_t)p * PAGE_SIZE);
		assert_int_equal(pread(fd, buf, PAGE_SIZE,
				       (off_t)p * PAGE_SIZE), PAGE_SIZE);
		if (memcmp(buf, want, PAGE_SIZE))
			fail_msg("private file page %u changed", p);
	}
	close(fd);
	free(buf);
	free(want);
}

static void test_vm_stress_all_at_once_consistent(void **state)
{
	struct test_vm_config cfg = {
		.ram = RAM,
		.memcg = true,
		.oom = true,
		.kswapd = true,
		.wb = { .writeback_interval_ms = 100 },
	};
	struct alloc_fault_config force = { .reclaim_nth = 10007 };
	struct task *shared[2], *cow, *reader, *mig, *press, *hog_task;
	struct test_hog hog = { .pages = 2048, .seed = 99 };
	struct address_space *m;

	test_vm_setup(&cfg);
	assert_int_equal(memcg_create(root_mem_cgroup, "anon",
				      MEMCG_MODE_UNIFIED, &anon_group), 0);
	assert_int_equal(memcg_set_max(anon_group, 24UL << 8), 0);	/* 24 MiB */
	assert_int_equal(memcg_create(root_mem_cgroup, "small",
				      MEMCG_MODE_UNIFIED, &small_group), 0);
	assert_int_equal(memcg_set_max(small_group, 256), 0);	/* 1 MiB */
	assert_int_equal(memcg_create(root_mem_cgroup, "hog",
				      MEMCG_MODE_UNIFIED, &hog_group), 0);
	assert_int_equal(memcg_set_max(hog_group, 512), 0);	/* 2 MiB */
	hog.memcg = hog_group;
	filemap_close(test_clean_file("private", PRIVATE_PAGES, 7));
	filemap_close(test_clean_file("big", BIG_PAGES, 8));
	drop_slab();	/* evict "big": the small group reads it in itself */
	assert_int_equal(filemap_open("shared", &m), 0);	/* empty */
	filemap_close(m);
	alloc_fault_set(&force);

	for (int w = 0; w < NR_ANON; w++)
		assert_int_equal(task_create(&anon_tasks[w], "anon", anon_worker,
					     (void *)(intptr_t)w, 0), 0);
	for (int w = 0; w < 2; w++)
		assert_int_equal(task_create(&shared[w], "shared", shared_writer,
					     (void *)(intptr_t)w, 0), 0);
	assert_int_equal(task_create(&cow, "cow", cow_worker, NULL, 0), 0);
	assert_int_equal(task_create(&reader, "reader", small_group_reader,
				     NULL, 0), 0);
	assert_int_equal(task_create(&mig, "migrator", migrator, NULL, 0), 0);
	assert_int_equal(task_create(&press, "pressure", pressure, NULL, 0),
			 0);
	hog_task = test_hog_start(&hog, "hog");

	task_destroy(mig);		/* before the workers it visits */
	for (int w = 0; w < NR_ANON; w++)
		task_destroy(anon_tasks[w]);
	for (int w = 0; w < 2; w++)
		task_destroy(shared[w]);
	task_destroy(cow);
	task_destroy(reader);
	task_destroy(press);
	task_destroy(hog_task);
	alloc_fault_set(NULL);
	assert_int_equal(atomic_load(&errors), 0);
	/* Only the hog died, by its own group's OOM, and was reaped. */
	assert_int_equal(hog.result, -EINTR);
	assert_int_equal(memcg_events(hog_group, MEMCG_OOM_KILL), 1);
	assert_int_equal(memcg_events(root_mem_cgroup, MEMCG_OOM_KILL), 1);
	assert_int_equal(oom_reaper_sync(30000), 0);
	assert_int_equal(memcg_usage(hog_group), 0);
	assert_true(memcg_peak(small_group) <= 256);
	assert_true(memcg_events(small_group, MEMCG_PGSTEAL) > 0);

	assert_int_equal(filemap_open("shared", &m), 0);
	assert_int_equal(filemap_fsync(m), 0);
	filemap_close(m);
	check_backing();
	kswapd_stop();
	assert_int_equal(flusher_sync(30000), 0);
	assert_int_equal(writeback_check(WRITEBACK_CHECK_QUIESCENT), 0);
	assert_int_equal(memcg_destroy(anon_group), 0);
	assert_int_equal(memcg_destroy(small_group), 0);
	assert_int_equal(memcg_destroy(hog_group), 0);
	test_vm_teardown();
	if (getenv("BALLAST_STRESS_VERBOSE"))
		fprintf(stderr, "migrated %lu, aborted %lu\n",
			atomic_load(&migrated), atomic_load(&migrate_aborted));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_stress_all_at_once_consistent),
	};

	test_seed();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
