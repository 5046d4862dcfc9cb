// SPDX-License-Identifier: MIT
/*
 * balloon.c - the balloon framework: page list, enqueue/dequeue, and the
 * isolation/migration callbacks that let compaction move ballooned pages.
 *
 * Invariants and locking:
 *  - balloon_pages_lock (spinlock, a leaf) protects each device's list,
 *    nr_pages, isolated_pages and isolation_blocked, and ->private of
 *    every balloon page.
 *  - A page is in exactly one of: the caller's hands (allocated, not yet
 *    enqueued / dequeued and finalized), device D's list, or isolated from
 *    D. In the last two states: type PGTY_OFFLINE, PG_movable_ops,
 *    ->private == D, refcount >= 1 (the balloon's reference; isolation
 *    adds one). Listed + isolated = D->nr_pages.
 *  - Only a PGTY_NONE page enters a balloon. Any other is misuse: reported
 *    (page_set_type()), not enqueued, not counted, left with the caller.
 *  - Isolation looks the device up through ->private under the lock, so a
 *    page deflated meanwhile (->private cleared) is refused: "on the list"
 *    is decided by one lock, never by the page lock (there is none here).
 *  - NR_BALLOON_PAGES counts pages in balloons (listed + isolated);
 *    balloon_inflate / balloon_deflate / balloon_migrate count events.
 *  - Nothing here allocates or sleeps; allocation happens in
 *    balloon_page_alloc() with no lock held.
 */
#include <ballast/balloon.h>

#include <errno.h>

DEFINE_SPINLOCK(balloon_pages_lock);

void balloon_devinfo_init(struct balloon_dev_info *b_dev_info,
			  balloon_migrate_fn migratepage,
			  bool adjust_managed_page_count)
{
	INIT_LIST_HEAD(&b_dev_info->pages);
	b_dev_info->nr_pages = 0;
	b_dev_info->isolated_pages = 0;
	b_dev_info->isolation_blocked = false;
	b_dev_info->migratepage = migratepage;
	b_dev_info->adjust_managed_page_count = adjust_managed_page_count;
}

struct page *balloon_page_alloc(void)
{
	return alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOMEMALLOC |
			  __GFP_NORETRY | __GFP_NOWARN);
}

struct balloon_dev_info *balloon_page_device(struct page *page)
{
	lockdep_assert_held(&balloon_pages_lock);
	return (struct balloon_dev_info *)page->private;
}

/*
 * Make @page (offline already) a balloon page of @b_dev_info; lock held.
 * The type is set before, outside the lock: the page is still the
 * caller's, and without ->private isolation refuses it.
 */
static void balloon_page_insert(struct balloon_dev_info *b_dev_info,
				struct page *page)
{
	lockdep_assert_held(&balloon_pages_lock);
	if (b_dev_info->migratepage)
		SetPageMovableOps(page);
	page->private = (unsigned long)b_dev_info;
	list_add(&page->lru, &b_dev_info->pages);
}

/*
 * Pages entering (@sign -1) or leaving (+1) a balloon that does not count
 * as managed memory: one adjustment per zone, so the watermarks are
 * recomputed once per batch, not once per page.
 */
static void balloon_adjust_managed(struct balloon_dev_info *b_dev_info,
				   struct list_head *pages, long sign)
{
	long delta[MAX_NR_ZONES] = { 0 };
	struct page *first[MAX_NR_ZONES] = { NULL };
	struct page *page;

	if (!b_dev_info->adjust_managed_page_count)
		return;
	list_for_each_entry(page, pages, lru) {
		enum zone_type z = page_zone(page)->idx;

		delta[z] += sign;
		if (!first[z])
			first[z] = page;
	}
	for (int z = 0; z < MAX_NR_ZONES; z++)
		if (delta[z])
			adjust_managed_page_count(first[z], delta[z]);
}

size_t balloon_page_list_enqueue(struct balloon_dev_info *b_dev_info,
				 struct list_head *pages)
{
	struct page *page, *next;
	LIST_HEAD(refused);
	size_t n = 0;

	/* A page of another type is misuse (reported): it stays the caller's. */
	list_for_each_entry_safe(page, next, pages, lru)
		if (!page_set_type(page, PGTY_OFFLINE))
			list_move_tail(&page->lru, &refused);
	balloon_adjust_managed(b_dev_info, pages, -1);
	spin_lock(&balloon_pages_lock);
	list_for_each_entry_safe(page, next, pages, lru) {
		list_del(&page->lru);
		balloon_page_insert(b_dev_info, page);
		n++;
	}
	b_dev_info->nr_pages += n;
	spin_unlock(&balloon_pages_lock);
	list_splice_tail_init(&refused, pages);
	count_vm_events(BALLOON_INFLATE, n);
	mod_node_page_state(NR_BALLOON_PAGES, (long)n);
	return n;
}

void balloon_page_enqueue(struct balloon_dev_info *b_dev_info,
			  struct page *page)
{
	LIST_HEAD(one);

	list_add(&page->lru, &one);
	if (!balloon_page_list_enqueue(b_dev_info, &one))
		list_del_init(&page->lru);	/* refused: off our stack */
}

/* No longer a balloon page; lock held; @page is off the list. */
static void balloon_page_clear_locked(struct page *page)
{
	page->private = 0;
	ClearPageMovableOps(page);
	page_clear_type(page, PGTY_OFFLINE);
}

size_t balloon_page_list_dequeue(struct balloon_dev_info *b_dev_info,
				 struct list_head *pages, size_t n_req_pages)
{
	LIST_HEAD(taken);
	size_t n = 0;

	spin_lock(&balloon_pages_lock);
	while (n < n_req_pages && !list_empty(&b_dev_info->pages)) {
		struct page *page = list_first_entry(&b_dev_info->pages,
						     struct page, lru);

		list_move_tail(&page->lru, &taken);
		balloon_page_clear_locked(page);
		n++;
	}
	b_dev_info->nr_pages -= n;
	spin_unlock(&balloon_pages_lock);
	if (n) {
		count_vm_events(BALLOON_DEFLATE, n);
		mod_node_page_state(NR_BALLOON_PAGES, -(long)n);
		balloon_adjust_managed(b_dev_info, &taken, 1);
		list_splice_tail_init(&taken, pages);
	}
	return n;
}

struct page *balloon_page_dequeue(struct balloon_dev_info *b_dev_info)
{
	LIST_HEAD(pages);
	struct page *page;

	if (balloon_page_list_dequeue(b_dev_info, &pages, 1) != 1)
		return NULL;
	page = list_first_entry(&pages, struct page, lru);
	list_del_init(&page->lru);
	return page;
}

int balloon_page_insert_isolated(struct balloon_dev_info *b_dev_info,
				 struct page *newpage)
{
	if (!page_set_type(newpage, PGTY_OFFLINE))
		return -EINVAL;		/* misuse, reported */
	spin_lock(&balloon_pages_lock);
	balloon_page_insert(b_dev_info, newpage);
	b_dev_info->isolated_pages--;
	spin_unlock(&balloon_pages_lock);
	count_vm_event(BALLOON_MIGRATE);
	return 0;
}

void balloon_page_finalize(struct page *page)
{
	spin_lock(&balloon_pages_lock);
	balloon_page_clear_locked(page);
	spin_unlock(&balloon_pages_lock);
}

void balloon_dev_counts(struct balloon_dev_info *b_dev_info,
			unsigned long *nr_pages, unsigned long *isolated)
{
	spin_lock(&balloon_pages_lock);
	*nr_pages = b_dev_info->nr_pages;
	*isolated = b_dev_info->isolated_pages;
	spin_unlock(&balloon_pages_lock);
}

/* ------------------------------------------------------------------ */
/* Movable-ops callbacks                                                 */
/* ------------------------------------------------------------------ */

static bool balloon_page_isolate(struct page *page, isolate_mode_t mode)
{
	struct balloon_dev_info *b_dev_info;

	spin_lock(&balloon_pages_lock);
	b_dev_info = balloon_page_device(page);
	if (!b_dev_info || !b_dev_info->migratepage ||
	    b_dev_info->isolation_blocked) {
		/* Deflated meanwhile, or a device that does not migrate now. */
		spin_unlock(&balloon_pages_lock);
		return false;
	}
	list_del(&page->lru);
	b_dev_info->isolated_pages++;
	spin_unlock(&balloon_pages_lock);
	return true;
}

static void balloon_page_putback(struct page *page)
{
	struct balloon_dev_info *b_dev_info;

	spin_lock(&balloon_pages_lock);
	b_dev_info = balloon_page_device(page);
	if (!WARN_ON_ONCE(!b_dev_info)) {
		list_add(&page->lru, &b_dev_info->pages);
		b_dev_info->isolated_pages--;
	}
	spin_unlock(&balloon_pages_lock);
}

static int balloon_page_migrate(struct page *newpage, struct page *page,
				enum migrate_mode mode)
{
	struct balloon_dev_info *b_dev_info;

	/* Isolated: ->private cannot change under us. */
	spin_lock(&balloon_pages_lock);
	b_dev_info = balloon_page_device(page);
	spin_unlock(&balloon_pages_lock);
	if (WARN_ON_ONCE(!b_dev_info))
		return -EAGAIN;
	return b_dev_info->migratepage(b_dev_info, newpage, page, mode);
}

static const struct movable_operations balloon_mops = {
	.isolate_page = balloon_page_isolate,
	.migrate_page = balloon_page_migrate,
	.putback_page = balloon_page_putback,
};

int balloon_init(void)
{
	return set_movable_ops(&balloon_mops, PGTY_OFFLINE);
}

void balloon_exit(void)
{
	clear_movable_ops(&balloon_mops, PGTY_OFFLINE);
}

void balloon_block_isolation(struct balloon_dev_info *b_dev_info,
			     bool blocked)
{
	spin_lock(&balloon_pages_lock);
	b_dev_info->isolation_blocked = blocked;
	spin_unlock(&balloon_pages_lock);
}

size_t balloon_page_list_pfns(struct balloon_dev_info *b_dev_info,
			      struct page **pos, uint32_t *pfns, size_t max)
{
	struct list_head *head = &b_dev_info->pages, *next;
	size_t n = 0;

	spin_lock(&balloon_pages_lock);
	next = *pos ? (*pos)->lru.next : head->next;
	for (; n < max && next != head; next = next->next) {
		*pos = list_entry(next, struct page, lru);
		pfns[n++] = (uint32_t)page_to_pfn(*pos);
	}
	spin_unlock(&balloon_pages_lock);
	return n;
}

unsigned long balloon_check(struct balloon_dev_info *b_dev_info)
{
	unsigned long errors = 0, listed = 0;
	struct page *page;

	spin_lock(&balloon_pages_lock);
	list_for_each_entry(page, &b_dev_info->pages, lru) {
		if (!PageOffline(page) || page->private != (unsigned long)b_dev_info ||
		    PageIsolated(page) || page_ref_count(page) < 1 ||
		    (b_dev_info->migratepage && !PageMovableOps(page))) {
			if (errors++ < 10)
				pr_err("balloon_check: bad balloon page pfn %#lx",
				       page_to_pfn(page));
		}
		if (++listed > max_pfn) {
			pr_err("balloon_check: list loops");
			errors++;
			break;
		}
	}
	if (listed + b_dev_info->isolated_pages != b_dev_info->nr_pages) {
		pr_err("balloon_check: listed %lu + isolated %lu != %lu", listed,
		       b_dev_info->isolated_pages, b_dev_info->nr_pages);
		errors++;
	}
	spin_unlock(&balloon_pages_lock);
	return errors;
}
