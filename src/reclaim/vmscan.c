// SPDX-License-Identifier: MIT
/*
 * vmscan.c - page reclaim: isolating pages from the LRU tails,
 * shrink_page_list (what to do with each page, by context), aging of the
 * active lists, shrink_node over the lruvecs, the priority loop of direct
 * and memcg reclaim, and registration with the allocator.
 *
 * Invariants and locking:
 *  - Pages move LRU -> isolated (reclaimer's private list, one reference
 *    and NR_ISOLATED_* each) -> freed or put back. A page is isolated by
 *    exactly one reclaimer (PG_lru cleared under lru_lock).
 *  - shrink_page_list only trylocks pages (it already holds the reclaim
 *    pseudo-lock and may hold nothing else), so reclaim orders nothing
 *    before PG_locked. Under a page lock it calls the file ops writepage
 *    (which unlocks) and remove_mapping, and the rmap ops.
 *  - Who waits on writeback (docs/reclaim.md): kswapd and global direct
 *    reclaim never wait on a page; they mark it PG_reclaim and move on.
 *    Legacy memcg reclaim waits, with the page *unlocked*, on a page it
 *    already marked (Linux's case 3). Any reclaimer whose whole batch was
 *    under writeback pauses on reclaim_wb_throttle (bounded; woken when a
 *    PG_reclaim page ends writeback).
 *  - Who writes: only kswapd writes dirty file pages, and only pages it
 *    has seen twice (PG_reclaim) when its lruvec's inactive tail is full
 *    of dirty pages (LRUVEC_DIRTY), and only with __GFP_IO and __GFP_FS.
 *    Direct and memcg reclaim wake the flusher instead (as Linux: writing
 *    from direct reclaim makes bad I/O patterns and deep stacks).
 *  - Anonymous lists are never scanned: no swap (reclaim.h rule 4).
 *  - Every entry point runs inside fs_reclaim_acquire() of its mask with
 *    PF_MEMALLOC: nothing here allocates from ballast.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

struct reclaim_counters reclaim_counters;
_Atomic(int) kswapd_failures;
struct throttle_queue reclaim_wb_throttle;

#define RECLAIM_THROTTLE_MS 100

enum page_references {
	PAGEREF_RECLAIM,
	PAGEREF_RECLAIM_CLEAN,
	PAGEREF_KEEP,
	PAGEREF_ACTIVATE,
};

static bool may_enter_fs(gfp_t gfp)
{
	return (gfp & (__GFP_FS | __GFP_IO)) == (__GFP_FS | __GFP_IO);
}

/* Linux's folio_check_references(), for file pages without swap. */
static enum page_references page_check_references(struct page *page,
						  struct scan_control *sc)
{
	const struct reclaim_rmap_ops *rmap = reclaim_rmap_ops();
	int referenced_ptes = 0;
	bool referenced_page, exec = false;

	if (rmap && page_mapcount(page) > 0)
		referenced_ptes = rmap->page_referenced(
			page, sc->target_mem_cgroup, &exec);
	referenced_page = TestClearPageReferenced(page);
	if (referenced_ptes) {
		/*
		 * Mapped and used: activate if used again since the last
		 * scan, shared, or executable; else give it another round.
		 */
		SetPageReferenced(page);
		if (referenced_page || referenced_ptes > 1 || exec)
			return PAGEREF_ACTIVATE;
		return PAGEREF_KEEP;
	}
	/* Unmapped page cache touched once: free it, if it is clean. */
	if (referenced_page && !PageSwapBacked(page))
		return PAGEREF_RECLAIM_CLEAN;
	return PAGEREF_RECLAIM;
}

#if BALLAST_TESTING
static void (*_Atomic writeback_wait_hook)(struct page *page);

void reclaim_set_writeback_wait_hook(void (*fn)(struct page *page))
{
	atomic_store(&writeback_wait_hook, fn);
}
#endif

/*
 * Reclaim what can be reclaimed of @page_list (isolated pages, each with
 * one isolation reference). Freed pages leave the list; the rest stay on
 * it, with PG_active set on those to activate. Returns pages freed.
 */
static unsigned long shrink_page_list(struct list_head *page_list,
				      struct lruvec *lruvec,
				      struct scan_control *sc,
				      struct reclaim_stat *stat)
{
	const struct reclaim_file_ops *fops = reclaim_file_ops();
	const struct reclaim_rmap_ops *rmap = reclaim_rmap_ops();
	unsigned long nr_reclaimed = 0;
	LIST_HEAD(ret_pages);
	LIST_HEAD(free_pages);

	while (!list_empty(page_list)) {
		struct page *page = list_first_entry(page_list, struct page,
						     lru);
		enum page_references references = PAGEREF_RECLAIM;
		bool mapped;

		list_del(&page->lru);
		if (!trylock_page(page))
			goto keep;
		sc->nr_scanned++;
		if (PageSwapBacked(page) || PageUnevictable(page) ||
		    PageMlocked(page))
			goto keep_locked;	/* no swap: rule 4 */

		mapped = page_mapcount(page) > 0;
		if (mapped && (!rmap || !sc->may_unmap))
			goto keep_locked;

		if (PageDirty(page)) {
			stat->nr_dirty++;
			if (!PageWriteback(page))
				stat->nr_unqueued_dirty++;
		}

		if (PageWriteback(page)) {
			if (sc->is_kswapd && PageReclaim(page)) {
				/* Case 1: seen before; the flusher is slow. */
				stat->nr_immediate++;
				reclaim_count(writeback_skipped, 1);
				goto activate_locked;
			} else if (!sc->wait_writeback || !PageReclaim(page) ||
				   !may_enter_fs(sc->gfp_mask)) {
				/*
				 * Case 2: global reclaim, unified memcg, first
				 * sight, or no fs: never wait on a page. Mark
				 * it so its writeback end rotates it to the
				 * tail, and look elsewhere.
				 */
				SetPageReclaim(page);
				stat->nr_writeback++;
				reclaim_count(writeback_skipped, 1);
				goto activate_locked;
			} else {
				/*
				 * Case 3: legacy memcg reclaim has no other way
				 * to throttle: wait, with the page unlocked (a
				 * flusher may need its lock to finish the batch
				 * this page is in), then look at it again.
				 */
				void (*hook)(struct page *) = NULL;

				unlock_page(page);
#if BALLAST_TESTING
				hook = atomic_load(&writeback_wait_hook);
#endif
				if (hook)
					hook(page);
				reclaim_count(writeback_waited, 1);
				wait_on_page_writeback(page);
				list_add_tail(&page->lru, page_list);
				continue;
			}
		}

		references = page_check_references(page, sc);
		switch (references) {
		case PAGEREF_ACTIVATE:
			goto activate_locked;
		case PAGEREF_KEEP:
			goto keep_locked;
		case PAGEREF_RECLAIM:
		case PAGEREF_RECLAIM_CLEAN:
			break;
		}

		if (mapped) {
			if (!rmap->try_to_unmap(page))
				goto activate_locked;
		}

		if (PageDirty(page)) {
			int err;

			if (sc->clean_only)
				goto keep_locked;
			/*
			 * Only kswapd writes file pages, and only those it has
			 * seen before at a tail full of dirty pages; the others
			 * are left to the flusher (woken by our caller), marked
			 * so that their writeback end rotates them to the tail.
			 */
			if (!sc->is_kswapd || !PageReclaim(page) ||
			    !(atomic_load(&lruvec->flags) & LRUVEC_DIRTY)) {
				SetPageReclaim(page);
				reclaim_count(dirty_kept, 1);
				goto activate_locked;
			}
			if (references == PAGEREF_RECLAIM_CLEAN)
				goto keep_locked;
			if (!may_enter_fs(sc->gfp_mask) || !sc->may_writepage ||
			    !fops || !page->mapping)
				goto keep_locked;

			reclaim_count(dirty_written, 1);
			err = fops->writepage(page, sc->gfp_mask);
			/* The page comes back unlocked. */
			if (err == -EAGAIN)
				goto keep;
			if (PageWriteback(page) || PageDirty(page))
				goto keep;
			if (!trylock_page(page))
				goto keep;
			if (PageDirty(page) || PageWriteback(page))
				goto keep_locked;
			ClearPageReclaim(page);
		}

		if (!page->mapping) {
			/* Truncated while isolated: ours is the last user. */
			if (page_ref_count(page) != 1)
				goto keep_locked;
		} else if (!fops || !fops->remove_mapping(page)) {
			goto keep_locked;
		}
		unlock_page(page);
		ClearPageActive(page);
		ClearPageReclaim(page);
		nr_reclaimed++;
		list_add(&page->lru, &free_pages);
		continue;

activate_locked:
		if (!PageMlocked(page) && !PageActive(page)) {
			SetPageActive(page);
			stat->nr_activate++;
			count_vm_event(PGACTIVATE);
		}
keep_locked:
		unlock_page(page);
keep:
		list_add(&page->lru, &ret_pages);
	}

	while (!list_empty(&free_pages)) {
		struct page *page = list_first_entry(&free_pages, struct page,
						     lru);

		list_del(&page->lru);
		lru_isolated_mod(page, -1);
		put_page(page);		/* the last reference: freed */
	}
	list_splice_init(&ret_pages, page_list);
	return nr_reclaimed;
}

/*
 * Take up to @nr_to_scan pages from the tail of @lru into @dst. Pages of
 * zones above sc->reclaim_idx and pages being freed stay on the list
 * (moved to its head). Returns pages taken; *@nr_scanned is set.
 */
static unsigned long isolate_lru_pages(struct lruvec *lruvec,
				       enum lru_list lru,
				       unsigned long nr_to_scan,
				       struct list_head *dst,
				       struct scan_control *sc,
				       unsigned long *nr_scanned)
{
	struct list_head *src = &lruvec->lists[lru];
	unsigned long scan = 0, taken = 0;

	spin_lock(&lruvec->lru_lock);
	while (scan < nr_to_scan && !list_empty(src)) {
		struct page *page = list_last_entry(src, struct page, lru);

		scan++;
		if (page_zone(page)->idx > sc->reclaim_idx ||
		    !get_page_unless_zero(page)) {
			list_move(&page->lru, src);
			continue;
		}
		ClearPageLRU(page);
		lruvec_del_page_locked(lruvec, page, lru);
		list_add(&page->lru, dst);
		taken++;
	}
	spin_unlock(&lruvec->lru_lock);
	if (taken)
		mod_node_page_state(is_file_lru(lru) ? NR_ISOLATED_FILE
						      : NR_ISOLATED_ANON,
				    (long)taken);
	*nr_scanned = scan;
	return taken;
}

static unsigned long shrink_inactive_list(unsigned long nr_to_scan,
					  struct lruvec *lruvec,
					  struct scan_control *sc,
					  enum lru_list lru)
{
	const struct reclaim_file_ops *fops;
	struct reclaim_stat stat = { 0 };
	unsigned long nr_taken, nr_scanned, nr_reclaimed;
	LIST_HEAD(page_list);

	nr_taken = isolate_lru_pages(lruvec, lru, nr_to_scan, &page_list, sc,
				     &nr_scanned);
	if (!nr_taken)
		return 0;
	count_vm_events(sc->is_kswapd ? PGSCAN_KSWAPD : PGSCAN_DIRECT,
			nr_taken);
	stat.nr_taken = nr_taken;
	nr_reclaimed = shrink_page_list(&page_list, lruvec, sc, &stat);
	count_vm_events(sc->is_kswapd ? PGSTEAL_KSWAPD : PGSTEAL_DIRECT,
			nr_reclaimed);
	/* Per lruvec too: a memcg reports its own pgscan and pgsteal. */
	atomic_fetch_add_explicit(&lruvec->nr_scanned, nr_taken,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&lruvec->nr_reclaimed, nr_reclaimed,
				  memory_order_relaxed);
	lru_putback_list(&page_list);

	/*
	 * A tail of dirty pages the flusher has not got to: wake it, and
	 * let kswapd write such pages itself on its next sight of them.
	 */
	if (stat.nr_unqueued_dirty == nr_taken) {
		fops = reclaim_file_ops();
		if (fops && fops->wakeup_flusher) {
			fops->wakeup_flusher(nr_taken);
			reclaim_count(flusher_wakeups, 1);
		}
		if (sc->is_kswapd)
			atomic_fetch_or(&lruvec->flags, LRUVEC_DIRTY);
	}
	/*
	 * Everything under writeback: the I/O is the bottleneck. Pause until
	 * a page marked for reclaim ends writeback (or a timeout), instead
	 * of scanning the same pages again at once.
	 */
	if (stat.nr_writeback + stat.nr_immediate == nr_taken &&
	    !nr_reclaimed) {
		reclaim_count(throttled, 1);
		count_vm_event(PGSCAN_DIRECT_THROTTLE);
		throttle_wait(&reclaim_wb_throttle, RECLAIM_THROTTLE_MS);
	}
	return nr_reclaimed;
}

/*
 * Age the active list: move pages from its tail to the inactive list,
 * except executable mapped file pages that were referenced, which stay
 * active (Linux's shrink_active_list()).
 */
static void shrink_active_list(unsigned long nr_to_scan,
			       struct lruvec *lruvec, struct scan_control *sc,
			       enum lru_list lru)
{
	const struct reclaim_rmap_ops *rmap = reclaim_rmap_ops();
	unsigned long nr_taken, nr_scanned, nr_deactivated = 0;
	struct page *page;
	LIST_HEAD(hold);

	nr_taken = isolate_lru_pages(lruvec, lru, nr_to_scan, &hold, sc,
				     &nr_scanned);
	count_vm_events(PGREFILL, nr_scanned);
	list_for_each_entry(page, &hold, lru) {
		bool exec = false;

		if (rmap && page_mapcount(page) > 0 && trylock_page(page)) {
			int refs = rmap->page_referenced(
				page, sc->target_mem_cgroup, &exec);

			unlock_page(page);
			if (refs && exec && !PageSwapBacked(page))
				continue;	/* stays active */
		}
		ClearPageActive(page);
		SetPageWorkingset(page);
		nr_deactivated++;
	}
	if (nr_deactivated)
		count_vm_events(PGDEACTIVATE, nr_deactivated);
	if (nr_taken)
		lru_putback_list(&hold);
}

static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0;

	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

/* Linux's inactive_is_low(): 1:1 below 1 GiB, sqrt(10 * GiB) above. */
static bool inactive_is_low(struct lruvec *lruvec, enum lru_list inactive,
			    enum zone_type idx)
{
	unsigned long in = lruvec_lru_size(lruvec, inactive, idx);
	unsigned long act = lruvec_lru_size(lruvec, inactive + LRU_ACTIVE,
					    idx);
	unsigned long gb = (in + act) >> (30 - PAGE_SHIFT);
	unsigned long ratio = gb ? int_sqrt(10 * gb) : 1;

	return in * ratio < act;
}

static void shrink_lruvec(struct lruvec *lruvec, struct scan_control *sc)
{
	unsigned long nr = lruvec_lru_size(lruvec, LRU_INACTIVE_FILE,
					   sc->reclaim_idx) >> sc->priority;

	if (inactive_is_low(lruvec, LRU_INACTIVE_FILE, sc->reclaim_idx)) {
		unsigned long act = lruvec_lru_size(lruvec, LRU_ACTIVE_FILE,
						    sc->reclaim_idx);

		shrink_active_list(max(act >> sc->priority, SWAP_CLUSTER_MAX),
				   lruvec, sc, LRU_ACTIVE_FILE);
		nr = lruvec_lru_size(lruvec, LRU_INACTIVE_FILE,
				     sc->reclaim_idx) >> sc->priority;
	}
	while (nr > 0) {
		unsigned long batch = min(nr, SWAP_CLUSTER_MAX);

		nr -= batch;
		sc->nr_reclaimed += shrink_inactive_list(batch, lruvec, sc,
							 LRU_INACTIVE_FILE);
		if (sc->nr_reclaimed >= sc->nr_to_reclaim)
			break;
	}
}

void shrink_node(struct scan_control *sc)
{
	struct lruvec *lruvec;
	long before, after;

	for_each_reclaim_lruvec(lruvec, sc->target_mem_cgroup) {
		shrink_lruvec(lruvec, sc);
		if (sc->nr_reclaimed >= sc->nr_to_reclaim && !sc->is_kswapd) {
			reclaim_lruvec_break(sc->target_mem_cgroup, lruvec);
			break;
		}
	}
	if (sc->clean_only)
		return;
	if (sc->target_mem_cgroup) {
		/*
		 * Only memcg-aware shrinkers run. What they free is not
		 * counted: a node-wide difference would credit the group
		 * with other groups' pages (Linux counts reclaimed slab for
		 * global reclaim only); the charge path looks at the
		 * group's margin anyway.
		 */
		shrink_slab(sc->gfp_mask, sc->target_mem_cgroup, sc->priority);
		return;
	}
	/*
	 * Pages freed by shrinkers count as progress: reclaimable slab and
	 * page cache dropped with the objects (the inode cache's pages).
	 * Concurrent activity makes this approximate, as Linux's
	 * reclaim_state is for slab pages.
	 */
	before = node_page_state(NR_SLAB_RECLAIMABLE) +
		 node_page_state(NR_FILE_PAGES);
	shrink_slab(sc->gfp_mask, NULL, sc->priority);
	after = node_page_state(NR_SLAB_RECLAIMABLE) +
		node_page_state(NR_FILE_PAGES);
	if (after < before)
		sc->nr_reclaimed += (unsigned long)(before - after);
}

bool pgdat_balanced(unsigned int order, enum zone_type highest_zoneidx)
{
	bool any = false;

	for (int z = 0; z <= (int)highest_zoneidx && z < MAX_NR_ZONES; z++) {
		struct zone *zone = &contig_page_data.node_zones[z];

		if (!zone_managed_pages(zone))
			continue;
		any = true;
		if (zone_watermark_ok(zone, order, high_wmark_pages(zone),
				      highest_zoneidx))
			return true;
	}
	return !any;
}

static unsigned long do_try_to_free_pages(struct scan_control *sc)
{
	do {
		shrink_node(sc);
		if (sc->nr_reclaimed >= sc->nr_to_reclaim)
			break;
	} while (--sc->priority >= 0);
	if (sc->nr_reclaimed && !sc->target_mem_cgroup)
		atomic_store(&kswapd_failures, 0);
	return sc->nr_reclaimed;
}

unsigned long try_to_free_pages(gfp_t gfp, unsigned int order)
{
	struct scan_control sc = {
		.nr_to_reclaim = SWAP_CLUSTER_MAX,
		.gfp_mask = current_gfp_context(gfp),
		.order = order,
		.reclaim_idx = (gfp & __GFP_DMA) ? ZONE_DMA : ZONE_NORMAL,
		.priority = DEF_PRIORITY,
		.may_writepage = true,
		.may_unmap = true,
	};

	return do_try_to_free_pages(&sc);
}

unsigned long try_to_free_mem_cgroup_pages(struct mem_cgroup *memcg,
					   unsigned long nr_pages, gfp_t gfp,
					   unsigned int reclaim_options)
{
	const struct reclaim_memcg_ops *ops = reclaim_memcg_ops();
	struct scan_control sc = {
		.nr_to_reclaim = max(nr_pages, SWAP_CLUSTER_MAX),
		.gfp_mask = current_gfp_context(gfp),
		.reclaim_idx = MAX_NR_ZONES - 1,
		.priority = DEF_PRIORITY,
		.target_mem_cgroup = memcg,
		.may_writepage = true,
		.may_unmap = true,
	};
	unsigned int noreclaim;
	unsigned long ret;

	might_sleep();
	if (WARN_ON_ONCE(!memcg || !ops))
		return 0;
	sc.wait_writeback = ops->reclaim_waits_writeback &&
			    ops->reclaim_waits_writeback(memcg);
	fs_reclaim_acquire(sc.gfp_mask);
	noreclaim = memalloc_noreclaim_save();
	ret = do_try_to_free_pages(&sc);
	memalloc_noreclaim_restore(noreclaim);
	fs_reclaim_release(sc.gfp_mask);
	return ret;
}

unsigned long reclaim_clean_pagecache(unsigned long nr_pages)
{
	struct scan_control sc = {
		.nr_to_reclaim = nr_pages,
		.gfp_mask = GFP_KERNEL,
		.reclaim_idx = MAX_NR_ZONES - 1,
		.priority = DEF_PRIORITY,
		.clean_only = true,
	};
	unsigned int noreclaim;
	unsigned long ret;

	might_sleep();
	fs_reclaim_acquire(GFP_KERNEL);
	noreclaim = memalloc_noreclaim_save();
	ret = do_try_to_free_pages(&sc);
	memalloc_noreclaim_restore(noreclaim);
	fs_reclaim_release(GFP_KERNEL);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Registration                                                          */
/* ------------------------------------------------------------------ */

static const struct alloc_hooks reclaim_alloc_hooks = {
	.wakeup_kswapd = wakeup_kswapd,
	.try_to_free_pages = try_to_free_pages,
};

static bool reclaim_initialised;

int reclaim_init(void)
{
	int ret;

	if (reclaim_initialised)
		return -EBUSY;
	throttle_queue_init(&reclaim_wb_throttle);
	atomic_store(&kswapd_failures, 0);
	memset(&reclaim_counters, 0, sizeof(reclaim_counters));
	ret = lru_register_free_hook();
	if (ret)
		return ret;
	alloc_set_hooks(&reclaim_alloc_hooks);
	reclaim_initialised = true;
	return 0;
}

void reclaim_exit(void)
{
	unsigned long nr[NR_LRU_LISTS];

	if (!reclaim_initialised)
		return;
	kswapd_stop();
	alloc_clear_hooks(&reclaim_alloc_hooks);
	lru_page_count(nr);
	for (int l = 0; l < NR_LRU_LISTS; l++)
		if (nr[l])
			report_misuse("reclaim_exit: %lu pages still on LRU "
				      "list %d", nr[l], l);
	lru_unregister_free_hook();
	reclaim_initialised = false;
}

void reclaim_get_stats(struct reclaim_stats *s)
{
#define GET(f) s->f = atomic_load_explicit(&reclaim_counters.f, \
					    memory_order_relaxed)
	GET(kswapd_runs);
	GET(kswapd_wakeups);
	GET(writeback_skipped);
	GET(writeback_waited);
	GET(dirty_written);
	GET(dirty_kept);
	GET(flusher_wakeups);
	GET(throttled);
#undef GET
}
