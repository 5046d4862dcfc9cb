// SPDX-License-Identifier: MIT
/* vm_fixture.c - the whole memory stack for vm, memcg and OOM tests. */
#include "vm_fixture.h"

#include <ballast/reclaim.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool fixture_memcg, fixture_oom;

void test_vm_setup(const struct test_vm_config *cfg)
{
	struct test_vm_config def = { 0 };

	if (!cfg)
		cfg = &def;
	test_pagecache_setup(cfg->ram ? cfg->ram : 64UL << 20, &cfg->wb,
			     cfg->kswapd);
	fixture_memcg = cfg->memcg;
	fixture_oom = cfg->oom;
	if (fixture_memcg)
		assert_int_equal(memcg_init(), 0);
	assert_int_equal(vm_init(), 0);
	if (fixture_oom)
		assert_int_equal(oom_killer_init(), 0);
}

void test_vm_teardown(void)
{
	assert_int_equal(vm_check(VM_CHECK_QUIESCENT), 0);
	if (fixture_memcg)
		assert_int_equal(memcg_check(MEMCG_CHECK_QUIESCENT), 0);
	if (fixture_oom)
		oom_killer_exit();
	vm_exit();
	if (fixture_memcg)
		memcg_exit();
	alloc_fault_set(NULL);
	test_pagecache_teardown();
}

struct mm_struct *test_use_new_mm(void)
{
	struct mm_struct *mm;

	assert_int_equal(mm_create(&mm), 0);
	use_mm(mm);
	mmput(mm);		/* the task's reference is the only one */
	return mm;
}

unsigned long test_mmap(struct mm_struct *mm, unsigned long addr, size_t len,
			unsigned long vm_flags, struct address_space *file,
			pgoff_t pgoff)
{
	unsigned long got;

	assert_int_equal(vm_mmap(mm, addr, len, vm_flags, file, pgoff, &got),
			 0);
	if (addr)
		assert_int_equal(got, addr);
	return got;
}

static void hog_page(struct test_hog *h, unsigned long i, char *buf)
{
	test_pattern(buf, PAGE_SIZE, h->seed, (uint64_t)i * PAGE_SIZE);
}

static int hog_fn(void *arg)
{
	struct test_hog *h = arg;
	char *buf = malloc(PAGE_SIZE), *got = malloc(PAGE_SIZE);
	struct mm_struct *mm;
	unsigned long addr;

	h->result = memcg_attach(h->memcg);
	atomic_store(&current->oom_score_adj, h->oom_score_adj);
	mm = test_use_new_mm();
	if (!h->result)
		h->result = vm_mmap(mm, TEST_HOG_BASE, h->pages * PAGE_SIZE,
				    VM_READ | VM_WRITE, NULL, 0, &addr);
	for (unsigned long i = 0; !h->result && i < h->pages; i++) {
		ssize_t n;

		hog_page(h, i, buf);
		n = vm_write(current, TEST_HOG_BASE + i * PAGE_SIZE, buf,
			     PAGE_SIZE);
		if (n != PAGE_SIZE)
			h->result = n < 0 ? n : -EIO;
		else
			h->touched++;
	}
	complete(&h->ready);
	if (h->wait && !h->result) {
		/* Parked until the test says so: not a hang. */
		wait_for_completion_idle(&h->done);
		h->verified = true;
		for (unsigned long i = 0; i < h->touched; i++) {
			hog_page(h, i, buf);
			if (vm_read(current, TEST_HOG_BASE + i * PAGE_SIZE, got,
				    PAGE_SIZE) != PAGE_SIZE ||
			    memcmp(buf, got, PAGE_SIZE))
				h->verified = false;
		}
	}
	free(buf);
	free(got);
	return 0;	/* exit hooks: the address space, the group */
}

struct task *test_hog_start(struct test_hog *h, const char *name)
{
	struct task *t;

	h->result = 0;
	h->touched = 0;
	h->verified = false;
	init_completion(&h->ready);
	init_completion(&h->done);
	assert_int_equal(task_create(&t, name, hog_fn, h, 0), 0);
	return t;
}

void test_hog_finish(struct test_hog *h, struct task *t)
{
	complete(&h->done);
	task_destroy(t);
}
