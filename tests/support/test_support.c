// SPDX-License-Identifier: MIT
/* test_support.c - seeds, per-thread random numbers, scaling. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t run_seed;
static __thread uint64_t rand_state;

uint64_t test_seed(void)
{
	if (!run_seed) {
		const char *env = getenv("BALLAST_TEST_SEED");
		struct timespec ts;

		if (env && *env) {
			run_seed = strtoull(env, NULL, 0);
		} else {
			clock_gettime(CLOCK_REALTIME, &ts);
			run_seed = (uint64_t)ts.tv_sec * 1000003u ^
				   (uint64_t)ts.tv_nsec;
		}
		if (!run_seed)
			run_seed = 1;
		fprintf(stderr, "# seed %llu (replay with BALLAST_TEST_SEED)\n",
			(unsigned long long)run_seed);
	}
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
