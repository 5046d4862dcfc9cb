// SPDX-License-Identifier: MIT
/*
 * test_memcg.c - memory cgroups: the tree's rules; charging of anonymous
 * pages, page tables and the page cache at allocation; limit reclaim
 * keeping a group under max; legacy reclaim waiting on writeback and
 * unified reclaim not; the high throttle; OOM kills that stay inside the
 * group; an offline group with charged pages; memory.stat's format.
 *
 * 64 MiB of RAM, the page cache, memcg, vm and the OOM killer. Workload
 * tasks attach themselves to a group and use their own address space.
 */
#include "../../support/lockdep_test.h"
#include "../../support/vm_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASE (1UL << 32)
#define MIB_PAGES(n) ((n) * 256UL)

static int setup(void **state)
{
	struct test_vm_config cfg = {
		.memcg = true,
		.oom = true,
		.wb = { .writeback_interval_ms = 60000 },
	};

	test_vm_setup(&cfg);
	return 0;
}

static int teardown(void **state)
{
	reclaim_set_writeback_wait_hook(NULL);
	assert_int_equal(memcg_attach(NULL), 0);
	test_vm_teardown();
	return 0;
}

static struct mem_cgroup *group(const char *name, enum memcg_mode mode)
{
	struct mem_cgroup *g;

	assert_int_equal(memcg_create(root_mem_cgroup, name, mode, &g), 0);
	return g;
}

/* Touch @nr anonymous pages at BASE (mapped by the caller). */
static long touch(unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++) {
		char v = (char)i;
		ssize_t n = vm_write(current, BASE + i * PAGE_SIZE, &v, 1);

		if (n != 1)
			return n;
	}
	return 0;
}

/*
 * Setup: the root only. Action: create A (unified), B under A; try a
 * legacy child of A, a duplicate name, a bad name; destroy A with B in
 * it, B, A twice; attach to a group and destroy it. Expected: -EINVAL,
 * -EEXIST, -EINVAL; -EBUSY for A with a child; 0, 0, -EINVAL; -EBUSY
 * while the task is attached, 0 after it leaves.
 */
static void test_memcg_create_destroy_tree_rules(void **state)
{
	struct mem_cgroup *a = group("a", MEMCG_MODE_UNIFIED), *b, *x;

	assert_int_equal(memcg_create(a, "b", MEMCG_MODE_UNIFIED, &b), 0);
	assert_int_equal(memcg_create(a, "c", MEMCG_MODE_LEGACY, &x), -EINVAL);
	assert_int_equal(memcg_create(a, "b", MEMCG_MODE_UNIFIED, &x), -EEXIST);
	assert_int_equal(memcg_create(a, "", MEMCG_MODE_UNIFIED, &x), -EINVAL);
	assert_int_equal(memcg_create(a, "x/y", MEMCG_MODE_UNIFIED, &x),
			 -EINVAL);
	assert_int_equal(memcg_destroy(a), -EBUSY);
	assert_int_equal(memcg_destroy(root_mem_cgroup), -EINVAL);
	assert_int_equal(memcg_attach(b), 0);
	assert_int_equal(memcg_destroy(b), -EBUSY);
	assert_int_equal(memcg_attach(NULL), 0);
	assert_int_equal(memcg_destroy(b), 0);
	assert_int_equal(memcg_destroy(a), 0);
	assert_int_equal(memcg_check(MEMCG_CHECK_QUIESCENT), 0);
}

/*
 * Setup: group G; the test attached to it with a new address space.
 * Action: touch 100 anonymous pages, then exit the address space.
 * Expected: G is charged for the 100 pages and the page tables (its
 * NR_ANON_MAPPED is 100, its NR_PAGETABLE 4: PGD, PUD, PMD, PTE), and the
 * usage equals what memcg_check() counts; memory.stat says "anon 409600";
 * after the address space is gone G's usage is 0.
 */
static void test_memcg_charges_anon_pages_and_page_tables(void **state)
{
	struct mem_cgroup *g = group("g", MEMCG_MODE_UNIFIED);
	struct mm_struct *mm;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(memcg_attach(g), 0);
	mm = test_use_new_mm();
	test_mmap(mm, BASE, MIB_PAGES(1) * PAGE_SIZE, VM_READ | VM_WRITE, NULL,
		  0);
	assert_int_equal(touch(100), 0);
	assert_int_equal(memcg_page_state(g, NR_ANON_MAPPED), 100);
	assert_int_equal(memcg_page_state(g, NR_PAGETABLE), 4);
	assert_true(memcg_usage(g) >= 104);
	assert_int_equal(memcg_check(MEMCG_CHECK_QUIESCENT), 0);
	f = open_memstream(&text, &len);
	memcg_stat_dump(g, f);
	fclose(f);
	assert_non_null(strstr(text, "\nanon 409600\n") ? text : strstr(text, "anon 409600\n"));
	assert_non_null(strstr(text, "pagetables 16384\n"));
	free(text);
	exit_mm();
	assert_int_equal(memcg_usage(g), 0);
	assert_int_equal(memcg_attach(NULL), 0);
	assert_int_equal(memcg_destroy(g), 0);
}

/*
 * Setup: a clean 16 MiB file written from the root and evicted (nothing
 * cached); another file of 64 pages cached by the root and closed (its
 * inode unused, on the inode LRU); group G with max 2 MiB (512 pages).
 * Action: the test, in G, reads the whole 16 MiB file through the page
 * cache. Expected: every page read in is charged to G, limit reclaim
 * frees G's own clean pages as it goes (pgscan, pgsteal > 0), G never
 * exceeds max (peak <= 512); the bytes read are exact; the root group's
 * other memory is not touched: no inode was evicted (limit reclaim runs
 * only memcg-aware shrinkers) and the root's file still has its 64 pages.
 */
static void test_memcg_page_cache_limit_reclaims_own_lru(void **state)
{
	unsigned long nr = MIB_PAGES(16);
	struct mem_cgroup *g = group("cache", MEMCG_MODE_UNIFIED);
	char *buf = malloc(nr * PAGE_SIZE), *want = malloc(nr * PAGE_SIZE);
	struct writeback_stats before, after;
	struct address_space *m;

	test_pattern(want, nr * PAGE_SIZE, 3, 0);
	filemap_close(test_clean_file("cache", nr, 3));
	drop_slab();			/* evict the closed file's pages */
	filemap_close(test_clean_file("root-file", 64, 8));
	writeback_get_stats(&before);
	assert_int_equal(memcg_set_max(g, 512), 0);
	assert_int_equal(memcg_attach(g), 0);
	assert_int_equal(filemap_open("cache", &m), 0);
	assert_int_equal(m->nrpages, 0);
	assert_int_equal(filemap_read(m, 0, buf, nr * PAGE_SIZE),
			 (ssize_t)(nr * PAGE_SIZE));
	assert_memory_equal(buf, want, nr * PAGE_SIZE);
	assert_true(memcg_peak(g) <= 512);
	assert_true(memcg_usage(g) > 0);
	assert_true(memcg_page_state(g, NR_FILE_PAGES) > 0);
	assert_true(memcg_events(g, MEMCG_PGSCAN) > 0);
	assert_true(memcg_events(g, MEMCG_PGSTEAL) > 0);
	assert_true(memcg_events(g, MEMCG_MAX) > 0);
	assert_int_equal(memcg_check(MEMCG_CHECK_QUIESCENT), 0);
	filemap_close(m);
	assert_int_equal(memcg_attach(NULL), 0);
	writeback_get_stats(&after);
	assert_int_equal(after.inodes_evicted, before.inodes_evicted);
	assert_int_equal(filemap_open("root-file", &m), 0);
	assert_int_equal(m->nrpages, 64);
	filemap_close(m);
	assert_int_equal(memcg_destroy(g), 0);
	free(buf);
	free(want);
}

static unsigned long waited_hooks;

/* The reclaimer is about to sleep on @page's writeback: end it (the I/O). */
static void end_writeback_hook(struct page *page)
{
	waited_hooks++;
	assert_false(PageLocked(page));
	end_page_writeback(page);
}

/*
 * Charge in @mode: a group at its limit whose only reclaimable pages are
 * 8 pages under writeback, already marked PG_reclaim. Returns the
 * reclaim's writeback waits.
 */
static unsigned long charge_over_writeback(enum memcg_mode mode,
					   const char *name)
{
	struct mem_cgroup *g = group(name, mode);
	struct page *wb, *extra;
	struct address_space *m;
	struct reclaim_stats st0, st1;
	char buf[8 * PAGE_SIZE];

	assert_int_equal(memcg_attach(g), 0);
	test_pattern(buf, sizeof(buf), 4, 0);
	assert_int_equal(filemap_open(name, &m), 0);
	assert_int_equal(filemap_write(m, 0, buf, sizeof(buf)), sizeof(buf));
	assert_int_equal(filemap_fsync(m), 0);
	for (int i = 0; i < 8; i++) {
		wb = find_get_page(m, (pgoff_t)i);
		lock_page(wb);
		assert_false(set_page_writeback(wb));	/* the test is the I/O */
		unlock_page(wb);
		page_writeback_submitted(1);
		SetPageReclaim(wb);
		put_page(wb);		/* only the cache holds it: freeable */
	}
	assert_int_equal(memcg_set_max(g, memcg_usage(g)), 0);
	reclaim_get_stats(&st0);
	reclaim_set_writeback_wait_hook(end_writeback_hook);
	/* Over the limit: one reclaim pass (no retries, no OOM). */
	extra = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_NORETRY | __GFP_NOWARN);
	reclaim_set_writeback_wait_hook(NULL);
	reclaim_get_stats(&st1);
	for (int i = 0; i < 8; i++) {
		wb = find_get_page(m, (pgoff_t)i);	/* if not reclaimed */
		if (!wb)
			continue;
		if (PageWriteback(wb))
			end_page_writeback(wb);
		put_page(wb);
	}
	/* Legacy: the waited pages were freed, so the charge went through. */
	assert_int_equal(extra != NULL, mode == MEMCG_MODE_LEGACY);
	if (extra)
		__free_page(extra);
	filemap_close(m);
	assert_int_equal(memcg_attach(NULL), 0);
	return st1.writeback_waited - st0.writeback_waited;
}

/*
 * Setup: as charge_over_writeback() describes, once per mode. Action: one
 * GFP_KERNEL_ACCOUNT | __GFP_NORETRY allocation over the limit (a single
 * reclaim pass). Expected: legacy limit reclaim waited on the writeback
 * pages (as cgroup v1; the wait hook ended them) and the charge went
 * through; unified reclaim never waited (and the charge failed).
 */
static void test_memcg_legacy_waits_on_writeback_unified_does_not(void **state)
{
	assert_true(charge_over_writeback(MEMCG_MODE_LEGACY, "legacy") > 0);
	assert_int_equal(charge_over_writeback(MEMCG_MODE_UNIFIED, "unified"),
			 0);
	assert_int_equal(memcg_check(MEMCG_CHECK_QUIESCENT), 0);
}

/*
 * Setup: a unified group with high 64 pages, no max; a legacy one.
 * Action: the test in the unified group touches 80 anonymous pages (not
 * reclaimable: no swap); memcg_set_high() on the legacy group. Expected:
 * the charges over high were counted and throttled (pauses growing with
 * the excess), the usage went past high (high is not a limit); -EINVAL
 * for legacy.
 */
static void test_memcg_high_throttles_unified_not_legacy(void **state)
{
	struct mem_cgroup *g = group("high", MEMCG_MODE_UNIFIED);
	struct mem_cgroup *l = group("v1", MEMCG_MODE_LEGACY);
	struct mm_struct *mm;

	assert_int_equal(memcg_set_high(l, 64), -EINVAL);
	assert_int_equal(memcg_set_high(g, 64), 0);
	assert_int_equal(memcg_attach(g), 0);
	mm = test_use_new_mm();
	test_mmap(mm, BASE, 80 * PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0);
	assert_int_equal(touch(80), 0);
	assert_true(memcg_usage(g) > 80);
	assert_true(memcg_events(g, MEMCG_HIGH) > 0);
	assert_true(memcg_events(g, MEMCG_THROTTLED) > 0);
	exit_mm();
	assert_int_equal(memcg_attach(NULL), 0);
	assert_int_equal(memcg_destroy(g), 0);
	assert_int_equal(memcg_destroy(l), 0);
}

struct hog {
	struct mem_cgroup *memcg;
	unsigned long pages;		/* to touch */
	struct completion ready;	/* touched what it could before waiting */
	struct completion done;		/* the test is finished with it */
	long result;
	bool wait;			/* stay alive until @done */
};

static int hog_fn(void *arg)
{
	struct hog *h = arg;
	struct mm_struct *mm;

	if (memcg_attach(h->memcg))
		return -1;
	mm = test_use_new_mm();
	assert_int_equal(vm_mmap(mm, BASE, h->pages * PAGE_SIZE,
				 VM_READ | VM_WRITE, NULL, 0,
				 &(unsigned long){ 0 }), 0);
	h->result = touch(h->pages);
	complete(&h->ready);
	if (h->wait && !h->result)
		wait_for_completion(&h->done);
	return 0;		/* exit hooks: address space, group */
}

static struct task *start_hog(struct hog *h, const char *name)
{
	struct task *t;

	init_completion(&h->ready);
	init_completion(&h->done);
	assert_int_equal(task_create(&t, name, hog_fn, h, 0), 0);
	return t;
}

/*
 * Setup: a group G with max 4 MiB; outside it, in the root, a bigger task
 * B holding 8 MiB of anonymous memory. Action: a task A in G touches
 * 16 MiB. Expected: A is the victim of G's OOM (its vm_write returns
 * -EINTR and it exits), not B, although B is bigger; G counts one
 * oom_kill, the global OOM_KILL grew by one; B's memory is intact; after
 * the reaper and A's exit, G's usage is 0.
 */
static void test_memcg_oom_kills_inside_the_group_only(void **state)
{
	struct mem_cgroup *g = group("oom", MEMCG_MODE_UNIFIED);
	struct hog b = { .memcg = NULL, .pages = MIB_PAGES(8), .wait = true };
	struct hog a = { .memcg = g, .pages = MIB_PAGES(16) };
	unsigned long kills = vm_event_sum(OOM_KILL);
	struct task *tb, *ta;
	struct oom_stats st;

	assert_int_equal(memcg_set_max(g, MIB_PAGES(4)), 0);
	tb = start_hog(&b, "big-root");
	wait_for_completion(&b.ready);
	assert_int_equal(b.result, 0);
	ta = start_hog(&a, "hog-in-g");
	wait_for_completion(&a.ready);
	assert_int_equal(a.result, -EINTR);
	task_destroy(ta);
	assert_int_equal(oom_reaper_sync(30000), 0);
	assert_int_equal(memcg_events(g, MEMCG_OOM_KILL), 1);
	assert_int_equal(vm_event_sum(OOM_KILL), kills + 1);
	oom_get_stats(&st);
	assert_int_equal(st.memcg_kills, 1);
	assert_int_equal(memcg_usage(g), 0);
	complete(&b.done);
	task_destroy(tb);
	assert_int_equal(memcg_destroy(g), 0);
}

/*
 * Setup: group G with max 4 MiB; in it a victim holding 3 MiB of
 * anonymous memory with oom_score_adj 1000, parked (it ignores the kill,
 * holding no lock). Action: a second task in G touches 2 MiB (over max
 * together); wait for the reaper. Expected: G's OOM kills the victim, and
 * the reaper uncharges its memory while it still exists: the second task
 * got its 2 MiB and exited, and G's anonymous pages are 0 and its usage
 * is little more than the victim's page tables; a remote vm_access() of
 * the victim's memory fails with -EFAULT (MMF_UNSTABLE).
 */
static void test_memcg_oom_reaper_uncharges_victim_still_alive(void **state)
{
	struct mem_cgroup *g = group("reap", MEMCG_MODE_UNIFIED);
	struct test_hog victim = { .memcg = g, .pages = MIB_PAGES(3),
				   .oom_score_adj = OOM_SCORE_ADJ_MAX,
				   .wait = true, .seed = 1 };
	struct test_hog other = { .memcg = g, .pages = MIB_PAGES(2),
				  .seed = 2 };
	struct mm_counters c;
	struct task *tv, *to;
	struct mm_struct *mm;
	struct vm_pin pin;

	assert_int_equal(memcg_set_max(g, MIB_PAGES(4)), 0);
	tv = test_hog_start(&victim, "victim-in-g");
	wait_for_completion(&victim.ready);
	assert_int_equal(victim.result, 0);
	assert_true(memcg_usage(g) >= MIB_PAGES(3));
	to = test_hog_start(&other, "other-in-g");
	wait_for_completion(&other.ready);
	task_destroy(to);
	assert_int_equal(other.result, 0);
	assert_int_equal(oom_reaper_sync(30000), 0);

	assert_int_equal(memcg_events(g, MEMCG_OOM_KILL), 1);
	assert_true(fatal_signal_pending(tv));
	mm = get_task_mm(tv);
	assert_non_null(mm);		/* parked: not exited */
	mm_get_counters(mm, &c);
	assert_int_equal(c.rss_anon, 0);
	assert_int_equal(memcg_page_state(g, NR_ANON_MAPPED), 0);
	/* What stays charged: the page tables (and small kernel objects). */
	assert_true(memcg_usage(g) >= c.pgtables);
	assert_true(memcg_usage(g) < c.pgtables + 16);
	mmput(mm);
	assert_int_equal(vm_access(tv, TEST_HOG_BASE, 1, 0, &pin), -EFAULT);
	test_hog_finish(&victim, tv);
	assert_false(victim.verified);
	assert_int_equal(memcg_usage(g), 0);
	assert_int_equal(memcg_destroy(g), 0);
}

/*
 * Setup: group G charged for page cache (a file read while attached);
 * the test leaves G. Action: destroy G; then evict the file. Expected:
 * destroy succeeds though pages are charged (G goes offline, its pages
 * stay charged to it); memcg_check() is clean both before and after the
 * pages go; G's usage falls to 0 with the eviction (then G is freed by
 * the next memcg_check()).
 */
static void test_memcg_destroy_with_charged_pages_goes_offline(void **state)
{
	struct mem_cgroup *g = group("zombie", MEMCG_MODE_UNIFIED);
	struct address_space *m;
	char buf[16 * PAGE_SIZE];

	test_pattern(buf, sizeof(buf), 9, 0);
	assert_int_equal(memcg_attach(g), 0);
	assert_int_equal(filemap_open("zombie", &m), 0);
	assert_int_equal(filemap_write(m, 0, buf, sizeof(buf)), sizeof(buf));
	assert_int_equal(filemap_fsync(m), 0);
	filemap_close(m);
	assert_int_equal(memcg_attach(NULL), 0);
	assert_true(memcg_usage(g) >= 16);
	assert_int_equal(memcg_destroy(g), 0);
	assert_int_equal(memcg_check(MEMCG_CHECK_QUIESCENT), 0);
	assert_true(memcg_usage(g) >= 16);	/* offline, not freed */
	drop_slab();
	assert_int_equal(memcg_usage(g), 0);
	assert_int_equal(memcg_check(MEMCG_CHECK_QUIESCENT), 0);
}

/*
 * Setup: a task in group G (holding one page of its own), waiting; the
 * test, in the root, maps 64 more anonymous pages into its address space.
 * Action: the test writes those pages through vm_access() on the other
 * task (a remote access, as migration or a debugger would), then reads
 * them back the same way. Expected: the 64 pages and their page tables
 * are charged to G, the task's group, not to the root (which has no
 * anonymous page of its own), and the 64 faults are counted in G's
 * pgfault too; the bytes are there.
 */
static void test_vm_access_remote_faults_charge_target_group(void **state)
{
	struct mem_cgroup *g = group("remote", MEMCG_MODE_UNIFIED);
	struct test_hog h = { .memcg = g, .pages = 1, .wait = true };
	unsigned long before, faults;
	struct task *t;
	char v = 0x3c;

	t = test_hog_start(&h, "remote-target");
	wait_for_completion(&h.ready);
	{
		struct mm_struct *mm = get_task_mm(t);

		assert_non_null(mm);
		test_mmap(mm, BASE, 64 * PAGE_SIZE, VM_READ | VM_WRITE, NULL,
			  0);
		mmput(mm);
	}
	before = memcg_usage(g);
	faults = memcg_events(g, MEMCG_PGFAULT);
	for (unsigned long i = 0; i < 64; i++) {
		struct vm_pin pin;

		assert_int_equal(vm_access(t, BASE + i * PAGE_SIZE, 1,
					   VM_ACCESS_WRITE, &pin), 0);
		*(char *)pin.addr = v;
		vm_access_put(&pin);
	}
	assert_true(memcg_usage(g) >= before + 64);
	assert_int_equal(memcg_events(g, MEMCG_PGFAULT), faults + 64);
	assert_int_equal(memcg_page_state(g, NR_ANON_MAPPED), 65);
	assert_int_equal(memcg_page_state(root_mem_cgroup, NR_ANON_MAPPED),
			 65);		/* hierarchical: G's, nothing of its own */
	for (unsigned long i = 0; i < 64; i++) {
		struct vm_pin pin;

		assert_int_equal(vm_access(t, BASE + i * PAGE_SIZE, 1, 0, &pin),
				 0);
		assert_int_equal(*(char *)pin.addr, v);
		vm_access_put(&pin);
	}
	test_hog_finish(&h, t);
	assert_true(h.verified);
	assert_int_equal(memcg_usage(g), 0);
	assert_int_equal(memcg_destroy(g), 0);
}

/*
 * Setup: group G; an order-2 block (not compound) allocated in G with
 * __GFP_ACCOUNT. Action: take an extra reference on its first page (a
 * speculative lookup's), __free_pages() the block (the last three pages
 * are freed at once), then drop the extra reference. Expected: G's usage
 * is 4 pages while allocated, back to its starting value at the end (the
 * pieces freed early are uncharged too).
 */
static void test_memcg_split_free_uncharges_every_piece(void **state)
{
	struct mem_cgroup *g = group("g", MEMCG_MODE_UNIFIED);
	unsigned long before;
	struct page *page;

	assert_int_equal(memcg_attach(g), 0);
	before = memcg_usage(g);
	page = alloc_pages(GFP_KERNEL | __GFP_ACCOUNT, 2);
	assert_non_null(page);
	assert_int_equal(memcg_usage(g), before + 4);
	get_page(page);
	__free_pages(page, 2);
	assert_int_equal(memcg_usage(g), before + 1);
	put_page(page);
	assert_int_equal(memcg_usage(g), before);
	assert_int_equal(memcg_attach(NULL), 0);
	assert_int_equal(memcg_destroy(g), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_memcg_create_destroy_tree_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcg_split_free_uncharges_every_piece, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcg_charges_anon_pages_and_page_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcg_page_cache_limit_reclaims_own_lru, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcg_legacy_waits_on_writeback_unified_does_not, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcg_high_throttles_unified_not_legacy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcg_oom_kills_inside_the_group_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcg_oom_reaper_uncharges_victim_still_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcg_destroy_with_charged_pages_goes_offline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_access_remote_faults_charge_target_group, setup, teardown),
	};

	test_seed();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
