// SPDX-License-Identifier: MIT
/*
 * test_migrate_stress.c - migration of LRU pages while their owners use
 * them, all at once:
 *  - a compactor running compact_nodes() in a loop, kcompactd compacting
 *    proactively (proactiveness 80), and a pressure task whose high-order
 *    requests compact directly;
 *  - anonymous workers, each in its own address space, mapping regions,
 *    writing and checking whole pages through the MMU and unmapping them
 *    (so pages die while compaction holds them isolated);
 *  - file workers rewriting pages of their own file, checking what they
 *    read, and now and then writing everything back and dropping the
 *    file's clean pages from the cache (the truncation ballast has) or
 *    reclaiming clean page cache everywhere;
 *  - the pressure task holding and freeing pages, so kswapd and direct
 *    reclaim take page cache too; the flusher writing back.
 * Every page's contents are a function of (owner, offset, generation), so
 * any page can be checked at any time. After the rounds, compaction stops;
 * then the anonymous workers check every page still mapped, the files are
 * checked byte for byte through the cache and on disk, and at a quiescent
 * point vm_check(), reclaim_check() (nothing left isolated),
 * writeback_check() and alloc_check() (every page in exactly one place)
 * must pass. Run under the validator (no unclaimed report) and TSan.
 */
#include "../support/anon_regions.h"
#include "../support/lockdep_test.h"

#include <ballast/migrate.h>
#include <ballast/reclaim.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAM (32UL << 20)
#define NR_ANON 2
#define NR_FILES 2
#define FILE_PAGES 1024			/* 4 MiB each */
#define HOLD_MAX 3072			/* pressure: up to 12 MiB held */

static _Atomic(bool) stop_compaction;
static _Atomic(unsigned long) errors, compactions;
static struct address_space *files[NR_FILES];
static unsigned int file_gen[NR_FILES][FILE_PAGES];	/* its worker's */
static struct completion anon_done[NR_ANON], anon_verify;

static void stress_fail(const char *what, long a, long b)
{
	if (atomic_fetch_add(&errors, 1) < 10)
		fprintf(stderr, "migrate stress: %s (%ld, %ld)\n", what, a, b);
}

/* ------------------------------------------------------------------ */
/* Anonymous workers                                                     */
/* ------------------------------------------------------------------ */

static int anon_worker(void *arg)
{
	int w = (int)(intptr_t)arg;
	unsigned long rounds = test_scaled(60000);
	struct test_anon_regions ar;

	test_rand_seed(10 + (uint64_t)w);
	test_anon_regions_init(&ar, w, stress_fail);
	for (unsigned long i = 0; i < rounds; i++)
		test_anon_regions_step(&ar, 4, 56);
	/* The survivors, once compaction has stopped moving them. */
	complete(&anon_done[w]);
	/* Parked while the file workers finish: not a hang. */
	wait_for_completion_idle(&anon_verify);
	test_anon_regions_verify(&ar);
	test_anon_regions_destroy(&ar);
	return 0;	/* the exit hooks free the address space */
}

/* ------------------------------------------------------------------ */
/* File workers                                                          */
/* ------------------------------------------------------------------ */

static bool file_check(int f, unsigned int p, char *buf, char *got)
{
	test_page_bytes(buf, 100 + (uint64_t)f, (unsigned long)p * PAGE_SIZE,
			file_gen[f][p]);
	return filemap_read(files[f], (loff_t)p * PAGE_SIZE, got, PAGE_SIZE) ==
		       PAGE_SIZE &&
	       !memcmp(buf, got, PAGE_SIZE);
}

static int file_worker(void *arg)
{
	int f = (int)(intptr_t)arg;
	struct address_space *m = files[f];
	char *buf = malloc(PAGE_SIZE), *got = malloc(PAGE_SIZE);
	unsigned long rounds = test_scaled(30000);
	int err;

	test_rand_seed(20 + (uint64_t)f);
	for (unsigned long i = 0; i < rounds; i++) {
		unsigned int p = (unsigned int)test_rand_below(FILE_PAGES);
		unsigned int op = (unsigned int)test_rand_below(1000);

		if (op < 500) {
			file_gen[f][p]++;
			test_page_bytes(buf, 100 + (uint64_t)f,
					(unsigned long)p * PAGE_SIZE,
					file_gen[f][p]);
			if (filemap_write(m, (loff_t)p * PAGE_SIZE, buf,
					  PAGE_SIZE) != PAGE_SIZE)
				stress_fail("file write", f, p);
		} else if (op < 990) {
			if (!file_check(f, p, buf, got))
				stress_fail("file bytes", f, p);
		} else if (op < 996) {
			/* Clean the file, then drop its pages from the cache. */
			if ((err = filemap_fsync(m)))
				stress_fail("fsync", f, err);
			invalidate_mapping_pages(m);
		} else {
			reclaim_clean_pagecache(256);
		}
	}
	free(buf);
	free(got);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Compaction and pressure                                               */
/* ------------------------------------------------------------------ */

static int compactor(void *arg)
{
	while (!atomic_load(&stop_compaction)) {
		compact_nodes();
		atomic_fetch_add(&compactions, 1);
	}
	return 0;
}

static int pressure(void *arg)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY;
	unsigned long rounds = test_scaled(600);
	struct test_held held;

	test_rand_seed(30);
	test_held_init(&held);
	for (unsigned long r = 0; r < rounds; r++) {
		unsigned long want = test_rand_below(HOLD_MAX);
		unsigned int order = 2 + (unsigned int)test_rand_below(8);
		struct page *big;

		test_held_alloc(&held, want, gfp);
		test_held_free(&held, want / 2);
		/* Direct compaction, at every order up to a pageblock. */
		big = alloc_pages(gfp, order);
		if (big)
			__free_pages(big, order);
	}
	test_held_free(&held, 0);
	return 0;
}

/* ------------------------------------------------------------------ */

static void file_check_all(int f)
{
	char *buf = malloc(PAGE_SIZE), *got = malloc(PAGE_SIZE);
	char name[16];
	int fd;

	for (unsigned int p = 0; p < FILE_PAGES; p++)
		if (!file_check(f, p, buf, got))
			fail_msg("file %d page %u differs in the cache", f, p);
	assert_int_equal(filemap_fsync(files[f]), 0);
	snprintf(name, sizeof(name), "file%d", f);
	fd = open(test_backing_path(name), O_RDONLY);
	assert_true(fd >= 0);
	for (unsigned int p = 0; p < FILE_PAGES; p++) {
		test_page_bytes(buf, 100 + (uint64_t)f,
				(unsigned long)p * PAGE_SIZE, file_gen[f][p]);
		assert_int_equal(pread(fd, got, PAGE_SIZE, (off_t)p * PAGE_SIZE),
				 PAGE_SIZE);
		if (memcmp(buf, got, PAGE_SIZE))
			fail_msg("file %d page %u differs on disk", f, p);
	}
	close(fd);
	free(buf);
	free(got);
}

static int setup(void **state)
{
	struct test_vm_config cfg = {
		.ram = RAM,
		.kswapd = true,
		.wb = { .writeback_interval_ms = 100 },
	};

	if (lockdep_test_setup(state))
		return -1;
	test_vm_setup(&cfg);
	assert_int_equal(compaction_init(), 0);
	return 0;
}

static int teardown(void **state)
{
	compaction_exit();
	compaction_set_proactiveness(20);
	test_vm_teardown();
	return lockdep_test_teardown(state);
}

/*
 * Setup: 32 MiB guest with kswapd, the flusher (100 ms), kcompactd at
 * proactiveness 80; two 4 MiB files written whole (generation 1).
 * Action: two anonymous workers, two file workers and the pressure task
 * run their rounds while the compactor loops over compact_nodes(); then
 * compaction stops.
 * Expected: every read returned what was last written; compaction moved
 * LRU pages; the survivors are intact (anonymous through the MMU, files in
 * the cache and on disk); the quiescent checks pass; nothing is left
 * isolated; no validator or sanitizer report.
 */
static void test_migrate_stress_lru_pages_move_under_their_owners(void **state)
{
	struct task *anon[NR_ANON], *file[NR_FILES], *press, *comp;
	unsigned long migrated = vm_event_sum(PGMIGRATE_SUCCESS);
	char *buf = malloc(PAGE_SIZE);

	for (int f = 0; f < NR_FILES; f++) {
		char name[16];

		snprintf(name, sizeof(name), "file%d", f);
		assert_int_equal(filemap_open(name, &files[f]), 0);
		for (unsigned int p = 0; p < FILE_PAGES; p++) {
			file_gen[f][p] = 1;
			test_page_bytes(buf, 100 + (uint64_t)f,
					(unsigned long)p * PAGE_SIZE, 1);
			assert_int_equal(filemap_write(files[f],
						       (loff_t)p * PAGE_SIZE,
						       buf, PAGE_SIZE),
					 PAGE_SIZE);
		}
	}
	free(buf);
	init_completion(&anon_verify);
	atomic_store(&stop_compaction, false);
	compaction_set_proactiveness(80);

	assert_int_equal(task_create(&comp, "compactor", compactor, NULL, 0),
			 0);
	for (int w = 0; w < NR_ANON; w++) {
		init_completion(&anon_done[w]);
		assert_int_equal(task_create(&anon[w], "anon", anon_worker,
					     (void *)(intptr_t)w, 0), 0);
	}
	for (int f = 0; f < NR_FILES; f++)
		assert_int_equal(task_create(&file[f], "file", file_worker,
					     (void *)(intptr_t)f, 0), 0);
	assert_int_equal(task_create(&press, "pressure", pressure, NULL, 0),
			 0);

	for (int f = 0; f < NR_FILES; f++)
		task_destroy(file[f]);
	task_destroy(press);
	for (int w = 0; w < NR_ANON; w++)
		wait_for_completion(&anon_done[w]);
	atomic_store(&stop_compaction, true);
	task_destroy(comp);
	compaction_exit();	/* kcompactd too: nothing moves any more */
	complete_all(&anon_verify);
	for (int w = 0; w < NR_ANON; w++)
		task_destroy(anon[w]);

	assert_int_equal(atomic_load(&errors), 0);
	assert_true(atomic_load(&compactions) > 0);
	assert_true(vm_event_sum(PGMIGRATE_SUCCESS) > migrated);
	for (int f = 0; f < NR_FILES; f++) {
		file_check_all(f);
		filemap_close(files[f]);
	}
	kswapd_stop();
	assert_int_equal(flusher_sync(30000), 0);
	assert_int_equal(node_page_state(NR_ISOLATED_ANON), 0);
	assert_int_equal(node_page_state(NR_ISOLATED_FILE), 0);
	assert_int_equal(reclaim_check(RECLAIM_CHECK_QUIESCENT), 0);
	assert_int_equal(writeback_check(WRITEBACK_CHECK_QUIESCENT), 0);
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
	assert_int_equal(alloc_check(NULL, ALLOC_CHECK_QUIESCENT), 0);
	if (getenv("BALLAST_STRESS_VERBOSE"))
		fprintf(stderr, "compactions %lu, migrated %lu\n",
			atomic_load(&compactions),
			vm_event_sum(PGMIGRATE_SUCCESS) - migrated);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_migrate_stress_lru_pages_move_under_their_owners,
			setup, teardown),
	};

	test_seed();
	return cmocka_run_group_tests_name("migrate_stress", tests, NULL, NULL);
}
