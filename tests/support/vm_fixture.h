// SPDX-License-Identifier: MIT
/*
 * vm_fixture.h - the whole memory stack for vm, memcg and OOM tests.
 *
 * test_vm_setup() builds, in order: guest RAM, allocator and slab
 * (test_mem_setup), reclaim, the page cache over a temporary directory
 * (test_pagecache_setup), memcg if asked, vm, and the OOM killer if
 * asked. test_vm_teardown() checks vm_check(), memcg_check() and then,
 * through the page-cache and memory fixtures, reclaim_check(),
 * writeback_check() and alloc_check() at a quiescent point, tearing down
 * in reverse order. Every address space and group must be gone by then.
 */
#ifndef BALLAST_VM_FIXTURE_H
#define BALLAST_VM_FIXTURE_H

#include "test_support.h"

#include <ballast/memcg.h>
#include <ballast/vm.h>

struct test_vm_config {
	size_t ram;			/* bytes; 0: 64 MiB */
	bool memcg;			/* memcg_init() */
	bool oom;			/* oom_killer_init() */
	bool kswapd;
	struct writeback_config wb;	/* its dir is replaced */
};

void test_vm_setup(const struct test_vm_config *cfg);
void test_vm_teardown(void);

/*
 * In the calling task: a new address space, used by the task (its only
 * user reference is the task's). Returns it.
 */
struct mm_struct *test_use_new_mm(void);

/* Map @len bytes (anonymous if @file is NULL) and return the address. */
unsigned long test_mmap(struct mm_struct *mm, unsigned long addr, size_t len,
			unsigned long vm_flags, struct address_space *file,
			pgoff_t pgoff);

/*
 * A workload task filling anonymous memory: attaches to @memcg (NULL: the
 * root), sets its oom_score_adj, maps @pages anonymous pages at
 * TEST_HOG_BASE and writes pattern @seed over them, page by page, until
 * done or an error (result). Then it completes @ready; with @wait (and no
 * error) it waits for @done, re-reads every page and checks the pattern
 * (verified), and returns; its exit hooks free its address space.
 */
#define TEST_HOG_BASE (1UL << 36)

struct test_hog {
	struct mem_cgroup *memcg;
	unsigned long pages;
	int oom_score_adj;
	bool wait;
	uint64_t seed;
	/* results, valid after @ready */
	long result;
	unsigned long touched;
	bool verified;
	struct completion ready, done;
};

struct task *test_hog_start(struct test_hog *h, const char *name);
/* Let a waiting hog verify and exit; returns once it has. */
void test_hog_finish(struct test_hog *h, struct task *t);

#endif
