// SPDX-License-Identifier: MIT
/*
 * test_bug5_fault_pagelock_writeback.c - bug 5 of ARCHITECTURE.md: a page
 * fault locked a file page and then allocated a page table; the
 * allocation was charged to a legacy (cgroup v1) memcg at its limit,
 * whose reclaim waited on a page under writeback; the flusher that owed
 * that writeback was waiting for the faulting task's page lock. The fix
 * pre-allocates the page table before the page is locked.
 *
 * The pieces are ballast's real ones: a legacy group at its limit, the
 * flusher writing a run of dirty pages as one batch (owing the first
 * page's writeback while it locks the next), the fault path of vm (with
 * the test-build switch vm_fault_set_late_pgtable() for the buggy order),
 * and reclaim's legacy wait on writeback.
 *
 *  - The real fault path, under the workload, is clean and makes
 *    progress, even in the interleaving that deadlocks the buggy one.
 *  - The buggy variant is reported by the validator as the cycle
 *    PG_locked -> reclaim_fs -> PG_writeback -> PG_locked.
 *  - Forced into that interleaving (test hooks hold the flusher and the
 *    fault at the right moments), the buggy variant really hangs: the
 *    hung-task watchdog names the faulting task (blocked on PG_writeback)
 *    and the flusher (blocked on PG_locked). The test then breaks the
 *    hang (raises the limit and stands in for the I/O completion) so
 *    everything finishes, and checks the file's bytes with pread().
 *
 * 64 MiB of RAM, the page cache with its flusher (woken explicitly),
 * memcg, vm; no OOM killer (its idle reaper would look hung too).
 */
#include "../support/lockdep_test.h"
#include "../support/vm_fixture.h"

#include <ballast/lib/testhook.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FAULT_BASE (1UL << 40)	/* 2 MiB aligned: fresh page tables */
#define WAIT_MS 30000		/* failure detector */

static struct mem_cgroup *legacy;

static int setup(void **state)
{
	struct test_vm_config cfg = {
		.memcg = true,
		.wb = { .writeback_interval_ms = 60000 },
	};

	test_vm_setup(&cfg);
	assert_int_equal(memcg_create(root_mem_cgroup, "bug5", MEMCG_MODE_LEGACY,
				      &legacy), 0);
	return lockdep_test_setup(state);
}

static int teardown(void **state)
{
	int ret = lockdep_test_teardown(state);

	lockdep_hung_task_stop();
	lockdep_set_report_hook(NULL, NULL);

	vm_fault_set_late_pgtable(false);
	reclaim_set_writeback_wait_hook(NULL);
	test_hook_clear("writeback.lock_page");
	test_hook_clear("vm.fault_page_locked");
	test_hook_clear("vm.fault_pgtable_late");
	assert_int_equal(memcg_attach(NULL), 0);
	assert_int_equal(memcg_destroy(legacy), 0);
	test_vm_teardown();
	return ret;
}

/* @nr pages of pattern @seed in file @name, dirty (or written back). */
static struct address_space *make_file(const char *name, unsigned long nr,
				       uint64_t seed, bool clean)
{
	struct address_space *m;
	char *buf = malloc(nr * PAGE_SIZE);

	test_pattern(buf, nr * PAGE_SIZE, seed, 0);
	assert_int_equal(filemap_open(name, &m), 0);
	assert_int_equal(filemap_write(m, 0, buf, nr * PAGE_SIZE),
			 (ssize_t)(nr * PAGE_SIZE));
	if (clean)
		assert_int_equal(filemap_fsync(m), 0);
	free(buf);
	return m;
}

/* Write back every dirty page of @name and wait for it. */
static void fsync_file(const char *name)
{
	struct address_space *m;

	assert_int_equal(filemap_open(name, &m), 0);
	assert_int_equal(filemap_fsync(m), 0);
	filemap_close(m);
}

static void assert_backing_bytes(const char *name, unsigned long nr,
				 uint64_t seed)
{
	char *buf = malloc(nr * PAGE_SIZE), *want = malloc(nr * PAGE_SIZE);
	int fd = open(test_backing_path(name), O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, nr * PAGE_SIZE, 0),
			 (ssize_t)(nr * PAGE_SIZE));
	close(fd);
	test_pattern(want, nr * PAGE_SIZE, seed, 0);
	assert_memory_equal(buf, want, nr * PAGE_SIZE);
	free(buf);
	free(want);
}

/* ------------------------------------------------------------------ */
/* The validator's view                                                  */
/* ------------------------------------------------------------------ */

static unsigned long waits_ended;

/* Legacy reclaim is about to sleep on @page: the "I/O" completes. */
static void end_writeback_hook(struct page *page)
{
	waits_ended++;
	end_page_writeback(page);
}

/*
 * The workload, with the test thread as the faulting task in the legacy
 * group: (1) the flusher writes a run of 8 dirty pages as one batch;
 * (2) 8 clean pages of another file, the oldest of the group, are under
 * writeback (the test is their I/O) and already marked for reclaim;
 * (3) the group is set at its limit but for the two upper page tables a
 * fault needs; (4) a read fault at FAULT_BASE of the 4 MiB shared mapping
 * of "bug5" needs three tables: the third goes over the limit and its
 * reclaim waits on writeback (the hook ends it), frees the written pages
 * and lets the charge through. Returns the address space.
 */
static struct mm_struct *run_real_fault_workload(void)
{
	struct address_space *data, *wb;
	struct page *pages[8];
	struct mm_struct *mm;
	char b;

	assert_int_equal(memcg_attach(legacy), 0);
	wb = make_file("wb", 8, 2, true);
	data = make_file("bug5", 8, 1, false);
	wakeup_flusher_threads(0);
	assert_int_equal(flusher_sync(WAIT_MS), 0);	/* (1) the batch */
	assert_int_equal(data->nrdirty, 0);
	for (int i = 0; i < 8; i++) {			/* (2) */
		pages[i] = find_get_page(wb, (pgoff_t)i);
		lock_page(pages[i]);
		assert_false(set_page_writeback(pages[i]));
		unlock_page(pages[i]);
		page_writeback_submitted(1);
		SetPageReclaim(pages[i]);
		put_page(pages[i]);
	}
	mm = test_use_new_mm();
	test_mmap(mm, FAULT_BASE, 4UL << 20, VM_READ | VM_WRITE | VM_SHARED,
		  data, 0);
	assert_int_equal(memcg_set_max(legacy, memcg_usage(legacy) + 2), 0);
	reclaim_set_writeback_wait_hook(end_writeback_hook);
	assert_int_equal(vm_read(current, FAULT_BASE, &b, 1), 1);	/* (4) */
	reclaim_set_writeback_wait_hook(NULL);
	assert_true(waits_ended > 0);
	for (int i = 0; i < 8; i++) {
		struct page *page = find_get_page(wb, (pgoff_t)i);

		if (page) {
			if (PageWriteback(page))
				end_page_writeback(page);
			put_page(page);
		}
	}
	filemap_close(wb);
	filemap_close(data);
	return mm;
}

/*
 * Setup and action: run_real_fault_workload(). Expected: the fault
 * completes (the page-table charge reclaimed, waiting on writeback with
 * no page lock held) and the validator has nothing to report; the file
 * reaches the disk intact.
 */
static void test_fault_real_path_legacy_memcg_clean_and_progresses(void **state)
{
	run_real_fault_workload();
	exit_mm();
	fsync_file("bug5");
	assert_backing_bytes("bug5", 8, 1);
}

/*
 * Setup: the same workload (its reclaim waited on writeback: reclaim_fs
 * -> PG_writeback; the flusher owed writeback while locking the next
 * page: PG_writeback -> PG_locked). Action: the buggy variant faults in
 * the next 2 MiB of the mapping: it locks the file page, then allocates
 * the PTE table (PG_locked -> reclaim_fs). Expected: the fault still
 * completes here (nothing blocks in this order), and the validator
 * reports the page-lock/writeback cycle, once.
 */
static void test_fault_late_pgtable_legacy_memcg_reports_cycle(void **state)
{
	char b;

	run_real_fault_workload();
	assert_int_equal(memcg_set_max(legacy, PAGE_COUNTER_MAX), 0);
	vm_fault_set_late_pgtable(true);
	assert_int_equal(vm_read(current, FAULT_BASE + (2UL << 20), &b, 1), 1);
	vm_fault_set_late_pgtable(false);
	exit_mm();
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "PG_locked -> reclaim_fs -> PG_writeback -> "
			     "PG_locked", 1);
}

/* ------------------------------------------------------------------ */
/* The real hang                                                         */
/* ------------------------------------------------------------------ */

/*
 * The forced interleaving. Q and P are pages 0 and 1 of "bug5", dirty,
 * charged to the legacy group; F is a task of the group about to read P
 * through a fresh part of its mapping.
 *
 *   F (fault)                          flusher
 *   lock P            [hook: parked]
 *                                      lock Q, writeback Q (owed), unlock Q
 *                                      [hook: at P] lock P ... blocks on F
 *   [released] buggy: allocate the PTE table under P's lock
 *     -> charge over the limit -> legacy reclaim
 *     -> Q under writeback, marked: [hook] wait_on_page_writeback(Q)
 *        ... blocks on the flusher
 *
 * With the real path F allocates the table before it locks P: its
 * reclaim waits on Q while the flusher, free to lock P, submits the
 * batch and ends Q's writeback.
 *
 * Every wait the hooks make while their task holds a page lock or owes
 * writeback is timed (a failure detector): it adds no dependency of its
 * own to the validator's graph.
 */
struct hang {
	struct page *q, *p;
	struct completion f_holds_p, release_f;
	struct completion flusher_at_p, release_flusher;
	struct completion f_waits_q;
	_Atomic(bool) breaking;
	bool buggy;
	/* the faulting task's result */
	int ret;
	char byte;
	struct mm_struct *mm;
	unsigned long addr;
	struct completion go, fault_done;
};

static struct hang H;

/*
 * F parks holding P's lock. The wait is idle (the watchdog must report
 * only the deadlock's own waits) and is ended by release_from_fresh_task(),
 * whose empty history gives the validator no dependency back to P.
 */
static void hook_fault_page_locked(const char *name, void *arg, void *ctx)
{
	if (arg != H.p)
		return;
	complete(&H.f_holds_p);
	wait_for_completion_idle(&H.release_f);
}

static int releaser_fn(void *arg)
{
	complete_all(arg);
	return 0;
}

/* Complete @c from a new task that has taken no lock and waited for none. */
static void release_from_fresh_task(struct completion *c)
{
	struct task *t;

	assert_int_equal(task_create(&t, "bug5-releaser", releaser_fn, c, 0),
			 0);
	task_destroy(t);
}

static void hook_flusher_lock_page(const char *name, void *arg, void *ctx)
{
	if (arg != H.p)
		return;
	complete(&H.flusher_at_p);
	if (!wait_for_completion_timeout(&H.release_flusher, WAIT_MS))
		fprintf(stderr, "bug5: flusher never released\n");
}

/* The reclaimer (F) is about to sleep on Q's writeback. */
static void hook_writeback_wait(struct page *page)
{
	if (page == H.q)
		complete(&H.f_waits_q);
}

/*
 * After the late allocation, with P still locked (buggy variant only).
 * If the test ended Q's writeback bit to break the hang, give the bit
 * back: the flusher still owes Q's writeback and will end it itself.
 */
static void hook_pgtable_late(const char *name, void *arg, void *ctx)
{
	if (atomic_load(&H.breaking))
		set_page_bit(H.q, PG_writeback);
}

static int fault_task_fn(void *arg)
{
	if (memcg_attach(legacy))
		return -1;
	use_mm(H.mm);
	wait_for_completion(&H.go);
	H.ret = (int)vm_read(current, H.addr, &H.byte, 1);
	complete(&H.fault_done);
	return 0;	/* exit hooks: leaves the mm and the group */
}

/* Hung-task reports arrive on the watchdog's thread: plain pthreads. */
static pthread_mutex_t hung_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hung_cond = PTHREAD_COND_INITIALIZER;
static int hung_fault, hung_flusher;

static void report_hook(enum lockdep_report_kind kind, const char *summary,
			void *arg)
{
	if (kind != LOCKDEP_REPORT_HUNG_TASK)
		return;
	pthread_mutex_lock(&hung_lock);
	if (strstr(summary, "bug5-fault blocked on PG_writeback"))
		hung_fault++;
	if (strstr(summary, "flush-ballast blocked on PG_locked"))
		hung_flusher++;
	pthread_cond_broadcast(&hung_cond);
	pthread_mutex_unlock(&hung_lock);
}

/* Wait for the watchdog's report on @counter (a failure detector). */
static bool wait_hung_report(int *counter)
{
	struct timespec ts;
	bool seen;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&hung_lock);
	while (!*counter)
		if (pthread_cond_timedwait(&hung_cond, &hung_lock, &ts))
			break;
	seen = *counter;
	pthread_mutex_unlock(&hung_lock);
	return seen;
}

/*
 * Q and P dirty in the legacy group, F's address space mapping "bug5"
 * shared at FAULT_BASE, the hooks installed, F started (waiting for go).
 */
static struct task *hang_setup(bool buggy)
{
	struct address_space *data;
	struct task *f;

	memset(&H, 0, sizeof(H));
	init_completion(&H.f_holds_p);
	init_completion(&H.release_f);
	init_completion(&H.flusher_at_p);
	init_completion(&H.release_flusher);
	init_completion(&H.f_waits_q);
	init_completion(&H.go);
	init_completion(&H.fault_done);
	H.buggy = buggy;
	assert_int_equal(memcg_attach(legacy), 0);
	data = make_file("bug5", 2, 5, false);
	/*
	 * Identities for the hooks only: no reference is kept, or reclaim
	 * could never free Q or P (the real path needs it to).
	 */
	H.q = find_get_page(data, 0);
	H.p = find_get_page(data, 1);
	put_page(H.q);
	put_page(H.p);
	assert_int_equal(mm_create(&H.mm), 0);	/* charged to the group */
	H.addr = FAULT_BASE + PAGE_SIZE;	/* P */
	test_mmap(H.mm, FAULT_BASE, 4UL << 20,
		  VM_READ | VM_WRITE | VM_SHARED, data, 0);
	filemap_close(data);
	assert_int_equal(memcg_attach(NULL), 0);
	assert_int_equal(test_hook_set("vm.fault_page_locked",
				       hook_fault_page_locked, NULL), 0);
	assert_int_equal(test_hook_set("writeback.lock_page",
				       hook_flusher_lock_page, NULL), 0);
	assert_int_equal(test_hook_set("vm.fault_pgtable_late",
				       hook_pgtable_late, NULL), 0);
	reclaim_set_writeback_wait_hook(hook_writeback_wait);
	vm_fault_set_late_pgtable(buggy);
	/* Room for the PUD and PMD tables; the PTE table goes over. */
	assert_int_equal(memcg_set_max(legacy, memcg_usage(legacy) + 2), 0);
	assert_int_equal(task_create(&f, "bug5-fault", fault_task_fn, NULL,
				     0), 0);
	return f;
}

static void hang_cleanup(struct task *f)
{
	/* Let F finish its fault before asking it to stop. */
	assert_true(wait_for_completion_timeout(&H.fault_done, WAIT_MS));
	task_destroy(f);
	mmput(H.mm);
	vm_fault_set_late_pgtable(false);
	reclaim_set_writeback_wait_hook(NULL);
	test_hook_clear("writeback.lock_page");
	test_hook_clear("vm.fault_page_locked");
	test_hook_clear("vm.fault_pgtable_late");
	assert_int_equal(flusher_sync(WAIT_MS), 0);
	assert_int_equal(H.ret, 1);
	{
		char want[PAGE_SIZE];

		test_pattern(want, PAGE_SIZE, 5, PAGE_SIZE);
		assert_int_equal(H.byte, want[0]);
	}
	fsync_file("bug5");
	assert_backing_bytes("bug5", 2, 5);
}

/*
 * Setup: hang_setup(real path). Action: F faults: its page-table charge
 * goes over the limit before it locks anything; the test holds the
 * flusher at P until F's reclaim waits on Q, then lets it go. Expected:
 * the flusher locks P, submits Q and P, Q's writeback ends, F's reclaim
 * frees what it can and the fault completes; no report.
 */
static void test_fault_real_path_forced_interleaving_completes(void **state)
{
	struct task *f = hang_setup(false);

	release_from_fresh_task(&H.release_f);	/* F never parks here */
	SetPageReclaim(H.q);		/* as if reclaim had seen it once */
	wakeup_flusher_threads(0);
	assert_true(wait_for_completion_timeout(&H.flusher_at_p, WAIT_MS));
	complete(&H.go);		/* F: tables first, then P */
	assert_true(wait_for_completion_timeout(&H.f_waits_q, WAIT_MS));
	complete(&H.release_flusher);	/* P is free: the batch goes out */
	hang_cleanup(f);
}

/*
 * Setup: hang_setup(buggy), the hung-task watchdog at 200 ms. Action: F
 * locks P and parks; the flusher marks Q for writeback and is let go to
 * block on P (the watchdog reports it); F is let go: its late page-table
 * charge reclaims and waits on Q. Expected: a real deadlock, which the watchdog reports, naming F
 * (blocked on PG_writeback) and the flusher (blocked on PG_locked); the
 * validator reports the cycle. Then the test breaks it: the limit is
 * lifted and Q's writeback bit is ended by the test (F wakes, its charge
 * now passes; the hook gives the bit back before F unlocks P, so the
 * flusher's own completion of Q is legitimate). Everything finishes and
 * the file reaches the disk intact.
 */
static void test_fault_late_pgtable_forced_interleaving_hangs_watchdog_names_it(void **state)
{
	struct task *f = hang_setup(true);

	hung_fault = hung_flusher = 0;
	lockdep_set_report_hook(report_hook, NULL);
	complete(&H.go);
	assert_true(wait_for_completion_timeout(&H.f_holds_p, WAIT_MS));
	wakeup_flusher_threads(0);
	assert_true(wait_for_completion_timeout(&H.flusher_at_p, WAIT_MS));
	SetPageReclaim(H.q);		/* Q is under writeback now */
	assert_int_equal(lockdep_hung_task_start(200), 0);
	complete(&H.release_flusher);	/* it will block on P */
	/*
	 * Once the watchdog reports the flusher blocked on P, its dependency
	 * (owing Q's writeback while taking P) is recorded: F's wait below
	 * then closes the cycles, always in the same order.
	 */
	assert_true(wait_hung_report(&hung_flusher));
	release_from_fresh_task(&H.release_f);	/* F: late table, charge */
	assert_true(wait_for_completion_timeout(&H.f_waits_q, WAIT_MS));
	assert_true(wait_hung_report(&hung_fault));
	lockdep_hung_task_stop();
	lockdep_set_report_hook(NULL, NULL);
	assert_true(PageLocked(H.p) && PageWriteback(H.q));

	/* Break the hang: room in the group, and Q's "I/O" completes. */
	assert_int_equal(memcg_set_max(legacy, PAGE_COUNTER_MAX), 0);
	atomic_store(&H.breaking, true);
	end_page_writeback(H.q);
	hang_cleanup(f);

	assert_lockdep_claim(LOCKDEP_REPORT_HUNG_TASK,
			     "bug5-fault blocked on PG_writeback", 1);
	assert_lockdep_claim(LOCKDEP_REPORT_HUNG_TASK,
			     "flush-ballast blocked on PG_locked", 1);
	/*
	 * F waited on Q's writeback holding P's lock, both directly and
	 * inside reclaim: the validator reports the two cycles of this one
	 * deadlock (the three-edge one closed by reclaim_fs -> PG_writeback,
	 * so it starts there).
	 */
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "reclaim_fs -> PG_writeback -> PG_locked -> "
			     "reclaim_fs", 1);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "PG_locked -> PG_writeback -> PG_locked", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fault_real_path_legacy_memcg_clean_and_progresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_late_pgtable_legacy_memcg_reports_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_real_path_forced_interleaving_completes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_late_pgtable_forced_interleaving_hangs_watchdog_names_it, setup, teardown),
	};

	test_seed();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
