// SPDX-License-Identifier: MIT
/*
 * oom_kill.c - the OOM killer: victim selection by badness, the kill, and
 * the OOM reaper task that frees a victim's private memory without
 * waiting for the victim to exit (Linux's mm/oom_kill.c).
 *
 * Invariants and locking:
 *  - Selection runs with oom_lock held (the allocator's, or memcg's, only
 *    ever trylocked) and walks the task list under tasklist_lock: the
 *    callbacks it makes there (oom ops task_pages, memcg ops
 *    task_in_memcg) never sleep. The chosen task is pinned with
 *    task_get() before tasklist_lock is dropped.
 *  - A victim is, in order: killed (task_kill(): PF_SIGKILL and
 *    PF_OOM_VICTIM, so its allocations stop looping), its address space
 *    pinned (oom ops victim_pin), queued for the reaper. Until the reaper
 *    has released the pin (victim_unpin marks the address space reaped),
 *    task_pages reports the victim ELIGIBLE and selection aborts: no
 *    second victim while the first one's memory is on its way back (as
 *    Linux's tsk_is_oom_victim() check). Once reaped it reports REAPED and
 *    is skipped, so a victim that cannot free anything does not block
 *    the next OOM forever.
 *  - A victim that exits drops task->mm before its teardown frees the
 *    memory, and a task gone from the list is not seen at all; so,
 *    besides the per-task check, selection also aborts while any victim
 *    is queued for the reaper or being reaped (nr_in_flight): Linux keeps
 *    the victim's mm in signal->oom_mm for this; ballast's reclaim layer
 *    does not see address spaces. The reaper empties it in bounded time
 *    (OOM_REAP_RETRIES), so a memcg OOM may wait for another group's
 *    victim for that long, never longer.
 *  - The reaper queue is a ring of OOM_MAX_QUEUED slots under
 *    oom_reaper_lock (a leaf spinlock): the killer runs when memory is
 *    exhausted and allocates nothing. Each slot owns one task reference
 *    and one pin. A full ring (victims faster than the reaper) unpins the
 *    new victim at once, unreaped; it still dies and frees on exit.
 *  - The reaper task waits on reaper_wait holding nothing (an idle wait:
 *    the hung-task watchdog ignores it); a wake is a request
 *    (reaper_pending, atomic) as kswapd's. oom_reaper_sync()
 *    waiters are on reaper_sync_waiters (a pass_sync), completed after a
 *    pass that found the ring empty.
 *  - The reaper's reap callback may sleep (it takes the victim's
 *    mmap_lock with a trylock and frees pages) but never allocates; when
 *    the lock is busy it retries after OOM_REAP_RETRY_MS, at most
 *    OOM_REAP_RETRIES times, then gives up (releases the pin).
 *  - Counters (oom_counters) are atomics; OOM_KILL is the vmstat event.
 * Lock order: oom_lock -> tasklist_lock -> (vm, memcg leaf locks);
 * oom_lock -> oom_reaper_lock.
 */
#include "internal.h"

#include <ballast/lib/testhook.h>

#include <errno.h>
#include <limits.h>
#include <string.h>

#define OOM_MAX_QUEUED 16
#define OOM_REAP_RETRIES 10
#define OOM_REAP_RETRY_MS 10

struct oom_victim {
	struct task *task;	/* reference owned by the slot */
	void *pin;		/* the vm layer's pin on its address space */
};

static DEFINE_SPINLOCK(oom_reaper_lock);
static struct oom_victim ring[OOM_MAX_QUEUED];	/* oom_reaper_lock */
static unsigned int ring_head, ring_nr;		/* oom_reaper_lock */
static unsigned int nr_in_flight;	/* queued + being reaped: oom_reaper_lock */
static DEFINE_PASS_SYNC(reaper_sync_waiters);
static struct task *_Atomic reaper_task;
static struct completion reaper_wait;
static _Atomic(bool) reaper_pending, reaper_stopping;
static DEFINE_MUTEX(oom_killer_mutex);		/* init/exit/sync */

static struct {
	_Atomic(unsigned long) kills, memcg_kills, waits, no_victim, reaped,
		reap_retries;
} oom_counters;

#define oom_count(field) \
	atomic_fetch_add_explicit(&oom_counters.field, 1, memory_order_relaxed)

void oom_get_stats(struct oom_stats *s)
{
#define GET(f) s->f = atomic_load_explicit(&oom_counters.f, \
					    memory_order_relaxed)
	GET(kills);
	GET(memcg_kills);
	GET(waits);
	GET(no_victim);
	GET(reaped);
	GET(reap_retries);
#undef GET
}

/* ------------------------------------------------------------------ */
/* Selection                                                             */
/* ------------------------------------------------------------------ */

struct oom_select {
	struct oom_control *oc;
	const struct reclaim_oom_ops *ops;
	const struct reclaim_memcg_ops *mops;
	long totalpages;
	struct task *chosen;		/* a reference, or NULL */
	long chosen_points;
	unsigned long chosen_pages;
	bool abort;			/* an earlier victim is still dying */
};

/* Linux's oom_badness(): pages held, adjusted by oom_score_adj. */
static long oom_badness(unsigned long pages, int adj, long totalpages)
{
	return (long)pages + (long)adj * (totalpages / 1000);
}

/* Under tasklist_lock: never sleeps. Returns 1 to stop the walk. */
static int oom_evaluate_task(struct task *t, void *arg)
{
	struct oom_select *sel = arg;
	enum oom_task_state state;
	unsigned long pages = 0;
	unsigned int flags = task_flags(t);
	int adj;
	long points;

	if (t->kthread)
		return 0;
	if (sel->oc->memcg &&
	    (!sel->mops || !sel->mops->task_in_memcg ||
	     !sel->mops->task_in_memcg(t, sel->oc->memcg)))
		return 0;
	state = sel->ops->task_pages(t, &pages);
	if (state != OOM_TASK_ELIGIBLE)
		return 0;		/* no address space, or already reaped */
	/*
	 * A victim whose memory is not back yet, or a task on its way out:
	 * memory is coming; do not kill another.
	 */
	if (flags & (PF_OOM_VICTIM | PF_EXITING)) {
		sel->abort = true;
		return 1;
	}
	adj = atomic_load_explicit(&t->oom_score_adj, memory_order_relaxed);
	if (adj <= OOM_SCORE_ADJ_MIN)
		return 0;
	points = oom_badness(pages, adj, sel->totalpages);
	if (sel->chosen && points <= sel->chosen_points)
		return 0;
	task_get(t);
	if (sel->chosen)
		task_put(sel->chosen);	/* listed: not the last reference */
	sel->chosen = t;
	sel->chosen_points = points;
	sel->chosen_pages = pages;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Kill and queue                                                        */
/* ------------------------------------------------------------------ */

static void reaper_kick(void)
{
	if (!atomic_exchange(&reaper_pending, true))
		complete(&reaper_wait);
}

/* Hand @task (our reference) and @pin to the reaper. */
static void queue_victim(const struct reclaim_oom_ops *ops, struct task *task,
			 void *pin)
{
	bool queued = false;

	spin_lock(&oom_reaper_lock);
	if (pin && ring_nr < OOM_MAX_QUEUED &&
	    atomic_load_explicit(&reaper_task, memory_order_acquire)) {
		ring[(ring_head + ring_nr) % OOM_MAX_QUEUED] =
			(struct oom_victim){ task, pin };
		ring_nr++;
		nr_in_flight++;
		queued = true;
	}
	spin_unlock(&oom_reaper_lock);
	if (queued) {
		reaper_kick();
		return;
	}
	/* No reaper slot: it frees its memory when it exits. */
	if (pin)
		ops->victim_unpin(pin);
	task_put(task);
}

/* A queued victim's pin is released: its memory is back or never will be. */
static void victim_done(void)
{
	spin_lock(&oom_reaper_lock);
	nr_in_flight--;
	spin_unlock(&oom_reaper_lock);
}

static bool victims_in_flight(void)
{
	bool busy;

	spin_lock(&oom_reaper_lock);
	busy = nr_in_flight;
	spin_unlock(&oom_reaper_lock);
	return busy;
}

struct sharers {
	const struct reclaim_oom_ops *ops;
	struct task *victim;
	void *pin;
};

/* Under tasklist_lock: kill the tasks that share the victim's memory. */
static int kill_sharer(struct task *t, void *arg)
{
	struct sharers *s = arg;

	if (t != s->victim && !t->kthread && s->ops->task_uses &&
	    s->ops->task_uses(t, s->pin))
		task_kill(t, true);
	return 0;
}

static void oom_kill_task(const struct reclaim_oom_ops *ops,
			  const struct reclaim_memcg_ops *mops,
			  struct oom_control *oc, struct task *victim,
			  unsigned long pages)
{
	void *pin = ops->victim_pin(victim);
	struct sharers s = { ops, victim, pin };

	task_kill(victim, true);
	/* Its memory is about to go: nobody may keep using it. */
	if (pin)
		task_for_each(kill_sharer, &s);
	count_vm_event(OOM_KILL);
	oom_count(kills);
	if (oc->memcg)
		oom_count(memcg_kills);
	if (mops && mops->oom_kill_event)
		mops->oom_kill_event(victim);
	pr_warn("Out of memory%s: killed task %d (%s), %lu pages, "
		"oom_score_adj %d", oc->memcg ? " (memcg)" : "", victim->pid,
		victim->comm, pages,
		atomic_load_explicit(&victim->oom_score_adj,
				     memory_order_relaxed));
	queue_victim(ops, victim, pin);
}

bool oom_kill_victim(struct oom_control *oc)
{
	const struct reclaim_oom_ops *ops = reclaim_oom_ops();
	struct oom_select sel = {
		.oc = oc,
		.ops = ops,
		.mops = reclaim_memcg_ops(),
		.chosen_points = LONG_MIN,
	};
	struct task *self = current;

	lockdep_assert_held(&oom_lock);
	if (!ops)
		return false;
	sel.totalpages = oc->totalpages ? (long)oc->totalpages
					: (long)totalram_pages();
	/*
	 * A task already killed that allocates on its way out: make it the
	 * victim (its allocations then stop retrying) rather than kill
	 * someone else (Linux's task_will_free_mem(current)).
	 */
	if (fatal_signal_pending(self) && !(task_flags(self) & PF_OOM_VICTIM)) {
		unsigned long pages;

		if (ops->task_pages(self, &pages) == OOM_TASK_ELIGIBLE) {
			task_get(self);
			oom_kill_task(ops, sel.mops, oc, self, pages);
			return true;
		}
	}
	if (victims_in_flight()) {
		/* oom_lock held: the hook may not sleep. */
		TEST_HOOK("oom_kill.wait_in_flight", NULL);
		oom_count(waits);
		return true;
	}
	task_for_each(oom_evaluate_task, &sel);
	if (sel.abort) {
		if (sel.chosen)
			task_put(sel.chosen);
		oom_count(waits);
		return true;
	}
	if (!sel.chosen) {
		oom_count(no_victim);
		return false;
	}
	oc->chosen = sel.chosen;
	oc->chosen_points = sel.chosen_points;
	oom_kill_task(ops, sel.mops, oc, sel.chosen, sel.chosen_pages);
	return true;
}

/* ------------------------------------------------------------------ */
/* The reaper                                                            */
/* ------------------------------------------------------------------ */

static bool ring_pop(struct oom_victim *v)
{
	bool got = false;

	spin_lock(&oom_reaper_lock);
	if (ring_nr) {
		*v = ring[ring_head];
		ring_head = (ring_head + 1) % OOM_MAX_QUEUED;
		ring_nr--;
		got = true;
	}
	spin_unlock(&oom_reaper_lock);
	return got;
}

static void oom_reap_one(const struct reclaim_oom_ops *ops,
			 struct oom_victim *v)
{
	/* The reaper, holding nothing: the hook may sleep. */
	TEST_HOOK("oom_reaper.reap", v->task);
	for (int attempt = 0; attempt < OOM_REAP_RETRIES; attempt++) {
		if (ops->reap(v->pin))
			break;
		/* The victim holds its mmap_lock: give it a moment. */
		oom_count(reap_retries);
		task_sleep_ms(OOM_REAP_RETRY_MS);
	}
	ops->victim_unpin(v->pin);
	task_put(v->task);
	oom_count(reaped);
	victim_done();
}

static int oom_reaper_fn(void *arg)
{
	const struct reclaim_oom_ops *ops;
	struct oom_victim v;

	for (;;) {
		/* Waiting for work, not for something: not a hang. */
		wait_for_completion_idle(&reaper_wait);
		if (atomic_load(&reaper_stopping))
			break;
		atomic_store(&reaper_pending, false);
		pass_sync_begin(&reaper_sync_waiters);
		while (ring_pop(&v)) {
			ops = reclaim_oom_ops();
			if (ops) {
				oom_reap_one(ops, &v);
			} else {
				task_put(v.task);	/* vm left: nothing to reap */
				victim_done();
			}
		}
		pass_sync_end(&reaper_sync_waiters, 0);
	}
	/* Stopping: release what is left, unreaped. */
	while (ring_pop(&v)) {
		ops = reclaim_oom_ops();
		if (ops)
			ops->victim_unpin(v.pin);
		task_put(v.task);
		victim_done();
	}
	pass_sync_stop(&reaper_sync_waiters);
	return 0;
}

static const struct alloc_hooks oom_alloc_hooks = {
	.oom_kill = oom_kill_victim,
};

int oom_killer_init(void)
{
	struct task *t;
	int ret;

	mutex_lock(&oom_killer_mutex);
	if (atomic_load(&reaper_task)) {
		mutex_unlock(&oom_killer_mutex);
		return -EBUSY;
	}
	init_completion(&reaper_wait);
	atomic_store(&reaper_pending, false);
	atomic_store(&reaper_stopping, false);
	ring_head = ring_nr = 0;
	memset(&oom_counters, 0, sizeof(oom_counters));
	ret = task_create(&t, "oom_reaper", oom_reaper_fn, NULL, PF_KTHREAD);
	if (!ret) {
		atomic_store_explicit(&reaper_task, t, memory_order_release);
		alloc_set_hooks(&oom_alloc_hooks);
	}
	mutex_unlock(&oom_killer_mutex);
	return ret;
}

void oom_killer_exit(void)
{
	struct task *t;

	mutex_lock(&oom_killer_mutex);
	alloc_clear_hooks(&oom_alloc_hooks);
	spin_lock(&oom_reaper_lock);
	t = atomic_exchange(&reaper_task, NULL);
	spin_unlock(&oom_reaper_lock);
	if (t) {
		atomic_store(&reaper_stopping, true);
		complete(&reaper_wait);
		task_destroy(t);
	}
	mutex_unlock(&oom_killer_mutex);
}

int oom_reaper_sync(unsigned long timeout_ms)
{
	struct pass_waiter w;

	might_sleep();
	pass_waiter_init(&w);
	mutex_lock(&oom_killer_mutex);
	if (!atomic_load(&reaper_task)) {
		mutex_unlock(&oom_killer_mutex);
		return -ENOENT;
	}
	pass_sync_queue(&reaper_sync_waiters, &w);
	reaper_kick();
	mutex_unlock(&oom_killer_mutex);
	return pass_sync_wait(&reaper_sync_waiters, &w, timeout_ms);
}
