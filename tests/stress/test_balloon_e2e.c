// SPDX-License-Identifier: MIT
/*
 * test_balloon_e2e.c - the balloon end to end, two processes: the real
 * `ballast host` (device, hole punching, QMP) and this process as the
 * guest with the real virtio-balloon driver.
 *
 *  - inflate and deflate to several targets; after each, the host's
 *    record, the driver's list, `actual` and the memfd's backed size agree;
 *  - MUST_TELL_HOST: a page leaves the balloon only after the host took
 *    the deflate, so a guest that reuses pages the moment the driver frees
 *    them never touches a page the host still counts as ballooned; and a
 *    buggy write into a ballooned page is found by the host's scan;
 *  - stats: the guest's own counters reach qom-get guest-stats;
 *  - a host that dies: the OOM notifier does not wait for it, a new host
 *    learns the balloon, and removing the driver without a host gives
 *    every page back to the guest;
 *  - a host that hangs: migrating ballooned pages never waits for it.
 */
#include "../support/balloon_e2e.h"
#include "../support/lockdep_test.h"

#include <ballast/alloc.h>
#include <ballast/migrate.h>
#include <ballast/task.h>
#include <ballast/lib/testhook.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#define RAM (64UL << 20)
#define MiB (1UL << 20)

static struct balloon_e2e e2e;

static int setup(void **state)
{
	if (lockdep_test_setup(state))
		return -1;
	e2e_guest_boot(RAM, E2E_KSWAPD);
	e2e_host_start(&e2e, NULL);
	e2e_driver_start(&e2e);
	return 0;
}

static int teardown(void **state)
{
	if (e2e.vb)
		e2e_driver_stop(&e2e);
	if (e2e.qmp)
		e2e_host_stop(&e2e);
	e2e_guest_shutdown();
	return lockdep_test_teardown(state);
}

/*
 * Setup: a 64 MiB guest, its free memory backed; the balloon empty.
 * Action: targets (guest keeps) 40, 12, 52, 24, 64 MiB, each reached
 * (BALLOON_CHANGE events until query-balloon says so).
 * Expected: after each step the driver's num_pages and list, the host's
 * record, the guest's `actual`, query-balloon and the memfd's backed size
 * all say the same; the host saw no violation.
 *
 *   guest keeps:  64 ─► 40 ─► 12 ─► 52 ─► 24 ─► 64 MiB
 *   ballooned:     0    24    52    12    40     0 MiB
 */
static void test_balloon_targets_counts_agree(void **state)
{
	static const unsigned long keep_mib[] = { 40, 12, 52, 24, 64 };

	e2e_assert_agree(&e2e, true);
	for (size_t i = 0; i < ARRAY_SIZE(keep_mib); i++) {
		e2e_balloon(&e2e, keep_mib[i] * MiB);
		e2e_assert_agree(&e2e, true);
	}
	assert_int_equal(e2e_host_int(&e2e, "host-ballooned-bytes"), 0);
}

/* Written by the release hook: the page's next user writes at once. */
static _Atomic(unsigned long) reused_pages;

static void reuse_at_release(const char *name, void *arg, void *ctx)
{
	struct page *page = arg;

	memset(page_address(page), 0x6b, PAGE_SIZE);
	atomic_fetch_add(&reused_pages, 1);
}

struct scans_after {
	int64_t scans;
};

static bool host_scanned_after(struct balloon_e2e *e, void *arg)
{
	return e2e_host_int(e, "touched-scans") > ((struct scans_after *)arg)->scans;
}

/*
 * Setup: 48 MiB ballooned; a hook writes every page the driver frees, at
 * the moment it frees it (the earliest a guest could reuse it).
 * Action: deflate to 16 MiB ballooned; touch all free memory too; wait
 * for a host scan that began after that.
 * Expected: 8192 pages reused at release; the host never found a page
 * written while it counted it as ballooned (touched-while-ballooned 0);
 * counts agree.
 */
static void test_deflate_pages_reused_only_after_host_ack(void **state)
{
	struct scans_after after;

	e2e_balloon(&e2e, RAM - 48 * MiB);
	atomic_store(&reused_pages, 0);
	assert_int_equal(test_hook_set("virtio_balloon.release_page",
				       reuse_at_release, NULL), 0);
	e2e_balloon(&e2e, RAM - 16 * MiB);
	test_hook_clear("virtio_balloon.release_page");
	assert_int_equal(atomic_load(&reused_pages), 32 * MiB / PAGE_SIZE);
	touch_free_memory();
	after.scans = e2e_host_int(&e2e, "touched-scans");
	e2e_wait(&e2e, host_scanned_after, &after, 50,
		 "a host scan after the reuse");
	assert_int_equal(e2e_host_int(&e2e, "touched-while-ballooned"), 0);
	assert_int_equal(e2e_host_int(&e2e, "touched-pages"), 0);
	e2e_assert_agree(&e2e, true);
	e2e_balloon(&e2e, RAM);
	e2e_assert_agree(&e2e, true);
}

static bool host_found_touched(struct balloon_e2e *e, void *arg)
{
	return e2e_host_int(e, "touched-while-ballooned") > 0;
}

/*
 * Setup: 8 MiB ballooned.
 * Action: the test writes one byte into one ballooned page (the bug
 * MUST_TELL_HOST forbids), then waits for the host's periodic scan.
 * Expected: the host reports exactly that page (touched-pages 1) and
 * counts the violation; after a full deflate its record and the guest's
 * agree again.
 */
static void test_write_to_ballooned_page_found_by_host_scan(void **state)
{
	struct page *victim = NULL;

	e2e_balloon(&e2e, RAM - 8 * MiB);
	assert_int_equal(e2e_host_int(&e2e, "touched-while-ballooned"), 0);
	for (unsigned long pfn = 0; pfn < max_pfn && !victim; pfn++)
		if (PageOffline(pfn_to_page(pfn)))
			victim = pfn_to_page(pfn);
	assert_non_null(victim);
	((volatile char *)page_address(victim))[123] = 1;
	e2e_wait(&e2e, host_found_touched, NULL, 50,
		 "the host's scan to find the written page");
	assert_int_equal(e2e_host_int(&e2e, "touched-pages"), 1);
	e2e_balloon(&e2e, RAM);
	e2e_assert_agree(&e2e, false);
	assert_int_equal(e2e_host_int(&e2e, "protocol-violations"), 0);
}

static json_t *guest_stats(struct balloon_e2e *e)
{
	return e2e_qmp(e, "qom-get", json_pack("{s:s, s:s}", "path",
					       "/machine/peripheral/balloon0",
					       "property", "guest-stats"));
}

static void set_polling_interval(struct balloon_e2e *e, int seconds)
{
	json_decref(e2e_qmp(e, "qom-set",
			    json_pack("{s:s, s:s, s:i}", "path", "balloon0",
				      "property", "guest-stats-polling-interval",
				      "value", seconds)));
}

static bool stats_message_after(struct balloon_e2e *e, void *arg)
{
	return e2e_host_int(e, "stats-messages") > *(int64_t *)arg;
}

/*
 * Setup: the host polls no stats; it holds the buffer the driver posted
 * at probe (QEMU reads that one too).
 * Action: inflate 16 MiB; qom-set guest-stats-polling-interval 1; wait
 * for the next stats message.
 * Expected: the interval reads back as 1; the new stats are the guest's
 * values after the inflation: stat-total-memory = totalram_pages() * 4096,
 * stat-free-memory = nr_free_pages() * 4096 (the guest is quiescent), no
 * swap; last-update is set; the driver counted the request.
 */
static void test_guest_stats_round_trip_reports_guest_values(void **state)
{
	struct virtballoon_info info;
	json_t *st, *stats, *v;
	int64_t msgs;

	assert_int_equal(e2e_host_int(&e2e, "stats-messages"), 1);
	e2e_balloon(&e2e, RAM - 16 * MiB);
	msgs = e2e_host_int(&e2e, "stats-messages");
	set_polling_interval(&e2e, 1);
	v = e2e_qmp(&e2e, "qom-get", json_pack("{s:s, s:s}", "path", "balloon0",
					       "property",
					       "guest-stats-polling-interval"));
	assert_int_equal(json_integer_value(v), 1);
	json_decref(v);
	e2e_wait(&e2e, stats_message_after, &msgs, 50, "a stats message");
	set_polling_interval(&e2e, 0);

	st = guest_stats(&e2e);
	stats = json_object_get(st, "stats");
#define STAT(name) json_integer_value(json_object_get(stats, name))
	assert_int_equal(STAT("stat-total-memory"),
			 (int64_t)totalram_pages() * 4096);
	assert_int_equal(STAT("stat-free-memory"),
			 (int64_t)nr_free_pages() * 4096);
	assert_true(STAT("stat-available-memory") <= STAT("stat-free-memory"));
	assert_int_equal(STAT("stat-swap-in"), 0);
	assert_int_equal(STAT("stat-swap-out"), 0);
	assert_int_equal(STAT("stat-htlb-pgalloc"), 0);
#undef STAT
	assert_true(json_integer_value(json_object_get(st, "last-update")) > 0);
	json_decref(st);
	virtballoon_get_info(e2e.vb, &info);
	assert_true(info.stats_vq);
	assert_true(info.stats_requests >= 1);
}

static void complete_at_backoff(const char *name, void *arg, void *ctx)
{
	complete(ctx);
}

static bool actual_is_ram(struct balloon_e2e *e, void *arg)
{
	return e2e_actual(e) == RAM;
}

/*
 * Setup: 8 MiB ballooned, and every ballooned page isolated (the test
 * plays compaction holding them).
 * Action: the target moves to 0 (deflate everything).
 * Expected: the worker finds nothing to deflate and backs off instead of
 * retrying at once (the backoff hook runs); once the pages are put back,
 * its retry deflates the balloon and everything agrees.
 */
static void test_balloon_update_all_isolated_backs_off(void **state)
{
	struct completion backed_off;
	LIST_HEAD(isolated);
	struct page *page;
	unsigned long n = 0;

	e2e_balloon(&e2e, RAM - 8 * MiB);
	for (unsigned long pfn = 0; pfn < max_pfn; pfn++) {
		page = pfn_to_page(pfn);
		if (PageOffline(page) && isolate_movable_page(page, 0)) {
			list_add(&page->lru, &isolated);
			n++;
		}
	}
	assert_int_equal(n, 8 * MiB / PAGE_SIZE);
	init_completion(&backed_off);
	assert_int_equal(test_hook_set("virtio_balloon.backoff",
				       complete_at_backoff, &backed_off), 0);
	json_decref(e2e_qmp(&e2e, "balloon", json_pack("{s:I}", "value",
						       (json_int_t)RAM)));
	if (!wait_for_completion_timeout(&backed_off, E2E_TIMEOUT_MS))
		fail_msg("the worker never backed off");
	test_hook_clear("virtio_balloon.backoff");
	putback_movable_pages(&isolated);
	e2e_wait(&e2e, actual_is_ram, NULL, 0, "the deflate after the backoff");
	e2e_assert_agree(&e2e, true);
}

static struct page *first_ballooned_page(unsigned long from_pfn)
{
	for (unsigned long pfn = from_pfn; pfn < max_pfn; pfn++)
		if (PageOffline(pfn_to_page(pfn)))
			return pfn_to_page(pfn);
	return NULL;
}

/*
 * Setup: 16 MiB ballooned; then the host quits (QMP quit, as a host that
 * goes away before the guest does).
 * Action: remove the driver.
 * Expected: it returns without waiting for the host, and every page is
 * the guest's again: none is still ballooned or points to the freed
 * driver (teardown's shutdown finds every page free, NR_BALLOON_PAGES 0).
 */
static void test_virtballoon_remove_host_gone_frees_every_page(void **state)
{
	e2e_balloon(&e2e, RAM - 16 * MiB);
	e2e_host_stop(&e2e);
	e2e_driver_stop(&e2e);
	assert_int_equal(node_page_state(NR_BALLOON_PAGES), 0);
	assert_null(first_ballooned_page(0));
}

struct isolated_page {
	struct list_head list;		/* the page, while isolated */
	struct page *other;		/* another ballooned page */
	bool other_isolated;
};

/* At removal, with isolation blocked: compaction finishes with its page. */
static void put_back_at_block(const char *name, void *arg, void *ctx)
{
	struct isolated_page *ip = ctx;

	ip->other_isolated = isolate_movable_page(ip->other, 0);
	putback_movable_pages(&ip->list);
}

/*
 * Setup: 16 MiB ballooned; compaction holds one ballooned page isolated
 * (the test, through isolate_movable_page()); the host quits.
 * Action: remove the driver; once it has blocked isolation, the test tries
 * to isolate another ballooned page and puts its own back, as compaction
 * does when it finishes.
 * Expected: the other page cannot be isolated any more; the removal waits
 * for the isolated page and frees it with the rest: nothing is left
 * pointing to the freed driver.
 */
static void test_virtballoon_remove_isolated_page_waited_for(void **state)
{
	struct isolated_page ip = { .list = LIST_HEAD_INIT(ip.list) };
	struct page *page;

	e2e_balloon(&e2e, RAM - 16 * MiB);
	page = first_ballooned_page(0);
	assert_non_null(page);
	ip.other = first_ballooned_page(page_to_pfn(page) + 1);
	assert_non_null(ip.other);
	assert_true(isolate_movable_page(page, 0));
	list_add(&page->lru, &ip.list);
	e2e_host_stop(&e2e);

	assert_int_equal(test_hook_set("virtio_balloon.isolation_blocked",
				       put_back_at_block, &ip), 0);
	e2e_driver_stop(&e2e);
	test_hook_clear("virtio_balloon.isolation_blocked");
	assert_false(ip.other_isolated);
	assert_true(list_empty(&ip.list));
	assert_int_equal(node_page_state(NR_BALLOON_PAGES), 0);
	assert_null(first_ballooned_page(0));
}

static struct page *alloc_dst(struct page *src, unsigned long private)
{
	return alloc_page(GFP_HIGHUSER_MOVABLE);
}

static bool page_freed(struct balloon_e2e *e, void *arg)
{
	return page_ref_count(arg) == 0;
}

/*
 * Setup: 16 MiB ballooned and acknowledged; then the host is stopped
 * (SIGSTOP: connected, but it answers nothing, as a hung host).
 * Action: compaction (the test) migrates two ballooned pages,
 * MIGRATE_ASYNC.
 * Expected: no wait for the host at all (the driver used to wait 5 s per
 * message, and -EAGAIN's ten retries made that 50 s per page, holding
 * balloon_lock against the OOM notifier): the first page moves, its
 * deflate left in flight holding the old page; the second stays, since a
 * message is in flight. Once the host runs again the worker harvests the
 * deflate and frees the old page, and everything agrees.
 */
static void test_migratepage_host_stopped_never_waits(void **state)
{
	struct virtballoon_info info;
	struct page *first, *second;
	unsigned int moved = 0;
	LIST_HEAD(list);
	int left, status;

	e2e_balloon(&e2e, RAM - 16 * MiB);
	first = first_ballooned_page(0);
	second = first_ballooned_page(page_to_pfn(first) + 1);
	assert_true(isolate_movable_page(first, 0));
	list_add_tail(&first->lru, &list);
	assert_true(isolate_movable_page(second, 0));
	list_add_tail(&second->lru, &list);

	assert_int_equal(kill(e2e.host_pid, SIGSTOP), 0);
	/* Stopped before the test goes on: it answers nothing from now. */
	assert_int_equal(waitpid(e2e.host_pid, &status, WUNTRACED),
			 e2e.host_pid);
	assert_true(WIFSTOPPED(status));
	left = migrate_pages(&list, alloc_dst, NULL, 0, MIGRATE_ASYNC,
			     MR_COMPACTION, &moved);
	putback_movable_pages(&list);
	assert_int_equal(kill(e2e.host_pid, SIGCONT), 0);
	virtballoon_get_info(e2e.vb, &info);	/* reads the host's config */

	assert_int_equal(info.ack_waits_failed, 0);
	assert_int_equal(left, 1);
	assert_int_equal(moved, 1);
	assert_false(PageOffline(first));
	assert_true(PageOffline(second));
	assert_int_equal(info.num_pages, 16 * MiB / PAGE_SIZE);
	e2e_wait(&e2e, page_freed, first, 10,
		 "the old page freed at the deflate's acknowledgement");
	assert_int_equal(virtballoon_check(e2e.vb), 0);
	e2e_assert_agree(&e2e, true);
}

struct stopped_remover {
	struct isolated_page ip;
	struct completion blocked;
	struct task *compactor;
};

/* On the remover, once isolation is blocked: compaction may finish. */
static void signal_blocked(const char *name, void *arg, void *ctx)
{
	complete(&((struct stopped_remover *)ctx)->blocked);
}

/* Compaction: puts its page back only after the removal blocked isolation. */
static int compactor_fn(void *arg)
{
	struct stopped_remover *sr = arg;

	wait_for_completion(&sr->blocked);
	putback_movable_pages(&sr->ip.list);
	return 0;
}

/* A task being stopped (task_should_stop()) that removes the driver. */
static int remover_fn(void *arg)
{
	while (!task_should_stop())
		task_sleep_ms(1000);
	e2e_driver_stop(&e2e);
	return 0;
}

/*
 * Setup: 16 MiB ballooned; compaction (a task) holds one ballooned page
 * isolated; the host quits.
 * Action: a task that has been asked to stop removes the driver; the
 * compactor puts its page back only once isolation is blocked.
 * Expected: the removal still waits for the isolated page (it used to
 * give up when its task was stopping, and free the driver the page
 * pointed to): it is freed with the rest, nothing is left ballooned.
 */
static void test_virtballoon_remove_stopping_task_waits_for_isolated_page(
	void **state)
{
	struct stopped_remover sr = { .ip.list = LIST_HEAD_INIT(sr.ip.list) };
	struct task *remover;
	struct page *page;

	e2e_balloon(&e2e, RAM - 16 * MiB);
	page = first_ballooned_page(0);
	assert_true(isolate_movable_page(page, 0));
	list_add(&page->lru, &sr.ip.list);
	e2e_host_stop(&e2e);

	init_completion(&sr.blocked);
	assert_int_equal(test_hook_set("virtio_balloon.isolation_blocked",
				       signal_blocked, &sr), 0);
	assert_int_equal(task_create(&sr.compactor, "compactor", compactor_fn,
				     &sr, 0), 0);
	assert_int_equal(task_create(&remover, "remover", remover_fn, NULL, 0),
			 0);
	assert_int_equal(task_destroy(remover), 0);
	assert_int_equal(task_destroy(sr.compactor), 0);
	test_hook_clear("virtio_balloon.isolation_blocked");
	assert_null(e2e.vb);
	assert_true(list_empty(&sr.ip.list));
	assert_int_equal(node_page_state(NR_BALLOON_PAGES), 0);
	assert_null(first_ballooned_page(0));
}

static int oom_pass_fn(void *arg)
{
	struct alloc_fault_config cfg = { .oom_nth = 1 };
	struct page *page;

	alloc_fault_set(&cfg);
	page = alloc_page(GFP_KERNEL);
	alloc_fault_set(NULL);
	if (page)
		__free_page(page);
	complete(arg);
	return 0;
}

static bool resynced_and_empty(struct balloon_e2e *e, void *arg)
{
	struct virtballoon_info info;

	/* `actual` too: it may still say a step of the deflate. */
	virtballoon_get_info(e->vb, &info);
	return info.resyncs == 1 && !info.num_pages &&
	       !e2e_host_int(e, "host-ballooned-bytes") &&
	       !e2e_host_int(e, "guest-ballooned-bytes");
}

/*
 * Setup: 16 MiB ballooned; then the host is killed (a crash).
 * Action: an allocation forced through the OOM notifiers, on a task of its
 * own; then a new host on the same socket and a reconnect.
 * Expected: the notifier returns (the driver used to wait for the dead
 * host forever, holding balloon_lock and oom_lock) and gave nothing back:
 * without a device, no page may leave the balloon. The new host learns
 * the balloon from the driver, which then deflates it to the new target
 * (0); guest, host and memfd agree.
 */
static void test_oom_notify_host_killed_returns_without_deflating(void **state)
{
	struct virtballoon_info info;
	struct completion done;
	struct task *oom;

	e2e_balloon(&e2e, RAM - 16 * MiB);
	e2e_host_kill(&e2e);

	init_completion(&done);
	assert_int_equal(task_create(&oom, "oom", oom_pass_fn, &done, 0), 0);
	if (!wait_for_completion_timeout(&done, E2E_TIMEOUT_MS))
		fail_msg("the OOM notifier waited %d ms for a dead host",
			 E2E_TIMEOUT_MS);
	assert_int_equal(task_destroy(oom), 0);
	virtballoon_get_info(e2e.vb, &info);
	assert_true(info.oom_notifications >= 1);
	assert_int_equal(info.oom_deflated_pages, 0);
	assert_int_equal(virtballoon_check(e2e.vb), 0);

	e2e_host_restart(&e2e, NULL);
	assert_int_equal(vhost_user_frontend_reconnect(e2e.vdev), 0);
	e2e_wait(&e2e, resynced_and_empty, NULL, 10,
		 "the resync and the deflate to the new host's target");
	e2e_assert_agree(&e2e, false);
}

/* A hook that holds the worker where it runs until the test says go. */
struct hook_pause {
	struct completion reached, go;
};

static void pause_in_hook(const char *name, void *arg, void *ctx)
{
	struct hook_pause *hp = ctx;

	complete(&hp->reached);
	wait_for_completion(&hp->go);
}

/*
 * Setup: 8 MiB ballooned, every ballooned page isolated (compaction, the
 * test); the target moves to 0, so the worker backs off inside the move.
 * Action: while it is backing off, the host is killed, a new one starts
 * and the front-end reconnects; then the worker goes on, and the test
 * puts its pages back.
 * Expected: the new host is told the balloon before anything else: the
 * end of the interrupted move does not write `actual` to it (the driver
 * used to, and then took the new host's non-zero `actual` for a host that
 * knew the balloon and never re-announced it: the host then refused every
 * deflate). One resync, the balloon deflated, everything agrees.
 */
static void test_host_restart_during_move_resyncs_before_actual(void **state)
{
	struct hook_pause hp;
	LIST_HEAD(isolated);
	struct page *page;

	e2e_balloon(&e2e, RAM - 8 * MiB);
	for (unsigned long pfn = 0; pfn < max_pfn; pfn++) {
		page = pfn_to_page(pfn);
		if (PageOffline(page) && isolate_movable_page(page, 0))
			list_add(&page->lru, &isolated);
	}
	init_completion(&hp.reached);
	init_completion(&hp.go);
	assert_int_equal(test_hook_set("virtio_balloon.backoff",
				       pause_in_hook, &hp), 0);
	json_decref(e2e_qmp(&e2e, "balloon", json_pack("{s:I}", "value",
						       (json_int_t)RAM)));
	if (!wait_for_completion_timeout(&hp.reached, E2E_TIMEOUT_MS))
		fail_msg("the worker never backed off");
	test_hook_clear("virtio_balloon.backoff");
	e2e_host_kill(&e2e);
	e2e_host_restart(&e2e, NULL);
	assert_int_equal(vhost_user_frontend_reconnect(e2e.vdev), 0);
	complete(&hp.go);
	putback_movable_pages(&isolated);

	e2e_wait(&e2e, resynced_and_empty, NULL, 10,
		 "the resync and the deflate to the new host's target");
	assert_int_equal(e2e_host_int(&e2e, "refused-deflates"), 0);
	e2e_assert_agree(&e2e, true);
}


/*
 * Setup: 24 MiB ballooned and acknowledged (nothing in flight); one
 * ballooned page isolated by "compaction" (the test).
 * Action: the host is killed; a new host starts on the same socket and the
 * front-end reconnects. The driver blocks isolation (the test puts its
 * page back then, as compaction finishing) and re-announces its balloon;
 * a hook holds the worker right after that while the test compares.
 * Expected: the new host records as many pages as the driver's list holds
 * (the put-back page included), double inflates none, and the memfd's
 * backed size says the same. Released, the worker deflates to the new
 * host's target (0) and the host refuses no deflate: its record was
 * exactly the guest's list.
 */
static void test_resync_balloon_host_restarted_record_equals_list(void **state)
{
	struct isolated_page ip = { .list = LIST_HEAD_INIT(ip.list) };
	struct virtballoon_info info;
	struct hook_pause hp;
	struct page *page;
	size_t backed;

	e2e_balloon(&e2e, RAM - 24 * MiB);
	page = first_ballooned_page(0);
	ip.other = first_ballooned_page(page_to_pfn(page) + 1);
	assert_true(isolate_movable_page(page, 0));
	list_add(&page->lru, &ip.list);
	e2e_host_kill(&e2e);

	init_completion(&hp.reached);
	init_completion(&hp.go);
	assert_int_equal(test_hook_set("virtio_balloon.isolation_blocked",
				       put_back_at_block, &ip), 0);
	assert_int_equal(test_hook_set("virtio_balloon.resynced",
				       pause_in_hook, &hp), 0);
	e2e_host_restart(&e2e, NULL);
	assert_int_equal(vhost_user_frontend_reconnect(e2e.vdev), 0);
	if (!wait_for_completion_timeout(&hp.reached, E2E_TIMEOUT_MS))
		fail_msg("no re-announcement to the new host");
	test_hook_clear("virtio_balloon.isolation_blocked");
	test_hook_clear("virtio_balloon.resynced");
	assert_true(list_empty(&ip.list));
	assert_false(ip.other_isolated);

	virtballoon_get_info(e2e.vb, &info);
	assert_int_equal(info.num_pages, 24 * MiB / PAGE_SIZE);
	assert_int_equal(info.resyncs, 1);
	assert_int_equal(virtballoon_check(e2e.vb), 0);
	assert_int_equal(e2e_host_int(&e2e, "host-ballooned-bytes"),
			 (int64_t)info.num_pages << PAGE_SHIFT);
	assert_int_equal(e2e_host_int(&e2e, "double-inflates"), 0);
	touch_free_memory();
	backed = page_ram_allocated_bytes();
	assert_int_equal(backed, e2e.backed_empty - 24 * MiB);
	complete(&hp.go);

	e2e_wait(&e2e, resynced_and_empty, NULL, 10,
		 "the deflate to the new host's target");
	e2e_assert_agree(&e2e, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_balloon_targets_counts_agree),
		T(test_deflate_pages_reused_only_after_host_ack),
		T(test_write_to_ballooned_page_found_by_host_scan),
		T(test_guest_stats_round_trip_reports_guest_values),
		T(test_balloon_update_all_isolated_backs_off),
		T(test_oom_notify_host_killed_returns_without_deflating),
		T(test_resync_balloon_host_restarted_record_equals_list),
		T(test_host_restart_during_move_resyncs_before_actual),
		T(test_virtballoon_remove_host_gone_frees_every_page),
		T(test_virtballoon_remove_isolated_page_waited_for),
		T(test_virtballoon_remove_stopping_task_waits_for_isolated_page),
		T(test_migratepage_host_stopped_never_waits),
#undef T
	};

	return cmocka_run_group_tests_name("balloon_e2e", tests, NULL, NULL);
}
