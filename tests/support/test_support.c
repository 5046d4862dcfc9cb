// SPDX-License-Identifier: MIT
/* test_support.c - seeds, per-thread random numbers, scaling. */
#include "test_support.h"

#include <ballast/alloc.h>
#include <ballast/slab.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t run_seed;	/* written once, under seed_once */
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;
static __thread uint64_t rand_state;

static void seed_init(void)
{
	const char *env = getenv("BALLAST_TEST_SEED");
	struct timespec ts;

	if (env && *env) {
		run_seed = strtoull(env, NULL, 0);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		run_seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec;
	}
	if (!run_seed)
		run_seed = 1;
	fprintf(stderr, "# seed %llu (replay with BALLAST_TEST_SEED)\n",
		(unsigned long long)run_seed);
}

uint64_t test_seed(void)
{
	pthread_once(&seed_once, seed_init);
	return run_seed;
}

void test_rand_seed(uint64_t stream)
{
	rand_state = test_seed() ^ (stream * 0x9E3779B97F4A7C15ull);
	if (!rand_state)
		rand_state = 0x2545F4914F6CDD1Dull;
}

uint64_t test_rand(void)
{
	uint64_t x = rand_state;

	if (!x) {
		test_rand_seed(0);
		x = rand_state;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rand_state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

double test_scale(void)
{
	const char *cfg = getenv("BALLAST_TEST_CFG");

	if (cfg && (!strcmp(cfg, "tsan") || !strcmp(cfg, "asan")))
		return 0.25;
	return 1.0;
}

void test_mem_setup(size_t bytes)
{
	assert_int_equal(page_ram_init(bytes), 0);
	assert_int_equal(alloc_init(), 0);
	assert_int_equal(slab_init(), 0);
}

unsigned long test_free_pages_drained(void)
{
	drain_all_pages(NULL);
	return nr_free_pages();
}

void test_mem_teardown(void)
{
	struct alloc_census census;

	slab_exit();
	assert_int_equal(alloc_check(&census, ALLOC_CHECK_QUIESCENT), 0);
	assert_int_equal(test_free_pages_drained(), totalram_pages());
	alloc_exit();
	page_ram_destroy();
}

int test_mem_group_setup(void **state)
{
	test_mem_setup(64UL << 20);
	return 0;
}

int test_mem_group_teardown(void **state)
{
	test_mem_teardown();
	return 0;
}
