// SPDX-License-Identifier: MIT
/*
 * test_order.c - lock-order validation: cycles of any length across tasks
 * and over time, same-class nesting, trylocks, rwsem read/write modes
 * (including lockdep's recursive-read cases), misuse, bounded tables, the
 * JSON output, abort mode, and no false positive on a random workload that
 * respects a global order.
 */
#include "../../support/lockdep_test.h"

#include <ballast/lockdep.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void run_in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, fn, arg), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
}

/* ------------------------------------------------------------------ */

static DEFINE_MUTEX(ab_a);
static DEFINE_MUTEX(ab_b);

static void *take_a_then_b(void *arg)
{
	mutex_lock(&ab_a);
	mutex_lock(&ab_b);
	mutex_unlock(&ab_b);
	mutex_unlock(&ab_a);
	return NULL;
}

static void *take_b_then_a(void *arg)
{
	mutex_lock(&ab_b);
	mutex_lock(&ab_a);
	mutex_unlock(&ab_a);
	mutex_unlock(&ab_b);
	return NULL;
}

/*
 * Setup: two threads, run one after the other (they never overlap, so
 * nothing hangs). Action: the first takes ab_a then ab_b, the second ab_b
 * then ab_a. Expected: one cycle report, ab_b -> ab_a -> ab_b, when the
 * second thread adds the closing edge.
 */
static void test_mutex_lock_abba_two_threads_reports_cycle(void **state)
{
	run_in_thread(take_a_then_b, NULL);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);
	run_in_thread(take_b_then_a, NULL);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE, "ab_b -> ab_a -> ab_b", 1);
}

/*
 * Setup: one thread. Action: A then B; later B then A; then both orders
 * again. Expected: exactly one report (the closing edge is checked once;
 * known edges are not reported again).
 */
static void test_mutex_lock_abba_one_thread_over_time_reports_once(void **state)
{
	take_a_then_b(NULL);
	take_b_then_a(NULL);
	take_a_then_b(NULL);
	take_b_then_a(NULL);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE, "ab_b -> ab_a -> ab_b", 1);
}

static DEFINE_MUTEX(tc_a);
static DEFINE_MUTEX(tc_b);
static DECLARE_RWSEM(tc_c);

/*
 * Setup: two mutexes and an rwsem. Action: tc_a -> tc_b, tc_b -> tc_c
 * (write), then tc_c (read) -> tc_a, each pair in its own critical
 * section. Expected: no report until the third order closes the cycle,
 * then one report: tc_c -> tc_a -> tc_b -> tc_c.
 */
static void test_lock_acquire_three_lock_cycle_reports_cycle(void **state)
{
	mutex_lock(&tc_a);
	mutex_lock(&tc_b);
	mutex_unlock(&tc_b);
	mutex_unlock(&tc_a);
	mutex_lock(&tc_b);
	down_write(&tc_c);
	up_write(&tc_c);
	mutex_unlock(&tc_b);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);
	down_read(&tc_c);
	mutex_lock(&tc_a);
	mutex_unlock(&tc_a);
	up_read(&tc_c);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "tc_c -> tc_a -> tc_b -> tc_c", 1);
}

/* ------------------------------------------------------------------ */

struct node {
	struct mutex lock;
};

static void node_init(struct node *n)
{
	mutex_init(&n->lock);	/* one class for every node */
}

/*
 * Setup: two nodes whose locks share one class (one init site). Action:
 * lock one, then the other with plain mutex_lock(). Expected: a recursion
 * report naming the class.
 */
static void test_mutex_lock_same_class_no_subclass_reports_recursion(void **state)
{
	struct node a, b;

	node_init(&a);
	node_init(&b);
	mutex_lock(&a.lock);
	mutex_lock(&b.lock);
	mutex_unlock(&b.lock);
	mutex_unlock(&a.lock);
	assert_lockdep_claim(LOCKDEP_REPORT_RECURSION, "&n->lock", 1);
}

/*
 * Setup: as above. Action: the inner lock taken with subclass 1, in both
 * instance orders (parent/child style). Expected: no report.
 */
static void test_mutex_lock_nested_same_class_subclass_no_report(void **state)
{
	struct node a, b;

	node_init(&a);
	node_init(&b);
	mutex_lock(&a.lock);
	mutex_lock_nested(&b.lock, 1);
	mutex_unlock(&b.lock);
	mutex_unlock(&a.lock);
	mutex_lock(&b.lock);
	mutex_lock_nested(&a.lock, 1);
	mutex_unlock(&a.lock);
	mutex_unlock(&b.lock);
}

/* ------------------------------------------------------------------ */

static DEFINE_SPINLOCK(tl_a);
static DEFINE_SPINLOCK(tl_b);
static DEFINE_SPINLOCK(tl_c);

/*
 * Setup: tl_a -> tl_b recorded. Action: hold tl_b, trylock tl_a (the
 * reverse order, allowed: a trylock never waits), then take tl_c with both
 * held; later take tl_c then tl_a. Expected: the trylock adds no edge (no
 * report), but the trylocked lock is held and orders what follows: tl_a ->
 * tl_c then tl_c -> tl_a is a cycle.
 */
static void test_spin_trylock_reverse_order_no_report_but_held(void **state)
{
	spin_lock(&tl_a);
	spin_lock(&tl_b);
	spin_unlock(&tl_b);
	spin_unlock(&tl_a);

	spin_lock(&tl_b);
	assert_true(spin_trylock(&tl_a));
	assert_true(lock_is_held(&tl_a.dep_map));
	spin_lock(&tl_c);
	spin_unlock(&tl_c);
	spin_unlock(&tl_b);	/* released out of order */
	spin_unlock(&tl_a);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);
	assert_false(lock_is_held(&tl_a.dep_map));

	spin_lock(&tl_c);
	spin_lock(&tl_a);
	spin_unlock(&tl_a);
	spin_unlock(&tl_c);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE, "tl_c -> tl_a -> tl_c", 1);
}

/* ------------------------------------------------------------------ */

static DECLARE_RWSEM(rw_a);
static DECLARE_RWSEM(rw_b);
static DEFINE_MUTEX(rw_m);
static pthread_barrier_t rw_barrier;

static void *read_together(void *arg)
{
	down_read(&rw_a);
	pthread_barrier_wait(&rw_barrier);	/* both hold it for read */
	pthread_barrier_wait(&rw_barrier);
	up_read(&rw_a);
	return NULL;
}

/*
 * Setup: two threads. Action: both hold rw_a for read at the same time
 * (a barrier proves the overlap). Expected: no report: shared holders of
 * one rwsem in different tasks do not wait for each other.
 */
static void test_down_read_two_tasks_same_sem_no_report(void **state)
{
	pthread_t th[2];

	pthread_barrier_init(&rw_barrier, NULL, 2);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, read_together,
						NULL), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&rw_barrier);
}

/*
 * Setup: one thread. Action: read rw_a then read rw_b; later read rw_b
 * then read rw_a. Expected: a cycle. rwsems prefer writers: with a writer
 * queued on each, the two readers wait behind the writers, which wait for
 * the readers (four tasks, no recursion involved).
 */
static void test_down_read_read_abba_reports_cycle(void **state)
{
	down_read(&rw_a);
	down_read(&rw_b);
	up_read(&rw_b);
	up_read(&rw_a);
	down_read(&rw_b);
	down_read(&rw_a);
	up_read(&rw_a);
	up_read(&rw_b);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE, "rw_b -> rw_a -> rw_b", 1);
}

/*
 * Setup: one thread. Action: read rw_a then take rw_m; later rw_m then
 * write rw_a. Expected: a cycle (SN then EN).
 */
static void test_down_read_write_abba_reports_cycle(void **state)
{
	down_read(&rw_a);
	mutex_lock(&rw_m);
	mutex_unlock(&rw_m);
	up_read(&rw_a);
	mutex_lock(&rw_m);
	down_write(&rw_a);
	up_write(&rw_a);
	mutex_unlock(&rw_m);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE, "rw_m -> rw_a -> rw_m", 1);
}

/*
 * Setup: one thread. Action: write rw_a then take rw_m; rw_m then write
 * rw_a (the cycle); then read rw_a then take rw_m: the known edge rw_a ->
 * rw_m gains a new type (shared) and is checked again. Expected: one
 * report: the second check finds the same cycle of classes.
 */
static void test_down_read_new_edge_type_same_cycle_reports_once(void **state)
{
	down_write(&rw_a);
	mutex_lock(&rw_m);
	mutex_unlock(&rw_m);
	up_write(&rw_a);
	mutex_lock(&rw_m);
	down_write(&rw_a);
	up_write(&rw_a);
	mutex_unlock(&rw_m);
	down_read(&rw_a);
	mutex_lock(&rw_m);
	mutex_unlock(&rw_m);
	up_read(&rw_a);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE, "rw_m -> rw_a -> rw_m", 1);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 1);
}

/*
 * Setup: one thread. Action: read rw_a twice (nested). Expected: a
 * recursion report: a writer queued between the two reads deadlocks.
 */
static void test_down_read_twice_same_sem_reports_recursion(void **state)
{
	down_read(&rw_a);
	down_read(&rw_a);
	up_read(&rw_a);
	up_read(&rw_a);
	assert_lockdep_claim(LOCKDEP_REPORT_RECURSION, "rw_a -> rw_a", 1);
}

static struct lock_class_key dir_key;

/*
 * Setup: two rwsems initialised with one explicit key (one class). Action:
 * read one, then the other with down_read(); then again with
 * down_read_nested(, 1). Expected: one recursion report (the first
 * nesting), none for the annotated one.
 */
static void test_down_read_nested_same_key_subclass_no_report(void **state)
{
	struct rw_semaphore parent, child;

	init_rwsem_key(&parent, "dir_sem", &dir_key);
	init_rwsem_key(&child, "dir_sem", &dir_key);
	down_read(&parent);
	down_read(&child);
	up_read(&child);
	up_read(&parent);
	assert_lockdep_claim(LOCKDEP_REPORT_RECURSION, "dir_sem -> dir_sem", 1);
	down_read(&parent);
	down_read_nested(&child, 1);
	up_read(&child);
	up_read(&parent);
}

static struct lock_class_key done_key;

/*
 * Setup: two completions initialised at different sites with one explicit
 * key. Action: complete and wait for each. Expected: they make one new
 * class between them (init_completion() would make two).
 */
static void test_init_completion_key_two_sites_one_class(void **state)
{
	struct completion a, b;
	struct lockdep_stats before, after;

	lockdep_get_stats(&before);
	init_completion_key(&a, "io_done", &done_key);
	init_completion_key(&b, "io_done", &done_key);
	complete(&a);
	complete(&b);
	wait_for_completion(&a);
	wait_for_completion(&b);
	lockdep_get_stats(&after);
	assert_int_equal(after.nr_classes, before.nr_classes + 1);
}

/* Raw maps for lockdep's recursive-read cases (no primitive has them). */
static struct lockdep_map rr_x = LOCKDEP_MAP_INIT("rr_x", LOCKDEP_RWSEM);
static struct lockdep_map rr_y = LOCKDEP_MAP_INIT("rr_y", LOCKDEP_RWSEM);
static struct lockdep_map rr_z = LOCKDEP_MAP_INIT("rr_z", LOCKDEP_RWSEM);

#define W LOCKDEP_EXCLUSIVE
#define R LOCKDEP_SHARED_RECURSIVE

static void pair(struct lockdep_map *a, int ra, struct lockdep_map *b, int rb)
{
	lock_acquire(a, 0, 0, ra, _THIS_IP_);
	lock_acquire(b, 0, 0, rb, _THIS_IP_);
	lock_release(b, _THIS_IP_);
	lock_release(a, _THIS_IP_);
}

/*
 * Setup: three raw maps. Action: lockdep's four recursive-read cases:
 *   1. X -(ER)-> Y -(ER)-> Z -(ER)-> X      deadlock
 *   2. X -(EN)-> Y -(SR)-> Z -(ER)-> X      deadlock
 *   3. X -(EN)-> Y -(SR)-> Z -(SN)-> X      no deadlock
 *   4. X -(ER)-> Y -(SR)-> Z -(EN)-> X      no deadlock
 * (E/S: how the first lock is held; N/R: whether the second is a
 * recursive read). Expected: a cycle for 1 and 2 only.
 */
static void test_lock_acquire_recursive_read_cases_match_lockdep(void **state)
{
	pair(&rr_x, W, &rr_y, R);
	pair(&rr_y, W, &rr_z, R);
	pair(&rr_z, W, &rr_x, R);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE, "rr_", 1);

	assert_int_equal(lockdep_reset(), 0);
	pair(&rr_x, W, &rr_y, W);
	pair(&rr_y, R, &rr_z, R);
	pair(&rr_z, W, &rr_x, R);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE, "rr_", 1);

	assert_int_equal(lockdep_reset(), 0);
	pair(&rr_x, W, &rr_y, W);
	pair(&rr_y, R, &rr_z, R);
	pair(&rr_z, R, &rr_x, W);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);

	assert_int_equal(lockdep_reset(), 0);
	pair(&rr_x, W, &rr_y, R);
	pair(&rr_y, R, &rr_z, R);
	pair(&rr_z, W, &rr_x, W);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);

	/* And a recursive read under a read of the same class is fine. */
	lock_acquire(&rr_x, 0, 0, R, _THIS_IP_);
	lock_acquire(&rr_x, 0, 0, R, _THIS_IP_);
	lock_release(&rr_x, _THIS_IP_);
	lock_release(&rr_x, _THIS_IP_);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_RECURSION), 0);
}

#undef W
#undef R

/* ------------------------------------------------------------------ */

static struct lockdep_map mu_map = LOCKDEP_MAP_INIT("mu_map", LOCKDEP_MUTEX);

/*
 * Setup: nothing held. Action: release a map never acquired, twice;
 * unbalanced atomic exit. Expected: one misuse report per distinct
 * problem (the repeat is not reported again), nothing corrupted.
 */
static void test_lock_release_unheld_reports_misuse_once(void **state)
{
	lock_release(&mu_map, _THIS_IP_);
	lock_release(&mu_map, _THIS_IP_);
	lockdep_atomic_exit();
	assert_lockdep_claim(LOCKDEP_REPORT_MISUSE, "mu_map", 1);
	assert_lockdep_claim(LOCKDEP_REPORT_MISUSE, "lockdep_atomic_exit", 1);
	lock_acquire(&mu_map, 0, 0, LOCKDEP_EXCLUSIVE, _THIS_IP_);
	assert_true(lock_is_held(&mu_map));
	lock_release(&mu_map, _THIS_IP_);
	assert_false(lock_is_held(&mu_map));
}

static DEFINE_MUTEX(mu_mutex);

/*
 * Setup: mu_mutex, not held. Action: unlock it. Expected: a misuse report
 * from the validator (claimable, so also in JSON and abort mode), the
 * unlock refused: the mutex can still be taken and released.
 */
static void test_mutex_unlock_not_held_reports_misuse(void **state)
{
	mutex_unlock(&mu_mutex);
	assert_lockdep_claim(LOCKDEP_REPORT_MISUSE,
			     "mu_mutex unlocked by a task that does not hold it",
			     1);
	assert_true(mutex_trylock(&mu_mutex));
	mutex_unlock(&mu_mutex);
}

/* ------------------------------------------------------------------ */

/*
 * Setup: reports also go to a JSON lines file. Action: an ABBA. Expected:
 * one line, a cycle whose classes are ab_b and ab_a, with two edges that
 * each carry a symbolized stack naming the test's functions.
 */
static void test_lockdep_set_json_path_cycle_written_as_json(void **state)
{
	char path[] = "/tmp/ballast-lockdep-XXXXXX";
	int fd = mkstemp(path);
	json_error_t err;
	json_t *obj, *edges, *stack;
	FILE *f;
	char line[1 << 16];
	bool found = false;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(lockdep_set_json_path(path), 0);
	take_a_then_b(NULL);
	take_b_then_a(NULL);
	assert_int_equal(lockdep_set_json_path(NULL), 0);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE, "ab_a", 1);

	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_null(fgets(line + strlen(line), 16, f));
	fclose(f);
	unlink(path);
	obj = json_loads(line, 0, &err);
	assert_non_null(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "kind")),
			    "cycle");
	assert_int_equal(json_array_size(json_object_get(obj, "classes")), 2);
	edges = json_object_get(obj, "edges");
	assert_int_equal(json_array_size(edges), 2);
	stack = json_object_get(json_array_get(edges, 1), "stack");
	for (size_t i = 0; i < json_array_size(stack); i++) {
		const char *fn = json_string_value(
			json_object_get(json_array_get(stack, i), "function"));

		if (fn && !strcmp(fn, "take_a_then_b"))
			found = true;
	}
	assert_true(found);
	json_decref(obj);
}

/* ------------------------------------------------------------------ */

static struct lockdep_map lim_a = LOCKDEP_MAP_INIT("lim_a", LOCKDEP_MUTEX);
static struct lockdep_map lim_b = LOCKDEP_MAP_INIT("lim_b", LOCKDEP_MUTEX);
static struct lockdep_map lim_c = LOCKDEP_MAP_INIT("lim_c", LOCKDEP_MUTEX);
static struct lockdep_map lim_d = LOCKDEP_MAP_INIT("lim_d", LOCKDEP_MUTEX);

/*
 * Setup: the class table bounded at its current fill + 1, the edge table
 * at 1. Action: take three new classes nested, twice. Expected: one
 * "limit" report per table, however often the bound is hit; the lock
 * without a class is still held and released correctly.
 */
static void test_lockdep_set_limits_full_tables_reported_once(void **state)
{
	struct lockdep_stats st;

	lockdep_get_stats(&st);
	lockdep_set_limits(st.nr_classes + 1, 1, 0);
	for (int round = 0; round < 2; round++) {
		lock_acquire(&lim_a, 0, 0, LOCKDEP_EXCLUSIVE, _THIS_IP_);
		lock_acquire(&lim_b, 0, 0, LOCKDEP_EXCLUSIVE, _THIS_IP_);
		lock_acquire(&lim_c, 0, 0, LOCKDEP_EXCLUSIVE, _THIS_IP_);
		assert_true(lock_is_held(&lim_c));
		lock_release(&lim_b, _THIS_IP_);
		lock_release(&lim_c, _THIS_IP_);
		lock_release(&lim_a, _THIS_IP_);
	}
	lockdep_set_limits(0, 0, 0);
	assert_lockdep_claim(LOCKDEP_REPORT_LIMIT, "class", 1);
	lock_acquire(&lim_a, 0, 0, LOCKDEP_EXCLUSIVE, _THIS_IP_);
	lock_acquire(&lim_d, 0, 0, LOCKDEP_EXCLUSIVE, _THIS_IP_);
	lock_release(&lim_d, _THIS_IP_);
	lock_release(&lim_a, _THIS_IP_);
	lockdep_get_stats(&st);
	assert_int_equal(st.nr_edges, 1);	/* lim_a -> lim_d */
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_LIMIT), 1);

	assert_int_equal(lockdep_reset(), 0);
	lockdep_set_limits(0, 1, 0);
	lock_acquire(&lim_a, 0, 0, LOCKDEP_EXCLUSIVE, _THIS_IP_);
	lock_acquire(&lim_b, 0, 0, LOCKDEP_EXCLUSIVE, _THIS_IP_);
	lock_acquire(&lim_d, 0, 0, LOCKDEP_EXCLUSIVE, _THIS_IP_);
	lock_release(&lim_d, _THIS_IP_);
	lock_release(&lim_b, _THIS_IP_);
	lock_release(&lim_a, _THIS_IP_);
	lockdep_set_limits(0, 0, 0);
	lockdep_get_stats(&st);
	assert_int_equal(st.nr_edges, 1);
	assert_lockdep_claim(LOCKDEP_REPORT_LIMIT, "dependency", 1);
}

/*
 * Setup: one edge (lim_c -> lim_d); the edge table bounded at that fill.
 * Action: lim_a then lim_b (the edge cannot be recorded: "limit"); the
 * bound is lifted; the same context again, then lim_b then lim_a.
 * Expected: the context was not cached while the table was full, so
 * lim_a -> lim_b is recorded the second time and the ABBA is reported.
 */
static void test_lockdep_set_limits_edge_table_full_context_rechecked(void **state)
{
	struct lockdep_stats st;

	pair(&lim_c, LOCKDEP_EXCLUSIVE, &lim_d, LOCKDEP_EXCLUSIVE);
	lockdep_get_stats(&st);
	assert_int_equal(st.nr_edges, 1);
	lockdep_set_limits(0, st.nr_edges, 0);
	pair(&lim_a, LOCKDEP_EXCLUSIVE, &lim_b, LOCKDEP_EXCLUSIVE);
	lockdep_set_limits(0, 0, 0);
	assert_lockdep_claim(LOCKDEP_REPORT_LIMIT, "dependency", 1);
	pair(&lim_a, LOCKDEP_EXCLUSIVE, &lim_b, LOCKDEP_EXCLUSIVE);
	pair(&lim_b, LOCKDEP_EXCLUSIVE, &lim_a, LOCKDEP_EXCLUSIVE);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE, "lim_b -> lim_a -> lim_b", 1);
}

#define LONG_CYCLE 70
static struct lockdep_map long_maps[LONG_CYCLE];
static char long_names[LONG_CYCLE][24];

/*
 * Setup: 70 classes. Action: take each with the next one held, in order
 * (long_0 -> long_1 -> ... -> long_69), then long_0 under long_69.
 * Expected: one cycle report of 70 edges, longer than the 64 a report
 * keeps: its summary says so and does not close the loop after the edges
 * it shows.
 */
static void test_lock_acquire_cycle_longer_than_report_marked_truncated(void **state)
{
	for (int i = 0; i < LONG_CYCLE; i++) {
		snprintf(long_names[i], sizeof(long_names[i]), "long_%d", i);
		lockdep_init_map(&long_maps[i], long_names[i], NULL,
				 LOCKDEP_MUTEX, __FILE__, __LINE__);
	}
	for (int i = 0; i + 1 < LONG_CYCLE; i++)
		pair(&long_maps[i], LOCKDEP_EXCLUSIVE, &long_maps[i + 1],
		     LOCKDEP_EXCLUSIVE);
	assert_int_equal(lockdep_report_count(LOCKDEP_REPORT_CYCLE), 0);
	pair(&long_maps[LONG_CYCLE - 1], LOCKDEP_EXCLUSIVE, &long_maps[0],
	     LOCKDEP_EXCLUSIVE);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE,
			     "cycle: (70 edges, the first 64 shown) long_69 -> "
			     "long_0 -> long_1 ->", 1);
	assert_lockdep_claim(LOCKDEP_REPORT_CYCLE, NULL, 0);
}

/* ------------------------------------------------------------------ */

#define RW_LOCKS 8
#define MUTEX_LOCKS 8
#define SPIN_LOCKS 8
#define NR_LOCKS (RW_LOCKS + MUTEX_LOCKS + SPIN_LOCKS)
#define NR_WORKERS 4

static struct lock_class_key rnd_keys[NR_LOCKS];
static struct rw_semaphore rnd_rw[RW_LOCKS];
static struct mutex rnd_mutex[MUTEX_LOCKS];
static spinlock_t rnd_spin[SPIN_LOCKS];
static unsigned long rnd_iters;

/* Lock @i of the global order: rwsems, then mutexes, then spinlocks. */
static bool rnd_take(int i, bool try, bool read)
{
	if (i < RW_LOCKS) {
		if (try)
			return read ? down_read_trylock(&rnd_rw[i])
				    : down_write_trylock(&rnd_rw[i]);
		if (read)
			down_read(&rnd_rw[i]);
		else
			down_write(&rnd_rw[i]);
		return true;
	}
	i -= RW_LOCKS;
	if (i < MUTEX_LOCKS) {
		if (try)
			return mutex_trylock(&rnd_mutex[i]);
		mutex_lock(&rnd_mutex[i]);
		return true;
	}
	i -= MUTEX_LOCKS;
	if (try)
		return spin_trylock(&rnd_spin[i]);
	spin_lock(&rnd_spin[i]);
	return true;
}

static void rnd_drop(int i, bool read)
{
	if (i < RW_LOCKS) {
		if (read)
			up_read(&rnd_rw[i]);
		else
			up_write(&rnd_rw[i]);
		return;
	}
	i -= RW_LOCKS;
	if (i < MUTEX_LOCKS) {
		mutex_unlock(&rnd_mutex[i]);
		return;
	}
	spin_unlock(&rnd_spin[i - MUTEX_LOCKS]);
}

static void *rnd_worker(void *arg)
{
	int held[NR_LOCKS];
	bool reads[NR_LOCKS], is_held[NR_LOCKS];

	test_rand_seed((uint64_t)(uintptr_t)arg);
	for (unsigned long it = 0; it < rnd_iters; it++) {
		int n = 0;

		memset(is_held, 0, sizeof(is_held));
		for (int i = 0; i < NR_LOCKS; i++) {
			if (test_rand_below(100) >= 25)
				continue;
			reads[i] = test_rand_below(2);
			rnd_take(i, false, reads[i]);
			held[n++] = i;
			is_held[i] = true;
		}
		/* A trylock against the order is allowed (never waits). */
		if (n) {
			int j = (int)test_rand_below(NR_LOCKS);

			reads[j] = test_rand_below(2);
			if (!is_held[j] && rnd_take(j, true, reads[j])) {
				held[n++] = j;
				is_held[j] = true;
			}
		}
		/* Release in random order. */
		while (n) {
			int k = (int)test_rand_below((uint64_t)n);

			rnd_drop(held[k], reads[held[k]]);
			held[k] = held[--n];
		}
	}
	return NULL;
}

/*
 * Setup: 24 locks of three kinds with distinct classes in one global
 * order (rwsems, mutexes, spinlocks: nothing sleeps under a spinlock);
 * four threads, seeded. Action: each iteration takes a random increasing
 * subset (random read/write for rwsems), sometimes a trylock against the
 * order, and releases in random order. Expected: no report at all.
 */
static void test_lock_acquire_random_ordered_workload_no_report(void **state)
{
	pthread_t th[NR_WORKERS];

	for (int i = 0; i < RW_LOCKS; i++)
		init_rwsem_key(&rnd_rw[i], "rnd_rw", &rnd_keys[i]);
	for (int i = 0; i < MUTEX_LOCKS; i++)
		mutex_init_key(&rnd_mutex[i], "rnd_mutex",
			       &rnd_keys[RW_LOCKS + i]);
	for (int i = 0; i < SPIN_LOCKS; i++)
		spin_lock_init_key(&rnd_spin[i], "rnd_spin",
				   &rnd_keys[RW_LOCKS + MUTEX_LOCKS + i]);
	rnd_iters = test_scaled(20000);
	(void)test_seed();	/* initialise it before the threads share it */
	for (uintptr_t i = 0; i < NR_WORKERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, rnd_worker,
						(void *)(i + 1)), 0);
	for (int i = 0; i < NR_WORKERS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(lockdep_reports_unclaimed(true), 0);
}

/* ------------------------------------------------------------------ */

static char *self_exe;

/*
 * Setup: this program re-run as a child with BALLAST_LOCKDEP=abort.
 * Action: the child does an ABBA. Expected: the child is killed by
 * SIGABRT after the report (report-and-abort mode from the environment).
 */
static void test_lockdep_abort_mode_env_aborts_on_report(void **state)
{
	char *argv[] = { self_exe, (char *)"--abba-child", NULL };
	char *envp[] = { (char *)"BALLAST_LOCKDEP=abort", NULL };
	posix_spawn_file_actions_t fa;
	int status;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
					 O_WRONLY, 0);
	assert_int_equal(posix_spawn(&pid, self_exe, &fa, NULL, argv, envp),
			 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		lockdep_unit_test(test_mutex_lock_abba_two_threads_reports_cycle),
		lockdep_unit_test(test_mutex_lock_abba_one_thread_over_time_reports_once),
		lockdep_unit_test(test_lock_acquire_three_lock_cycle_reports_cycle),
		lockdep_unit_test(test_mutex_lock_same_class_no_subclass_reports_recursion),
		lockdep_unit_test(test_mutex_lock_nested_same_class_subclass_no_report),
		lockdep_unit_test(test_spin_trylock_reverse_order_no_report_but_held),
		lockdep_unit_test(test_down_read_two_tasks_same_sem_no_report),
		lockdep_unit_test(test_down_read_read_abba_reports_cycle),
		lockdep_unit_test(test_down_read_write_abba_reports_cycle),
		lockdep_unit_test(test_down_read_new_edge_type_same_cycle_reports_once),
		lockdep_unit_test(test_down_read_twice_same_sem_reports_recursion),
		lockdep_unit_test(test_down_read_nested_same_key_subclass_no_report),
		lockdep_unit_test(test_init_completion_key_two_sites_one_class),
		lockdep_unit_test(test_lock_acquire_recursive_read_cases_match_lockdep),
		lockdep_unit_test(test_lock_release_unheld_reports_misuse_once),
		lockdep_unit_test(test_mutex_unlock_not_held_reports_misuse),
		lockdep_unit_test(test_lockdep_set_json_path_cycle_written_as_json),
		lockdep_unit_test(test_lockdep_set_limits_full_tables_reported_once),
		lockdep_unit_test(test_lockdep_set_limits_edge_table_full_context_rechecked),
		lockdep_unit_test(test_lock_acquire_cycle_longer_than_report_marked_truncated),
		lockdep_unit_test(test_lock_acquire_random_ordered_workload_no_report),
		lockdep_unit_test(test_lockdep_abort_mode_env_aborts_on_report),
	};

	self_exe = argv[0];
	if (argc > 1 && !strcmp(argv[1], "--abba-child")) {
		take_a_then_b(NULL);
		take_b_then_a(NULL);
		return 0;	/* not reached: the report aborts */
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
