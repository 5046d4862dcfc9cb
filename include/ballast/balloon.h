// SPDX-License-Identifier: MIT
/*
 * balloon.h - the balloon framework (layer 9): the pages a balloon driver
 * has taken from the guest and given to the host.
 *
 * A ballooned page has type PGTY_OFFLINE and PG_movable_ops, is on its
 * device's page list, and has ->private pointing to its balloon_dev_info.
 * Compaction may isolate it (it then leaves the list, and ->private still
 * names the device) and migrate it through the device's migratepage
 * callback.
 *
 * Rules for users (the two rules of ->private):
 *  1. page->private points to the device exactly while the page is on the
 *     device's list or isolated from it, and it is set and cleared only
 *     under balloon_pages_lock. "Is this a balloon page of device D" is
 *     answered by reading ->private under that lock, nothing else (bugs 2
 *     and 3 of ARCHITECTURE.md).
 *  2. Never allocate while holding balloon_pages_lock or any lock the
 *     driver's OOM notifier takes: allocate with balloon_page_alloc() first,
 *     then enqueue (bug 1).
 *  3. A dequeued page belongs to the caller, who tells the host (if the
 *     device requires it) and then frees it with put_page().
 *  4. No page lock is taken anywhere in the balloon's paths.
 */
#ifndef BALLAST_BALLOON_H
#define BALLAST_BALLOON_H

#include <ballast/migrate.h>

/*
 * balloon_pages_lock - protects every balloon's page list, counts and
 * isolation_blocked, and the ->private of every balloon page (a leaf
 * spinlock).
 */
extern spinlock_t balloon_pages_lock;

struct balloon_dev_info;

/*
 * Called by compaction to move the isolated balloon page @page to @newpage
 * (which has one reference, from the compaction allocator). The driver
 * tells the host about @newpage, takes its own reference on it and
 * enqueues it with balloon_page_insert_isolated(), finalizes @page with
 * balloon_page_finalize() and tells the host it left; it drops its
 * reference on @page then, or - if the host must be told first
 * (MUST_TELL_HOST) - once the host acknowledged that.
 * Context: no framework lock held (the callback takes its own and
 * balloon_pages_lock); may sleep in MIGRATE_SYNC* modes, though a driver
 * should not wait for a device there (the virtio driver never does);
 * must not allocate with direct reclaim; called from compaction, possibly
 * inside direct reclaim or an allocation's slow path.
 * Return: 0, or a negative errno (the page stays isolated; -EAGAIN: try
 * again later).
 */
typedef int (*balloon_migrate_fn)(struct balloon_dev_info *b_dev_info,
				  struct page *newpage, struct page *page,
				  enum migrate_mode mode);

/*
 * struct balloon_dev_info - one balloon device.
 * pages, isolated_pages, nr_pages, isolation_blocked: balloon_pages_lock.
 * migratepage, adjust_managed_page_count: immutable after init.
 */
struct balloon_dev_info {
	struct list_head pages;		/* pages in the balloon, not isolated */
	unsigned long nr_pages;		/* on the list + isolated */
	unsigned long isolated_pages;	/* isolated for migration */
	bool isolation_blocked;		/* balloon_page_isolate() refuses */
	balloon_migrate_fn migratepage;	/* NULL: pages do not migrate */
	bool adjust_managed_page_count;	/* ballooned pages leave managed memory */
};

/**
 * balloon_init() / balloon_exit() - register the balloon's movable-ops
 * callbacks for PGTY_OFFLINE pages.
 * Context: initialisation / exit, no locks held (takes and releases the
 * movable-ops registry's spinlock); never sleeps; no allocation; not from
 * reclaim.
 * Return: 0, or -EBUSY if another owner holds PGTY_OFFLINE.
 */
int __must_check balloon_init(void);
void balloon_exit(void);

/**
 * balloon_devinfo_init() - initialise @b_dev_info (empty balloon).
 * @migratepage: the driver's migration callback; NULL: pages never move.
 * @adjust_managed_page_count: ballooned pages leave the zones' managed
 * pages while in the balloon.
 * Context: @b_dev_info is not yet in use, no lock taken; never sleeps; no
 * allocation; callable from any context.
 */
void balloon_devinfo_init(struct balloon_dev_info *b_dev_info,
			  balloon_migrate_fn migratepage,
			  bool adjust_managed_page_count);

/**
 * balloon_page_alloc() - allocate a page to put into a balloon, with
 * GFP_HIGHUSER_MOVABLE | __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN:
 * movable, never from the reserves, never retrying hard, never reaching
 * the OOM notifiers.
 *
 * Context: must not hold balloon_pages_lock or any lock the OOM notifiers
 * take (rule 2); may sleep; allocates with the mask above; may enter
 * direct reclaim (not the OOM path), so not from reclaim or an OOM
 * notifier.
 * Return: the page, or NULL if memory is short (back off).
 */
struct page *balloon_page_alloc(void);

/**
 * balloon_page_enqueue() - put a page from balloon_page_alloc() into the
 * balloon: type offline, PG_movable_ops, ->private = @b_dev_info, on the
 * list; counts balloon_inflate and nr_balloon_pages.
 * balloon_page_list_enqueue() - the same for every page on @pages.
 *
 * A page that is not PGTY_NONE is misuse: reported, not enqueued, not
 * counted, and left with the caller (on @pages for the list variant, which
 * is otherwise emptied).
 *
 * Context: takes and releases balloon_pages_lock; never sleeps; no
 * allocation; callable from reclaim and OOM notifiers.
 * Return (list): number of pages enqueued.
 */
void balloon_page_enqueue(struct balloon_dev_info *b_dev_info,
			  struct page *page);
size_t balloon_page_list_enqueue(struct balloon_dev_info *b_dev_info,
				 struct list_head *pages);

/**
 * balloon_page_dequeue() - take one page out of the balloon (not an
 * isolated one), finalized: type none, no PG_movable_ops, ->private 0;
 * counts balloon_deflate. The caller owns it (rule 3).
 * balloon_page_list_dequeue() - up to @n_req_pages pages onto @pages.
 *
 * Context: takes and releases balloon_pages_lock; never sleeps; no
 * allocation; callable from reclaim and OOM notifiers.
 * Return: the page, or NULL if every page is isolated or the balloon is
 * empty; (list) the number of pages dequeued.
 */
struct page *balloon_page_dequeue(struct balloon_dev_info *b_dev_info);
size_t balloon_page_list_dequeue(struct balloon_dev_info *b_dev_info,
				 struct list_head *pages, size_t n_req_pages);

/**
 * balloon_page_insert_isolated() - migration step 1, for the driver's
 * migratepage callback: enqueue @newpage in place of an isolated page
 * (the isolated count drops by one, nr_pages is unchanged); counts
 * balloon_migrate.
 * balloon_page_finalize() - migration step 2: @page (isolated, replaced)
 * is no longer a balloon page.
 *
 * Context: take and release balloon_pages_lock; never sleep; no
 * allocation; callable from compaction, reclaim and OOM notifiers.
 * Return (insert): 0; -EINVAL if @newpage is not PGTY_NONE (misuse,
 * reported; nothing changed).
 */
int __must_check balloon_page_insert_isolated(
	struct balloon_dev_info *b_dev_info, struct page *newpage);
void balloon_page_finalize(struct page *page);

/**
 * balloon_page_device() - the device of a balloon page (rule 1).
 * Context: caller holds balloon_pages_lock (asserted); never sleeps; no
 * allocation; callable from reclaim and OOM notifiers.
 * Return: the device, or NULL if @page is not (or no longer) in a balloon.
 */
struct balloon_dev_info *balloon_page_device(struct page *page);

/**
 * balloon_dev_counts() - snapshot of nr_pages and isolated_pages under
 * balloon_pages_lock.
 * Context: takes and releases balloon_pages_lock; never sleeps; no
 * allocation; callable from reclaim and OOM notifiers.
 */
void balloon_dev_counts(struct balloon_dev_info *b_dev_info,
			unsigned long *nr_pages, unsigned long *isolated);

/**
 * balloon_block_isolation() - while @blocked, compaction cannot isolate
 * this device's pages (pages already isolated stay so until migrated or
 * put back). With the driver's own lock held (no enqueue or dequeue) and
 * no page isolated, the list is then stable across calls of
 * balloon_page_list_pfns().
 * Context: takes and releases balloon_pages_lock; never sleeps; no
 * allocation; callable from reclaim and OOM notifiers.
 */
void balloon_block_isolation(struct balloon_dev_info *b_dev_info,
			     bool blocked);

/**
 * balloon_page_list_pfns() - continue a walk of the list: copy the pfns of
 * up to @max listed pages, in list order, into @pfns, starting after
 * *@pos (NULL: at the head); *@pos becomes the last page copied. The
 * walk visits every listed page once only while the list is stable (see
 * balloon_block_isolation()); each call is O(@max).
 * Context: takes and releases balloon_pages_lock; never sleeps; no
 * allocation; callable from reclaim and OOM notifiers.
 * Return: the number copied (0 at the end of the list).
 */
size_t balloon_page_list_pfns(struct balloon_dev_info *b_dev_info,
			      struct page **pos, uint32_t *pfns, size_t max);

/**
 * balloon_check() - verify @b_dev_info: every listed page is offline,
 * movable-ops, points to the device, is not isolated and appears once;
 * listed + isolated = nr_pages. Meaningful only at a quiescent point:
 * PG_isolated is set just before balloon_page_isolate() takes a page off
 * the list and cleared just after balloon_page_putback() puts it back
 * (migrate.h rule 1), so a check racing compaction may see a listed page
 * that is already marked isolated.
 * Context: takes and releases balloon_pages_lock; never sleeps; no
 * allocation; not meant for reclaim (a walk of the whole list under a
 * spinlock).
 * Return: number of violations printed.
 */
unsigned long balloon_check(struct balloon_dev_info *b_dev_info);

#endif /* BALLAST_BALLOON_H */
