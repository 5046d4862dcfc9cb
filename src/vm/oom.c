// SPDX-License-Identifier: MIT
/*
 * oom.c - vm's side of the OOM killer (the reclaim oom ops): a task's
 * badness input, pinning a victim's address space, and the OOM reaper's
 * work, freeing a victim's private memory without waiting for it.
 *
 * Invariants and locking:
 *  - task->mm is read under task_mm_lock (a leaf spinlock; the killer
 *    calls task_pages and task_uses with tasklist_lock held).
 *  - A victim's pin is an mm_count reference (mmgrab) taken with
 *    MMF_OOM_VICTIM set; victim_unpin sets MMF_OOM_SKIP (the killer then
 *    skips the mm) and drops it. The structure outlives the pin even if
 *    the victim exits and tears the address space down meanwhile.
 *  - The reaper takes mmap_lock for reading with a trylock only (the
 *    victim may hold it for writing; the killer retries later), sets
 *    MMF_UNSTABLE (new faults fail with -EFAULT) and zaps every private
 *    VMA: anonymous pages and copy-on-write copies are freed (their memcg
 *    uncharged); shared file mappings are left to the victim's exit (their
 *    dirty bits need page locks). Private VMAs never hold dirty file PTEs
 *    (a write makes a copy), so no page lock is taken. Nothing is
 *    allocated.
 */
#include "internal.h"

static enum oom_task_state vm_oom_task_pages(struct task *task,
					     unsigned long *nr_pages)
{
	enum oom_task_state state = OOM_TASK_INELIGIBLE;
	struct mm_struct *mm;

	spin_lock(&task_mm_lock);
	mm = task->mm;
	if (mm && (atomic_load(&mm->flags) & MMF_OOM_SKIP)) {
		state = OOM_TASK_REAPED;
	} else if (mm) {
		struct mm_counters c;

		mm_get_counters(mm, &c);
		*nr_pages = c.rss_anon + c.rss_file + c.pgtables;
		state = OOM_TASK_ELIGIBLE;
	}
	spin_unlock(&task_mm_lock);
	return state;
}

static void *vm_oom_victim_pin(struct task *task)
{
	struct mm_struct *mm;

	spin_lock(&task_mm_lock);
	mm = task->mm;
	if (mm) {
		mmgrab(mm);
		atomic_fetch_or(&mm->flags, MMF_OOM_VICTIM);
	}
	spin_unlock(&task_mm_lock);
	return mm;
}

static bool vm_oom_task_uses(struct task *task, void *pin)
{
	bool uses;

	spin_lock(&task_mm_lock);
	uses = task->mm == pin;
	spin_unlock(&task_mm_lock);
	return uses;
}

static bool vm_oom_reap(void *pin)
{
	struct mm_struct *mm = pin;
	struct vm_area_struct *vma;

	if (!down_read_trylock(&mm->mmap_lock))
		return false;
	atomic_fetch_or(&mm->flags, MMF_UNSTABLE);
	list_for_each_entry(vma, &mm->mmap, vm_list)
		if (!(vma->vm_flags & VM_SHARED))
			zap_range(mm, vma, vma->vm_start, vma->vm_end, false);
	up_read(&mm->mmap_lock);
	return true;
}

static void vm_oom_victim_unpin(void *pin)
{
	struct mm_struct *mm = pin;

	atomic_fetch_or(&mm->flags, MMF_OOM_SKIP);
	mmdrop(mm);
}

const struct reclaim_oom_ops vm_oom_ops = {
	.task_pages = vm_oom_task_pages,
	.victim_pin = vm_oom_victim_pin,
	.task_uses = vm_oom_task_uses,
	.reap = vm_oom_reap,
	.victim_unpin = vm_oom_victim_unpin,
};
