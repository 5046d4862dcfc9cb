// SPDX-License-Identifier: MIT
/* anon_regions.c - the anonymous workload of the stress tests. */
#include "anon_regions.h"

#include <stdlib.h>
#include <string.h>

static bool anon_page_check(struct test_anon_regions *ar, unsigned long addr,
			    unsigned int gen)
{
	test_page_bytes(ar->buf, (uint64_t)ar->w, addr, gen);
	return vm_read(current, addr, ar->got, PAGE_SIZE) == PAGE_SIZE &&
	       !memcmp(ar->buf, ar->got, PAGE_SIZE);
}

void test_anon_regions_init(struct test_anon_regions *ar, int w,
			    test_report_fn report)
{
	memset(ar, 0, sizeof(*ar));
	ar->w = w;
	ar->report = report;
	ar->buf = malloc(PAGE_SIZE);
	ar->got = malloc(PAGE_SIZE);
	ar->mm = test_use_new_mm();
}

void test_anon_regions_destroy(struct test_anon_regions *ar)
{
	free(ar->buf);
	free(ar->got);
}

void test_anon_regions_step(struct test_anon_regions *ar,
			    unsigned int unmap_pct, unsigned int write_pct)
{
	unsigned int r = (unsigned int)test_rand_below(TEST_ANON_REGIONS);
	unsigned int op = (unsigned int)test_rand_below(100);
	unsigned long base = TEST_ANON_REGION_ADDR(ar->w, r), addr;
	unsigned int *gen = ar->gen[r];
	unsigned int p;

	if (!ar->pages[r]) {
		unsigned int n = 1 + (unsigned int)test_rand_below(
					     TEST_ANON_REGION_PAGES);

		if (vm_mmap(ar->mm, base, (size_t)n * PAGE_SIZE,
			    VM_READ | VM_WRITE, NULL, 0, &addr)) {
			ar->report("mmap", ar->w, r);
			return;
		}
		ar->pages[r] = n;
		memset(ar->gen[r], 0, sizeof(ar->gen[r]));
		return;
	}
	if (op < unmap_pct) {
		if (vm_munmap(ar->mm, base, (size_t)ar->pages[r] * PAGE_SIZE))
			ar->report("munmap", ar->w, r);
		ar->pages[r] = 0;
		return;
	}
	p = (unsigned int)test_rand_below(ar->pages[r]);
	addr = base + (unsigned long)p * PAGE_SIZE;
	if (op < unmap_pct + write_pct || !gen[p]) {
		gen[p]++;
		test_page_bytes(ar->buf, (uint64_t)ar->w, addr, gen[p]);
		if (vm_write(current, addr, ar->buf, PAGE_SIZE) != PAGE_SIZE)
			ar->report("anon write", ar->w, (long)addr);
	} else if (!anon_page_check(ar, addr, gen[p])) {
		ar->report("anon bytes", ar->w, (long)addr);
	}
}

void test_anon_regions_verify(struct test_anon_regions *ar)
{
	for (unsigned int r = 0; r < TEST_ANON_REGIONS; r++)
		for (unsigned int p = 0; p < ar->pages[r]; p++) {
			unsigned long addr = TEST_ANON_REGION_ADDR(ar->w, r) +
					     (unsigned long)p * PAGE_SIZE;
			unsigned int gen = ar->gen[r][p];

			if (gen && !anon_page_check(ar, addr, gen))
				ar->report("anon final bytes", ar->w,
					   (long)addr);
		}
}
