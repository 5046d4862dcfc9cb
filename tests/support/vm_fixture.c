// SPDX-License-Identifier: MIT
/* vm_fixture.c - the whole memory stack for vm, memcg and OOM tests. */
#include "vm_fixture.h"

#include <ballast/reclaim.h>

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
