// SPDX-License-Identifier: MIT
/*
 * throttle.c - throttle queues: bounded pauses that end early when
 * someone reports progress (reclaim waiting for writeback to end, writers
 * over the dirty limit waiting for the flusher).
 *
 * Invariants and locking:
 *  - A waiter lives on the waiting task's stack: a list link and a
 *    completion. It is on q->waiters from throttle_wait()'s start until the
 *    waker or the waiter itself takes it off, always under q->lock;
 *    nr_waiting counts listed waiters (atomic, for lockless "anyone?").
 *  - The waker completes each waiter while holding q->lock, and the
 *    waiter takes q->lock before returning, so a completion on a stack is
 *    never touched after its task has returned.
 *  - q->lock is a leaf: only complete() runs under it.
 *  - Waits are timed (a pause ends by itself), so the validator records
 *    no dependency for them, only the sleeping context.
 */
#include "internal.h"

struct throttle_waiter {
	struct list_head list;
	struct completion done;
};

static struct lock_class_key throttle_lock_key;

void throttle_queue_init(struct throttle_queue *q)
{
	spin_lock_init_key(&q->lock, "throttle_queue->lock",
			   &throttle_lock_key);
	INIT_LIST_HEAD(&q->waiters);
	atomic_init(&q->nr_waiting, 0);
	atomic_init(&q->nr_waits, 0);
}

bool throttle_wait(struct throttle_queue *q, unsigned long timeout_ms)
{
	struct throttle_waiter w;
	bool woken;

	might_sleep();
	init_completion(&w.done);
	spin_lock(&q->lock);
	list_add_tail(&w.list, &q->waiters);
	atomic_fetch_add_explicit(&q->nr_waiting, 1, memory_order_release);
	spin_unlock(&q->lock);
	atomic_fetch_add_explicit(&q->nr_waits, 1, memory_order_relaxed);

	woken = wait_for_completion_timeout(&w.done, timeout_ms);

	spin_lock(&q->lock);
	if (!list_empty(&w.list)) {
		list_del_init(&w.list);
		atomic_fetch_sub_explicit(&q->nr_waiting, 1,
					  memory_order_relaxed);
	} else {
		woken = true;	/* the waker took it off and completed it */
	}
	spin_unlock(&q->lock);
	return woken;
}

unsigned long throttle_wake_all(struct throttle_queue *q)
{
	struct throttle_waiter *w, *next;
	unsigned long n = 0;

	spin_lock(&q->lock);
	list_for_each_entry_safe(w, next, &q->waiters, list) {
		list_del_init(&w->list);
		atomic_fetch_sub_explicit(&q->nr_waiting, 1,
					  memory_order_relaxed);
		complete(&w->done);
		n++;
	}
	spin_unlock(&q->lock);
	return n;
}
