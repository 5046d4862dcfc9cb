// SPDX-License-Identifier: MIT
/*
 * alloc.h - the buddy page allocator (layer 3): zones, migrate types,
 * watermarks, per-CPU lists, the slow path (kswapd, direct reclaim, direct
 * compaction, OOM) and the OOM notifier chain.
 *
 * Rules for users:
 *  1. Every allocation goes through alloc_pages() or a function built on
 *     it; the mask is applied to the current task's scopes at entry
 *     (current_gfp_context()), so nested allocations see NOIO/NOFS scopes.
 *  2. An allocation whose effective mask allows direct reclaim may sleep
 *     and may run reclaim, shrinkers and OOM notifiers: never hold a
 *     spinlock across it, nor any lock that those paths take. The
 *     validator models this with the reclaim pseudo-locks (see
 *     fs_reclaim_acquire()).
 *  3. Free a page with the order it was allocated with; a compound page
 *     (__GFP_COMP) may also be freed by put_page() on any of its pages.
 *  4. Reclaim, compaction and OOM victim selection live in higher layers
 *     and plug into the slow path through the hooks below (upward calls by
 *     registration; reclaim.h, migrate.h document their side). The OOM
 *     notifier chain is called with oom_lock held, inside the lowest
 *     reclaim context ("reclaim"), since any allocation that may enter
 *     direct reclaim can reach it.
 *  5. A page handed out by the allocator has refcount 1, type PGTY_NONE,
 *     no flags but those the caller set, and (with __GFP_ZERO) zeroed
 *     contents.
 */
#ifndef BALLAST_ALLOC_H
#define BALLAST_ALLOC_H

#include <ballast/gfp.h>
#include <ballast/lockdep.h>
#include <ballast/page.h>
#include <ballast/vmstat.h>

enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES,	/* the types with per-CPU lists */
	MIGRATE_TYPES = MIGRATE_PCPTYPES
};

enum zone_type {
	ZONE_DMA,		/* small low zone: __GFP_DMA allocations */
	ZONE_NORMAL,
	MAX_NR_ZONES
};

enum zone_watermarks {
	WMARK_MIN,
	WMARK_LOW,
	WMARK_HIGH,
	NR_WMARK
};

/* Orders above this are "costly": no OOM kill, compaction first. */
#define PAGE_ALLOC_COSTLY_ORDER 3

/* free_list: zone lock. nr_free: atomic, written under the zone lock. */
struct free_area {
	struct list_head free_list[MIGRATE_TYPES];
	_Atomic(unsigned long) nr_free;	/* blocks of this order */
};

/*
 * struct per_cpu_pages - order-0 pages cached for one CPU. All fields are
 * protected by lock; count and high are also read locklessly (atomic).
 */
struct per_cpu_pages {
	spinlock_t lock;
	_Atomic(int) count;		/* pages on the lists */
	int high;			/* drain above this */
	int batch;			/* refill and drain in this many */
	struct list_head lists[MIGRATE_PCPTYPES];
} __cacheline_aligned;

/*
 * struct zone - a contiguous PFN range with its own free lists.
 *
 * name, idx, zone_start_pfn, spanned_pages, pcp, nr_pcp: immutable after
 * alloc_init(). managed_pages, watermarks, lowmem_reserve: atomic
 * (recomputed when managed memory changes). free_area, pageblock_flags
 * (writes): lock. vm_stat: atomic.
 */
struct zone {
	const char *name;
	enum zone_type idx;
	unsigned long zone_start_pfn;
	unsigned long spanned_pages;
	_Atomic(long) managed_pages;
	_Atomic(unsigned long) _watermark[NR_WMARK];
	_Atomic(long) lowmem_reserve[MAX_NR_ZONES];
	struct per_cpu_pages *pcp;
	int nr_pcp;
	/* per pageblock: bits 0-1 migrate type, bit 2 compaction skip hint */
	_Atomic(uint8_t) *pageblock_flags;
	spinlock_t lock;
	struct free_area free_area[NR_PAGE_ORDERS];
	_Atomic(long) vm_stat[NR_VM_ZONE_STAT_ITEMS];
};

/* The single memory node. */
struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	unsigned long node_start_pfn;
	unsigned long node_spanned_pages;
	_Atomic(long) vm_stat[NR_VM_NODE_STAT_ITEMS];
};

extern struct pglist_data contig_page_data;
#define NODE_DATA(nid) (&contig_page_data)

#define for_each_zone(zone)                                           \
	for (zone = contig_page_data.node_zones;                      \
	     zone < contig_page_data.node_zones + MAX_NR_ZONES; zone++)

/*
 * page_zone(), zone_end_pfn(), zone_managed_pages(), wmark_pages(): zone
 * geometry (immutable after alloc_init()) and lockless reads of atomic
 * counters. Context: any; no locks; never sleep; no allocation; no
 * reclaim.
 */
static inline struct zone *page_zone(const struct page *page)
{
	struct zone *normal = &contig_page_data.node_zones[ZONE_NORMAL];

	return page_to_pfn(page) >= normal->zone_start_pfn
		       ? normal
		       : &contig_page_data.node_zones[ZONE_DMA];
}

static inline unsigned long zone_end_pfn(const struct zone *zone)
{
	return zone->zone_start_pfn + zone->spanned_pages;
}

static inline unsigned long zone_managed_pages(const struct zone *zone)
{
	return (unsigned long)atomic_load_explicit(
		&((struct zone *)zone)->managed_pages, memory_order_relaxed);
}

static inline unsigned long wmark_pages(const struct zone *zone,
					enum zone_watermarks w)
{
	return atomic_load_explicit(&((struct zone *)zone)->_watermark[w],
				    memory_order_relaxed);
}
#define min_wmark_pages(z) wmark_pages(z, WMARK_MIN)
#define low_wmark_pages(z) wmark_pages(z, WMARK_LOW)
#define high_wmark_pages(z) wmark_pages(z, WMARK_HIGH)

/* ------------------------------------------------------------------ */
/* Set-up                                                                */
/* ------------------------------------------------------------------ */

/**
 * alloc_init() - build the zones over guest RAM and free every page into
 * them; registers the page release hook.
 *
 * Context: after page_ram_init(), before any allocation, single-threaded;
 * takes the zone locks to free the pages; never sleeps; allocates zone
 * metadata from the C heap; no reclaim.
 * Return: 0; -EINVAL if guest RAM does not exist; -ENOMEM.
 */
int __must_check alloc_init(void);

/**
 * alloc_exit() - forget the zones. Every page must have been freed; pages
 * still allocated are reported. Context: as alloc_init().
 */
void alloc_exit(void);

/* ------------------------------------------------------------------ */
/* Allocation                                                            */
/* ------------------------------------------------------------------ */

/**
 * alloc_pages() - allocate 2^@order contiguous page frames.
 * @gfp: allocation mask (gfp.h); the current task's scopes are applied.
 *	  Bits outside GFP_VALID_MASK are misuse: reported in debug builds,
 *	  otherwise ignored.
 * @order: 0..MAX_PAGE_ORDER; anything else is misuse and fails.
 *
 * The slow path wakes kswapd, retries at the min watermark, then (if @gfp
 * allows direct reclaim) compacts, reclaims, calls the OOM notifiers and
 * the OOM killer, retrying as __GFP_NORETRY / __GFP_RETRY_MAYFAIL /
 * __GFP_NOFAIL say.
 *
 * With __GFP_ACCOUNT the block is charged to the current task's memory
 * cgroup (the memcg_charge hook) before it is returned; a charge that
 * cannot be made fails the allocation.
 *
 * Deviation from Linux: Linux does not let a small allocation (order up
 * to PAGE_ALLOC_COSTLY_ORDER) that may reclaim fail; it loops, and for a
 * mask without __GFP_FS it loops without killing. ballast fails it once
 * the OOM step makes no progress: no OOM notifier freed pages and no
 * victim was chosen (no killer registered, or no __GFP_FS in @gfp, so a
 * GFP_NOFS or GFP_NOIO allocation). Every caller but a __GFP_NOFAIL one
 * must handle NULL. __GFP_NOFAIL without __GFP_DIRECT_RECLAIM is misuse:
 * warned about and failed, as in Linux.
 *
 * Context: caller holds no spinlock if @gfp allows direct reclaim; may
 * sleep then; allocates with @gfp only; may enter reclaim, compaction and
 * OOM, global or inside the memcg (rule 2). With
 * GFP_ATOMIC / GFP_NOWAIT it never sleeps and may be called under
 * spinlocks. Must not be called from an OOM notifier with a mask that
 * allows direct reclaim.
 * Return: the first page (refcount 1), or NULL if no memory could be found
 * under @gfp.
 */
struct page *alloc_pages(gfp_t gfp, unsigned int order);
#define alloc_page(gfp) alloc_pages((gfp), 0)

/**
 * alloc_pages_ip() - alloc_pages() for an allocating API built on it
 * (slab): the validator's reports name @ip, the API's caller, as the API's
 * own might_alloc_ip() does, so one call site is reported once, not once
 * more at the API's internal call.
 *
 * Context: as alloc_pages().
 * Return: as alloc_pages().
 */
struct page *alloc_pages_ip(gfp_t gfp, unsigned int order, unsigned long ip);

/**
 * __free_pages() - drop a reference on a block from alloc_pages(); the last
 * reference frees it. A wrong order, a double free or freeing a free page
 * is reported and the page left alone.
 *
 * Context: may take the zone and per-CPU locks; never sleeps; no
 * allocation; no reclaim, callable from reclaim and OOM notifiers.
 */
void __free_pages(struct page *page, unsigned int order);
#define __free_page(page) __free_pages((page), 0)

/**
 * __get_free_pages() / get_zeroed_page() - as alloc_pages(), returning the
 * address in guest RAM (NULL: no memory). free_pages() frees by address.
 *
 * Context: __get_free_pages() and get_zeroed_page() as alloc_pages() with
 * @gfp (get_zeroed_page() adds __GFP_ZERO, order 0); free_pages() as
 * __free_pages() (NULL is ignored).
 * Return: the block's address in guest RAM, or NULL if no memory could be
 * found under @gfp.
 */
void *__get_free_pages(gfp_t gfp, unsigned int order);
void *get_zeroed_page(gfp_t gfp);
void free_pages(void *addr, unsigned int order);

/**
 * might_alloc() - tell the validator the caller may allocate with @gfp:
 * checks sleeping context, reclaim recursion and allocation scopes, as an
 * allocation would, without allocating. Every allocating API calls it on
 * entry; reports name the API's caller (the _RET_IP_ of the function
 * using might_alloc()), so each call site of the API is a site of its own.
 * might_alloc_ip() names @ip instead.
 *
 * Context: as alloc_pages() with @gfp.
 */
#if BALLAST_LOCKDEP
void might_alloc_ip(gfp_t gfp, unsigned long ip);
#define might_alloc(gfp) might_alloc_ip((gfp), _RET_IP_)
#else
static inline void might_alloc_ip(gfp_t gfp, unsigned long ip) {}
static inline void might_alloc(gfp_t gfp) {}
#endif

/**
 * alloc_scope_push() / alloc_scope_pop() - an allocating API that will
 * make nested allocations was called with @gfp: nested allocations laxer
 * than @gfp (after scopes) are reported by the validator, naming @what,
 * the API's call site @ip and the nested site. Compiled out of release
 * builds.
 * @what: the API's name (static string).
 * @ip: where the API was called with @gfp: the API passes its _RET_IP_.
 *
 * Context: current task only, pushed and popped in the same function; no
 * locks; never sleep; no allocation (at most 16 scopes nest); no reclaim.
 */
#if BALLAST_LOCKDEP
void alloc_scope_push(gfp_t gfp, const char *what, unsigned long ip);
void alloc_scope_pop(void);
#else
static inline void alloc_scope_push(gfp_t gfp, const char *what,
				    unsigned long ip) {}
static inline void alloc_scope_pop(void) {}
#endif

/**
 * fs_reclaim_acquire() / fs_reclaim_release() - enter / leave the reclaim
 * context of an allocation with @gfp (after scopes). Direct reclaim,
 * shrinkers, OOM notifiers and kswapd run between them.
 *
 * The validator sees three pseudo-locks: "reclaim" (reclaim with no I/O),
 * "reclaim_io" and "reclaim_fs". Reclaim run for a mask holds the one of
 * its level; an allocation at a level acquires and releases every level up
 * to its own (FS reclaim may do anything NOIO reclaim does). Masks without
 * __GFP_DIRECT_RECLAIM, and PF_MEMALLOC tasks, take none.
 *
 * Context: acquires / releases the pseudo-locks above, nothing else;
 * never sleeps; no allocation; is how reclaim is entered, not reclaim.
 */
void fs_reclaim_acquire(gfp_t gfp);
void fs_reclaim_release(gfp_t gfp);

/**
 * io_path_enter() / io_path_exit() - the current task runs code that
 * reclaim with __GFP_IO may wait for (writeback, a block device's I/O
 * path). Locks taken inside become dependencies of "reclaim_io", so a lock
 * also held across an I/O-capable allocation is reported (bug 4).
 * Context: no locks; never sleeps; no allocation; no reclaim.
 */
void io_path_enter(void);
void io_path_exit(void);

/* ------------------------------------------------------------------ */
/* Zones, pageblocks and free blocks (for reclaim and compaction)         */
/* ------------------------------------------------------------------ */

/**
 * zone_watermark_ok() - would an allocation of @order leave the zone above
 * @mark pages (plus the reserve for @highest_zoneidx)?
 * Context: any; no locks (lockless reads of counters); never sleeps; no
 * allocation; no reclaim.
 * Return: true if the zone has a free block of @order and would keep more
 * than @mark + lowmem_reserve[@highest_zoneidx] pages free after it.
 */
bool zone_watermark_ok(struct zone *zone, unsigned int order,
		       unsigned long mark, enum zone_type highest_zoneidx);

/**
 * get_pageblock_migratetype() - migrate type of @page's pageblock.
 * Context: any; a lockless atomic read (written under the zone lock, so a
 * hint unless the caller holds it); never sleeps; no allocation; no
 * reclaim.
 * Return: the pageblock's migrate type.
 */
enum migratetype get_pageblock_migratetype(const struct page *page);

/**
 * pageblock_skip_get() / pageblock_skip_set() / pageblock_skip_clear_zone()
 * - compaction's per-pageblock skip hint (atomic; hints only).
 * Context: any; no locks (atomic bit operations); never sleep; no
 * allocation; no reclaim.
 * Return (get): true if the hint is set for @page's pageblock.
 */
bool pageblock_skip_get(const struct page *page);
void pageblock_skip_set(struct page *page);
void pageblock_skip_clear_zone(struct zone *zone);

/**
 * buddy_order_unsafe() - order of a free block read without the zone lock;
 * only a hint (the block may be allocated meanwhile).
 * Context: any; no locks; never sleeps; no allocation; no reclaim.
 * Return: the order recorded in @page (meaningful for a PGTY_BUDDY head).
 */
static inline unsigned int buddy_order_unsafe(const struct page *page)
{
	return atomic_load_explicit(&((struct page *)page)->order,
				    memory_order_relaxed);
}

/**
 * isolate_free_page_locked() - take the free block headed by @page off its
 * free list (compaction's free scanner), split to order-0 pages, each with
 * refcount 0 and type PGTY_NONE, placed on @list.
 *
 * Context: caller holds zone->lock; never sleeps; no allocation; no
 * reclaim.
 * Return: number of pages isolated (2^order), or 0 if @page is not the head
 * of a free block, or taking it would break the min watermark.
 */
unsigned long isolate_free_page_locked(struct zone *zone, struct page *page,
				       struct list_head *list);

/**
 * release_free_page() - give back an order-0 page obtained from
 * isolate_free_page_locked() and not used (refcount 0). Anything else is
 * reported and left alone.
 * Context: takes zone->lock; never sleeps; no allocation; no reclaim.
 */
void release_free_page(struct page *page);

/**
 * prep_new_page() - make a page from isolate_free_page_locked() an
 * allocated page as alloc_pages(@gfp, 0) would hand out (refcount 1).
 * Context: the caller owns @page; no locks; never sleeps; no allocation
 * (@gfp only says whether to zero the page); no reclaim.
 */
void prep_new_page(struct page *page, gfp_t gfp);

/**
 * drain_all_pages() - return every per-CPU cached page of @zone (NULL:
 * all zones) to the buddy lists. Context: takes pcp and zone locks; never
 * sleeps; no allocation; no reclaim, callable from reclaim.
 */
void drain_all_pages(struct zone *zone);

/**
 * adjust_managed_page_count() - @page stops (count < 0) or starts again
 * (count > 0) counting as managed memory of its zone (a balloon's choice);
 * watermarks are recomputed. Context: takes wmark_lock (a leaf spinlock)
 * to recompute them; never sleeps; no allocation; no reclaim.
 */
void adjust_managed_page_count(struct page *page, long count);

/**
 * totalram_pages() - managed pages of all zones.
 * Context: any; lockless atomic reads; never sleeps; no allocation; no
 * reclaim.
 * Return: pages.
 */
unsigned long totalram_pages(void);

/**
 * nr_free_pages() - free pages in the buddy lists of all zones (the
 * NR_FREE_PAGES gauge; per-CPU cached pages are not counted).
 * Context: any; lockless atomic reads; never sleeps; no allocation; no
 * reclaim.
 * Return: pages.
 */
unsigned long nr_free_pages(void);

/* ------------------------------------------------------------------ */
/* Hooks of higher layers (upward calls by registration, rule 4)          */
/* ------------------------------------------------------------------ */

enum compact_priority {
	COMPACT_PRIO_SYNC_FULL,
	COMPACT_PRIO_SYNC_LIGHT,
	COMPACT_PRIO_ASYNC,
};

enum compact_result {
	COMPACT_NOT_SUITABLE_ZONE,
	COMPACT_SKIPPED,
	COMPACT_DEFERRED,
	COMPACT_NO_SUITABLE_PAGE,
	COMPACT_CONTINUE,
	COMPACT_COMPLETE,
	COMPACT_PARTIAL_SKIPPED,
	COMPACT_CONTENDED,
	COMPACT_SUCCESS,
};

struct task;
struct mem_cgroup;

/* What an OOM decision is about (global OOM from the allocator, or memcg). */
struct oom_control {
	gfp_t gfp_mask;
	unsigned int order;
	struct mem_cgroup *memcg;	/* NULL: global OOM */
	unsigned long totalpages;
	struct task *chosen;		/* set by the killer */
	long chosen_points;
};

struct alloc_hooks {
	/* wake kswapd for @zone because an allocation of @order is short */
	void (*wakeup_kswapd)(struct zone *zone, gfp_t gfp, unsigned int order,
			      enum zone_type highest_zoneidx);
	/*
	 * direct reclaim: free pages for an allocation with @gfp; called in
	 * the reclaim context of @gfp with PF_MEMALLOC set. Returns pages
	 * reclaimed.
	 */
	unsigned long (*try_to_free_pages)(gfp_t gfp, unsigned int order);
	/* direct compaction at @prio; called like try_to_free_pages */
	enum compact_result (*try_to_compact_pages)(gfp_t gfp,
						    unsigned int order,
						    enum compact_priority prio);
	/* wake kcompactd after an allocation of @order failed */
	void (*wakeup_kcompactd)(unsigned int order);
	/*
	 * select and kill an OOM victim; called with oom_lock held. Returns
	 * true if a victim was chosen (memory will be freed).
	 */
	bool (*oom_kill)(struct oom_control *oc);
	/*
	 * memcg: charge a block of 2^@order pages just taken for an
	 * allocation with __GFP_ACCOUNT in @gfp (the effective mask), before
	 * alloc_pages() returns it, and record the group in page->memcg.
	 * May reclaim, throttle and OOM-kill inside the group as @gfp
	 * allows. Returns 0, or -ENOMEM: the allocator then frees the block
	 * and the allocation fails. The matching uncharge is the memcg
	 * layer's free hook (alloc_register_free_hook()).
	 */
	int (*memcg_charge)(struct page *page, unsigned int order, gfp_t gfp);
};

/**
 * alloc_set_hooks() - register the non-NULL members of @hooks (each layer
 * registers its own; a NULL member leaves the current one). Pass a
 * struct with the layer's members set and call alloc_clear_hooks() with
 * the same struct on exit.
 *
 * Context: initialisation/exit; takes hooks_lock (a leaf spinlock); never
 * sleeps; no allocation; no reclaim.
 */
void alloc_set_hooks(const struct alloc_hooks *hooks);
void alloc_clear_hooks(const struct alloc_hooks *hooks);

/*
 * Page preparation hook: called for every page block about to return to
 * the buddy lists (LRU removal checks, memcg uncharge), before the
 * allocator touches it. At most ALLOC_MAX_FREE_HOOKS registered. A hook
 * runs in the freeing task, before any allocator lock is taken, wherever
 * __free_pages() or the last put_page() is called: it must not sleep or
 * allocate.
 *
 * alloc_register_free_hook() / alloc_unregister_free_hook(): Context:
 * layer start-up and exit; take a leaf spinlock; never sleep; no
 * allocation; no reclaim. Return (register): 0, or -EBUSY if
 * ALLOC_MAX_FREE_HOOKS are registered.
 */
#define ALLOC_MAX_FREE_HOOKS 4
typedef void (*alloc_free_hook_fn)(struct page *page, unsigned int order);
int __must_check alloc_register_free_hook(alloc_free_hook_fn fn);
void alloc_unregister_free_hook(alloc_free_hook_fn fn);

/* ------------------------------------------------------------------ */
/* OOM notifiers                                                         */
/* ------------------------------------------------------------------ */

/*
 * An OOM notifier is called when an allocation that may not fail cheaply
 * has found nothing, before a victim is killed; it frees what it can and
 * adds the number of pages freed to *@freed. If any notifier freed pages,
 * the allocation retries instead of killing.
 */
struct notifier_block {
	int (*notifier_call)(struct notifier_block *nb, unsigned long action,
			     void *data);
	struct notifier_block *next;	/* oom_notify_lock */
	int priority;			/* higher runs first */
};

#define NOTIFY_DONE 0x0000
#define NOTIFY_OK 0x0001

/**
 * register_oom_notifier() / unregister_oom_notifier().
 *
 * Context: takes oom_notify_lock (rwsem) for writing; may sleep; no
 * allocation; no reclaim, and not from an OOM notifier (the chain is
 * read-locked then). A notifier runs with oom_lock held and inside the
 * "reclaim" pseudo-lock: it must not allocate with direct reclaim and must
 * not take a lock that is held across any allocation that may enter
 * direct reclaim.
 * Return: 0, or -ENOENT (unregister of an unknown block).
 */
int register_oom_notifier(struct notifier_block *nb);
int __must_check unregister_oom_notifier(struct notifier_block *nb);

/* oom_lock: serialises OOM handling (notifiers and kill), as in Linux. */
extern struct mutex oom_lock;

/**
 * out_of_memory() - what the allocator does when it runs out: call the
 * notifiers, then (for masks with __GFP_FS) the OOM killer hook.
 *
 * Context: caller holds oom_lock; may sleep; no allocation; runs the OOM
 * notifiers and the killer hook (the OOM step itself).
 * Return: true if progress was made (pages freed or a victim chosen).
 */
bool out_of_memory(struct oom_control *oc);

/* ------------------------------------------------------------------ */
/* Checks                                                                */
/* ------------------------------------------------------------------ */

/* Page census: where every page frame of guest RAM is. */
struct alloc_census {
	unsigned long nr_pages;			/* max_pfn */
	unsigned long nr_free_buddy;		/* in buddy free lists */
	unsigned long nr_free_pcp;		/* on per-CPU lists */
	unsigned long nr_reserved;		/* never given to the allocator */
	unsigned long nr_allocated;		/* handed out, any type */
	unsigned long nr_transit;		/* refcount 0, off every list:
						 * isolated by compaction */
	unsigned long nr_by_type[NR_PAGE_TYPES]; /* allocated, by page type */
	unsigned long nr_errors;		/* broken invariants found */
};

/* alloc_check() flags */
#define ALLOC_CHECK_QUIESCENT 0x1	/* also compare per-type counters */

/**
 * alloc_check() - walk every page frame and verify the allocator's
 * invariants: each free block is well formed and on the list of its
 * pageblock's migrate type, counters match the lists, every page is in
 * exactly one place, and free + per-CPU + allocated = RAM pages. With
 * ALLOC_CHECK_QUIESCENT (nobody allocates or changes page types meanwhile)
 * the per-type page counts are also compared with the vmstat gauges
 * (slab, page tables, balloon). Each violation is printed.
 *
 * Context: takes one zone's per-CPU locks and then its zone lock at a
 * time; never sleeps; allocates a byte per page frame from the C heap
 * (never from ballast) before taking them; no reclaim.
 * Return: 0 if consistent, else the number of violations; @census (may be
 * NULL) receives the counts.
 */
unsigned long alloc_check(struct alloc_census *census, unsigned int flags);

/* ------------------------------------------------------------------ */
/* Test hooks                                                            */
/* ------------------------------------------------------------------ */

/*
 * Coverage forcing and fault injection (test builds; compiled out of
 * release builds). Each knob applies to every Nth allocation whose mask
 * allows what it forces (the OOM pass: a mask that may block and, as in
 * the slow path, has neither __GFP_NORETRY nor __GFP_RETRY_MAYFAIL); 0
 * turns it off. The same knobs are read once at
 * alloc_init() from the environment: BALLAST_FAIL_ALLOC_NTH,
 * BALLAST_FORCE_RECLAIM_NTH, BALLAST_FORCE_OOM_NTH.
 */
struct alloc_fault_config {
	unsigned long fail_nth;		/* fail (mask permitting failure) */
	unsigned long reclaim_nth;	/* enter direct reclaim + shrinkers */
	unsigned long oom_nth;		/* call the OOM notifiers */
};
#if BALLAST_TESTING
/*
 * Context: no locks; never sleeps; no allocation; no reclaim. A NULL @cfg
 * turns every knob off.
 */
void alloc_fault_set(const struct alloc_fault_config *cfg);
#endif

#endif /* BALLAST_ALLOC_H */
