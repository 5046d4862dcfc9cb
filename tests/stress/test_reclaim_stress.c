// SPDX-License-Identifier: MIT
/*
 * test_reclaim_stress.c - the page cache under memory pressure, all at
 * once: writers rewriting their files (and fsyncing), readers checking
 * every byte they read, a task holding and freeing anonymous-style pages
 * to force reclaim, a task churning small files through the inode cache
 * and drop_slab(), kswapd and the flusher; every 10007th allocation is also
 * forced into direct reclaim.
 *
 * Every byte of a writer's file is a function of its offset (the file's
 * pattern), so readers can check any range at any time and the backing
 * files can be checked byte for byte at the end. Afterwards, at a quiescent
 * point: writeback_check(), reclaim_check() and alloc_check() with their
 * quiescent flags; every page is in exactly one place.
 */
#include "../support/test_support.h"

#include <ballast/reclaim.h>
#include <ballast/slab.h>
#include <ballast/task.h>
#include <ballast/writeback.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAM (32UL << 20)
#define NR_FILES 2
#define FILE_PAGES 1536			/* 6 MiB each */
#define FILE_BYTES (FILE_PAGES * PAGE_SIZE)
#define HOLD_MAX 5120			/* pressure: up to 20 MiB held */

static struct address_space *files[NR_FILES];
static _Atomic(bool) stop_all;
static _Atomic(unsigned long) errors, alloc_failures, reads_checked;

static void stress_fail(const char *what, long a, long b)
{
	if (atomic_fetch_add(&errors, 1) < 10)
		fprintf(stderr, "stress: %s (%ld, %ld)\n", what, a, b);
}

static int writer(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct address_space *m = files[id];
	unsigned long rounds = test_scaled(6000);
	char *buf = malloc(4 * PAGE_SIZE);

	test_rand_seed(100 + (uint64_t)id);
	for (unsigned long r = 0; r < rounds && !atomic_load(&stop_all); r++) {
		size_t len = 1 + test_rand_below(3 * PAGE_SIZE);
		size_t off = test_rand_below(FILE_BYTES - len);
		int err;

		test_pattern(buf, len, (uint64_t)id, off);
		if (filemap_write(m, (loff_t)off, buf, len) != (ssize_t)len)
			stress_fail("write", id, (long)off);
		if (r % 200 == 199 && (err = filemap_fsync(m)))
			stress_fail("fsync", id, err);
	}
	free(buf);
	return 0;
}

static int reader(void *arg)
{
	int id = (int)(intptr_t)arg;
	char *buf = malloc(2 * PAGE_SIZE), *want = malloc(2 * PAGE_SIZE);
	unsigned long rounds = test_scaled(8000);

	test_rand_seed(200 + (uint64_t)id);
	for (unsigned long r = 0; r < rounds && !atomic_load(&stop_all); r++) {
		int f = (int)test_rand_below(NR_FILES);
		size_t len = 1 + test_rand_below(2 * PAGE_SIZE);
		size_t off = test_rand_below(FILE_BYTES - len);
		ssize_t n;

		n = filemap_read(files[f], (loff_t)off, buf, len);
		if (n != (ssize_t)len) {
			stress_fail("short read", f, (long)n);
			continue;
		}
		test_pattern(want, len, (uint64_t)f, off);
		if (memcmp(buf, want, len))
			stress_fail("read wrong bytes", f, (long)off);
		atomic_fetch_add(&reads_checked, 1);
	}
	free(buf);
	free(want);
	return 0;
}

static int pressure(void *arg)
{
	unsigned long rounds = test_scaled(100);
	struct test_held held;

	test_rand_seed(300);
	test_held_init(&held);
	for (unsigned long r = 0; r < rounds && !atomic_load(&stop_all); r++) {
		unsigned long target = HOLD_MAX / 2 + test_rand_below(HOLD_MAX / 2);

		if (!test_held_alloc(&held, target, GFP_KERNEL | __GFP_NOWARN))
			atomic_fetch_add(&alloc_failures, 1);
		test_held_free(&held, target / 4);
	}
	test_held_free(&held, 0);
	return 0;
}

static int churn(void *arg)
{
	unsigned long rounds = test_scaled(400);
	char buf[2 * PAGE_SIZE];

	test_rand_seed(400);
	memset(buf, 0x5a, sizeof(buf));
	for (unsigned long r = 0; r < rounds && !atomic_load(&stop_all); r++) {
		struct address_space *m;
		char name[16];
		int err;

		snprintf(name, sizeof(name), "small%u",
			 (unsigned int)test_rand_below(16));
		if ((err = filemap_open(name, &m))) {
			stress_fail("open", err, 0);
			continue;
		}
		if (filemap_write(m, 0, buf, 1 + test_rand_below(sizeof(buf))) <= 0)
			stress_fail("small write", 0, 0);
		if (r % 3 == 0 && (err = filemap_fsync(m)))
			stress_fail("small fsync", err, 0);
		filemap_close(m);
		if (r % 50 == 49)
			drop_slab();
	}
	return 0;
}

/* The whole file, before any task starts, so readers may check any byte. */
static void initial_write(int id)
{
	char *chunk = malloc(16 * PAGE_SIZE);

	for (size_t off = 0; off < FILE_BYTES; off += 16 * PAGE_SIZE) {
		test_pattern(chunk, 16 * PAGE_SIZE, (uint64_t)id, off);
		assert_int_equal(filemap_write(files[id], (loff_t)off, chunk,
					       16 * PAGE_SIZE),
				 (ssize_t)(16 * PAGE_SIZE));
	}
	free(chunk);
}

static void assert_backing_pattern(int id)
{
	char name[16], *got = malloc(FILE_BYTES), *want = malloc(FILE_BYTES);
	int fd;

	snprintf(name, sizeof(name), "big%d", id);
	fd = open(test_backing_path(name), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, got, FILE_BYTES, 0), (ssize_t)FILE_BYTES);
	close(fd);
	test_pattern(want, FILE_BYTES, (uint64_t)id, 0);
	assert_memory_equal(got, want, FILE_BYTES);
	free(got);
	free(want);
}

/*
 * Setup: 32 MiB of RAM, two 6 MiB files, kswapd, a flusher waking every
 * 50 ms, every 10007th allocation forced into direct reclaim (and every
 * 10009th through the OOM notifiers). Action: two
 * writers, two readers, the pressure task and the inode churner run to
 * their iteration counts. Expected: every read returned the file's
 * pattern, every fsync 0, no GFP_KERNEL allocation failed; at the end the
 * backing files hold exactly the patterns and every checker is clean.
 */
static void test_reclaim_stress_pagecache_under_pressure_consistent(void **state)
{
	struct alloc_fault_config force = { .reclaim_nth = 10007,
					    .oom_nth = 10009 };
	struct writeback_config cfg = { .writeback_interval_ms = 50 };
	struct task *tasks[6];
	int nt = 0;

	test_pagecache_setup(RAM, &cfg, true);
	for (int i = 0; i < NR_FILES; i++) {
		char name[16];

		snprintf(name, sizeof(name), "big%d", i);
		assert_int_equal(filemap_open(name, &files[i]), 0);
		initial_write(i);
	}
	alloc_fault_set(&force);
	for (int i = 0; i < NR_FILES; i++)
		assert_int_equal(task_create(&tasks[nt++], "writer", writer,
					     (void *)(intptr_t)i, 0), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(task_create(&tasks[nt++], "reader", reader,
					     (void *)(intptr_t)i, 0), 0);
	assert_int_equal(task_create(&tasks[nt++], "pressure", pressure, NULL,
				     0), 0);
	assert_int_equal(task_create(&tasks[nt++], "churn", churn, NULL, 0), 0);
	for (int i = 0; i < nt; i++)
		task_destroy(tasks[i]);
	alloc_fault_set(NULL);

	/* The paths under test really ran (kswapd's share varies by run). */
	{
		struct writeback_stats ws;

		writeback_get_stats(&ws);
		assert_true(vm_event_sum(PGSTEAL_DIRECT) > 0);
		assert_true(ws.pages_written > 0 && ws.inodes_evicted > 0);
	}
	assert_int_equal(atomic_load(&errors), 0);
	assert_int_equal(atomic_load(&alloc_failures), 0);
	assert_true(atomic_load(&reads_checked) > 0);

	/* Quiescent point: no kswapd, nothing dirty, the flusher idle. */
	kswapd_stop();
	for (int i = 0; i < NR_FILES; i++)
		assert_int_equal(filemap_fsync(files[i]), 0);
	assert_int_equal(flusher_sync(20000), 0);
	assert_int_equal(writeback_check(WRITEBACK_CHECK_QUIESCENT), 0);
	assert_int_equal(reclaim_check(RECLAIM_CHECK_QUIESCENT), 0);
	assert_int_equal(alloc_check(NULL, ALLOC_CHECK_QUIESCENT), 0);
	assert_int_equal(slab_check(), 0);
	for (int i = 0; i < NR_FILES; i++) {
		assert_backing_pattern(i);
		filemap_close(files[i]);
	}
	test_pagecache_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reclaim_stress_pagecache_under_pressure_consistent),
	};

	test_seed();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
