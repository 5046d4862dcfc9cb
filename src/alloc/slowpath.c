// SPDX-License-Identifier: MIT
/*
 * slowpath.c - what alloc_pages() does when the low watermark fails, in
 * Linux's order: wake kswapd, retry at min, use reserves if entitled,
 * direct compaction for costly orders, direct reclaim, direct compaction,
 * the retry policy (__GFP_NORETRY, __GFP_RETRY_MAYFAIL, __GFP_NOFAIL), and
 * the OOM step.
 *
 * Invariants and locking:
 *  - Reclaim and compaction run inside fs_reclaim_acquire(gfp) with
 *    PF_MEMALLOC set, so nothing they allocate recurses into reclaim, and
 *    the validator sees the reclaim pseudo-locks.
 *  - oom_lock is only trylocked here: a task that finds it busy sleeps
 *    briefly and retries (someone else is handling the OOM).
 *  - alloc_hooks_active: members written at layer start/exit, read with
 *    acquire loads; a missing hook means "that layer makes no progress".
 *  - Policy deviation from Linux, documented in alloc.h: when nobody can be
 *    OOM-killed for a mask (no killer registered, no __GFP_FS), a small
 *    allocation fails instead of looping forever; __GFP_NOFAIL still loops
 *    with memalloc_retry_wait() (unless it cannot reclaim: then it warns
 *    and fails, as in Linux).
 * Context: may sleep when the mask allows direct reclaim; never otherwise.
 */
#include "internal.h"

struct alloc_hooks alloc_hooks_active;
static DEFINE_SPINLOCK(hooks_lock);

#define HOOK(name) \
	__atomic_load_n(&alloc_hooks_active.name, __ATOMIC_ACQUIRE)

void alloc_set_hooks(const struct alloc_hooks *h)
{
	spin_lock(&hooks_lock);
#define SET(name) \
	if (h->name) __atomic_store_n(&alloc_hooks_active.name, h->name, __ATOMIC_RELEASE)
	SET(wakeup_kswapd);
	SET(try_to_free_pages);
	SET(try_to_compact_pages);
	SET(wakeup_kcompactd);
	SET(oom_kill);
	SET(memcg_charge);
#undef SET
	spin_unlock(&hooks_lock);
}

void alloc_clear_hooks(const struct alloc_hooks *h)
{
	spin_lock(&hooks_lock);
#define CLR(name) \
	if (h->name && HOOK(name) == h->name) \
		__atomic_store_n(&alloc_hooks_active.name, NULL, __ATOMIC_RELEASE)
	CLR(wakeup_kswapd);
	CLR(try_to_free_pages);
	CLR(try_to_compact_pages);
	CLR(wakeup_kcompactd);
	CLR(oom_kill);
	CLR(memcg_charge);
#undef CLR
	spin_unlock(&hooks_lock);
}

static unsigned int gfp_to_alloc_flags(gfp_t gfp)
{
	unsigned int flags = ALLOC_WMARK_MIN;

	if (gfp & __GFP_HIGH)
		flags |= ALLOC_MIN_RESERVE;
	if (!(gfp & __GFP_DIRECT_RECLAIM))
		flags |= ALLOC_NON_BLOCK;
	if (gfp & __GFP_KSWAPD_RECLAIM)
		flags |= ALLOC_KSWAPD;
	return flags;
}

/* Reserve access: PF_MEMALLOC / __GFP_MEMALLOC ignore the watermarks. */
static unsigned int gfp_pfmemalloc_flags(gfp_t gfp)
{
	unsigned int pflags = task_flags(current);

	if (gfp & __GFP_NOMEMALLOC)
		return 0;
	if (gfp & __GFP_MEMALLOC)
		return ALLOC_NO_WATERMARKS;
	if (pflags & PF_MEMALLOC)
		return ALLOC_NO_WATERMARKS;
	if (pflags & PF_OOM_VICTIM)
		return ALLOC_OOM;
	return 0;
}

static void wake_all_kswapds(gfp_t gfp, unsigned int order,
			     const struct alloc_context *ac)
{
	void (*wake)(struct zone *, gfp_t, unsigned int, enum zone_type) =
		HOOK(wakeup_kswapd);

	if (!wake)
		return;
	for (int z = (int)ac->highest_zoneidx; z >= 0; z--) {
		struct zone *zone = &contig_page_data.node_zones[z];

		if (zone_managed_pages(zone))
			wake(zone, gfp, order, ac->highest_zoneidx);
	}
}

static unsigned long perform_reclaim(gfp_t gfp, unsigned int order)
{
	unsigned long (*reclaim)(gfp_t, unsigned int) =
		HOOK(try_to_free_pages);
	unsigned long progress = 0;
	unsigned int noreclaim;

	fs_reclaim_acquire(gfp);
	noreclaim = memalloc_noreclaim_save();
	if (reclaim)
		progress = reclaim(gfp, order);
	memalloc_noreclaim_restore(noreclaim);
	fs_reclaim_release(gfp);
	return progress;
}

void perform_reclaim_forced(gfp_t gfp)
{
	if (!gfpflags_allow_blocking(gfp) ||
	    (task_flags(current) & PF_MEMALLOC))
		return;
	perform_reclaim(gfp, 0);
}

static struct page *alloc_direct_reclaim(gfp_t gfp, unsigned int order,
					 unsigned int alloc_flags,
					 const struct alloc_context *ac,
					 unsigned long *progress)
{
	struct page *page;

	count_vm_event(ac->highest_zoneidx == ZONE_DMA ? ALLOCSTALL_DMA
						       : ALLOCSTALL_NORMAL);
	*progress = perform_reclaim(gfp, order);
	page = get_page_from_freelist(gfp, order, alloc_flags, ac);
	if (!page) {
		/* Pages may sit on per-CPU lists: give them back and retry. */
		drain_all_pages(NULL);
		page = get_page_from_freelist(gfp, order, alloc_flags, ac);
	}
	return page;
}

static struct page *alloc_direct_compact(gfp_t gfp, unsigned int order,
					 unsigned int alloc_flags,
					 const struct alloc_context *ac,
					 enum compact_priority prio,
					 enum compact_result *result)
{
	enum compact_result (*compact)(gfp_t, unsigned int,
				       enum compact_priority) =
		HOOK(try_to_compact_pages);
	unsigned int noreclaim;
	struct page *page;

	*result = COMPACT_SKIPPED;
	if (!order || !compact)
		return NULL;
	fs_reclaim_acquire(gfp);
	noreclaim = memalloc_noreclaim_save();
	*result = compact(gfp, order, prio);
	memalloc_noreclaim_restore(noreclaim);
	fs_reclaim_release(gfp);
	if (*result == COMPACT_SKIPPED)
		return NULL;
	/* Linux's accounting: a stall, then whether it paid off. */
	count_vm_event(COMPACTSTALL);
	page = get_page_from_freelist(gfp, order, alloc_flags, ac);
	count_vm_event(page ? COMPACTSUCCESS : COMPACTFAIL);
	return page;
}

/* File pages count as reclaimable; anonymous ones need swap, which we lack. */
static unsigned long zone_reclaimable_pages(struct zone *zone)
{
	return (unsigned long)(zone_page_state(zone, NR_ZONE_INACTIVE_FILE) +
			       zone_page_state(zone, NR_ZONE_ACTIVE_FILE));
}

static bool should_reclaim_retry(gfp_t gfp, unsigned int order,
				 const struct alloc_context *ac,
				 unsigned int alloc_flags, bool progress,
				 int *no_progress_loops)
{
	if (progress && order <= PAGE_ALLOC_COSTLY_ORDER)
		*no_progress_loops = 0;
	else
		(*no_progress_loops)++;
	if (*no_progress_loops > MAX_RECLAIM_RETRIES)
		return false;
	for (int z = (int)ac->highest_zoneidx; z >= 0; z--) {
		struct zone *zone = &contig_page_data.node_zones[z];
		unsigned long available = zone_reclaimable_pages(zone);

		available -= DIV_ROUND_UP((unsigned long)*no_progress_loops *
						  available,
					  MAX_RECLAIM_RETRIES);
		available += (unsigned long)zone_page_state(zone, NR_FREE_PAGES);
		/* As Linux: the watermark check, lowmem reserve included. */
		if (__zone_watermark_ok(zone, order, min_wmark_pages(zone),
					ac->highest_zoneidx, alloc_flags,
					(long)available)) {
			if (!progress)
				memalloc_retry_wait(gfp);
			return true;
		}
	}
	return false;
}

static struct page *alloc_may_oom(gfp_t gfp, unsigned int order,
				  const struct alloc_context *ac,
				  unsigned long *progress)
{
	struct oom_control oc = {
		.gfp_mask = gfp,
		.order = order,
		.totalpages = totalram_pages(),
	};
	struct alloc_context high = *ac;
	struct page *page;

	*progress = 0;
	if (!mutex_trylock(&oom_lock)) {
		/* Someone else is handling the OOM: let them make progress. */
		*progress = 1;
		memalloc_retry_wait(gfp);
		return NULL;
	}
	/* A last try at the high watermark catches parallel frees. */
	page = get_page_from_freelist(gfp & ~__GFP_DIRECT_RECLAIM, order,
				      ALLOC_WMARK_HIGH, &high);
	if (page)
		goto out;
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		goto out;
	if (gfp & __GFP_RETRY_MAYFAIL)
		goto out;
	if (ac->highest_zoneidx < ZONE_NORMAL)
		goto out;
	if (out_of_memory(&oc))
		*progress = 1;
out:
	mutex_unlock(&oom_lock);
	return page;
}

static void warn_alloc(gfp_t gfp, unsigned int order)
{
	static struct log_ratelimit_state rs;

	if ((gfp & __GFP_NOWARN) || !log_ratelimit(&rs))
		return;
	pr_warn("%s: page allocation failure: order:%u, mode:%#x, "
		"free:%lu", current->comm, order, gfp, nr_free_pages());
	dump_stack();
}

struct page *alloc_pages_slowpath(gfp_t gfp, unsigned int order,
				  struct alloc_context *ac)
{
	bool can_direct_reclaim = gfp & __GFP_DIRECT_RECLAIM;
	bool costly = order > PAGE_ALLOC_COSTLY_ORDER;
	unsigned int alloc_flags = gfp_to_alloc_flags(gfp);
	enum compact_priority prio = COMPACT_PRIO_ASYNC;
	enum compact_result compact_result;
	unsigned long progress;
	int no_progress_loops = 0, compaction_retries = 0;
	void (*wake_kcompactd)(unsigned int);
	struct page *page;

	if (alloc_flags & ALLOC_KSWAPD)
		wake_all_kswapds(gfp, order, ac);
	page = get_page_from_freelist(gfp, order, alloc_flags, ac);
	if (page)
		return page;

	/* Costly orders (or unmovable high orders): compact before reclaim. */
	if (can_direct_reclaim && order &&
	    (costly || ac->migratetype != MIGRATE_MOVABLE) &&
	    !gfp_pfmemalloc_flags(gfp)) {
		page = alloc_direct_compact(gfp, order, alloc_flags, ac, prio,
					    &compact_result);
		if (page)
			return page;
		if (costly && (gfp & __GFP_NORETRY) &&
		    (compact_result == COMPACT_SKIPPED ||
		     compact_result == COMPACT_DEFERRED))
			goto nopage;
	}

retry:
	if (alloc_flags & ALLOC_KSWAPD)
		wake_all_kswapds(gfp, order, ac);
	{
		unsigned int reserve = gfp_pfmemalloc_flags(gfp);

		/* As Linux: the reserve replaces the other watermark flags. */
		if (reserve)
			alloc_flags = reserve | (alloc_flags & ALLOC_KSWAPD);
	}
	page = get_page_from_freelist(gfp, order, alloc_flags, ac);
	if (page)
		return page;
	if (!can_direct_reclaim)
		goto nopage;
	/* Reclaim must not recurse into reclaim. */
	if (task_flags(current) & PF_MEMALLOC)
		goto nopage;

	page = alloc_direct_reclaim(gfp, order, alloc_flags, ac, &progress);
	if (page)
		return page;
	page = alloc_direct_compact(gfp, order, alloc_flags, ac, prio,
				    &compact_result);
	if (page)
		return page;

	if (gfp & __GFP_NORETRY)
		goto nopage;
	if (costly && !(gfp & __GFP_RETRY_MAYFAIL))
		goto nopage;
	if (should_reclaim_retry(gfp, order, ac, alloc_flags, progress > 0,
				 &no_progress_loops))
		goto retry;
	/* Compaction may succeed at a higher priority. */
	if (order && compact_result != COMPACT_SKIPPED &&
	    prio != COMPACT_PRIO_SYNC_FULL && compaction_retries++ < 4) {
		prio--;
		goto retry;
	}

	page = alloc_may_oom(gfp, order, ac, &progress);
	if (page)
		return page;
	/*
	 * A victim that found nothing even in the OOM reserve fails: looping
	 * on the killer's "progress" would only wait for its own exit or
	 * kill a second victim (Linux: no endless loop without watermarks).
	 */
	if ((task_flags(current) & PF_OOM_VICTIM) &&
	    ((alloc_flags & ALLOC_OOM) || (gfp & __GFP_NOMEMALLOC)))
		goto nopage;
	if (progress) {
		no_progress_loops = 0;
		goto retry;
	}

nopage:
	wake_kcompactd = HOOK(wakeup_kcompactd);
	if (order && wake_kcompactd)
		wake_kcompactd(order);
	if (gfp & __GFP_NOFAIL) {
		/*
		 * Every __GFP_NOFAIL user must be able to sleep: without
		 * direct reclaim nothing here can free memory, and retrying
		 * would spin for ever. Linux warns and fails; so do we.
		 */
		if (WARN_ON_ONCE(!can_direct_reclaim))
			goto fail;
		/* Dip into the reserves a little before waiting again. */
		page = get_page_from_freelist(gfp, order,
					      ALLOC_WMARK_MIN | ALLOC_MIN_RESERVE,
					      ac);
		if (page)
			return page;
		memalloc_retry_wait(gfp);
		goto retry;
	}
fail:
	warn_alloc(gfp, order);
	return NULL;
}
