// SPDX-License-Identifier: MIT
/*
 * buddy.c - the buddy free lists of each zone: splitting and merging,
 * migrate-type fallback with pageblock claiming, per-CPU order-0 lists, and
 * isolation of free blocks for compaction.
 *
 * Invariants and locking:
 *  - zone->lock protects free_area[*].free_list, the PGTY_BUDDY type and
 *    ->order of free blocks, and the migrate type of pageblocks.
 *  - A free block of order o is 2^o pages, naturally aligned, inside one
 *    zone; its head has type PGTY_BUDDY, ->order = o, refcount 0; the other
 *    pages have type PGTY_NONE, refcount 0. No two free buddies of the same
 *    order coexist (they are merged at once).
 *  - Free list type = pageblock type: a free block of order < pageblock_order
 *    lies in one pageblock and is on the list of that pageblock's migrate
 *    type; a larger block spans whole pageblocks that all have its type.
 *    Claiming a pageblock for another type moves its free blocks with it.
 *  - NR_FREE_PAGES of a zone = sum over its free lists of 2^order
 *    (maintained under zone->lock, read locklessly); per-CPU pages are not
 *    counted there (as in Linux).
 *  - pcp->lock protects a per-CPU set's lists and count; pcp pages have
 *    refcount 0, type PGTY_NONE. Lock order: pcp->lock, then zone->lock.
 *  - Nothing here sleeps or allocates; both locks are spinlocks.
 */
#include "internal.h"

#include <sched.h>

static inline void set_buddy_order(struct page *page, unsigned int order)
{
	atomic_store_explicit(&page->order, (uint8_t)order,
			      memory_order_relaxed);
	atomic_store_explicit(&page->page_type, PGTY_BUDDY,
			      memory_order_release);
}

static inline void clear_buddy(struct page *page)
{
	atomic_store_explicit(&page->page_type, PGTY_NONE,
			      memory_order_release);
	atomic_store_explicit(&page->order, 0, memory_order_relaxed);
}

static inline void nr_free_add(struct free_area *area, long delta)
{
	atomic_store_explicit(&area->nr_free,
			      atomic_load_explicit(&area->nr_free,
						   memory_order_relaxed) +
				      (unsigned long)delta,
			      memory_order_relaxed);
}

static void add_to_free_list(struct page *page, struct zone *zone,
			     unsigned int order, enum migratetype mt)
{
	struct free_area *area = &zone->free_area[order];

	set_buddy_order(page, order);
	list_add(&page->lru, &area->free_list[mt]);
	nr_free_add(area, 1);
	mod_zone_page_state(zone, NR_FREE_PAGES, 1L << order);
}

static void del_page_from_free_list(struct page *page, struct zone *zone,
				    unsigned int order)
{
	list_del(&page->lru);
	clear_buddy(page);
	nr_free_add(&zone->free_area[order], -1);
	mod_zone_page_state(zone, NR_FREE_PAGES, -(1L << order));
}

static void move_to_free_list(struct page *page, struct zone *zone,
			      unsigned int order, enum migratetype mt)
{
	list_move(&page->lru, &zone->free_area[order].free_list[mt]);
}

static inline bool page_is_buddy(const struct zone *zone, struct page *buddy,
				 unsigned long buddy_pfn, unsigned int order)
{
	if (buddy_pfn < zone->zone_start_pfn || buddy_pfn >= zone_end_pfn(zone))
		return false;
	return PageBuddy(buddy) && buddy_order_unsafe(buddy) == order;
}

static void set_range_migratetype(struct zone *zone, unsigned long pfn,
				  unsigned int order, enum migratetype mt)
{
	for (unsigned long i = 0; i < (1UL << order); i += pageblock_nr_pages)
		set_pageblock_migratetype(zone, pfn + i, mt);
}

/*
 * Free a block of @order at @pfn, merging with free buddies. Caller holds
 * zone->lock; the pages have refcount 0 and no type.
 */
void free_one_page(struct zone *zone, struct page *page, unsigned long pfn,
		   unsigned int order)
{
	enum migratetype mt = get_pageblock_migratetype(page);
	unsigned int merged = order;

	while (merged < MAX_PAGE_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1UL << merged);
		struct page *buddy = page + (buddy_pfn - pfn);

		if (!page_is_buddy(zone, buddy, buddy_pfn, merged))
			break;
		del_page_from_free_list(buddy, zone, merged);
		pfn &= buddy_pfn;
		page = pfn_to_page(pfn);
		merged++;
	}
	/* A block spanning pageblocks gives them all one type. */
	if (merged > pageblock_order)
		set_range_migratetype(zone, pfn, merged, mt);
	add_to_free_list(page, zone, merged, mt);
}

/* Split a block of order @high down to @low, freeing the upper halves. */
static void expand(struct zone *zone, struct page *page, unsigned int low,
		   unsigned int high, enum migratetype mt)
{
	unsigned long size = 1UL << high;

	while (high > low) {
		high--;
		size >>= 1;
		add_to_free_list(page + size, zone, high, mt);
	}
}

static struct page *__rmqueue_smallest(struct zone *zone, unsigned int order,
				       enum migratetype mt)
{
	for (unsigned int o = order; o < NR_PAGE_ORDERS; o++) {
		struct page *page = list_first_entry_or_null(
			&zone->free_area[o].free_list[mt], struct page, lru);

		if (!page)
			continue;
		del_page_from_free_list(page, zone, o);
		expand(zone, page, order, o, mt);
		return page;
	}
	return NULL;
}

static const enum migratetype fallbacks[MIGRATE_TYPES][2] = {
	[MIGRATE_UNMOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
};

static int find_fallback(struct zone *zone, unsigned int order,
			 enum migratetype start)
{
	for (int i = 0; i < 2; i++) {
		enum migratetype mt = fallbacks[start][i];

		if (!list_empty(&zone->free_area[order].free_list[mt]))
			return (int)mt;
	}
	return -1;
}

/*
 * Is it worth claiming the whole pageblock when a block of @order is taken
 * from another type's list? Large blocks, and unmovable or reclaimable
 * allocations (which would otherwise pollute many blocks), claim.
 */
static bool should_try_claim(unsigned int order, enum migratetype start)
{
	return order >= pageblock_order / 2 || start == MIGRATE_RECLAIMABLE ||
	       start == MIGRATE_UNMOVABLE;
}

/*
 * Move the free blocks of the pageblock at @start_pfn from @old to @new
 * and change its type; return the number of free pages moved.
 */
static unsigned long move_freepages_block(struct zone *zone,
					  unsigned long start_pfn,
					  enum migratetype new)
{
	unsigned long pfn = start_pfn, moved = 0;
	unsigned long end = start_pfn + pageblock_nr_pages;

	while (pfn < end) {
		struct page *page = pfn_to_page(pfn);

		if (!PageBuddy(page)) {
			pfn++;
			continue;
		}
		move_to_free_list(page, zone, buddy_order_unsafe(page), new);
		moved += 1UL << buddy_order_unsafe(page);
		pfn += 1UL << buddy_order_unsafe(page);
	}
	set_pageblock_migratetype(zone, start_pfn, new);
	return moved;
}

/*
 * Try to turn the pageblock of @page (a free block of @current_order on
 * @block_type's list) into a @start pageblock, then allocate from it.
 */
static struct page *try_to_claim_block(struct zone *zone, struct page *page,
				       unsigned int current_order,
				       unsigned int order,
				       enum migratetype start,
				       enum migratetype block_type)
{
	unsigned long start_pfn, free_pages = 0, movable = 0, alike;

	if (current_order >= pageblock_order) {
		del_page_from_free_list(page, zone, current_order);
		set_range_migratetype(zone, page_to_pfn(page), current_order,
				      start);
		expand(zone, page, order, current_order, start);
		return page;
	}
	start_pfn = ALIGN_DOWN(page_to_pfn(page), pageblock_nr_pages);
	for (unsigned long pfn = start_pfn; pfn < start_pfn + pageblock_nr_pages;) {
		struct page *p = pfn_to_page(pfn);

		if (PageBuddy(p)) {
			free_pages += 1UL << buddy_order_unsafe(p);
			pfn += 1UL << buddy_order_unsafe(p);
			continue;
		}
		if (PageLRU(p) || PageMovableOps(p))
			movable++;
		pfn++;
	}
	if (start == MIGRATE_MOVABLE)
		alike = movable;
	else if (block_type == MIGRATE_MOVABLE)
		alike = 0;
	else
		alike = pageblock_nr_pages - free_pages - movable;
	if (free_pages + alike < pageblock_nr_pages / 2)
		return NULL;
	move_freepages_block(zone, start_pfn, start);
	return __rmqueue_smallest(zone, order, start);
}

static struct page *__rmqueue_fallback(struct zone *zone, unsigned int order,
				       enum migratetype start)
{
	int o, mt;

	/* Largest first: claiming whole pageblocks limits fragmentation. */
	for (o = MAX_PAGE_ORDER; o >= (int)order; o--) {
		struct page *page;

		mt = find_fallback(zone, (unsigned int)o, start);
		if (mt < 0)
			continue;
		if (!should_try_claim((unsigned int)o, start))
			break;
		page = list_first_entry(&zone->free_area[o].free_list[mt],
					struct page, lru);
		page = try_to_claim_block(zone, page, (unsigned int)o, order,
					  start, (enum migratetype)mt);
		if (page)
			return page;
	}
	/* Steal the smallest block that fits, leaving its pageblock alone. */
	for (o = (int)order; o < NR_PAGE_ORDERS; o++) {
		mt = find_fallback(zone, (unsigned int)o, start);
		if (mt >= 0)
			return __rmqueue_smallest(zone, order,
						  (enum migratetype)mt);
	}
	return NULL;
}

static struct page *__rmqueue(struct zone *zone, unsigned int order,
			      enum migratetype mt)
{
	struct page *page = __rmqueue_smallest(zone, order, mt);

	if (unlikely(!page))
		page = __rmqueue_fallback(zone, order, mt);
	return page;
}

struct page *rmqueue(struct zone *zone, unsigned int order,
		     enum migratetype mt)
{
	struct page *page;

	spin_lock(&zone->lock);
	page = __rmqueue(zone, order, mt);
	spin_unlock(&zone->lock);
	return page;
}

/* ------------------------------------------------------------------ */
/* Per-CPU lists                                                         */
/* ------------------------------------------------------------------ */

int pcp_index(const struct zone *zone)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : cpu % zone->nr_pcp;
}

static inline void pcp_count_add(struct per_cpu_pages *pcp, int delta)
{
	atomic_store_explicit(&pcp->count,
			      atomic_load_explicit(&pcp->count,
						   memory_order_relaxed) + delta,
			      memory_order_relaxed);
}

/* Free @count pages of @pcp to the buddy lists; caller holds pcp->lock. */
static void free_pcppages_bulk(struct zone *zone, int count,
			       struct per_cpu_pages *pcp)
{
	int mt = 0, freed = 0, empty = 0;

	spin_lock(&zone->lock);
	while (freed < count) {
		struct list_head *list = &pcp->lists[mt];

		mt = (mt + 1) % MIGRATE_PCPTYPES;
		if (list_empty(list)) {
			if (++empty == MIGRATE_PCPTYPES)
				break;
			continue;
		}
		empty = 0;
		/* The tail is the coldest page. */
		struct page *page = list_last_entry(list, struct page, lru);

		list_del(&page->lru);
		pcp_count_add(pcp, -1);
		free_one_page(zone, page, page_to_pfn(page), 0);
		freed++;
	}
	spin_unlock(&zone->lock);
}

struct page *rmqueue_pcplist(struct zone *zone, enum migratetype mt)
{
	struct per_cpu_pages *pcp = &zone->pcp[pcp_index(zone)];
	struct list_head *list = &pcp->lists[mt];
	struct page *page;

	spin_lock(&pcp->lock);
	if (list_empty(list)) {
		int n = 0;

		spin_lock(&zone->lock);
		while (n < pcp->batch) {
			page = __rmqueue(zone, 0, mt);
			if (!page)
				break;
			list_add_tail(&page->lru, list);
			n++;
		}
		spin_unlock(&zone->lock);
		pcp_count_add(pcp, n);
		if (!n) {
			spin_unlock(&pcp->lock);
			return NULL;
		}
	}
	page = list_first_entry(list, struct page, lru);
	list_del(&page->lru);
	pcp_count_add(pcp, -1);
	spin_unlock(&pcp->lock);
	return page;
}

void free_unref_page(struct page *page)
{
	struct zone *zone = page_zone(page);
	enum migratetype mt = get_pageblock_migratetype(page);
	struct per_cpu_pages *pcp = &zone->pcp[pcp_index(zone)];

	spin_lock(&pcp->lock);
	list_add(&page->lru, &pcp->lists[mt]);
	pcp_count_add(pcp, 1);
	if (atomic_load_explicit(&pcp->count, memory_order_relaxed) >=
	    pcp->high)
		free_pcppages_bulk(zone, pcp->batch, pcp);
	spin_unlock(&pcp->lock);
}

void drain_zone_pages(struct zone *zone)
{
	for (int i = 0; i < zone->nr_pcp; i++) {
		struct per_cpu_pages *pcp = &zone->pcp[i];

		spin_lock(&pcp->lock);
		free_pcppages_bulk(zone, atomic_load(&pcp->count), pcp);
		spin_unlock(&pcp->lock);
	}
}

void drain_all_pages(struct zone *zone)
{
	struct zone *z;

	if (zone) {
		drain_zone_pages(zone);
		return;
	}
	for_each_zone(z)
		if (z->pcp)
			drain_zone_pages(z);
}

/* ------------------------------------------------------------------ */
/* Watermarks                                                            */
/* ------------------------------------------------------------------ */

bool __zone_watermark_ok(struct zone *zone, unsigned int order,
			 unsigned long mark, enum zone_type highest_zoneidx,
			 unsigned int alloc_flags, long free_pages)
{
	long min = (long)mark;

	/* Linux's __zone_watermark_ok(): GFP_NOWAIT gets no min reserve. */
	if (alloc_flags & ALLOC_RESERVES) {
		if (alloc_flags & ALLOC_MIN_RESERVE) {
			min -= min / 2;
			/* Non-blocking __GFP_HIGH (GFP_ATOMIC) digs deeper. */
			if (alloc_flags & ALLOC_NON_BLOCK)
				min -= min / 4;
		}
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
	}
	free_pages -= (1L << order) - 1;
	if (free_pages <= min + atomic_load_explicit(
					 &zone->lowmem_reserve[highest_zoneidx],
					 memory_order_relaxed))
		return false;
	if (!order)
		return true;
	for (unsigned int o = order; o < NR_PAGE_ORDERS; o++)
		if (atomic_load_explicit(&zone->free_area[o].nr_free,
					 memory_order_relaxed))
			return true;
	return false;
}

bool zone_watermark_fast(struct zone *zone, unsigned int order,
			 unsigned long mark, enum zone_type highest_zoneidx,
			 unsigned int alloc_flags)
{
	return __zone_watermark_ok(zone, order, mark, highest_zoneidx,
				   alloc_flags,
				   zone_page_state(zone, NR_FREE_PAGES));
}

bool zone_watermark_ok(struct zone *zone, unsigned int order,
		       unsigned long mark, enum zone_type highest_zoneidx)
{
	return zone_watermark_fast(zone, order, mark, highest_zoneidx, 0);
}

/* ------------------------------------------------------------------ */
/* Isolation of free blocks (compaction's free scanner)                  */
/* ------------------------------------------------------------------ */

unsigned long isolate_free_page_locked(struct zone *zone, struct page *page,
				       struct list_head *list)
{
	unsigned int order;
	unsigned long nr;

	lockdep_assert_held(&zone->lock);
	if (!PageBuddy(page))
		return 0;
	order = buddy_order_unsafe(page);
	nr = 1UL << order;
	/* Keep the zone above min: compaction must not eat the reserves. */
	if ((unsigned long)zone_page_state(zone, NR_FREE_PAGES) <
	    min_wmark_pages(zone) + nr)
		return 0;
	del_page_from_free_list(page, zone, order);
	/* Half a pageblock or more: the block becomes movable. */
	if (order >= pageblock_order - 1)
		for (unsigned long i = 0; i < nr; i += pageblock_nr_pages)
			set_pageblock_migratetype(zone, page_to_pfn(page) + i,
						  MIGRATE_MOVABLE);
	for (unsigned long i = 0; i < nr; i++) {
		atomic_store_explicit(&page[i].order, 0, memory_order_relaxed);
		list_add_tail(&page[i].lru, list);
	}
	return nr;
}

void release_free_page(struct page *page)
{
	struct zone *zone = page_zone(page);

	if (page_ref_count(page) != 0 || page_get_type(page) != PGTY_NONE) {
		report_misuse("pfn %#lx is not an unused isolated free page",
			      page_to_pfn(page));
		return;
	}
	spin_lock(&zone->lock);
	free_one_page(zone, page, page_to_pfn(page), 0);
	spin_unlock(&zone->lock);
}
