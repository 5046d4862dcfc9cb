// SPDX-License-Identifier: MIT
/*
 * migrate.c - moving a page-cache page to another page frame, for the
 * migration layer (Linux's folio_migrate_mapping + folio_migrate_flags
 * for an unmapped file folio).
 *
 * Invariants and locking:
 *  - The index entry, ->mapping/->index and the cache's reference move
 *    together under the mapping's i_pages_lock, after @src's refcount was
 *    frozen at exactly the expected count (the cache's reference plus the
 *    caller's isolation reference). Lookups take their reference under the
 *    same lock, so nobody ever sees the frozen page: a lookup either got
 *    @src before (and the freeze fails: -EAGAIN) or finds @dst after.
 *  - Both pages are locked by the caller, so no one reads @dst before its
 *    bytes and PG_uptodate are there, and no writeback starts on either.
 *  - The dirty tag belongs to the index slot and stays; NR_FILE_DIRTY is a
 *    node gauge and does not change; NR_ZONE_WRITE_PENDING moves between
 *    the two zones.
 * Context: never sleeps; no allocation.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

/* The state that travels with a page-cache page. */
static const unsigned int migrated_flags[] = {
	PG_uptodate, PG_dirty, PG_referenced, PG_active, PG_workingset,
	PG_error, PG_reclaim,
};

int page_cache_migrate(struct page *dst, struct page *src)
{
	struct address_space *mapping = src->mapping;
	bool dirty;

	if (!mapping)
		return -EINVAL;
	if (PageWriteback(src) || page_mapcount(src))
		return -EBUSY;
	spin_lock(&mapping->i_pages_lock);
	/* The cache's reference and the caller's isolation reference. */
	if (!page_ref_freeze(src, 2)) {
		spin_unlock(&mapping->i_pages_lock);
		return -EAGAIN;
	}
	if (!page_index_replace(&mapping->i_pages, src->index, src, dst)) {
		page_ref_unfreeze(src, 2);
		spin_unlock(&mapping->i_pages_lock);
		return -EAGAIN;
	}
	memcpy(page_address(dst), page_address(src), PAGE_SIZE);
	dst->mapping = mapping;
	dst->index = src->index;
	dst->memcg = src->memcg;
	get_page(dst);			/* the cache's reference */
	dirty = PageDirty(src);
	for (size_t i = 0; i < ARRAY_SIZE(migrated_flags); i++)
		if (test_and_clear_page_bit(src, migrated_flags[i]))
			set_page_bit(dst, migrated_flags[i]);
	if (dirty && page_zone(src) != page_zone(dst)) {
		mod_zone_page_state(page_zone(src), NR_ZONE_WRITE_PENDING, -1);
		mod_zone_page_state(page_zone(dst), NR_ZONE_WRITE_PENDING, 1);
	}
	src->mapping = NULL;
	src->memcg = NULL;
	page_ref_unfreeze(src, 1);	/* the isolation reference only */
	spin_unlock(&mapping->i_pages_lock);
	return 0;
}
