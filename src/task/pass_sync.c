// SPDX-License-Identifier: MIT
/*
 * pass_sync.c - callers waiting for a worker's next whole pass
 * (struct pass_sync in task.h).
 *
 * Invariants and locking:
 *  - ps->lock (leaf spinlock) protects ps->queued, ps->taken and the list
 *    link of every waiter on them. A waiter is on queued from
 *    pass_sync_queue() until the worker's pass_sync_begin(), then on
 *    taken until pass_sync_end() or pass_sync_stop() unlinks and completes
 *    it, or until it times out and unlinks itself.
 *  - A waiter's result is written before its completion and read after
 *    it, so the completion orders it.
 */
#include <ballast/task.h>

#include <errno.h>

void pass_sync_queue(struct pass_sync *ps, struct pass_waiter *w)
{
	spin_lock(&ps->lock);
	list_add_tail(&w->list, &ps->queued);
	spin_unlock(&ps->lock);
}

int pass_sync_wait(struct pass_sync *ps, struct pass_waiter *w,
		   unsigned long timeout_ms)
{
	bool unlinked = false;

	might_sleep();
	if (!timeout_ms) {
		wait_for_completion(&w->done);
		return w->result;
	}
	if (wait_for_completion_timeout(&w->done, timeout_ms))
		return w->result;
	spin_lock(&ps->lock);
	if (!list_empty(&w->list)) {
		list_del_init(&w->list);
		unlinked = true;
	}
	spin_unlock(&ps->lock);
	if (unlinked)
		return -ETIMEDOUT;
	/* Completed between the timeout and the lock: collect it. */
	wait_for_completion(&w->done);
	return w->result;
}

bool pass_sync_begin(struct pass_sync *ps)
{
	bool any;

	spin_lock(&ps->lock);
	list_splice_init(&ps->queued, &ps->taken);
	any = !list_empty(&ps->taken);
	spin_unlock(&ps->lock);
	return any;
}

static void complete_list(struct list_head *list, int result)
{
	struct pass_waiter *w, *next;

	list_for_each_entry_safe(w, next, list, list) {
		list_del_init(&w->list);
		w->result = result;
		complete(&w->done);
	}
}

void pass_sync_end(struct pass_sync *ps, int result)
{
	spin_lock(&ps->lock);
	complete_list(&ps->taken, result);
	spin_unlock(&ps->lock);
}

void pass_sync_stop(struct pass_sync *ps)
{
	spin_lock(&ps->lock);
	complete_list(&ps->taken, -ENOENT);
	complete_list(&ps->queued, -ENOENT);
	spin_unlock(&ps->lock);
}
