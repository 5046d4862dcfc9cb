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
 * struct workload - anonymous workers (faulted memory through the MMU) and
 * a page-cache worker. Counters: atomic. Threads, region and file sizes:
 * immutable after start.
 */
struct workload {
	_Atomic(unsigned long) target_pages;	/* anonymous, all workers */
	_Atomic(unsigned long) held_pages;	/* mapped and touched */
	_Atomic(unsigned long) failures;	/* faults that failed */
	_Atomic(unsigned long) dirtied;		/* pages rewritten */
	_Atomic(unsigned long) verify_errors;	/* tags that broke */
	_Atomic(unsigned long) killed;		/* workers the OOM killer took */
	_Atomic(unsigned long) file_written, file_read, fsyncs;	/* bytes */
	uint64_t region_bytes;			/* each worker's region */
	uint64_t file_bytes;			/* the page-cache file */
	unsigned int nr_threads;
	struct workload_thread *threads[WORKLOAD_MAX_THREADS];
	struct task *pagecache;
};

/**
 * workload_start() - start @nr_threads anonymous workers, each with an
 * address space and a region of @region_bytes (untouched), and, if
 * @file_bytes, a page-cache worker rewriting a file of that size in the
 * backing directory.
 * Context: may sleep; allocates thread state from the C heap.
 * Return: 0 or a negative errno.
 */
int __must_check workload_start(struct workload *w, unsigned int nr_threads,
				uint64_t region_bytes, uint64_t file_bytes);

/**
 * workload_set_target() - the anonymous workers fault pages in (or unmap
 * them) toward @pages in total; faults may enter reclaim and OOM.
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
	uint64_t workload_max_bytes;	/* the workers' regions together */
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
