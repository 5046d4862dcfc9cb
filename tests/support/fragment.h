// SPDX-License-Identifier: MIT
/*
 * fragment.h - shape guest RAM for tests and benchmarks.
 *
 * fragment_with_balloon() fragments it with ballooned pages: fill memory
 * with balloon pages, then keep only those whose pfn is a multiple of
 * @keep_every, freeing the rest, so no free block above order
 * log2(keep_every) - 1 exists while most memory is free:
 *
 *   pfn:  0 1 2 3 4 5 6 7 8 ...
 *         B . . . B . . . B      (keep_every = 4; B = ballooned)
 */
#ifndef BALLAST_TEST_FRAGMENT_H
#define BALLAST_TEST_FRAGMENT_H

#include "balloon_fixture.h"

/* Return the number of pages left in the balloon. */
unsigned long fragment_with_balloon(struct test_balloon *tb,
				    unsigned long keep_every);

/*
 * Try @attempts order-@order allocations with GFP_NOWAIT (no reclaim, no
 * compaction), free them all again, and return how many succeeded.
 */
unsigned long count_high_order_allocs(unsigned int order,
				      unsigned long attempts);

/*
 * Touch every free page of guest RAM (take them all, including the
 * reserves, write each, give them back), so that free memory is backed by
 * the memfd. Return: pages touched.
 */
unsigned long touch_free_memory(void);

#endif
