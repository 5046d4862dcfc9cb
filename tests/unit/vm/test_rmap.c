// SPDX-License-Identifier: MIT
/*
 * test_rmap.c - reverse mapping: accessed bits through page_referenced(),
 * unmapping with the dirty bit moving to the page, mapped file pages
 * reclaimed by real reclaim through the rmap ops, and the migration-entry
 * protocol of vm.h (rule 6) played by the test as the migrator: success
 * with a new page (a fault waits and then sees the new page, no data
 * lost), failure restoring the old one in two address spaces.
 *
 * 64 MiB of RAM, the page cache over a temporary directory, no memcg.
 */
#include "../../support/lockdep_test.h"
#include "../../support/vm_fixture.h"

#include <ballast/lib/testhook.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BASE (1UL << 32)

static struct mm_struct *mm;

static int setup(void **state)
{
	struct test_vm_config cfg = { .wb = { .writeback_interval_ms = 60000 } };

	test_vm_setup(&cfg);
	mm = test_use_new_mm();
	return 0;
}

static int teardown(void **state)
{
	test_hook_clear("vm.migration_wait");
	exit_mm();
	test_vm_teardown();
	return 0;
}

/* The page mapped at @addr, with a reference of the caller's. */
static struct page *mapped_page(unsigned long addr)
{
	struct vm_pin pin;
	struct page *page;

	assert_int_equal(vm_access(current, addr, 1, 0, &pin), 0);
	page = pin.page;
	get_page(page);
	vm_access_put(&pin);
	return page;
}

/*
 * Setup: a clean file of 4 pages mapped shared read-write, page 0 read
 * (accessed), page 1 written (accessed, dirty). Action: page_referenced()
 * twice on each, then try_to_unmap() on page 1. Expected: 1 then 0
 * (the bit is cleared); unmapping drops the PTE and the map count, and
 * moves the dirty bit to the page (PG_dirty, nrdirty 1); the rss drops.
 */
static void test_page_referenced_clears_then_try_to_unmap_moves_dirty(void **state)
{
	struct address_space *m = test_clean_file("ref", 4, 1);
	struct page *p0, *p1;
	struct mm_counters c;
	bool exec = true;
	char b = 7;

	test_mmap(mm, BASE, 4 * PAGE_SIZE, VM_READ | VM_WRITE | VM_SHARED, m,
		  0);
	p0 = mapped_page(BASE);
	assert_int_equal(vm_write(current, BASE + PAGE_SIZE, &b, 1), 1);
	p1 = mapped_page(BASE + PAGE_SIZE);
	assert_int_equal(filemap_fsync(m), 0);	/* page clean, PTE dirty */
	assert_false(PageDirty(p1));

	lock_page(p0);
	assert_int_equal(page_referenced(p0, NULL, &exec), 1);
	assert_false(exec);
	assert_int_equal(page_referenced(p0, NULL, NULL), 0);
	unlock_page(p0);

	mm_get_counters(mm, &c);
	lock_page(p1);
	assert_true(try_to_unmap(p1));
	unlock_page(p1);
	assert_int_equal(page_mapcount(p1), 0);
	assert_int_equal(vm_pte_get(mm, BASE + PAGE_SIZE), 0);
	assert_true(PageDirty(p1));
	assert_int_equal(m->nrdirty, 1);
	{
		struct mm_counters c2;

		mm_get_counters(mm, &c2);
		assert_int_equal(c2.rss_file, c.rss_file - 1);
	}
	put_page(p0);
	put_page(p1);
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
	filemap_close(m);
}

/*
 * Setup: a clean file of 256 pages mapped read-only and read through the
 * MMU (every PTE accessed). Action: direct reclaim forced on allocations
 * until the file's pages start leaving the cache. Expected: the first
 * passes only clear accessed bits (mapped and referenced pages are kept);
 * later ones unmap and free clean mapped pages (rss_file drops, the cache
 * shrinks); reading everything again through the MMU faults the pages
 * back in byte-exact.
 */
static void test_reclaim_unmaps_and_frees_mapped_file_pages(void **state)
{
	unsigned long nr = 256;
	struct address_space *m = test_clean_file("reclaimed", nr, 2);
	struct alloc_fault_config force = { .reclaim_nth = 1 };
	char *buf = malloc(nr * PAGE_SIZE), *want = malloc(nr * PAGE_SIZE);
	struct mm_counters c;
	int rounds;

	test_mmap(mm, BASE, nr * PAGE_SIZE, VM_READ, m, 0);
	assert_int_equal(vm_read(current, BASE, buf, nr * PAGE_SIZE),
			 (ssize_t)(nr * PAGE_SIZE));
	mm_get_counters(mm, &c);
	assert_int_equal(c.rss_file, nr);
	for (rounds = 0; rounds < 200 && m->nrpages == nr; rounds++) {
		struct page *page;

		alloc_fault_set(&force);
		page = alloc_page(GFP_KERNEL);
		alloc_fault_set(NULL);
		assert_non_null(page);
		__free_page(page);
	}
	assert_true(m->nrpages < nr);
	mm_get_counters(mm, &c);
	assert_true(c.rss_file < nr);
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
	test_pattern(want, nr * PAGE_SIZE, 2, 0);
	assert_int_equal(vm_read(current, BASE, buf, nr * PAGE_SIZE),
			 (ssize_t)(nr * PAGE_SIZE));
	assert_memory_equal(buf, want, nr * PAGE_SIZE);
	free(buf);
	free(want);
	filemap_close(m);
}

struct reader {
	unsigned long addr;
	char byte;
	int ret;
	struct mm_struct *mm;
};

static struct completion waiting;

static void on_migration_wait(const char *name, void *arg, void *ctx)
{
	complete(&waiting);
}

static int reader_fn(void *arg)
{
	struct reader *r = arg;

	use_mm(r->mm);
	r->ret = (int)vm_read(current, r->addr, &r->byte, 1);
	exit_mm();
	return 0;
}

/*
 * Setup: one anonymous page holding 0x5a, the test acting as the
 * migrator: the page locked and referenced, a new page allocated and
 * locked. Action: try_to_migrate(); another task reads the address
 * (stopped at the migration entry: the hook says it waits); the test
 * copies the page, marks the copy (0xa5), remove_migration_ptes(old,
 * new), unlocks. Expected: the entry named the old page (mapcount 0, rss
 * unchanged); the reader waited and then read 0xa5 from the new page;
 * the new page is PG_swapbacked with the old one's identity, mapped
 * once; the old page is freed when the test drops it.
 */
static void test_migration_entry_fault_waits_then_sees_new_page(void **state)
{
	struct reader r = { .addr = BASE + 100, .mm = mm };
	struct page *old, *new;
	struct mm_counters c0, c1;
	struct task *t;
	uint64_t e;
	char v = 0x5a;

	init_completion(&waiting);
	test_mmap(mm, BASE, PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0);
	assert_int_equal(vm_write(current, BASE + 100, &v, 1), 1);
	old = mapped_page(BASE);
	mm_get_counters(mm, &c0);

	new = alloc_page(GFP_HIGHUSER_MOVABLE);
	assert_non_null(new);
	lock_page(old);			/* as migration: source, then */
	assert_true(trylock_page(new));	/* the new page, nobody's yet */
	assert_true(try_to_migrate(old));
	e = vm_pte_get(mm, BASE);
	assert_true(pte_is_migration(e));
	assert_int_equal(pte_pfn(e), page_to_pfn(old));
	assert_int_equal(page_mapcount(old), 0);
	mm_get_counters(mm, &c1);
	assert_int_equal(c1.rss_anon, c0.rss_anon);

	assert_int_equal(test_hook_set("vm.migration_wait", on_migration_wait,
				       NULL), 0);
	assert_int_equal(task_create(&t, "reader", reader_fn, &r, 0), 0);
	/* Timed: we hold page locks, the reader holds its mmap_lock. */
	assert_true(wait_for_completion_timeout(&waiting, 30000));
	memcpy(page_address(new), page_address(old), PAGE_SIZE);
	((char *)page_address(new))[100] = (char)0xa5;
	remove_migration_ptes(old, new);
	lru_cache_add(new);		/* the migrator puts it on the LRU */
	unlock_page(new);
	unlock_page(old);
	task_destroy(t);
	test_hook_clear("vm.migration_wait");

	assert_int_equal(r.ret, 1);
	assert_int_equal(r.byte, (char)0xa5);
	e = vm_pte_get(mm, BASE);
	assert_true(pte_present(e) && (e & PTE_WRITE));
	assert_int_equal(pte_pfn(e), page_to_pfn(new));
	assert_true(PageSwapBacked(new));
	assert_int_equal(page_mapcount(new), 1);
	assert_int_equal(new->index, BASE >> PAGE_SHIFT);
	put_page(new);			/* the allocation's; the PTE holds one */
	put_page(old);			/* ours: old is freed */
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
}

/*
 * Setup: a clean file page mapped by two address spaces (ours shared
 * read-write and written, another read-only private). Action: as the
 * migrator, try_to_migrate() it, then give up: remove_migration_ptes(old,
 * old). Expected: both PTEs were migration entries (the write one
 * remembering write permission and the dirty bit, which also went to the
 * page) and come back present with their permissions; map count 2.
 */
static void test_remove_migration_ptes_failure_restores_both_mms(void **state)
{
	struct address_space *m = test_clean_file("migfail", 1, 3);
	struct mm_struct *other;
	unsigned long oaddr;
	struct page *page;
	uint64_t e1, e2;
	char b = 1;

	assert_int_equal(mm_create(&other), 0);
	test_mmap(mm, BASE, PAGE_SIZE, VM_READ | VM_WRITE | VM_SHARED, m, 0);
	oaddr = test_mmap(other, 0, PAGE_SIZE, VM_READ, m, 0);
	assert_int_equal(vm_write(current, BASE, &b, 1), 1);
	page = mapped_page(BASE);
	/* Map it in the other address space too, through a second task. */
	{
		struct reader r = { .addr = oaddr, .mm = other };
		struct task *t;

		assert_int_equal(task_create(&t, "other", reader_fn, &r, 0), 0);
		task_destroy(t);
		assert_int_equal(r.ret, 1);
	}
	assert_int_equal(page_mapcount(page), 2);
	assert_int_equal(filemap_fsync(m), 0);

	lock_page(page);
	assert_true(try_to_migrate(page));
	e1 = vm_pte_get(mm, BASE);
	e2 = vm_pte_get(other, oaddr);
	assert_true(pte_is_migration(e1) && pte_is_migration(e2));
	assert_true(e1 & PTE_DIRTY);
	assert_true(PageDirty(page));
	remove_migration_ptes(page, page);
	unlock_page(page);
	e1 = vm_pte_get(mm, BASE);
	e2 = vm_pte_get(other, oaddr);
	assert_true(pte_present(e1) && (e1 & PTE_WRITE));
	assert_true(pte_present(e2) && !(e2 & PTE_WRITE));
	assert_int_equal(page_mapcount(page), 2);
	put_page(page);
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
	mmput(other);
	filemap_close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_page_referenced_clears_then_try_to_unmap_moves_dirty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_unmaps_and_frees_mapped_file_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_entry_fault_waits_then_sees_new_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_migration_ptes_failure_restores_both_mms, setup, teardown),
	};

	test_seed();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
