// SPDX-License-Identifier: MIT
/*
 * test_vmalloc.c - vmalloc areas: usable from C across page boundaries,
 * the same bytes as their pages (the memfd really mapped), mapped in the
 * kernel page table, counted in NR_VMALLOC, reserved again (PROT_NONE)
 * after vfree; every allocation on the path failed in turn, unwinding
 * without a leak; a GFP_NOIO caller inside memalloc_noio_save() runs
 * clean under the validator, while passing GFP_NOIO as a mask is
 * reported (the bug 4 regression test has the I/O-path cycle too).
 *
 * 64 MiB of RAM; vm with its vmalloc region.
 */
#include "../../support/lockdep_test.h"
#include "../../support/vm_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
	test_vm_setup(NULL);
	return lockdep_test_setup(state);
}

static int teardown(void **state)
{
	int ret = lockdep_test_teardown(state);

	test_vm_teardown();
	return ret;
}

/* The protection string ("rw-s", "---p") of the mapping holding @addr. */
static void maps_perms(const void *addr, char perms[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	strcpy(perms, "????");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char p[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 &&
		    (unsigned long)addr >= lo && (unsigned long)addr < hi) {
			memcpy(perms, p, 5);
			break;
		}
	}
	fclose(f);
}

/*
 * Setup: nothing allocated. Action: vmalloc(3 MiB + 123 bytes), write a
 * pattern over all of it through the pointer, read each page through
 * vmalloc_to_page() and page_address(). Expected: 769 pages (3 MiB + 1),
 * each mapped in init_mm and showing the pattern; NR_VMALLOC grew by
 * 769 and the region is mapped "rw-s" (the memfd); after vfree it is
 * "---p" again and NR_VMALLOC is back.
 */
static void test_vmalloc_memory_usable_from_c_and_backed_by_pages(void **state)
{
	size_t len = (3UL << 20) + 123;
	long before = node_page_state(NR_VMALLOC);
	char *p = vmalloc(len), *want = malloc(len), perms[5];

	assert_non_null(p);
	assert_true(is_vmalloc_addr(p) && is_vmalloc_addr(p + len - 1));
	assert_int_equal(node_page_state(NR_VMALLOC) - before, 769);
	test_pattern(want, len, 1, 0);
	memcpy(p, want, len);
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		struct page *page = vmalloc_to_page(p + off);
		size_t n = min(PAGE_SIZE, len - off);

		assert_non_null(page);
		assert_memory_equal(page_address(page), want + off, n);
	}
	maps_perms(p, perms);
	assert_string_equal(perms, "rw-s");
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
	vfree(p);
	maps_perms(p, perms);
	assert_string_equal(perms, "---p");
	assert_int_equal(node_page_state(NR_VMALLOC), before);
	assert_null(vmalloc_to_page(p));
	free(want);
}

/*
 * Setup: an area written full of 0xff and freed. Action: vzalloc() of the
 * same size. Expected: every byte is zero.
 */
static void test_vzalloc_returns_zeroed_memory(void **state)
{
	size_t len = 64 * PAGE_SIZE;
	char *p = vmalloc(len);

	assert_non_null(p);
	memset(p, 0xff, len);
	vfree(p);
	p = vzalloc(len);
	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		if (p[i])
			fail_msg("byte %zu is %#x", i, (unsigned char)p[i]);
	vfree(p);
}

/*
 * Setup: fresh kernel page tables (the fixture's). Action: for n = 1..24,
 * fail every n-th allocation while a 2 MiB + 1 page area is allocated
 * (its bookkeeping, 513 data pages and up to three page tables), and
 * free it if it was made. Expected: each attempt fails cleanly (NULL) or
 * succeeds and frees; nothing leaks (NR_VMALLOC back to 0, and the
 * fixture's alloc_check() and page census at teardown).
 */
static void test___vmalloc_failing_allocation_unwinds(void **state)
{
	unsigned long failed = 0;

	for (unsigned long n = 1; n <= 24; n++) {
		struct alloc_fault_config cfg = { .fail_nth = n };
		void *p;

		alloc_fault_set(&cfg);
		p = __vmalloc((2UL << 20) + PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN);
		alloc_fault_set(NULL);
		if (p)
			vfree(p);
		else
			failed++;
		assert_int_equal(node_page_state(NR_VMALLOC), 0);
	}
	assert_true(failed >= 20);
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
}

/*
 * Setup: fresh kernel page tables. Action: __vmalloc(GFP_NOIO) inside
 * memalloc_noio_save(); then, in a new region, __vmalloc(GFP_NOIO)
 * without the scope. Expected: the first is clean (the page tables see
 * the scope); the second is reported as a nested allocation laxer than
 * its caller's mask, naming the page-table allocation and vmalloc.
 */
static void test___vmalloc_noio_scope_clean_mask_reported(void **state)
{
	unsigned int noio;
	void *p, *q;

	/* The caller cannot recurse into I/O here: say so with a scope. */
	noio = memalloc_noio_save();
	p = __vmalloc(PAGE_SIZE, GFP_NOIO);
	memalloc_noio_restore(noio);
	assert_non_null(p);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_ALLOC_SCOPE), 0);
	/* A second area lands in a new PTE table: more tables allocated. */
	q = __vmalloc(4UL << 20, GFP_NOIO);
	assert_non_null(q);
	assert_lockdep_claim(LOCKDEP_REPORT_ALLOC_SCOPE,
			     "allocation in pgtable_alloc inside vmalloc", 1);
	vfree(q);
	vfree(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vmalloc_memory_usable_from_c_and_backed_by_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vzalloc_returns_zeroed_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test___vmalloc_failing_allocation_unwinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test___vmalloc_noio_scope_clean_mask_reported, setup, teardown),
	};

	test_seed();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
