// SPDX-License-Identifier: MIT
/*
 * vm.h - address spaces (layer 7): VMAs, four-level page tables built from
 * allocator pages, the page-fault handler, a software MMU through which
 * workload threads touch their memory, reverse mapping (for reclaim and
 * migration), migration entries, the OOM reaper's side of a victim, and
 * vmalloc over a kernel page table.
 *
 * Rules for users:
 *  1. An address space is created by mm_create() with one user reference;
 *     a task uses it after use_mm() (which takes a user reference) and
 *     leaves it with exit_mm() (also run by the task exit hook); the last
 *     mmput() frees every page, page table and VMA it holds.
 *  2. Workload threads touch guest memory only through vm_access() (a
 *     pointer into guest RAM, valid within one page, on a pinned page
 *     released by vm_access_put()) or vm_read()/vm_write() (copies across
 *     pages). Both translate through the page tables, fault as needed and
 *     set the accessed and dirty bits, as an MMU would. A killed task
 *     (fatal_signal_pending()) gets -EINTR from them and should exit.
 *  3. Never hold a page lock, a spinlock or any lock reclaim takes across
 *     vm_access(), vm_read(), vm_write(), vm_mmap(), vm_munmap() or
 *     mm_create(): they may allocate with reclaim (and be charged to the
 *     task's memcg, with reclaim and OOM inside it).
 *  4. The fault handler allocates every page-table page a fault needs
 *     before it locks a file page, and allocates new anonymous and
 *     copy-on-write pages before it locks anything: no allocation is
 *     made under a page lock (the fix of bug 5). Fault-around maps
 *     already-cached neighbours with trylock only.
 *  5. Dirty state of shared file mappings reaches the page cache under
 *     the page lock: at the write fault (set_page_dirty()), when a write
 *     pin is released (vm_access_put()), and when a PTE's dirty bit is
 *     dropped (unmap, munmap, exit). A write through a shared mapping past
 *     the end of the file extends it (i_size_extend()); writeback never
 *     writes past i_size.
 *  6. Migration entries (the protocol with the migration layer): the
 *     migrator holds @page locked, isolated and referenced, and calls
 *     try_to_migrate(page): every PTE mapping it becomes a non-present
 *     migration entry naming its pfn (read or write, keeping the accessed
 *     and dirty bits), the mappings' references and map counts are
 *     dropped (a dirty bit of a file page goes to the page), and the
 *     result says whether the page is now unmapped. Whatever it returned,
 *     the migrator then calls remove_migration_ptes(old, new) with @new
 *     the page that now holds the contents (locked) on success, or @old
 *     on failure, before it unlocks @old: every entry naming @old becomes
 *     a present PTE of @new with the saved permissions and bits, with a
 *     reference and a map count each. A fault or vm_access() that meets a
 *     migration entry waits for @old's lock (wait_on_page_locked()) and
 *     retries: no new page is made and no data is lost. munmap and exit
 *     simply drop entries they meet. An anonymous page keeps its reverse
 *     map anchor in ->private (a reference on its address space's
 *     anon_vma) and its virtual page in ->index; remove_migration_ptes()
 *     gives @new that identity (and PG_swapbacked); the migrator copies
 *     neither field. The migrator moves the charge (->memcg, both pages
 *     off the LRU) before remove_migration_ptes(), as page_cache_migrate()
 *     does, so the map counts land on the right group. Between the two
 *     calls the old page holds only the migrator's references (the
 *     mappings' were dropped): a refcount check then tells whether
 *     someone still pins it (a vm_access() in progress), in which case
 *     the migrator must give up.
 *  7. vmalloc() memory is order-0 pages mapped at consecutive addresses of
 *     a reserved region of the process, both in ballast's kernel page
 *     table (init_mm) and for real (the memfd's pages mapped MAP_FIXED):
 *     the pointer is usable from C. Its page tables are allocated with
 *     GFP_KERNEL whatever the caller's mask, as Linux does: a caller that
 *     must not recurse into I/O or the filesystem opens a scope
 *     (memalloc_noio_save()), which the nested allocations see; passing
 *     GFP_NOIO instead is reported by the validator (bug 4).
 *
 * Lock order (docs/locking.md): mm->mmap_lock -> PG_locked ->
 * i_mmap_lock | anon_vma->lock -> mm->page_table_lock -> (i_pages_lock,
 * lru_lock, wb_lock: set_page_dirty(), lru_cache_add()); task_mm_lock and
 * mm_list_lock are leaves; vmap_area_lock and init_mm's page_table_lock
 * are never nested.
 */
#ifndef BALLAST_VM_H
#define BALLAST_VM_H

#include <sys/types.h>
#include <ballast/reclaim.h>
#include <ballast/task.h>
#include <ballast/writeback.h>

/* ------------------------------------------------------------------ */
/* Page-table format                                                     */
/* ------------------------------------------------------------------ */

/*
 * Four levels of 512 eight-byte entries, each table one page of guest RAM
 * of type PGTY_TABLE (counted in NR_PAGETABLE): PGD (address bits 39-47),
 * PUD (30-38), PMD (21-29), PTE (12-20); 48-bit virtual addresses, as
 * x86-64. Present entries: bit 0 present, 1 writable, 2 user, 5
 * accessed, 6 dirty, bits 12-51 the pfn (of the next table, or of the
 * page). A non-present PTE that is not zero is a swap-style entry: bits
 * 1-4 its type (migration read or write), bits 5-6 the saved accessed and
 * dirty bits, bits 12-51 the pfn it names.
 */
#define PTRS_PER_TABLE 512
#define PT_LEVELS 4
#define PMD_SHIFT 21
#define PUD_SHIFT 30
#define PGDIR_SHIFT 39
#define PMD_SIZE (1UL << PMD_SHIFT)

#define PTE_PRESENT	0x001ULL
#define PTE_WRITE	0x002ULL
#define PTE_USER	0x004ULL
#define PTE_ACCESSED	0x020ULL
#define PTE_DIRTY	0x040ULL
#define PTE_PFN_MASK	0x000ffffffffff000ULL
#define PTE_SWP_TYPE_SHIFT 1
#define PTE_SWP_TYPE_MASK (0xfULL << PTE_SWP_TYPE_SHIFT)
#define SWP_MIGRATION_READ 1
#define SWP_MIGRATION_WRITE 2

/**
 * pte_pfn() / pte_present() / pte_is_migration() - decode an entry value
 * already read (under page_table_lock, or as a hint).
 * Context: any; no locks (pure); never sleep; no allocation; no reclaim.
 * Return: the pfn the entry names (of a table, a page or a migration
 * entry's page); whether it is present; whether it is a migration entry.
 */
static inline unsigned long pte_pfn(uint64_t pte)
{
	return (unsigned long)((pte & PTE_PFN_MASK) >> PAGE_SHIFT);
}

static inline bool pte_present(uint64_t pte)
{
	return pte & PTE_PRESENT;
}

static inline bool pte_is_migration(uint64_t pte)
{
	unsigned int type = (unsigned int)((pte & PTE_SWP_TYPE_MASK) >>
					   PTE_SWP_TYPE_SHIFT);

	return !pte_present(pte) &&
	       (type == SWP_MIGRATION_READ || type == SWP_MIGRATION_WRITE);
}

/* User address range of an address space. */
#define VM_USER_START (1UL << 16)	/* mmap_min_addr */
#define VM_USER_END (1UL << 47)
#define VM_MMAP_BASE (1UL << 32)	/* where vm_mmap() starts looking */

/* ------------------------------------------------------------------ */
/* Address spaces and VMAs                                               */
/* ------------------------------------------------------------------ */

/* vm_flags */
#define VM_READ 0x1UL
#define VM_WRITE 0x2UL
#define VM_EXEC 0x4UL
#define VM_SHARED 0x8UL		/* file only: writes reach the file */

/* mm->flags bits */
#define MMF_OOM_VICTIM 0x1UL	/* its task was chosen by the OOM killer */
#define MMF_UNSTABLE 0x2UL	/* the reaper took its private memory */
#define MMF_OOM_SKIP 0x4UL	/* reaped: the OOM killer skips it */

enum mm_counter {
	MM_FILEPAGES,		/* mapped page-cache pages */
	MM_ANONPAGES,		/* anonymous and copy-on-write pages */
	NR_MM_COUNTERS
};

struct anon_vma;
struct file_rmap;
struct mm_struct;

/*
 * struct vm_area_struct - one mapping: [vm_start, vm_end) of an address
 * space, anonymous private, file private (copy-on-write) or file shared.
 *
 * vm_start, vm_end, vm_pgoff: mmap_lock for writing, and for file VMAs
 * also i_mmap_lock (rmap walks read them under it). vm_flags, vm_mm,
 * vm_file, vm_rmap: immutable after vm_mmap(). vm_list: mmap_lock.
 * shared: i_mmap_lock. vm_file holds a reference on the mapping.
 */
struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	unsigned long vm_flags;
	struct mm_struct *vm_mm;
	struct address_space *vm_file;
	pgoff_t vm_pgoff;		/* file page at vm_start */
	struct list_head vm_list;	/* mm->mmap, by address */
	struct list_head shared;	/* vm_rmap->vmas */
	struct file_rmap *vm_rmap;
};

/*
 * struct mm_struct - an address space. Lives in guest RAM (slab).
 *
 * mmap_lock: rwsem; read for faults and the reaper, write for mmap,
 * munmap and teardown; protects mmap. map_count: changed under mmap_lock
 * for writing, atomic (read without it for counters). page_table_lock
 * (spinlock): every page-table entry and table of this mm, pgd (NULL once
 * torn down), rss and nr_pgtables writes. anon_vma: immutable. rss,
 * nr_pgtables, mm_users, mm_count, flags: atomic. mm_users: tasks and
 * callers using it (the last mmput() tears it down); mm_count: references
 * to the structure (all users together hold one; rmap walkers and the
 * OOM reaper hold their own). mmlist: mm_list_lock. mmap_base: immutable.
 */
struct mm_struct {
	struct rw_semaphore mmap_lock;
	struct list_head mmap;
	_Atomic(int) map_count;
	spinlock_t page_table_lock;
	struct page *pgd;
	struct anon_vma *anon_vma;
	_Atomic(long) rss[NR_MM_COUNTERS];
	_Atomic(long) nr_pgtables;	/* table pages, pgd included */
	_Atomic(int) mm_users;
	_Atomic(int) mm_count;
	_Atomic(unsigned long) flags;
	struct list_head mmlist;
	unsigned long mmap_base;
};

/**
 * vm_init() - create the vm caches, the kernel page table (init_mm) and
 * the vmalloc region (a reservation of the process's address space);
 * register the reclaim rmap and oom ops, the allocator free hook that
 * drops an anonymous page's anon_vma reference, and the task exit hook
 * (exit_mm()).
 *
 * Context: after reclaim_init() (and memcg_init() if used) and
 * writeback_init(); start-up, no locks; may sleep; allocates init_mm's
 * top table with GFP_KERNEL (may enter reclaim) and cache descriptors
 * from the C heap.
 * Return: 0, -EBUSY if already initialised or a hook table is full,
 * -ENOMEM, or the errno of the reserving mmap(2).
 */
int __must_check vm_init(void);

/**
 * vm_exit() - unregister, free the kernel page tables and the vmalloc
 * region. Address spaces and vmalloc areas still alive are reported
 * (and leaked). Context: quiescent, no locks; may sleep; no allocation;
 * no reclaim.
 */
void vm_exit(void);

/**
 * mm_create() - a new, empty address space with one user reference.
 * @mmp: receives it.
 *
 * Context: no locks; may sleep; allocates the mm and its anon_vma with
 * GFP_KERNEL and its top table with GFP_KERNEL_ACCOUNT (charged to the
 * current task's memcg), so it may enter reclaim.
 * Return: 0 or -ENOMEM.
 */
int __must_check mm_create(struct mm_struct **mmp);

/**
 * mmget() - take a user reference on @mm (the caller holds one).
 * mmput() - drop one; the last tears the address space down: every
 * mapping is removed (dirty bits go to the page cache under page locks),
 * every page and table freed, every VMA freed.
 *
 * Context (mmget): any; an atomic increment, no locks; never sleeps; no
 * allocation; no reclaim.
 * Context (mmput): caller holds no page lock, no spinlock and no lock
 * reclaim takes; the last one takes mmap_lock, page locks and the
 * page-table and rmap locks; may sleep (page locks, mmap_lock); no
 * allocation; no reclaim, and not callable from reclaim (blocking page
 * locks).
 */
void mmget(struct mm_struct *mm);
void mmput(struct mm_struct *mm);

/**
 * use_mm() - the current task starts using @mm (takes a user reference;
 * task->mm). exit_mm() - it stops (drops it; no effect without an mm).
 * The task exit hook calls exit_mm().
 *
 * Context: current task only; take task_mm_lock (a leaf); use_mm() never
 * sleeps, exit_mm() may (as mmput()); no allocation; no reclaim. A task
 * that already has an address space is misuse (use_mm does nothing).
 */
void use_mm(struct mm_struct *mm);
void exit_mm(void);

/**
 * get_task_mm() - @task's address space, with a user reference (mmput()).
 * Context: takes task_mm_lock (a leaf); never sleeps; no allocation; no
 * reclaim.
 * Return: the address space, or NULL if @task has none.
 */
struct mm_struct *get_task_mm(struct task *task);

/* A snapshot of an address space's counters, in pages. */
struct mm_counters {
	unsigned long rss_file;
	unsigned long rss_anon;
	unsigned long pgtables;
	unsigned long map_count;
};

/**
 * mm_get_counters() - @mm's counters. Context: lockless atomic reads
 * (a snapshot, racy with concurrent changes); never sleeps; no allocation; no
 * reclaim.
 */
void mm_get_counters(struct mm_struct *mm, struct mm_counters *c);

/**
 * vm_mmap() - map @len bytes into @mm.
 * @addr: the start (page aligned), or 0 to let vm_mmap() choose from
 *	  VM_MMAP_BASE up. A given range must be free.
 * @vm_flags: VM_READ, VM_WRITE, VM_EXEC, VM_SHARED (file mappings only).
 * @file: the page-cache file to map (a reference is taken for the VMA),
 *	  or NULL for anonymous private memory.
 * @pgoff: the file page mapped at @addr.
 * @addrp: receives the start.
 *
 * Nothing is populated: pages come at the first access.
 * Context: caller holds no lock (rule 3); takes mmap_lock for writing
 * and i_mmap_lock; may sleep; allocates the VMA (and the file's rmap
 * entry) with GFP_KERNEL before taking them, so may enter reclaim; not
 * callable from reclaim.
 * Return: 0; -EINVAL for bad flags, alignment, length or range (past
 * VM_USER_END or below VM_USER_START); -EEXIST if @addr's range is in use;
 * -ENOMEM (no memory, or no free range).
 */
int __must_check vm_mmap(struct mm_struct *mm, unsigned long addr,
			 size_t len, unsigned long vm_flags,
			 struct address_space *file, pgoff_t pgoff,
			 unsigned long *addrp);

/**
 * vm_munmap() - remove every mapping in [@addr, @addr + @len) (partial
 * VMAs are trimmed or split), free their pages (dirty bits of shared file
 * pages go to the page cache first) and the page tables no mapping needs
 * any more.
 *
 * Context: as mmput(), plus mmap_lock for writing; may sleep; allocates
 * one VMA with GFP_KERNEL before taking it (for a split), so may enter
 * reclaim; not callable from reclaim.
 * Return: 0; -EINVAL for a bad range; -ENOMEM if a split VMA could not
 * be allocated (nothing was unmapped).
 */
int __must_check vm_munmap(struct mm_struct *mm, unsigned long addr,
			   size_t len);

/* ------------------------------------------------------------------ */
/* The software MMU                                                      */
/* ------------------------------------------------------------------ */

#define VM_ACCESS_WRITE 0x1u

/*
 * struct vm_pin - a page pinned by vm_access(): @addr points into guest
 * RAM (page_address(@page) + the offset of the virtual address) and is
 * valid for the @len bytes asked for until vm_access_put(). Owned by the
 * caller.
 */
struct vm_pin {
	struct page *page;
	void *addr;
	size_t len;
	unsigned int flags;
	bool dirty_file;	/* a write pin of a shared file page */
};

/**
 * vm_access() - translate [@addr, @addr + @len) of @task's address space
 * (a range within one page) as the MMU would: fault the page in if
 * needed (anonymous zeroed page, page-cache page with fault-around,
 * copy-on-write, write-enabling a read-only PTE, waiting out a migration
 * entry), set the PTE's accessed bit (and dirty bit for a write), and pin
 * the page.
 * @task: whose address space (usually current). The faults are charged
 *	  to @task's memcg.
 * @flags: VM_ACCESS_WRITE for a write.
 * @pin: receives the pinned page and the pointer to use.
 *
 * A write to a shared file mapping marks the page dirty and extends the
 * file to @addr + @len if it ends beyond it (rule 5).
 * Context: caller holds no lock (rule 3); may sleep; may allocate
 * anonymous pages (GFP_HIGHUSER_MOVABLE | __GFP_ACCOUNT), page-cache
 * pages and page tables (GFP_KERNEL_ACCOUNT), so may enter reclaim and
 * OOM, global or in the memcg.
 * Return: 0; -EINTR if the current task was killed; -EFAULT if no VMA
 * allows the access (or the address space was reaped by the OOM
 * reaper); -EINVAL for a zero length or a range crossing a page; -ENOMEM;
 * -EIO if the file page could not be read.
 */
int __must_check vm_access(struct task *task, unsigned long addr, size_t len,
			   unsigned int flags, struct vm_pin *pin);

/**
 * vm_access_put() - release a pin; a write pin of a shared file page marks
 * the page dirty again if writeback cleaned it meanwhile (rule 5).
 *
 * Context: caller holds no page lock and no spinlock; may sleep (takes
 * the page lock for a write pin of a file page whose dirty bit is clear);
 * no allocation; no reclaim.
 */
void vm_access_put(struct vm_pin *pin);

/**
 * vm_read() / vm_write() - copy between @buf and @task's memory at @addr,
 * page by page through vm_access().
 *
 * Context: as vm_access().
 * Return: bytes copied (all of @len), or, if the first page failed, its
 * negative errno; a later failure returns the bytes copied before it.
 */
ssize_t vm_read(struct task *task, unsigned long addr, void *buf, size_t len);
ssize_t vm_write(struct task *task, unsigned long addr, const void *buf,
		 size_t len);

/**
 * vm_pte_get() - the PTE of @addr in @mm, for tests and debugging.
 * Context: takes @mm's page_table_lock; never sleeps; no allocation; no
 * reclaim.
 * Return: the entry (present, migration entry), or 0 if there is none.
 */
uint64_t vm_pte_get(struct mm_struct *mm, unsigned long addr);

/* ------------------------------------------------------------------ */
/* Reverse mapping and migration entries                                 */
/* ------------------------------------------------------------------ */

/**
 * page_referenced() - test and clear the accessed bit of every PTE that
 * maps @page (the reclaim rmap op); *@exec is set if one of them is in an
 * executable mapping. @memcg is not used: ballast address spaces are not
 * tied to a group (tasks are).
 *
 * Context: caller holds @page locked and a reference; takes i_mmap_lock
 * or the anon_vma's lock, then page-table locks; never sleeps; no
 * allocation; callable from reclaim.
 * Return: the number of PTEs that had the accessed bit set.
 */
int page_referenced(struct page *page, struct mem_cgroup *memcg, bool *exec);

/**
 * try_to_unmap() - remove every PTE mapping @page (the reclaim rmap op);
 * a PTE's dirty bit goes to the page (set_page_dirty()); the mappings'
 * references are dropped (the caller's keeps the page).
 *
 * Context: as page_referenced(); the page is isolated.
 * Return: true if the page is no longer mapped.
 */
bool try_to_unmap(struct page *page);

/**
 * try_to_migrate() - replace every PTE mapping @page with a migration
 * entry naming it (rule 6).
 * @page: locked, isolated, with the migrator's reference.
 *
 * Context: as page_referenced().
 * Return: true if no PTE maps @page any more.
 */
bool try_to_migrate(struct page *page);

/**
 * remove_migration_ptes() - turn every migration entry naming @old into a
 * present PTE of @new (rule 6); @new == @old restores after a failure.
 * @old: the page try_to_migrate() was called on, still locked.
 * @new: the page holding the contents now, locked (or @old).
 *
 * Context: as page_referenced().
 */
void remove_migration_ptes(struct page *old, struct page *new);

/* ------------------------------------------------------------------ */
/* vmalloc                                                               */
/* ------------------------------------------------------------------ */

/* Size of the process address range reserved for vmalloc at vm_init(). */
#define VMALLOC_RESERVE_BYTES (1UL << 30)

/**
 * __vmalloc() - @size bytes of virtually contiguous memory (rule 7).
 * @gfp: the mask of the data pages and of the area's bookkeeping
 *	 (__GFP_ZERO zeroes the pages); the page tables are allocated with
 *	 GFP_KERNEL under the caller's scopes, as in Linux.
 *
 * Context: takes vmap_area_lock and init_mm's page_table_lock briefly;
 * may sleep (page tables); allocates with @gfp and GFP_KERNEL under the
 * caller's scopes; may enter reclaim, so not callable from reclaim; the
 * validator reports a page-table allocation laxer than @gfp
 * (alloc_scope_push(@gfp, "vmalloc")).
 * Return: the address, or NULL (no memory, @size 0 or larger than the
 * region's free space).
 */
void *__vmalloc(unsigned long size, gfp_t gfp);

/**
 * vmalloc() / vzalloc() - __vmalloc() with GFP_KERNEL (vzalloc: zeroed).
 * Context: as __vmalloc().
 * Return: as __vmalloc().
 */
void *vmalloc(unsigned long size);
void *vzalloc(unsigned long size);

/**
 * vfree() - free memory from __vmalloc(): the range is reserved again
 * (accesses fault in the process) before its pages are freed. NULL is
 * ignored; any other address that is not an area's start is misuse.
 *
 * Context: takes vmap_area_lock and init_mm's page_table_lock; never
 * sleeps on a ballast lock (munmap/mmap system calls); no allocation; no
 * reclaim.
 */
void vfree(const void *addr);

/**
 * is_vmalloc_addr() - is @addr inside the vmalloc region?
 * Context: no locks; never sleeps; no allocation; no reclaim.
 * Return: true if it is (whether an area lives there or not).
 */
bool is_vmalloc_addr(const void *addr);

/**
 * vmalloc_to_page() - the page mapped at @addr in init_mm.
 * Context: takes init_mm's page_table_lock; never sleeps; no allocation;
 * no reclaim.
 * Return: the page, or NULL if nothing is mapped there.
 */
struct page *vmalloc_to_page(const void *addr);

/* ------------------------------------------------------------------ */
/* Checks and test hooks                                                 */
/* ------------------------------------------------------------------ */

#define VM_CHECK_QUIESCENT 0x1	/* no fault, unmap or free meanwhile */

/**
 * vm_check() - verify every address space: VMAs sorted, aligned, inside
 * the user range, file VMAs on their file's rmap list; every table a
 * PGTY_TABLE page, counted in nr_pgtables; every present PTE inside a VMA
 * that allows it (writable only if VM_WRITE), mapping a page of the
 * right identity (anonymous: PG_swapbacked, this mm's anon_vma, ->index
 * its virtual page; file: the VMA's mapping at the VMA's offset, or an
 * anonymous copy in a private VMA) with a map count; the rss counters
 * equal the present PTEs plus migration entries of each kind. vmalloc:
 * every area's pages are mapped in init_mm at consecutive addresses and
 * the process mapping shows the same bytes. With VM_CHECK_QUIESCENT
 * also: every page's map count equals the PTEs mapping it in all address
 * spaces, NR_VMALLOC equals the areas' pages, NR_ANON_MAPPED and
 * NR_FILE_MAPPED equal the mapped pages. Violations are printed.
 *
 * Context: takes mm_list_lock, each mmap_lock for reading and
 * page_table_lock in turn, i_mmap_lock, vmap_area_lock; may sleep;
 * allocates a table from the C heap; no reclaim.
 * Return: number of violations.
 */
unsigned long __must_check vm_check(unsigned int flags);

struct vm_stats {
	unsigned long faults;		/* handled faults */
	unsigned long anon_faults;
	unsigned long file_faults;	/* read faults on file mappings */
	unsigned long fault_around;	/* PTEs mapped by fault-around */
	unsigned long cow_faults;
	unsigned long shared_write_faults;
	unsigned long wp_faults;	/* write faults on read-only PTEs */
	unsigned long migration_waits;	/* faults that met a migration entry */
	unsigned long vmalloc_pages;	/* pages currently vmalloc'ed */
};

/**
 * vm_get_stats() - snapshot of the counters (atomic reads, since
 * vm_init()).
 * Context: no locks; never sleeps; no allocation; no reclaim.
 */
void vm_get_stats(struct vm_stats *stats);

#if BALLAST_TESTING
/**
 * vm_fault_set_late_pgtable() - test builds: with @on, the file fault
 * paths allocate the PTE table *after* locking the file page (bug 5's
 * buggy order) instead of before; the default is off. Hook points:
 * "vm.fault_page_locked" (arg: the locked file page, in either order) and
 * "vm.fault_pgtable_late" (arg: the page, after the late allocation).
 * Also "vm.migration_wait" (arg: the page a migration entry names, before
 * a fault waits for its lock; mmap_lock held for reading).
 * Context: any; no locks; never sleeps; no allocation; no reclaim.
 */
void vm_fault_set_late_pgtable(bool on);
#endif

#endif /* BALLAST_VM_H */
