// SPDX-License-Identifier: MIT
/*
 * hung_task.c - the hung-task watchdog: a thread that reports every task
 * blocked in a lock or a wait (between lockdep_block_begin() and
 * lockdep_block_end()) for longer than a threshold, with what every task
 * holds and waits for.
 *
 * Invariants and locking:
 *  - The watchdog is a plain pthread, not a ballast task, and uses no
 *    ballast lock: wd_lock/wd_cond (pthread) guard its own start/stop
 *    state (running, stop, threshold_ms); it reads tasks under
 *    ld_registry_lock only, and reports after dropping it.
 *  - A blocking (one blocked_episode of a task) is reported at most once:
 *    ld_task.hung_reported remembers the last episode reported, written
 *    and read under ld_registry_lock.
 *  - The scan interval is a quarter of the threshold (10 ms minimum), so a
 *    task blocked for the threshold is reported within 1.25 thresholds.
 *    Starting a running watchdog changes its threshold (test fixtures
 *    start it with the default, a test may lower it); one stop stops it.
 * lockdep_hung_task_start/stop may sleep (thread creation and join).
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if BALLAST_LOCKDEP

#define DEFAULT_THRESHOLD_MS 10000ul
#define MAX_THRESHOLD_MS LOCKDEP_HUNG_TASK_MAX_MS
#define MAX_VICTIMS 16

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond;
static pthread_once_t wd_once = PTHREAD_ONCE_INIT;
static pthread_t wd_thread;
static bool wd_running, wd_stop;	/* wd_lock */
static unsigned long wd_threshold_ms;	/* wd_lock */
static _Atomic(bool) env_warned;

struct victim {
	char name[16];
	struct ld_class *class;
	unsigned long ip;
	uint64_t blocked_ms;
};

static void wd_init(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&wd_cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* Find tasks blocked too long; returns how many were put in @v. */
static size_t wd_scan(uint64_t threshold_ms, struct victim *v)
{
	uint64_t now = ld_now_ns();
	struct ld_task *t;
	size_t n = 0;

	pthread_mutex_lock(&ld_registry_lock);
	list_for_each_entry(t, &ld_registry, node) {
		uint64_t since, episode;
		unsigned int s1;

		s1 = atomic_load_explicit(&t->seq, memory_order_acquire);
		since = atomic_load_explicit(&t->blocked_since_ns,
					     memory_order_relaxed);
		episode = atomic_load_explicit(&t->blocked_episode,
					       memory_order_relaxed);
		/* A wait that began after @now was read is not old. */
		if (!since || (s1 & 1) || since > now ||
		    now - since < threshold_ms * 1000000)
			continue;
		if (t->hung_reported == episode || n == MAX_VICTIMS)
			continue;
		v[n].class = atomic_load_explicit(&t->blocked_class,
						  memory_order_relaxed);
		v[n].ip = atomic_load_explicit(&t->blocked_ip,
					       memory_order_relaxed);
		atomic_signal_fence(memory_order_acquire);
		if (atomic_load_explicit(&t->seq, memory_order_relaxed) != s1)
			continue;	/* changed under us: next scan */
		t->hung_reported = episode;
		memcpy(v[n].name, t->name, sizeof(v[n].name));
		v[n].name[sizeof(v[n].name) - 1] = 0;
		v[n].blocked_ms = (now - since) / 1000000;
		n++;
	}
	pthread_mutex_unlock(&ld_registry_lock);
	return n;
}

static void *wd_main(void *arg)
{
	struct victim v[MAX_VICTIMS];

	pthread_mutex_lock(&wd_lock);
	while (!wd_stop) {
		unsigned long threshold = wd_threshold_ms;
		unsigned long interval = max(threshold / 4, 10ul);
		struct timespec ts;
		size_t n;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(interval / 1000);
		ts.tv_nsec += (long)(interval % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&wd_cond, &wd_lock, &ts);
		if (wd_stop)
			break;
		threshold = wd_threshold_ms;	/* may have been changed */
		pthread_mutex_unlock(&wd_lock);
		n = wd_scan(threshold, v);
		for (size_t i = 0; i < n; i++)
			ld_report_hung(v[i].name, v[i].class, v[i].ip,
				       v[i].blocked_ms, threshold);
		pthread_mutex_lock(&wd_lock);
	}
	pthread_mutex_unlock(&wd_lock);
	return NULL;
}

/*
 * $BALLAST_HUNG_TASK_MS: decimal milliseconds, 1..MAX_THRESHOLD_MS; unset
 * or empty gives the default, anything else warns (once) and does too.
 */
static unsigned long env_threshold_ms(void)
{
	const char *env = getenv("BALLAST_HUNG_TASK_MS");
	unsigned long ms;
	char *end;

	if (!env || !*env)
		return DEFAULT_THRESHOLD_MS;
	errno = 0;
	ms = strtoul(env, &end, 10);
	if (*env >= '0' && *env <= '9' && !*end && !errno && ms &&
	    ms <= MAX_THRESHOLD_MS)
		return ms;
	if (!atomic_exchange(&env_warned, true))
		pr_warn("BALLAST_HUNG_TASK_MS=%s: expected milliseconds, 1 to "
			"%lu; using %lu", env, MAX_THRESHOLD_MS,
			DEFAULT_THRESHOLD_MS);
	return DEFAULT_THRESHOLD_MS;
}

int lockdep_hung_task_start(unsigned long threshold_ms)
{
	int ret;

	pthread_once(&wd_once, wd_init);
	if (threshold_ms > MAX_THRESHOLD_MS)
		return -EINVAL;
	if (!threshold_ms)
		threshold_ms = env_threshold_ms();
	pthread_mutex_lock(&wd_lock);
	wd_threshold_ms = threshold_ms;
	if (wd_running) {
		/* Running: only the threshold changes, from the next scan. */
		pthread_cond_signal(&wd_cond);
		pthread_mutex_unlock(&wd_lock);
		return 0;
	}
	wd_stop = false;
	ret = pthread_create(&wd_thread, NULL, wd_main, NULL);
	if (!ret)
		wd_running = true;
	pthread_mutex_unlock(&wd_lock);
	if (!ret)
		pthread_setname_np(wd_thread, "hung_task");
	return -ret;
}

unsigned long lockdep_hung_task_threshold(void)
{
	unsigned long ms;

	pthread_once(&wd_once, wd_init);
	pthread_mutex_lock(&wd_lock);
	ms = wd_running ? wd_threshold_ms : 0;
	pthread_mutex_unlock(&wd_lock);
	return ms;
}

void lockdep_hung_task_stop(void)
{
	pthread_t thread;

	pthread_once(&wd_once, wd_init);
	pthread_mutex_lock(&wd_lock);
	if (!wd_running) {
		pthread_mutex_unlock(&wd_lock);
		return;
	}
	wd_stop = true;
	thread = wd_thread;
	pthread_cond_signal(&wd_cond);
	pthread_mutex_unlock(&wd_lock);
	pthread_join(thread, NULL);
	pthread_mutex_lock(&wd_lock);
	wd_running = false;
	pthread_mutex_unlock(&wd_lock);
}

#endif /* BALLAST_LOCKDEP */
