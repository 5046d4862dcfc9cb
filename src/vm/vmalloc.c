// SPDX-License-Identifier: MIT
/*
 * vmalloc.c - virtually contiguous memory from order-0 pages: a region of
 * the process's address space reserved at start-up, areas allocated in it
 * first-fit (with a guard page each), each area's pages mapped at
 * consecutive addresses in ballast's kernel page table (init_mm) and, for
 * real, by mapping the guest-RAM memfd's pages MAP_FIXED|MAP_SHARED at
 * those addresses, so C code can use the pointer.
 *
 * Invariants and locking:
 *  - The region [vmalloc_start, vmalloc_end) is immutable after
 *    vmalloc_init(). Outside live areas it is mapped PROT_NONE; an
 *    area's pages are mapped read-write at their addresses, in the same
 *    order as their PTEs in init_mm, for exactly the area's lifetime
 *    (vfree() reserves the range again before the pages are freed, so a
 *    use after free faults instead of touching a reused page).
 *  - vmap_areas (vmap_area_lock, a spinlock) lists the live areas by
 *    address; areas never overlap and leave a guard page after them.
 *  - init_mm's tables are allocated like any mm's (pgtable_prepare(), no
 *    lock held) with GFP_KERNEL, whatever the caller's mask: only scopes
 *    reach them, as in Linux (bug 4); alloc_scope_push() makes the
 *    validator report a nested allocation laxer than the caller's mask.
 *    Kernel page tables are never freed before vmalloc_exit(), as in
 *    Linux. init_mm's entries change under its page_table_lock.
 *  - NR_VMALLOC counts the areas' pages.
 * Lock order: vmap_area_lock -> init_mm.page_table_lock (vm_check only);
 * otherwise neither nests.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

struct vmap_area {
	struct list_head list;		/* vmap_areas; vmap_area_lock */
	unsigned long addr;		/* immutable */
	unsigned long size;		/* bytes, guard page included */
	unsigned int nr_pages;
	struct page **pages;
};

struct mm_struct init_mm;
static unsigned long vmalloc_start, vmalloc_end;
static LIST_HEAD(vmap_areas);
static DEFINE_SPINLOCK(vmap_area_lock);

static int reserve_range(unsigned long addr, unsigned long size)
{
	void *p = mmap((void *)addr, size, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
			       (addr ? MAP_FIXED : 0),
		       -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	if (!addr)
		vmalloc_start = (unsigned long)p;
	return 0;
}

int vmalloc_init(void)
{
	int ret = reserve_range(0, VMALLOC_RESERVE_BYTES);

	if (ret)
		return ret;
	vmalloc_end = vmalloc_start + VMALLOC_RESERVE_BYTES;
	memset(&init_mm, 0, sizeof(init_mm));
	if (mm_init_common(&init_mm, GFP_KERNEL)) {
		munmap((void *)vmalloc_start, VMALLOC_RESERVE_BYTES);
		return -ENOMEM;
	}
	return 0;
}

void vmalloc_exit(void)
{
	unsigned long nr = 0;
	struct vmap_area *va;

	spin_lock(&vmap_area_lock);
	list_for_each_entry(va, &vmap_areas, list)
		nr++;
	spin_unlock(&vmap_area_lock);
	if (nr)
		report_misuse("vmalloc_exit: %lu areas not freed; leaked", nr);
	free_all_pgtables(&init_mm);
	munmap((void *)vmalloc_start, VMALLOC_RESERVE_BYTES);
	vmalloc_start = vmalloc_end = 0;
}

bool is_vmalloc_addr(const void *addr)
{
	unsigned long a = (unsigned long)addr;

	return a >= vmalloc_start && a < vmalloc_end;
}

/* First fit of @size bytes in the region; vmap_area_lock held. */
static unsigned long va_find(unsigned long size, struct list_head **before)
{
	unsigned long cand = vmalloc_start;
	struct vmap_area *va;

	list_for_each_entry(va, &vmap_areas, list) {
		if (va->addr >= cand + size) {
			*before = &va->list;
			return cand;
		}
		cand = va->addr + va->size;
	}
	*before = &vmap_areas;
	return cand + size <= vmalloc_end ? cand : 0;
}

/* Map the area's pages into init_mm; the tables come first, no lock held. */
static int vmap_pages_kernel(struct vmap_area *va)
{
	for (unsigned int i = 0; i < va->nr_pages;) {
		unsigned long addr = va->addr + (unsigned long)i * PAGE_SIZE;
		unsigned long chunk_end = ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE;
		pte_slot_t *slot;
		int ret;

		/* Linux's pte_alloc_kernel(): GFP_KERNEL, scopes only. */
		ret = pgtable_prepare(&init_mm, addr, 0, GFP_KERNEL);
		if (ret)
			return ret;
		spin_lock(&init_mm.page_table_lock);
		slot = pte_lookup(&init_mm, addr, NULL);
		for (; i < va->nr_pages && addr < chunk_end;
		     i++, addr += PAGE_SIZE, slot++)
			pte_write(slot, mk_pte(va->pages[i], PTE_WRITE |
						PTE_ACCESSED | PTE_DIRTY));
		spin_unlock(&init_mm.page_table_lock);
	}
	return 0;
}

static void vunmap_pages_kernel(struct vmap_area *va)
{
	spin_lock(&init_mm.page_table_lock);
	for (unsigned int i = 0; i < va->nr_pages; i++) {
		pte_slot_t *slot = pte_lookup(&init_mm, va->addr +
						(unsigned long)i * PAGE_SIZE,
					      NULL);

		if (slot)
			pte_write(slot, 0);
	}
	spin_unlock(&init_mm.page_table_lock);
}

/* Map the memfd's pages at the area's addresses, one mmap per pfn run. */
static int vmap_pages_process(struct vmap_area *va)
{
	for (unsigned int i = 0; i < va->nr_pages;) {
		unsigned long pfn = page_to_pfn(va->pages[i]);
		unsigned int run = 1;
		void *p;

		while (i + run < va->nr_pages &&
		       page_to_pfn(va->pages[i + run]) == pfn + run)
			run++;
		p = mmap((void *)(va->addr + (unsigned long)i * PAGE_SIZE),
			 (size_t)run * PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, page_ram_fd(),
			 (off_t)(pfn << PAGE_SHIFT));
		if (p == MAP_FAILED)
			return -errno;
		i += run;
	}
	return 0;
}

static void vmap_area_free_pages(struct vmap_area *va, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++)
		__free_page(va->pages[i]);
}

void *__vmalloc(unsigned long size, gfp_t gfp)
{
	gfp_t meta_gfp = gfp & GFP_RECLAIM_MASK;
	struct list_head *before;
	struct vmap_area *va;
	unsigned int nr, got = 0;
	void *ret = NULL;

	might_alloc(gfp);
	if (!size || size > VMALLOC_RESERVE_BYTES - PAGE_SIZE)
		return NULL;
	nr = (unsigned int)(ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT);
	/*
	 * Everything allocated below is made on behalf of a caller that
	 * asked for @gfp: tell the validator, so a nested allocation laxer
	 * than @gfp (the page tables, GFP_KERNEL) is reported (bug 4).
	 */
	alloc_scope_push(gfp, "vmalloc", _RET_IP_);
	va = kzalloc(sizeof(*va), meta_gfp);
	if (!va)
		goto out;
	va->pages = kcalloc(nr, sizeof(*va->pages), meta_gfp);
	if (!va->pages)
		goto out_va;
	va->nr_pages = nr;
	va->size = ((unsigned long)nr + 1) * PAGE_SIZE;	/* + guard */
	for (got = 0; got < nr; got++) {
		va->pages[got] = alloc_page(gfp);
		if (!va->pages[got])
			goto out_pages;
	}
	spin_lock(&vmap_area_lock);
	va->addr = va_find(va->size, &before);
	if (va->addr)
		list_add_tail(&va->list, before);
	spin_unlock(&vmap_area_lock);
	if (!va->addr)
		goto out_pages;
	if (vmap_pages_kernel(va) || vmap_pages_process(va))
		goto out_unmap;
	mod_node_page_state(NR_VMALLOC, nr);
	vm_count(vmalloc_pages, nr);
	ret = (void *)va->addr;
	goto out;

out_unmap:
	reserve_range(va->addr, (unsigned long)nr * PAGE_SIZE);
	vunmap_pages_kernel(va);
	spin_lock(&vmap_area_lock);
	list_del(&va->list);
	spin_unlock(&vmap_area_lock);
out_pages:
	vmap_area_free_pages(va, got);
	kfree(va->pages);
out_va:
	kfree(va);
out:
	alloc_scope_pop();
	return ret;
}

void *vmalloc(unsigned long size)
{
	return __vmalloc(size, GFP_KERNEL);
}

void *vzalloc(unsigned long size)
{
	return __vmalloc(size, GFP_KERNEL | __GFP_ZERO);
}

void vfree(const void *addr)
{
	struct vmap_area *va, *found = NULL;

	if (!addr)
		return;
	spin_lock(&vmap_area_lock);
	list_for_each_entry(va, &vmap_areas, list) {
		if (va->addr == (unsigned long)addr) {
			found = va;
			list_del(&va->list);
			break;
		}
	}
	spin_unlock(&vmap_area_lock);
	if (!found) {
		report_misuse("vfree(%p): not a vmalloc area", addr);
		return;
	}
	/* Unreachable first, then free: a use after free faults. */
	if (reserve_range(found->addr,
			  (unsigned long)found->nr_pages * PAGE_SIZE))
		ballast_fatal("vfree: cannot re-reserve %p", addr);
	vunmap_pages_kernel(found);
	vmap_area_free_pages(found, found->nr_pages);
	mod_node_page_state(NR_VMALLOC, -(long)found->nr_pages);
	atomic_fetch_sub(&vm_counters.vmalloc_pages, found->nr_pages);
	kfree(found->pages);
	kfree(found);
}

struct page *vmalloc_to_page(const void *addr)
{
	struct page *page = NULL;
	pte_slot_t *slot;
	uint64_t e;

	if (!is_vmalloc_addr(addr))
		return NULL;
	spin_lock(&init_mm.page_table_lock);
	slot = pte_lookup(&init_mm, (unsigned long)addr, NULL);
	e = slot ? pte_read(slot) : 0;
	if (pte_present(e))
		page = pfn_to_page(pte_pfn(e));
	spin_unlock(&init_mm.page_table_lock);
	return page;
}

/* vm_check()'s part: every area's pages mapped twice, consistently. */
unsigned long vmalloc_check(unsigned int flags)
{
	unsigned long errors = 0, pages = 0;
	struct vmap_area *va;

	spin_lock(&vmap_area_lock);
	spin_lock(&init_mm.page_table_lock);
	list_for_each_entry(va, &vmap_areas, list) {
		pages += va->nr_pages;
		for (unsigned int i = 0; i < va->nr_pages; i++) {
			unsigned long addr = va->addr +
					     (unsigned long)i * PAGE_SIZE;
			pte_slot_t *slot = pte_lookup(&init_mm, addr, NULL);
			uint64_t e = slot ? pte_read(slot) : 0;

			if (!pte_present(e) ||
			    pte_pfn(e) != page_to_pfn(va->pages[i])) {
				if (errors++ < 10)
					pr_err("vm_check: vmalloc %#lx page "
					       "%u not mapped in init_mm", addr,
					       i);
				continue;
			}
			/* The process mapping shows the page's bytes. */
			if (memcmp((void *)addr, page_address(va->pages[i]),
				   64) && errors++ < 10)
				pr_err("vm_check: vmalloc %#lx differs from "
				       "its page", addr);
		}
	}
	spin_unlock(&init_mm.page_table_lock);
	spin_unlock(&vmap_area_lock);
	if ((flags & VM_CHECK_QUIESCENT) &&
	    node_page_state(NR_VMALLOC) != (long)pages && errors++ < 10)
		pr_err("vm_check: NR_VMALLOC %ld, areas hold %lu pages",
		       node_page_state(NR_VMALLOC), pages);
	return errors;
}
