// SPDX-License-Identifier: MIT
/*
 * check.c - vm_check(): every address space's VMAs, tables and PTEs
 * against the invariants atop mm.c, pgtable.c and rmap.c; the vmalloc
 * areas; with the quiescent flag, every page's map count and the mapped
 * gauges against all PTEs.
 *
 * Locking: the address spaces are pinned (mmgrab) under mm_list_lock,
 * then each is checked under its mmap_lock (read), i_mmap_lock for its
 * file VMAs' list membership, and page_table_lock for the walk (so its
 * counters and tables are consistent even while other mms run). The
 * quiescent checks read page flags and map counts locklessly.
 */
#include "internal.h"

#include <stdlib.h>

struct mm_check {
	struct mm_struct *mm;
	uint32_t *maps;			/* per pfn: PTEs seen (quiescent) */
	unsigned long errors;
	long rss[NR_MM_COUNTERS];
	long tables;
};

static void fail(struct mm_check *c, const char *what, unsigned long addr)
{
	if (c->errors++ < 20)
		pr_err("vm_check: mm %p: %s at %#lx", (void *)c->mm, what,
		       addr);
}

static void check_pte(struct mm_check *c, struct vm_area_struct *vma,
		      unsigned long addr, uint64_t e)
{
	struct page *page;

	if (!pfn_valid(pte_pfn(e))) {
		fail(c, "PTE names a pfn outside RAM", addr);
		return;
	}
	page = pfn_to_page(pte_pfn(e));
	if (!vma) {
		fail(c, "PTE outside every VMA", addr);
		return;
	}
	c->rss[page_is_anon(page) ? MM_ANONPAGES : MM_FILEPAGES]++;
	if (!pte_present(e)) {
		if (!pte_is_migration(e))
			fail(c, "non-present PTE of an unknown kind", addr);
		else if (!PageLocked(page))
			fail(c, "migration entry of an unlocked page", addr);
		return;
	}
	if (c->maps)
		c->maps[pte_pfn(e)]++;
	if ((e & PTE_WRITE) && !(vma->vm_flags & VM_WRITE))
		fail(c, "writable PTE in a read-only VMA", addr);
	if (page_mapcount(page) <= 0)
		fail(c, "mapped page with no map count", addr);
	if (page_get_type(page) != PGTY_NONE || page_ref_count(page) <= 0)
		fail(c, "PTE maps a free or typed page", addr);
	if (page_is_anon(page)) {
		struct anon_vma *av = (struct anon_vma *)page->private;

		if (av != c->mm->anon_vma || page->index != addr >> PAGE_SHIFT)
			fail(c, "anonymous page of another identity", addr);
		if (vma->vm_file && (vma->vm_flags & VM_SHARED))
			fail(c, "anonymous page in a shared file VMA", addr);
	} else {
		pgoff_t want = vma->vm_pgoff +
			       ((addr - vma->vm_start) >> PAGE_SHIFT);

		if (!vma->vm_file || page->mapping != vma->vm_file ||
		    page->index != want)
			fail(c, "file page at the wrong offset", addr);
		if ((e & PTE_WRITE) && !(vma->vm_flags & VM_SHARED))
			fail(c, "writable file PTE in a private VMA", addr);
	}
}

/* Walk a table of @level covering from @base; page_table_lock held. */
static void check_table(struct mm_check *c, struct page *table, int level,
			unsigned long base, struct vm_area_struct **vmap)
{
	if (!PageTable(table)) {
		fail(c, "table page is not PGTY_TABLE", base);
		return;
	}
	c->tables++;
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++) {
		unsigned long addr = base + i * level_span(level);
		uint64_t e = pte_read(&table_slots(table)[i]);

		if (!e)
			continue;
		if (level > 0) {
			if (!pte_present(e) || !pfn_valid(pte_pfn(e))) {
				fail(c, "bad upper-level entry", addr);
				continue;
			}
			check_table(c, pfn_to_page(pte_pfn(e)), level - 1, addr,
				    vmap);
			continue;
		}
		/* VMAs are sorted and PTEs visited in order. */
		while (*vmap && (*vmap)->vm_end <= addr) {
			struct vm_area_struct *next = list_next_entry(*vmap,
								      vm_list);

			*vmap = &next->vm_list == &c->mm->mmap ? NULL : next;
		}
		check_pte(c, (*vmap && (*vmap)->vm_start <= addr) ? *vmap
								  : NULL,
			  addr, e);
	}
}

static void check_vmas(struct mm_check *c)
{
	struct mm_struct *mm = c->mm;
	struct vm_area_struct *vma;
	unsigned long prev_end = VM_USER_START;
	int n = 0;

	list_for_each_entry(vma, &mm->mmap, vm_list) {
		n++;
		if ((vma->vm_start | vma->vm_end) & (PAGE_SIZE - 1) ||
		    vma->vm_start >= vma->vm_end || vma->vm_start < prev_end ||
		    vma->vm_end > VM_USER_END)
			fail(c, "VMA unsorted, unaligned or out of range",
			     vma->vm_start);
		prev_end = vma->vm_end;
		if (vma->vm_mm != mm)
			fail(c, "VMA of another mm", vma->vm_start);
		if (vma->vm_file) {
			struct file_rmap *fr;
			bool listed = false;
			struct vm_area_struct *v;

			spin_lock(&i_mmap_lock);
			fr = file_rmap_find(vma->vm_file);
			if (fr && fr == vma->vm_rmap)
				list_for_each_entry(v, &fr->vmas, shared)
					listed |= v == vma;
			spin_unlock(&i_mmap_lock);
			if (!listed)
				fail(c, "file VMA not on its file's list",
				     vma->vm_start);
		}
	}
	if (n != atomic_load(&mm->map_count))
		fail(c, "map_count differs from the VMA list", 0);
}

static unsigned long check_mm(struct mm_struct *mm, uint32_t *maps)
{
	struct mm_check c = { .mm = mm, .maps = maps };
	struct vm_area_struct *vma;

	down_read(&mm->mmap_lock);
	check_vmas(&c);
	vma = list_first_entry_or_null(&mm->mmap, struct vm_area_struct,
				       vm_list);
	spin_lock(&mm->page_table_lock);
	if (mm->pgd)
		check_table(&c, mm->pgd, PT_LEVELS - 1, 0, &vma);
	if (c.tables != atomic_load(&mm->nr_pgtables))
		fail(&c, "nr_pgtables differs from the tables", c.tables);
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		if (c.rss[i] != atomic_load(&mm->rss[i]))
			fail(&c, i == MM_ANONPAGES ? "anon rss differs"
						   : "file rss differs",
			     (unsigned long)c.rss[i]);
	spin_unlock(&mm->page_table_lock);
	up_read(&mm->mmap_lock);
	return c.errors;
}

unsigned long vm_check(unsigned int flags)
{
	bool quiescent = flags & VM_CHECK_QUIESCENT;
	uint32_t *maps = NULL;
	struct mm_struct **mms, *mm;
	unsigned long errors = 0, nr = 0, cap = 0;

	if (quiescent) {
		maps = calloc(max_pfn ? max_pfn : 1, sizeof(*maps));
		if (!maps) {
			pr_err("vm_check: no memory for the walk");
			return 1;
		}
	}
	spin_lock(&mm_list_lock);
	list_for_each_entry(mm, &mm_list, mmlist)
		cap++;
	mms = calloc(cap ? cap : 1, sizeof(*mms));
	if (mms)
		list_for_each_entry(mm, &mm_list, mmlist) {
			if (nr == cap)
				break;
			mmgrab(mm);
			mms[nr++] = mm;
		}
	spin_unlock(&mm_list_lock);
	if (!mms) {
		free(maps);
		pr_err("vm_check: no memory for the walk");
		return 1;
	}
	for (unsigned long i = 0; i < nr; i++) {
		errors += check_mm(mms[i], maps);
		mmdrop(mms[i]);
	}
	free(mms);
	errors += vmalloc_check(flags);

	if (quiescent) {
		long anon = 0, file = 0;

		for (unsigned long pfn = 0; pfn < max_pfn; pfn++) {
			struct page *page = pfn_to_page(pfn);
			int mc = page_mapcount(page);

			if ((uint32_t)max(mc, 0) != maps[pfn] && errors++ < 20)
				pr_err("vm_check: pfn %#lx map count %d, %u "
				       "PTEs map it", pfn, mc, maps[pfn]);
			if (mc > 0 && page_get_type(page) == PGTY_NONE) {
				if (page_is_anon(page))
					anon++;
				else
					file++;
			}
		}
		if (anon != node_page_state(NR_ANON_MAPPED) && errors++ < 20)
			pr_err("vm_check: NR_ANON_MAPPED %ld, %ld mapped",
			       node_page_state(NR_ANON_MAPPED), anon);
		if (file != node_page_state(NR_FILE_MAPPED) && errors++ < 20)
			pr_err("vm_check: NR_FILE_MAPPED %ld, %ld mapped",
			       node_page_state(NR_FILE_MAPPED), file);
		free(maps);
	}
	return errors;
}
