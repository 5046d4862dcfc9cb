// SPDX-License-Identifier: MIT
/*
 * filemap.c - the page cache: lookup, insertion (allocate, preload, then
 * lock), removal, dirty and writeback accounting, reading through pread,
 * writing through the cache, invalidation, and the file ops registered
 * with reclaim.
 *
 * Invariants and locking:
 *  - A page is in the cache of @mapping iff the index has it at
 *    page->index; then page->mapping == @mapping, the page holds one
 *    reference for the cache, NR_FILE_PAGES counts it and it is on the
 *    file LRU (unless isolated). mapping->nrpages counts the entries.
 *  - mapping->i_pages_lock (spinlock, one class for all mappings) protects
 *    the index, its tags, nrpages/nrdirty/nrwriteback, and the
 *    ->mapping/->index of pages entering or leaving. Those two fields also
 *    need the page lock (writeback.h rule 1).
 *  - DIRTY tag <=> PG_dirty and WRITEBACK tag <=> PG_writeback for pages
 *    in the cache, nrdirty/nrwriteback count the tags; both change with
 *    the page locked (set_page_dirty, clear_page_dirty_for_io,
 *    page_start_writeback), except the end of writeback, which needs no
 *    page lock: a page under writeback is never removed from the cache.
 *  - Gauges: NR_FILE_DIRTY and NR_ZONE_WRITE_PENDING count dirty pages,
 *    NR_WRITEBACK and NR_ZONE_WRITE_PENDING pages under writeback.
 *  - Allocation happens with no lock held: the new page and the index
 *    nodes (page_index_preload) first, then the new page is trylocked
 *    (nobody else can see it, so the trylock succeeds and orders
 *    nothing), then inserted under i_pages_lock. No page lock is ever
 *    held across an allocation or a writeback wait.
 *  - Readers copy under the page lock, so a copy never races with a
 *    writer's copy into the same page.
 *  - Lock order: PG_locked -> i_pages_lock; PG_locked -> lru_lock;
 *    PG_locked -> wb_lock (mapping_mark_dirty). i_pages_lock is a leaf
 *    except for vmstat atomics.
 *  - The backing file's contents are untrusted only in size: a short
 *    pread zero-fills the rest of the page.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* The largest file offset ballast caches: 2^52 bytes. */
#define MAX_LFS_BYTES (1LL << 52)

struct page *find_get_page(struct address_space *mapping, pgoff_t index)
{
	struct page *page;

	spin_lock(&mapping->i_pages_lock);
	page = page_index_lookup(&mapping->i_pages, index);
	if (page)
		get_page(page);
	spin_unlock(&mapping->i_pages_lock);
	return page;
}

struct page *find_lock_page(struct address_space *mapping, pgoff_t index)
{
	struct page *page;

	for (;;) {
		page = find_get_page(mapping, index);
		if (!page)
			return NULL;
		lock_page(page);
		if (likely(page->mapping == mapping && page->index == index))
			return page;
		/* Removed while we slept on its lock. */
		unlock_page(page);
		put_page(page);
	}
}

static int nodes_needed(struct address_space *mapping, pgoff_t index)
{
	int nr;

	spin_lock(&mapping->i_pages_lock);
	nr = page_index_nodes_needed(&mapping->i_pages, index);
	spin_unlock(&mapping->i_pages_lock);
	return nr;
}

/*
 * Insert @page (new, locked by us, with the caller's reference) at
 * @index. Returns 0 (the cache took its reference), -EEXIST, or -ENOMEM
 * if the preloaded nodes ran short (the caller preloads more, with the
 * page unlocked, and retries).
 */
static int add_to_page_cache_locked(struct page *page,
				    struct address_space *mapping,
				    pgoff_t index, struct pi_preload *pl)
{
	int ret;

	page->mapping = mapping;
	page->index = index;
	spin_lock(&mapping->i_pages_lock);
	ret = page_index_insert(&mapping->i_pages, index, page, pl);
	if (!ret) {
		get_page(page);
		mapping->nrpages++;
	}
	spin_unlock(&mapping->i_pages_lock);
	if (ret) {
		page->mapping = NULL;
		page->index = 0;
		return ret;
	}
	mod_node_page_state(NR_FILE_PAGES, 1);
	return 0;
}

static gfp_t page_alloc_gfp(struct address_space *mapping, gfp_t gfp)
{
	return (mapping->gfp_mask & ~GFP_RECLAIM_MASK) |
	       (gfp & GFP_RECLAIM_MASK) | __GFP_ACCOUNT;
}

struct page *find_or_create_page(struct address_space *mapping,
				 pgoff_t index, gfp_t gfp)
{
	struct pi_preload pl = { 0 };
	struct page *page;
	int ret;

	might_alloc(gfp);
repeat:
	page = find_lock_page(mapping, index);
	if (page)
		return page;
	/* Everything that may enter reclaim happens before the lock. */
	page = alloc_page(page_alloc_gfp(mapping, gfp));
	if (!page)
		goto nomem;
	for (;;) {
		if (page_index_preload(&pl, nodes_needed(mapping, index),
				       gfp & GFP_RECLAIM_MASK)) {
			put_page(page);
			goto nomem;
		}
		if (!trylock_page(page)) {	/* private: cannot fail */
			WARN_ON_ONCE(1);
			lock_page(page);
		}
		ret = add_to_page_cache_locked(page, mapping, index, &pl);
		if (ret != -ENOMEM)
			break;
		unlock_page(page);	/* the tree grew: preload more */
	}
	page_index_preload_end(&pl);
	if (ret == -EEXIST) {
		unlock_page(page);
		put_page(page);
		goto repeat;
	}
	lru_cache_add(page);
	return page;
nomem:
	page_index_preload_end(&pl);
	return NULL;
}

void delete_from_page_cache_locked(struct address_space *mapping,
				   struct page *page, struct pi_node **freed)
{
	lockdep_assert_held(&mapping->i_pages_lock);
	page_index_delete(&mapping->i_pages, page->index, freed);
	page->mapping = NULL;
	mapping->nrpages--;
	mod_node_page_state(NR_FILE_PAGES, -1);
}

/* ------------------------------------------------------------------ */
/* Dirty and writeback state                                            */
/* ------------------------------------------------------------------ */

void pagecache_account_dirty(struct page *page, long delta)
{
	mod_node_page_state(NR_FILE_DIRTY, delta);
	mod_zone_page_state(page_zone(page), NR_ZONE_WRITE_PENDING, delta);
	if (delta > 0)
		mod_node_page_state(NR_DIRTIED, delta);
}

bool set_page_dirty(struct page *page)
{
	struct address_space *mapping = page->mapping;

	if (WARN_ON_ONCE(!PageLocked(page)))
		return false;
	if (TestSetPageDirty(page))
		return false;
	if (!mapping)
		return true;
	spin_lock(&mapping->i_pages_lock);
	page_index_tag_set(&mapping->i_pages, page->index,
			   PAGECACHE_TAG_DIRTY);
	mapping->nrdirty++;
	spin_unlock(&mapping->i_pages_lock);
	pagecache_account_dirty(page, 1);
	mapping_mark_dirty(mapping);
	return true;
}

bool clear_page_dirty_for_io(struct page *page)
{
	struct address_space *mapping = page->mapping;

	if (WARN_ON_ONCE(!PageLocked(page)))
		return false;
	if (!TestClearPageDirty(page))
		return false;
	if (!mapping)
		return true;
	spin_lock(&mapping->i_pages_lock);
	page_index_tag_clear(&mapping->i_pages, page->index,
			     PAGECACHE_TAG_DIRTY);
	mapping->nrdirty--;
	spin_unlock(&mapping->i_pages_lock);
	pagecache_account_dirty(page, -1);
	return true;
}

/* The page is locked and was just cleared for I/O. */
void page_start_writeback(struct page *page)
{
	struct address_space *mapping = page->mapping;

	if (WARN_ON_ONCE(set_page_writeback(page)))
		return;
	spin_lock(&mapping->i_pages_lock);
	page_index_tag_set(&mapping->i_pages, page->index,
			   PAGECACHE_TAG_WRITEBACK);
	mapping->nrwriteback++;
	spin_unlock(&mapping->i_pages_lock);
	mod_node_page_state(NR_WRITEBACK, 1);
	mod_zone_page_state(page_zone(page), NR_ZONE_WRITE_PENDING, 1);
}

/*
 * I/O on @page is over. ->mapping is stable without the page lock: a page
 * under writeback is never removed from the cache.
 */
void page_end_writeback(struct page *page)
{
	struct address_space *mapping = page->mapping;

	/* Reclaim marked it: move it where the next scan frees it. */
	if (PageReclaim(page))
		rotate_reclaimable_page(page);
	spin_lock(&mapping->i_pages_lock);
	page_index_tag_clear(&mapping->i_pages, page->index,
			     PAGECACHE_TAG_WRITEBACK);
	mapping->nrwriteback--;
	spin_unlock(&mapping->i_pages_lock);
	mod_node_page_state(NR_WRITEBACK, -1);
	mod_zone_page_state(page_zone(page), NR_ZONE_WRITE_PENDING, -1);
	mod_node_page_state(NR_WRITTEN, 1);
	end_page_writeback(page);
}

void mapping_set_error(struct address_space *mapping, int err)
{
	if (err)
		errseq_set(&mapping->wb_err, err);
}

/* ------------------------------------------------------------------ */
/* Reading                                                               */
/* ------------------------------------------------------------------ */

int backing_read_page(struct address_space *mapping, struct page *page)
{
	loff_t pos = (loff_t)page->index << PAGE_SHIFT;
	loff_t size = i_size_read(mapping);
	char *addr = page_address(page);
	size_t want = 0, done = 0;

	if (pos < size)
		want = (size_t)min((loff_t)PAGE_SIZE, size - pos);
	while (done < want) {
		ssize_t n = pread(mapping->fd, addr + done, want - done,
				  pos + (loff_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -EIO;
		if (n == 0)
			break;		/* the file is shorter than i_size */
		done += (size_t)n;
	}
	memset(addr + done, 0, PAGE_SIZE - done);
	SetPageUptodate(page);
	wb_count(pages_read, 1);
	return 0;
}

/*
 * The page at @index, locked and uptodate, with a reference (read in if
 * needed); NULL and *@err on failure.
 */
static struct page *get_locked_uptodate(struct address_space *mapping,
					pgoff_t index, gfp_t gfp, int *err)
{
	struct page *page = find_or_create_page(mapping, index, gfp);

	if (!page) {
		*err = -ENOMEM;
		return NULL;
	}
	if (!PageUptodate(page)) {
		*err = mapping->a_ops->read_page(mapping, page);
		if (*err) {
			unlock_page(page);
			put_page(page);
			return NULL;
		}
	}
	return page;
}

int filemap_read_page(struct address_space *mapping, pgoff_t index,
		      gfp_t gfp, struct page **pagep)
{
	struct page *page = find_get_page(mapping, index);
	int err = 0;

	if (page && PageUptodate(page)) {
		*pagep = page;
		return 0;
	}
	if (page)
		put_page(page);
	page = get_locked_uptodate(mapping, index, gfp, &err);
	if (!page)
		return err;
	unlock_page(page);
	*pagep = page;
	return 0;
}

ssize_t filemap_read(struct address_space *mapping, loff_t pos, void *buf,
		     size_t len)
{
	loff_t size = i_size_read(mapping);
	size_t done = 0;

	might_alloc(GFP_KERNEL);
	if (pos < 0)
		return -EINVAL;
	if (pos >= size)
		return 0;
	len = (size_t)min((loff_t)len, size - pos);
	while (done < len) {
		pgoff_t index = (pgoff_t)(pos >> PAGE_SHIFT);
		size_t off = (size_t)(pos & (PAGE_SIZE - 1));
		size_t n = min(PAGE_SIZE - off, len - done);
		struct page *page = find_get_page(mapping, index);
		int err = 0;

		if (page) {
			lock_page(page);
			if (page->mapping != mapping || !PageUptodate(page)) {
				unlock_page(page);
				put_page(page);
				page = NULL;
			}
		}
		if (!page)
			page = get_locked_uptodate(mapping, index, GFP_KERNEL,
						   &err);
		if (!page)
			return done ? (ssize_t)done : err;
		memcpy((char *)buf + done, (char *)page_address(page) + off, n);
		unlock_page(page);
		mark_page_accessed(page);
		put_page(page);
		done += n;
		pos += (loff_t)n;
	}
	return (ssize_t)done;
}

/* ------------------------------------------------------------------ */
/* Writing                                                               */
/* ------------------------------------------------------------------ */

static void i_size_extend(struct address_space *mapping, loff_t end)
{
	long long old = atomic_load(&mapping->i_size);

	while (old < end &&
	       !atomic_compare_exchange_weak(&mapping->i_size, &old, end))
		;
}

ssize_t filemap_write(struct address_space *mapping, loff_t pos,
		      const void *buf, size_t len)
{
	size_t done = 0;

	might_alloc(GFP_KERNEL);
	if (pos < 0)
		return -EINVAL;
	if (pos + (loff_t)len > MAX_LFS_BYTES || pos + (loff_t)len < pos)
		return -EFBIG;
	while (done < len) {
		pgoff_t index = (pgoff_t)(pos >> PAGE_SHIFT);
		size_t off = (size_t)(pos & (PAGE_SIZE - 1));
		size_t n = min(PAGE_SIZE - off, len - done);
		struct page *page;

		page = find_or_create_page(mapping, index, GFP_KERNEL);
		if (!page)
			return done ? (ssize_t)done : -ENOMEM;
		if (!PageUptodate(page) && n != PAGE_SIZE) {
			int err = mapping->a_ops->read_page(mapping, page);

			if (err) {
				unlock_page(page);
				put_page(page);
				return done ? (ssize_t)done : err;
			}
		}
		memcpy((char *)page_address(page) + off, (const char *)buf + done,
		       n);
		SetPageUptodate(page);
		i_size_extend(mapping, pos + (loff_t)n);
		set_page_dirty(page);
		unlock_page(page);
		put_page(page);
		done += n;
		pos += (loff_t)n;
		balance_dirty_pages_ratelimited(mapping);
	}
	return (ssize_t)done;
}

/* ------------------------------------------------------------------ */
/* Invalidation and the reclaim file ops                                 */
/* ------------------------------------------------------------------ */

/*
 * Remove a locked, clean page if only the cache and @extra other
 * references (the caller's) hold it. Returns true if removed; the
 * caller's references remain.
 */
static bool remove_page_if_unused(struct address_space *mapping,
				  struct page *page, int extra)
{
	struct pi_node *freed = NULL;
	bool removed = false;

	spin_lock(&mapping->i_pages_lock);
	if (page->mapping == mapping && !PageDirty(page) &&
	    !PageWriteback(page) && page_mapcount(page) == 0 &&
	    page_ref_freeze(page, 1 + extra)) {
		if (PageDirty(page)) {
			page_ref_unfreeze(page, 1 + extra);
		} else {
			delete_from_page_cache_locked(mapping, page, &freed);
			page_ref_unfreeze(page, extra);
			removed = true;
		}
	}
	spin_unlock(&mapping->i_pages_lock);
	page_index_free_nodes(freed);
	return removed;
}

unsigned long invalidate_mapping_pages(struct address_space *mapping)
{
	void *pages[16];
	pgoff_t indices[16], index = 0;
	unsigned long dropped = 0;
	unsigned int n;

	do {
		spin_lock(&mapping->i_pages_lock);
		n = page_index_gang_lookup(&mapping->i_pages, index, -1, pages,
					   indices, ARRAY_SIZE(pages));
		for (unsigned int i = 0; i < n; i++)
			get_page(pages[i]);
		spin_unlock(&mapping->i_pages_lock);
		for (unsigned int i = 0; i < n; i++) {
			struct page *page = pages[i];

			if (trylock_page(page)) {
				if (remove_page_if_unused(mapping, page, 1))
					dropped++;
				unlock_page(page);
			}
			put_page(page);
		}
		if (n)
			index = indices[n - 1] + 1;
	} while (n == ARRAY_SIZE(pages));
	return dropped;
}

static int backing_writepage(struct page *page, struct writeback_control *wbc)
{
	struct address_space *mapping = page->mapping;
	int err;

	if (!clear_page_dirty_for_io(page)) {
		unlock_page(page);
		return 0;
	}
	page_start_writeback(page);
	unlock_page(page);
	get_page(page);		/* the submission's reference */
	err = writeback_submit(mapping, &page, 1);
	wbc->pages_written++;
	return err;
}

const struct address_space_operations backing_file_aops = {
	.writepage = backing_writepage,
	.read_page = backing_read_page,
};

/* reclaim file ops: called with the page locked and isolated. */
static int pagecache_writepage(struct page *page, gfp_t gfp)
{
	struct writeback_control wbc = {
		.sync_mode = WB_SYNC_NONE,
		.nr_to_write = 1,
		.for_reclaim = true,
	};
	struct address_space *mapping = page->mapping;

	if (!mapping) {
		unlock_page(page);
		return -EAGAIN;
	}
	return mapping->a_ops->writepage(page, &wbc);
}

static bool pagecache_remove_mapping(struct page *page)
{
	struct address_space *mapping = page->mapping;

	/* The reclaimer's isolation reference is the one extra. */
	return mapping && remove_page_if_unused(mapping, page, 1);
}

static const struct reclaim_file_ops pagecache_file_ops = {
	.writepage = pagecache_writepage,
	.remove_mapping = pagecache_remove_mapping,
	.wakeup_flusher = wakeup_flusher_threads,
};

const struct reclaim_ops pagecache_reclaim_ops = {
	.file = &pagecache_file_ops,
};
