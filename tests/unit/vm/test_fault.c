// SPDX-License-Identifier: MIT
/*
 * test_fault.c - the fault handler through the software MMU: anonymous
 * faults, file read faults with fault-around, shared write faults (and
 * the file growing), copy-on-write, write faults on read-only PTEs, the
 * accessed/dirty bits, errors; munmap and exit freeing everything.
 * Contents are checked byte for byte through vm_read(), and after
 * writeback by reading the backing file with plain pread().
 *
 * 64 MiB of RAM, the page cache over a temporary directory, no memcg.
 * The test thread itself is the workload: it uses a fresh address space
 * (test_use_new_mm()) and leaves it with exit_mm().
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
	exit_mm();
	test_vm_teardown();
	return 0;
}

/* Read @len bytes of the backing file @name at @pos with pread(2). */
static void backing_read(const char *name, void *buf, size_t len, off_t pos)
{
	int fd = open(test_backing_path(name), O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, pos), (ssize_t)len);
	close(fd);
}

static off_t backing_size(const char *name)
{
	off_t size;
	int fd = open(test_backing_path(name), O_RDONLY);

	assert_true(fd >= 0);
	size = lseek(fd, 0, SEEK_END);
	close(fd);
	return size;
}

/*
 * Setup: an anonymous read-write mapping of 64 pages at BASE. Action:
 * write a pattern over all of it with vm_write(), read it back with
 * vm_read(). Expected: byte-exact; 64 anonymous faults, rss_anon 64;
 * every PTE present, writable, accessed and dirty; the pages are on the
 * anonymous LRU with PG_swapbacked.
 *
 *   BASE                                  BASE + 64 pages
 *   |<------------- anon rw ------------->|
 */
static void test_vm_access_anon_write_read_roundtrip_exact(void **state)
{
	size_t len = 64 * PAGE_SIZE;
	char *want = malloc(len), *got = malloc(len);
	struct mm_counters c;
	struct vm_stats st;
	struct vm_pin pin;

	test_mmap(mm, BASE, len, VM_READ | VM_WRITE, NULL, 0);
	test_pattern(want, len, 1, 0);
	assert_int_equal(vm_write(current, BASE + 100, want, len - 100),
			 (ssize_t)(len - 100));
	assert_int_equal(vm_read(current, BASE + 100, got, len - 100),
			 (ssize_t)(len - 100));
	assert_memory_equal(got, want, len - 100);
	mm_get_counters(mm, &c);
	assert_int_equal(c.rss_anon, 64);
	assert_int_equal(c.rss_file, 0);
	vm_get_stats(&st);
	assert_int_equal(st.anon_faults, 64);
	for (unsigned long a = BASE; a < BASE + len; a += PAGE_SIZE) {
		uint64_t e = vm_pte_get(mm, a);

		assert_true((e & (PTE_PRESENT | PTE_WRITE | PTE_ACCESSED |
				  PTE_DIRTY)) ==
			    (PTE_PRESENT | PTE_WRITE | PTE_ACCESSED | PTE_DIRTY));
	}
	assert_int_equal(vm_access(current, BASE, 1, 0, &pin), 0);
	assert_true(PageSwapBacked(pin.page) && PageLRU(pin.page));
	assert_int_equal(page_mapcount(pin.page), 1);
	vm_access_put(&pin);
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
	free(want);
	free(got);
}

/*
 * Setup: anonymous mapping. Action: read a page never written. Expected:
 * zeroes, a PTE present and accessed but not dirty.
 */
static void test_vm_access_anon_read_fault_zeroed_clean(void **state)
{
	char buf[PAGE_SIZE], zero[PAGE_SIZE] = { 0 };
	uint64_t e;

	test_mmap(mm, BASE, PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0);
	assert_int_equal(vm_read(current, BASE, buf, PAGE_SIZE), PAGE_SIZE);
	assert_memory_equal(buf, zero, PAGE_SIZE);
	e = vm_pte_get(mm, BASE);
	assert_true(e & PTE_ACCESSED);
	assert_false(e & PTE_DIRTY);
}

/*
 * Setup: a read-only anonymous mapping of one page at BASE. Action:
 * accesses outside any VMA, a write to the read-only one, a range that
 * crosses a page, a zero length. Expected: -EFAULT, -EFAULT, -EINVAL,
 * -EINVAL; no PTE made.
 */
static void test_vm_access_bad_access_fails_without_fault(void **state)
{
	struct vm_pin pin;

	test_mmap(mm, BASE, PAGE_SIZE, VM_READ, NULL, 0);
	assert_int_equal(vm_access(current, BASE + PAGE_SIZE, 1, 0, &pin),
			 -EFAULT);
	assert_int_equal(vm_access(current, BASE - 1, 1, 0, &pin), -EFAULT);
	assert_int_equal(vm_access(current, BASE, 1, VM_ACCESS_WRITE, &pin),
			 -EFAULT);
	assert_int_equal(vm_access(current, BASE + 4000, 200, 0, &pin),
			 -EINVAL);
	assert_int_equal(vm_access(current, BASE, 0, 0, &pin), -EINVAL);
	assert_int_equal(vm_pte_get(mm, BASE), 0);
}

struct holder {
	struct page *page;
	struct completion locked, release;
};

/*
 * Holds a page lock for the test (which must not hold one across faults).
 * The wait under the page lock is timed: a failure detector, and no
 * dependency of the page lock on the test's own locks.
 */
static int page_holder(void *arg)
{
	struct holder *h = arg;
	bool released;

	lock_page(h->page);
	complete(&h->locked);
	released = wait_for_completion_timeout(&h->release, 60000);
	unlock_page(h->page);
	return released ? 0 : -ETIMEDOUT;
}

/*
 * Setup: a clean cached file of 64 pages mapped read-only (private);
 * another task holds page 9 locked. Action: read page 5. Expected: fault-around
 * maps the cached neighbours of the 16-page window [0, 16) read-only
 * except page 9 (trylock only: it is skipped, not waited for), all with
 * the right bytes; rss_file 15; page 9 is mapped by a later read once
 * unlocked.
 *
 *   window: [0 ........ 5 ... 9 ...... 15] 16 ... 63
 *            mapped     ^     skipped        not mapped
 */
static void test_fault_around_maps_cached_neighbours_trylock_only(void **state)
{
	struct address_space *m = test_clean_file("around", 64, 2);
	char buf[PAGE_SIZE], want[PAGE_SIZE];
	struct holder h = { .page = find_get_page(m, 9) };
	struct mm_counters c;
	struct vm_stats st;
	struct task *t;

	test_mmap(mm, BASE, 64 * PAGE_SIZE, VM_READ, m, 0);
	init_completion(&h.locked);
	init_completion(&h.release);
	assert_int_equal(task_create(&t, "holder", page_holder, &h, 0), 0);
	wait_for_completion(&h.locked);
	assert_int_equal(vm_read(current, BASE + 5 * PAGE_SIZE, buf,
				 PAGE_SIZE), PAGE_SIZE);
	test_pattern(want, PAGE_SIZE, 2, 5 * PAGE_SIZE);
	assert_memory_equal(buf, want, PAGE_SIZE);
	mm_get_counters(mm, &c);
	assert_int_equal(c.rss_file, 15);
	vm_get_stats(&st);
	assert_int_equal(st.fault_around, 14);
	assert_int_equal(st.file_faults, 1);
	for (int i = 0; i < 16; i++) {
		uint64_t e = vm_pte_get(mm, BASE + (unsigned long)i * PAGE_SIZE);

		assert_int_equal(!!(e & PTE_PRESENT), i != 9);
		assert_false(e & PTE_WRITE);
	}
	assert_int_equal(vm_pte_get(mm, BASE + 16 * PAGE_SIZE), 0);
	complete(&h.release);
	assert_int_equal(task_destroy(t), 0);
	put_page(h.page);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(vm_read(current, BASE + (unsigned long)i * PAGE_SIZE,
					 buf, PAGE_SIZE), PAGE_SIZE);
		test_pattern(want, PAGE_SIZE, 2, (uint64_t)i * PAGE_SIZE);
		assert_memory_equal(buf, want, PAGE_SIZE);
	}
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
	filemap_close(m);
}

/*
 * Setup: a clean file of 8 pages mapped shared read-write. Action: write
 * a new pattern over pages 2-5 through the MMU; fsync. Expected: the
 * pages were dirtied at the write fault (the shared write fault counts
 * 4); after fsync the backing file, read with pread(), has the new bytes
 * in pages 2-5 and the old ones elsewhere; the PTEs stay writable.
 */
static void test_shared_write_fault_reaches_backing_file(void **state)
{
	struct address_space *m = test_clean_file("shared", 8, 3);
	size_t len = 4 * PAGE_SIZE;
	char *buf = malloc(8 * PAGE_SIZE), *want = malloc(8 * PAGE_SIZE);
	struct vm_stats st;

	test_mmap(mm, BASE, 8 * PAGE_SIZE, VM_READ | VM_WRITE | VM_SHARED, m,
		  0);
	test_pattern(want, 8 * PAGE_SIZE, 3, 0);
	test_pattern(want + 2 * PAGE_SIZE, len, 33, 0);
	assert_int_equal(vm_write(current, BASE + 2 * PAGE_SIZE,
				  want + 2 * PAGE_SIZE, len), (ssize_t)len);
	assert_int_equal(m->nrdirty, 4);
	vm_get_stats(&st);
	assert_int_equal(st.shared_write_faults, 4);
	assert_int_equal(filemap_fsync(m), 0);
	backing_read("shared", buf, 8 * PAGE_SIZE, 0);
	assert_memory_equal(buf, want, 8 * PAGE_SIZE);
	/* Later writes to the mapped (clean) pages are still caught. */
	test_pattern(want + 3 * PAGE_SIZE, 10, 44, 0);
	assert_int_equal(vm_write(current, BASE + 3 * PAGE_SIZE,
				  want + 3 * PAGE_SIZE, 10), 10);
	assert_int_equal(m->nrdirty, 1);
	assert_int_equal(filemap_fsync(m), 0);
	backing_read("shared", buf, 8 * PAGE_SIZE, 0);
	assert_memory_equal(buf, want, 8 * PAGE_SIZE);
	free(buf);
	free(want);
	filemap_close(m);
}

/*
 * Setup: an empty file mapped shared read-write over 4 pages. Action:
 * write 100 bytes at offset 5000, then 10 bytes at offset 300. Expected:
 * the file grows to 5100 bytes exactly (the second write lies inside);
 * after fsync the backing file has that size, zeroes where nothing was
 * written and the bytes where they were.
 */
static void test_shared_write_past_eof_extends_i_size(void **state)
{
	struct address_space *m;
	char data[100], buf[5100], want[5100] = { 0 };

	assert_int_equal(filemap_open("grow", &m), 0);
	test_mmap(mm, BASE, 4 * PAGE_SIZE, VM_READ | VM_WRITE | VM_SHARED, m,
		  0);
	test_pattern(data, sizeof(data), 5, 0);
	assert_int_equal(vm_write(current, BASE + 5000, data, 100), 100);
	assert_int_equal(i_size_read(m), 5100);
	assert_int_equal(vm_write(current, BASE + 300, data, 10), 10);
	assert_int_equal(i_size_read(m), 5100);
	assert_int_equal(filemap_fsync(m), 0);
	assert_int_equal(backing_size("grow"), 5100);
	memcpy(want + 5000, data, 100);
	memcpy(want + 300, data, 10);
	backing_read("grow", buf, sizeof(buf), 0);
	assert_memory_equal(buf, want, sizeof(buf));
	filemap_close(m);
}

/*
 * Setup: a clean file of 4 pages mapped private read-write; page 1 read
 * first (a read-only PTE of the cache page). Action: write pages 1 and 2
 * through the MMU. Expected: both become private anonymous copies (one
 * write fault on a read-only PTE, one copy-on-write fault); the MMU shows
 * the new bytes, the page cache and the backing file keep the old ones;
 * rss moves from file to anon.
 */
static void test_private_write_copies_file_unchanged(void **state)
{
	struct address_space *m = test_clean_file("private", 4, 6);
	char buf[PAGE_SIZE], old[PAGE_SIZE], new[PAGE_SIZE];
	struct mm_counters c;
	struct vm_stats st;

	test_mmap(mm, BASE, 4 * PAGE_SIZE, VM_READ | VM_WRITE, m, 0);
	assert_int_equal(vm_read(current, BASE + PAGE_SIZE, buf, 1), 1);
	mm_get_counters(mm, &c);
	assert_int_equal(c.rss_file, 4);	/* fault-around: all 4 */
	test_pattern(new, PAGE_SIZE, 66, 0);
	for (int i = 1; i <= 2; i++)
		assert_int_equal(vm_write(current, BASE + (unsigned long)i *
					  PAGE_SIZE, new, PAGE_SIZE), PAGE_SIZE);
	vm_get_stats(&st);
	assert_int_equal(st.wp_faults, 2);	/* both were mapped read-only */
	mm_get_counters(mm, &c);
	assert_int_equal(c.rss_anon, 2);
	assert_int_equal(c.rss_file, 2);
	for (int i = 0; i < 4; i++) {
		test_pattern(old, PAGE_SIZE, 6, (uint64_t)i * PAGE_SIZE);
		assert_int_equal(vm_read(current, BASE + (unsigned long)i *
					 PAGE_SIZE, buf, PAGE_SIZE), PAGE_SIZE);
		assert_memory_equal(buf, (i == 1 || i == 2) ? new : old,
				    PAGE_SIZE);
		assert_int_equal(filemap_read(m, (loff_t)i * PAGE_SIZE, buf,
					      PAGE_SIZE), PAGE_SIZE);
		assert_memory_equal(buf, old, PAGE_SIZE);
	}
	assert_int_equal(m->nrdirty, 0);
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
	filemap_close(m);
}

/*
 * Setup: a clean file of 2 pages mapped private read-write, nothing
 * mapped yet. Action: write page 0 first. Expected: a copy-on-write fault
 * (no read-only PTE in between) giving an anonymous page; the file is
 * untouched.
 */
static void test_private_write_unmapped_cow_fault(void **state)
{
	struct address_space *m = test_clean_file("cow", 2, 7);
	char new[16], buf[16];
	struct vm_stats st;

	test_mmap(mm, BASE, 2 * PAGE_SIZE, VM_READ | VM_WRITE, m, 0);
	test_pattern(new, sizeof(new), 77, 0);
	assert_int_equal(vm_write(current, BASE + 8, new, sizeof(new)), 16);
	vm_get_stats(&st);
	assert_int_equal(st.cow_faults, 1);
	assert_int_equal(vm_read(current, BASE + 8, buf, sizeof(buf)), 16);
	assert_memory_equal(buf, new, sizeof(new));
	assert_int_equal(filemap_read(m, 8, buf, sizeof(buf)), 16);
	test_pattern(new, sizeof(new), 7, 8);
	assert_memory_equal(buf, new, sizeof(new));
	filemap_close(m);
}

/*
 * Setup: a 6 MiB anonymous mapping at a 2 MiB boundary, fully written.
 * Action: munmap the middle 2 MiB. Expected: two VMAs remain; their bytes
 * are intact; the middle is gone (-EFAULT); rss drops by 512; the middle
 * PTE table is freed (nr_pgtables - 1); a second munmap of the rest frees
 * every table but the top one.
 *
 *   BASE      +2M       +4M       +6M
 *   |  keep   | unmapped |  keep   |
 */
static void test_vm_munmap_middle_splits_frees_table(void **state)
{
	size_t len = 6UL << 20;
	struct mm_counters before, after;
	char b;

	test_mmap(mm, BASE, len, VM_READ | VM_WRITE, NULL, 0);
	for (unsigned long a = BASE; a < BASE + len; a += PAGE_SIZE) {
		char v = (char)(a >> PAGE_SHIFT);

		assert_int_equal(vm_write(current, a, &v, 1), 1);
	}
	mm_get_counters(mm, &before);
	assert_int_equal(before.rss_anon, len / PAGE_SIZE);
	assert_int_equal(vm_munmap(mm, BASE + (2UL << 20), 2UL << 20), 0);
	mm_get_counters(mm, &after);
	assert_int_equal(after.map_count, 2);
	assert_int_equal(after.rss_anon, before.rss_anon - 512);
	assert_int_equal(after.pgtables, before.pgtables - 1);
	assert_int_equal(vm_read(current, BASE + (3UL << 20), &b, 1), -EFAULT);
	for (unsigned long a = BASE; a < BASE + len; a += 64 * PAGE_SIZE) {
		if (a >= BASE + (2UL << 20) && a < BASE + (4UL << 20))
			continue;
		assert_int_equal(vm_read(current, a, &b, 1), 1);
		assert_int_equal(b, (char)(a >> PAGE_SHIFT));
	}
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
	assert_int_equal(vm_munmap(mm, BASE, len), 0);
	mm_get_counters(mm, &after);
	assert_int_equal(after.rss_anon, 0);
	assert_int_equal(after.pgtables, 1);
	assert_int_equal(after.map_count, 0);
}

/*
 * Setup: a shared file mapping of 2 pages written through the MMU (dirty
 * PTEs); a write pin taken, the pages cleaned by fsync while pinned, new
 * bytes written through the pin, and the pin dropped without its own
 * re-dirtying (as a write the page cache never heard of). Action:
 * exit_mm() (the last user). Expected: teardown moves the PTEs' dirty
 * bits to the pages under their locks (2 dirty pages), so fsync writes
 * the last bytes to the backing file; every page and table is freed (the
 * fixture's checks at teardown).
 */
static void test_mmput_last_user_frees_and_keeps_dirty_data(void **state)
{
	struct address_space *m = test_clean_file("exit", 2, 8);
	char want[2 * PAGE_SIZE], buf[2 * PAGE_SIZE];
	struct vm_pin pin;

	test_mmap(mm, BASE, 2 * PAGE_SIZE, VM_READ | VM_WRITE | VM_SHARED, m,
		  0);
	test_mmap(mm, 0, 16 * PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0);
	test_pattern(want, sizeof(want), 88, 0);
	assert_int_equal(vm_write(current, BASE, want, sizeof(want)),
			 (ssize_t)sizeof(want));
	assert_int_equal(vm_access(current, BASE + 10, 4, VM_ACCESS_WRITE,
				   &pin), 0);
	assert_int_equal(filemap_fsync(m), 0);
	assert_int_equal(m->nrdirty, 0);
	memcpy(pin.addr, "ABCD", 4);
	memcpy(want + 10, "ABCD", 4);
	pin.dirty_file = false;		/* the page cache does not hear of it */
	vm_access_put(&pin);
	assert_int_equal(m->nrdirty, 0);
	exit_mm();
	assert_int_equal(m->nrdirty, 2);
	assert_int_equal(filemap_fsync(m), 0);
	backing_read("exit", buf, sizeof(buf), 0);
	assert_memory_equal(buf, want, sizeof(buf));
	mm = test_use_new_mm();		/* for the teardown's exit_mm() */
	filemap_close(m);
}

struct killed_ctx {
	struct completion go;
	int result;
};

static int killed_worker(void *arg)
{
	struct killed_ctx *k = arg;
	struct mm_struct *wmm = test_use_new_mm();
	char b = 1;

	assert_int_equal(vm_mmap(wmm, BASE, PAGE_SIZE, VM_READ | VM_WRITE,
				 NULL, 0, &(unsigned long){ 0 }), 0);
	wait_for_completion(&k->go);
	k->result = (int)vm_write(current, BASE, &b, 1);
	return 0;		/* the exit hook frees the address space */
}

/*
 * Setup: a workload task with its own address space, waiting. Action:
 * task_kill() it, then let it access its memory. Expected: vm_write()
 * returns -EINTR; when it returns, its exit hook frees its address space
 * (the fixture's teardown finds no address space but ours).
 */
static void test_vm_access_killed_task_gets_eintr(void **state)
{
	struct killed_ctx k = { .result = 0 };
	struct task *t;

	init_completion(&k.go);
	assert_int_equal(task_create(&t, "killed", killed_worker, &k, 0), 0);
	task_kill(t, false);
	complete(&k.go);
	task_destroy(t);
	assert_int_equal(k.result, -EINTR);
}

/*
 * Setup: a clean file of 8 pages. Action: for n = 1..40, fail every n-th
 * allocation while creating an address space, mapping anonymous and
 * shared file memory, writing 8 pages of each through the MMU (in our
 * own address space, at a fresh 1 GiB region each round: new tables)
 * and unmapping. Expected: every step either succeeds or fails with
 * -ENOMEM, nothing else; nothing leaks and nothing is left half-made
 * (vm_check() and the fixture's census).
 */
static void test_vm_paths_failing_allocation_unwind(void **state)
{
	struct address_space *m = test_clean_file("inject", 8, 9);
	char buf[8 * PAGE_SIZE];
	unsigned long failures = 0;

	test_pattern(buf, sizeof(buf), 10, 0);
	for (unsigned long n = 1; n <= 40; n++) {
		struct alloc_fault_config cfg = { .fail_nth = n };
		unsigned long base = BASE + (n << 30), got;
		struct mm_struct *other = NULL;
		ssize_t w;
		int ret;

		alloc_fault_set(&cfg);
		ret = mm_create(&other);
		assert_true(ret == 0 || ret == -ENOMEM);
		failures += ret != 0;
		ret = vm_mmap(mm, base, sizeof(buf), VM_READ | VM_WRITE, NULL,
			      0, &got);
		assert_true(ret == 0 || ret == -ENOMEM);
		failures += ret != 0;
		if (!ret) {
			w = vm_write(current, base, buf, sizeof(buf));
			assert_true(w == (ssize_t)sizeof(buf) || w == -ENOMEM ||
				    (w > 0 && w % PAGE_SIZE == 0));
			failures += w != (ssize_t)sizeof(buf);
		}
		ret = vm_mmap(mm, base + (16UL << 20), sizeof(buf),
			      VM_READ | VM_WRITE | VM_SHARED, m, 0, &got);
		assert_true(ret == 0 || ret == -ENOMEM);
		failures += ret != 0;
		if (!ret) {
			w = vm_write(current, base + (16UL << 20), buf,
				     sizeof(buf));
			assert_true(w == (ssize_t)sizeof(buf) || w == -ENOMEM ||
				    (w > 0 && w % PAGE_SIZE == 0));
			failures += w != (ssize_t)sizeof(buf);
		}
		alloc_fault_set(NULL);
		assert_int_equal(vm_munmap(mm, base, 32UL << 20), 0);
		if (other)
			mmput(other);
		assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
	}
	assert_true(failures > 10);
	filemap_close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vm_access_anon_write_read_roundtrip_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_access_anon_read_fault_zeroed_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_access_bad_access_fails_without_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_around_maps_cached_neighbours_trylock_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_write_fault_reaches_backing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_write_past_eof_extends_i_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_write_copies_file_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_write_unmapped_cow_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_munmap_middle_splits_frees_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmput_last_user_frees_and_keeps_dirty_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_access_killed_task_gets_eintr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_paths_failing_allocation_unwind, setup, teardown),
	};

	test_seed();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
