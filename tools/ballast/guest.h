// SPDX-License-Identifier: MIT
/*
 * guest.h - the guest process's parts (tools/ballast): the workload that
 * uses guest memory, and the guest agent that tools talk to.
 */
#ifndef BALLAST_TOOLS_GUEST_H
#define BALLAST_TOOLS_GUEST_H

#include <jansson.h>
#include <stdatomic.h>
#include <ballast/lib/compiler.h>
#include <ballast/task.h>

#define WORKLOAD_MAX_THREADS 8

struct workload_thread;

/*
 * struct workload - threads that hold guest memory and keep writing it.
 * target_pages, held_pages, failures, dirtied: atomic. The threads and
 * their page lists: immutable after start / owner only.
 */
struct workload {
	_Atomic(unsigned long) target_pages;	/* what the threads aim at */
	_Atomic(unsigned long) held_pages;
	_Atomic(unsigned long) failures;	/* allocations that failed */
	_Atomic(unsigned long) dirtied;		/* pages rewritten */
	_Atomic(unsigned long) verify_errors;	/* pages whose pattern broke */
	unsigned int nr_threads;
	struct workload_thread *threads[WORKLOAD_MAX_THREADS];
};

/**
 * workload_start() - start @nr_threads threads holding no memory yet.
 * Context: may sleep; allocates thread state from the C heap.
 * Return: 0 or a negative errno from task_create().
 */
int __must_check workload_start(struct workload *w, unsigned int nr_threads);

/**
 * workload_set_target() - the threads allocate (GFP_HIGHUSER_MOVABLE, so
 * reclaim and OOM may run for them) or free toward @pages in total.
 */
void workload_set_target(struct workload *w, unsigned long pages);

/** workload_stop() - stop the threads; every page is verified and freed. */
void workload_stop(struct workload *w);

/** workload_status() - a JSON object with the counters above, in bytes. */
json_t *workload_status(struct workload *w);

/*
 * struct guest - the guest process: RAM size, the workload, and the
 * devices the agent reports on. Owned by cmd_guest.c's main thread, which
 * also runs the agent; the workload and drivers have their own threads.
 */
struct guest {
	uint64_t ram_bytes;
	struct workload workload;
	/* Filled by cmd_guest.c for the agent's status: a new JSON object. */
	json_t *(*devices_status)(struct guest *g);
};

/* Guest agent (agent.c): a jsock server of guest-* commands. */
struct agent;
int __must_check agent_create(struct agent **ap, const char *path,
			      struct guest *g);
void agent_destroy(struct agent *a);
int agent_poll(struct agent *a, int timeout_ms);
bool agent_quit_requested(const struct agent *a);

#endif
