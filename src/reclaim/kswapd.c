// SPDX-License-Identifier: MIT
/*
 * kswapd.c - the node's background reclaim task: woken when an
 * allocation finds a zone below its low watermark, it reclaims until a
 * zone that the allocation can use is above its high watermark.
 *
 * Invariants and locking:
 *  - kswapd_task is written by kswapd_run()/kswapd_stop() (start-up and
 *    exit, serialised by kswapd_mutex) and read atomically by wakers.
 *  - A wake is a request: wakeup_kswapd() raises kswapd_order and
 *    kswapd_highest_zoneidx (atomic max) and, if no wake is pending
 *    (kswapd_pending, atomic), completes kswapd_wait. kswapd clears
 *    kswapd_pending before reading the request, so a request made after
 *    that point completes kswapd_wait again: no wake is lost and no wake
 *    storm accumulates.
 *  - kswapd_sync() waiters are on kswapd_sync_waiters (a pass_sync: a
 *    waiter sees a whole pass that started after its call).
 *  - Each pass runs inside fs_reclaim_acquire(GFP_KERNEL) with
 *    PF_MEMALLOC (set for the pass only: fs_reclaim_acquire() ignores
 *    PF_MEMALLOC tasks, so kswapd enters reclaim first, then sets it).
 *  - kswapd waits on kswapd_wait holding nothing; it may sleep in
 *    reclaim (throttle pauses, shrinkers, writepage I/O).
 *  - kswapd_failures (atomic): passes in a row that freed nothing; at
 *    MAX_RECLAIM_PASSES wakes are ignored until direct reclaim frees
 *    something (Linux's hopeless node).
 */
#include "internal.h"

#include <errno.h>

#define MAX_RECLAIM_PASSES 16

static DEFINE_MUTEX(kswapd_mutex);
static struct task *_Atomic kswapd_task;
static struct completion kswapd_wait;
static _Atomic(bool) kswapd_pending;
static _Atomic(bool) kswapd_stopping;
static _Atomic(unsigned int) kswapd_order;
static _Atomic(int) kswapd_highest_zoneidx = -1;
static DEFINE_PASS_SYNC(kswapd_sync_waiters);

bool current_is_kswapd(void)
{
	return task_flags(current) & PF_KSWAPD;
}

static void kswapd_kick(void)
{
	if (!atomic_exchange(&kswapd_pending, true))
		complete(&kswapd_wait);
}

static void clear_dirty_flags(void)
{
	struct lruvec *lruvec;

	for_each_reclaim_lruvec(lruvec, NULL)
		atomic_fetch_and(&lruvec->flags, ~LRUVEC_DIRTY);
}

/* One pass: reclaim until balanced at @order, as Linux's balance_pgdat. */
static void balance_pgdat(unsigned int order, enum zone_type highest_zoneidx)
{
	struct scan_control sc = {
		.gfp_mask = GFP_KERNEL,
		.order = order,
		.reclaim_idx = highest_zoneidx,
		.priority = DEF_PRIORITY,
		.may_writepage = true,
		.may_unmap = true,
		.is_kswapd = true,
	};
	unsigned int noreclaim;

	count_vm_event(PAGEOUTRUN);
	reclaim_count(kswapd_runs, 1);
	fs_reclaim_acquire(GFP_KERNEL);
	noreclaim = memalloc_noreclaim_save();
	do {
		unsigned long before = sc.nr_reclaimed;

		if (pgdat_balanced(order, highest_zoneidx))
			break;
		sc.nr_to_reclaim = 0;
		for (int z = 0; z <= (int)highest_zoneidx; z++)
			sc.nr_to_reclaim += max(high_wmark_pages(
				&contig_page_data.node_zones[z]),
				SWAP_CLUSTER_MAX);
		sc.nr_to_reclaim += sc.nr_reclaimed;
		shrink_node(&sc);
		if (atomic_load(&kswapd_stopping))
			break;
		/* Not enough at this priority: look deeper next time. */
		if (sc.nr_reclaimed - before < SWAP_CLUSTER_MAX)
			sc.priority--;
	} while (sc.priority >= 1);
	if (pgdat_balanced(order, highest_zoneidx)) {
		clear_dirty_flags();
		atomic_store(&kswapd_failures, 0);
	} else if (!sc.nr_reclaimed) {
		atomic_fetch_add(&kswapd_failures, 1);
	}
	memalloc_noreclaim_restore(noreclaim);
	fs_reclaim_release(GFP_KERNEL);
}

static int kswapd_fn(void *arg)
{
	for (;;) {
		unsigned int order;
		int idx;

		wait_for_completion_idle(&kswapd_wait);
		if (atomic_load(&kswapd_stopping))
			break;
		atomic_store(&kswapd_pending, false);
		pass_sync_begin(&kswapd_sync_waiters);
		order = atomic_exchange(&kswapd_order, 0);
		idx = atomic_exchange(&kswapd_highest_zoneidx, -1);
		if (idx < 0)
			idx = MAX_NR_ZONES - 1;
		balance_pgdat(order, (enum zone_type)idx);
		pass_sync_end(&kswapd_sync_waiters, 0);
	}
	pass_sync_stop(&kswapd_sync_waiters);
	return 0;
}

int kswapd_run(void)
{
	struct task *t;
	int ret;

	mutex_lock(&kswapd_mutex);
	if (atomic_load(&kswapd_task)) {
		mutex_unlock(&kswapd_mutex);
		return -EBUSY;
	}
	init_completion(&kswapd_wait);
	atomic_store(&kswapd_pending, false);
	atomic_store(&kswapd_stopping, false);
	ret = task_create(&t, "kswapd0", kswapd_fn, NULL,
			  PF_KSWAPD | PF_KTHREAD);
	if (!ret)
		atomic_store(&kswapd_task, t);
	mutex_unlock(&kswapd_mutex);
	return ret;
}

void kswapd_stop(void)
{
	struct task *t;

	mutex_lock(&kswapd_mutex);
	t = atomic_exchange(&kswapd_task, NULL);
	if (t) {
		atomic_store(&kswapd_stopping, true);
		complete(&kswapd_wait);
		task_destroy(t);
	}
	mutex_unlock(&kswapd_mutex);
}

static void atomic_max_uint(_Atomic(unsigned int) *v, unsigned int x)
{
	unsigned int old = atomic_load(v);

	while (old < x && !atomic_compare_exchange_weak(v, &old, x))
		;
}

static void atomic_max_int(_Atomic(int) *v, int x)
{
	int old = atomic_load(v);

	while (old < x && !atomic_compare_exchange_weak(v, &old, x))
		;
}

void wakeup_kswapd(struct zone *zone, gfp_t gfp, unsigned int order,
		   enum zone_type highest_zoneidx)
{
	if (!atomic_load_explicit(&kswapd_task, memory_order_acquire))
		return;
	/* Hopeless node: leave it to direct reclaim until it progresses. */
	if (atomic_load(&kswapd_failures) >= MAX_RECLAIM_PASSES)
		return;
	if (pgdat_balanced(order, highest_zoneidx))
		return;
	atomic_max_uint(&kswapd_order, order);
	atomic_max_int(&kswapd_highest_zoneidx, (int)highest_zoneidx);
	if (!atomic_exchange(&kswapd_pending, true)) {
		reclaim_count(kswapd_wakeups, 1);
		complete(&kswapd_wait);
	}
}

int kswapd_sync(unsigned long timeout_ms)
{
	struct pass_waiter w;

	might_sleep();
	pass_waiter_init(&w);
	mutex_lock(&kswapd_mutex);
	if (!atomic_load(&kswapd_task)) {
		mutex_unlock(&kswapd_mutex);
		return -ENOENT;
	}
	pass_sync_queue(&kswapd_sync_waiters, &w);
	kswapd_kick();
	mutex_unlock(&kswapd_mutex);
	return pass_sync_wait(&kswapd_sync_waiters, &w, timeout_ms);
}
