// SPDX-License-Identifier: MIT
/*
 * pgtable.c - four-level page tables in guest RAM: table pages,
 * pre-allocation of the path to a PTE (before any page lock), lookup,
 * zapping a range (munmap, exit, the OOM reaper) and freeing tables no
 * mapping needs.
 *
 * Invariants and locking:
 *  - A table is a page of type PGTY_TABLE, counted once in NR_PAGETABLE
 *    (and its memcg's copy) from pgtable_alloc() to pgtable_free(), and
 *    in its mm's nr_pgtables while installed. Entries of upper levels are
 *    zero or present (a table's pfn, writable and user); PTEs are zero,
 *    present, or migration entries.
 *  - Every entry, every install and removal of a table, and the rss and
 *    nr_pgtables counters of an mm change under its page_table_lock (a
 *    spinlock). Tables are allocated with no lock held (pgtable_prepare()
 *    drops the lock to allocate, then installs what is still missing and
 *    frees the rest): the fault path calls it before it locks any page.
 *  - A table is freed only when no VMA covers any part of its span
 *    (free_pgtables(): floor/ceiling from the neighbouring VMAs, with
 *    mmap_lock held for writing), so faults, which hold mmap_lock for
 *    reading, never see a table go; rmap walkers look tables up under
 *    page_table_lock and see either the table or nothing.
 *  - A page mapped by a present PTE holds one reference and one map
 *    count for it; a migration entry holds neither (try_to_migrate()
 *    dropped them) but still counts in rss. Zapping drops them after the
 *    lock is released; a dirty PTE's bit goes to a file page under its
 *    page lock (set_page_dirty()), also after the lock.
 *  - NR_ANON_MAPPED / NR_FILE_MAPPED count pages with a map count > 0
 *    (mod_lruvec_page_state() on the 0 <-> 1 transitions).
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

struct page *pgtable_alloc(gfp_t gfp)
{
	struct page *table = alloc_page(gfp | __GFP_ZERO);

	if (!table)
		return NULL;
	page_set_type(table, PGTY_TABLE);
	mod_lruvec_page_state(table, NR_PAGETABLE, 1);
	return table;
}

void pgtable_free(struct page *table)
{
	mod_lruvec_page_state(table, NR_PAGETABLE, -1);
	page_clear_type(table, PGTY_TABLE);
	__free_page(table);
}

void page_mapcount_inc(struct page *page)
{
	if (atomic_fetch_add_explicit(&page->_mapcount, 1,
				      memory_order_relaxed) == 0)
		mod_lruvec_page_state(page, page_is_anon(page) ? NR_ANON_MAPPED
							      : NR_FILE_MAPPED,
				      1);
}

void page_mapcount_dec(struct page *page)
{
	int old = atomic_fetch_sub_explicit(&page->_mapcount, 1,
					    memory_order_relaxed);

	if (old == 1)
		mod_lruvec_page_state(page, page_is_anon(page) ? NR_ANON_MAPPED
							      : NR_FILE_MAPPED,
				      -1);
	else if (WARN_ON_ONCE(old <= 0))
		atomic_fetch_add(&page->_mapcount, 1);
}

/*
 * The PTE slot of @addr, or NULL if a table on the way is missing (then
 * *@missing_level, if given, is the level of the missing table: 2 a PUD
 * table ... 0 the PTE table). Caller holds page_table_lock.
 */
pte_slot_t *pte_lookup(struct mm_struct *mm, unsigned long addr,
		       int *missing_level)
{
	struct page *table = mm->pgd;

	lockdep_assert_held(&mm->page_table_lock);
	if (missing_level)
		*missing_level = PT_LEVELS - 1;
	if (!table)
		return NULL;
	for (int level = PT_LEVELS - 1; level > 0; level--) {
		uint64_t e = pte_read(&table_slots(table)[table_index(addr,
								      level)]);

		if (!pte_present(e)) {
			if (missing_level)
				*missing_level = level - 1;
			return NULL;
		}
		table = pfn_to_page(pte_pfn(e));
	}
	return &table_slots(table)[table_index(addr, 0)];
}

/*
 * Install the missing tables on @addr's path down to the table of level
 * @lowest from @spare; returns how many more were needed than given.
 */
static int install_tables(struct mm_struct *mm, unsigned long addr,
			  int lowest, struct page **spare, int *nr_spare)
{
	struct page *table = mm->pgd;
	int needed = 0;

	for (int level = PT_LEVELS - 1; level > lowest; level--) {
		pte_slot_t *slot = &table_slots(table)[table_index(addr, level)];
		uint64_t e = pte_read(slot);

		if (!pte_present(e)) {
			struct page *child;

			if (!*nr_spare) {
				/* Count what the rest of the path needs. */
				needed = level - lowest;
				break;
			}
			child = spare[--*nr_spare];
			pte_write(slot, mk_pte(child, PTE_WRITE));
			atomic_fetch_add(&mm->nr_pgtables, 1);
			e = pte_read(slot);
		}
		table = pfn_to_page(pte_pfn(e));
	}
	return needed;
}

/*
 * Make sure the tables on @addr's path exist down to level @lowest (0:
 * the PTE table). Allocates with @gfp holding no lock, installs under
 * page_table_lock; a racing fault may have installed them first (then
 * ours are freed). Returns 0, -ENOMEM, or -EFAULT if @mm was torn down.
 */
int pgtable_prepare(struct mm_struct *mm, unsigned long addr, int lowest,
		    gfp_t gfp)
{
	struct page *spare[PT_LEVELS];
	int nr_spare = 0, needed, ret = 0;

	for (;;) {
		spin_lock(&mm->page_table_lock);
		if (!mm->pgd) {
			spin_unlock(&mm->page_table_lock);
			ret = -EFAULT;
			break;
		}
		needed = install_tables(mm, addr, lowest, spare, &nr_spare);
		spin_unlock(&mm->page_table_lock);
		if (!needed)
			break;
		while (needed-- > 0) {
			struct page *t = pgtable_alloc(gfp);

			if (!t) {
				ret = -ENOMEM;
				goto out;
			}
			spare[nr_spare++] = t;
		}
	}
out:
	while (nr_spare > 0)
		pgtable_free(spare[--nr_spare]);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Zapping                                                               */
/* ------------------------------------------------------------------ */

struct zap_batch {
	int nr, nr_dirty;
	struct page *pages[PTRS_PER_TABLE];	/* a reference each to drop */
	struct page *dirty[PTRS_PER_TABLE];	/* file pages whose PTE was dirty */
};

/* Outside page_table_lock: dirty bits to the page cache, then the puts. */
static void zap_batch_finish(struct zap_batch *b)
{
	for (int i = 0; i < b->nr_dirty; i++) {
		struct page *page = b->dirty[i];

		lock_page(page);
		if (page->mapping)
			set_page_dirty(page);
		unlock_page(page);
	}
	for (int i = 0; i < b->nr; i++)
		put_page(b->pages[i]);
	b->nr = b->nr_dirty = 0;
}

/*
 * Clear the PTEs of [@start, @end) within one PTE table of @mm. Caller
 * holds page_table_lock; the batch has room for a whole table.
 */
static void zap_pte_table(struct mm_struct *mm, pte_slot_t *slots,
			  unsigned long start, unsigned long end,
			  bool transfer_dirty, struct zap_batch *b)
{
	for (unsigned long addr = start; addr < end; addr += PAGE_SIZE) {
		pte_slot_t *slot = &slots[table_index(addr, 0)];
		uint64_t e = pte_read(slot);
		struct page *page;

		if (!e)
			continue;
		pte_write(slot, 0);
		page = pfn_to_page(pte_pfn(e));
		mm_rss_add(mm, page, -1);
		if (!pte_present(e))
			continue;	/* a migration entry: nothing held */
		page_mapcount_dec(page);
		if ((e & PTE_DIRTY) && !page_is_anon(page)) {
			if (WARN_ON_ONCE(!transfer_dirty))
				continue;	/* keep the reference: leak, not lose */
			b->dirty[b->nr_dirty++] = page;
		}
		b->pages[b->nr++] = page;
	}
}

/*
 * Remove every PTE of [@start, @end) (page aligned, inside @vma). Takes
 * page_table_lock per PTE table; with @transfer_dirty, dirty bits of file
 * pages go to the pages under their locks (may sleep). Caller holds
 * mmap_lock (read for the reaper, write otherwise).
 */
void zap_range(struct mm_struct *mm, struct vm_area_struct *vma,
	       unsigned long start, unsigned long end, bool transfer_dirty)
{
	struct zap_batch batch, *b = &batch;	/* 8 KiB: one PTE table */
	unsigned long addr = start;

	b->nr = b->nr_dirty = 0;
	while (addr < end) {
		unsigned long next;
		pte_slot_t *slot;
		int missing;

		spin_lock(&mm->page_table_lock);
		slot = pte_lookup(mm, addr, &missing);
		if (!slot) {
			spin_unlock(&mm->page_table_lock);
			/* Skip the whole span of the missing table. */
			next = ALIGN_DOWN(addr, level_span(missing + 1)) +
			       level_span(missing + 1);
			if (next <= addr)	/* wrapped at the top */
				break;
			addr = next;
			continue;
		}
		next = min(ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE, end);
		zap_pte_table(mm, slot - table_index(addr, 0), addr, next,
			      transfer_dirty, b);
		spin_unlock(&mm->page_table_lock);
		zap_batch_finish(b);
		addr = next;
	}
}

/* ------------------------------------------------------------------ */
/* Freeing tables                                                        */
/* ------------------------------------------------------------------ */

/*
 * Under page_table_lock: free the child tables of @table (of level
 * @level, covering from @base) whose spans meet [@start, @end) and lie
 * wholly inside [@floor, @ceiling); they are moved to @freed.
 */
static void free_tables_level(struct mm_struct *mm, struct page *table,
			      int level, unsigned long base,
			      unsigned long start, unsigned long end,
			      unsigned long floor, unsigned long ceiling,
			      struct list_head *freed)
{
	unsigned long span = level_span(level);

	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++) {
		unsigned long lo = base + i * span, hi = lo + span - 1;
		pte_slot_t *slot = &table_slots(table)[i];
		uint64_t e = pte_read(slot);
		struct page *child;

		if (hi < start || lo >= end || !pte_present(e))
			continue;
		child = pfn_to_page(pte_pfn(e));
		if (level > 1)
			free_tables_level(mm, child, level - 1, lo, start, end,
					  floor, ceiling, freed);
		if (lo >= floor && hi <= ceiling - 1) {
			pte_write(slot, 0);
			atomic_fetch_sub(&mm->nr_pgtables, 1);
			list_add(&child->lru, freed);
		}
	}
}

static void free_table_list(struct list_head *freed)
{
	while (!list_empty(freed)) {
		struct page *t = list_first_entry(freed, struct page, lru);

		list_del_init(&t->lru);
		pgtable_free(t);
	}
}

/*
 * Free the tables below the PGD that only served [@start, @end), now
 * unmapped: those whose whole span lies in [@floor, @ceiling), the gap
 * between the neighbouring VMAs (@ceiling 0 means the top of the address
 * space). Caller holds mmap_lock for writing and has zapped the range.
 */
void free_pgtables(struct mm_struct *mm, unsigned long start,
		   unsigned long end, unsigned long floor,
		   unsigned long ceiling)
{
	LIST_HEAD(freed);

	if (!ceiling)
		ceiling = VM_USER_END;
	spin_lock(&mm->page_table_lock);
	if (mm->pgd)
		free_tables_level(mm, mm->pgd, PT_LEVELS - 1, 0, start, end,
				  floor, ceiling, &freed);
	spin_unlock(&mm->page_table_lock);
	free_table_list(&freed);
}

/* Free every table, the PGD last (teardown; nothing is mapped). */
void free_all_pgtables(struct mm_struct *mm)
{
	LIST_HEAD(freed);
	struct page *pgd;

	spin_lock(&mm->page_table_lock);
	pgd = mm->pgd;
	if (pgd) {
		free_tables_level(mm, pgd, PT_LEVELS - 1, 0, 0, ~0UL, 0, ~0UL,
				  &freed);
		mm->pgd = NULL;
		atomic_fetch_sub(&mm->nr_pgtables, 1);
	}
	spin_unlock(&mm->page_table_lock);
	free_table_list(&freed);
	if (pgd)
		pgtable_free(pgd);
}
