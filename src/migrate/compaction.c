// SPDX-License-Identifier: MIT
/*
 * compaction.c - memory compaction: a migration scanner walks a zone from
 * its low end isolating movable pages, a free scanner walks from the high
 * end isolating free pages, and migrate_pages() moves the first into the
 * second until the scanners meet or a free block of the wanted order
 * exists. Direct compaction (from the allocator, deferred after failures),
 * kcompactd (woken after a failed high-order allocation, and proactive
 * every 500 ms, backing off when that does not help), and a manual
 * whole-memory run; Linux's fragmentation metrics.
 *
 * Invariants and locking:
 *  - A compact_control belongs to one thread; its lists hold isolated
 *    pages: migratepages (isolated movable pages, each with its isolation
 *    reference) and freepages (order-0 pages taken from the buddy lists,
 *    refcount 0, type none, on no other list). Both lists are empty when
 *    compact_zone() returns: migrated or put back; used or released.
 *  - The free scanner works one pageblock at a time under zone->lock; the
 *    migration scanner takes no lock: it looks at each page locklessly
 *    (type, flags, buddy order: hints only) and then isolates through
 *    isolate_movable_page(), which re-checks under the owner's lock.
 *  - Pageblock skip hints: set on a block where nothing could be isolated,
 *    cleared for the zone when a pass completes (the scanners met) or by a
 *    manual run; hints only.
 *  - kcompactd_max_order, kcompactd_stopping: atomics; kcompactd_wait is a
 *    completion used as a wake-up (spurious wake-ups are harmless).
 *  - compact_defer[zone]: atomics, hints (see defer_compaction()); the
 *    proactive back-off count is kcompactd's own (a local).
 *  - Direct compaction runs inside the allocator's reclaim context
 *    (PF_MEMALLOC); compaction itself allocates only by taking free pages.
 */
#include <ballast/migrate.h>
#include <ballast/task.h>
#include <ballast/lib/testhook.h>

#include <errno.h>
#include <stdio.h>

#define COMPACTION_HPAGE_ORDER pageblock_order
#define COMPACT_CLUSTER_MAX 32
#define HPAGE_FRAG_CHECK_INTERVAL_MSEC 500
#define EXTFRAG_THRESHOLD 500
#define COMPACT_MAX_DEFER_SHIFT 6

struct compact_control {
	struct list_head freepages;
	unsigned long nr_freepages;
	struct list_head migratepages;
	unsigned long nr_migratepages;
	unsigned long free_pfn;		/* next pageblock the free scanner takes */
	unsigned long migrate_pfn;	/* next pfn the migration scanner looks at */
	struct zone *zone;
	int order;			/* -1: compact the whole zone */
	enum migrate_mode mode;
	bool ignore_skip_hint;
	bool proactive;
	bool kcompactd;
};

static _Atomic(unsigned int) proactiveness = 20;
static struct task *kcompactd_task;
static struct completion kcompactd_wait;
static _Atomic(int) kcompactd_max_order = -1;
static _Atomic(bool) kcompactd_stopping;

/* ------------------------------------------------------------------ */
/* Fragmentation metrics                                                 */
/* ------------------------------------------------------------------ */

struct contig_page_info {
	unsigned long free_pages;
	unsigned long free_blocks_total;
	unsigned long free_blocks_suitable;
};

static void fill_contig_page_info(struct zone *zone, unsigned int order,
				  struct contig_page_info *info)
{
	*info = (struct contig_page_info){ 0 };
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		unsigned long blocks = atomic_load_explicit(
			&zone->free_area[o].nr_free, memory_order_relaxed);

		info->free_blocks_total += blocks;
		info->free_pages += blocks << o;
		if (o >= order)
			info->free_blocks_suitable += blocks << (o - order);
	}
}

int extfrag_index(struct zone *zone, unsigned int order)
{
	struct contig_page_info info;
	unsigned long requested = 1UL << order;

	fill_contig_page_info(zone, order, &info);
	if (!info.free_blocks_total)
		return 0;
	if (info.free_blocks_suitable)
		return -1000;
	return (int)(1000 - (1000 + info.free_pages * 1000 / requested) /
				    info.free_blocks_total);
}

int unusable_free_index(struct zone *zone, unsigned int order)
{
	struct contig_page_info info;

	fill_contig_page_info(zone, order, &info);
	if (!info.free_pages)
		return 1000;	/* nothing free: nothing usable either */
	return (int)((info.free_pages - (info.free_blocks_suitable << order)) *
		     1000 / info.free_pages);
}

/* Percentage of free memory unusable for a huge-page-sized block. */
static unsigned int extfrag_for_order(struct zone *zone, unsigned int order)
{
	struct contig_page_info info;

	fill_contig_page_info(zone, order, &info);
	if (!info.free_pages)
		return 0;
	return (unsigned int)((info.free_pages -
			       (info.free_blocks_suitable << order)) * 100 /
			      info.free_pages);
}

/* Linux's fragmentation_score_zone(): what proactive compaction lowers. */
static unsigned int fragmentation_score_zone(struct zone *zone)
{
	return extfrag_for_order(zone, COMPACTION_HPAGE_ORDER);
}

/*
 * Linux's fragmentation_score_zone_weighted(): weighted by the zone's
 * present pages, which are its spanned pages here (RAM has no holes; a
 * balloon changes managed pages, not present ones).
 */
unsigned int fragmentation_score(struct zone *zone)
{
	return (unsigned int)(fragmentation_score_zone(zone) *
			      zone->spanned_pages /
			      (contig_page_data.node_spanned_pages + 1));
}

/* Linux's fragmentation_score_node(): what kcompactd compares. */
static unsigned int fragmentation_score_node(void)
{
	unsigned int score = 0;
	struct zone *zone;

	for_each_zone(zone)
		if (zone_managed_pages(zone))
			score += fragmentation_score(zone);
	return score;
}

/*
 * Linux's fragmentation_score_wmark(): the low mark is capped at 5, so
 * that proactiveness near 100 does not compact without end.
 */
static unsigned int score_wmark(bool low)
{
	unsigned int p = atomic_load(&proactiveness);
	unsigned int wmark_low = max(100 - p, 5u);

	return low ? wmark_low : min(wmark_low + 10, 100u);
}

void compaction_set_proactiveness(unsigned int value)
{
	atomic_store(&proactiveness, min(value, 100u));
}

/*
 * One line per zone, as Linux's extfrag_show_print() ("%2d.%03d ") and
 * unusable_show_print() ("%d.%03d "). The values are -1000 or 0..1000, so
 * the integer division prints them right ("-1.000", " 0.624").
 */
static void index_dump(FILE *f, int (*fn)(struct zone *, unsigned int),
		       bool wide)
{
	struct zone *zone;

	for_each_zone(zone) {
		if (!zone_managed_pages(zone))
			continue;
		fprintf(f, "Node 0, zone %8s ", zone->name);
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
			int v = fn(zone, o);

			fprintf(f, wide ? "%2d.%03d " : "%d.%03d ", v / 1000,
				v % 1000);
		}
		fputc('\n', f);
	}
}

void extfrag_dump(FILE *f)
{
	index_dump(f, extfrag_index, true);
}

void unusable_dump(FILE *f)
{
	index_dump(f, unusable_free_index, false);
}

/* ------------------------------------------------------------------ */
/* Scanners                                                              */
/* ------------------------------------------------------------------ */

/* The migration scanner reached the block the free scanner takes next. */
static bool compact_scanners_met(const struct compact_control *cc)
{
	return (cc->free_pfn >> pageblock_order) <=
	       (cc->migrate_pfn >> pageblock_order);
}

static void count_scanned(struct compact_control *cc, bool free_scanner,
			  unsigned long n)
{
	if (!n)
		return;
	count_vm_events(free_scanner ? COMPACTFREE_SCANNED
				     : COMPACTMIGRATE_SCANNED, n);
	if (cc->kcompactd)
		count_vm_events(free_scanner ? KCOMPACTD_FREE_SCANNED
					     : KCOMPACTD_MIGRATE_SCANNED, n);
}

/* Isolate movable pages of the pageblock at cc->migrate_pfn. */
static void isolate_migratepages(struct compact_control *cc)
{
	unsigned long start = cc->migrate_pfn;
	unsigned long end = min(ALIGN_DOWN(start, pageblock_nr_pages) +
					pageblock_nr_pages,
				zone_end_pfn(cc->zone));
	unsigned long pfn, scanned = 0, isolated = 0;
	struct page *first = pfn_to_page(start);

	cc->migrate_pfn = end;
	if (!cc->ignore_skip_hint && pageblock_skip_get(first))
		return;
	/* Async compaction only moves pages out of movable blocks. */
	if (cc->mode == MIGRATE_ASYNC &&
	    get_pageblock_migratetype(first) != MIGRATE_MOVABLE)
		return;
	for (pfn = start; pfn < end; pfn++) {
		struct page *page = pfn_to_page(pfn);

		scanned++;
		/* A block stepped over counts page by page, as in Linux. */
		if (PageBuddy(page)) {
			unsigned int o = buddy_order_unsafe(page);

			if (o <= MAX_PAGE_ORDER) {
				pfn += (1UL << o) - 1;
				scanned += (1UL << o) - 1;
			}
			continue;
		}
		if (PageHead(page)) {
			pfn += (1UL << compound_order(page)) - 1;
			scanned += (1UL << compound_order(page)) - 1;
			continue;
		}
		if (page_movable_ops(page)) {
			if (!isolate_movable_page(page,
						  cc->mode == MIGRATE_ASYNC
							  ? ISOLATE_ASYNC_MIGRATE
							  : 0))
				continue;
		} else if (!isolate_migratable_lru_page(page)) {
			continue;
		}
		list_add_tail(&page->lru, &cc->migratepages);
		cc->nr_migratepages++;
		isolated++;
		if (cc->nr_migratepages >= COMPACT_CLUSTER_MAX) {
			cc->migrate_pfn = pfn + 1;
			break;
		}
	}
	count_scanned(cc, false, scanned);
	count_vm_events(COMPACTISOLATED, isolated);
	if (!isolated && cc->migrate_pfn == end)
		pageblock_skip_set(first);
}

/*
 * Linux's suitable_migration_target(): a movable pageblock, unless it
 * starts with a free block of the order compaction works for (a whole
 * pageblock when it compacts everything): splitting that block to hold
 * migrated pages would undo what compaction is after. A lockless look.
 */
static bool suitable_migration_target(const struct compact_control *cc,
				      struct page *page)
{
	if (PageBuddy(page)) {
		unsigned int order = cc->order > 0 ? (unsigned int)cc->order
						   : pageblock_order;

		if (buddy_order_unsafe(page) >= order)
			return false;
	}
	return get_pageblock_migratetype(page) == MIGRATE_MOVABLE;
}

/* Isolate free pages from pageblocks below cc->free_pfn. */
static void isolate_freepages(struct compact_control *cc)
{
	struct zone *zone = cc->zone;

	while (cc->nr_freepages < cc->nr_migratepages &&
	       !compact_scanners_met(cc) &&
	       cc->free_pfn >= zone->zone_start_pfn) {
		unsigned long block = cc->free_pfn;
		struct page *first = pfn_to_page(block);
		unsigned long scanned = 0, isolated = 0;

		cc->free_pfn = block >= pageblock_nr_pages
				       ? block - pageblock_nr_pages : 0;
		if (block < zone->zone_start_pfn)
			break;
		if (!suitable_migration_target(cc, first) ||
		    (!cc->ignore_skip_hint && pageblock_skip_get(first)))
			continue;
		spin_lock(&zone->lock);
		for (unsigned long pfn = block; pfn < block + pageblock_nr_pages;
		     pfn++) {
			struct page *page = pfn_to_page(pfn);
			unsigned long n;

			scanned++;
			if (!PageBuddy(page))
				continue;
			n = isolate_free_page_locked(zone, page, &cc->freepages);
			if (!n)
				break;	/* the zone is at its min watermark */
			isolated += n;
			pfn += n - 1;
			scanned += n - 1;
		}
		spin_unlock(&zone->lock);
		cc->nr_freepages += isolated;
		count_scanned(cc, true, scanned);
		count_vm_events(COMPACTISOLATED, isolated);
		if (!isolated)
			pageblock_skip_set(first);
		if (block == zone->zone_start_pfn)
			break;
	}
}

static struct page *compaction_alloc(struct page *src, unsigned long data)
{
	struct compact_control *cc = (struct compact_control *)data;
	struct page *page;

	if (list_empty(&cc->freepages))
		isolate_freepages(cc);
	if (list_empty(&cc->freepages))
		return NULL;
	page = list_first_entry(&cc->freepages, struct page, lru);
	list_del(&page->lru);
	cc->nr_freepages--;
	prep_new_page(page, __GFP_MOVABLE);
	return page;
}

static void compaction_free(struct page *dst, unsigned long data)
{
	struct compact_control *cc = (struct compact_control *)data;

	if (!put_page_testzero(dst)) {
		report_misuse("migration kept a reference on unused pfn %#lx",
			      page_to_pfn(dst));
		return;
	}
	list_add(&dst->lru, &cc->freepages);
	cc->nr_freepages++;
}

static void release_freepages(struct compact_control *cc)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &cc->freepages, lru) {
		list_del(&page->lru);
		release_free_page(page);
	}
	cc->nr_freepages = 0;
}

/* ------------------------------------------------------------------ */
/* Deferral of direct compaction                                         */
/* ------------------------------------------------------------------ */

/*
 * After a zone failed to compact for an order at a synchronous priority,
 * Linux skips attempts for that order or higher: 1 << defer_shift of them
 * are counted, the last one compacts, so 1, 3, 7 ... 63 are skipped
 * (defer_compaction(), compaction_deferred(), compaction_defer_reset()).
 * The state lives here, indexed by zone; each field is atomic and touched
 * only by these three helpers. Racing compactors may lose an update,
 * which costs at most an attempt too many or too few: hints, as in Linux.
 */
struct compact_defer {
	_Atomic(unsigned int) considered;	/* attempts since a failure */
	_Atomic(unsigned int) defer_shift;	/* the 1 << shift-th compacts */
	_Atomic(int) order_failed;		/* lowest order that failed */
};

static struct compact_defer compact_defer[MAX_NR_ZONES];

static void defer_compaction(struct zone *zone, int order)
{
	struct compact_defer *d = &compact_defer[zone->idx];

	atomic_store(&d->considered, 0);
	if (atomic_load(&d->defer_shift) < COMPACT_MAX_DEFER_SHIFT)
		atomic_fetch_add(&d->defer_shift, 1);
	if (order < atomic_load(&d->order_failed))
		atomic_store(&d->order_failed, order);
}

static bool compaction_deferred(struct zone *zone, int order)
{
	struct compact_defer *d = &compact_defer[zone->idx];
	unsigned int limit = 1u << atomic_load(&d->defer_shift);

	if (order < atomic_load(&d->order_failed))
		return false;
	if (atomic_fetch_add(&d->considered, 1) + 1 >= limit) {
		atomic_store(&d->considered, limit);
		return false;
	}
	return true;
}

static void compaction_defer_reset(struct zone *zone, int order,
				   bool alloc_success)
{
	struct compact_defer *d = &compact_defer[zone->idx];

	if (alloc_success) {
		atomic_store(&d->considered, 0);
		atomic_store(&d->defer_shift, 0);
	}
	if (order >= atomic_load(&d->order_failed))
		atomic_store(&d->order_failed, order + 1);
}

/* ------------------------------------------------------------------ */
/* Zone compaction                                                       */
/* ------------------------------------------------------------------ */

static bool free_block_exists(struct zone *zone, unsigned int order)
{
	for (unsigned int o = order; o < NR_PAGE_ORDERS; o++)
		if (atomic_load_explicit(&zone->free_area[o].nr_free,
					 memory_order_relaxed))
			return true;
	return false;
}

static enum compact_result compaction_suitable(struct zone *zone, int order)
{
	unsigned long watermark;

	if (order < 0)
		return COMPACT_CONTINUE;
	if (zone_watermark_ok(zone, (unsigned int)order, low_wmark_pages(zone),
			      zone->idx))
		return COMPACT_SUCCESS;
	/* Enough free memory to migrate into, counting order-0 pages? */
	watermark = low_wmark_pages(zone) + (2UL << order);
	if (!zone_watermark_ok(zone, 0, watermark, zone->idx))
		return COMPACT_SKIPPED;
	/* A failure for lack of memory, not fragmentation: do not compact. */
	if (order > PAGE_ALLOC_COSTLY_ORDER) {
		int idx = extfrag_index(zone, (unsigned int)order);

		if (idx >= 0 && idx <= EXTFRAG_THRESHOLD)
			return COMPACT_NOT_SUITABLE_ZONE;
	}
	return COMPACT_CONTINUE;
}

static enum compact_result compact_finished(struct compact_control *cc)
{
	if (compact_scanners_met(cc) ||
	    cc->migrate_pfn >= zone_end_pfn(cc->zone)) {
		/* A full pass: forget the skip hints for the next one. */
		pageblock_skip_clear_zone(cc->zone);
		return COMPACT_COMPLETE;
	}
	if (cc->proactive)
		return fragmentation_score_zone(cc->zone) > score_wmark(true)
			       ? COMPACT_CONTINUE : COMPACT_SUCCESS;
	if (cc->order < 0)
		return COMPACT_CONTINUE;
	if (free_block_exists(cc->zone, (unsigned int)cc->order) &&
	    zone_watermark_ok(cc->zone, (unsigned int)cc->order,
			      min_wmark_pages(cc->zone), cc->zone->idx))
		return COMPACT_SUCCESS;
	return COMPACT_CONTINUE;
}

static enum compact_result compact_zone(struct compact_control *cc)
{
	struct zone *zone = cc->zone;
	enum compact_result ret;

	INIT_LIST_HEAD(&cc->freepages);
	INIT_LIST_HEAD(&cc->migratepages);
	cc->nr_freepages = cc->nr_migratepages = 0;
	ret = compaction_suitable(zone, cc->order);
	if (ret != COMPACT_CONTINUE || !zone_managed_pages(zone))
		return ret;
	cc->migrate_pfn = zone->zone_start_pfn;
	cc->free_pfn = ALIGN_DOWN(zone_end_pfn(zone) - 1, pageblock_nr_pages);

	while ((ret = compact_finished(cc)) == COMPACT_CONTINUE) {
		int err;

		isolate_migratepages(cc);
		if (!cc->nr_migratepages)
			continue;
		err = migrate_pages(&cc->migratepages, compaction_alloc,
				    compaction_free, (unsigned long)cc, cc->mode,
				    MR_COMPACTION, NULL);
		putback_movable_pages(&cc->migratepages);
		cc->nr_migratepages = 0;
		if (err == -ENOMEM) {
			/* The free scanner met the migration scanner. */
			ret = COMPACT_COMPLETE;
			pageblock_skip_clear_zone(zone);
			break;
		}
	}
	release_freepages(cc);
	return ret;
}

static enum migrate_mode prio_to_mode(enum compact_priority prio)
{
	switch (prio) {
	case COMPACT_PRIO_SYNC_FULL:
		return MIGRATE_SYNC;
	case COMPACT_PRIO_SYNC_LIGHT:
		return MIGRATE_SYNC_LIGHT;
	default:
		return MIGRATE_ASYNC;
	}
}

static enum compact_result try_to_compact_pages(gfp_t gfp, unsigned int order,
						enum compact_priority prio)
{
	enum zone_type highest = (gfp & __GFP_DMA) ? ZONE_DMA : ZONE_NORMAL;
	enum compact_result rc = COMPACT_SKIPPED;

	/*
	 * Linux's gfp_compaction_allowed(): migration may wait on page locks
	 * held across I/O, which a GFP_NOIO caller must not depend on.
	 */
	if (!(gfp & __GFP_IO))
		return COMPACT_SKIPPED;
	for (int z = (int)highest; z >= 0; z--) {
		struct zone *zone = &contig_page_data.node_zones[z];
		struct compact_control cc = {
			.zone = zone,
			.order = (int)order,
			.mode = prio_to_mode(prio),
			.ignore_skip_hint = prio == COMPACT_PRIO_SYNC_FULL,
		};
		enum compact_result status;

		/* The highest priority is the last resort: never deferred. */
		if (prio != COMPACT_PRIO_SYNC_FULL &&
		    compaction_deferred(zone, (int)order)) {
			rc = max(rc, COMPACT_DEFERRED);
			continue;
		}
		status = compact_zone(&cc);
		rc = max(rc, status);
		if (status == COMPACT_SUCCESS) {
			/*
			 * Linux resets the whole deferral once the allocation
			 * has succeeded; this hook does not learn that, but a
			 * free block of the order is there now.
			 */
			compaction_defer_reset(zone, (int)order, true);
			break;
		}
		/* Async compaction gives up early: its failure means little. */
		if (prio != COMPACT_PRIO_ASYNC && status == COMPACT_COMPLETE)
			defer_compaction(zone, (int)order);
	}
	return rc;
}

void compact_nodes(void)
{
	struct zone *zone;

	might_sleep();
	for_each_zone(zone) {
		struct compact_control cc = {
			.zone = zone,
			.order = -1,
			.mode = MIGRATE_SYNC,
			.ignore_skip_hint = true,
		};

		compact_zone(&cc);
	}
}

/* ------------------------------------------------------------------ */
/* kcompactd                                                             */
/* ------------------------------------------------------------------ */

static void kcompactd_do_work(int order)
{
	struct zone *zone;

	count_vm_event(KCOMPACTD_WAKE);
	for_each_zone(zone) {
		struct compact_control cc = {
			.zone = zone,
			.order = order,
			.mode = MIGRATE_SYNC_LIGHT,
			.kcompactd = true,
		};
		enum compact_result status;

		if (compaction_deferred(zone, order) ||
		    compaction_suitable(zone, order) != COMPACT_CONTINUE)
			continue;
		status = compact_zone(&cc);
		if (status == COMPACT_SUCCESS) {
			compaction_defer_reset(zone, order, false);
		} else if (status == COMPACT_COMPLETE) {
			/*
			 * Free pages stranded on per-CPU lists may complete a
			 * block; sync migration defers as direct compaction's.
			 */
			drain_all_pages(zone);
			defer_compaction(zone, order);
		}
	}
}

/*
 * Linux's proactive compaction of the node: every zone, until its own
 * score is at the low mark. Returns whether the node's score went down.
 */
static bool kcompactd_proactive(void)
{
	unsigned int prev_score = fragmentation_score_node();
	struct zone *zone;

	for_each_zone(zone) {
		struct compact_control cc = {
			.zone = zone,
			.order = -1,
			.mode = MIGRATE_SYNC_LIGHT,
			.ignore_skip_hint = true,
			.proactive = true,
			.kcompactd = true,
		};

		if (zone_managed_pages(zone))
			compact_zone(&cc);
	}
	return fragmentation_score_node() < prev_score;
}

static int kcompactd(void *arg)
{
	/* Intervals to skip after a proactive run that did not help. */
	unsigned int proactive_defer = 0;

	while (!atomic_load(&kcompactd_stopping)) {
		int order;

		if (!wait_for_completion_timeout(&kcompactd_wait,
						 HPAGE_FRAG_CHECK_INTERVAL_MSEC)) {
			if (atomic_load(&proactiveness) &&
			    fragmentation_score_node() > score_wmark(false)) {
				if (proactive_defer)
					proactive_defer--;
				else if (!kcompactd_proactive())
					proactive_defer =
						1u << COMPACT_MAX_DEFER_SHIFT;
			}
		} else {
			order = atomic_exchange(&kcompactd_max_order, -1);
			if (order > 0 && !atomic_load(&kcompactd_stopping))
				kcompactd_do_work(order);
		}
		/* Test builds: one round of kcompactd is over (no locks held). */
		TEST_HOOK("compaction.kcompactd_round", NULL);
	}
	return 0;
}

static void wakeup_kcompactd(unsigned int order)
{
	int cur = atomic_load(&kcompactd_max_order);

	while ((int)order > cur &&
	       !atomic_compare_exchange_weak(&kcompactd_max_order, &cur,
					     (int)order))
		;
	complete(&kcompactd_wait);
}

static const struct alloc_hooks compaction_hooks = {
	.try_to_compact_pages = try_to_compact_pages,
	.wakeup_kcompactd = wakeup_kcompactd,
};

int compaction_init(void)
{
	int ret;

	/* The zones start afresh, as Linux's zeroed ones do. */
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		atomic_store(&compact_defer[z].considered, 0);
		atomic_store(&compact_defer[z].defer_shift, 0);
		atomic_store(&compact_defer[z].order_failed, 0);
	}
	init_completion(&kcompactd_wait);
	atomic_store(&kcompactd_stopping, false);
	atomic_store(&kcompactd_max_order, -1);
	ret = task_create(&kcompactd_task, "kcompactd0", kcompactd, NULL,
			  PF_KTHREAD);
	if (ret)
		return ret;
	alloc_set_hooks(&compaction_hooks);
	return 0;
}

void compaction_exit(void)
{
	if (!kcompactd_task)
		return;
	alloc_clear_hooks(&compaction_hooks);
	atomic_store(&kcompactd_stopping, true);
	complete(&kcompactd_wait);
	task_destroy(kcompactd_task);
	kcompactd_task = NULL;
}
