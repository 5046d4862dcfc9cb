// SPDX-License-Identifier: MIT
/*
 * test_oom_kill.c - the OOM killer with real memory exhaustion: a task
 * that overcommits anonymous memory (no swap: nothing reclaims it) is
 * killed and reaped while the other tasks survive with their data;
 * oom_score_adj steers the choice and OOM_SCORE_ADJ_MIN is never chosen;
 * when nobody can be killed the allocation fails instead.
 *
 * 32 MiB of RAM, the page cache, vm and the OOM killer; no memcg.
 * Afterwards alloc_check(ALLOC_CHECK_QUIESCENT) and the fixture's checks
 * hold: every page is back where it belongs.
 */
#include "../../support/lockdep_test.h"
#include "../../support/vm_fixture.h"

#include <ballast/lib/testhook.h>

#include <errno.h>
#include <semaphore.h>
#include <time.h>

#define RAM (32UL << 20)
#define MIB_PAGES(n) ((n) * 256UL)

static int setup(void **state)
{
	struct test_vm_config cfg = {
		.ram = RAM,
		.oom = true,
		.wb = { .writeback_interval_ms = 60000 },
	};

	test_vm_setup(&cfg);
	return 0;
}

static int teardown(void **state)
{
	test_vm_teardown();
	return 0;
}

static void assert_quiescent_accounting(void)
{
	struct alloc_census census;

	assert_int_equal(oom_reaper_sync(30000), 0);
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
	assert_int_equal(reclaim_check(RECLAIM_CHECK_QUIESCENT), 0);
	assert_int_equal(alloc_check(&census, ALLOC_CHECK_QUIESCENT), 0);
}

/*
 * Setup: two tasks holding 2 MiB of anonymous memory each, waiting.
 * Action: a third touches 64 MiB (twice RAM). Expected: the hog is
 * killed (its write returns -EINTR after it touched a lot), one OOM kill,
 * reaped; the two others survive and re-read their bytes exactly; with
 * everyone gone the accounting identity holds.
 */
static void test_oom_kill_overcommit_kills_hog_others_survive(void **state)
{
	struct test_hog s1 = { .pages = MIB_PAGES(2), .wait = true, .seed = 1 };
	struct test_hog s2 = { .pages = MIB_PAGES(2), .wait = true, .seed = 2 };
	struct test_hog hog = { .pages = MIB_PAGES(64), .seed = 3 };
	unsigned long kills = vm_event_sum(OOM_KILL);
	struct task *t1, *t2, *th;
	struct oom_stats st;

	t1 = test_hog_start(&s1, "small-1");
	t2 = test_hog_start(&s2, "small-2");
	wait_for_completion(&s1.ready);
	wait_for_completion(&s2.ready);
	assert_int_equal(s1.result, 0);
	assert_int_equal(s2.result, 0);
	th = test_hog_start(&hog, "hog");
	wait_for_completion(&hog.ready);
	task_destroy(th);
	assert_int_equal(hog.result, -EINTR);
	assert_true(hog.touched > MIB_PAGES(16));
	assert_int_equal(vm_event_sum(OOM_KILL), kills + 1);
	test_hog_finish(&s1, t1);
	test_hog_finish(&s2, t2);
	assert_true(s1.verified);
	assert_true(s2.verified);
	assert_quiescent_accounting();
	oom_get_stats(&st);
	assert_int_equal(st.kills, 1);
	assert_int_equal(st.reaped, 1);
}

/*
 * Setup: a task of 8 MiB with oom_score_adj 0, a task of 1 MiB with
 * oom_score_adj 1000, both waiting. Action: a hog with OOM_SCORE_ADJ_MIN
 * touches 64 MiB. Expected: the small task with adj 1000 dies first
 * (its badness is raised by the whole RAM), then the 8 MiB one; the hog
 * is never chosen: once nobody is left to kill its allocation fails and
 * its write returns -ENOMEM.
 */
static void test_oom_score_adj_orders_victims_min_never_killed(void **state)
{
	struct test_hog big = { .pages = MIB_PAGES(8), .wait = true, .seed = 4 };
	struct test_hog pref = { .pages = MIB_PAGES(1), .wait = true,
				 .oom_score_adj = OOM_SCORE_ADJ_MAX, .seed = 5 };
	struct test_hog hog = { .pages = MIB_PAGES(64),
				.oom_score_adj = OOM_SCORE_ADJ_MIN, .seed = 6 };
	struct task *tb, *tp, *th;
	struct oom_stats st;

	tb = test_hog_start(&big, "big");
	tp = test_hog_start(&pref, "preferred");
	wait_for_completion(&big.ready);
	wait_for_completion(&pref.ready);
	th = test_hog_start(&hog, "unkillable");
	wait_for_completion(&hog.ready);
	task_destroy(th);
	assert_int_equal(hog.result, -ENOMEM);
	test_hog_finish(&big, tb);
	test_hog_finish(&pref, tp);
	/* Both were killed: neither got to verify (killed tasks skip it). */
	assert_false(big.verified);
	assert_false(pref.verified);
	oom_get_stats(&st);
	assert_int_equal(st.kills, 2);
	assert_true(st.no_victim > 0);
	assert_quiescent_accounting();
}

/*
 * Setup: a victim holding 12 MiB of anonymous memory with oom_score_adj
 * 1000, parked (it ignores the kill until the test lets it go, holding no
 * lock). Action: a hog with OOM_SCORE_ADJ_MIN touches 24 MiB of the 32;
 * wait for the reaper. Expected: the victim is killed and reaped while it
 * still exists: its address space is still there but marked MMF_UNSTABLE,
 * its rss_anon is 0, the node's NR_ANON_MAPPED dropped by its 12 MiB and
 * the hog got its memory; a remote vm_access() of the victim's memory now
 * fails with -EFAULT (no fault may bring back zero-filled pages).
 */
static void test_oom_reaper_frees_victim_still_alive(void **state)
{
	struct test_hog victim = { .pages = MIB_PAGES(12), .wait = true,
				   .oom_score_adj = OOM_SCORE_ADJ_MAX,
				   .seed = 7 };
	struct test_hog hog = { .pages = MIB_PAGES(24),
				.oom_score_adj = OOM_SCORE_ADJ_MIN, .seed = 8 };
	struct mm_counters c;
	struct task *tv, *th;
	struct mm_struct *mm;
	struct vm_pin pin;
	long anon;

	tv = test_hog_start(&victim, "victim");
	wait_for_completion(&victim.ready);
	assert_int_equal(victim.result, 0);
	anon = node_page_state(NR_ANON_MAPPED);
	assert_true(anon >= (long)MIB_PAGES(12));
	th = test_hog_start(&hog, "hog");
	wait_for_completion(&hog.ready);
	task_destroy(th);
	assert_int_equal(hog.result, 0);
	assert_int_equal(oom_reaper_sync(30000), 0);

	assert_true(fatal_signal_pending(tv));
	mm = get_task_mm(tv);
	assert_non_null(mm);		/* parked: not exited */
	assert_true(atomic_load(&mm->flags) & MMF_UNSTABLE);
	mm_get_counters(mm, &c);
	assert_int_equal(c.rss_anon, 0);
	mmput(mm);
	assert_true(node_page_state(NR_ANON_MAPPED) <=
		    anon - (long)MIB_PAGES(12));
	assert_int_equal(vm_access(tv, TEST_HOG_BASE, 1, 0, &pin), -EFAULT);
	test_hog_finish(&victim, tv);
	assert_false(victim.verified);
	assert_quiescent_accounting();
}

static sem_t reaper_reached, reaper_go, oom_waited;

static void reaper_pause(const char *name, void *arg, void *ctx)
{
	sem_post(&reaper_reached);
	sem_wait(&reaper_go);
}

static void oom_waits(const char *name, void *arg, void *ctx)
{
	sem_post(&oom_waited);
}

static int sem_wait_s(sem_t *sem, int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	return sem_timedwait(sem, &ts);
}

/*
 * Setup: a survivor of 4 MiB (oom_score_adj 0) and a victim of 8 MiB
 * (adj 1000), both parked; the reaper pauses before reaping. Action: a
 * hog (adj MIN) asks for all free memory plus half the victim's; once
 * the victim is killed and queued, it exits while the test still holds
 * its address space, so its task is gone but its memory is not back.
 * Expected: the hog's next OOM waits for the victim in flight instead of
 * killing the survivor; when the reaper goes on, the victim's memory
 * returns, the hog gets its pages, one kill in all, and the survivor
 * re-reads its bytes.
 *
 *   hog OOM -> kill victim -> reaper paused
 *   victim exits (mm alive) -> hog OOM: wait, not a second kill
 *   reaper reaps -> hog done
 */
static void test_oom_kill_victim_exited_unreaped_no_second_kill(void **state)
{
	struct test_hog keep = { .pages = MIB_PAGES(4), .wait = true,
				 .seed = 9 };
	struct test_hog victim = { .pages = MIB_PAGES(8), .wait = true,
				   .oom_score_adj = OOM_SCORE_ADJ_MAX,
				   .seed = 10 };
	struct test_hog hog = { .oom_score_adj = OOM_SCORE_ADJ_MIN,
				.seed = 11 };
	unsigned long kills = vm_event_sum(OOM_KILL);
	struct task *tk, *tv, *th;
	struct mm_struct *mm;
	struct oom_stats st;
	int waited;

	sem_init(&reaper_reached, 0, 0);
	sem_init(&reaper_go, 0, 0);
	sem_init(&oom_waited, 0, 0);
	tk = test_hog_start(&keep, "survivor");
	tv = test_hog_start(&victim, "victim");
	wait_for_completion(&keep.ready);
	wait_for_completion(&victim.ready);
	assert_int_equal(keep.result, 0);
	assert_int_equal(victim.result, 0);
	assert_int_equal(test_hook_set("oom_reaper.reap", reaper_pause, NULL),
			 0);
	hog.pages = nr_free_pages() + victim.pages / 2;
	th = test_hog_start(&hog, "hog");
	assert_int_equal(sem_wait_s(&reaper_reached, 30), 0);
	assert_true(fatal_signal_pending(tv));
	mm = get_task_mm(tv);
	assert_non_null(mm);
	test_hog_finish(&victim, tv);	/* gone; its memory is not back */
	assert_int_equal(test_hook_set("oom_kill.wait_in_flight", oom_waits,
				       NULL), 0);
	waited = sem_wait_s(&oom_waited, 10);
	test_hook_clear("oom_kill.wait_in_flight");
	test_hook_clear("oom_reaper.reap");
	sem_post(&reaper_go);
	wait_for_completion(&hog.ready);
	task_destroy(th);
	mmput(mm);
	assert_int_equal(waited, 0);
	assert_int_equal(hog.result, 0);
	assert_int_equal(vm_event_sum(OOM_KILL), kills + 1);
	test_hog_finish(&keep, tk);
	assert_true(keep.verified);
	assert_quiescent_accounting();
	oom_get_stats(&st);
	assert_int_equal(st.kills, 1);
	assert_int_equal(st.reaped, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_oom_kill_overcommit_kills_hog_others_survive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oom_score_adj_orders_victims_min_never_killed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oom_reaper_frees_victim_still_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oom_kill_victim_exited_unreaped_no_second_kill, setup, teardown),
	};

	test_seed();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
