// SPDX-License-Identifier: MIT
/*
 * test_migrate_mapped.c - migration of pages that page tables map:
 * anonymous pages and shared file pages move to new frames with their
 * bytes, the PTEs follow them, a pinned page is left alone, and
 * compaction moves scattered anonymous memory together.
 */
#include "../../support/vm_fixture.h"
#include "../../support/fragment.h"

#include <ballast/migrate.h>
#include <ballast/reclaim.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BASE (1UL << 32)
#define NR 16

static struct mm_struct *mm;

static int setup(void **state)
{
	struct test_vm_config cfg = { .wb = { .writeback_interval_ms = 60000 } };

	test_vm_setup(&cfg);
	mm = test_use_new_mm();
	compaction_set_proactiveness(0);
	return 0;
}

static int teardown(void **state)
{
	compaction_set_proactiveness(20);
	exit_mm();
	test_vm_teardown();
	return 0;
}

static struct page *alloc_dst(struct page *src, unsigned long private)
{
	return alloc_page(GFP_HIGHUSER_MOVABLE);
}

static void fill(unsigned long addr, unsigned long pages, uint64_t seed)
{
	char *buf = malloc(PAGE_SIZE);

	for (unsigned long i = 0; i < pages; i++) {
		test_pattern(buf, PAGE_SIZE, seed, i * PAGE_SIZE);
		assert_int_equal(vm_write(current, addr + i * PAGE_SIZE, buf,
					  PAGE_SIZE), PAGE_SIZE);
	}
	free(buf);
}

static void verify(unsigned long addr, unsigned long pages, uint64_t seed)
{
	char *buf = malloc(PAGE_SIZE), *want = malloc(PAGE_SIZE);

	for (unsigned long i = 0; i < pages; i++) {
		test_pattern(want, PAGE_SIZE, seed, i * PAGE_SIZE);
		assert_int_equal(vm_read(current, addr + i * PAGE_SIZE, buf,
					 PAGE_SIZE), PAGE_SIZE);
		if (memcmp(buf, want, PAGE_SIZE))
			fail_msg("page %lu at %#lx differs", i,
				 addr + i * PAGE_SIZE);
	}
	free(buf);
	free(want);
}

/* Isolate the pages mapped at [addr, addr + pages) onto @list. */
static void isolate_range(unsigned long addr, unsigned long pages,
			  struct list_head *list, unsigned long *pfns)
{
	for (unsigned long i = 0; i < pages; i++) {
		struct vm_pin pin;

		assert_int_equal(vm_access(current, addr + i * PAGE_SIZE, 1, 0,
					   &pin), 0);
		pfns[i] = page_to_pfn(pin.page);
		assert_true(isolate_migratable_lru_page(pin.page));
		list_add_tail(&pin.page->lru, list);
		vm_access_put(&pin);
	}
}

static void assert_moved(unsigned long addr, unsigned long pages,
			 const unsigned long *pfns)
{
	for (unsigned long i = 0; i < pages; i++) {
		uint64_t pte = vm_pte_get(mm, addr + i * PAGE_SIZE);

		assert_true(pte_present(pte));
		assert_int_not_equal(pte_pfn(pte), pfns[i]);
	}
}

/*
 * Setup: 16 anonymous pages written with a pattern. Action: isolate and
 * migrate them. Expected: every PTE maps a new frame, the bytes read back
 * through the MMU are the same, and the checks pass.
 */
static void test_migrate_pages_anon_pages_follow_their_ptes(void **state)
{
	unsigned long pfns[NR];
	LIST_HEAD(list);
	unsigned int done;

	test_mmap(mm, BASE, NR * PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0);
	fill(BASE, NR, 11);
	isolate_range(BASE, NR, &list, pfns);
	assert_int_equal(migrate_pages(&list, alloc_dst, NULL, 0, MIGRATE_SYNC,
				       MR_SYSCALL, &done), 0);
	assert_int_equal(done, NR);
	assert_moved(BASE, NR, pfns);
	verify(BASE, NR, 11);
	fill(BASE, NR, 12);	/* and the new frames take writes */
	verify(BASE, NR, 12);
	assert_int_equal(node_page_state(NR_ISOLATED_ANON), 0);
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
}

/*
 * A page pinned by vm_access() cannot be copied safely: migration gives it
 * up, the PTE maps the old frame again, and the bytes are unchanged.
 */
static void test_migrate_pages_pinned_anon_page_is_left(void **state)
{
	unsigned long pfn;
	struct vm_pin pin;
	LIST_HEAD(list);
	unsigned int done;

	test_mmap(mm, BASE, PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0);
	fill(BASE, 1, 21);
	isolate_range(BASE, 1, &list, &pfn);
	assert_int_equal(vm_access(current, BASE, 1, 0, &pin), 0);
	assert_int_equal(migrate_pages(&list, alloc_dst, NULL, 0, MIGRATE_SYNC,
				       MR_SYSCALL, &done), 1);
	assert_int_equal(done, 0);
	vm_access_put(&pin);
	putback_movable_pages(&list);
	assert_int_equal(pte_pfn(vm_pte_get(mm, BASE)), pfn);
	verify(BASE, 1, 21);
}

static struct page *alloc_dst_counted(struct page *src, unsigned long private)
{
	(*(unsigned long *)private)++;
	return alloc_page(GFP_HIGHUSER_MOVABLE);
}

/*
 * Setup: an anonymous page written and isolated, then unmapped while
 * isolated (the isolation reference is the last one). Action:
 * migrate_pages(). Expected: as in Linux, the page counts as migrated
 * without a destination being allocated; it is freed, the isolated
 * counters are back to 0 (not one anon up, one file down) and the LRU
 * checks pass at this quiescent point.
 */
static void test_migrate_pages_anon_page_unmapped_while_isolated_is_freed(void **state)
{
	unsigned long pfn, allocated = 0, free_before;
	LIST_HEAD(list);
	unsigned int done;

	test_mmap(mm, BASE, PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0);
	fill(BASE, 1, 51);
	isolate_range(BASE, 1, &list, &pfn);
	assert_int_equal(vm_munmap(mm, BASE, PAGE_SIZE), 0);
	assert_int_equal(page_ref_count(pfn_to_page(pfn)), 1);
	free_before = test_free_pages_drained();
	assert_int_equal(migrate_pages(&list, alloc_dst_counted, NULL,
				       (unsigned long)&allocated, MIGRATE_SYNC,
				       MR_SYSCALL, &done), 0);
	assert_int_equal(done, 1);
	assert_int_equal(allocated, 0);
	assert_true(list_empty(&list));
	assert_int_equal(test_free_pages_drained(), free_before + 1);
	assert_int_equal(node_page_state(NR_ISOLATED_ANON), 0);
	assert_int_equal(node_page_state(NR_ISOLATED_FILE), 0);
	assert_int_equal(reclaim_check(RECLAIM_CHECK_QUIESCENT), 0);
}

/*
 * Setup: a file shared-mapped and read through the MMU. Action: migrate
 * its mapped pages. Expected: the PTEs and the page cache name the same
 * new frames; writes through the mapping reach the cache and, after fsync,
 * the backing file.
 */
static void test_migrate_pages_shared_file_pages_stay_shared(void **state)
{
	struct address_space *m;
	unsigned long pfns[NR];
	char *buf = malloc(PAGE_SIZE), *want = malloc(PAGE_SIZE);
	LIST_HEAD(list);
	unsigned int done;
	int fd;

	assert_int_equal(filemap_open("shared", &m), 0);
	test_mmap(mm, BASE, NR * PAGE_SIZE, VM_READ | VM_WRITE | VM_SHARED, m, 0);
	fill(BASE, NR, 31);
	isolate_range(BASE, NR, &list, pfns);
	assert_int_equal(migrate_pages(&list, alloc_dst, NULL, 0, MIGRATE_SYNC,
				       MR_SYSCALL, &done), 0);
	assert_int_equal(done, NR);
	assert_moved(BASE, NR, pfns);
	for (unsigned long i = 0; i < NR; i++) {
		struct page *cached = find_get_page(m, i);

		assert_int_equal(page_to_pfn(cached),
				 pte_pfn(vm_pte_get(mm, BASE + i * PAGE_SIZE)));
		put_page(cached);
	}
	fill(BASE, NR, 32);
	assert_int_equal(filemap_fsync(m), 0);
	fd = open(test_backing_path("shared"), O_RDONLY);
	for (unsigned long i = 0; i < NR; i++) {
		test_pattern(want, PAGE_SIZE, 32, i * PAGE_SIZE);
		assert_int_equal(pread(fd, buf, PAGE_SIZE, (off_t)(i * PAGE_SIZE)),
				 PAGE_SIZE);
		if (memcmp(buf, want, PAGE_SIZE))
			fail_msg("file page %lu differs on disk", i);
	}
	close(fd);
	free(buf);
	free(want);
	assert_int_equal(vm_munmap(mm, BASE, NR * PAGE_SIZE), 0);
	filemap_close(m);
}

/*
 * Setup: two anonymous regions touched in alternation fill most of RAM;
 * one is unmapped, leaving the other's pages one in two. Action:
 * compact_nodes(). Expected: order-9 allocations succeed again and the
 * remaining region reads back intact.
 */
static void test_compact_nodes_scattered_anon_restores_order9(void **state)
{
	unsigned long pages = (64UL << 20 >> PAGE_SHIFT) * 40 / 100;
	unsigned long a = BASE, b = BASE + (1UL << 30);
	unsigned long attempts = (64UL << 20) >> 21, before, after;
	char *buf = malloc(PAGE_SIZE);

	test_mmap(mm, a, pages * PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0);
	test_mmap(mm, b, pages * PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0);
	for (unsigned long i = 0; i < pages; i++) {
		test_pattern(buf, PAGE_SIZE, 41, i * PAGE_SIZE);
		assert_int_equal(vm_write(current, a + i * PAGE_SIZE, buf,
					  PAGE_SIZE), PAGE_SIZE);
		assert_int_equal(vm_write(current, b + i * PAGE_SIZE, buf, 8), 8);
	}
	free(buf);
	assert_int_equal(vm_munmap(mm, b, pages * PAGE_SIZE), 0);
	before = count_high_order_allocs(9, attempts);
	compact_nodes();
	after = count_high_order_allocs(9, attempts);
	print_message("order-9 success: before %lu/%lu, after %lu/%lu\n",
		      before, attempts, after, attempts);
	assert_true(after >= before + attempts / 4);
	verify(a, pages, 41);
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_migrate_pages_anon_pages_follow_their_ptes),
		T(test_migrate_pages_pinned_anon_page_is_left),
		T(test_migrate_pages_anon_page_unmapped_while_isolated_is_freed),
		T(test_migrate_pages_shared_file_pages_stay_shared),
		T(test_compact_nodes_scattered_anon_restores_order9),
#undef T
	};

	return cmocka_run_group_tests_name("migrate_mapped", tests, NULL, NULL);
}
