// SPDX-License-Identifier: MIT
/*
 * mm.c - address spaces and VMAs: creation and teardown, the users of an
 * address space (tasks), vm_mmap() and vm_munmap() with VMA splitting,
 * the per-file lists of VMAs (file_rmap), anon_vmas, and the layer's
 * set-up (caches, hooks, ops).
 *
 * Invariants and locking:
 *  - mm->mmap lists the VMAs sorted by address, non-overlapping, page
 *    aligned, inside [VM_USER_START, VM_USER_END); map_count is its
 *    length. Both change only with mmap_lock held for writing.
 *  - A file VMA holds a reference on its mapping (filemap_get()) and is
 *    on its file_rmap's list from vm_mmap() until it is freed; a
 *    file_rmap exists while it has VMAs and is found by mapping in
 *    rmap_hash. i_mmap_lock (a global spinlock) protects the hash, the
 *    lists, and a file VMA's range changes (vm_start, vm_end, vm_pgoff),
 *    which rmap walkers read.
 *  - Lifetimes: mm_users counts users (tasks through use_mm(), callers
 *    through get_task_mm()); the last mmput() tears the address space
 *    down (every PTE zapped, dirty bits to the page cache, every table,
 *    VMA and file reference freed, the anon_vma detached) holding
 *    mmap_lock for writing. mm_count counts references to the structure
 *    (all users together hold one; the OOM killer's pin one); the last
 *    mmdrop() frees it. The anon_vma lives while the mm or any of its
 *    anonymous pages does.
 *  - task->mm is written by the task itself (use_mm(), exit_mm()) under
 *    task_mm_lock, a leaf spinlock, and read by others under it
 *    (get_task_mm(), the OOM ops).
 *  - mm_list (mm_list_lock, a leaf) lists every address space, for
 *    vm_check() and the leak report of vm_exit().
 *  - Allocation (VMAs, file_rmaps, the mm, its anon_vma and top table)
 *    happens before mmap_lock or any spinlock is taken.
 * Lock order: mmap_lock -> PG_locked (zap's dirty transfer) ->
 * i_mmap_lock -> page_table_lock; mmap_lock -> inode_lock (filemap_get).
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

#define RMAP_HASH_BITS 6
#define RMAP_HASH_SIZE (1u << RMAP_HASH_BITS)

DEFINE_SPINLOCK(i_mmap_lock);
DEFINE_SPINLOCK(task_mm_lock);
DEFINE_SPINLOCK(mm_list_lock);
LIST_HEAD(mm_list);
struct kmem_cache *vma_cachep;
static struct kmem_cache *mm_cachep, *anon_vma_cachep;
static struct list_head rmap_hash[RMAP_HASH_SIZE];	/* i_mmap_lock */
static struct lock_class_key mmap_lock_key, ptl_key, anon_vma_lock_key;

/* ------------------------------------------------------------------ */
/* anon_vma and file_rmap                                                */
/* ------------------------------------------------------------------ */

struct anon_vma *anon_vma_alloc(void)
{
	struct anon_vma *av = kmem_cache_alloc(anon_vma_cachep, GFP_KERNEL);

	if (!av)
		return NULL;
	spin_lock_init_key(&av->lock, "anon_vma->lock", &anon_vma_lock_key);
	av->mm = NULL;
	atomic_init(&av->refcount, 1);
	return av;
}

void anon_vma_get(struct anon_vma *av)
{
	atomic_fetch_add_explicit(&av->refcount, 1, memory_order_relaxed);
}

void anon_vma_put(struct anon_vma *av)
{
	long old = atomic_fetch_sub_explicit(&av->refcount, 1,
					     memory_order_acq_rel);

	if (old == 1)
		kmem_cache_free(anon_vma_cachep, av);
	else
		WARN_ON_ONCE(old <= 0);
}

static unsigned int rmap_hash_of(const struct address_space *mapping)
{
	return (unsigned int)(((uintptr_t)mapping * 0x9E3779B97F4A7C15ull) >>
			      (64 - RMAP_HASH_BITS));
}

/* Caller holds i_mmap_lock. */
struct file_rmap *file_rmap_find(struct address_space *mapping)
{
	struct file_rmap *fr;

	lockdep_assert_held(&i_mmap_lock);
	list_for_each_entry(fr, &rmap_hash[rmap_hash_of(mapping)], hash)
		if (fr->mapping == mapping)
			return fr;
	return NULL;
}

/* Link @vma on its file's list, using *@spare if none exists yet. */
static void vma_link_file(struct vm_area_struct *vma, struct file_rmap **spare)
{
	struct file_rmap *fr;

	spin_lock(&i_mmap_lock);
	fr = file_rmap_find(vma->vm_file);
	if (!fr) {
		fr = *spare;
		*spare = NULL;
		fr->mapping = vma->vm_file;
		INIT_LIST_HEAD(&fr->vmas);
		list_add(&fr->hash, &rmap_hash[rmap_hash_of(fr->mapping)]);
	}
	list_add_tail(&vma->shared, &fr->vmas);
	vma->vm_rmap = fr;
	spin_unlock(&i_mmap_lock);
}

/* Unlink @vma from its file's list; returns the file_rmap to free. */
static struct file_rmap *vma_unlink_file(struct vm_area_struct *vma)
{
	struct file_rmap *fr = vma->vm_rmap, *dead = NULL;

	spin_lock(&i_mmap_lock);
	list_del_init(&vma->shared);
	if (list_empty(&fr->vmas)) {
		list_del(&fr->hash);
		dead = fr;
	}
	spin_unlock(&i_mmap_lock);
	return dead;
}

/* Free a VMA unlinked from everything (no lock held). */
static void vma_free(struct vm_area_struct *vma)
{
	if (vma->vm_file)
		filemap_close(vma->vm_file);
	kmem_cache_free(vma_cachep, vma);
}

/* ------------------------------------------------------------------ */
/* Address spaces                                                        */
/* ------------------------------------------------------------------ */

int mm_init_common(struct mm_struct *mm, gfp_t pgd_gfp)
{
	__init_rwsem(&mm->mmap_lock, "mm->mmap_lock", &mmap_lock_key,
		     __FILE__, __LINE__);
	spin_lock_init_key(&mm->page_table_lock, "mm->page_table_lock",
			   &ptl_key);
	INIT_LIST_HEAD(&mm->mmap);
	INIT_LIST_HEAD(&mm->mmlist);
	atomic_init(&mm->map_count, 0);
	mm->anon_vma = NULL;
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		atomic_init(&mm->rss[i], 0);
	atomic_init(&mm->mm_users, 1);
	atomic_init(&mm->mm_count, 1);
	atomic_init(&mm->flags, 0);
	mm->mmap_base = VM_MMAP_BASE;
	mm->pgd = pgtable_alloc(pgd_gfp);
	atomic_init(&mm->nr_pgtables, mm->pgd ? 1 : 0);
	return mm->pgd ? 0 : -ENOMEM;
}

int mm_create(struct mm_struct **mmp)
{
	struct mm_struct *mm;
	struct anon_vma *av;

	might_alloc(GFP_KERNEL);
	mm = kmem_cache_alloc(mm_cachep, GFP_KERNEL | __GFP_ZERO);
	if (!mm)
		return -ENOMEM;
	av = anon_vma_alloc();
	if (!av)
		goto out_mm;
	/* Page tables are the task's memory: charged to its memcg. */
	if (mm_init_common(mm, GFP_KERNEL_ACCOUNT))
		goto out_av;
	av->mm = mm;
	mm->anon_vma = av;
	spin_lock(&mm_list_lock);
	list_add_tail(&mm->mmlist, &mm_list);
	spin_unlock(&mm_list_lock);
	*mmp = mm;
	return 0;

out_av:
	anon_vma_put(av);
out_mm:
	kmem_cache_free(mm_cachep, mm);
	return -ENOMEM;
}

void mmgrab(struct mm_struct *mm)
{
	atomic_fetch_add_explicit(&mm->mm_count, 1, memory_order_relaxed);
}

void mmdrop(struct mm_struct *mm)
{
	int old = atomic_fetch_sub_explicit(&mm->mm_count, 1,
					    memory_order_acq_rel);

	if (old != 1) {
		WARN_ON_ONCE(old <= 0);
		return;
	}
	spin_lock(&mm_list_lock);
	list_del_init(&mm->mmlist);
	spin_unlock(&mm_list_lock);
	kmem_cache_free(mm_cachep, mm);
}

void mmget(struct mm_struct *mm)
{
	atomic_fetch_add_explicit(&mm->mm_users, 1, memory_order_relaxed);
}

/* The last user is gone: free everything the address space holds. */
static void exit_mmap(struct mm_struct *mm)
{
	struct vm_area_struct *vma, *next;
	struct anon_vma *av = mm->anon_vma;
	LIST_HEAD(dead);

	down_write(&mm->mmap_lock);
	list_for_each_entry(vma, &mm->mmap, vm_list)
		zap_range(mm, vma, vma->vm_start, vma->vm_end, true);
	free_all_pgtables(mm);
	list_for_each_entry_safe(vma, next, &mm->mmap, vm_list) {
		list_del(&vma->vm_list);
		if (vma->vm_file)
			kfree(vma_unlink_file(vma));
		list_add(&vma->vm_list, &dead);
	}
	atomic_store(&mm->map_count, 0);
	mm->anon_vma = NULL;	/* under mmap_lock: vm_check reads it so */
	up_write(&mm->mmap_lock);
	/* No PTE is left: anonymous pages still alive lead nowhere. */
	spin_lock(&av->lock);
	av->mm = NULL;
	spin_unlock(&av->lock);
	anon_vma_put(av);
	list_for_each_entry_safe(vma, next, &dead, vm_list)
		vma_free(vma);
}

void mmput(struct mm_struct *mm)
{
	int old;

	might_sleep();
	old = atomic_fetch_sub_explicit(&mm->mm_users, 1, memory_order_acq_rel);
	if (old != 1) {
		WARN_ON_ONCE(old <= 0);
		return;
	}
	exit_mmap(mm);
	mmdrop(mm);
}

void use_mm(struct mm_struct *mm)
{
	struct task *self = current;

	if (self->mm) {
		report_misuse("use_mm: %s already has an address space",
			      self->comm);
		return;
	}
	mmget(mm);
	spin_lock(&task_mm_lock);
	self->mm = mm;
	spin_unlock(&task_mm_lock);
}

void exit_mm(void)
{
	struct task *self = current;
	struct mm_struct *mm;

	spin_lock(&task_mm_lock);
	mm = self->mm;
	self->mm = NULL;
	spin_unlock(&task_mm_lock);
	if (mm)
		mmput(mm);
}

struct mm_struct *get_task_mm(struct task *task)
{
	struct mm_struct *mm;

	spin_lock(&task_mm_lock);
	mm = task->mm;
	if (mm)
		mmget(mm);	/* task->mm holds a user: never the first */
	spin_unlock(&task_mm_lock);
	return mm;
}

void mm_get_counters(struct mm_struct *mm, struct mm_counters *c)
{
	c->rss_file = (unsigned long)max(atomic_load(&mm->rss[MM_FILEPAGES]),
					 0L);
	c->rss_anon = (unsigned long)max(atomic_load(&mm->rss[MM_ANONPAGES]),
					 0L);
	c->pgtables = (unsigned long)max(atomic_load(&mm->nr_pgtables), 0L);
	c->map_count = (unsigned long)max(atomic_load(&mm->map_count), 0);
}

/* ------------------------------------------------------------------ */
/* VMAs                                                                  */
/* ------------------------------------------------------------------ */

/* The first VMA ending above @addr, or NULL. mmap_lock held. */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	list_for_each_entry(vma, &mm->mmap, vm_list)
		if (vma->vm_end > addr)
			return vma;
	return NULL;
}

static bool range_free(struct mm_struct *mm, unsigned long start,
		       unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	return !vma || vma->vm_start >= end;
}

/* First fit from mmap_base up; 0 if nothing is free. */
static unsigned long get_unmapped_area(struct mm_struct *mm, size_t len)
{
	unsigned long cand = mm->mmap_base;
	struct vm_area_struct *vma;

	list_for_each_entry(vma, &mm->mmap, vm_list) {
		if (vma->vm_end <= cand)
			continue;
		if (vma->vm_start >= cand + len)
			break;
		cand = vma->vm_end;
	}
	return cand + len <= VM_USER_END ? cand : 0;
}

/* Insert @vma in address order. mmap_lock held for writing. */
static void vma_insert(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *pos;

	list_for_each_entry(pos, &mm->mmap, vm_list)
		if (pos->vm_start > vma->vm_start)
			break;
	list_add_tail(&vma->vm_list, &pos->vm_list);
	atomic_fetch_add(&mm->map_count, 1);
}

int vm_mmap(struct mm_struct *mm, unsigned long addr, size_t len,
	    unsigned long vm_flags, struct address_space *file, pgoff_t pgoff,
	    unsigned long *addrp)
{
	struct file_rmap *spare = NULL;
	struct vm_area_struct *vma;
	int ret = 0;

	might_alloc(GFP_KERNEL);
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!len || len > VM_USER_END - VM_USER_START ||
	    (vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC | VM_SHARED)) ||
	    ((vm_flags & VM_SHARED) && !file) || (addr & (PAGE_SIZE - 1)))
		return -EINVAL;
	if (addr && (addr < VM_USER_START || addr > VM_USER_END - len))
		return -EINVAL;
	/* Offsets past the page cache's index range (2^52 bytes). */
	if (file && (pgoff >> 40 || (pgoff + (len >> PAGE_SHIFT)) >> 40))
		return -EINVAL;
	vma = kmem_cache_alloc(vma_cachep, GFP_KERNEL | __GFP_ZERO);
	if (!vma)
		return -ENOMEM;
	if (file) {
		spare = kzalloc(sizeof(*spare), GFP_KERNEL);
		if (!spare) {
			kmem_cache_free(vma_cachep, vma);
			return -ENOMEM;
		}
		filemap_get(file);
	}
	INIT_LIST_HEAD(&vma->shared);
	vma->vm_flags = vm_flags;
	vma->vm_mm = mm;
	vma->vm_file = file;
	vma->vm_pgoff = file ? pgoff : 0;

	down_write(&mm->mmap_lock);
	if (addr) {
		if (!range_free(mm, addr, addr + len))
			ret = -EEXIST;
	} else {
		addr = get_unmapped_area(mm, len);
		if (!addr)
			ret = -ENOMEM;
	}
	if (!ret) {
		vma->vm_start = addr;
		vma->vm_end = addr + len;
		vma_insert(mm, vma);
		if (file)
			vma_link_file(vma, &spare);
	}
	up_write(&mm->mmap_lock);
	kfree(spare);
	if (ret) {
		vma_free(vma);
		return ret;
	}
	*addrp = addr;
	return 0;
}

/*
 * Change a VMA's range; file VMAs under i_mmap_lock (rmap walkers read
 * the range under it). mmap_lock held for writing.
 */
static void vma_set_range(struct vm_area_struct *vma, unsigned long start,
			  unsigned long end, pgoff_t pgoff)
{
	if (vma->vm_file)
		spin_lock(&i_mmap_lock);
	vma->vm_start = start;
	vma->vm_end = end;
	vma->vm_pgoff = pgoff;
	if (vma->vm_file)
		spin_unlock(&i_mmap_lock);
}

int vm_munmap(struct mm_struct *mm, unsigned long addr, size_t len)
{
	struct vm_area_struct *vma, *next, *spare, *prev_vma = NULL;
	unsigned long end, floor = 0, ceiling = 0;
	LIST_HEAD(dead);

	might_alloc(GFP_KERNEL);
	len = ALIGN_UP(len, PAGE_SIZE);
	if ((addr & (PAGE_SIZE - 1)) || !len || addr < VM_USER_START ||
	    addr > VM_USER_END || len > VM_USER_END - addr)
		return -EINVAL;
	end = addr + len;
	/* A split needs a second VMA: allocate it before the lock. */
	spare = kmem_cache_alloc(vma_cachep, GFP_KERNEL | __GFP_ZERO);
	if (!spare)
		return -ENOMEM;

	down_write(&mm->mmap_lock);
	list_for_each_entry_safe(vma, next, &mm->mmap, vm_list) {
		unsigned long s, e;

		if (vma->vm_end <= addr) {
			prev_vma = vma;
			continue;
		}
		if (vma->vm_start >= end)
			break;
		s = max(vma->vm_start, addr);
		e = min(vma->vm_end, end);
		if (vma->vm_start < addr && vma->vm_end > end) {
			/* Split: the tail becomes the spare. */
			struct vm_area_struct *tail = spare;
			struct file_rmap *none = NULL;

			spare = NULL;
			*tail = *vma;
			INIT_LIST_HEAD(&tail->shared);
			tail->vm_start = end;
			if (tail->vm_file) {
				tail->vm_pgoff = vma->vm_pgoff +
					((end - vma->vm_start) >> PAGE_SHIFT);
				filemap_get(tail->vm_file);
				vma_link_file(tail, &none);
			}
			list_add(&tail->vm_list, &vma->vm_list);
			atomic_fetch_add(&mm->map_count, 1);
			next = tail;
		}
		zap_range(mm, vma, s, e, true);
		if (s == vma->vm_start && e == vma->vm_end) {
			list_del(&vma->vm_list);
			atomic_fetch_sub(&mm->map_count, 1);
			if (vma->vm_file)
				kfree(vma_unlink_file(vma));
			list_add(&vma->vm_list, &dead);
		} else if (s == vma->vm_start) {
			vma_set_range(vma, e, vma->vm_end,
				      vma->vm_pgoff +
					      ((e - vma->vm_start) >> PAGE_SHIFT));
		} else {
			vma_set_range(vma, vma->vm_start, s, vma->vm_pgoff);
			prev_vma = vma;
		}
	}
	/* Free the tables nothing maps any more: the gap's whole spans. */
	if (prev_vma)
		floor = prev_vma->vm_end;
	vma = find_vma(mm, addr);
	if (vma)
		ceiling = vma->vm_start;
	free_pgtables(mm, addr, end, floor, ceiling);
	up_write(&mm->mmap_lock);

	list_for_each_entry_safe(vma, next, &dead, vm_list)
		vma_free(vma);
	if (spare)
		kmem_cache_free(vma_cachep, spare);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                                */
/* ------------------------------------------------------------------ */

int vm_mm_caches_init(void)
{
	for (unsigned int i = 0; i < RMAP_HASH_SIZE; i++)
		INIT_LIST_HEAD(&rmap_hash[i]);
	mm_cachep = kmem_cache_create("mm_struct", sizeof(struct mm_struct),
				      0, SLAB_HWCACHE_ALIGN, NULL);
	vma_cachep = kmem_cache_create("vm_area_struct",
				       sizeof(struct vm_area_struct), 0, 0,
				       NULL);
	anon_vma_cachep = kmem_cache_create("anon_vma",
					    sizeof(struct anon_vma), 0, 0,
					    NULL);
	if (!mm_cachep || !vma_cachep || !anon_vma_cachep) {
		vm_mm_caches_exit();
		return -ENOMEM;
	}
	return 0;
}

void vm_mm_caches_exit(void)
{
	if (mm_cachep)
		kmem_cache_destroy(mm_cachep);
	if (vma_cachep)
		kmem_cache_destroy(vma_cachep);
	if (anon_vma_cachep)
		kmem_cache_destroy(anon_vma_cachep);
	mm_cachep = vma_cachep = anon_vma_cachep = NULL;
}

/*
 * The allocator's free hook: an anonymous page going away drops its
 * anon_vma reference (rmap.c). Never sleeps; may free the anon_vma.
 */
static void vm_free_hook(struct page *page, unsigned int order)
{
	if (PageSwapBacked(page) && page->private &&
	    page_get_type(page) == PGTY_NONE) {
		anon_vma_put((struct anon_vma *)page->private);
		page->private = 0;
	}
}

/* The task exit hook: an ending task leaves its address space. */
static void vm_task_exit(struct task *task)
{
	if (task->mm)
		exit_mm();
}

const struct reclaim_ops vm_reclaim_ops = {
	.rmap = &vm_rmap_ops,
	.oom = &vm_oom_ops,
};

static bool vm_initialised;

int vm_init(void)
{
	int ret;

	if (vm_initialised)
		return -EBUSY;
	memset(&vm_counters, 0, sizeof(vm_counters));
	ret = vm_mm_caches_init();
	if (ret)
		return ret;
	ret = vmalloc_init();
	if (ret)
		goto out_caches;
	ret = alloc_register_free_hook(vm_free_hook);
	if (ret)
		goto out_vmalloc;
	ret = task_register_exit_hook(vm_task_exit);
	if (ret)
		goto out_hook;
	reclaim_set_ops(&vm_reclaim_ops);
	vm_initialised = true;
	return 0;

out_hook:
	alloc_unregister_free_hook(vm_free_hook);
out_vmalloc:
	vmalloc_exit();
out_caches:
	vm_mm_caches_exit();
	return ret;
}

void vm_exit(void)
{
	struct mm_struct *mm;
	unsigned long nr = 0;

	if (!vm_initialised)
		return;
	reclaim_clear_ops(&vm_reclaim_ops);
	task_unregister_exit_hook(vm_task_exit);
	spin_lock(&mm_list_lock);
	list_for_each_entry(mm, &mm_list, mmlist)
		nr++;
	spin_unlock(&mm_list_lock);
	if (nr)
		report_misuse("vm_exit: %lu address spaces still alive; leaked",
			      nr);
	vmalloc_exit();
	alloc_unregister_free_hook(vm_free_hook);
	vm_mm_caches_exit();
	vm_initialised = false;
}
