// SPDX-License-Identifier: MIT
/*
 * flusher.c - the list of dirty mappings, the flusher task that writes
 * them back (background writeback above the background threshold,
 * requests from reclaim, a periodic pass, and flusher_sync()), and dirty
 * throttling of writers.
 *
 * Invariants and locking:
 *  - wb_lock (spinlock) protects b_dirty and every mapping's i_wb_list. A
 *    mapping with a dirty page is on b_dirty (set_page_dirty() adds it
 *    after tagging the page); the flusher removes it, under wb_lock and
 *    then its i_pages_lock, only when no page is tagged dirty, so a page
 *    dirtied concurrently keeps or re-adds it. A clean mapping may stay
 *    listed until the flusher next looks.
 *  - The flusher pins a mapping (i_count, under inode_lock nested in
 *    wb_lock) before writing it, so eviction cannot free it meanwhile;
 *    eviction takes the mapping off b_dirty under wb_lock before freeing.
 *  - Requests: nr_requested (atomic pages, ULONG_MAX for "everything"),
 *    flusher_pending (atomic) and flusher_wait (a completion) as kswapd's;
 *    the flusher also wakes every writeback_interval_ms for a periodic
 *    pass. flusher_sync() waiters are on flusher_sync_waiters (pass_sync).
 *  - Dirty throttling: a writer over the foreground threshold sleeps on
 *    dirty_throttle (bounded pauses of DIRTY_PAUSE_MS), woken after every
 *    submitted batch; without a flusher it writes back its own mapping.
 *    Thresholds are ratios of dirtyable memory (free + file pages - the
 *    high watermarks), recomputed at each check.
 *  - Lock order: wb_lock -> inode_lock -> i_pages_lock. The flusher
 *    allocates nothing.
 */
#include "internal.h"

#include <ballast/lib/testhook.h>

#include <errno.h>
#include <limits.h>

#define DIRTY_PAUSE_MS 200
#define MAX_WRITEBACK_PAGES 1024	/* per mapping per visit */
#define MAX_ROUNDS 64			/* per pass over b_dirty */

DEFINE_SPINLOCK(wb_lock);
static LIST_HEAD(b_dirty);			/* wb_lock */
static struct throttle_queue dirty_throttle;
static _Atomic(unsigned int) bg_ratio = 10, fg_ratio = 20;

static DEFINE_MUTEX(flusher_mutex);
static struct task *_Atomic flusher_task;
static struct completion flusher_wait;
static _Atomic(bool) flusher_pending, flusher_stopping;
static _Atomic(unsigned long) nr_requested;
static unsigned int interval_ms;		/* flusher_mutex; immutable
						 * while the flusher runs */
static DEFINE_PASS_SYNC(flusher_sync_waiters);

void mapping_mark_dirty(struct address_space *mapping)
{
	spin_lock(&wb_lock);
	if (list_empty(&mapping->i_wb_list))
		list_add_tail(&mapping->i_wb_list, &b_dirty);
	spin_unlock(&wb_lock);
}

void dirty_limits_set(unsigned int background_ratio, unsigned int ratio)
{
	atomic_store(&bg_ratio, background_ratio);
	atomic_store(&fg_ratio, ratio);
	throttle_queue_init(&dirty_throttle);
}

void dirty_throttle_wake(void)
{
	if (throttle_queue_active(&dirty_throttle))
		throttle_wake_all(&dirty_throttle);
}

void global_dirty_limits(unsigned long *background, unsigned long *dirty)
{
	long avail = global_zone_page_state(NR_FREE_PAGES) +
		     node_page_state(NR_FILE_PAGES);
	struct zone *zone;

	for_each_zone(zone)
		avail -= (long)high_wmark_pages(zone);
	if (avail < 0)
		avail = 0;
	*dirty = (unsigned long)avail * atomic_load(&fg_ratio) / 100;
	*background = (unsigned long)avail * atomic_load(&bg_ratio) / 100;
	if (*background >= *dirty)
		*background = *dirty / 2;
}

static unsigned long nr_dirty(void)
{
	long n = node_page_state(NR_FILE_DIRTY);

	return n > 0 ? (unsigned long)n : 0;
}

static unsigned long nr_dirty_and_writeback(void)
{
	long n = node_page_state(NR_FILE_DIRTY) + node_page_state(NR_WRITEBACK);

	return n > 0 ? (unsigned long)n : 0;
}

bool flusher_running(void)
{
	return atomic_load_explicit(&flusher_task, memory_order_acquire);
}

static void flusher_kick(void)
{
	if (!atomic_exchange(&flusher_pending, true))
		complete(&flusher_wait);
}

void wakeup_flusher_threads(unsigned long nr_pages)
{
	if (!flusher_running())
		return;
	if (!nr_pages)
		atomic_store(&nr_requested, ULONG_MAX);
	else if (atomic_load(&nr_requested) != ULONG_MAX)
		atomic_fetch_add(&nr_requested, nr_pages);
	flusher_kick();
}

void balance_dirty_pages_ratelimited(struct address_space *mapping)
{
	unsigned long bg, thresh, nr;

	might_sleep();
	for (;;) {
		global_dirty_limits(&bg, &thresh);
		nr = nr_dirty_and_writeback();
		if (nr > bg && flusher_running())
			flusher_kick();		/* background writeback */
		if (nr <= thresh)
			return;
		wb_count(throttled, 1);
		if (!flusher_running()) {
			/* Nobody else will: write some of our own pages. */
			struct writeback_control wbc = {
				.sync_mode = WB_SYNC_NONE,
				.nr_to_write = WB_BATCH_PAGES,
				.range_cyclic = true,
			};

			write_cache_pages(mapping, &wbc);
			if (!wbc.pages_written)
				return;		/* nothing of ours to write */
			continue;
		}
		throttle_wait(&dirty_throttle, DIRTY_PAUSE_MS);
	}
}

/* Write back one pinned mapping's next pages; returns pages written. */
static long writeback_one(struct address_space *m)
{
	struct writeback_control wbc = {
		.sync_mode = WB_SYNC_NONE,
		.nr_to_write = MAX_WRITEBACK_PAGES,
		.range_cyclic = true,
	};

	write_cache_pages(m, &wbc);
	spin_lock(&wb_lock);
	spin_lock(&m->i_pages_lock);
	if (!page_index_tagged(&m->i_pages, PAGECACHE_TAG_DIRTY) &&
	    !list_empty(&m->i_wb_list))
		list_del_init(&m->i_wb_list);
	spin_unlock(&m->i_pages_lock);
	spin_unlock(&wb_lock);
	return wbc.pages_written;
}

/*
 * One flusher pass: rounds over b_dirty until the work asked for is done
 * (everything, @budget pages, or dirty pages back under the background
 * threshold), or a round writes nothing.
 */
static void wb_do_writeback(bool all, unsigned long budget)
{
	wb_count(flusher_passes, 1);
	for (int round = 0; round < MAX_ROUNDS; round++) {
		unsigned long bg, thresh, n = 0;
		long progress = 0;
		struct list_head *pos;

		global_dirty_limits(&bg, &thresh);
		if (!all && !budget && nr_dirty() <= bg)
			return;
		spin_lock(&wb_lock);
		list_for_each(pos, &b_dirty)
			n++;
		spin_unlock(&wb_lock);
		for (unsigned long k = 0; k < n; k++) {
			struct address_space *m;
			bool pinned;
			long written;

			spin_lock(&wb_lock);
			if (list_empty(&b_dirty)) {
				spin_unlock(&wb_lock);
				break;
			}
			m = list_first_entry(&b_dirty, struct address_space,
					     i_wb_list);
			list_move_tail(&m->i_wb_list, &b_dirty);
			spin_lock(&inode_lock);
			pinned = mapping_try_pin_locked(m);
			spin_unlock(&inode_lock);
			spin_unlock(&wb_lock);
			if (!pinned)
				continue;
			written = writeback_one(m);
			mapping_unpin(m);
			progress += written;
			budget = budget > (unsigned long)written
					 ? budget - (unsigned long)written
					 : 0;
		}
		if (!progress)
			return;
	}
}

static int flusher_fn(void *arg)
{
	for (;;) {
		bool woken = wait_for_completion_timeout(&flusher_wait,
							 interval_ms);
		unsigned long req;
		bool synced, all;

		if (atomic_load(&flusher_stopping))
			break;
		atomic_store(&flusher_pending, false);
		synced = pass_sync_begin(&flusher_sync_waiters);
		req = atomic_exchange(&nr_requested, 0);
		all = !woken || req == ULONG_MAX || synced;
		wb_do_writeback(all, req);
		pass_sync_end(&flusher_sync_waiters, 0);
		/*
		 * Test builds: a pass is over; @all says whether it wrote
		 * everything. Runs in the flusher, holding nothing.
		 */
		TEST_HOOK("flusher.pass_done", &all);
		dirty_throttle_wake();
	}
	pass_sync_stop(&flusher_sync_waiters);
	return 0;
}

int flusher_start(unsigned int interval)
{
	struct task *t;
	int ret;

	mutex_lock(&flusher_mutex);
	if (flusher_running()) {
		mutex_unlock(&flusher_mutex);
		return -EBUSY;
	}
	interval_ms = interval;
	init_completion(&flusher_wait);
	atomic_store(&flusher_pending, false);
	atomic_store(&flusher_stopping, false);
	atomic_store(&nr_requested, 0);
	ret = task_create(&t, "flush-ballast", flusher_fn, NULL, PF_KTHREAD);
	if (!ret)
		atomic_store(&flusher_task, t);
	mutex_unlock(&flusher_mutex);
	return ret;
}

void flusher_stop(void)
{
	struct task *t;

	mutex_lock(&flusher_mutex);
	t = atomic_exchange(&flusher_task, NULL);
	if (t) {
		atomic_store(&flusher_stopping, true);
		complete(&flusher_wait);
		task_destroy(t);
	}
	mutex_unlock(&flusher_mutex);
	dirty_throttle_wake();
}

int flusher_sync(unsigned long timeout_ms)
{
	struct pass_waiter w;

	might_sleep();
	pass_waiter_init(&w);
	mutex_lock(&flusher_mutex);
	if (!flusher_running()) {
		mutex_unlock(&flusher_mutex);
		return -ENOENT;
	}
	pass_sync_queue(&flusher_sync_waiters, &w);
	flusher_kick();
	mutex_unlock(&flusher_mutex);
	return pass_sync_wait(&flusher_sync_waiters, &w, timeout_ms);
}
