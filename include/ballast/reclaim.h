// SPDX-License-Identifier: MIT
/*
 * reclaim.h - page reclaim (layer 4): LRU lists, shrink_page_list, kswapd,
 * direct reclaim, shrinkers, and the ops tables through which the layers
 * above (page cache, vm, memcg) tell reclaim what it cannot know itself.
 *
 * Rules for users:
 *  1. An LRU list holds no reference. A page is added with lru_cache_add()
 *     by a caller that holds a reference; when its last reference is
 *     dropped while PG_lru is set, the allocator's free hook registered by
 *     reclaim takes it off its list (as Linux's __page_cache_release). Only
 *     order-0 pages go on an LRU.
 *  2. PG_lru, PG_active and PG_unevictable, the page's ->lru link and the
 *     lruvec counters are protected by the lruvec's lru_lock. Anyone else
 *     takes a page off an LRU only with isolate_lru_page() (which takes a
 *     reference and clears PG_lru) and gives it back with
 *     putback_lru_page() (which drops that reference).
 *  3. Never call put_page() while holding an lru_lock: the last put takes
 *     it again through the free hook.
 *  4. Anonymous pages (PG_swapbacked) are never reclaimed: ballast has no
 *     swap. They are kept on the anon lists for their counters and for
 *     migration, and those lists are never scanned by reclaim.
 *  5. A page's lruvec is chosen by the memcg ops (page_lruvec); without
 *     memcg it is the node's lruvec. page->memcg of a page may change only
 *     while the page is off every LRU (not PG_lru), so that the lruvec of
 *     an LRU page is stable under its lru_lock.
 *  6. Upward calls go through the ops tables below (struct reclaim_ops),
 *     registered by the layer that implements them with reclaim_set_ops()
 *     and removed with reclaim_clear_ops() at a quiescent point (no
 *     reclaim running). A missing group means: file pages are never
 *     written or freed (no file ops), mapped pages are never reclaimed (no
 *     rmap ops), one node lruvec (no memcg ops), no task is an OOM
 *     victim (no oom ops: vm registers them, memcg adds group membership
 *     through its memcg ops).
 *  7. Reclaim runs inside fs_reclaim_acquire() of the mask it reclaims
 *     for, with PF_MEMALLOC set: the ops and shrinkers it calls must not
 *     allocate with direct reclaim and must not take a lock that anyone
 *     holds across such an allocation (alloc.h rule 2). They may sleep.
 *  8. Nobody waits on writeback, nor allocates with direct reclaim, while
 *     holding a page lock: reclaim and the flusher may hold other page
 *     locks and wait on writeback (docs/reclaim.md, "Who waits").
 */
#ifndef BALLAST_RECLAIM_H
#define BALLAST_RECLAIM_H

#include <ballast/alloc.h>
#include <ballast/lockdep.h>

struct address_space;
struct mem_cgroup;

/* ------------------------------------------------------------------ */
/* LRU lists and lruvecs                                                 */
/* ------------------------------------------------------------------ */

enum lru_list {
	LRU_INACTIVE_ANON,
	LRU_ACTIVE_ANON,
	LRU_INACTIVE_FILE,
	LRU_ACTIVE_FILE,
	LRU_UNEVICTABLE,
	NR_LRU_LISTS
};

#define LRU_BASE_ANON LRU_INACTIVE_ANON
#define LRU_BASE_FILE LRU_INACTIVE_FILE
#define LRU_ACTIVE 1	/* added to a base: the active list of that type */

/**
 * is_file_lru() / is_active_lru() - is @lru a file list / an active list?
 * Context: any; no locks (pure); never sleep; no allocation; no reclaim.
 * Return: true if it is.
 */
static inline bool is_file_lru(enum lru_list lru)
{
	return lru == LRU_INACTIVE_FILE || lru == LRU_ACTIVE_FILE;
}

static inline bool is_active_lru(enum lru_list lru)
{
	return lru == LRU_ACTIVE_ANON || lru == LRU_ACTIVE_FILE;
}

/*
 * struct lruvec - one set of LRU lists: the node's (no memcg), or one per
 * memory cgroup, which embeds it (lruvec_init() with its memcg).
 *
 * lru_lock: a spinlock; protects lists, the ->lru links and PG_lru /
 * PG_active / PG_unevictable of the pages on them, and the writes of
 * nr_pages. nr_pages: pages per list and zone; atomic (read locklessly
 * for scan sizing and statistics). memcg: immutable after init (NULL for
 * the node lruvec). flags: atomic LRUVEC_* bits (reclaim state).
 */
struct lruvec {
	spinlock_t lru_lock;
	struct list_head lists[NR_LRU_LISTS];
	_Atomic(long) nr_pages[NR_LRU_LISTS][MAX_NR_ZONES];
	struct mem_cgroup *memcg;
	_Atomic(unsigned long) flags;
	/* events of reclaim on this lruvec, by any reclaimer (atomic) */
	_Atomic(unsigned long) nr_scanned;	/* inactive pages isolated */
	_Atomic(unsigned long) nr_reclaimed;	/* of those, pages freed */
};

/* lruvec->flags */
#define LRUVEC_DIRTY 0x1	/* the inactive file tail is full of dirty pages */

/**
 * lruvec_init() - initialise an lruvec (empty lists, zero counters).
 * @lruvec: the lruvec, owned by the caller (a memcg embeds one).
 * @memcg: the memory cgroup it belongs to, NULL for the node lruvec.
 *
 * All lruvecs share one lock class ("lruvec->lru_lock"): two lruvec locks
 * are never nested.
 * Context: no locks (the lruvec is not published yet); never sleeps; no
 * allocation; no reclaim.
 */
void lruvec_init(struct lruvec *lruvec, struct mem_cgroup *memcg);

/**
 * node_lruvec() - the node's own lruvec (used when no memcg ops are
 * registered, and by memcg as the root group's lruvec if it wishes).
 *
 * Context: any; no locks; never sleeps; no allocation; no reclaim,
 * callable from reclaim.
 * Return: the lruvec (never NULL).
 */
struct lruvec *node_lruvec(void);

/**
 * page_lruvec() - the lruvec @page belongs to (memcg ops, else the node).
 *
 * Context: any; no locks (the answer is stable only under rule 5); never
 * sleeps; no allocation; no reclaim, callable from reclaim.
 * Return: the lruvec (never NULL).
 */
struct lruvec *page_lruvec(struct page *page);

/**
 * lruvec_lru_size() - pages on @lru of @lruvec in zones up to @zone_idx.
 *
 * Context: any; lockless (atomic reads); never sleeps; no allocation; no
 * reclaim, callable from reclaim.
 * Return: a page count.
 */
unsigned long lruvec_lru_size(struct lruvec *lruvec, enum lru_list lru,
			      enum zone_type zone_idx);

/**
 * page_lru() - the list @page belongs on by its flags (PG_unevictable,
 * PG_swapbacked, PG_active).
 * Context: any; no locks (the flags are stable under the page's lru_lock
 * or while it is isolated); never sleeps; no allocation; no reclaim.
 * Return: the list.
 */
enum lru_list page_lru(const struct page *page);

/**
 * lru_cache_add() - put a new page on the inactive list of its type (the
 * active list if PG_active is already set, the unevictable list if
 * PG_unevictable or PG_mlocked is).
 * @page: an order-0 page the caller holds a reference on, not on any LRU.
 *	  Set PG_swapbacked first for anonymous memory.
 *
 * Context: takes and releases the page's lru_lock; never sleeps; no
 * allocation; no reclaim, and callable from reclaim; may be called under
 * a page lock or a spinlock that is not an lru_lock.
 */
void lru_cache_add(struct page *page);

/**
 * mark_page_accessed() - record a use of @page (Linux's aging): an
 * unreferenced page becomes referenced; a referenced page on an inactive
 * list is moved to the active list (PGACTIVATE).
 * @page: a page the caller holds a reference on.
 *
 * Context: may take the page's lru_lock; never sleeps; no allocation; no
 * reclaim, callable from reclaim.
 */
void mark_page_accessed(struct page *page);

/**
 * isolate_lru_page() - take @page off its LRU list for the caller
 * (migration, compaction, mlock).
 * @page: a page the caller holds a reference on.
 *
 * On success the page carries an extra reference owned by the caller,
 * PG_lru is clear, and NR_ISOLATED_{ANON,FILE} counts it; give it back
 * with putback_lru_page().
 * Context: takes and releases the page's lru_lock; never sleeps; no
 * allocation; no reclaim, callable from reclaim and compaction.
 * Return: 0, or -EBUSY if the page is not on an LRU (already isolated,
 * being freed, or never added).
 */
int __must_check isolate_lru_page(struct page *page);

/**
 * putback_lru_page() - return a page taken with isolate_lru_page() to the
 * list its flags name, and drop the isolation reference (which may free
 * it: rule 1).
 *
 * Context: takes and releases the page's lru_lock; never sleeps; no
 * allocation; no reclaim, callable from reclaim; must not hold an
 * lru_lock (rule 3).
 */
void putback_lru_page(struct page *page);

/**
 * rotate_reclaimable_page() - writeback of a page marked PG_reclaim by
 * reclaim has ended: move it to the tail of its inactive list so the next
 * scan frees it soon (PGROTATED), and clear PG_reclaim.
 *
 * Called by the page cache when it ends writeback. Context: takes the
 * page's lru_lock and the reclaim throttle queue's lock; never sleeps; no
 * allocation; no reclaim (runs on the I/O path).
 */
void rotate_reclaimable_page(struct page *page);

/**
 * mod_lruvec_page_state() - add @delta pages to the node gauge @item for
 * @page, and to @page's memory cgroup's copy of it (memcg ops
 * mod_page_state), as Linux's mod_lruvec_page_state(). For the gauges a
 * memcg reports per group: NR_FILE_PAGES, NR_FILE_DIRTY, NR_WRITEBACK,
 * NR_ANON_MAPPED, NR_FILE_MAPPED, NR_PAGETABLE.
 * @page: a page the caller holds (page->memcg is stable while it lives).
 *
 * Context: any, including spinlocks; never sleeps; no allocation; no
 * reclaim, callable from reclaim.
 */
void mod_lruvec_page_state(struct page *page, enum node_stat_item item,
			   long delta);

/**
 * lru_page_count() - pages on every LRU of every lruvec, by list
 * (summed over zones) into @nr (NR_LRU_LISTS entries).
 *
 * Context: any; lockless (atomic reads); never sleeps; no allocation; no
 * reclaim.
 */
void lru_page_count(unsigned long nr[NR_LRU_LISTS]);

/* ------------------------------------------------------------------ */
/* Ops of the layers above (rule 6)                                       */
/* ------------------------------------------------------------------ */

/*
 * File pages, registered by the page cache (writeback.h). Each member is
 * called with @page locked (PG_locked held by the calling reclaimer), a
 * reference held by the reclaimer, the page isolated from its LRU, and
 * inside the reclaimer's reclaim context (rule 7).
 */
struct reclaim_file_ops {
	/*
	 * Write back a dirty page: clear its dirty bit, write it, and return
	 * with the page *unlocked* (under writeback, or already written).
	 * @gfp is the reclaim context's mask; the call is made only if it
	 * has __GFP_IO and __GFP_FS. Returns 0 if I/O was done or started,
	 * -EAGAIN if the page was left dirty (still unlocked), or a negative
	 * errno recorded on the mapping (the page is then clean, as Linux
	 * marks a page after a failed write).
	 */
	int (*writepage)(struct page *page, gfp_t gfp);
	/*
	 * Detach a clean, unmapped page that is not under writeback from its
	 * mapping, if nobody but the mapping and the reclaimer holds a
	 * reference. On success page->mapping is NULL, the mapping's
	 * reference is gone (the reclaimer's one is left), and true is
	 * returned. Never sleeps.
	 */
	bool (*remove_mapping)(struct page *page);
	/*
	 * Ask the flusher to write back about @nr_pages dirty pages (reclaim
	 * found dirty pages at the tail of an inactive list). No page lock
	 * is held for this one. Never sleeps.
	 */
	void (*wakeup_flusher)(unsigned long nr_pages);
};

struct task;

/*
 * Reverse mapping, registered by the vm layer. Called with @page locked
 * and isolated, inside the reclaim context.
 */
struct reclaim_rmap_ops {
	/*
	 * Test and clear the accessed bits of every PTE mapping @page (only
	 * mappings of tasks in @memcg's subtree if @memcg is not NULL).
	 * Sets *@exec if one of them is an executable mapping. Returns the
	 * number of PTEs that had the accessed bit set.
	 */
	int (*page_referenced)(struct page *page, struct mem_cgroup *memcg,
			       bool *exec);
	/*
	 * Remove every PTE mapping @page (transferring PTE dirty bits to the
	 * page). Returns true if the page is no longer mapped. Must not
	 * allocate with direct reclaim.
	 */
	bool (*try_to_unmap)(struct page *page);
};

/* Memory cgroups, registered by the memcg layer. Never sleep. */
struct reclaim_memcg_ops {
	/* The lruvec of @page (its memcg's; the root's if uncharged). */
	struct lruvec *(*page_lruvec)(struct page *page);
	/*
	 * Iterate the lruvecs of @root's subtree (@root NULL: every lruvec,
	 * for global reclaim): the first with @prev NULL, then the one after
	 * @prev; NULL at the end. A returned lruvec stays valid until the
	 * next call (the memcg layer pins it); a walk that stops early calls
	 * lruvec_iter_break with the last one.
	 */
	struct lruvec *(*lruvec_iter)(struct mem_cgroup *root,
				      struct lruvec *prev);
	void (*lruvec_iter_break)(struct mem_cgroup *root,
				  struct lruvec *last);
	/*
	 * Does reclaim on behalf of @memcg's limit wait for writeback, as
	 * cgroup v1's (legacy) controller does? The unified hierarchy's
	 * reclaim never waits; it throttles.
	 */
	bool (*reclaim_waits_writeback)(struct mem_cgroup *memcg);
	/* Add @delta to @page's group's copy of gauge @item (optional). */
	void (*mod_page_state)(struct page *page, enum node_stat_item item,
			       long delta);
	/*
	 * OOM killer (optional): is @task in @memcg's subtree? Called under
	 * tasklist_lock (a spinlock).
	 */
	bool (*task_in_memcg)(struct task *task, struct mem_cgroup *memcg);
	/* OOM killer (optional): @victim was killed; count it in its group. */
	void (*oom_kill_event)(struct task *victim);
};

/*
 * OOM victims' address spaces, registered by the vm layer (the OOM killer
 * knows tasks; vm knows what they map). Optional: without it no task is
 * eligible and the killer never kills.
 */
enum oom_task_state {
	OOM_TASK_INELIGIBLE,	/* no address space (kernel-style thread) */
	OOM_TASK_ELIGIBLE,	/* *nr_pages set */
	OOM_TASK_REAPED,	/* its memory was already reaped: skip it */
};

struct reclaim_oom_ops {
	/*
	 * The badness input of @task: pages its address space holds
	 * (resident pages + page-table pages). Called under tasklist_lock:
	 * never sleeps.
	 */
	enum oom_task_state (*task_pages)(struct task *task,
					  unsigned long *nr_pages);
	/*
	 * @task was chosen: pin its address space for the reaper and return
	 * the pin (NULL if it has none any more). Never sleeps.
	 */
	void *(*victim_pin)(struct task *task);
	/*
	 * Does @task use the address space @pin holds? (Tasks sharing the
	 * victim's are killed with it.) Under tasklist_lock: never sleeps.
	 */
	bool (*task_uses)(struct task *task, void *pin);
	/*
	 * OOM reaper: free what can be freed of the pinned address space
	 * (private memory), without waiting for the victim. May sleep; must
	 * not allocate with direct reclaim. Returns false if it could not
	 * start (its lock is busy): the reaper retries a few times.
	 */
	bool (*reap)(void *pin);
	/* Done with @pin (reaped or given up): mark it reaped and drop it. */
	void (*victim_unpin)(void *pin);
};

struct reclaim_ops {
	const struct reclaim_file_ops *file;
	const struct reclaim_rmap_ops *rmap;
	const struct reclaim_memcg_ops *memcg;
	const struct reclaim_oom_ops *oom;
};

/**
 * reclaim_set_ops() - register the non-NULL groups of @ops (each layer
 * sets its own group; NULL groups are left as they are).
 * reclaim_clear_ops() - unregister the groups of @ops that are still the
 * registered ones.
 *
 * Context: layer start-up and exit, at a quiescent point (rule 6); no
 * locks; never sleeps; no allocation; no reclaim may be in progress. The
 * tables must stay valid while registered.
 */
void reclaim_set_ops(const struct reclaim_ops *ops);
void reclaim_clear_ops(const struct reclaim_ops *ops);

/* ------------------------------------------------------------------ */
/* Reclaim entry points                                                  */
/* ------------------------------------------------------------------ */

/**
 * reclaim_init() - set up the node lruvec and register reclaim with the
 * allocator: try_to_free_pages and wakeup_kswapd (alloc_set_hooks), and
 * the free hook that takes freed pages off their LRU. kswapd is started
 * separately with kswapd_run().
 *
 * Context: after alloc_init() and slab_init(), before any page goes on an
 * LRU; single-threaded start-up; takes the allocator's hook-table leaf
 * lock; never sleeps; no allocation; no reclaim.
 * Return: 0, -EBUSY if already initialised or the allocator has no free
 * hook slot left.
 */
int __must_check reclaim_init(void);

/**
 * reclaim_exit() - stop kswapd if running and unregister from the
 * allocator. Every LRU must be empty (pages still listed are reported).
 * Context: quiescent; takes kswapd's mutex and the allocator's hook-table
 * leaf lock; may sleep (waits for kswapd to exit); no allocation; no
 * reclaim may be in progress, and it must not be called from reclaim.
 */
void reclaim_exit(void);

/**
 * try_to_free_pages() - direct reclaim for an allocation of @order with
 * @gfp: scan the inactive file lists (and age the active ones) at
 * decreasing priority until SWAP_CLUSTER_MAX pages are freed, and shrink
 * the slab caches. Dirty file pages are not written here (only kswapd
 * writes, as in Linux); the flusher is woken instead, and pages under
 * writeback are skipped (marked PG_reclaim).
 *
 * This is the allocator's hook; it may also be called directly.
 * Context: caller holds no page lock and no lock reclaim takes; takes
 * lru_locks, trylocks page locks, takes shrinker_rwsem for reading (a
 * trylock); may sleep (throttling, shrinkers); no allocation with direct
 * reclaim; it is reclaim: the caller runs inside fs_reclaim_acquire(@gfp)
 * with PF_MEMALLOC set (the allocator's slow path does that), and it
 * calls shrinkers and the file ops.
 * Return: pages reclaimed.
 */
unsigned long try_to_free_pages(gfp_t gfp, unsigned int order);

/* reclaim_options of try_to_free_mem_cgroup_pages() */
#define MEMCG_RECLAIM_MAY_SWAP 0x1	/* accepted; no swap in ballast */

/**
 * try_to_free_mem_cgroup_pages() - limit reclaim of @memcg's subtree
 * (called by the memcg layer when a charge would exceed a limit).
 * @memcg: the group over its limit (not NULL).
 * @nr_pages: pages wanted (at least SWAP_CLUSTER_MAX are targeted).
 * @gfp: the mask of the charge; decides whether writeback can be waited
 *	 on and whether shrinkers may enter the filesystem.
 * @reclaim_options: MEMCG_RECLAIM_*.
 *
 * Scans only the lruvecs the memcg ops return for @memcg. If
 * reclaim_waits_writeback(@memcg) (legacy controller), a page found
 * under writeback that reclaim already marked PG_reclaim is waited on
 * (with the page unlocked, as Linux's case 3): this is the wait bug 5
 * turns into a deadlock when a page lock is held across the charge.
 * Context: caller holds no page lock and no lock reclaim takes; takes
 * the locks try_to_free_pages() does; may sleep (writeback waits of a
 * legacy group, throttling, shrinkers); no allocation with direct
 * reclaim; it is memcg reclaim: enters fs_reclaim_acquire(@gfp) and sets
 * PF_MEMALLOC itself, so it must not be called from reclaim.
 * Return: pages reclaimed.
 */
unsigned long try_to_free_mem_cgroup_pages(struct mem_cgroup *memcg,
					   unsigned long nr_pages, gfp_t gfp,
					   unsigned int reclaim_options);

/**
 * reclaim_clean_pagecache() - free up to @nr_pages clean, unmapped file
 * pages at once (drop_caches for a bounded amount; used by benchmarks and
 * the balloon). Dirty and writeback pages are skipped.
 *
 * Context: caller holds no lock; takes the locks try_to_free_pages()
 * does; may sleep; no allocation; it is reclaim: enters
 * fs_reclaim_acquire(GFP_KERNEL) with PF_MEMALLOC, so it must not be
 * called from reclaim.
 * Return: pages freed.
 */
unsigned long reclaim_clean_pagecache(unsigned long nr_pages);

/* ------------------------------------------------------------------ */
/* kswapd                                                                */
/* ------------------------------------------------------------------ */

/**
 * kswapd_run() - start the node's kswapd task ("kswapd0", PF_KSWAPD |
 * PF_KTHREAD; PF_MEMALLOC while it reclaims). It sleeps until woken below
 * a zone's low watermark and then reclaims until the zones are above
 * their high watermark, inside fs_reclaim_acquire(GFP_KERNEL).
 *
 * Context: caller holds no lock; takes kswapd's mutex; may sleep;
 * allocates the task from the C heap (task_create()), never from
 * ballast, so no reclaim; must not be called from reclaim.
 * Return: 0, -EBUSY if running, or the task_create() error.
 */
int __must_check kswapd_run(void);

/**
 * kswapd_stop() - stop kswapd and wait for it. No effect if not running.
 * Context: caller holds no lock kswapd may need; takes kswapd's mutex;
 * may sleep (waits for kswapd to finish its pass and exit); no
 * allocation; no reclaim, and must not be called from reclaim (kswapd
 * itself included).
 */
void kswapd_stop(void);

/**
 * wakeup_kswapd() - an allocation of @order in zones up to
 * @highest_zoneidx found @zone below its low watermark: wake kswapd
 * unless the node is balanced (or kswapd has failed repeatedly and no
 * direct reclaim has made progress since). The allocator's hook.
 *
 * Context: any, including spinlocks held and GFP_ATOMIC callers; never
 * sleeps; no allocation; no reclaim (it only wakes kswapd), callable from
 * reclaim.
 */
void wakeup_kswapd(struct zone *zone, gfp_t gfp, unsigned int order,
		   enum zone_type highest_zoneidx);

/**
 * kswapd_sync() - wake kswapd and wait until it has finished one full
 * balance pass that started after this call (tests and benchmarks: a
 * deterministic "kswapd has run").
 * @timeout_ms: failure detector; 0 waits forever.
 *
 * Context: caller holds no lock; takes kswapd's mutex; may sleep; no
 * allocation; no reclaim itself (kswapd reclaims), and must not be called
 * from reclaim.
 * Return: 0, -ENOENT if kswapd is not running, -ETIMEDOUT.
 */
int __must_check kswapd_sync(unsigned long timeout_ms);

/* ------------------------------------------------------------------ */
/* Shrinkers                                                             */
/* ------------------------------------------------------------------ */

/*
 * struct shrink_control - what a shrinker is asked to do. gfp_mask is the
 * reclaim context's mask: a shrinker whose work needs the filesystem must
 * return SHRINK_STOP from scan_objects when __GFP_FS is clear (and
 * likewise __GFP_IO for I/O).
 */
struct shrink_control {
	gfp_t gfp_mask;
	unsigned long nr_to_scan;	/* objects to scan in this call */
	unsigned long nr_scanned;	/* set by scan_objects if not all */
	struct mem_cgroup *memcg;	/* NULL: global reclaim */
};

#define SHRINK_STOP (~0UL)		/* scan_objects: can do nothing now */
#define SHRINK_EMPTY (~0UL - 1)		/* count_objects: no objects at all */
#define DEFAULT_SEEKS 2			/* cost of recreating an object */

/*
 * struct shrinker - a cache whose objects can be freed under pressure.
 * count_objects, scan_objects, seeks, batch, flags, name: set by the owner
 * before register_shrinker(), then immutable. list: shrinker_rwsem.
 * nr_deferred: atomic; work postponed by SHRINK_STOP or small batches.
 * nr_scans: atomic; calls of scan_objects (statistics and tests).
 */
struct shrinker {
	/* Objects that could be freed now; 0 or SHRINK_EMPTY if none. */
	unsigned long (*count_objects)(struct shrinker *shrinker,
				       struct shrink_control *sc);
	/* Free up to sc->nr_to_scan objects; return the number freed or
	 * SHRINK_STOP. */
	unsigned long (*scan_objects)(struct shrinker *shrinker,
				      struct shrink_control *sc);
	int seeks;			/* 0 means DEFAULT_SEEKS */
	long batch;			/* 0 means SHRINK_BATCH */
	unsigned int flags;		/* SHRINKER_* */
	const char *name;
	void *private_data;
	struct list_head list;
	_Atomic(long) nr_deferred;
	_Atomic(unsigned long) nr_scans;
};

#define SHRINK_BATCH 128

/*
 * shrinker->flags. SHRINKER_MEMCG_AWARE: scan_objects frees only objects
 * charged to sc->memcg's subtree when it is not NULL. Memcg limit reclaim
 * calls only such shrinkers, as Linux does: the others would free other
 * groups' objects (and the page cache they pin) for this group's limit.
 */
#define SHRINKER_MEMCG_AWARE 0x1

/**
 * register_shrinker() - make @shrinker known to reclaim.
 * @name: printed in reports (stored as is; static storage).
 *
 * Context: takes shrinker_rwsem for writing; may sleep; no allocation; no
 * reclaim, and must not be called from a shrinker.
 * Return: 0, -EINVAL if a callback is missing, -EBUSY if registered.
 */
int __must_check register_shrinker(struct shrinker *shrinker,
				   const char *name);

/**
 * unregister_shrinker() - remove @shrinker; when it returns no call of its
 * callbacks is in progress or will start. Not registered: no effect.
 * Context: caller holds no lock a callback takes; takes shrinker_rwsem for
 * writing (waits for running callbacks); may sleep; no allocation; no
 * reclaim, and must not be called from a shrinker.
 */
void unregister_shrinker(struct shrinker *shrinker);

/**
 * shrink_slab() - call every shrinker for a reclaim at @priority
 * (DEF_PRIORITY: scan 1/2^12 of each cache, ... 0: scan it all).
 * @gfp: the reclaim context's mask, passed to the shrinkers.
 * @memcg: the memcg being reclaimed, NULL for global reclaim. If not
 *	   NULL, only SHRINKER_MEMCG_AWARE shrinkers are called.
 *
 * Context: takes shrinker_rwsem for reading with a trylock (a concurrent
 * register/unregister skips this pass); may sleep in shrinkers; no
 * allocation of its own (shrinkers must not allocate with direct
 * reclaim); it is reclaim: call it in reclaim context (rule 7).
 * Return: objects freed.
 */
unsigned long shrink_slab(gfp_t gfp, struct mem_cgroup *memcg, int priority);

/**
 * drop_slab() - shrink every cache until a pass frees fewer than 10
 * objects (as /proc/sys/vm/drop_caches = 2).
 * Context: caller holds no lock; takes shrinker_rwsem for reading (a
 * trylock); may sleep; no allocation; it is reclaim: enters
 * fs_reclaim_acquire(GFP_KERNEL) with PF_MEMALLOC, so it must not be
 * called from reclaim.
 * Return: objects freed.
 */
unsigned long drop_slab(void);

#define DEF_PRIORITY 12
#define SWAP_CLUSTER_MAX 32UL

/* ------------------------------------------------------------------ */
/* Throttle queues                                                       */
/* ------------------------------------------------------------------ */

/*
 * struct throttle_queue - tasks waiting, with a bounded pause, for
 * progress someone else reports (reclaim waiting for writeback to end,
 * writers throttled by dirty limits). A pause that ends by itself cannot
 * deadlock, so waiting adds no dependency for the validator; the waker
 * wakes every waiter present. lock: protects waiters (a leaf spinlock).
 */
struct throttle_queue {
	spinlock_t lock;
	struct list_head waiters;
	_Atomic(int) nr_waiting;		/* atomic: waiters listed */
	_Atomic(unsigned long) nr_waits;	/* atomic: statistics */
};

/**
 * throttle_queue_init() - an empty queue (one lock class for all).
 * Context: no locks (nobody waits on @q yet); never sleeps; no
 * allocation; no reclaim.
 */
void throttle_queue_init(struct throttle_queue *q);

/**
 * throttle_wait() - sleep until throttle_wake_all() or @timeout_ms.
 *
 * Context: caller holds no spinlock; takes @q's leaf lock; may sleep; no
 * allocation (the waiter lives on the stack); no reclaim, and callable
 * from reclaim (reclaim throttles on such a queue).
 * Return: true if woken, false on timeout.
 */
bool throttle_wait(struct throttle_queue *q, unsigned long timeout_ms);

/**
 * throttle_wake_all() - wake every task waiting on @q.
 * Context: any (takes the leaf lock); never sleeps; no allocation; no
 * reclaim, callable from reclaim and the I/O path.
 * Return: number of waiters woken.
 */
unsigned long throttle_wake_all(struct throttle_queue *q);

/**
 * throttle_queue_active() - are there waiters? A hint.
 * Context: any; lockless (atomic read); never sleeps; no allocation; no
 * reclaim.
 * Return: true if a task was waiting on @q at the time of the read.
 */
static inline bool throttle_queue_active(struct throttle_queue *q)
{
	return atomic_load_explicit(&q->nr_waiting, memory_order_acquire) > 0;
}

/* ------------------------------------------------------------------ */
/* Checks and statistics                                                 */
/* ------------------------------------------------------------------ */

/* reclaim_check() flags */
#define RECLAIM_CHECK_QUIESCENT 0x1	/* nobody isolates or frees meanwhile */

/**
 * reclaim_check() - verify the LRU invariants: every listed page has
 * PG_lru, its flags match its list (active, anon/file, unevictable), it
 * is on the lruvec page_lruvec() names, it is order-0 and not free; the
 * per-list counters equal the list lengths; the lruvec counters add up
 * to the node and zone gauges. With RECLAIM_CHECK_QUIESCENT also: every
 * page of RAM with PG_lru is on exactly one list, NR_ISOLATED_* are 0,
 * and no page on a list has refcount 0. Violations are printed.
 *
 * Context: takes each lruvec's lru_lock in turn; never sleeps; allocates
 * a bitmap from the C heap (never from ballast); no reclaim.
 * Return: the number of violations (0: consistent).
 */
unsigned long __must_check reclaim_check(unsigned int flags);

/* Counters of reclaim that /proc/vmstat does not have (since
 * reclaim_init()). Atomic. */
struct reclaim_stats {
	unsigned long kswapd_runs;		/* balance passes */
	unsigned long kswapd_wakeups;		/* wakes that woke it */
	unsigned long writeback_skipped;	/* writeback pages skipped */
	unsigned long writeback_waited;		/* legacy memcg waits */
	unsigned long dirty_written;		/* writepage calls by reclaim */
	unsigned long dirty_kept;		/* dirty pages left to the flusher */
	unsigned long flusher_wakeups;		/* wakeup_flusher calls */
	unsigned long throttled;		/* reclaim throttle pauses */
};

/**
 * reclaim_get_stats() - snapshot of the counters.
 * Context: any; lockless atomic reads; never sleeps; no allocation; no
 * reclaim.
 */
void reclaim_get_stats(struct reclaim_stats *stats);

/* ------------------------------------------------------------------ */
/* The OOM killer                                                        */
/* ------------------------------------------------------------------ */

/**
 * oom_killer_init() - register the OOM killer with the allocator
 * (alloc_hooks.oom_kill) and start the OOM reaper task ("oom_reaper").
 *
 * The killer picks the eligible task with the highest badness: pages of
 * its address space (reclaim_oom_ops task_pages) plus oom_score_adj
 * thousandths of the memory at stake; tasks with OOM_SCORE_ADJ_MIN,
 * kernel-style threads and tasks already reaped are never chosen; for a
 * memcg OOM only tasks of that group's subtree are. While a chosen victim
 * has not been reaped, no second victim is chosen (the caller waits). The
 * victim is killed (task_kill(), PF_OOM_VICTIM) with every task sharing
 * its address space, counted (OOM_KILL, and its memcg's oom_kill), and its
 * private memory is freed by the reaper without waiting for it to exit.
 *
 * Context: after reclaim_init(); start-up; takes the killer's mutex and
 * the allocator's hook-table leaf lock; may sleep (task creation);
 * allocates the reaper task from the C heap (task_create()), never from
 * ballast; no reclaim.
 * Return: 0, -EBUSY if already running, or the task_create() error.
 */
int __must_check oom_killer_init(void);

/**
 * oom_killer_exit() - unregister the killer, stop the reaper (victims
 * still queued are released unreaped).
 * Context: quiescent (no allocation in OOM); takes the killer's mutex,
 * the allocator's hook-table leaf lock and the reaper's leaf lock; may
 * sleep (waits for the reaper to exit); no allocation; no reclaim, and
 * must not be called from reclaim or an OOM notifier.
 */
void oom_killer_exit(void);

/**
 * oom_kill_victim() - what alloc_hooks.oom_kill calls: select and kill a
 * victim for @oc (global if oc->memcg is NULL, else inside that memcg).
 * The memcg layer calls it through out_of_memory().
 * @oc: the OOM's description; oc->chosen and oc->chosen_points are set.
 *
 * Context: caller holds oom_lock; takes tasklist_lock and the reaper's
 * leaf lock; never sleeps; no allocation.
 * Return: true if progress is under way (a victim was killed, or an
 * earlier victim is still being reaped: wait and retry); false if no
 * task is eligible.
 */
bool oom_kill_victim(struct oom_control *oc);

/**
 * oom_reaper_sync() - wait until the reaper has finished with every
 * victim queued before this call (tests).
 * @timeout_ms: failure detector; 0 waits forever.
 *
 * Context: caller holds no lock; takes the killer's mutex; may sleep; no
 * allocation; no reclaim, and must not be called from reclaim or an OOM
 * notifier (the reaper may need what they hold).
 * Return: 0, -ENOENT if the reaper is not running, -ETIMEDOUT.
 */
int __must_check oom_reaper_sync(unsigned long timeout_ms);

struct oom_stats {
	unsigned long kills;		/* victims killed */
	unsigned long memcg_kills;	/* of which inside a memcg */
	unsigned long waits;		/* OOMs that waited for a victim */
	unsigned long no_victim;	/* OOMs with nobody eligible */
	unsigned long reaped;		/* victims the reaper finished */
	unsigned long reap_retries;	/* reaps put off (lock busy) */
};

/**
 * oom_get_stats() - snapshot of the counters (atomic reads, since
 * oom_killer_init()).
 * Context: no locks; never sleeps; no allocation; no reclaim.
 */
void oom_get_stats(struct oom_stats *stats);

#if BALLAST_TESTING
/**
 * reclaim_set_writeback_wait_hook() - test builds: @fn is called by
 * shrink_page_list just before a legacy-memcg reclaimer sleeps in
 * wait_on_page_writeback() on @page (page unlocked), so a test can end
 * the writeback knowing the reclaimer waits. NULL removes it.
 * Context: no locks (an atomic store); never sleeps; no allocation; no
 * reclaim. @fn runs in reclaim context, holding no page lock: it must
 * not sleep or allocate.
 */
void reclaim_set_writeback_wait_hook(void (*fn)(struct page *page));
#endif

#endif /* BALLAST_RECLAIM_H */
