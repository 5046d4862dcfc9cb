// SPDX-License-Identifier: MIT
/*
 * test_bug4_vmalloc_noio.c - bug 4 of ARCHITECTURE.md: dm-bufio called
 * __vmalloc(GFP_NOIO) while holding its client lock, but vmalloc
 * allocates its page tables with GFP_KERNEL, so reclaim entered from
 * that allocation may start and wait for I/O, and the I/O path needs the
 * client lock. The fix is a scope: memalloc_noio_save() in the caller,
 * which every nested allocation sees.
 *
 * The I/O path here is ballast's real writeback: a hook on the
 * submission (inside io_path_enter()) takes bufio_lock, as a block
 * driver's submission would take its queue lock. Each test first writes
 * a file back through it (so the validator has seen "reclaim_io ->
 * bufio_lock"), then calls __vmalloc() with bufio_lock held, in a fresh
 * vmalloc region so page tables must be allocated.
 *
 * Expected: the buggy call is reported twice: as an allocation laxer than
 * its caller's mask (naming both allocation sites: the page table in
 * pgtable_alloc, inside vmalloc), and as the cycle bufio_lock ->
 * reclaim_io -> bufio_lock. The same call inside memalloc_noio_save() is
 * clean.
 */
#include "../support/lockdep_test.h"
#include "../support/vm_fixture.h"

#include <ballast/lib/testhook.h>

#include <stdlib.h>
#include <string.h>

static DEFINE_MUTEX(bufio_lock);
static unsigned long submissions;

/* On the I/O path, holding reclaim_io: the driver's lock. */
static void submit_takes_bufio_lock(const char *name, void *arg, void *ctx)
{
	mutex_lock(&bufio_lock);
	submissions++;
	mutex_unlock(&bufio_lock);
}

static int setup(void **state)
{
	test_vm_setup(NULL);
	assert_int_equal(test_hook_set("writeback.submit",
				       submit_takes_bufio_lock, NULL), 0);
	return lockdep_test_setup(state);
}

static int teardown(void **state)
{
	int ret = lockdep_test_teardown(state);

	test_hook_clear("writeback.submit");
	test_vm_teardown();
	return ret;
}

/* Dirty a file and write it back through the hooked I/O path. */
static void write_back_through_io_path(void)
{
	struct address_space *m;
	char *buf = malloc(16 * PAGE_SIZE);

	test_pattern(buf, 16 * PAGE_SIZE, 4, 0);
	assert_int_equal(filemap_open("bufio", &m), 0);
	assert_int_equal(filemap_write(m, 0, buf, 16 * PAGE_SIZE),
			 16 * PAGE_SIZE);
	assert_int_equal(filemap_fsync(m), 0);
	filemap_close(m);
	free(buf);
	assert_true(submissions > 0);
}

/*
 * Setup: the I/O path has taken bufio_lock. Action: __vmalloc(1 MiB,
 * GFP_NOIO) with bufio_lock held, no scope. Expected: the area works,
 * and the validator reports the nested page-table allocation (GFP_KERNEL
 * inside vmalloc's GFP_NOIO) and the cycle through the I/O path.
 */
static void test_vmalloc_noio_mask_under_io_lock_reported(void **state)
{
	char *p;

	write_back_through_io_path();
	mutex_lock(&bufio_lock);
	p = __vmalloc(1UL << 20, GFP_NOIO);	/* the bug: a mask, no scope */
	mutex_unlock(&bufio_lock);
	assert_non_null(p);
	memset(p, 0x42, 1UL << 20);
	vfree(p);
	assert_lockdep_claim(LOCKDEP_REPORT_ALLOC_SCOPE,
			     "allocation in pgtable_alloc inside vmalloc", 1);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "bufio_lock -> reclaim_io -> bufio_lock", 1);
}

/*
 * Setup: as above. Action: the same call inside memalloc_noio_save().
 * Expected: no report at all: the page tables' GFP_KERNEL becomes
 * GFP_NOIO in the scope, and NOIO reclaim never waits for I/O.
 */
static void test_vmalloc_in_noio_scope_under_io_lock_clean(void **state)
{
	unsigned int noio;
	char *p;

	write_back_through_io_path();
	mutex_lock(&bufio_lock);
	/* bufio_lock is taken on the I/O path: no I/O from reclaim here. */
	noio = memalloc_noio_save();
	p = __vmalloc(1UL << 20, GFP_NOIO);
	memalloc_noio_restore(noio);
	mutex_unlock(&bufio_lock);
	assert_non_null(p);
	memset(p, 0x42, 1UL << 20);
	vfree(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vmalloc_noio_mask_under_io_lock_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmalloc_in_noio_scope_under_io_lock_clean, setup, teardown),
	};

	test_seed();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
