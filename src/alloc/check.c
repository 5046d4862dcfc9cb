// SPDX-License-Identifier: MIT
/*
 * check.c - alloc_check(): walk every page frame and prove that each is in
 * exactly one place.
 *
 * Invariants checked (the list of buddy.c and page_alloc.c):
 *  - every free block is aligned, inside its zone, PGTY_BUDDY with the
 *    order of its list, refcount 0, on the list of its pageblock's type;
 *  - per-order block counts and NR_FREE_PAGES match the lists;
 *  - per-CPU pages have refcount 0 and no type, and their number matches
 *    pcp->count;
 *  - no page is both free and on a per-CPU list, or twice on either;
 *  - every other page belongs to an allocated block: its first page has a
 *    refcount > 0 and ->order giving the block's size;
 *  - free + per-CPU + allocated + reserved (+ in transit) = RAM pages;
 *  - at a quiescent point: allocated slab, page-table and offline pages
 *    match the slab, page-table and balloon gauges, and nothing is in
 *    transit.
 * Locking: for each zone, its per-CPU locks (subclass = set index, in
 * order) then its zone lock; so free and allocated pages cannot trade
 * places during the walk. Page types of allocated pages are not frozen,
 * hence the quiescent flag.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define SEEN_FREE 1
#define SEEN_PCP 2

static unsigned long report(unsigned long *errors, const char *what,
			    unsigned long pfn)
{
	if (*errors < 20)
		pr_err("alloc_check: pfn %#lx: %s", pfn, what);
	return ++*errors;
}

static void check_free_lists(struct zone *zone, uint8_t *seen,
			     struct alloc_census *c, unsigned long *errors)
{
	unsigned long free_sum = 0;

	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		unsigned long blocks = 0;

		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			struct page *page;

			list_for_each_entry(page, &zone->free_area[o].free_list[mt],
					    lru) {
				unsigned long pfn = page_to_pfn(page);
				unsigned long n = 1UL << o;

				blocks++;
				if (pfn < zone->zone_start_pfn ||
				    pfn + n > zone_end_pfn(zone) ||
				    !IS_ALIGNED(pfn, n)) {
					report(errors, "misplaced free block", pfn);
					continue;
				}
				if (!PageBuddy(page) || buddy_order_unsafe(page) != o)
					report(errors, "free block head not buddy of its order", pfn);
				if (page_ref_count(page))
					report(errors, "free page with references", pfn);
				for (unsigned long i = 0; i < n;
				     i += pageblock_nr_pages)
					if ((int)get_pageblock_migratetype(page + i) != mt)
						report(errors, "free block on the wrong type's list", pfn);
				for (unsigned long i = 0; i < n; i++) {
					if (seen[pfn + i])
						report(errors, "page in two free blocks", pfn + i);
					seen[pfn + i] = SEEN_FREE;
					if (i && (page_get_type(page + i) != PGTY_NONE ||
						  page_ref_count(page + i)))
						report(errors, "bad page inside free block", pfn + i);
				}
				free_sum += n;
			}
		}
		if (blocks != atomic_load(&zone->free_area[o].nr_free))
			report(errors, "nr_free differs from the free list",
			       zone->zone_start_pfn);
	}
	if ((long)free_sum != zone_page_state(zone, NR_FREE_PAGES))
		report(errors, "NR_FREE_PAGES differs from the free lists",
		       zone->zone_start_pfn);
	c->nr_free_buddy += free_sum;
}

static void check_pcp(struct zone *zone, uint8_t *seen, struct alloc_census *c,
		      unsigned long *errors)
{
	for (int i = 0; i < zone->nr_pcp; i++) {
		struct per_cpu_pages *pcp = &zone->pcp[i];
		long count = 0;

		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++) {
			struct page *page;

			list_for_each_entry(page, &pcp->lists[mt], lru) {
				unsigned long pfn = page_to_pfn(page);

				if (seen[pfn])
					report(errors, "per-CPU page also free elsewhere", pfn);
				seen[pfn] = SEEN_PCP;
				if (page_ref_count(page) ||
				    page_get_type(page) != PGTY_NONE)
					report(errors, "busy page on a per-CPU list", pfn);
				count++;
			}
		}
		if (count != atomic_load(&pcp->count))
			report(errors, "pcp count differs from its lists",
			       zone->zone_start_pfn);
		c->nr_free_pcp += (unsigned long)count;
	}
}

static void check_allocated(struct zone *zone, uint8_t *seen,
			    struct alloc_census *c, unsigned long *errors)
{
	unsigned long pfn = zone->zone_start_pfn;

	while (pfn < zone_end_pfn(zone)) {
		struct page *page = pfn_to_page(pfn);
		unsigned long n;

		if (seen[pfn]) {
			pfn++;
			continue;
		}
		if (PageReserved(page)) {
			c->nr_reserved++;
			pfn++;
			continue;
		}
		if (page_ref_count(page) <= 0) {
			c->nr_transit++;
			pfn++;
			continue;
		}
		n = 1UL << atomic_load(&page->order);
		if (!IS_ALIGNED(pfn, n) || pfn + n > zone_end_pfn(zone)) {
			report(errors, "allocated block misaligned", pfn);
			n = 1;
		}
		for (unsigned long i = 1; i < n; i++)
			if (seen[pfn + i])
				report(errors, "page both allocated and free", pfn + i);
		c->nr_allocated += n;
		c->nr_by_type[page_get_type(page)] += n;
		pfn += n;
	}
}

unsigned long alloc_check(struct alloc_census *census, unsigned int flags)
{
	struct alloc_census local;
	struct alloc_census *c = census ? census : &local;
	unsigned long errors = 0, total;
	uint8_t *seen = calloc(max_pfn ? max_pfn : 1, 1);
	struct zone *zone;

	memset(c, 0, sizeof(*c));
	c->nr_pages = max_pfn;
	if (!seen) {
		pr_err("alloc_check: no memory for the walk");
		return 1;
	}
	for_each_zone(zone) {
		if (!zone->pcp)
			continue;
		for (int i = 0; i < zone->nr_pcp; i++)
			spin_lock_nested(&zone->pcp[i].lock, (unsigned int)i);
		spin_lock(&zone->lock);
		check_free_lists(zone, seen, c, &errors);
		check_pcp(zone, seen, c, &errors);
		check_allocated(zone, seen, c, &errors);
		spin_unlock(&zone->lock);
		for (int i = zone->nr_pcp - 1; i >= 0; i--)
			spin_unlock(&zone->pcp[i].lock);
	}
	free(seen);

	total = c->nr_free_buddy + c->nr_free_pcp + c->nr_allocated +
		c->nr_reserved + c->nr_transit;
	if (total != c->nr_pages)
		report(&errors, "free + pcp + allocated != RAM pages", total);
	if (flags & ALLOC_CHECK_QUIESCENT) {
		if (c->nr_transit)
			report(&errors, "pages in transit at a quiescent point",
			       c->nr_transit);
		if ((long)c->nr_by_type[PGTY_SLAB] !=
		    node_page_state(NR_SLAB_RECLAIMABLE) +
			    node_page_state(NR_SLAB_UNRECLAIMABLE))
			report(&errors, "slab pages differ from slab gauges",
			       c->nr_by_type[PGTY_SLAB]);
		if ((long)c->nr_by_type[PGTY_TABLE] != node_page_state(NR_PAGETABLE))
			report(&errors, "page-table pages differ from gauge",
			       c->nr_by_type[PGTY_TABLE]);
		if ((long)c->nr_by_type[PGTY_OFFLINE] !=
		    node_page_state(NR_BALLOON_PAGES))
			report(&errors, "offline pages differ from balloon gauge",
			       c->nr_by_type[PGTY_OFFLINE]);
	}
	c->nr_errors = errors;
	return errors;
}
