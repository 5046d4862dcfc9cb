// SPDX-License-Identifier: MIT
/*
 * bench_lockdep.c - what the validator costs: the allocator stress
 * workload (tasks allocating and freeing at random: orders 0-3, mixed GFP
 * masks, kmalloc objects) timed with the validator compiled out and in, as
 * a slowdown factor: lockdep.slowdown on one task (the validator's own
 * cost; target below 3x), lockdep.slowdown_2t on two tasks (also shows
 * how much longer critical sections raise lock contention, which makes
 * the two-task figures of both builds vary between runs).
 *
 * Method: this program is built twice with the same flags (-O2, no
 * assertions, no test hooks): by the release configuration, validator out,
 * and by the release-lockdep configuration, validator in (the Makefile's
 * bench target builds both). The release build runs the workload itself,
 * then runs its release-lockdep twin (same path with build/release-lockdep
 * in place of build/release), which prints its own figures. Each figure is
 * the median over ROUNDS rounds (per task) of the mean ns per operation;
 * the two builds alternate twice and the best median of each is kept, to
 * damp a noisy machine.
 */
#include "common/bench.h"

#include <ballast/alloc.h>
#include <ballast/slab.h>
#include <ballast/task.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RAM (256UL << 20)
#define MAX_TASKS 2
#define SLOTS 64
#define ROUNDS 15
#define OPS 40000

static const gfp_t masks[] = { GFP_KERNEL, GFP_NOFS, GFP_NOIO, GFP_ATOMIC,
			       GFP_KERNEL | __GFP_ZERO, GFP_NOWAIT };

struct worker {
	uint64_t rng;
	struct page *pages[SLOTS];
	unsigned int orders[SLOTS];
	void *objs[SLOTS];
	double samples[ROUNDS];
	pthread_barrier_t *barrier;
};

static uint64_t next_rand(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static void one_op(struct worker *w)
{
	uint64_t r = next_rand(w);
	unsigned int i = r % SLOTS;

	if (r & (1u << 20)) {
		if (w->objs[i]) {
			kfree(w->objs[i]);
			w->objs[i] = NULL;
		} else {
			w->objs[i] = kmalloc(64, GFP_KERNEL);
		}
		return;
	}
	if (w->pages[i]) {
		__free_pages(w->pages[i], w->orders[i]);
		w->pages[i] = NULL;
		return;
	}
	w->orders[i] = (r >> 8) % 4;
	w->pages[i] = alloc_pages(masks[(r >> 12) % ARRAY_SIZE(masks)] |
				  __GFP_NOWARN, w->orders[i]);
}

static int worker_fn(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < OPS / 4; i++)
		one_op(w);		/* warm up */
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0;

		pthread_barrier_wait(w->barrier);
		t0 = bench_now_ns();
		for (int i = 0; i < OPS; i++)
			one_op(w);
		w->samples[r] = (double)(bench_now_ns() - t0) / OPS;
	}
	for (int i = 0; i < SLOTS; i++) {
		if (w->pages[i])
			__free_pages(w->pages[i], w->orders[i]);
		kfree(w->objs[i]);
	}
	return 0;
}

/* Median ns per operation of the workload on @nr tasks, in this process. */
static double workload_ns(int nr)
{
	static struct worker w[MAX_TASKS];
	double all[MAX_TASKS * ROUNDS];
	struct task *t[MAX_TASKS];
	pthread_barrier_t barrier;

	pthread_barrier_init(&barrier, NULL, (unsigned int)nr);
	for (int i = 0; i < nr; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
		w[i].barrier = &barrier;
		if (task_create(&t[i], "bench", worker_fn, &w[i], 0)) {
			fprintf(stderr, "bench_lockdep: cannot start tasks\n");
			exit(1);
		}
	}
	for (int i = 0; i < nr; i++)
		task_destroy(t[i]);
	pthread_barrier_destroy(&barrier);
	for (int i = 0; i < nr; i++)
		memcpy(&all[i * ROUNDS], w[i].samples, sizeof(w[i].samples));
	return bench_median(all, (size_t)nr * ROUNDS);
}

/* Run the release-lockdep twin; its figures (1 and 2 tasks) or false. */
static bool twin_ns(double *ns1, double *ns2)
{
	char self[PATH_MAX], twin[PATH_MAX + 16], line[128];
	const char *from = "/build/release/", *to = "/build/release-lockdep/";
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *at;
	FILE *p;

	*ns1 = *ns2 = -1;
	if (n <= 0)
		return false;
	self[n] = 0;
	at = strstr(self, from);
	if (!at)
		return false;
	snprintf(twin, sizeof(twin), "%.*s%s%s", (int)(at - self), self, to,
		 at + strlen(from));
	if (access(twin, X_OK))
		return false;
	{
		char cmd[PATH_MAX + 64];

		snprintf(cmd, sizeof(cmd), "'%s' --child", twin);
		p = popen(cmd, "r");
	}
	if (!p)
		return false;
	while (fgets(line, sizeof(line), p)) {
		if (!strncmp(line, "ns_1t=", 6))
			*ns1 = strtod(line + 6, NULL);
		if (!strncmp(line, "ns_2t=", 6))
			*ns2 = strtod(line + 6, NULL);
	}
	return !pclose(p) && *ns1 > 0 && *ns2 > 0;
}

int main(int argc, char **argv)
{
	bool child = argc > 1 && !strcmp(argv[1], "--child");
	double out1 = 0, in1 = 0, out2 = 0, in2 = 0;

	if (page_ram_init(RAM) || alloc_init() || slab_init()) {
		fprintf(stderr, "bench_lockdep: cannot set up guest RAM\n");
		return 1;
	}
	if (child) {
		printf("ns_1t=%.3f\n", workload_ns(1));
		printf("ns_2t=%.3f\n", workload_ns(2));
		return 0;
	}
	if (BALLAST_LOCKDEP) {
		fprintf(stderr, "bench_lockdep: run the release build\n");
		return 1;
	}
	for (int pass = 0; pass < 2; pass++) {
		double o1 = workload_ns(1), o2 = workload_ns(2), i1, i2;

		if (!twin_ns(&i1, &i2)) {
			fprintf(stderr, "bench_lockdep: no release-lockdep "
				"build next to this one (make bench builds "
				"it)\n");
			return 1;
		}
		out1 = pass ? min(out1, o1) : o1;
		out2 = pass ? min(out2, o2) : o2;
		in1 = pass ? min(in1, i1) : i1;
		in2 = pass ? min(in2, i2) : i2;
	}
	printf("  %-40s %14s %s\n", "figure", "value", "unit");
	bench_record("lockdep.alloc_op_ns_out", out1, "ns");
	bench_record("lockdep.alloc_op_ns_in", in1, "ns");
	bench_record("lockdep.slowdown", in1 / out1, "x");
	bench_record("lockdep.alloc_op_ns_out_2t", out2, "ns");
	bench_record("lockdep.alloc_op_ns_in_2t", in2, "ns");
	bench_record("lockdep.slowdown_2t", in2 / out2, "x");
	slab_exit();
	alloc_exit();
	page_ram_destroy();
	return 0;
}
