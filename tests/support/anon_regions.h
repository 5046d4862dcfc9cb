// SPDX-License-Identifier: MIT
/*
 * anon_regions.h - the anonymous workload of the stress tests.
 *
 * A worker owns TEST_ANON_REGIONS fixed regions of its own address space,
 * each mapped (1 to TEST_ANON_REGION_PAGES pages) or not. Each step picks
 * a region at random and maps it if it is unmapped; otherwise it unmaps
 * it, writes one of its pages or reads one back and compares. A page's
 * bytes are a function of (worker, address, generation), so any page can
 * be checked at any time; test_anon_regions_verify() checks every page
 * still mapped.
 *
 * Rules:
 *  1. Everything runs in the worker's task, which has seeded its
 *     generator (test_rand_seed()); init gives that task a new address
 *     space (test_use_new_mm()), which its exit hooks free.
 *  2. Nothing is asserted after init: each failure goes to @report, with
 *     the worker and the region (mmap, munmap) or the address (the bytes).
 */
#ifndef BALLAST_TEST_ANON_REGIONS_H
#define BALLAST_TEST_ANON_REGIONS_H

#include "vm_fixture.h"

#define TEST_ANON_REGIONS 8
#define TEST_ANON_REGION_PAGES 64
/* Region @r of worker @w: 16 MiB apart, workers 16 GiB apart. */
#define TEST_ANON_REGION_ADDR(w, r) \
	((1UL << 40) + (unsigned long)(w) * (1UL << 34) + \
	 (unsigned long)(r) * (1UL << 24))

typedef void (*test_report_fn)(const char *what, long a, long b);

/*
 * The content of a page of the stress workloads: generation @gen of the
 * page at @off (an address or file offset) of @owner (a worker, a file).
 */
static inline void test_page_bytes(char *buf, uint64_t owner,
				   unsigned long off, unsigned int gen)
{
	test_pattern(buf, PAGE_SIZE, owner * 1000003u + gen, off);
}

struct test_anon_regions {
	int w;
	struct mm_struct *mm;
	test_report_fn report;
	unsigned int pages[TEST_ANON_REGIONS];	/* 0: unmapped */
	/* last written; 0: never (since the region was mapped) */
	unsigned int gen[TEST_ANON_REGIONS][TEST_ANON_REGION_PAGES];
	char *buf, *got;			/* a page each */
};

/* Worker @w, no region mapped; a new address space for the caller. */
void test_anon_regions_init(struct test_anon_regions *ar, int w,
			    test_report_fn report);
void test_anon_regions_destroy(struct test_anon_regions *ar);

/*
 * One step on a random region. A mapped one is unmapped with probability
 * @unmap_pct %, has a random page written with @write_pct % (and always
 * if the page was never written), else read back and compared.
 */
void test_anon_regions_step(struct test_anon_regions *ar,
			    unsigned int unmap_pct, unsigned int write_pct);

/* Read back every written page still mapped and compare. */
void test_anon_regions_verify(struct test_anon_regions *ar);

#endif
