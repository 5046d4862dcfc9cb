// SPDX-License-Identifier: MIT
/*
 * check.c - writeback_check(): the page cache's invariants (the list atop
 * filemap.c and page_index.c), per mapping and summed against the gauges.
 *
 * Locking: inode_lock (the set of mappings cannot change), then each
 * mapping's i_pages_lock in turn, as the lock order allows. Page flags are
 * read locklessly; only the quiescent check compares them with the tags.
 */
#include "internal.h"

struct map_check {
	struct address_space *mapping;
	unsigned int flags;
	unsigned long nr, dirty, writeback, errors;
	unsigned long tag_dirty, tag_writeback;
};

static void fail(struct map_check *c, const char *what, pgoff_t index)
{
	if (c->errors++ < 10)
		pr_err("writeback_check: %s index %#lx: %s", c->mapping->name,
		       index, what);
}

static void check_entry(pgoff_t index, void *entry, void *arg)
{
	struct map_check *c = arg;
	struct address_space *m = c->mapping;
	struct page *page = entry;

	c->nr++;
	if (!virt_addr_valid(page_address(page)) || page->mapping != m ||
	    page->index != index) {
		fail(c, "entry's mapping or index differ", index);
		return;
	}
	if (page_ref_count(page) <= 0 || PageBuddy(page) || PageSlab(page))
		fail(c, "cached page is free or of another type", index);
	if (page_index_tag_get(&m->i_pages, index, PAGECACHE_TAG_DIRTY))
		c->tag_dirty++;
	if (page_index_tag_get(&m->i_pages, index, PAGECACHE_TAG_WRITEBACK))
		c->tag_writeback++;
	if (c->flags & WRITEBACK_CHECK_QUIESCENT) {
		if (PageDirty(page) !=
		    page_index_tag_get(&m->i_pages, index, PAGECACHE_TAG_DIRTY))
			fail(c, "PG_dirty differs from the dirty tag", index);
		if (PageWriteback(page) !=
		    page_index_tag_get(&m->i_pages, index,
				       PAGECACHE_TAG_WRITEBACK))
			fail(c, "PG_writeback differs from its tag", index);
		if (PageLocked(page))
			fail(c, "page locked at a quiescent point", index);
		if (!PageLRU(page))
			fail(c, "cached page not on an LRU", index);
		if (PageDirty(page))
			c->dirty++;
		if (PageWriteback(page))
			c->writeback++;
	}
}

unsigned long writeback_check(unsigned int flags)
{
	unsigned long errors = 0, pages = 0, dirty = 0, writeback = 0;

	spin_lock(&inode_lock);
	for (unsigned int b = 0; b < inode_hash_size(); b++) {
		struct address_space *m;

		list_for_each_entry(m, inode_hash_bucket(b), i_hash) {
			struct map_check c = { .mapping = m, .flags = flags };

			spin_lock(&m->i_pages_lock);
			c.errors = page_index_check(&m->i_pages, check_entry,
						    &c);
			if (c.nr != m->nrpages)
				fail(&c, "nrpages differs from the index", 0);
			if (c.tag_dirty != m->nrdirty)
				fail(&c, "nrdirty differs from the tags", 0);
			if (c.tag_writeback != m->nrwriteback)
				fail(&c, "nrwriteback differs from the tags", 0);
			spin_unlock(&m->i_pages_lock);
			errors += c.errors;
			pages += c.nr;
			dirty += c.tag_dirty;
			writeback += c.tag_writeback;
		}
	}
	spin_unlock(&inode_lock);

	if ((flags & WRITEBACK_CHECK_QUIESCENT)) {
		if ((long)pages != node_page_state(NR_FILE_PAGES)) {
			pr_err("writeback_check: %lu cached pages, NR_FILE_PAGES "
			       "%ld", pages, node_page_state(NR_FILE_PAGES));
			errors++;
		}
		if ((long)dirty != node_page_state(NR_FILE_DIRTY)) {
			pr_err("writeback_check: %lu dirty pages, NR_FILE_DIRTY "
			       "%ld", dirty, node_page_state(NR_FILE_DIRTY));
			errors++;
		}
		if ((long)writeback != node_page_state(NR_WRITEBACK)) {
			pr_err("writeback_check: %lu writeback pages, "
			       "NR_WRITEBACK %ld", writeback,
			       node_page_state(NR_WRITEBACK));
			errors++;
		}
		if ((long)(dirty + writeback) !=
		    global_zone_page_state(NR_ZONE_WRITE_PENDING)) {
			pr_err("writeback_check: %lu write-pending pages, "
			       "NR_ZONE_WRITE_PENDING %ld", dirty + writeback,
			       global_zone_page_state(NR_ZONE_WRITE_PENDING));
			errors++;
		}
	}
	return errors;
}
