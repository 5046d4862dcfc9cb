// SPDX-License-Identifier: MIT
/*
 * page_alloc.c - alloc_pages() and __free_pages(): the fast path over the
 * zones, page preparation, checks on free, compound pages, and the hooks
 * that higher layers register.
 *
 * Invariants and locking:
 *  - A page handed out has refcount 1, type PGTY_NONE, no flags other than
 *    PG_head for compound pages, ->order = the order it was allocated with
 *    (so a free with the wrong order is caught and put_page() knows what to
 *    free), and a NULL ->mapping.
 *  - A page being freed must have no type, no mapping, no mapping count and
 *    none of PAGE_FLAGS_CHECK_AT_FREE; otherwise it is reported and leaked
 *    rather than corrupting the free lists (as Linux's bad_page()).
 *  - Hooks (alloc_hooks_active, free hooks) are function pointers written
 *    at layer start-up and exit and read with acquire loads.
 *  - Zone selection: from the highest zone the mask allows down to ZONE_DMA,
 *    with the lower zone protected by its lowmem reserve.
 * Context: alloc_pages() may sleep when the mask allows direct reclaim (see
 * slowpath.c); the free side never sleeps.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

#define PAGE_FLAGS_CHECK_AT_FREE                                            \
	((1u << PG_locked) | (1u << PG_writeback) | (1u << PG_lru) |         \
	 (1u << PG_private) | (1u << PG_reserved) | (1u << PG_active) |      \
	 (1u << PG_unevictable) | (1u << PG_mlocked) | (1u << PG_isolated) | \
	 (1u << PG_movable_ops) | (1u << PG_tail))

static _Atomic(alloc_free_hook_fn) free_hooks[ALLOC_MAX_FREE_HOOKS];
static _Atomic(int) nr_free_hooks;
static DEFINE_SPINLOCK(free_hooks_lock);

int alloc_register_free_hook(alloc_free_hook_fn fn)
{
	int ret = -EBUSY;

	spin_lock(&free_hooks_lock);
	for (int i = 0; i < ALLOC_MAX_FREE_HOOKS; i++) {
		if (!atomic_load(&free_hooks[i])) {
			atomic_store(&free_hooks[i], fn);
			atomic_fetch_add(&nr_free_hooks, 1);
			ret = 0;
			break;
		}
	}
	spin_unlock(&free_hooks_lock);
	return ret;
}

void alloc_unregister_free_hook(alloc_free_hook_fn fn)
{
	spin_lock(&free_hooks_lock);
	for (int i = 0; i < ALLOC_MAX_FREE_HOOKS; i++) {
		if (atomic_load(&free_hooks[i]) == fn) {
			atomic_store(&free_hooks[i], NULL);
			atomic_fetch_sub(&nr_free_hooks, 1);
		}
	}
	spin_unlock(&free_hooks_lock);
}

static void run_free_hooks(struct page *page, unsigned int order)
{
	for (int i = 0; i < ALLOC_MAX_FREE_HOOKS; i++) {
		alloc_free_hook_fn fn = atomic_load_explicit(
			&free_hooks[i], memory_order_acquire);

		if (fn)
			fn(page, order);
	}
}

static void prep_compound_page(struct page *page, unsigned int order)
{
	SetPageHead(page);
	for (unsigned long i = 1; i < (1UL << order); i++) {
		page[i].compound_head = (unsigned long)page + 1;
		SetPageTail(&page[i]);
	}
}

static void prep_new_page_order(struct page *page, unsigned int order,
				gfp_t gfp)
{
#if BALLAST_DEBUG
	if (atomic_load_explicit(&page->flags, memory_order_relaxed) ||
	    page_ref_count(page) || page_get_type(page) != PGTY_NONE)
		ballast_fatal("free pfn %#lx has flags %#x, count %d, type %s",
			      page_to_pfn(page),
			      atomic_load(&page->flags), page_ref_count(page),
			      page_type_name(page_get_type(page)));
#endif
	atomic_store_explicit(&page->order, (uint8_t)order,
			      memory_order_relaxed);
	set_page_count(page, 1);
	if (gfp & __GFP_ZERO)
		memset(page_address(page), 0, PAGE_SIZE << order);
	if (order && (gfp & __GFP_COMP))
		prep_compound_page(page, order);
	count_vm_events(page_zone(page)->idx == ZONE_DMA ? PGALLOC_DMA
							  : PGALLOC_NORMAL,
			1UL << order);
}

void prep_new_page(struct page *page, gfp_t gfp)
{
	prep_new_page_order(page, 0, gfp);
}

struct page *get_page_from_freelist(gfp_t gfp, unsigned int order,
				    unsigned int alloc_flags,
				    const struct alloc_context *ac)
{
	for (int z = (int)ac->highest_zoneidx; z >= 0; z--) {
		struct zone *zone = &contig_page_data.node_zones[z];
		struct page *page;

		if (!zone_managed_pages(zone))
			continue;
		if (!(alloc_flags & ALLOC_NO_WATERMARKS) &&
		    !zone_watermark_fast(zone, order,
					 wmark_pages(zone, alloc_flags &
								   ALLOC_WMARK_MASK),
					 ac->highest_zoneidx, alloc_flags))
			continue;
		if (likely(order == 0))
			page = rmqueue_pcplist(zone, ac->migratetype);
		else
			page = rmqueue(zone, order, ac->migratetype);
		if (page) {
			prep_new_page_order(page, order, gfp);
			return page;
		}
	}
	return NULL;
}

/*
 * Charge a new block to the memcg (alloc.h rule 5 holds: nobody else has
 * seen it). On failure the block goes back (page->memcg is still NULL, so
 * the uncharge hook leaves it alone) and the allocation fails.
 */
static struct page *alloc_charge(struct page *page, unsigned int order,
				 gfp_t gfp)
{
	int (*charge)(struct page *, unsigned int, gfp_t) = __atomic_load_n(
		&alloc_hooks_active.memcg_charge, __ATOMIC_ACQUIRE);

	if (!charge || likely(!charge(page, order, gfp)))
		return page;
	__free_pages(page, order);
	return NULL;
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	return alloc_pages_ip(gfp, order, _RET_IP_);
}

struct page *alloc_pages_ip(gfp_t gfp, unsigned int order, unsigned long ip)
{
	struct alloc_context ac;
	struct page *page;

	if (unlikely(order > MAX_PAGE_ORDER)) {
		if (!(gfp & __GFP_NOWARN))
			report_misuse("order %u above MAX_PAGE_ORDER %d", order,
				      MAX_PAGE_ORDER);
		return NULL;
	}
#if BALLAST_DEBUG
	if (unlikely(gfp & ~GFP_VALID_MASK))
		report_misuse("unknown gfp bits %#x", gfp & ~GFP_VALID_MASK);
#endif
	gfp = current_gfp_context(gfp);
	might_alloc_ip(gfp, ip);
#if BALLAST_TESTING
	{
		struct alloc_forced forced;

		alloc_fault_tick(gfp, &forced);
		if (forced.fail)
			return NULL;
		if (forced.reclaim)
			perform_reclaim_forced(gfp);
		if (forced.oom)
			oom_notify_forced(gfp);
	}
#endif
	ac.highest_zoneidx = (gfp & __GFP_DMA) ? ZONE_DMA : ZONE_NORMAL;
	ac.migratetype = gfp_migratetype(gfp);
	page = get_page_from_freelist(gfp, order, ALLOC_WMARK_LOW, &ac);
	if (unlikely(!page))
		page = alloc_pages_slowpath(gfp, order, &ac);
	if (page && (gfp & __GFP_ACCOUNT))
		page = alloc_charge(page, order, gfp);
	return page;
}

void *__get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp, order);

	return page ? page_address(page) : NULL;
}

void *get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}

static bool free_tail_pages_check(struct page *head, unsigned int order)
{
	bool ok = true;

	for (unsigned long i = 1; i < (1UL << order); i++) {
		struct page *p = head + i;

		if (!PageTail(p) || compound_head(p) != head ||
		    page_ref_count(p) || page_mapcount(p)) {
			report_misuse("bad tail pfn %#lx of compound pfn %#lx",
				      page_to_pfn(p), page_to_pfn(head));
			ok = false;
		}
		ClearPageTail(p);
		p->compound_head = 0;
	}
	return ok;
}

/*
 * The last reference to a block of 2^@order pages is gone: check it and
 * hand it to the per-CPU lists (order 0) or the buddy lists.
 */
void free_pages_prepared(struct page *page, unsigned int order)
{
	uint32_t flags;

	if (atomic_load_explicit(&nr_free_hooks, memory_order_relaxed))
		run_free_hooks(page, order);
	flags = atomic_load_explicit(&page->flags, memory_order_acquire);
	if (PageHead(page)) {
		ClearPageHead(page);
		flags &= ~(1u << PG_head);
		if (!free_tail_pages_check(page, order))
			return;
	}
	if (unlikely((flags & PAGE_FLAGS_CHECK_AT_FREE) ||
		     page_get_type(page) != PGTY_NONE || page_mapcount(page) ||
		     page->mapping)) {
		report_misuse("freeing busy pfn %#lx: flags %#x, type %s, "
			      "mapcount %d, mapping %p", page_to_pfn(page),
			      flags, page_type_name(page_get_type(page)),
			      page_mapcount(page), (void *)page->mapping);
		return;		/* leak it rather than corrupt the lists */
	}
	atomic_store_explicit(&page->flags, 0, memory_order_relaxed);
	page->private = 0;
	page->index = 0;
	page->memcg = NULL;
	count_vm_events(PGFREE, 1UL << order);
	if (order == 0) {
		free_unref_page(page);
	} else {
		struct zone *zone = page_zone(page);

		spin_lock(&zone->lock);
		free_one_page(zone, page, page_to_pfn(page), order);
		spin_unlock(&zone->lock);
	}
}

void __free_pages(struct page *page, unsigned int order)
{
	unsigned int allocated;

	if (unlikely(order > MAX_PAGE_ORDER || PageTail(page))) {
		report_misuse("__free_pages(pfn %#lx, order %u): %s",
			      page_to_pfn(page), order,
			      PageTail(page) ? "tail page" : "bad order");
		return;
	}
	allocated = atomic_load_explicit(&page->order, memory_order_relaxed);
	if (unlikely(page_ref_count(page) <= 0 || PageBuddy(page))) {
		report_misuse("double free of pfn %#lx (order %u)",
			      page_to_pfn(page), order);
		return;
	}
	if (unlikely(allocated != order)) {
		report_misuse("pfn %#lx freed with order %u, allocated with "
			      "order %u", page_to_pfn(page), order, allocated);
		return;
	}
	if (put_page_testzero(page)) {
		free_pages_prepared(page, order);
	} else if (!PageHead(page)) {
		/*
		 * Someone holds a speculative reference on the first page:
		 * free the rest now; their put_page() frees the first page.
		 * Each piece carries the block's memcg, so the free hook
		 * uncharges every piece (2^order pages in all, not just the
		 * first page's one).
		 */
		atomic_store_explicit(&page->order, 0, memory_order_relaxed);
		while (order-- > 0) {
			struct page *piece = page + (1UL << order);

			atomic_store_explicit(&piece->order, (uint8_t)order,
					      memory_order_relaxed);
			piece->memcg = page->memcg;
			set_page_count(piece, 0);
			free_pages_prepared(piece, order);
		}
	}
}

void free_pages(void *addr, unsigned int order)
{
	if (addr)
		__free_pages(virt_to_page(addr), order);
}

unsigned long nr_free_pages(void)
{
	return (unsigned long)global_zone_page_state(NR_FREE_PAGES);
}
