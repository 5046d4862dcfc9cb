// SPDX-License-Identifier: MIT
/* internal.h - shared between the alloc layer's files only. */
#ifndef BALLAST_ALLOC_INTERNAL_H
#define BALLAST_ALLOC_INTERNAL_H

#include <ballast/alloc.h>
#include <ballast/task.h>

/* alloc_flags: how hard an allocation attempt may dig. */
#define ALLOC_WMARK_MIN		WMARK_MIN
#define ALLOC_WMARK_LOW		WMARK_LOW
#define ALLOC_WMARK_HIGH	WMARK_HIGH
#define ALLOC_NO_WATERMARKS	0x04	/* ignore watermarks entirely */
#define ALLOC_WMARK_MASK	(ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM		0x08	/* OOM victim: half the remaining reserve */
#define ALLOC_MIN_RESERVE	0x10	/* __GFP_HIGH: half of min */
#define ALLOC_NON_BLOCK		0x20	/* cannot sleep: with MIN_RESERVE,
					 * a further quarter */
#define ALLOC_KSWAPD		0x40	/* wake kswapd when short */
#define ALLOC_RESERVES (ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_OOM)

#define MAX_RECLAIM_RETRIES 16

/* What one allocation is looking for. */
struct alloc_context {
	enum zone_type highest_zoneidx;
	enum migratetype migratetype;
};

static inline enum migratetype gfp_migratetype(gfp_t gfp)
{
	if (gfp & __GFP_MOVABLE)
		return MIGRATE_MOVABLE;
	if (gfp & __GFP_RECLAIMABLE)
		return MIGRATE_RECLAIMABLE;
	return MIGRATE_UNMOVABLE;
}

/* Pageblock flags byte: migrate type in bits 0-1, skip hint in bit 2. */
#define PB_MIGRATETYPE_MASK 0x3
#define PB_SKIP 0x4

static inline _Atomic(uint8_t) *pageblock_flags_ptr(const struct zone *zone,
						      unsigned long pfn)
{
	return &zone->pageblock_flags[(pfn - zone->zone_start_pfn) >>
				      pageblock_order];
}

void set_pageblock_migratetype(struct zone *zone, unsigned long pfn,
			       enum migratetype mt);

/* buddy.c */
struct page *rmqueue(struct zone *zone, unsigned int order,
		     enum migratetype mt);
struct page *rmqueue_pcplist(struct zone *zone, enum migratetype mt);
void free_one_page(struct zone *zone, struct page *page, unsigned long pfn,
		   unsigned int order);
void free_unref_page(struct page *page);
void drain_zone_pages(struct zone *zone);
/* Would @free_pages free pages leave @zone above @mark after @order? */
bool __zone_watermark_ok(struct zone *zone, unsigned int order,
			 unsigned long mark, enum zone_type highest_zoneidx,
			 unsigned int alloc_flags, long free_pages);
bool zone_watermark_fast(struct zone *zone, unsigned int order,
			 unsigned long mark, enum zone_type highest_zoneidx,
			 unsigned int alloc_flags);
int pcp_index(const struct zone *zone);

/* page_alloc.c */
struct page *get_page_from_freelist(gfp_t gfp, unsigned int order,
				    unsigned int alloc_flags,
				    const struct alloc_context *ac);
void free_pages_prepared(struct page *page, unsigned int order);

/* slowpath.c */
struct page *alloc_pages_slowpath(gfp_t gfp, unsigned int order,
				  struct alloc_context *ac);
extern struct alloc_hooks alloc_hooks_active;

/* zone.c */
void setup_per_zone_wmarks(void);
extern int nr_pcp_sets;

/* fault.c (test builds) */
#if BALLAST_TESTING
struct alloc_forced {
	bool fail, reclaim, oom;
};
void alloc_fault_tick(gfp_t gfp, struct alloc_forced *forced);
void alloc_fault_init_from_env(void);
#endif

/* oom.c: call the OOM notifiers in @oc's reclaim context; oom_lock held. */
void oom_notify_call(struct oom_control *oc, unsigned long *freed);

/* reclaim_ctx.c */
void oom_notify_context_enter(void);
void oom_notify_context_exit(void);
void perform_reclaim_forced(gfp_t gfp);
void oom_notify_forced(gfp_t gfp);

#endif
