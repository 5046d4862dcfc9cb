// SPDX-License-Identifier: MIT
/*
 * rmap.c - reverse mapping: from a page to the PTEs that map it, for
 * reclaim (page_referenced, try_to_unmap: the reclaim rmap ops) and for
 * migration (try_to_migrate, remove_migration_ptes: migration entries).
 *
 * Invariants and locking:
 *  - An anonymous page (PG_swapbacked) is mapped by at most one PTE
 *    (ballast has no fork and no mremap): in the address space of the
 *    anon_vma its ->private names (the page holds a reference on it,
 *    dropped by vm's free hook when the page is freed), at the virtual
 *    page in ->index. ->private and ->index are set once, before the page
 *    is on the LRU or mapped, and never change while the page lives.
 *    anon_vma->lock protects anon_vma->mm, which teardown clears after
 *    the tables are gone; a walker holding the lock reaches the mm's
 *    page_table_lock safely.
 *  - A file page is mapped by the VMAs on its mapping's file_rmap list
 *    (i_mmap_lock, a global spinlock) whose file range covers
 *    page->index; a linked VMA's mm is alive (teardown unlinks its VMAs
 *    before freeing the mm), and a VMA's range only changes under
 *    i_mmap_lock. In a private VMA the PTE may map an anonymous copy
 *    instead: walkers compare pfns.
 *  - Every walker holds the page locked and a reference (the reclaim ops
 *    contract, and rule 6 of vm.h for migration), runs under i_mmap_lock
 *    or anon_vma->lock, then each mm's page_table_lock; it never sleeps
 *    and never allocates. Mapping references it removes are counted and
 *    dropped after the locks (the caller's reference keeps the page, so
 *    none is the last).
 *  - set_page_dirty() of a file page whose PTE was dirty is called under
 *    page_table_lock with the page locked (it takes i_pages_lock and
 *    wb_lock, spinlocks below page_table_lock).
 */
#include "internal.h"

/* One PTE of a walk; returns false to stop. page_table_lock held. */
typedef bool (*rmap_visit_fn)(struct page *page, struct mm_struct *mm,
			      struct vm_area_struct *vma, pte_slot_t *slot,
			      void *arg);

void anon_page_set_rmap(struct page *page, struct mm_struct *mm,
			unsigned long addr)
{
	anon_vma_get(mm->anon_vma);
	page->private = (unsigned long)mm->anon_vma;
	page->index = addr >> PAGE_SHIFT;
}

static void rmap_walk_anon(struct page *page, rmap_visit_fn visit, void *arg)
{
	struct anon_vma *av = (struct anon_vma *)page->private;
	struct mm_struct *mm;
	pte_slot_t *slot;

	if (!av)
		return;
	spin_lock(&av->lock);
	mm = av->mm;
	if (mm) {
		spin_lock(&mm->page_table_lock);
		slot = pte_lookup(mm, page->index << PAGE_SHIFT, NULL);
		if (slot)
			visit(page, mm, NULL, slot, arg);
		spin_unlock(&mm->page_table_lock);
	}
	spin_unlock(&av->lock);
}

static void rmap_walk_file(struct page *page, rmap_visit_fn visit, void *arg)
{
	struct address_space *mapping = page->mapping;
	struct vm_area_struct *vma;
	struct file_rmap *fr;

	if (!mapping)
		return;
	spin_lock(&i_mmap_lock);
	fr = file_rmap_find(mapping);
	if (fr) {
		list_for_each_entry(vma, &fr->vmas, shared) {
			pgoff_t nr = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
			struct mm_struct *mm = vma->vm_mm;
			unsigned long addr;
			pte_slot_t *slot;
			bool more = true;

			if (page->index < vma->vm_pgoff ||
			    page->index - vma->vm_pgoff >= nr)
				continue;
			addr = vma->vm_start +
			       ((page->index - vma->vm_pgoff) << PAGE_SHIFT);
			spin_lock(&mm->page_table_lock);
			slot = pte_lookup(mm, addr, NULL);
			if (slot)
				more = visit(page, mm, vma, slot, arg);
			spin_unlock(&mm->page_table_lock);
			if (!more)
				break;
		}
	}
	spin_unlock(&i_mmap_lock);
}

static void rmap_walk(struct page *page, rmap_visit_fn visit, void *arg)
{
	if (page_is_anon(page))
		rmap_walk_anon(page, visit, arg);
	else
		rmap_walk_file(page, visit, arg);
}

static bool pte_maps(uint64_t e, struct page *page)
{
	return pte_present(e) && pte_pfn(e) == page_to_pfn(page);
}

/* ------------------------------------------------------------------ */
/* Reclaim                                                               */
/* ------------------------------------------------------------------ */

struct referenced_arg {
	int referenced;
	bool exec;
};

static bool referenced_one(struct page *page, struct mm_struct *mm,
			   struct vm_area_struct *vma, pte_slot_t *slot,
			   void *arg)
{
	struct referenced_arg *ra = arg;
	uint64_t e = pte_read(slot);

	if (pte_maps(e, page) && (e & PTE_ACCESSED)) {
		pte_write(slot, e & ~PTE_ACCESSED);
		ra->referenced++;
		if (vma && (vma->vm_flags & VM_EXEC))
			ra->exec = true;
	}
	return true;
}

int page_referenced(struct page *page, struct mem_cgroup *memcg, bool *exec)
{
	struct referenced_arg ra = { 0 };

	if (page_mapcount(page) > 0)
		rmap_walk(page, referenced_one, &ra);
	if (exec)
		*exec = ra.exec;
	return ra.referenced;
}

struct unmap_arg {
	bool migrate;		/* leave migration entries */
	int refs;		/* mapping references to drop */
};

static bool unmap_one(struct page *page, struct mm_struct *mm,
		      struct vm_area_struct *vma, pte_slot_t *slot, void *arg)
{
	struct unmap_arg *ua = arg;
	uint64_t e = pte_read(slot);

	if (!pte_maps(e, page))
		return true;
	if (ua->migrate) {
		/* rss keeps counting it: the page is still resident. */
		pte_write(slot, mk_migration_entry(page, e));
	} else {
		pte_write(slot, 0);
		mm_rss_add(mm, page, -1);
	}
	if ((e & PTE_DIRTY) && !page_is_anon(page))
		set_page_dirty(page);	/* the caller holds the page lock */
	page_mapcount_dec(page);
	ua->refs++;
	return page_mapcount(page) > 0;
}

static bool unmap_walk(struct page *page, bool migrate)
{
	struct unmap_arg ua = { .migrate = migrate };

	if (WARN_ON_ONCE(!PageLocked(page)))
		return false;
	if (page_mapcount(page) > 0)
		rmap_walk(page, unmap_one, &ua);
	while (ua.refs-- > 0)
		put_page(page);		/* never the last: the caller's ref */
	return page_mapcount(page) == 0;
}

bool try_to_unmap(struct page *page)
{
	return unmap_walk(page, false);
}

/* ------------------------------------------------------------------ */
/* Migration entries (vm.h rule 6)                                       */
/* ------------------------------------------------------------------ */

bool try_to_migrate(struct page *page)
{
	return unmap_walk(page, true);
}

struct restore_arg {
	struct page *old, *new;
};

static bool restore_one(struct page *anchor, struct mm_struct *mm,
			struct vm_area_struct *vma, pte_slot_t *slot, void *arg)
{
	struct restore_arg *ra = arg;
	struct page *new = ra->new;
	uint64_t e = pte_read(slot), bits;
	unsigned int type;

	if (!pte_is_migration(e) || pte_pfn(e) != page_to_pfn(ra->old))
		return true;
	type = (unsigned int)((e & PTE_SWP_TYPE_MASK) >> PTE_SWP_TYPE_SHIFT);
	bits = (e & (PTE_ACCESSED | PTE_DIRTY)) |
	       (type == SWP_MIGRATION_WRITE ? PTE_WRITE : 0);
	pte_write(slot, mk_pte(new, bits));
	page_mapcount_inc(new);
	get_page(new);		/* the PTE's reference */
	return true;
}

void remove_migration_ptes(struct page *old, struct page *new)
{
	struct restore_arg ra = { .old = old, .new = new };
	struct page *anchor;

	if (WARN_ON_ONCE(!PageLocked(old) || !PageLocked(new)))
		return;
	if (new != old && page_is_anon(old)) {
		/* The new page takes over the anonymous identity. */
		struct anon_vma *av = (struct anon_vma *)old->private;

		if (av)
			anon_vma_get(av);
		SetPageSwapBacked(new);
		new->private = (unsigned long)av;
		new->index = old->index;
	}
	/* Walk by whichever page carries the file identity now. */
	anchor = (page_is_anon(new) || new->mapping) ? new : old;
	rmap_walk(anchor, restore_one, &ra);
}

const struct reclaim_rmap_ops vm_rmap_ops = {
	.page_referenced = page_referenced,
	.try_to_unmap = try_to_unmap,
};
