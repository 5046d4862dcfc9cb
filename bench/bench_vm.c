// SPDX-License-Identifier: MIT
/*
 * bench_vm.c - anonymous page faults through the software MMU (release
 * build).
 *
 *  - fault.anon_per_s: a fresh 256 MiB anonymous mapping is touched once
 *    per page with vm_access(VM_ACCESS_WRITE) + vm_access_put(): every
 *    access is a fault (page-table walk, zeroed page from the allocator,
 *    LRU, rmap anchor, PTE install) followed by the pin. Faults per
 *    second, median of ROUNDS; the mapping is unmapped between rounds
 *    (not timed).
 *  - fault.anon_memcg_per_s: the same, with the task in a memory cgroup
 *    (every page and page table charged).
 *  - vm.access_hit_ns: vm_access() + vm_access_put() of a page already
 *    mapped (the translation alone), median ns.
 *  - host.anon_fault_per_s: the reference measured in the same run: the
 *    host kernel's own first-touch faults on a 256 MiB anonymous mmap(2)
 *    of this process.
 */
#include "common/bench.h"

#include <ballast/memcg.h>
#include <ballast/reclaim.h>
#include <ballast/slab.h>
#include <ballast/vm.h>
#include <ballast/writeback.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM (512UL << 20)
#define MAP_BYTES (256UL << 20)
#define ROUNDS 7
#define HIT_ACCESSES 1000000UL
#define BASE (1UL << 32)
#define DIR "bench-vm-cache"

static void die(const char *what)
{
	fprintf(stderr, "bench_vm: %s failed\n", what);
	exit(1);
}

static double fault_round(struct mm_struct *mm)
{
	unsigned long addr, n = MAP_BYTES / PAGE_SIZE;
	struct vm_pin pin;
	uint64_t t0;

	if (vm_mmap(mm, BASE, MAP_BYTES, VM_READ | VM_WRITE, NULL, 0, &addr))
		die("vm_mmap");
	t0 = bench_now_ns();
	for (unsigned long i = 0; i < n; i++) {
		if (vm_access(current, BASE + i * PAGE_SIZE, 8, VM_ACCESS_WRITE,
			      &pin))
			die("vm_access");
		*(volatile uint64_t *)pin.addr = i;
		vm_access_put(&pin);
	}
	t0 = bench_now_ns() - t0;
	if (vm_munmap(mm, BASE, MAP_BYTES))
		die("vm_munmap");
	return (double)n / ((double)t0 / 1e9);
}

static double hit_ns(struct mm_struct *mm)
{
	unsigned long addr;
	struct vm_pin pin;
	uint64_t t0;

	if (vm_mmap(mm, BASE, 64 * PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0,
		    &addr))
		die("vm_mmap");
	for (unsigned long i = 0; i < 64; i++) {
		if (vm_access(current, BASE + i * PAGE_SIZE, 8, VM_ACCESS_WRITE,
			      &pin))
			die("vm_access");
		vm_access_put(&pin);
	}
	t0 = bench_now_ns();
	for (unsigned long i = 0; i < HIT_ACCESSES; i++) {
		if (vm_access(current, BASE + (i % 64) * PAGE_SIZE, 8, 0, &pin))
			die("vm_access");
		bench_keep(*(volatile uint64_t *)pin.addr);
		vm_access_put(&pin);
	}
	t0 = bench_now_ns() - t0;
	if (vm_munmap(mm, BASE, 64 * PAGE_SIZE))
		die("vm_munmap");
	return (double)t0 / HIT_ACCESSES;
}

static double host_round(void)
{
	char *p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long n = MAP_BYTES / PAGE_SIZE;
	uint64_t t0;

	if (p == MAP_FAILED)
		die("mmap");
	t0 = bench_now_ns();
	for (unsigned long i = 0; i < n; i++)
		*(volatile uint64_t *)(p + i * PAGE_SIZE) = i;
	t0 = bench_now_ns() - t0;
	munmap(p, MAP_BYTES);
	return (double)n / ((double)t0 / 1e9);
}

int main(void)
{
	double plain[ROUNDS], memcg[ROUNDS], host[ROUNDS], hit[ROUNDS];
	struct writeback_config cfg = { .dir = DIR };
	struct mem_cgroup *group;
	struct mm_struct *mm;

	if (page_ram_init(RAM) || alloc_init() || slab_init() ||
	    reclaim_init() || writeback_init(&cfg) || memcg_init() ||
	    vm_init())
		die("set-up");
	if (mm_create(&mm))
		die("mm_create");
	use_mm(mm);
	mmput(mm);
	if (memcg_create(root_mem_cgroup, "bench", MEMCG_MODE_UNIFIED, &group))
		die("memcg_create");

	for (int r = 0; r < ROUNDS; r++) {
		host[r] = host_round();
		plain[r] = fault_round(mm);
		if (memcg_attach(group))
			die("memcg_attach");
		memcg[r] = fault_round(mm);
		if (memcg_attach(NULL))
			die("memcg_attach");
		hit[r] = hit_ns(mm);
	}

	printf("%-32s %12s\n", "figure", "value");
	bench_record("fault.anon_per_s", bench_median(plain, ROUNDS), "faults/s");
	bench_record("fault.anon_memcg_per_s", bench_median(memcg, ROUNDS),
		     "faults/s");
	bench_record("vm.access_hit_ns", bench_median(hit, ROUNDS), "ns");
	bench_record("host.anon_fault_per_s", bench_median(host, ROUNDS),
		     "faults/s");

	exit_mm();
	if (memcg_destroy(group))
		die("memcg_destroy");
	vm_exit();
	memcg_exit();
	writeback_exit();
	reclaim_exit();
	slab_exit();
	alloc_exit();
	page_ram_destroy();
	rmdir(DIR);
	return 0;
}
