// SPDX-License-Identifier: MIT
/*
 * test_spawn.c - ballast_spawn() and ballast_reap() with /bin/sh children:
 * readiness, a child that dies first, one that never gets ready, exit
 * statuses, and signals that interrupt the waits.
 *
 * ballast_spawn() appends "--ready-fd N" to the arguments; for
 * `sh -c SCRIPT` those become $0 and $1, so SCRIPT writes to fd $1.
 */
#include "../../support/test_support.h"

#include <ballast/lib/spawn.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static int spawn_sh(const char *script, int timeout_ms, pid_t *pid)
{
	char *const argv[] = { (char *)"-c", (char *)script, NULL };

	return ballast_spawn("/bin/sh", argv, NULL, timeout_ms, pid);
}

static double since_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* A child that reports ready is returned; its exit status is reaped. */
static void test_spawn_ready_then_reap_exit_status(void **state)
{
	pid_t pid;

	assert_int_equal(spawn_sh("printf r >&$1; exit 7", 10000, &pid), 0);
	assert_int_equal(ballast_reap(pid, 10000), 7);
	assert_int_equal(spawn_sh("printf r >&$1; kill -TERM $$", 10000, &pid),
			 0);
	assert_int_equal(ballast_reap(pid, 10000), 128 + SIGTERM);
}

/* A child that exits before ready gives -ECHILD; one that hangs, -ETIMEDOUT. */
static void test_spawn_failures_kill_and_reap_the_child(void **state)
{
	struct timespec t0;
	pid_t pid = 0;

	assert_int_equal(spawn_sh("exit 3", 10000, &pid), -ECHILD);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(spawn_sh("exec sleep 30", 100, &pid), -ETIMEDOUT);
	assert_true(since_ms(&t0) < 10000);	/* killed, not waited for */
	assert_int_equal(pid, 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);	/* all reaped */
	assert_int_equal(errno, ECHILD);
}

/* A child that does not exit in time is killed: -ETIMEDOUT. */
static void test_reap_kills_after_timeout(void **state)
{
	struct timespec t0;
	pid_t pid;

	assert_int_equal(spawn_sh("printf r >&$1; exec sleep 30", 10000, &pid),
			 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ballast_reap(pid, 50), -ETIMEDOUT);
	assert_true(since_ms(&t0) < 10000);
	assert_int_equal(ballast_reap(pid, 50), -ECHILD);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Setup: SIGALRM every 2 ms, handled without SA_RESTART, so poll and
 * waitpid keep failing with EINTR. Action: spawn a child that gets ready
 * after 100 ms, then reap it. Expected: both succeed (signals neither
 * fail the spawn nor leave a live child behind a blocking wait).
 */
static void test_spawn_and_reap_survive_signals(void **state)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } }, off = { 0 };
	pid_t pid;

	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(spawn_sh("sleep 0.1; printf r >&$1; sleep 0.1; exit 5",
				  10000, &pid), 0);
	assert_int_equal(ballast_reap(pid, 10000), 5);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spawn_ready_then_reap_exit_status),
		cmocka_unit_test(test_spawn_failures_kill_and_reap_the_child),
		cmocka_unit_test(test_reap_kills_after_timeout),
		cmocka_unit_test(test_spawn_and_reap_survive_signals),
	};

	return cmocka_run_group_tests_name("spawn", tests, NULL, NULL);
}
