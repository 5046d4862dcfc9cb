// SPDX-License-Identifier: MIT
/*
 * task.h - the calling thread's context, `current` (layer 2): its flags,
 * its memalloc scopes, its memcg and address space, and the one API that
 * starts kernel-style threads (kswapd, workers) and workload threads.
 *
 * Rules for users:
 *  1. Every thread that uses ballast has a struct task. Threads started
 *     with task_create() get one before their function runs; any other
 *     thread (main, a test runner's thread) is adopted on its first use of
 *     `current` and released when it exits.
 *  2. A task's flags are written only by the task itself (scopes, PF_*),
 *     and read by others (OOM, hung-task reports) atomically. The one
 *     exception is task_kill() (the OOM killer), which sets PF_SIGKILL and
 *     PF_OOM_VICTIM on another task; every flag update is therefore an
 *     atomic read-modify-write, so no update is lost.
 *  3. memalloc_*_save() returns the previous state; pass it to the matching
 *     restore in the same function, innermost first. Say in a comment why
 *     the scope is needed.
 *  4. current_gfp_context() is applied by the allocator at its entry, to
 *     every allocation; nobody else needs to call it.
 *  5. A thread started with task_create() checks task_should_stop() in its
 *     loop; task_destroy() asks it to stop, waits for it and frees it.
 *  6. A workload loop also checks fatal_signal_pending(current): a killed
 *     task (task_kill(), the OOM killer) stops its work and returns. When
 *     any task's thread ends, the exit hooks that upper layers registered
 *     (task_register_exit_hook(): vm tears down the address space, memcg
 *     detaches the task) run in that thread, in registration order.
 */
#ifndef BALLAST_TASK_H
#define BALLAST_TASK_H

#include <stdatomic.h>
#include <pthread.h>
#include <ballast/gfp.h>
#include <ballast/lib/list.h>
#include <ballast/lockdep.h>

#define TASK_COMM_LEN 16

/* Task flags (Linux's names; values are ballast's own). */
#define PF_EXITING		0x00000004u	/* getting shut down */
#define PF_MEMALLOC		0x00000800u	/* in reclaim: use reserves, no recursion */
#define PF_KSWAPD		0x00020000u	/* I am kswapd */
#define PF_MEMALLOC_NOFS	0x00040000u	/* all allocations inherit GFP_NOFS */
#define PF_MEMALLOC_NOIO	0x00080000u	/* all allocations inherit GFP_NOIO */
#define PF_MEMALLOC_NORECLAIM	0x00100000u	/* all allocations lose __GFP_DIRECT_RECLAIM */
#define PF_KTHREAD		0x00200000u	/* kernel-style thread */
#define PF_OOM_VICTIM		0x00400000u	/* chosen by the OOM killer */
#define PF_SIGKILL		0x00800000u	/* a fatal kill is pending
						 * (task_kill(); rule 6) */

#define OOM_SCORE_ADJ_MIN (-1000)
#define OOM_SCORE_ADJ_MAX 1000

struct mm_struct;
struct mem_cgroup;

typedef int (*task_fn)(void *arg);

/*
 * struct task - one thread's ballast context.
 *
 * comm, pid, kthread: immutable after creation. flags: atomic RMWs,
 * written by the task itself, except task_kill()'s (rule 2). mm, memcg: written by the task itself or
 * before it starts; their layers say how others read them. oom_score_adj:
 * atomic. should_stop: atomic. tasks: tasklist_lock. refcount: atomic.
 * stop_req, exited: completions (their own locking).
 */
struct task {
	char comm[TASK_COMM_LEN];
	int pid;
	bool kthread;
	_Atomic(unsigned int) flags;
	_Atomic(int) oom_score_adj;
	struct mm_struct *mm;
	struct mem_cgroup *memcg;
	_Atomic(bool) should_stop;
	_Atomic(int) refcount;
	struct list_head tasks;
	struct completion stop_req;	/* completed by task_destroy() */
	struct completion exited;	/* completed when fn returned */
	/* thread management: immutable after creation, or owner only */
	pthread_t thread;
	task_fn fn;
	void *arg;
	int exit_code;
	bool adopted;
};

/**
 * get_current() - the calling thread's task, adopting the thread if it has
 * none yet (rule 1). Use the `current` macro.
 *
 * Context: no locks needed; never sleeps; may allocate from the C heap on
 * first use in a thread (never from ballast's allocator); no reclaim.
 * Return: the calling thread's task, never NULL (a thread that cannot be
 * given one is a fatal error).
 */
struct task *get_current(void);
#define current get_current()

/**
 * task_create() - start a thread running @fn(@arg) with its own task.
 * @taskp: receives the task on success; it stays valid until
 *	   task_destroy().
 * @name: thread name (truncated to 15 characters).
 * @flags: initial PF_* flags of the new task (PF_KTHREAD for kernel-style
 *	   threads).
 *
 * Context: no locks required; may sleep; allocates the task from the C
 * heap, never from ballast's allocator; no reclaim.
 * Return: 0, or -EAGAIN/-ENOMEM if the thread cannot be started.
 */
int __must_check task_create(struct task **taskp, const char *name, task_fn fn,
			     void *arg, unsigned int flags);

/**
 * task_destroy() - ask a task made by task_create() to stop, wait for its
 * function to return, and free it.
 *
 * Context: caller holds no lock the task may need to finish; may sleep;
 * no allocation; no reclaim (the task itself may reclaim meanwhile).
 * Return: the value @fn returned; -EINVAL (reported as misuse) for a
 * task not made by task_create(), or the caller itself.
 */
int task_destroy(struct task *task);

/**
 * task_should_stop() - has task_destroy() been called on the current task?
 * Context: any; no locks (atomic); never sleeps; no allocation; no
 * reclaim.
 * Return: true once task_destroy() asked the current task to stop.
 */
bool task_should_stop(void);

/**
 * task_get() / task_put() - pin a task found through task_for_each() past
 * the iteration. Context: any; no locks (atomic); never sleep; no
 * allocation (task_put() frees the last reference to the C heap); no
 * reclaim.
 */
void task_get(struct task *task);
void task_put(struct task *task);

/**
 * task_for_each() - call @fn on every live task, under tasklist_lock;
 * stop early if @fn returns non-zero.
 *
 * Context: takes tasklist_lock (a spinlock) around the walk; @fn runs with
 * it held, so it must not sleep or allocate with direct reclaim; take a
 * reference with task_get() to keep a task beyond the call. Never sleeps;
 * no allocation; no reclaim.
 * Return: the first non-zero value @fn returned, or 0.
 */
int task_for_each(int (*fn)(struct task *task, void *arg), void *arg);

/**
 * task_nr() - number of live tasks.
 * Context: takes tasklist_lock (a spinlock), so not from a task_for_each()
 * callback; never sleeps; no allocation; no reclaim.
 * Return: the number of tasks on the task list.
 */
size_t task_nr(void);

/*
 * task_flags() reads any live task's flags; current_set_flags() and
 * current_clear_flags() change the current task's (rule 2).
 * Context: any; atomic, no locks; never sleep; no allocation (beyond
 * `current`'s adoption of a new thread, see get_current()).
 */
static inline unsigned int task_flags(const struct task *task)
{
	return atomic_load_explicit(&((struct task *)task)->flags,
				    memory_order_relaxed);
}

/*
 * Set and clear flags of the *current* task (rule 2). Atomic RMWs: the
 * OOM killer may set PF_SIGKILL / PF_OOM_VICTIM at the same time.
 */
static inline void current_set_flags(unsigned int flags)
{
	atomic_fetch_or_explicit(&current->flags, flags, memory_order_relaxed);
}

static inline void current_clear_flags(unsigned int flags)
{
	atomic_fetch_and_explicit(&current->flags, ~flags,
				  memory_order_relaxed);
}

/**
 * fatal_signal_pending() - has @task been killed (task_kill())?
 * @task: any live task.
 *
 * Context: no locks; never sleeps; no allocation; no reclaim, callable
 * from anywhere.
 * Return: true once task_kill() was called on @task (it never clears).
 */
static inline bool fatal_signal_pending(const struct task *task)
{
	return task_flags(task) & PF_SIGKILL;
}

/**
 * task_kill() - kill @task: set PF_SIGKILL (and PF_OOM_VICTIM if
 * @oom_victim) and wake it from task_sleep_ms(). The task notices with
 * fatal_signal_pending() and returns from its function (rule 6); its exit
 * hooks then free what it held.
 * @task: a live task the caller holds a reference on (task_get(), or
 *	  under tasklist_lock).
 * @oom_victim: also mark it as an OOM victim, whose allocations may dip
 *		into the OOM reserve and then fail rather than loop.
 *
 * Context: any locks (only atomics and complete_all()); never sleeps; no
 * allocation; no reclaim, callable from the OOM killer.
 */
void task_kill(struct task *task, bool oom_victim);

/*
 * task_exit_fn - called in an ending task's own thread (current == @task)
 * after its function returned (task_create() tasks) or when an adopted
 * thread exits. May sleep and take locks; holds none when called.
 */
typedef void (*task_exit_fn)(struct task *task);

#define TASK_MAX_EXIT_HOOKS 4

/**
 * task_register_exit_hook() / task_unregister_exit_hook() - add or remove
 * a function every ending task calls (rule 6): the upward hook through
 * which vm and memcg free a task's address space and charge on exit.
 *
 * Context: layer start-up and exit, while no task is ending; takes the
 * exit-hook table's leaf spinlock; never sleeps; no allocation; no
 * reclaim.
 * Return (register): 0, or -EBUSY if TASK_MAX_EXIT_HOOKS are registered.
 */
int __must_check task_register_exit_hook(task_exit_fn fn);
void task_unregister_exit_hook(task_exit_fn fn);

/*
 * Scopes. Each save returns the previous state of its flag; restore puts
 * it back, so scopes nest.
 *
 * Context (every save and restore below): current task only, restored in
 * the function that saved (rule 3); no locks; never sleep; no allocation
 * (beyond `current`'s adoption of a new thread, see get_current()); no
 * reclaim.
 */
static inline unsigned int memalloc_flags_save(unsigned int flags)
{
	unsigned int old = task_flags(current) & flags;

	current_set_flags(flags);
	return old;
}

static inline void memalloc_flags_restore(unsigned int flags,
					  unsigned int mask)
{
	current_clear_flags(mask & ~flags);
}

/**
 * memalloc_noio_save() - every allocation until the matching restore
 * behaves as GFP_NOIO: reclaim started by it does no I/O (and no fs
 * calls). memalloc_noio_restore() ends the scope.
 *
 * Context: as every scope function (above): current task only; no locks;
 * never sleeps; no allocation; no reclaim.
 */
static inline unsigned int memalloc_noio_save(void)
{
	return memalloc_flags_save(PF_MEMALLOC_NOIO);
}
static inline void memalloc_noio_restore(unsigned int flags)
{
	memalloc_flags_restore(flags, PF_MEMALLOC_NOIO);
}

/** memalloc_nofs_save() - as memalloc_noio_save(), for GFP_NOFS. */
static inline unsigned int memalloc_nofs_save(void)
{
	return memalloc_flags_save(PF_MEMALLOC_NOFS);
}
static inline void memalloc_nofs_restore(unsigned int flags)
{
	memalloc_flags_restore(flags, PF_MEMALLOC_NOFS);
}

/**
 * memalloc_noreclaim_save() - set PF_MEMALLOC, as Linux does: the task is
 * reclaiming; its allocations may use reserves and never recurse into
 * reclaim. memalloc_noreclaim_restore() ends it.
 */
static inline unsigned int memalloc_noreclaim_save(void)
{
	return memalloc_flags_save(PF_MEMALLOC);
}
static inline void memalloc_noreclaim_restore(unsigned int flags)
{
	memalloc_flags_restore(flags, PF_MEMALLOC);
}

/**
 * memalloc_nodirect_save() - set PF_MEMALLOC_NORECLAIM: every allocation
 * until the restore loses __GFP_DIRECT_RECLAIM (it may wake kswapd, but
 * never sleeps in reclaim).
 */
static inline unsigned int memalloc_nodirect_save(void)
{
	return memalloc_flags_save(PF_MEMALLOC_NORECLAIM);
}
static inline void memalloc_nodirect_restore(unsigned int flags)
{
	memalloc_flags_restore(flags, PF_MEMALLOC_NORECLAIM);
}

/**
 * current_gfp_context() - @flags with the current task's scopes applied:
 * NOIO clears __GFP_IO and __GFP_FS, NOFS clears __GFP_FS, NORECLAIM
 * clears __GFP_DIRECT_RECLAIM.
 *
 * Context: current task; no locks; never sleeps; no allocation (beyond
 * get_current()'s adoption); no reclaim.
 * Return: @flags less the bits the scopes forbid.
 */
static inline gfp_t current_gfp_context(gfp_t flags)
{
	unsigned int pflags = task_flags(current);

	if (unlikely(pflags & (PF_MEMALLOC_NOIO | PF_MEMALLOC_NOFS |
			       PF_MEMALLOC_NORECLAIM))) {
		if (pflags & PF_MEMALLOC_NOIO)
			flags &= ~(__GFP_IO | __GFP_FS);
		else if (pflags & PF_MEMALLOC_NOFS)
			flags &= ~__GFP_FS;
		if (pflags & PF_MEMALLOC_NORECLAIM)
			flags &= ~__GFP_DIRECT_RECLAIM;
	}
	return flags;
}

/**
 * memalloc_retry_wait() - the one helper for allocation retry loops:
 * sleep briefly (1 ms) so reclaim, writeback or an OOM victim can make
 * progress. It sleeps even in a task asked to stop or killed, unlike
 * task_sleep_ms(): a retry loop must not turn into a spin.
 * @gfp: the mask of the failed allocation (only blocking masks sleep).
 *
 * Context: caller holds no spinlock when @gfp allows blocking; may sleep
 * (only then); no allocation; no reclaim.
 */
void memalloc_retry_wait(gfp_t gfp);

/**
 * task_sleep_ms() - sleep for @ms milliseconds, or until task_destroy() or
 * task_kill() is called on the current task (created or adopted): then it
 * returns at once, now and on every later call.
 *
 * Context: caller holds no spinlock; may sleep; no allocation; no
 * reclaim (a timed completion wait).
 */
void task_sleep_ms(unsigned int ms);

/* ------------------------------------------------------------------ */
/* Waiting for a worker's next pass                                      */
/* ------------------------------------------------------------------ */

/*
 * struct pass_sync - callers waiting for the next whole pass of a
 * kernel-style worker (kswapd_sync(), flusher_sync(), oom_reaper_sync()).
 * A caller queues a waiter and wakes the worker; the worker takes the
 * queued waiters when a pass starts and completes them when it ends, so a
 * waiter always sees a whole pass that started after its call.
 *
 * lock: a leaf spinlock over queued and every queued or taken waiter's
 * list link. taken: touched only by the worker (and under lock, since a
 * timed-out waiter unlinks itself).
 */
struct pass_sync {
	spinlock_t lock;
	struct list_head queued;
	struct list_head taken;
};

#define DEFINE_PASS_SYNC(name)                                            \
	struct pass_sync name = {                                         \
		.lock = __SPIN_LOCK_UNLOCKED(name.lock),                  \
		.queued = LIST_HEAD_INIT(name.queued),                    \
		.taken = LIST_HEAD_INIT(name.taken),                      \
	}

/* struct pass_waiter - one caller of a *_sync(); lives on its stack. */
struct pass_waiter {
	struct list_head list;
	struct completion done;
	int result;
};

/* One completion class per call site, like init_completion(). */
#define pass_waiter_init(w)                                               \
	do {                                                              \
		(w)->result = 0;                                          \
		INIT_LIST_HEAD(&(w)->list);                               \
		init_completion(&(w)->done);                              \
	} while (0)

/**
 * pass_sync_queue() - queue @w for the worker's next pass. Call it where
 * the worker is known to run (under the lock that serialises its start
 * and stop), then wake the worker.
 *
 * Context: any locks but ps->lock; never sleeps; no allocation; no
 * reclaim.
 */
void pass_sync_queue(struct pass_sync *ps, struct pass_waiter *w);

/**
 * pass_sync_wait() - wait for the pass @w was queued for.
 * @timeout_ms: 0 waits for ever.
 *
 * Context: caller holds nothing the worker's pass needs (the wait is a
 * dependency on the worker); may sleep; no allocation; no reclaim.
 * Return: the result the worker passed to pass_sync_end() (0), -ENOENT if
 * the worker stopped first, or -ETIMEDOUT (then @w is unlinked and may go).
 */
int pass_sync_wait(struct pass_sync *ps, struct pass_waiter *w,
		   unsigned long timeout_ms);

/**
 * pass_sync_begin() - the worker starts a pass: it takes the waiters
 * queued so far. Calls must alternate with pass_sync_end().
 *
 * Context: the worker thread; no spinlock held; never sleeps; no
 * allocation; no reclaim.
 * Return: whether any waiter was taken.
 */
bool pass_sync_begin(struct pass_sync *ps);

/**
 * pass_sync_end() - the worker finished the pass: complete the waiters it
 * took with @result.
 *
 * Context: the worker thread; no spinlock held; never sleeps; no
 * allocation; no reclaim.
 */
void pass_sync_end(struct pass_sync *ps, int result);

/**
 * pass_sync_stop() - the worker is exiting: complete every waiter, taken
 * or queued, with -ENOENT. The caller has made sure no new waiter is
 * queued (its running flag is cleared under the start/stop lock).
 *
 * Context: the worker thread; no spinlock held; never sleeps; no
 * allocation; no reclaim.
 */
void pass_sync_stop(struct pass_sync *ps);

#endif /* BALLAST_TASK_H */
