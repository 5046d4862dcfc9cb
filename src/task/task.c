// SPDX-License-Identifier: MIT
/*
 * task.c - struct task for every thread that uses ballast: creation of
 * kernel-style and workload threads, adoption of foreign threads, the task
 * list, stop requests and the retry-wait helper.
 *
 * Invariants and locking:
 *  - tasklist_lock (spinlock) protects task_list and every task->tasks
 *    link; a task is on the list from creation (or adoption) until its
 *    function returns (or its thread exits, for adopted threads).
 *  - A task is freed when its refcount drops to zero: the creator's
 *    reference is dropped by task_destroy(), an adopted thread's by the
 *    thread-exit destructor; task_get() pins it for iterators.
 *  - current_task is thread-local and set before any ballast code runs in
 *    the thread; flags are written only by the owning thread.
 *  - task_should_stop() reads should_stop (atomic); task_destroy() sets it
 *    and completes stop_req so sleepers in task_sleep_ms() wake at once.
 *    task_kill() sets PF_SIGKILL and completes stop_req the same way, for
 *    created and adopted tasks alike.
 *  - Exit hooks (exit_hooks[], atomic pointers, written under
 *    exit_hooks_lock, a leaf) run in the ending thread after its function
 *    returned, before the task leaves the task list, holding no lock.
 *  - Tasks live in the C heap, like mem_map: they are the emulator's own
 *    bookkeeping, and the task layer sits below the allocator.
 * Entry points that sleep: task_create, task_destroy, task_sleep_ms,
 * memalloc_retry_wait. None allocates from ballast.
 */
#include <ballast/task.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static DEFINE_SPINLOCK(tasklist_lock);
static LIST_HEAD(task_list);
static size_t nr_tasks;			/* tasklist_lock */
static _Atomic(int) next_pid = 1;

static _Atomic(task_exit_fn) exit_hooks[TASK_MAX_EXIT_HOOKS];
static DEFINE_SPINLOCK(exit_hooks_lock);

static __thread struct task *current_task;
static pthread_key_t adopted_key;
static pthread_once_t adopted_key_once = PTHREAD_ONCE_INIT;

static void task_link(struct task *t)
{
	spin_lock(&tasklist_lock);
	list_add_tail(&t->tasks, &task_list);
	nr_tasks++;
	spin_unlock(&tasklist_lock);
}

static void task_unlink(struct task *t)
{
	spin_lock(&tasklist_lock);
	if (!list_empty(&t->tasks)) {
		list_del_init(&t->tasks);
		nr_tasks--;
	}
	spin_unlock(&tasklist_lock);
}

static struct task *task_alloc(const char *name, unsigned int flags)
{
	struct task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	snprintf(t->comm, sizeof(t->comm), "%s", name);
	t->pid = atomic_fetch_add(&next_pid, 1);
	t->kthread = flags & PF_KTHREAD;
	atomic_init(&t->flags, flags);
	atomic_init(&t->refcount, 1);
	INIT_LIST_HEAD(&t->tasks);
	init_completion(&t->stop_req);
	init_completion(&t->exited);
	return t;
}

void task_get(struct task *task)
{
	atomic_fetch_add_explicit(&task->refcount, 1, memory_order_relaxed);
}

void task_put(struct task *task)
{
	int old = atomic_fetch_sub_explicit(&task->refcount, 1,
					    memory_order_acq_rel);

	if (old == 1)
		free(task);
	else if (old <= 0)
		report_misuse("task refcount underflow (%s)", task->comm);
}

int task_register_exit_hook(task_exit_fn fn)
{
	int ret = -EBUSY;

	spin_lock(&exit_hooks_lock);
	for (int i = 0; i < TASK_MAX_EXIT_HOOKS; i++) {
		if (!atomic_load(&exit_hooks[i])) {
			atomic_store(&exit_hooks[i], fn);
			ret = 0;
			break;
		}
	}
	spin_unlock(&exit_hooks_lock);
	return ret;
}

void task_unregister_exit_hook(task_exit_fn fn)
{
	spin_lock(&exit_hooks_lock);
	for (int i = 0; i < TASK_MAX_EXIT_HOOKS; i++)
		if (atomic_load(&exit_hooks[i]) == fn)
			atomic_store(&exit_hooks[i], NULL);
	spin_unlock(&exit_hooks_lock);
}

/* The ending thread's own context: current == @t, no lock held. */
static void run_exit_hooks(struct task *t)
{
	for (int i = 0; i < TASK_MAX_EXIT_HOOKS; i++) {
		task_exit_fn fn = atomic_load_explicit(&exit_hooks[i],
						       memory_order_acquire);

		if (fn)
			fn(t);
	}
}

void task_kill(struct task *task, bool oom_victim)
{
	atomic_fetch_or(&task->flags,
			PF_SIGKILL | (oom_victim ? PF_OOM_VICTIM : 0));
	complete_all(&task->stop_req);
}

static void adopted_thread_exit(void *arg)
{
	struct task *t = arg;

	atomic_fetch_or(&t->flags, PF_EXITING);
	run_exit_hooks(t);
	task_unlink(t);
	current_task = NULL;
	task_put(t);
}

static void adopted_key_init(void)
{
	pthread_key_create(&adopted_key, adopted_thread_exit);
}

struct task *get_current(void)
{
	struct task *t = current_task;
	char name[TASK_COMM_LEN];

	if (likely(t))
		return t;
	snprintf(name, sizeof(name), "thread-%d", (int)gettid());
	t = task_alloc(name, 0);
	if (!t)
		ballast_fatal("cannot allocate a task for thread %s", name);
	t->adopted = true;
	t->thread = pthread_self();
	current_task = t;
	lockdep_set_task_name(t->comm);
	pthread_once(&adopted_key_once, adopted_key_init);
	pthread_setspecific(adopted_key, t);
	task_link(t);
	return t;
}

static void *task_trampoline(void *arg)
{
	struct task *t = arg;

	current_task = t;
	lockdep_set_task_name(t->comm);
	t->exit_code = t->fn(t->arg);
	atomic_fetch_or(&t->flags, PF_EXITING);
	run_exit_hooks(t);
	task_unlink(t);
	complete_all(&t->exited);
	return NULL;
}

int task_create(struct task **taskp, const char *name, task_fn fn, void *arg,
		unsigned int flags)
{
	struct task *t = task_alloc(name, flags);
	int ret;

	might_sleep();
	if (!t)
		return -ENOMEM;
	t->fn = fn;
	t->arg = arg;
	task_link(t);
	ret = pthread_create(&t->thread, NULL, task_trampoline, t);
	if (ret) {
		task_unlink(t);
		task_put(t);
		return -ret;
	}
	pthread_setname_np(t->thread, t->comm);
	*taskp = t;
	return 0;
}

int task_destroy(struct task *task)
{
	int code;

	might_sleep();
	if (task->adopted || task == current_task) {
		report_misuse("task_destroy on %s, which was not created by "
			      "task_create or is the caller", task->comm);
		return -EINVAL;
	}
	atomic_store(&task->should_stop, true);
	complete_all(&task->stop_req);
	/* Not a hang of ours: the watchdog watches @task's own waits. */
	wait_for_completion_idle(&task->exited);
	pthread_join(task->thread, NULL);
	code = task->exit_code;
	task_put(task);
	return code;
}

bool task_should_stop(void)
{
	return atomic_load_explicit(&current->should_stop,
				    memory_order_acquire);
}

int task_for_each(int (*fn)(struct task *task, void *arg), void *arg)
{
	struct task *t;
	int ret = 0;

	spin_lock(&tasklist_lock);
	list_for_each_entry(t, &task_list, tasks) {
		ret = fn(t, arg);
		if (ret)
			break;
	}
	spin_unlock(&tasklist_lock);
	return ret;
}

size_t task_nr(void)
{
	size_t n;

	spin_lock(&tasklist_lock);
	n = nr_tasks;
	spin_unlock(&tasklist_lock);
	return n;
}

void task_sleep_ms(unsigned int ms)
{
	/* Adopted threads too: task_kill() completes their stop_req. */
	wait_for_completion_timeout(&current->stop_req, ms);
}

void memalloc_retry_wait(gfp_t gfp)
{
	struct timespec ts = { 0, 1000000 };	/* 1 ms */

	if (!gfpflags_allow_blocking(gfp)) {
		sched_yield();
		return;
	}
	might_sleep();
	/*
	 * A real pause even for a task that task_destroy() or task_kill()
	 * has been called on (task_sleep_ms() returns at once for those): a
	 * retry loop that spins would use up its retries before the progress
	 * it waits for (writeback, an OOM victim) can happen.
	 */
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
