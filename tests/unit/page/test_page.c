// SPDX-License-Identifier: MIT
/* test_page.c - guest RAM, descriptors, types, refcounts and page-bit waits. */
#include "../../support/test_support.h"

#include <ballast/page.h>
#include <ballast/task.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RAM (16UL << 20)

static int ram_setup(void **state)
{
	assert_int_equal(page_ram_init(RAM), 0);
	return 0;
}

static int ram_teardown(void **state)
{
	page_ram_destroy();
	return 0;
}

/*
 * Sizes: 16M..64G in 4M steps are accepted; anything else is refused with
 * a reason and -EINVAL.
 */
static void test_page_ram_size_check_bounds_and_alignment(void **state)
{
	char err[128];

	assert_int_equal(page_ram_size_check(16UL << 20, err, sizeof(err)), 0);
	assert_int_equal(page_ram_size_check(64UL << 30, err, sizeof(err)), 0);
	assert_int_equal(page_ram_size_check(20UL << 20, err, sizeof(err)), 0);
	assert_int_equal(page_ram_size_check(12UL << 20, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "between"));
	assert_int_equal(page_ram_size_check((64UL << 30) + (4UL << 20), err,
					     sizeof(err)), -EINVAL);
	assert_int_equal(page_ram_size_check((16UL << 20) + 4096, err,
					     sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "multiple of 4M"));
	assert_int_equal(page_ram_init(17UL << 20), -EINVAL);
}

/*
 * Page frame N is bytes [N*4096, (N+1)*4096) of the memfd: a write through
 * page_address() is read back with pread() at the frame's offset.
 */
static void test_page_address_maps_frame_to_memfd_offset(void **state)
{
	unsigned long pfn = 1234;
	struct page *page = pfn_to_page(pfn);
	char buf[16] = { 0 };

	assert_int_equal(max_pfn, RAM >> PAGE_SHIFT);
	memcpy((char *)page_address(page) + 100, "ballast", 8);
	assert_int_equal(pread(page_ram_fd(), buf, 8,
			       (off_t)(pfn * PAGE_SIZE + 100)), 8);
	assert_string_equal(buf, "ballast");
	assert_int_equal(page_to_pfn(page), pfn);
	assert_ptr_equal(virt_to_page((char *)page_address(page) + 4095), page);
	assert_int_equal(page_to_phys(page), pfn * PAGE_SIZE);
	assert_true(virt_addr_valid(page_address(page)));
	assert_false(virt_addr_valid(ram_base + RAM));
	assert_false(virt_addr_valid(&pfn));
	assert_true(pfn_valid(max_pfn - 1));
	assert_false(pfn_valid(max_pfn));
}

static void convert_bad_pfn(void)
{
	(void)pfn_to_page(max_pfn);
}

static void convert_bad_addr(void)
{
	static char outside;

	(void)virt_to_page(&outside);
}

/* Run @fn in a child with stderr silenced; return its wait status. */
static int run_in_child(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDERR_FILENO);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/*
 * Setup: guest RAM. Action: in a child, convert a pfn past max_pfn, then
 * (another child) an address outside guest RAM. Expected: debug builds
 * report each with ballast_fatal(), which aborts the child (rule 6).
 */
static void test_pfn_to_page_outside_ram_is_fatal(void **state)
{
	int status = run_in_child(convert_bad_pfn);

	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	status = run_in_child(convert_bad_addr);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* Every page starts reserved with one reference and no type. */
static void test_page_ram_init_pages_start_reserved(void **state)
{
	for (unsigned long pfn = 0; pfn < max_pfn; pfn += 997) {
		struct page *page = pfn_to_page(pfn);

		assert_true(PageReserved(page));
		assert_int_equal(page_ref_count(page), 1);
		assert_int_equal(page_get_type(page), PGTY_NONE);
	}
}

/*
 * Types move NONE -> T -> NONE. Setting a type on a typed page, or clearing
 * the wrong type, is misuse: reported and refused.
 */
static void test_page_set_type_on_typed_page_is_refused(void **state)
{
	struct page *page = pfn_to_page(7);
	unsigned long misuse = log_misuse_count();

	assert_true(page_set_type(page, PGTY_TABLE));
	assert_true(PageTable(page));
	assert_false(PageSlab(page) || PageBuddy(page) || PageOffline(page));
	assert_false(page_set_type(page, PGTY_OFFLINE));
	assert_true(PageTable(page));
	assert_false(page_clear_type(page, PGTY_SLAB));
	assert_int_equal(log_misuse_count(), misuse + 2);
	assert_true(page_clear_type(page, PGTY_TABLE));
	assert_int_equal(page_get_type(page), PGTY_NONE);
}

/*
 * Reference counts: get/put pairs; a put below zero is reported and the
 * count restored; get_page_unless_zero fails on a free page.
 */
static void test_put_page_testzero_underflow_is_reported(void **state)
{
	struct page *page = pfn_to_page(9);
	unsigned long misuse = log_misuse_count();

	assert_int_equal(page_ref_count(page), 1);
	get_page(page);
	assert_int_equal(page_ref_count(page), 2);
	assert_false(put_page_testzero(page));
	assert_true(put_page_testzero(page));
	assert_int_equal(page_ref_count(page), 0);
	assert_false(get_page_unless_zero(page));
	assert_false(put_page_testzero(page));
	assert_int_equal(page_ref_count(page), 0);
	assert_int_equal(log_misuse_count(), misuse + 1);
	set_page_count(page, 1);
	assert_true(page_ref_freeze(page, 1));
	assert_false(get_page_unless_zero(page));
	page_ref_unfreeze(page, 1);
	assert_true(get_page_unless_zero(page));
	assert_false(page_ref_freeze(page, 1));
	set_page_count(page, 1);
}

struct locker {
	struct page *page;
	_Atomic(int) state;	/* 1: about to wait, 2: done waiting */
	bool wait_writeback;	/* wait_on_page_writeback() */
	bool wait_locked;	/* wait_on_page_locked(); else lock_page() */
};

static int locker_fn(void *arg)
{
	struct locker *l = arg;

	atomic_store(&l->state, 1);
	if (l->wait_writeback) {
		wait_on_page_writeback(l->page);
	} else if (l->wait_locked) {
		wait_on_page_locked(l->page);
	} else {
		lock_page(l->page);
	}
	atomic_store(&l->state, 2);
	if (!l->wait_writeback && !l->wait_locked)
		unlock_page(l->page);
	return 0;
}

/* Yield until PG_waiters shows someone sleeping on @page (5 s detector). */
static void wait_for_sleeper(struct page *page)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!test_page_bit(page, PG_waiters)) {
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &now);
		assert_true(now.tv_sec - start.tv_sec < 5);
	}
}

/*
 * A task locking a locked page sleeps (PG_waiters set, lock not taken)
 * until the holder unlocks, then gets the lock.
 */
static void test_lock_page_contended_sleeps_until_unlock(void **state)
{
	struct locker l = { .page = pfn_to_page(42) };
	struct task *t;

	lock_page(l.page);
	assert_false(trylock_page(l.page));
	assert_int_equal(task_create(&t, "locker", locker_fn, &l, 0), 0);
	wait_for_sleeper(l.page);
	assert_int_equal(atomic_load(&l.state), 1);
	unlock_page(l.page);
	assert_int_equal(task_destroy(t), 0);
	assert_int_equal(atomic_load(&l.state), 2);
	assert_false(PageLocked(l.page));
	assert_true(trylock_page(l.page));
	unlock_page(l.page);
}

/*
 * Setup: a locked page. Action: another task calls wait_on_page_locked().
 * Expected: it sleeps (PG_waiters set) until unlock_page(), then returns
 * without taking the lock; on an unlocked page it returns at once.
 */
static void test_wait_on_page_locked_sleeps_until_unlock(void **state)
{
	struct locker l = { .page = pfn_to_page(46), .wait_locked = true };
	struct task *t;

	wait_on_page_locked(l.page);	/* unlocked: no wait */
	lock_page(l.page);
	assert_int_equal(task_create(&t, "lockwait", locker_fn, &l, 0), 0);
	wait_for_sleeper(l.page);
	assert_int_equal(atomic_load(&l.state), 1);
	unlock_page(l.page);
	assert_int_equal(task_destroy(t), 0);
	assert_int_equal(atomic_load(&l.state), 2);
	assert_false(PageLocked(l.page));
}

/* wait_on_page_writeback() sleeps until end_page_writeback(). */
static void test_wait_on_page_writeback_sleeps_until_end(void **state)
{
	struct locker l = { .page = pfn_to_page(43), .wait_writeback = true };
	struct task *t;

	lock_page(l.page);
	assert_false(set_page_writeback(l.page));
	assert_true(set_page_writeback(l.page));
	unlock_page(l.page);
	page_writeback_submitted(1);
	assert_int_equal(task_create(&t, "wbwait", locker_fn, &l, 0), 0);
	wait_for_sleeper(l.page);
	assert_int_equal(atomic_load(&l.state), 1);
	end_page_writeback(l.page);
	assert_int_equal(task_destroy(t), 0);
	assert_int_equal(atomic_load(&l.state), 2);
	assert_false(PageWriteback(l.page));
}

/* Flag helpers: test-and-set/clear return the old value. */
static void test_page_flags_test_and_set_returns_old(void **state)
{
	struct page *page = pfn_to_page(45);

	assert_false(TestSetPageDirty(page));
	assert_true(TestSetPageDirty(page));
	assert_true(PageDirty(page));
	assert_true(TestClearPageDirty(page));
	assert_false(PageDirty(page));
	SetPageHead(page);
	SetPageTail(page + 1);
	page[1].compound_head = (unsigned long)page + 1;
	assert_ptr_equal(compound_head(page + 1), page);
	assert_ptr_equal(compound_head(page), page);
	ClearPageTail(page + 1);
	ClearPageHead(page);
	assert_ptr_equal(compound_head(page + 1), page + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_ram_size_check_bounds_and_alignment),
		cmocka_unit_test_setup_teardown(test_page_address_maps_frame_to_memfd_offset, ram_setup, ram_teardown),
		cmocka_unit_test_setup_teardown(test_pfn_to_page_outside_ram_is_fatal, ram_setup, ram_teardown),
		cmocka_unit_test_setup_teardown(test_page_ram_init_pages_start_reserved, ram_setup, ram_teardown),
		cmocka_unit_test_setup_teardown(test_page_set_type_on_typed_page_is_refused, ram_setup, ram_teardown),
		cmocka_unit_test_setup_teardown(test_put_page_testzero_underflow_is_reported, ram_setup, ram_teardown),
		cmocka_unit_test_setup_teardown(test_lock_page_contended_sleeps_until_unlock, ram_setup, ram_teardown),
		cmocka_unit_test_setup_teardown(test_wait_on_page_locked_sleeps_until_unlock, ram_setup, ram_teardown),
		cmocka_unit_test_setup_teardown(test_wait_on_page_writeback_sleeps_until_end, ram_setup, ram_teardown),
		cmocka_unit_test_setup_teardown(test_page_flags_test_and_set_returns_old, ram_setup, ram_teardown),
	};

	return cmocka_run_group_tests_name("page", tests, NULL, NULL);
}
