// SPDX-License-Identifier: MIT
/*
 * migrate.c - isolation and migration of movable-ops pages.
 *
 * Invariants and locking:
 *  - movable_ops[type] is written at owner start-up and exit (under
 *    ops_lock) and read with acquire loads.
 *  - An isolated page has PG_isolated, one extra reference held by the
 *    isolator, is off its owner's structures and on exactly one isolation
 *    list (through ->lru). PG_isolated is taken with test-and-set, so two
 *    scanners cannot isolate one page. Being that claim, it is set before
 *    the owner's isolate_page takes the page off its list and cleared after
 *    putback_page puts it back: in those windows a listed page carries it
 *    (migrate.h rule 1), so owners check the two together only at
 *    quiescent points.
 *  - A page is a movable-ops page iff PG_movable_ops is set and ops are
 *    registered for its type; the owner sets and clears PG_movable_ops
 *    under its own lock. Isolation re-checks both after taking its
 *    reference, then lets the owner decide under the owner's lock.
 *  - Nothing here takes a page lock; the only lock is ops_lock (a leaf).
 *  - LRU pages are isolated with isolate_lru_page() (PG_lru clear, an
 *    isolation reference, no PG_isolated) and put back with
 *    putback_lru_page(). A mapped page first has its PTEs turned into
 *    migration entries (try_to_migrate(), vm.h rule 6), so faults wait for
 *    its lock instead of mapping something else; then a page-cache page
 *    moves through page_cache_migrate() and an anonymous one is copied
 *    here once its refcount is frozen at the isolation reference alone (a
 *    pinned page is given up); finally remove_migration_ptes() maps the new
 *    page (or the old one again, on failure). A page whose every other
 *    reference went while it was isolated (munmap, exit) is freed instead,
 *    out of NR_ISOLATED_*, and counts as migrated, as in Linux.
 *  - An LRU migration locks the source (trylock in MIGRATE_ASYNC), then
 *    the new page (trylock: nobody else knows it), holding nothing else.
 * Context: isolation and putback never sleep; migration may sleep in the
 * owner's callback and on the source's page lock in MIGRATE_SYNC* modes.
 */
#include <ballast/migrate.h>
#include <ballast/reclaim.h>
#include <ballast/vm.h>
#include <ballast/writeback.h>
#include <ballast/lib/testhook.h>

#include <errno.h>
#include <string.h>

#define MIGRATE_PASSES 10

static _Atomic(const struct movable_operations *) movable_ops[NR_PAGE_TYPES];
static DEFINE_SPINLOCK(ops_lock);

int set_movable_ops(const struct movable_operations *ops, enum page_type type)
{
	int ret = 0;

	/* An untyped page is anybody's: its PG_movable_ops names no owner. */
	if (type == PGTY_NONE || type == PGTY_BUDDY || type == PGTY_SLAB ||
	    type == PGTY_TABLE || (unsigned int)type >= NR_PAGE_TYPES || !ops)
		return -EINVAL;
	spin_lock(&ops_lock);
	if (atomic_load(&movable_ops[type]))
		ret = -EBUSY;
	else
		atomic_store_explicit(&movable_ops[type], ops,
				      memory_order_release);
	spin_unlock(&ops_lock);
	return ret;
}

void clear_movable_ops(const struct movable_operations *ops,
		       enum page_type type)
{
	if ((unsigned int)type >= NR_PAGE_TYPES)
		return;
	spin_lock(&ops_lock);
	if (atomic_load(&movable_ops[type]) == ops)
		atomic_store(&movable_ops[type], NULL);
	spin_unlock(&ops_lock);
}

const struct movable_operations *page_movable_ops(const struct page *page)
{
	if (!PageMovableOps(page))
		return NULL;
	return atomic_load_explicit(&movable_ops[page_get_type(page)],
				    memory_order_acquire);
}

bool isolate_movable_page(struct page *page, isolate_mode_t mode)
{
	const struct movable_operations *ops;

	/* A free page, or one being freed, has no owner to ask. */
	if (!get_page_unless_zero(page))
		return false;
	ops = page_movable_ops(page);
	if (!ops)
		goto out_put;
	if (TestSetPageIsolated(page))
		goto out_put;
	/* Test builds: let a test run deflation right here (bug 3). */
	TEST_HOOK("migrate.isolate_movable_page", page);
	if (!ops->isolate_page(page, mode)) {
		ClearPageIsolated(page);
		goto out_put;
	}
	return true;

out_put:
	put_page(page);
	return false;
}

bool isolate_migratable_lru_page(struct page *page)
{
	bool ok = false;

	if (!PageLRU(page) || !get_page_unless_zero(page))
		return false;
	/*
	 * Flags only, re-checked under the page lock at migration. Every LRU
	 * page is anonymous or page cache; ->mapping is not looked at here:
	 * truncation changes it under the page lock, which we do not hold.
	 */
	if (PageLRU(page) && !PageWriteback(page) && !PageUnevictable(page))
		ok = isolate_lru_page(page) == 0;
	put_page(page);		/* the isolation reference stays, if taken */
	return ok;
}

/* Ops of an isolated page: its type cannot change while it is isolated. */
static const struct movable_operations *isolated_ops(struct page *page)
{
	const struct movable_operations *ops = page_movable_ops(page);

	if (!PageIsolated(page) || !ops) {
		report_misuse("pfn %#lx is not an isolated movable-ops page",
			      page_to_pfn(page));
		return NULL;
	}
	return ops;
}

void putback_movable_pages(struct list_head *list)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, list, lru) {
		const struct movable_operations *ops;

		if (!PageIsolated(page)) {
			/* An LRU page: back to its list. */
			list_del_init(&page->lru);
			putback_lru_page(page);
			continue;
		}
		ops = isolated_ops(page);
		if (!ops)
			continue;
		list_del_init(&page->lru);
		ops->putback_page(page);
		ClearPageIsolated(page);
		put_page(page);
	}
}

void migrate_copy_page(struct page *dst, struct page *src)
{
	memcpy(page_address(dst), page_address(src), PAGE_SIZE);
}

static void free_dst(struct page *dst, free_page_fn put_new_page,
		     unsigned long private)
{
	if (put_new_page)
		put_new_page(dst, private);
	else
		put_page(dst);
}

/* The state that travels with an anonymous page (identity: vm.h rule 6). */
static const unsigned int anon_flags[] = {
	PG_uptodate, PG_dirty, PG_referenced, PG_active, PG_workingset,
};

/*
 * Copy an unmapped anonymous page. Its PTEs are migration entries now, so
 * only the isolation reference may remain: anything else is a pin (a
 * vm_access() in progress) and the page is given up.
 */
static int anon_migrate(struct page *dst, struct page *src)
{
	if (!page_ref_freeze(src, 1))
		return -EAGAIN;
	migrate_copy_page(dst, src);
	for (size_t i = 0; i < ARRAY_SIZE(anon_flags); i++)
		if (test_and_clear_page_bit(src, anon_flags[i]))
			set_page_bit(dst, anon_flags[i]);
	dst->memcg = src->memcg;	/* the charge moves: both off the LRU */
	src->memcg = NULL;
	page_ref_unfreeze(src, 1);
	return 0;
}

/*
 * Everyone but us dropped @src while it was isolated (munmap, exit): only
 * the isolation reference is left, and nobody can find the page to take
 * another. Nothing to move: free it, out of the isolated count. As in
 * Linux's migrate_folio_unmap(), this counts as a migration done.
 */
static bool lru_page_freed(struct page *src)
{
	if (page_ref_count(src) != 1)
		return false;
	list_del_init(&src->lru);
	putback_lru_page(src);	/* drops the last reference: freed */
	return true;
}

/* An isolated LRU page: page cache (mapped or not) or anonymous. */
static int migrate_lru_one(struct page *src, new_page_fn get_new_page,
			   free_page_fn put_new_page, unsigned long private,
			   enum migrate_mode mode)
{
	struct page *dst;
	bool mapped;
	int rc;

	if (lru_page_freed(src))
		return 0;
	dst = get_new_page(src, private);
	if (!dst)
		return -ENOMEM;
	if (mode == MIGRATE_ASYNC) {
		if (!trylock_page(src)) {
			free_dst(dst, put_new_page, private);
			return -EAGAIN;
		}
	} else {
		lock_page(src);
	}
	if (WARN_ON_ONCE(!trylock_page(dst))) {
		unlock_page(src);
		free_dst(dst, put_new_page, private);
		return -EAGAIN;
	}
	rc = -EBUSY;
	if (PageWriteback(src))
		goto unlock;
	mapped = page_mapcount(src) > 0;
	if (mapped && !try_to_migrate(src)) {
		rc = -EAGAIN;
		goto remap;
	}
	if (src->mapping)
		rc = page_cache_migrate(dst, src);
	else if (PageSwapBacked(src))
		rc = anon_migrate(dst, src);
remap:
	/*
	 * vm.h rule 6: this is also where a new anonymous page takes over the
	 * identity, so it is called for a copied anonymous page even if the
	 * source lost its last mapping since the check above.
	 */
	if (mapped || (!rc && PageSwapBacked(src)))
		remove_migration_ptes(src, rc ? src : dst);
unlock:
	unlock_page(dst);
	unlock_page(src);
	if (rc) {
		free_dst(dst, put_new_page, private);
		return rc;
	}
	/* The source keeps only our isolation reference: freeing it. */
	list_del_init(&src->lru);
	put_page(src);
	/* The allocator's reference acts as the new page's isolation one. */
	putback_lru_page(dst);
	return 0;
}

static int migrate_one(struct page *src, new_page_fn get_new_page,
		       free_page_fn put_new_page, unsigned long private,
		       enum migrate_mode mode)
{
	const struct movable_operations *ops;
	struct page *dst;
	int rc;

	if (!PageIsolated(src))
		return migrate_lru_one(src, get_new_page, put_new_page,
				       private, mode);
	ops = isolated_ops(src);
	if (!ops)
		return -EINVAL;
	dst = get_new_page(src, private);
	if (!dst)
		return -ENOMEM;
	rc = ops->migrate_page(dst, src, mode);
	if (rc) {
		free_dst(dst, put_new_page, private);
		return rc;
	}
	/* Rule 2: the owner holds what it needs; drop ours. */
	list_del_init(&src->lru);
	ClearPageIsolated(src);
	put_page(src);
	put_page(dst);
	return 0;
}

int migrate_pages(struct list_head *from, new_page_fn get_new_page,
		  free_page_fn put_new_page, unsigned long private,
		  enum migrate_mode mode, enum migrate_reason reason,
		  unsigned int *nr_succeeded)
{
	unsigned int succeeded = 0;
	int failed = 0, retry = 1;

	if (mode != MIGRATE_ASYNC)
		might_sleep();
	for (int pass = 0; pass < MIGRATE_PASSES && retry; pass++) {
		struct page *page, *next;

		retry = 0;
		failed = 0;
		list_for_each_entry_safe(page, next, from, lru) {
			int rc = migrate_one(page, get_new_page, put_new_page,
					     private, mode);

			if (rc == 0) {
				succeeded++;
			} else if (rc == -ENOMEM) {
				failed = -ENOMEM;
				goto out;
			} else if (rc == -EAGAIN) {
				retry++;
			} else {
				failed++;
			}
		}
	}
	failed += retry;
out:
	count_vm_events(PGMIGRATE_SUCCESS, succeeded);
	if (failed > 0)
		count_vm_events(PGMIGRATE_FAIL, (unsigned long)failed);
	if (nr_succeeded)
		*nr_succeeded = succeeded;
	return failed;
}
