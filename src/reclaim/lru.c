// SPDX-License-Identifier: MIT
/*
 * lru.c - the LRU lists: lruvecs, adding, aging (mark_page_accessed),
 * isolation and putback, rotation after writeback, the allocator free hook
 * that takes freed pages off their list, and the registered ops groups.
 *
 * Invariants and locking:
 *  - A page is on an LRU list iff PG_lru is set; it is then on exactly the
 *    list page_lru() names (PG_unevictable/PG_mlocked -> unevictable,
 *    else PG_swapbacked picks anon/file, PG_active picks active) of the
 *    lruvec page_lruvec() names, and counted once in that lruvec's
 *    nr_pages[list][zone], in the node gauge NR_{IN,}ACTIVE_{ANON,FILE} /
 *    NR_UNEVICTABLE and in the zone gauge NR_ZONE_*.
 *  - lruvec->lru_lock (spinlock, one class for every lruvec) protects the
 *    lists, the ->lru links of listed pages, the PG_lru/PG_active/
 *    PG_unevictable transitions of pages on or entering a list, and the
 *    writes of nr_pages. PG_referenced is an atomic hint, no lock.
 *  - The LRU holds no reference (reclaim.h rule 1). A scanner under the
 *    lock takes a reference with get_page_unless_zero(); a page whose
 *    count is already 0 is being freed and the free hook (lru_free_hook)
 *    will take it off its list under the same lock.
 *  - An isolated page has PG_lru clear, an extra reference owned by the
 *    isolator, and counts in NR_ISOLATED_{ANON,FILE} until putback.
 *  - lru_lock nests inside the page lock and inside nothing else of
 *    ballast's; nothing is called under it that takes another lock except
 *    the vmstat atomics. put_page() is never called under it.
 *  - Ops groups (file, rmap, memcg) are pointers written at layer start-up
 *    and exit under reclaim_ops_lock (a leaf) and read with acquire loads.
 * Nothing here sleeps or allocates.
 */
#include "internal.h"

#include <errno.h>

static struct lruvec node_lruvec_data;
static struct lock_class_key lru_lock_key;

/* ------------------------------------------------------------------ */
/* Ops groups                                                            */
/* ------------------------------------------------------------------ */

static const struct reclaim_file_ops *_Atomic file_ops;
static const struct reclaim_rmap_ops *_Atomic rmap_ops;
static const struct reclaim_memcg_ops *_Atomic memcg_ops;
static DEFINE_SPINLOCK(reclaim_ops_lock);

void reclaim_set_ops(const struct reclaim_ops *ops)
{
	spin_lock(&reclaim_ops_lock);
	if (ops->file)
		atomic_store_explicit(&file_ops, ops->file,
				      memory_order_release);
	if (ops->rmap)
		atomic_store_explicit(&rmap_ops, ops->rmap,
				      memory_order_release);
	if (ops->memcg)
		atomic_store_explicit(&memcg_ops, ops->memcg,
				      memory_order_release);
	spin_unlock(&reclaim_ops_lock);
}

void reclaim_clear_ops(const struct reclaim_ops *ops)
{
	spin_lock(&reclaim_ops_lock);
	if (ops->file && atomic_load(&file_ops) == ops->file)
		atomic_store(&file_ops, NULL);
	if (ops->rmap && atomic_load(&rmap_ops) == ops->rmap)
		atomic_store(&rmap_ops, NULL);
	if (ops->memcg && atomic_load(&memcg_ops) == ops->memcg)
		atomic_store(&memcg_ops, NULL);
	spin_unlock(&reclaim_ops_lock);
}

const struct reclaim_file_ops *reclaim_file_ops(void)
{
	return atomic_load_explicit(&file_ops, memory_order_acquire);
}

const struct reclaim_rmap_ops *reclaim_rmap_ops(void)
{
	return atomic_load_explicit(&rmap_ops, memory_order_acquire);
}

const struct reclaim_memcg_ops *reclaim_memcg_ops(void)
{
	return atomic_load_explicit(&memcg_ops, memory_order_acquire);
}

/* ------------------------------------------------------------------ */
/* lruvecs                                                               */
/* ------------------------------------------------------------------ */

void lruvec_init(struct lruvec *lruvec, struct mem_cgroup *memcg)
{
	spin_lock_init_key(&lruvec->lru_lock, "lruvec->lru_lock",
			   &lru_lock_key);
	for (int l = 0; l < NR_LRU_LISTS; l++) {
		INIT_LIST_HEAD(&lruvec->lists[l]);
		for (int z = 0; z < MAX_NR_ZONES; z++)
			atomic_init(&lruvec->nr_pages[l][z], 0);
	}
	lruvec->memcg = memcg;
	atomic_init(&lruvec->flags, 0);
}

struct lruvec *node_lruvec(void)
{
	return &node_lruvec_data;
}

struct lruvec *page_lruvec(struct page *page)
{
	const struct reclaim_memcg_ops *ops = reclaim_memcg_ops();

	if (ops)
		return ops->page_lruvec(page);
	return &node_lruvec_data;
}

/* Lock the lruvec of @page; stable once locked (reclaim.h rule 5). */
struct lruvec *page_lruvec_lock(struct page *page)
{
	for (;;) {
		struct lruvec *lruvec = page_lruvec(page);

		spin_lock(&lruvec->lru_lock);
		if (likely(page_lruvec(page) == lruvec))
			return lruvec;
		spin_unlock(&lruvec->lru_lock);
	}
}

unsigned long lruvec_lru_size(struct lruvec *lruvec, enum lru_list lru,
			      enum zone_type zone_idx)
{
	long n = 0;

	for (int z = 0; z <= (int)zone_idx && z < MAX_NR_ZONES; z++)
		n += atomic_load_explicit(&lruvec->nr_pages[lru][z],
					  memory_order_relaxed);
	return n > 0 ? (unsigned long)n : 0;
}

void lru_page_count(unsigned long nr[NR_LRU_LISTS])
{
	static const enum node_stat_item items[NR_LRU_LISTS] = {
		NR_INACTIVE_ANON, NR_ACTIVE_ANON, NR_INACTIVE_FILE,
		NR_ACTIVE_FILE, NR_UNEVICTABLE,
	};

	for (int l = 0; l < NR_LRU_LISTS; l++) {
		long v = node_page_state(items[l]);

		nr[l] = v > 0 ? (unsigned long)v : 0;
	}
}

enum lru_list page_lru(const struct page *page)
{
	if (PageUnevictable(page) || PageMlocked(page))
		return LRU_UNEVICTABLE;
	return (PageSwapBacked(page) ? LRU_BASE_ANON : LRU_BASE_FILE) +
	       (PageActive(page) ? LRU_ACTIVE : 0);
}

static const enum node_stat_item lru_node_item[NR_LRU_LISTS] = {
	NR_INACTIVE_ANON, NR_ACTIVE_ANON, NR_INACTIVE_FILE, NR_ACTIVE_FILE,
	NR_UNEVICTABLE,
};
static const enum zone_stat_item lru_zone_item[NR_LRU_LISTS] = {
	NR_ZONE_INACTIVE_ANON, NR_ZONE_ACTIVE_ANON, NR_ZONE_INACTIVE_FILE,
	NR_ZONE_ACTIVE_FILE, NR_ZONE_UNEVICTABLE,
};

static void update_lru_size(struct lruvec *lruvec, enum lru_list lru,
			    struct zone *zone, long delta)
{
	atomic_fetch_add_explicit(&lruvec->nr_pages[lru][zone->idx], delta,
				  memory_order_relaxed);
	mod_node_page_state(lru_node_item[lru], delta);
	mod_zone_page_state(zone, lru_zone_item[lru], delta);
}

void lruvec_add_page_locked(struct lruvec *lruvec, struct page *page,
			    enum lru_list lru, bool tail)
{
	lockdep_assert_held(&lruvec->lru_lock);
	if (tail)
		list_add_tail(&page->lru, &lruvec->lists[lru]);
	else
		list_add(&page->lru, &lruvec->lists[lru]);
	update_lru_size(lruvec, lru, page_zone(page), 1);
}

void lruvec_del_page_locked(struct lruvec *lruvec, struct page *page,
			    enum lru_list lru)
{
	lockdep_assert_held(&lruvec->lru_lock);
	list_del(&page->lru);
	update_lru_size(lruvec, lru, page_zone(page), -1);
}

void lru_isolated_mod(struct page *page, long delta)
{
	mod_node_page_state(PageSwapBacked(page) ? NR_ISOLATED_ANON
						 : NR_ISOLATED_FILE, delta);
}

/* ------------------------------------------------------------------ */
/* Adding, aging, isolation                                              */
/* ------------------------------------------------------------------ */

void lru_cache_add(struct page *page)
{
	struct lruvec *lruvec;

	if (WARN_ON_ONCE(PageTail(page) || PageHead(page) ||
			 page_ref_count(page) <= 0)) {
		report_misuse("lru_cache_add: pfn %#lx is not an order-0 "
			      "page with a reference", page_to_pfn(page));
		return;
	}
	lruvec = page_lruvec_lock(page);
	if (unlikely(PageLRU(page))) {
		spin_unlock(&lruvec->lru_lock);
		report_misuse("lru_cache_add: pfn %#lx already on an LRU",
			      page_to_pfn(page));
		return;
	}
	SetPageLRU(page);
	lruvec_add_page_locked(lruvec, page, page_lru(page), false);
	spin_unlock(&lruvec->lru_lock);
}

void mark_page_accessed(struct page *page)
{
	struct lruvec *lruvec;
	enum lru_list lru;

	if (!PageReferenced(page)) {
		SetPageReferenced(page);
		return;
	}
	if (PageActive(page) || PageUnevictable(page) || !PageLRU(page))
		return;
	lruvec = page_lruvec_lock(page);
	/* Recheck under the lock: it may have been isolated meanwhile. */
	if (PageLRU(page) && !PageActive(page) && !PageUnevictable(page) &&
	    !PageMlocked(page)) {
		lru = page_lru(page);
		lruvec_del_page_locked(lruvec, page, lru);
		SetPageActive(page);
		lruvec_add_page_locked(lruvec, page, lru + LRU_ACTIVE, false);
		count_vm_event(PGACTIVATE);
	}
	spin_unlock(&lruvec->lru_lock);
	ClearPageReferenced(page);
}

int isolate_lru_page(struct page *page)
{
	struct lruvec *lruvec;
	int ret = -EBUSY;

	if (!PageLRU(page))
		return -EBUSY;
	lruvec = page_lruvec_lock(page);
	if (PageLRU(page) && get_page_unless_zero(page)) {
		ClearPageLRU(page);
		lruvec_del_page_locked(lruvec, page, page_lru(page));
		ret = 0;
	}
	spin_unlock(&lruvec->lru_lock);
	if (!ret)
		lru_isolated_mod(page, 1);
	return ret;
}

void putback_lru_page(struct page *page)
{
	struct lruvec *lruvec;

	if (WARN_ON_ONCE(PageLRU(page)))
		return;
	lru_isolated_mod(page, -1);
	lruvec = page_lruvec_lock(page);
	SetPageLRU(page);
	lruvec_add_page_locked(lruvec, page, page_lru(page), false);
	spin_unlock(&lruvec->lru_lock);
	put_page(page);		/* may free: the free hook unlists it */
}

/*
 * Put back a list of pages isolated by reclaim (each with an isolation
 * reference and counted in NR_ISOLATED_*), each to the head of the list
 * its flags name, as Linux's move_folios_to_lru(). The isolation reference
 * is dropped under the lock with put_page_testzero(); a page whose last
 * reference that was is unlisted again, and freed after the lock (its
 * count restored to 1 for put_page(): nobody else can see a page at 0).
 */
void lru_putback_list(struct list_head *pages)
{
	struct lruvec *locked = NULL;
	struct page *page, *next;
	LIST_HEAD(to_free);

	list_for_each_entry_safe(page, next, pages, lru) {
		struct lruvec *lruvec = page_lruvec(page);

		list_del(&page->lru);
		lru_isolated_mod(page, -1);
		if (lruvec != locked) {
			if (locked)
				spin_unlock(&locked->lru_lock);
			lruvec = page_lruvec_lock(page);
			locked = lruvec;
		}
		SetPageLRU(page);
		lruvec_add_page_locked(lruvec, page, page_lru(page), false);
		if (unlikely(put_page_testzero(page))) {
			lruvec_del_page_locked(lruvec, page, page_lru(page));
			ClearPageLRU(page);
			page_ref_unfreeze(page, 1);
			list_add(&page->lru, &to_free);
		}
	}
	if (locked)
		spin_unlock(&locked->lru_lock);
	list_for_each_entry_safe(page, next, &to_free, lru) {
		list_del(&page->lru);
		put_page(page);
	}
}

void rotate_reclaimable_page(struct page *page)
{
	struct lruvec *lruvec;

	if (!TestClearPageReclaim(page))
		return;
	if (PageLRU(page) && !PageUnevictable(page)) {
		lruvec = page_lruvec_lock(page);
		if (PageLRU(page) && !PageUnevictable(page) &&
		    !PageMlocked(page)) {
			/* As Linux's lru_move_tail(): inactive, at the tail. */
			lruvec_del_page_locked(lruvec, page, page_lru(page));
			ClearPageActive(page);
			lruvec_add_page_locked(lruvec, page, page_lru(page),
					       true);
			count_vm_event(PGROTATED);
		}
		spin_unlock(&lruvec->lru_lock);
	}
	/* Reclaimers pausing for writeback to end may retry now. */
	if (throttle_queue_active(&reclaim_wb_throttle))
		throttle_wake_all(&reclaim_wb_throttle);
}

/* ------------------------------------------------------------------ */
/* Free hook                                                             */
/* ------------------------------------------------------------------ */

/*
 * The last reference of @page is gone: if it is still listed, unlist it
 * (nobody can isolate it any more: isolation needs a reference). Clear the
 * LRU state bits the allocator refuses at free.
 */
static void lru_free_hook(struct page *page, unsigned int order)
{
	if (PageLRU(page)) {
		struct lruvec *lruvec = page_lruvec_lock(page);

		if (PageLRU(page)) {
			lruvec_del_page_locked(lruvec, page, page_lru(page));
			ClearPageLRU(page);
		}
		spin_unlock(&lruvec->lru_lock);
	}
	if (PageActive(page))
		ClearPageActive(page);
	if (PageUnevictable(page))
		ClearPageUnevictable(page);
}

int lru_register_free_hook(void)
{
	lruvec_init(&node_lruvec_data, NULL);
	return alloc_register_free_hook(lru_free_hook);
}

void lru_unregister_free_hook(void)
{
	alloc_unregister_free_hook(lru_free_hook);
}

/* ------------------------------------------------------------------ */
/* lruvec iteration                                                      */
/* ------------------------------------------------------------------ */

struct lruvec *reclaim_lruvec_first(struct mem_cgroup *root)
{
	const struct reclaim_memcg_ops *ops = reclaim_memcg_ops();

	if (ops)
		return ops->lruvec_iter(root, NULL);
	return root ? NULL : &node_lruvec_data;
}

struct lruvec *reclaim_lruvec_next(struct mem_cgroup *root,
				   struct lruvec *prev)
{
	const struct reclaim_memcg_ops *ops = reclaim_memcg_ops();

	if (ops)
		return ops->lruvec_iter(root, prev);
	return NULL;
}

void reclaim_lruvec_break(struct mem_cgroup *root, struct lruvec *last)
{
	const struct reclaim_memcg_ops *ops = reclaim_memcg_ops();

	if (ops && last && ops->lruvec_iter_break)
		ops->lruvec_iter_break(root, last);
}
