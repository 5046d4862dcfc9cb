// SPDX-License-Identifier: MIT
/*
 * balloon_host.h - the host's own record of a guest's balloon (private to
 * src/host): which page frames of guest RAM are ballooned, kept from what
 * the device receives, independent of what the guest claims in `actual`.
 *
 * Rules for users:
 *  1. Everything passed in comes from guest RAM and is untrusted: a batch is
 *     validated whole before anything is changed; a bad inflate changes
 *     nothing, a deflate takes back only its valid pfns.
 *  2. One owner thread (the host's event loop) calls these functions; no
 *     locking inside.
 *  3. Context (every function here): the owner thread; no locks; never
 *     waits on a lock, but the system calls on the memfd (fallocate,
 *     lseek, fstat) may block briefly; allocation only from the C heap,
 *     as each function says (the host has no ballast allocator).
 */
#ifndef BALLAST_HOST_BALLOON_HOST_H
#define BALLAST_HOST_BALLOON_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <ballast/lib/compiler.h>

struct balloon_host {
	int memfd;			/* guest RAM; not owned */
	uint64_t ram_bytes;
	uint32_t nr_pfns;
	unsigned long *ballooned;	/* one bit per pfn */
	uint32_t nr_ballooned;		/* bits set */
	uint64_t punched_bytes;		/* total passed to fallocate */
	uint64_t nr_punches;		/* fallocate calls (one per run) */
	uint64_t nr_punch_errors;	/* fallocate failures (host-side) */
	uint64_t nr_double_inflates;	/* pfns inflated twice (counted once) */
	uint64_t nr_bad_deflates;	/* pfns refused by deflates: outside
					 * RAM or never inflated */
	uint64_t nr_touched;		/* ballooned pfns found backed */
	uint32_t *scratch;		/* sorted copy of a batch */
	size_t scratch_len;
};

/*
 * The argument of the test hook "balloon_host.punch" (testhook.h), run
 * just before pages [start, start + count) of the memfd are punched, with
 * their bits already set in the record: fuzzers check there that nothing
 * outside the record is ever discarded.
 */
struct balloon_host_punch {
	const struct balloon_host *bh;
	uint32_t start;
	uint32_t count;
};

/**
 * balloon_host_init() - an empty record for @ram_bytes of guest RAM in
 * @memfd. Context: rule 3; allocates the bitmap from the C heap.
 * Return: 0, -EINVAL (size not a positive multiple of 4 KiB or too
 * large for 32-bit pfns), -ENOMEM.
 */
int __must_check balloon_host_init(struct balloon_host *bh, int memfd,
				   uint64_t ram_bytes);

/**
 * balloon_host_destroy() - free the record (@memfd is not closed).
 * Context: rule 3; frees only.
 */
void balloon_host_destroy(struct balloon_host *bh);

/**
 * balloon_host_inflate() - the guest gave away @n pfns: validate all
 * (every pfn < nr_pfns), then record them and punch holes in the memfd for
 * the new ones, contiguous runs coalesced into one fallocate each.
 *
 * Context: rule 3; may grow the sorting scratch array (C heap); one
 * fallocate(2) per run.
 * Return: 0; -EPROTO if any pfn is outside guest RAM (nothing recorded,
 * nothing discarded; @bad receives the first bad pfn); -EIO if a punch
 * failed (recorded anyway; the memory just was not returned). If the
 * scratch array cannot grow, the pfns are recorded and punched unsorted.
 */
int __must_check balloon_host_inflate(struct balloon_host *bh,
				      const uint32_t *pfns, size_t n,
				      uint32_t *bad);

/**
 * balloon_host_deflate() - the guest takes back @n pfns. Each should be
 * ballooned; one that is not (outside RAM, or never inflated) is refused
 * and counted in nr_bad_deflates, while the others are taken back all the
 * same, because the guest reuses every page of the buffer once the device
 * acknowledges it. A pfn listed twice is taken back once.
 * Context: rule 3; no system call; no allocation.
 * Return: 0; -EPROTO if some pfns were refused (@bad receives the first
 * offender; the valid ones were taken back).
 */
int __must_check balloon_host_deflate(struct balloon_host *bh,
				      const uint32_t *pfns, size_t n,
				      uint32_t *bad);

/**
 * balloon_host_scan_touched() - find ballooned pfns that are backed by
 * memory again (the guest wrote to them before deflating). Uses
 * lseek(SEEK_DATA) over each ballooned range. @first receives the first
 * such pfn. Context: rule 3; lseek(2) only; no allocation.
 * Return: the number of touched ballooned pages (0 if none).
 */
uint64_t balloon_host_scan_touched(struct balloon_host *bh, uint32_t *first);

/**
 * balloon_host_count_touched() - how many of the @n pfns (untrusted; those
 * outside guest RAM or not ballooned are skipped, duplicates count once)
 * are ballooned and yet backed by memory: with MUST_TELL_HOST, a deflate
 * naming such a page comes after the guest already touched it. Call it
 * before balloon_host_deflate(). @first receives the first such pfn.
 * Context: rule 3; may grow the sorting scratch array (C heap); lseek(2).
 * Return: the number of such pages (0 also if no memory for sorting).
 */
uint64_t balloon_host_count_touched(struct balloon_host *bh,
				    const uint32_t *pfns, size_t n,
				    uint32_t *first);

/**
 * balloon_host_allocated_bytes() - bytes of the memfd backed by memory
 * (st_blocks * 512); 0 if fstat fails.
 * Context: rule 3; one fstat(2); no allocation.
 */
uint64_t balloon_host_allocated_bytes(const struct balloon_host *bh);

#endif
