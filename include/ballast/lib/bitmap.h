// SPDX-License-Identifier: MIT
/*
 * bitmap.h - fixed-size bit arrays of unsigned longs.
 *
 * Rules for users: not thread-safe; the owner's lock protects the bitmap.
 * Bit numbers are checked by the caller against the bitmap's size.
 *
 * Context (every helper here): the caller holds the owner's lock, or owns
 * the bitmap alone; never sleeps; no allocation; no reclaim.
 */
#ifndef BALLAST_LIB_BITMAP_H
#define BALLAST_LIB_BITMAP_H

#include <ballast/lib/compiler.h>

#define BITS_PER_LONG (sizeof(unsigned long) * 8)
#define BITS_TO_LONGS(n) DIV_ROUND_UP((n), BITS_PER_LONG)

static inline bool bitmap_test(const unsigned long *map, unsigned long bit)
{
	return map[bit / BITS_PER_LONG] & (1UL << (bit % BITS_PER_LONG));
}

static inline void bitmap_set_bit(unsigned long *map, unsigned long bit)
{
	map[bit / BITS_PER_LONG] |= 1UL << (bit % BITS_PER_LONG);
}

static inline void bitmap_clear_bit(unsigned long *map, unsigned long bit)
{
	map[bit / BITS_PER_LONG] &= ~(1UL << (bit % BITS_PER_LONG));
}

/* First set (or clear, @want == false) bit at or after @from; @size if none. */
static inline unsigned long bitmap_find_next(const unsigned long *map,
					     unsigned long size,
					     unsigned long from, bool want)
{
	while (from < size) {
		unsigned long word = map[from / BITS_PER_LONG];

		if (!want)
			word = ~word;
		word &= ~0UL << (from % BITS_PER_LONG);
		if (word) {
			unsigned long bit = (from & ~(BITS_PER_LONG - 1)) +
					    (unsigned long)__builtin_ctzl(word);

			return bit < size ? bit : size;
		}
		from = (from & ~(BITS_PER_LONG - 1)) + BITS_PER_LONG;
	}
	return size;
}

#endif
