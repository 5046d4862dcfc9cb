// SPDX-License-Identifier: MIT
/* internal.h - shared between the vm layer's files only. */
#ifndef BALLAST_VM_INTERNAL_H
#define BALLAST_VM_INTERNAL_H

#include <ballast/memcg.h>
#include <ballast/slab.h>
#include <ballast/vm.h>

/*
 * struct anon_vma - the reverse-map anchor of an address space's
 * anonymous pages (ballast has no fork, so one per mm). Each anonymous
 * page holds a reference in ->private; the mm holds one until teardown.
 * lock: protects mm (NULL once the mm is torn down). refcount: atomic.
 */
struct anon_vma {
	spinlock_t lock;
	struct mm_struct *mm;
	_Atomic(long) refcount;
};

/*
 * struct file_rmap - the VMAs mapping one page-cache file (Linux keeps
 * them in address_space->i_mmap; ballast keeps its own table, keyed by
 * the mapping, so the page cache needs no vm field). mapping: immutable.
 * vmas, hash: i_mmap_lock. Freed with its last VMA.
 */
struct file_rmap {
	struct address_space *mapping;
	struct list_head vmas;
	struct list_head hash;
};

extern spinlock_t i_mmap_lock;
extern spinlock_t task_mm_lock;
extern spinlock_t mm_list_lock;
extern struct list_head mm_list;
extern struct mm_struct init_mm;
extern struct kmem_cache *vma_cachep;

/* Counters (vm_get_stats). */
struct vm_counters {
	_Atomic(unsigned long) faults, anon_faults, file_faults, fault_around,
		cow_faults, shared_write_faults, wp_faults, migration_waits,
		vmalloc_pages;
};
extern struct vm_counters vm_counters;
#define vm_count(field, n) \
	atomic_fetch_add_explicit(&vm_counters.field, (n), memory_order_relaxed)

/* ------------------------------------------------------------------ */
/* pgtable.c                                                             */
/* ------------------------------------------------------------------ */

typedef _Atomic(uint64_t) pte_slot_t;

static inline pte_slot_t *table_slots(struct page *table)
{
	return (pte_slot_t *)page_address(table);
}

/* Level of a table: 3 the PGD ... 0 a PTE table. */
static inline unsigned int table_index(unsigned long addr, int level)
{
	return (unsigned int)(addr >> (PAGE_SHIFT + 9 * level)) &
	       (PTRS_PER_TABLE - 1);
}

/* Bytes one entry of a level-@level table covers. */
static inline unsigned long level_span(int level)
{
	return 1UL << (PAGE_SHIFT + 9 * level);
}

static inline uint64_t pte_read(pte_slot_t *slot)
{
	return atomic_load_explicit(slot, memory_order_relaxed);
}

static inline void pte_write(pte_slot_t *slot, uint64_t v)
{
	atomic_store_explicit(slot, v, memory_order_relaxed);
}

static inline uint64_t mk_pte(struct page *page, uint64_t bits)
{
	return ((uint64_t)page_to_pfn(page) << PAGE_SHIFT) | PTE_PRESENT |
	       PTE_USER | bits;
}

static inline uint64_t mk_migration_entry(struct page *page, uint64_t pte)
{
	uint64_t type = (pte & PTE_WRITE) ? SWP_MIGRATION_WRITE
					  : SWP_MIGRATION_READ;

	return ((uint64_t)page_to_pfn(page) << PAGE_SHIFT) |
	       (type << PTE_SWP_TYPE_SHIFT) |
	       (pte & (PTE_ACCESSED | PTE_DIRTY));
}

struct page *pgtable_alloc(gfp_t gfp);
void pgtable_free(struct page *table);
int pgtable_prepare(struct mm_struct *mm, unsigned long addr, int lowest,
		    gfp_t gfp);
pte_slot_t *pte_lookup(struct mm_struct *mm, unsigned long addr,
		       int *missing_level);
void zap_range(struct mm_struct *mm, struct vm_area_struct *vma,
	       unsigned long start, unsigned long end, bool transfer_dirty);
void free_pgtables(struct mm_struct *mm, unsigned long start,
		   unsigned long end, unsigned long floor,
		   unsigned long ceiling);
void free_all_pgtables(struct mm_struct *mm);
void page_mapcount_inc(struct page *page);
void page_mapcount_dec(struct page *page);

static inline bool page_is_anon(const struct page *page)
{
	return PageSwapBacked(page);
}

static inline void mm_rss_add(struct mm_struct *mm, struct page *page,
			      long n)
{
	atomic_fetch_add_explicit(&mm->rss[page_is_anon(page) ? MM_ANONPAGES
							      : MM_FILEPAGES],
				  n, memory_order_relaxed);
}

/* ------------------------------------------------------------------ */
/* mm.c                                                                  */
/* ------------------------------------------------------------------ */

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
void mmgrab(struct mm_struct *mm);
void mmdrop(struct mm_struct *mm);
struct anon_vma *anon_vma_alloc(void);
void anon_vma_get(struct anon_vma *av);
void anon_vma_put(struct anon_vma *av);
int mm_init_common(struct mm_struct *mm, gfp_t pgd_gfp);
int vm_mm_caches_init(void);
void vm_mm_caches_exit(void);
struct file_rmap *file_rmap_find(struct address_space *mapping);

/* memory.c */
int handle_mm_fault(struct mm_struct *mm, struct vm_area_struct *vma,
		    unsigned long addr, unsigned int flags, loff_t file_end);
#define FAULT_FLAG_WRITE 0x1u

/* rmap.c, oom.c */
extern const struct reclaim_rmap_ops vm_rmap_ops;
extern const struct reclaim_oom_ops vm_oom_ops;
void anon_page_set_rmap(struct page *page, struct mm_struct *mm,
			unsigned long addr);

/* vmalloc.c */
int vmalloc_init(void);
void vmalloc_exit(void);
unsigned long vmalloc_check(unsigned int flags);

#endif
