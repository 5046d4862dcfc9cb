// SPDX-License-Identifier: MIT
/*
 * bench_alloc.c - the allocator's fast paths (release build): median ns of
 * an order-0 alloc+free pair on one and on two threads, an order-9 pair,
 * kmalloc(64)+kfree, and glibc malloc(4096)+free as the reference measured
 * in the same run.
 *
 * Method: ROUNDS rounds of PAIRS pairs each; each round's mean ns per
 * pair is one sample; the median of the samples is reported. The two-thread
 * figure is the median over both threads' rounds, run concurrently.
 */
#include "common/bench.h"

#include <ballast/alloc.h>
#include <ballast/slab.h>
#include <ballast/task.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define RAM (1UL << 30)
#define ROUNDS 31
#define PAIRS 200000

enum kind { ORDER0, ORDER9, KMALLOC64, MALLOC4K };

static double round_ns(enum kind kind, unsigned long pairs)
{
	uint64_t t0 = bench_now_ns();

	for (unsigned long i = 0; i < pairs; i++) {
		switch (kind) {
		case ORDER0: {
			struct page *p = alloc_page(GFP_KERNEL);

			bench_keep(p);
			__free_page(p);
			break;
		}
		case ORDER9: {
			struct page *p = alloc_pages(GFP_KERNEL, 9);

			bench_keep(p);
			__free_pages(p, 9);
			break;
		}
		case KMALLOC64: {
			void *p = kmalloc(64, GFP_KERNEL);

			bench_keep(p);
			kfree(p);
			break;
		}
		case MALLOC4K: {
			void *p = malloc(4096);

			bench_keep(p);
			free(p);
			break;
		}
		}
	}
	return (double)(bench_now_ns() - t0) / (double)pairs;
}

static double median_pair_ns(enum kind kind, unsigned long pairs)
{
	double samples[ROUNDS];

	round_ns(kind, pairs / 10);	/* warm up caches and per-CPU lists */
	for (int r = 0; r < ROUNDS; r++)
		samples[r] = round_ns(kind, pairs);
	return bench_median(samples, ROUNDS);
}

struct two {
	double samples[ROUNDS];
	pthread_barrier_t *barrier;
};

static int two_fn(void *arg)
{
	struct two *t = arg;

	round_ns(ORDER0, PAIRS / 10);
	for (int r = 0; r < ROUNDS; r++) {
		pthread_barrier_wait(t->barrier);
		t->samples[r] = round_ns(ORDER0, PAIRS);
	}
	return 0;
}

static double two_thread_pair_ns(void)
{
	pthread_barrier_t barrier;
	struct two t[2];
	struct task *tasks[2];
	double all[2 * ROUNDS];

	pthread_barrier_init(&barrier, NULL, 2);
	for (int i = 0; i < 2; i++) {
		t[i].barrier = &barrier;
		if (task_create(&tasks[i], "bench", two_fn, &t[i], 0)) {
			fprintf(stderr, "bench_alloc: cannot start threads\n");
			exit(1);
		}
	}
	for (int i = 0; i < 2; i++)
		task_destroy(tasks[i]);
	pthread_barrier_destroy(&barrier);
	for (int r = 0; r < ROUNDS; r++) {
		all[r] = t[0].samples[r];
		all[ROUNDS + r] = t[1].samples[r];
	}
	return bench_median(all, 2 * ROUNDS);
}

int main(void)
{
	if (page_ram_init(RAM) || alloc_init() || slab_init()) {
		fprintf(stderr, "bench_alloc: cannot set up 1 GiB of guest RAM\n");
		return 1;
	}
	printf("  %-40s %14s %s\n", "figure", "value", "unit");
	bench_record("alloc.order0_pair_ns_1t", median_pair_ns(ORDER0, PAIRS),
		     "ns");
	bench_record("alloc.order0_pair_ns_2t", two_thread_pair_ns(), "ns");
	bench_record("alloc.order9_pair_ns", median_pair_ns(ORDER9, PAIRS / 10),
		     "ns");
	bench_record("slab.kmalloc64_pair_ns", median_pair_ns(KMALLOC64, PAIRS),
		     "ns");
	bench_record("libc.malloc4k_pair_ns", median_pair_ns(MALLOC4K, PAIRS),
		     "ns");
	slab_exit();
	alloc_exit();
	page_ram_destroy();
	return 0;
}
