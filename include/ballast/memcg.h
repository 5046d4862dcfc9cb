// SPDX-License-Identifier: MIT
/*
 * memcg.h - memory cgroups (layer 6): a tree of groups with a hard limit
 * (max) and, on the unified hierarchy, a throttle limit (high);
 * hierarchical page counters; tasks attached to groups; every allocation
 * with __GFP_ACCOUNT charged to the allocating task's group; limit reclaim
 * from the group's own LRU lists; OOM kills inside the group; counters in
 * memory.stat's and memory.events' formats.
 *
 * Two modes, chosen per tree (a child of the root starts a tree; its
 * descendants inherit the mode):
 *  - MEMCG_MODE_UNIFIED, as cgroup v2: limit reclaim never waits on
 *    writeback; a task whose charge leaves a group over its high limit
 *    reclaims the excess and is then throttled (a bounded pause).
 *  - MEMCG_MODE_LEGACY, as cgroup v1: limit reclaim waits on pages under
 *    writeback that it has seen before (the only throttle v1 had), and
 *    there is no high limit. This is the wait that turns a page lock held
 *    across a charge into bug 5's deadlock.
 *
 * Rules for users:
 *  1. The charge is made by the allocator (alloc_hooks.memcg_charge) for
 *     every allocation with __GFP_ACCOUNT, to set_active_memcg()'s group
 *     if the caller set one, else to the current task's group; tasks of
 *     the root group are not charged. The page's group is in page->memcg
 *     from then until the page is freed (the uncharge, the memcg layer's
 *     allocator free hook).
 *  2. A charge may reclaim, throttle and OOM-kill inside the group: it is
 *     part of an allocation that may enter reclaim (alloc.h rule 2), so
 *     never hold a page lock across it (reclaim.h rule 8, bug 5).
 *  3. page->memcg changes only while the page is off every LRU (reclaim.h
 *     rule 5): at charge (a new page), at uncharge (a page being freed),
 *     and at memcg_exit() (isolated first).
 *  4. A task's group (task->memcg) is written by the task itself
 *     (memcg_attach()) under memcg_tree_lock; others read it under that
 *     lock (get_mem_cgroup_from_task()). A group with tasks or children
 *     cannot be destroyed.
 *  5. A destroyed group whose pages are still charged (page cache, page
 *     tables of a living address space) stays as an offline group, still
 *     reclaimed through its LRU lists, until its last page is freed; it
 *     is freed by the next memcg_create(), memcg_destroy(), memcg_check()
 *     or memcg_exit() (as Linux's dying cgroups).
 *  6. memcg registers the reclaim memcg ops (page_lruvec, lruvec_iter,
 *     reclaim_waits_writeback, mod_page_state, task_in_memcg,
 *     oom_kill_event), its allocator hooks and a task exit hook at
 *     memcg_init(), which runs after reclaim_init() so its uncharge free
 *     hook runs after reclaim's LRU free hook.
 */
#ifndef BALLAST_MEMCG_H
#define BALLAST_MEMCG_H

#include <limits.h>
#include <stdio.h>
#include <ballast/reclaim.h>
#include <ballast/task.h>

struct mem_cgroup;

enum memcg_mode {
	MEMCG_MODE_UNIFIED,	/* cgroup v2: throttles over high */
	MEMCG_MODE_LEGACY,	/* cgroup v1: limit reclaim waits on writeback */
};

#define MEMCG_NAME_MAX 32
/* "max": no limit, in pages. */
#define PAGE_COUNTER_MAX (LONG_MAX / (long)PAGE_SIZE)

/* Events a group counts (memory.events, and memory.stat's events). */
enum memcg_event_item {
	MEMCG_HIGH,		/* charges that left the group over high */
	MEMCG_MAX,		/* charges that hit the max limit */
	MEMCG_OOM,		/* OOMs inside the group */
	MEMCG_OOM_KILL,		/* tasks of the group killed by an OOM */
	MEMCG_THROTTLED,	/* pauses of tasks over high */
	MEMCG_PGFAULT,		/* page faults (counted by vm) */
	MEMCG_PGSCAN,		/* pages scanned by reclaim (from the LRUs) */
	MEMCG_PGSTEAL,		/* pages reclaimed */
	NR_MEMCG_EVENTS
};

/* The root of the tree: exists between memcg_init() and memcg_exit(). */
extern struct mem_cgroup *root_mem_cgroup;

/**
 * memcg_init() - create the root group and register the charge and
 * uncharge hooks, the reclaim memcg ops and the task exit hook (rule 6).
 *
 * Context: after reclaim_init(), before any task attaches; start-up, no
 * locks; may sleep; allocates the root with GFP_KERNEL (not charged), so
 * may enter reclaim.
 * Return: 0, -EBUSY if already initialised or a hook table is full,
 * -ENOMEM.
 */
int __must_check memcg_init(void);

/**
 * memcg_exit() - hand every charged page back to the root (each LRU page
 * is isolated, uncharged and put back on the node's lists), unregister,
 * and free every group. Groups still holding tasks are reported.
 *
 * Context: quiescent: no task allocates, reclaims, or moves between
 * groups; takes lru and memcg locks; walks every page frame; may sleep;
 * no allocation; no reclaim.
 */
void memcg_exit(void);

/**
 * memcg_create() - make a group under @parent.
 * @parent: the parent (root_mem_cgroup for a new tree); must be online.
 * @name: at most MEMCG_NAME_MAX - 1 bytes, unique among its siblings.
 * @mode: the tree's mode; used for children of the root, and must equal
 *	  the parent's mode otherwise.
 * @memcgp: receives the group, with no limits (max = high =
 *	    PAGE_COUNTER_MAX).
 *
 * Context: takes memcg_mutex and memcg_tree_lock; may sleep; allocates
 * the group with GFP_KERNEL before taking either, so may enter reclaim;
 * not callable from reclaim.
 * Return: 0; -EINVAL for a bad name or a mode differing from the parent's;
 * -EEXIST if a sibling has the name; -ENOENT if @parent is offline;
 * -ENOMEM.
 */
int __must_check memcg_create(struct mem_cgroup *parent, const char *name,
			      enum memcg_mode mode,
			      struct mem_cgroup **memcgp);

/**
 * memcg_destroy() - take an empty group offline (rule 5). Its charged
 * pages stay charged to it until they are freed.
 *
 * Context: takes memcg_mutex and memcg_tree_lock; may sleep (frees
 * offline groups whose pages are gone); no allocation; no reclaim.
 * Return: 0; -EBUSY if tasks are attached or children remain; -EINVAL for
 * the root or an offline group.
 */
int __must_check memcg_destroy(struct mem_cgroup *memcg);

/**
 * memcg_set_max() - set the hard limit, in pages. If usage is above it,
 * the group is reclaimed towards it as a charge would be (a legacy group
 * may wait on writeback), without an OOM kill; the limit is set either
 * way, and later charges reclaim or OOM until usage is under it.
 *
 * Context: caller holds no page lock; takes memcg_mutex; may sleep; no
 * allocation; enters memcg reclaim with GFP_KERNEL, so not callable from
 * reclaim.
 * Return: 0, or -EINVAL for the root.
 */
int __must_check memcg_set_max(struct mem_cgroup *memcg,
			       unsigned long nr_pages);

/**
 * memcg_set_high() - set the throttle limit of a unified group, in pages.
 *
 * Context: no locks (an atomic store); never sleeps; no allocation; no
 * reclaim.
 * Return: 0; -EINVAL for the root or a legacy group (cgroup v1 has no
 * high limit).
 */
int __must_check memcg_set_high(struct mem_cgroup *memcg,
				unsigned long nr_pages);

/**
 * memcg_attach() - move the current task to @memcg (NULL: the root).
 * Charges already made stay where they are, as in Linux.
 *
 * Context: takes memcg_tree_lock; never sleeps; no allocation; no reclaim.
 * Return: 0, or -ENOENT if @memcg is offline.
 */
int __must_check memcg_attach(struct mem_cgroup *memcg);

/**
 * get_mem_cgroup_from_task() - @task's group (the root if none), with a
 * reference; mem_cgroup_put() drops it.
 *
 * Context: takes memcg_tree_lock; never sleeps; no allocation; no reclaim.
 * Return: the group; NULL only if memcg is not initialised.
 */
struct mem_cgroup *get_mem_cgroup_from_task(struct task *task);

/**
 * mem_cgroup_put() - drop a reference (NULL is ignored). An offline group
 * is freed later (rule 5), never here.
 * Context: any; an atomic decrement, no locks; never sleeps; no
 * allocation; no reclaim.
 */
void mem_cgroup_put(struct mem_cgroup *memcg);

/**
 * set_active_memcg() - charge the current task's __GFP_ACCOUNT
 * allocations to @memcg (NULL: back to the task's own group) until the
 * next call, as Linux's set_active_memcg() for remote charging (a fault
 * made on another task's behalf). The caller holds a reference on @memcg
 * for as long as it is active.
 *
 * Context: current task only, no locks; never sleeps; no allocation; no
 * reclaim.
 * Return: the previous active group, to restore.
 */
struct mem_cgroup *set_active_memcg(struct mem_cgroup *memcg);

/**
 * memcg_name() / memcg_mode_of() - the group's name and mode (immutable).
 * Context: no locks; never sleep; no allocation; no reclaim.
 * Return: the name ("" for the root), the mode.
 */
const char *memcg_name(const struct mem_cgroup *memcg);
enum memcg_mode memcg_mode_of(const struct mem_cgroup *memcg);

/**
 * memcg_usage() / memcg_peak() - pages charged to the group and its
 * descendants now / at most since creation.
 * Context: lockless atomic reads; never sleep; no allocation; no reclaim.
 * Return: a page count.
 */
unsigned long memcg_usage(const struct mem_cgroup *memcg);
unsigned long memcg_peak(const struct mem_cgroup *memcg);

/**
 * memcg_page_state() - the group's and its descendants' pages of gauge
 * @item (NR_FILE_PAGES, NR_FILE_DIRTY, NR_WRITEBACK, NR_ANON_MAPPED,
 * NR_FILE_MAPPED, NR_PAGETABLE; others read 0).
 * memcg_events() - the group's and its descendants' count of @item.
 *
 * Context: take memcg_tree_lock to walk the subtree; never sleep; no
 * allocation; no reclaim.
 * Return: the sum (pages for the gauges, a count for the events).
 */
long memcg_page_state(struct mem_cgroup *memcg, enum node_stat_item item);
unsigned long memcg_events(struct mem_cgroup *memcg,
			   enum memcg_event_item item);

/**
 * memcg_count_event() - add @n to @memcg's event @item (vm counts
 * MEMCG_PGFAULT). NULL @memcg counts nothing.
 * Context: any (an atomic add); never sleeps; no allocation; no reclaim.
 */
void memcg_count_event(struct mem_cgroup *memcg, enum memcg_event_item item,
		       unsigned long n);

/**
 * memcg_count_event_current() - as memcg_count_event(), in the group the
 * current task's charges go to (rule 1: set_active_memcg()'s, else its
 * own), so that a fault made for another task (vm's MEMCG_PGFAULT) counts
 * where its pages are charged.
 * Context: any (an atomic add); never sleeps; no allocation; no reclaim.
 */
void memcg_count_event_current(enum memcg_event_item item, unsigned long n);

/**
 * memcg_stat_dump() - memory.stat of cgroup v2 for @memcg (hierarchical):
 * "name value" lines, sizes in bytes (anon, file, kernel, pagetables,
 * file_mapped, file_dirty, file_writeback, the LRU lists), events as
 * counts (pgfault, pgscan, pgsteal, oom, oom_kill).
 * memcg_events_dump() - memory.events: high, max, oom, oom_kill,
 * throttled.
 *
 * Context: take memcg_tree_lock briefly; never sleep; allocation only by
 * stdio; no reclaim.
 */
void memcg_stat_dump(struct mem_cgroup *memcg, FILE *f);
void memcg_events_dump(struct mem_cgroup *memcg, FILE *f);

#define MEMCG_CHECK_QUIESCENT 0x1	/* nobody charges or frees meanwhile */

/**
 * memcg_check() - verify the tree and the counters: every group is on its
 * parent's list and online groups' parents are online; a parent's usage
 * is at least its children's; every page of a group's LRU lists is
 * charged to that group. With MEMCG_CHECK_QUIESCENT also, by a walk of
 * every page frame: each group's usage equals the pages charged to it
 * plus its children's usage; its gauges (file, dirty, writeback, anon
 * mapped, file mapped, page tables) equal the pages charged to it in
 * those states; and its task count equals the tasks attached to it.
 * Violations are printed. Offline groups whose pages are gone are freed.
 *
 * Context: takes memcg_mutex, memcg_tree_lock, tasklist_lock and each
 * lru_lock; may sleep; allocates a temporary table from the C heap; no
 * reclaim.
 * Return: number of violations.
 */
unsigned long __must_check memcg_check(unsigned int flags);

#endif /* BALLAST_MEMCG_H */
