// SPDX-License-Identifier: MIT
/*
 * memory.c - the page-fault handler and the software MMU: anonymous
 * faults, file read faults with fault-around, copy-on-write of private
 * file mappings, shared write faults, write faults on read-only PTEs,
 * faults on migration entries; vm_access() (translate, fault, set the
 * accessed/dirty bits, pin) and the copy helpers.
 *
 * Invariants and locking:
 *  - Every fault runs with the mm's mmap_lock held for reading (VMAs and
 *    tables cannot go away) and installs PTEs under page_table_lock,
 *    re-checking that the slot is still what it saw: a racing fault that
 *    got there first wins and the loser frees what it prepared.
 *  - Order of every fault (the fix of bug 5, vm.h rule 4): the page
 *    tables down to the PTE are allocated first (pgtable_prepare()), then
 *    any new anonymous or copy-on-write page, and only then is a file
 *    page locked. Nothing is allocated while a page lock is held, except
 *    by the test-build variant that allocates the PTE table after locking
 *    the file page (vm_fault_set_late_pgtable(), bug 5's regression
 *    test).
 *  - Fault-around maps cached, uptodate neighbours of a read fault with
 *    trylock_page() under page_table_lock: it never waits for a page.
 *  - A new anonymous page gets PG_swapbacked, its anon_vma reference and
 *    virtual page (->private, ->index) and goes on the LRU *before* its
 *    PTE is set, so that whoever unmaps it later (munmap, the reaper)
 *    finds a complete page.
 *  - A present PTE holds a page reference and a map count; vm_access()
 *    adds its own reference (the pin) under page_table_lock, so the page
 *    outlives an unmap that races with the caller's use of it.
 *  - Shared file pages are dirtied under their page lock: at the write
 *    fault, at vm_access() when the page is clean or the write extends
 *    the file, and at vm_access_put() if writeback cleaned it meanwhile.
 *  - A fault that meets a migration entry takes a reference on the page
 *    it names (alive: the migrator holds it until it restores the entry),
 *    drops the page-table lock and waits for the page lock, then retries.
 * Entry points may sleep and allocate (vm.h rule 3).
 */
#include "internal.h"

#include <ballast/lib/testhook.h>

#include <errno.h>
#include <string.h>

#define FAULT_AROUND_PAGES 16
#define GFP_ANON (GFP_HIGHUSER_MOVABLE | __GFP_ACCOUNT)
#define GFP_PGTABLE GFP_KERNEL_ACCOUNT

struct vm_counters vm_counters;

static void copy_page_data(struct page *dst, struct page *src)
{
	memcpy(page_address(dst), page_address(src), PAGE_SIZE);
}

#if BALLAST_TESTING
static _Atomic(bool) late_pgtable;

void vm_fault_set_late_pgtable(bool on)
{
	atomic_store(&late_pgtable, on);
}

static bool fault_late_pgtable(void)
{
	return atomic_load_explicit(&late_pgtable, memory_order_relaxed);
}
#else
static bool fault_late_pgtable(void)
{
	return false;
}
#endif

void vm_get_stats(struct vm_stats *s)
{
#define GET(f) s->f = atomic_load_explicit(&vm_counters.f, memory_order_relaxed)
	GET(faults);
	GET(anon_faults);
	GET(file_faults);
	GET(fault_around);
	GET(cow_faults);
	GET(shared_write_faults);
	GET(wp_faults);
	GET(migration_waits);
	GET(vmalloc_pages);
#undef GET
}

struct vm_fault {
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	unsigned long address;		/* page aligned */
	unsigned int flags;
	pgoff_t pgoff;			/* file page of address */
	loff_t file_end;		/* shared write: the file reaches here */
};

static pgoff_t linear_pgoff(struct vm_area_struct *vma, unsigned long addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/* ------------------------------------------------------------------ */
/* Anonymous pages                                                       */
/* ------------------------------------------------------------------ */

/* Make @page an anonymous page of @mm at @addr and put it on the LRU. */
static void new_anon_page(struct page *page, struct mm_struct *mm,
			  unsigned long addr)
{
	SetPageSwapBacked(page);
	anon_page_set_rmap(page, mm, addr);
	lru_cache_add(page);
}

/*
 * Install @page at @vmf's (empty) slot. Returns false if the slot is no
 * longer empty (the caller drops the page). page_table_lock held.
 */
static bool set_pte_new(struct vm_fault *vmf, pte_slot_t *slot,
			struct page *page, uint64_t bits)
{
	if (!slot || pte_read(slot))
		return false;
	pte_write(slot, mk_pte(page, bits));
	page_mapcount_inc(page);
	mm_rss_add(vmf->mm, page, 1);
	return true;
}

static int do_anonymous_page(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf->mm;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	uint64_t bits = PTE_ACCESSED;
	struct page *page;
	bool done;

	page = alloc_page(GFP_ANON | __GFP_ZERO);
	if (!page)
		return -ENOMEM;
	new_anon_page(page, mm, vmf->address);
	if (vmf->vma->vm_flags & VM_WRITE)
		bits |= PTE_WRITE;
	if (write)
		bits |= PTE_DIRTY;
	spin_lock(&mm->page_table_lock);
	done = set_pte_new(vmf, pte_lookup(mm, vmf->address, NULL), page,
			   bits);
	spin_unlock(&mm->page_table_lock);
	if (!done)
		put_page(page);		/* lost a race: the PTE is there */
	vm_count(anon_faults, 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* File pages                                                            */
/* ------------------------------------------------------------------ */

/*
 * The file page of @vmf, locked and uptodate, with a reference. The page
 * (and the index nodes) are allocated by the page cache before it locks
 * the page. *@major is set if it had to be read.
 */
static int get_locked_file_page(struct vm_fault *vmf, struct page **pagep,
				bool *major)
{
	struct address_space *mapping = vmf->vma->vm_file;
	struct page *page;
	int err;

	page = find_or_create_page(mapping, vmf->pgoff, GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	if (!PageUptodate(page)) {
		err = mapping->a_ops->read_page(mapping, page);
		if (err) {
			unlock_page(page);
			put_page(page);
			return err;
		}
		*major = true;
	}
	*pagep = page;
	return 0;
}

/*
 * Called with the file page locked. Bug 5's buggy order allocates the PTE
 * table here (test builds only); the real one did it before the lock.
 */
static int file_page_locked(struct vm_fault *vmf, struct page *page)
{
	int ret = 0;

	TEST_HOOK("vm.fault_page_locked", page);
	if (fault_late_pgtable()) {
		ret = pgtable_prepare(vmf->mm, vmf->address, 0, GFP_PGTABLE);
		TEST_HOOK("vm.fault_pgtable_late", page);
	}
	return ret;
}

/*
 * Map cached, uptodate neighbours of a read fault (and the target, if it
 * is cached) read-only, with trylocks only. Nothing is allocated.
 */
static void do_fault_around(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct address_space *mapping = vma->vm_file;
	struct mm_struct *mm = vmf->mm;
	unsigned long window = FAULT_AROUND_PAGES * PAGE_SIZE;
	unsigned long pmd_start = ALIGN_DOWN(vmf->address, PMD_SIZE);
	unsigned long start, end, addr;
	struct page *pages[FAULT_AROUND_PAGES] = { NULL };
	loff_t size = i_size_read(mapping);
	pgoff_t last;
	pte_slot_t *table;
	int i;

	if (size <= 0)
		return;
	last = (pgoff_t)((size - 1) >> PAGE_SHIFT);
	start = max(max(ALIGN_DOWN(vmf->address, window), vma->vm_start),
		    pmd_start);
	end = min(min(ALIGN_DOWN(vmf->address, window) + window, vma->vm_end),
		  pmd_start + PMD_SIZE);
	for (addr = start, i = 0; addr < end; addr += PAGE_SIZE, i++) {
		pgoff_t index = linear_pgoff(vma, addr);

		if (index > last)
			break;
		pages[i] = find_get_page(mapping, index);
	}

	spin_lock(&mm->page_table_lock);
	table = pte_lookup(mm, start, NULL);
	if (table)
		table -= table_index(start, 0);	/* the PTE table's base */
	for (addr = start, i = 0; table && addr < end; addr += PAGE_SIZE, i++) {
		struct page *page = pages[i];
		bool target = addr == vmf->address;

		if (!page || !PageUptodate(page) || !trylock_page(page))
			continue;
		if (page->mapping == mapping && PageUptodate(page) &&
		    set_pte_new(vmf, &table[table_index(addr, 0)], page,
				target ? PTE_ACCESSED : 0)) {
			get_page(page);		/* the PTE's reference */
			if (!target)
				vm_count(fault_around, 1);
		}
		unlock_page(page);
	}
	spin_unlock(&mm->page_table_lock);
	for (i = 0; i < FAULT_AROUND_PAGES; i++)
		if (pages[i])
			put_page(pages[i]);
}

static bool slot_filled(struct mm_struct *mm, unsigned long addr)
{
	pte_slot_t *slot;
	bool filled;

	spin_lock(&mm->page_table_lock);
	slot = pte_lookup(mm, addr, NULL);
	filled = slot && pte_read(slot);
	spin_unlock(&mm->page_table_lock);
	return filled;
}

/* The page is locked: the write reaches the file (vm.h rule 5). */
static void shared_page_dirty(struct vm_fault *vmf, struct page *page)
{
	if (vmf->file_end > 0)
		i_size_extend(vmf->vma->vm_file, vmf->file_end);
	set_page_dirty(page);
}

/*
 * Map the file page at the fault address with PTE @bits (a writable PTE
 * dirties the page first), unless the slot was filled meanwhile.
 */
static int map_file_page(struct vm_fault *vmf, uint64_t bits)
{
	struct mm_struct *mm = vmf->mm;
	struct page *page;
	bool major = false;
	int ret;

	ret = get_locked_file_page(vmf, &page, &major);
	if (ret)
		return ret;
	ret = file_page_locked(vmf, page);
	if (!ret) {
		if (bits & PTE_WRITE)
			shared_page_dirty(vmf, page);
		spin_lock(&mm->page_table_lock);
		if (set_pte_new(vmf, pte_lookup(mm, vmf->address, NULL), page,
				bits))
			get_page(page);
		spin_unlock(&mm->page_table_lock);
	}
	unlock_page(page);
	put_page(page);
	if (major)
		count_vm_event(PGMAJFAULT);
	return ret;
}

/* Read fault on a file mapping (shared or private): map read-only. */
static int do_read_fault(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf->mm;

	vm_count(file_faults, 1);
	do_fault_around(vmf);
	if (slot_filled(mm, vmf->address))
		return 0;
	return map_file_page(vmf, PTE_ACCESSED);
}

/* Write fault on a shared file mapping with no PTE yet. */
static int do_shared_fault(struct vm_fault *vmf)
{
	vm_count(shared_write_faults, 1);
	return map_file_page(vmf, PTE_WRITE | PTE_ACCESSED | PTE_DIRTY);
}

/* Write fault on a private file mapping with no PTE: copy the file page. */
static int do_cow_fault(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf->mm;
	struct page *new, *page;
	bool major = false, done = false;
	int ret;

	vm_count(cow_faults, 1);
	/* The copy is allocated before the file page is locked. */
	new = alloc_page(GFP_ANON);
	if (!new)
		return -ENOMEM;
	ret = get_locked_file_page(vmf, &page, &major);
	if (ret) {
		put_page(new);
		return ret;
	}
	ret = file_page_locked(vmf, page);
	if (!ret)
		copy_page_data(new, page);
	unlock_page(page);
	put_page(page);
	if (!ret) {
		new_anon_page(new, mm, vmf->address);
		spin_lock(&mm->page_table_lock);
		done = set_pte_new(vmf, pte_lookup(mm, vmf->address, NULL),
				   new, PTE_WRITE | PTE_ACCESSED | PTE_DIRTY);
		spin_unlock(&mm->page_table_lock);
	}
	if (!done)
		put_page(new);
	if (major)
		count_vm_event(PGMAJFAULT);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Write faults on present read-only PTEs                                */
/* ------------------------------------------------------------------ */

/* Shared file page mapped read-only: dirty it, then make it writable. */
static int do_wp_shared(struct vm_fault *vmf, struct page *page,
			uint64_t orig)
{
	struct mm_struct *mm = vmf->mm;
	pte_slot_t *slot;

	lock_page(page);
	shared_page_dirty(vmf, page);
	spin_lock(&mm->page_table_lock);
	slot = pte_lookup(mm, vmf->address, NULL);
	if (slot && pte_read(slot) == orig)
		pte_write(slot, orig | PTE_WRITE | PTE_ACCESSED | PTE_DIRTY);
	spin_unlock(&mm->page_table_lock);
	unlock_page(page);
	return 0;
}

/* Private mapping, read-only PTE of a file page: copy on write. */
static int do_wp_copy(struct vm_fault *vmf, struct page *old, uint64_t orig)
{
	struct mm_struct *mm = vmf->mm;
	bool replaced = false;
	pte_slot_t *slot;
	struct page *new;

	new = alloc_page(GFP_ANON);
	if (!new)
		return -ENOMEM;
	copy_page_data(new, old);	/* a file page, stable in the cache */
	new_anon_page(new, mm, vmf->address);
	spin_lock(&mm->page_table_lock);
	slot = pte_lookup(mm, vmf->address, NULL);
	if (slot && pte_read(slot) == orig) {
		pte_write(slot, mk_pte(new, PTE_WRITE | PTE_ACCESSED |
					     PTE_DIRTY));
		page_mapcount_inc(new);
		mm_rss_add(mm, new, 1);
		page_mapcount_dec(old);
		mm_rss_add(mm, old, -1);
		replaced = true;
	}
	spin_unlock(&mm->page_table_lock);
	if (replaced)
		put_page(old);		/* the old PTE's reference */
	else
		put_page(new);
	return 0;
}

static int do_wp_page(struct vm_fault *vmf, uint64_t orig)
{
	struct page *page = pfn_to_page(pte_pfn(orig));
	int ret;

	vm_count(wp_faults, 1);
	if (page_is_anon(page)) {
		/* Our own anonymous page: just allow the write. */
		struct mm_struct *mm = vmf->mm;
		pte_slot_t *slot;

		spin_lock(&mm->page_table_lock);
		slot = pte_lookup(mm, vmf->address, NULL);
		if (slot && pte_read(slot) == orig)
			pte_write(slot, orig | PTE_WRITE | PTE_ACCESSED |
						PTE_DIRTY);
		spin_unlock(&mm->page_table_lock);
		put_page(page);
		return 0;
	}
	if (vmf->vma->vm_flags & VM_SHARED)
		ret = do_wp_shared(vmf, page, orig);
	else
		ret = do_wp_copy(vmf, page, orig);
	put_page(page);		/* the reference taken under the lock */
	return ret;
}

/* ------------------------------------------------------------------ */
/* The handler                                                           */
/* ------------------------------------------------------------------ */

/* Wait until the migrator is done with the page a migration entry names. */
static int migration_entry_wait(struct mm_struct *mm, pte_slot_t *slot,
				uint64_t e)
{
	struct page *page = pfn_to_page(pte_pfn(e));
	bool got = get_page_unless_zero(page);

	spin_unlock(&mm->page_table_lock);
	vm_count(migration_waits, 1);
	if (got) {
		/* Test builds: a test may learn that we are about to wait. */
		TEST_HOOK("vm.migration_wait", page);
		wait_on_page_locked(page);
		put_page(page);
	}
	return -EAGAIN;
}

/*
 * Handle one fault at @addr (page aligned) of @vma. Caller holds
 * mmap_lock for reading. Returns 0 (retry the translation), -EAGAIN
 * (waited for a migration: retry), or a negative errno.
 */
int handle_mm_fault(struct mm_struct *mm, struct vm_area_struct *vma,
		    unsigned long addr, unsigned int flags, loff_t file_end)
{
	struct vm_fault vmf = {
		.mm = mm,
		.vma = vma,
		.address = addr,
		.flags = flags,
		.file_end = file_end,
	};
	bool write = flags & FAULT_FLAG_WRITE;
	pte_slot_t *slot;
	uint64_t e;
	int ret;

	count_vm_event(PGFAULT);
	vm_count(faults, 1);
	memcg_count_event_current(MEMCG_PGFAULT, 1);
	if (atomic_load(&mm->flags) & MMF_UNSTABLE)
		return -EFAULT;		/* the OOM reaper took its memory */
	if (vma->vm_file)
		vmf.pgoff = linear_pgoff(vma, addr);
	/*
	 * Bug 5's fix: every table the fault may need, before any page lock.
	 * (The test-build variant leaves the PTE table for later.)
	 */
	ret = pgtable_prepare(mm, addr, vma->vm_file && fault_late_pgtable(),
			      GFP_PGTABLE);
	if (ret)
		return ret;

	spin_lock(&mm->page_table_lock);
	slot = pte_lookup(mm, addr, NULL);
	e = slot ? pte_read(slot) : 0;
	if (pte_is_migration(e))
		return migration_entry_wait(mm, slot, e);
	if (pte_present(e)) {
		struct page *page = pfn_to_page(pte_pfn(e));

		if (!write || (e & PTE_WRITE)) {
			/* Spurious: someone else fixed it. */
			spin_unlock(&mm->page_table_lock);
			return 0;
		}
		get_page(page);
		spin_unlock(&mm->page_table_lock);
		return do_wp_page(&vmf, e);
	}
	spin_unlock(&mm->page_table_lock);

	if (!vma->vm_file)
		return do_anonymous_page(&vmf);
	if (!write)
		return do_read_fault(&vmf);
	if (vma->vm_flags & VM_SHARED)
		return do_shared_fault(&vmf);
	return do_cow_fault(&vmf);
}

/* ------------------------------------------------------------------ */
/* The software MMU                                                      */
/* ------------------------------------------------------------------ */

/*
 * Translate a page-aligned @addr for @write: set the PTE's accessed (and
 * dirty) bits and pin the page, or return NULL if a fault is needed.
 */
static struct page *mmu_translate(struct mm_struct *mm, unsigned long addr,
				  bool write)
{
	struct page *page = NULL;
	pte_slot_t *slot;
	uint64_t e;

	spin_lock(&mm->page_table_lock);
	slot = pte_lookup(mm, addr, NULL);
	e = slot ? pte_read(slot) : 0;
	if (pte_present(e) && (!write || (e & PTE_WRITE))) {
		uint64_t bits = PTE_ACCESSED | (write ? PTE_DIRTY : 0);

		if ((e & bits) != bits)
			pte_write(slot, e | bits);
		page = pfn_to_page(pte_pfn(e));
		get_page(page);
	}
	spin_unlock(&mm->page_table_lock);
	return page;
}

int vm_access(struct task *task, unsigned long addr, size_t len,
	      unsigned int flags, struct vm_pin *pin)
{
	unsigned long page_addr = ALIGN_DOWN(addr, PAGE_SIZE);
	bool write = flags & VM_ACCESS_WRITE;
	struct mem_cgroup *memcg = NULL, *old_memcg = NULL;
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	struct page *page = NULL;
	loff_t file_end = 0;
	bool dirty_file = false;
	int ret = 0;

	might_alloc(GFP_KERNEL);
	if (fatal_signal_pending(current))
		return -EINTR;
	if (!len || (addr & (PAGE_SIZE - 1)) + len > PAGE_SIZE)
		return -EINVAL;
	mm = get_task_mm(task);
	if (!mm)
		return -EFAULT;
	if (task != current) {
		/* Faults made for @task are charged to @task's group. */
		memcg = get_mem_cgroup_from_task(task);
		old_memcg = set_active_memcg(memcg);
	}

	down_read(&mm->mmap_lock);
	vma = find_vma(mm, addr);
	if (!vma || addr < vma->vm_start ||
	    !(vma->vm_flags & (write ? VM_WRITE : VM_READ))) {
		ret = -EFAULT;
		goto out_unlock;
	}
	if (write && vma->vm_file && (vma->vm_flags & VM_SHARED)) {
		dirty_file = true;
		file_end = ((loff_t)linear_pgoff(vma, page_addr) << PAGE_SHIFT) +
			   (loff_t)(addr - page_addr + len);
	}
	for (;;) {
		page = mmu_translate(mm, page_addr, write);
		if (page)
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		ret = handle_mm_fault(mm, vma, page_addr,
				      write ? FAULT_FLAG_WRITE : 0, file_end);
		if (ret && ret != -EAGAIN) {
			/* Killed meanwhile: that is why it failed. */
			if (fatal_signal_pending(current))
				ret = -EINTR;
			break;
		}
		ret = 0;
	}
out_unlock:
	up_read(&mm->mmap_lock);
	if (memcg) {
		set_active_memcg(old_memcg);
		mem_cgroup_put(memcg);
	}
	mmput(mm);
	if (ret)
		return ret;

	/* A shared write reaches the file: dirty, and grow it if needed. */
	if (dirty_file && (!PageDirty(page) ||
			   file_end > i_size_read(page->mapping))) {
		lock_page(page);
		if (page->mapping) {
			i_size_extend(page->mapping, file_end);
			set_page_dirty(page);
		}
		unlock_page(page);
	}
	pin->page = page;
	pin->addr = (char *)page_address(page) + (addr - page_addr);
	pin->len = len;
	pin->flags = flags;
	pin->dirty_file = dirty_file;
	return 0;
}

void vm_access_put(struct vm_pin *pin)
{
	struct page *page = pin->page;

	if (!page)
		return;
	/* Written meanwhile: if writeback cleaned it, dirty it again. */
	if (pin->dirty_file && !PageDirty(page)) {
		lock_page(page);
		if (page->mapping)
			set_page_dirty(page);
		unlock_page(page);
	}
	pin->page = NULL;
	put_page(page);
}

static ssize_t vm_copy(struct task *task, unsigned long addr, char *buf,
		       size_t len, bool write)
{
	size_t done = 0;

	while (done < len) {
		size_t off = (addr + done) & (PAGE_SIZE - 1);
		size_t n = min(PAGE_SIZE - off, len - done);
		struct vm_pin pin;
		int ret;

		ret = vm_access(task, addr + done, n,
				write ? VM_ACCESS_WRITE : 0, &pin);
		if (ret)
			return done ? (ssize_t)done : ret;
		if (write)
			memcpy(pin.addr, buf + done, n);
		else
			memcpy(buf + done, pin.addr, n);
		vm_access_put(&pin);
		done += n;
	}
	return (ssize_t)done;
}

ssize_t vm_read(struct task *task, unsigned long addr, void *buf, size_t len)
{
	return vm_copy(task, addr, buf, len, false);
}

ssize_t vm_write(struct task *task, unsigned long addr, const void *buf,
		 size_t len)
{
	return vm_copy(task, addr, (char *)buf, len, true);
}

uint64_t vm_pte_get(struct mm_struct *mm, unsigned long addr)
{
	pte_slot_t *slot;
	uint64_t e;

	spin_lock(&mm->page_table_lock);
	slot = pte_lookup(mm, addr, NULL);
	e = slot ? pte_read(slot) : 0;
	spin_unlock(&mm->page_table_lock);
	return e;
}
