// SPDX-License-Identifier: MIT
/*
 * balloon_host.c - the host's record of ballooned page frames, and the
 * hole punching that returns them to the machine.
 *
 * Invariants and locking:
 *  - nr_ballooned = popcount(ballooned); bit p set <=> the host accepted an
 *    inflate of pfn p and no deflate of it since.
 *  - A batch is validated completely before the record changes (rule 1 of
 *    the header): a bad inflate batch changes nothing; a deflate batch is
 *    judged against the record as it was, and only its valid pfns leave.
 *  - Single owner (the host's event loop): no locks.
 * Untrusted: every pfn array (copied out of guest RAM by the caller).
 */
#include "balloon_host.h"

#include <ballast/lib/bitmap.h>
#include <ballast/lib/log.h>
#include <ballast/lib/testhook.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOST_PAGE_SHIFT 12
#define HOST_PAGE_SIZE (1UL << HOST_PAGE_SHIFT)

int balloon_host_init(struct balloon_host *bh, int memfd, uint64_t ram_bytes)
{
	uint64_t nr = ram_bytes >> HOST_PAGE_SHIFT;

	memset(bh, 0, sizeof(*bh));
	if (!nr || ram_bytes % HOST_PAGE_SIZE || nr > UINT32_MAX)
		return -EINVAL;
	bh->ballooned = calloc(BITS_TO_LONGS(nr), sizeof(unsigned long));
	if (!bh->ballooned)
		return -ENOMEM;
	bh->memfd = memfd;
	bh->ram_bytes = ram_bytes;
	bh->nr_pfns = (uint32_t)nr;
	return 0;
}

void balloon_host_destroy(struct balloon_host *bh)
{
	free(bh->ballooned);
	free(bh->scratch);
	memset(bh, 0, sizeof(*bh));
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Sorted copy of @pfns in bh->scratch; false on allocation failure. */
static bool sorted_copy(struct balloon_host *bh, const uint32_t *pfns,
			size_t n)
{
	if (n > bh->scratch_len) {
		uint32_t *s = realloc(bh->scratch, n * sizeof(*s));

		if (!s)
			return false;
		bh->scratch = s;
		bh->scratch_len = n;
	}
	memcpy(bh->scratch, pfns, n * sizeof(*pfns));
	qsort(bh->scratch, n, sizeof(*bh->scratch), cmp_u32);
	return true;
}

static int punch(struct balloon_host *bh, uint32_t start, uint32_t count)
{
	off_t off = (off_t)start << HOST_PAGE_SHIFT;
	off_t len = (off_t)count << HOST_PAGE_SHIFT;
	struct balloon_host_punch hook = { bh, start, count };

	TEST_HOOK("balloon_host.punch", &hook);
	if (fallocate(bh->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      off, len) < 0) {
		bh->nr_punch_errors++;
		return -errno;
	}
	bh->punched_bytes += (uint64_t)len;
	bh->nr_punches++;
	return 0;
}

int balloon_host_inflate(struct balloon_host *bh, const uint32_t *pfns,
			 size_t n, uint32_t *bad)
{
	uint32_t run_start = 0, run_len = 0;
	const uint32_t *walk;
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		if (pfns[i] >= bh->nr_pfns) {
			*bad = pfns[i];
			return -EPROTO;
		}
	}
	/*
	 * Sorted, runs coalesce into few punches. Without memory for the
	 * copy, walk the guest's order: more, smaller punches, and a pfn
	 * listed twice counts as a double inflate, but the record stays
	 * exact (the guest has given the pages away either way).
	 */
	walk = sorted_copy(bh, pfns, n) ? bh->scratch : pfns;

	for (size_t i = 0; i < n; i++) {
		uint32_t pfn = walk[i];

		if (i && pfn == walk[i - 1])
			continue;	/* the same pfn twice in one batch */
		if (bitmap_test(bh->ballooned, pfn)) {
			bh->nr_double_inflates++;
			continue;
		}
		bitmap_set_bit(bh->ballooned, pfn);
		bh->nr_ballooned++;
		if (run_len && pfn == run_start + run_len) {
			run_len++;
			continue;
		}
		if (run_len && punch(bh, run_start, run_len))
			ret = -EIO;
		run_start = pfn;
		run_len = 1;
	}
	if (run_len && punch(bh, run_start, run_len))
		ret = -EIO;
	return ret;
}

int balloon_host_deflate(struct balloon_host *bh, const uint32_t *pfns,
			 size_t n, uint32_t *bad)
{
	uint64_t refused = 0;

	/* Judge the batch against the record as it was before it. */
	for (size_t i = 0; i < n; i++) {
		if (pfns[i] >= bh->nr_pfns ||
		    !bitmap_test(bh->ballooned, pfns[i])) {
			if (!refused)
				*bad = pfns[i];
			refused++;
		}
	}
	/*
	 * The guest reuses every page of a buffer once it is used, so the
	 * valid pfns are taken back even beside refused ones: keeping them
	 * recorded would report the guest's reuse as touching a ballooned
	 * page. A pfn listed twice in one batch is cleared once.
	 */
	for (size_t i = 0; i < n; i++) {
		if (pfns[i] < bh->nr_pfns &&
		    bitmap_test(bh->ballooned, pfns[i])) {
			bitmap_clear_bit(bh->ballooned, pfns[i]);
			bh->nr_ballooned--;
		}
	}
	bh->nr_bad_deflates += refused;
	return refused ? -EPROTO : 0;
}

/*
 * Count the pages of [@pfn, @end) that are backed by memory (SEEK_DATA /
 * SEEK_HOLE runs), adding them to *@touched; *@first gets the first one
 * found if none was found before.
 */
static void count_backed(struct balloon_host *bh, unsigned long pfn,
			 unsigned long end, uint64_t *touched, uint32_t *first)
{
	off_t off = (off_t)pfn << HOST_PAGE_SHIFT;
	off_t stop = (off_t)end << HOST_PAGE_SHIFT;

	while (off < stop) {
		off_t data = lseek(bh->memfd, off, SEEK_DATA);
		off_t hole;

		if (data < 0 || data >= stop)
			break;
		hole = lseek(bh->memfd, data, SEEK_HOLE);
		if (hole < 0 || hole > stop)
			hole = stop;
		if (!*touched)
			*first = (uint32_t)(data >> HOST_PAGE_SHIFT);
		*touched += (uint64_t)(hole - data) >> HOST_PAGE_SHIFT;
		off = hole;
	}
}

uint64_t balloon_host_scan_touched(struct balloon_host *bh, uint32_t *first)
{
	uint64_t touched = 0;
	unsigned long pfn = 0;

	while ((pfn = bitmap_find_next(bh->ballooned, bh->nr_pfns, pfn,
				       true)) < bh->nr_pfns) {
		unsigned long end = bitmap_find_next(bh->ballooned, bh->nr_pfns,
						     pfn, false);

		count_backed(bh, pfn, end, &touched, first);
		pfn = end;
	}
	bh->nr_touched = touched;
	return touched;
}

uint64_t balloon_host_count_touched(struct balloon_host *bh,
				    const uint32_t *pfns, size_t n,
				    uint32_t *first)
{
	uint32_t run_start = 0, run_len = 0;
	uint64_t touched = 0;

	if (!sorted_copy(bh, pfns, n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t pfn = bh->scratch[i];

		if (pfn >= bh->nr_pfns || (i && pfn == bh->scratch[i - 1]) ||
		    !bitmap_test(bh->ballooned, pfn))
			continue;
		if (run_len && pfn == run_start + run_len) {
			run_len++;
			continue;
		}
		if (run_len)
			count_backed(bh, run_start, run_start + run_len,
				     &touched, first);
		run_start = pfn;
		run_len = 1;
	}
	if (run_len)
		count_backed(bh, run_start, run_start + run_len, &touched, first);
	return touched;
}

uint64_t balloon_host_allocated_bytes(const struct balloon_host *bh)
{
	struct stat st;

	if (fstat(bh->memfd, &st) < 0)
		return 0;
	return (uint64_t)st.st_blocks * 512;
}
