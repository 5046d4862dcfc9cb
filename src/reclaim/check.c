// SPDX-License-Identifier: MIT
/*
 * check.c - reclaim_check(): every page on an LRU is where its flags say,
 * counted once, and the counters add up.
 *
 * Invariants checked (the list atop lru.c):
 *  - a listed page has PG_lru, is order-0 (not head or tail), not free
 *    (not PGTY_BUDDY), has the flags of its list and the lruvec
 *    page_lruvec() names; it is on no other list (seen once);
 *  - nr_pages[list][zone] of each lruvec equals the list's pages of that
 *    zone; the lruvecs add up to the node gauges and, per zone, to the
 *    zone gauges;
 *  - quiescent: every PG_lru page of RAM was seen on a list, nothing is
 *    isolated, and no listed page has refcount 0.
 * Locking: each lruvec's lru_lock in turn (never two at once); the RAM
 * walk of the quiescent check reads flags locklessly.
 */
#include "internal.h"

#include <stdlib.h>

static const enum node_stat_item node_items[NR_LRU_LISTS] = {
	NR_INACTIVE_ANON, NR_ACTIVE_ANON, NR_INACTIVE_FILE, NR_ACTIVE_FILE,
	NR_UNEVICTABLE,
};
static const enum zone_stat_item zone_items[NR_LRU_LISTS] = {
	NR_ZONE_INACTIVE_ANON, NR_ZONE_ACTIVE_ANON, NR_ZONE_INACTIVE_FILE,
	NR_ZONE_ACTIVE_FILE, NR_ZONE_UNEVICTABLE,
};

static unsigned long report(unsigned long *errors, const char *what,
			    unsigned long pfn)
{
	if (*errors < 20)
		pr_err("reclaim_check: pfn %#lx: %s", pfn, what);
	return ++*errors;
}

static void check_lruvec(struct lruvec *lruvec, uint8_t *seen,
			 long sums[NR_LRU_LISTS][MAX_NR_ZONES],
			 unsigned int flags, unsigned long *errors)
{
	spin_lock(&lruvec->lru_lock);
	for (int l = 0; l < NR_LRU_LISTS; l++) {
		long counted[MAX_NR_ZONES] = { 0 };
		struct page *page;
		unsigned long n = 0;

		list_for_each_entry(page, &lruvec->lists[l], lru) {
			unsigned long pfn = page_to_pfn(page);

			if (++n > max_pfn) {
				report(errors, "LRU list loops", pfn);
				break;
			}
			if (seen[pfn])
				report(errors, "page on two LRU lists", pfn);
			seen[pfn] = 1;
			if (!PageLRU(page))
				report(errors, "listed page without PG_lru", pfn);
			if (page_lru(page) != (enum lru_list)l)
				report(errors, "page flags name another list",
				       pfn);
			if (PageHead(page) || PageTail(page) || PageBuddy(page))
				report(errors, "listed page is compound or free",
				       pfn);
			if (page_lruvec(page) != lruvec)
				report(errors, "page on the wrong lruvec", pfn);
			if ((flags & RECLAIM_CHECK_QUIESCENT) &&
			    page_ref_count(page) <= 0)
				report(errors, "listed page has no reference",
				       pfn);
			counted[page_zone(page)->idx]++;
		}
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			if (counted[z] != atomic_load(&lruvec->nr_pages[l][z]))
				report(errors, "lruvec counter differs from "
				       "its list", (unsigned long)l);
			sums[l][z] += counted[z];
		}
	}
	spin_unlock(&lruvec->lru_lock);
}

unsigned long reclaim_check(unsigned int flags)
{
	long sums[NR_LRU_LISTS][MAX_NR_ZONES] = { { 0 } };
	uint8_t *seen = calloc(max_pfn ? max_pfn : 1, 1);
	unsigned long errors = 0;
	struct lruvec *lruvec;

	if (!seen) {
		pr_err("reclaim_check: no memory for the walk");
		return 1;
	}
	for_each_reclaim_lruvec(lruvec, NULL)
		check_lruvec(lruvec, seen, sums, flags, &errors);

	for (int l = 0; l < NR_LRU_LISTS; l++) {
		long total = 0;

		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &contig_page_data.node_zones[z];

			total += sums[l][z];
			if ((flags & RECLAIM_CHECK_QUIESCENT) &&
			    sums[l][z] != zone_page_state(zone, zone_items[l]))
				report(&errors, "zone LRU gauge differs from "
				       "the lists", (unsigned long)l);
		}
		if ((flags & RECLAIM_CHECK_QUIESCENT) &&
		    total != node_page_state(node_items[l]))
			report(&errors, "node LRU gauge differs from the lists",
			       (unsigned long)l);
	}
	if (flags & RECLAIM_CHECK_QUIESCENT) {
		for (unsigned long pfn = 0; pfn < max_pfn; pfn++)
			if (PageLRU(pfn_to_page(pfn)) && !seen[pfn])
				report(&errors, "PG_lru page on no list", pfn);
		if (node_page_state(NR_ISOLATED_FILE) ||
		    node_page_state(NR_ISOLATED_ANON))
			report(&errors, "pages isolated at a quiescent point",
			       0);
	}
	free(seen);
	return errors;
}
