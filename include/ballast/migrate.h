// SPDX-License-Identifier: MIT
/*
 * migrate.h - page migration and compaction (layer 8).
 *
 * Migration moves the contents and the identity of an allocated page to
 * another page frame so that free memory can be made contiguous. Two kinds
 * of pages are movable:
 *  - movable-ops pages: the owner registers callbacks for a page type with
 *    set_movable_ops(); a page is such a page when it has that type *and*
 *    PG_movable_ops. Nothing is inferred from ->mapping (the lesson of
 *    bug 2 in ARCHITECTURE.md).
 *  - LRU pages: isolated with isolate_lru_page() (reclaim.h). Their PTEs
 *    become migration entries while they move (vm.h rule 6); page-cache
 *    pages move through page_cache_migrate() (writeback.h), anonymous
 *    pages are copied by the migration layer. A page someone pins
 *    (vm_access()) is given up (-EAGAIN).
 *
 * Rules for users:
 *  1. A page is migrated only after it was isolated (isolate_movable_page),
 *     which takes a reference and sets PG_isolated; it is then on the
 *     caller's list through page->lru, and nobody else may isolate it.
 *     PG_isolated is the isolator's claim: it is set before the owner's
 *     isolate_page callback takes the page off the owner's list and
 *     cleared after putback_page puts it back. An owner's checker that
 *     finds PG_isolated on a listed page (balloon_check()) is therefore
 *     only meaningful at a quiescent point, with no isolation or putback
 *     in flight.
 *  2. migrate_pages() hands the owner's migrate callback a destination with
 *     one reference (from the caller's allocator). On success the owner has
 *     taken the references it needs on the destination and dropped its own
 *     on the source; migrate_pages() then drops the allocator's reference
 *     on the destination and the isolation reference on the source (which
 *     frees it). Success is 0, the ordinary success code, for every owner.
 *  3. On failure the destination goes back through the caller's free
 *     callback and the source stays isolated on the list: the caller puts
 *     it back with putback_movable_pages().
 *  4. Owner callbacks run with no migration lock held; isolate_page may be
 *     called for a page the owner has just released (it must check, under
 *     its own lock, that the page is still its own, and fail otherwise).
 *     No page lock is involved anywhere in movable-ops migration.
 */
#ifndef BALLAST_MIGRATE_H
#define BALLAST_MIGRATE_H

#include <ballast/alloc.h>

enum migrate_mode {
	MIGRATE_ASYNC,		/* never block */
	MIGRATE_SYNC_LIGHT,	/* may block, but not on writeback */
	MIGRATE_SYNC,		/* may block on anything */
};

enum migrate_reason {
	MR_COMPACTION,
	MR_SYSCALL,		/* requested explicitly (tests, tools) */
	MR_TYPES
};

typedef unsigned int isolate_mode_t;
#define ISOLATE_ASYNC_MIGRATE 0x1u

struct movable_operations {
	/*
	 * Take @page off the owner's structures if it is still the owner's.
	 * Context: no migration locks; must not sleep (compaction's scanner
	 * calls it). Return: true if isolated.
	 */
	bool (*isolate_page)(struct page *page, isolate_mode_t mode);
	/*
	 * Move @src's identity to @dst (rule 2). Context: may sleep in
	 * MIGRATE_SYNC* modes. Return: 0, or -EAGAIN (try again later),
	 * -EBUSY, -ENOMEM.
	 */
	int (*migrate_page)(struct page *dst, struct page *src,
			    enum migrate_mode mode);
	/* Give an isolated page back to the owner. Must not sleep. */
	void (*putback_page)(struct page *page);
};

/**
 * set_movable_ops() - register @ops for pages of @type that carry
 * PG_movable_ops.
 * @ops: the owner's callbacks; must stay valid until clear_movable_ops().
 * @type: the page type the owner gives its pages.
 *
 * Context: owner start-up; takes and releases ops_lock (a leaf spinlock);
 * never sleeps; no allocation; no reclaim.
 * Return: 0; -EBUSY if another owner registered @type; -EINVAL for NULL
 * @ops or a type that cannot be movable (none, buddy, slab, page table).
 */
int __must_check set_movable_ops(const struct movable_operations *ops,
				 enum page_type type);

/**
 * clear_movable_ops() - unregister @ops for @type; nothing happens if
 * another owner's ops are registered for it. The owner must have no page
 * isolated (its callbacks could be called for it).
 *
 * Context: owner exit; takes and releases ops_lock (a leaf spinlock);
 * never sleeps; no allocation; no reclaim.
 */
void clear_movable_ops(const struct movable_operations *ops,
		       enum page_type type);

/**
 * page_movable_ops() - the callbacks of a movable-ops page. A lockless
 * look: the answer may change unless the page is isolated.
 *
 * Context: any; no locks; never sleeps; no allocation; no reclaim.
 * Return: the registered ops, or NULL if @page is not a movable-ops page
 * (wrong type, no PG_movable_ops, or nothing registered for its type).
 */
const struct movable_operations *page_movable_ops(const struct page *page);

/**
 * isolate_movable_page() - isolate a movable-ops page for migration
 * (rule 1). Safe on any page frame: a free page, a page of another kind or
 * a page its owner releases meanwhile is refused.
 * @mode: ISOLATE_ASYNC_MIGRATE for async compaction, passed to the owner.
 *
 * Context: caller holds no lock the owner's isolate_page takes; the owner
 * takes and releases its own lock there (balloon_pages_lock for the
 * balloon); never sleeps; no allocation; no reclaim, callable from
 * compaction, including direct compaction in the allocator's reclaim
 * context.
 * Return: true if isolated (the caller holds a reference and puts the
 * page on its list through ->lru); false if refused.
 */
bool isolate_movable_page(struct page *page, isolate_mode_t mode);

/**
 * isolate_migratable_lru_page() - isolate an LRU page that
 * migrate_pages() can move (anonymous or page cache, mapped or not, not
 * under writeback), for compaction's scanner. Safe on any page frame.
 *
 * Context: caller holds no lru_lock; takes and releases the page's
 * lru_lock; never sleeps; no allocation; no reclaim, callable from
 * compaction.
 * Return: true if isolated (PG_lru clear, one isolation reference held by
 * the caller, who puts the page on its list through ->lru); false if the
 * page is not such a page or someone else isolated it first.
 */
bool isolate_migratable_lru_page(struct page *page);

/**
 * putback_movable_pages() - return every isolated page on @list to its
 * owner (movable-ops pages, through the owner's putback_page) or its LRU
 * list (LRU pages) and drop the isolation references; @list ends empty.
 *
 * Context: caller holds no lru_lock and no owner's lock; takes and
 * releases the owners' locks (balloon_pages_lock for the balloon) and the
 * pages' lru_lock; never sleeps; no allocation (a page whose isolation
 * reference was the last is freed); no reclaim, callable from compaction.
 */
void putback_movable_pages(struct list_head *list);

typedef struct page *(*new_page_fn)(struct page *src, unsigned long private);
typedef void (*free_page_fn)(struct page *dst, unsigned long private);

/**
 * migrate_pages() - migrate the isolated pages on @from.
 * @get_new_page: allocates a destination for a source (NULL: no memory).
 * @put_new_page: takes back an unused destination; NULL frees it.
 * @private: passed to both.
 * @nr_succeeded: receives the number of pages migrated (may be NULL).
 *
 * Migrated pages leave @from; the others stay on it (rule 3). A page that
 * fails with -EAGAIN is retried up to 10 passes. An LRU page whose every
 * other reference went while it was isolated is freed and counts as
 * migrated, without a destination.
 *
 * Context: caller holds no lock; takes each LRU source's page lock
 * (sleeping for it in MIGRATE_SYNC* modes, trylock in MIGRATE_ASYNC) and
 * the new page's, with the rmap, i_pages and lru locks under them; owners'
 * callbacks take their own locks; may sleep in MIGRATE_SYNC* modes and in
 * the owners' migrate_page; allocates only through @get_new_page; does not
 * reclaim itself (@get_new_page may), callable from compaction.
 * Return: the number of pages not migrated (0: all migrated), or -ENOMEM
 * if a destination could not be allocated (the rest stay on @from).
 */
int __must_check migrate_pages(struct list_head *from,
			       new_page_fn get_new_page,
			       free_page_fn put_new_page,
			       unsigned long private, enum migrate_mode mode,
			       enum migrate_reason reason,
			       unsigned int *nr_succeeded);

/**
 * migrate_copy_page() - copy @src's bytes to @dst in guest RAM (for
 * owners whose pages carry data).
 * Context: caller keeps both pages from changing (isolated source, new
 * destination); no locks taken; never sleeps; no allocation; no reclaim.
 */
void migrate_copy_page(struct page *dst, struct page *src);

/* ------------------------------------------------------------------ */
/* Compaction                                                            */
/* ------------------------------------------------------------------ */

/**
 * compaction_init() - register direct compaction and the kcompactd wake-up
 * with the allocator, start kcompactd, and start every zone without
 * deferred compaction.
 *
 * Context: after alloc_init(), before any allocation that may compact; no
 * locks held; may sleep; allocates a task (from the C library); no
 * reclaim.
 * Return: 0 or a negative errno from task_create().
 */
int __must_check compaction_init(void);

/**
 * compaction_exit() - unregister from the allocator and stop kcompactd,
 * waiting for its current round to end. No effect if not started.
 *
 * Context: no locks held, none kcompactd's compaction takes; may sleep;
 * no allocation; no reclaim, not callable from reclaim.
 */
void compaction_exit(void);

/**
 * compact_nodes() - compact every zone completely (as writing to
 * /proc/sys/vm/compact_memory does), in MIGRATE_SYNC mode.
 *
 * Context: no locks held; takes zone, page, lru and owners' locks as
 * migrate_pages() does; may sleep; allocates only by taking free pages
 * from the buddy lists (never below the min watermark); no reclaim, so
 * callable from any task that may sleep.
 */
void compact_nodes(void);

/**
 * compaction_set_proactiveness() - 0..100, as vm.compaction_proactiveness:
 * kcompactd keeps the node's fragmentation score below
 * max(100 - proactiveness, 5) (0 turns proactive compaction off; the
 * default is 20). Values above 100 count as 100.
 * Context: any; no locks (an atomic store); never sleeps; no allocation;
 * no reclaim.
 */
void compaction_set_proactiveness(unsigned int value);

/**
 * extfrag_index() - Linux's fragmentation index of @zone for @order.
 * Context: any; lockless reads of the free counts; never sleeps; no
 * allocation; no reclaim.
 * Return: -1000 if a free block of @order or more exists; 0 if nothing is
 * free; otherwise 0..1000, times 1000: towards 0 when a failure would be
 * for lack of memory, towards 1000 when it would be for fragmentation.
 */
int extfrag_index(struct zone *zone, unsigned int order);

/**
 * unusable_free_index() - Linux's unusable free space index of @zone.
 * Context: as extfrag_index().
 * Return: 0..1000, the share (times 1000) of free memory in blocks smaller
 * than @order; 1000 if nothing is free.
 */
int unusable_free_index(struct zone *zone, unsigned int order);

/**
 * fragmentation_score() - @zone's share of the node's proactive-compaction
 * score (Linux's fragmentation_score_zone_weighted()).
 * Context: as extfrag_index().
 * Return: 0..100: the percentage of the zone's free memory unusable for a
 * pageblock-sized block, weighted by the zone's share of the node's pages.
 */
unsigned int fragmentation_score(struct zone *zone);

/**
 * extfrag_dump() / unusable_dump() - print one line per zone in the
 * formats of /sys/kernel/debug/extfrag/{extfrag_index,unusable_index}.
 * Context: as extfrag_index(); no locks; never sleep; allocation only by
 * stdio (C library); no reclaim.
 */
void extfrag_dump(FILE *f);
void unusable_dump(FILE *f);

#endif /* BALLAST_MIGRATE_H */
