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
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

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

#endif
