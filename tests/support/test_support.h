// SPDX-License-Identifier: MIT
/*
 * test_support.h - shared fixtures of the test programs.
 *
 * - Seeded randomness: test_seed() returns the seed of this run (from
 *   $BALLAST_TEST_SEED, else the clock) and prints it once, so a failure
 *   can be replayed; test_rand() is a per-thread xorshift generator.
 * - test_scale(): multiply iteration counts by it; smaller under the
 *   sanitizers, whose slowdown would otherwise stretch the suite.
 */
#ifndef BALLAST_TEST_SUPPORT_H
#define BALLAST_TEST_SUPPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ballast/gfp.h>
#include <ballast/lib/list.h>

uint64_t test_seed(void);

/* Seed the calling thread's generator from the run seed and @stream. */
void test_rand_seed(uint64_t stream);
uint64_t test_rand(void);
/* Uniform in [0, n). */
static inline uint64_t test_rand_below(uint64_t n)
{
	return n ? test_rand() % n : 0;
}

/* 1 in plain debug builds; smaller (0 < scale <= 1) under sanitizers. */
double test_scale(void);
static inline unsigned long test_scaled(unsigned long n)
{
	unsigned long s = (unsigned long)((double)n * test_scale());

	return s ? s : 1;
}

/*
 * Memory fixture: guest RAM of @bytes, the allocator and the kmalloc caches,
 * and the validator's hung-task watchdog (default threshold, 10 s unless
 * $BALLAST_HUNG_TASK_MS says otherwise).
 * test_mem_teardown() stops the watchdog, checks, at a quiescent point,
 * that every page is free again (after draining per-CPU lists) and that the
 * allocator's invariants hold, then tears everything down. Both fail the
 * test on error.
 */
void test_mem_setup(size_t bytes);
void test_mem_teardown(void);

/* cmocka group fixtures around test_mem_setup(64 MiB) / teardown. */
int test_mem_group_setup(void **state);
int test_mem_group_teardown(void **state);

/* Pages free in the buddy lists after draining the per-CPU lists. */
unsigned long test_free_pages_drained(void);

/*
 * Pages a pressure task holds (owner only): test_held_alloc() takes
 * order-0 pages with @gfp until @h holds @nr, and returns false if an
 * allocation failed first; test_held_free() frees pages until @h holds at
 * most @nr (0: all of them).
 */
struct test_held {
	struct list_head pages;		/* by page->lru */
	unsigned long nr;
};

void test_held_init(struct test_held *h);
bool test_held_alloc(struct test_held *h, unsigned long nr, gfp_t gfp);
void test_held_free(struct test_held *h, unsigned long nr);

struct writeback_config;

/*
 * Page-cache fixture: test_mem_setup(@ram_bytes), reclaim_init(), and
 * writeback_init() over a fresh temporary backing directory (@cfg's dir is
 * replaced by it; NULL: defaults). kswapd is started if @kswapd.
 * test_pagecache_teardown() stops everything, checks reclaim_check() and
 * writeback_check() at a quiescent point, removes the directory and
 * tears memory down (test_mem_teardown()).
 */
void test_pagecache_setup(size_t ram_bytes, const struct writeback_config *cfg,
			  bool kswapd);
void test_pagecache_teardown(void);

/* Path of @name in the backing directory (static buffer). */
const char *test_backing_path(const char *name);

/*
 * Run @cmd with /bin/sh and put what it writes to stdout (stderr too if
 * @cmd redirects it: "2>&1"), up to 64 KiB, NUL-terminated, in *@out,
 * which the caller frees. Returns its exit status, 128 if it did not exit.
 */
int test_shell(const char *cmd, char **out);

/* Fill @buf with the bytes of stream @seed at file offset @pos. */
void test_pattern(void *buf, size_t len, uint64_t seed, uint64_t pos);

struct address_space;

/*
 * Open file @name, write @nr pages of stream @seed to it through the page
 * cache and fsync it: its pages are cached, uptodate and clean.
 */
struct address_space *test_clean_file(const char *name, unsigned long nr,
				       uint64_t seed);

#endif
