// SPDX-License-Identifier: MIT
/*
 * zone.c - zones over guest RAM: layout, pageblock flags, watermarks,
 * lowmem reserves, managed pages; start-up and tear-down of the allocator.
 *
 * Invariants and locking:
 *  - Layout: ZONE_DMA covers [0, dma_pages), ZONE_NORMAL the rest; both
 *    are multiples of MAX_ORDER_NR_PAGES (4 MiB), so every max-order block
 *    lies inside one zone. Immutable after alloc_init().
 *  - Each pageblock has a flags byte (migrate type, compaction skip hint),
 *    atomic; the migrate type is written under the zone lock only.
 *  - Watermarks and lowmem reserves are derived from managed pages (as
 *    Linux's min_free_kbytes = sqrt(16 * lowmem KiB)); they are atomics,
 *    recomputed under wmark_lock whenever managed pages change.
 *  - alloc_init() and alloc_exit() run while no other thread uses ballast.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pglist_data contig_page_data;
int nr_pcp_sets;

/* Serialises watermark recomputation (a leaf lock). */
static DEFINE_SPINLOCK(wmark_lock);

#define WATERMARK_SCALE_FACTOR 10	/* per 10000 of managed pages */
#define LOWMEM_RESERVE_RATIO 256
#define MAX_PCP_SETS 8

static const char *const zone_names[MAX_NR_ZONES] = { "DMA", "Normal" };

static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0, bit = 1UL << (sizeof(long) * 8 - 2);

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

static unsigned long dma_zone_pages(unsigned long nr_pages)
{
	unsigned long pages = nr_pages / 16;

	pages = clamp(pages, MAX_ORDER_NR_PAGES, (256UL << 20) >> PAGE_SHIFT);
	return ALIGN_DOWN(pages, MAX_ORDER_NR_PAGES);
}

unsigned long totalram_pages(void)
{
	struct zone *zone;
	unsigned long total = 0;

	for_each_zone(zone)
		total += zone_managed_pages(zone);
	return total;
}

void setup_per_zone_wmarks(void)
{
	unsigned long total = totalram_pages();
	unsigned long min_kbytes, pages_min;
	struct zone *zone;

	if (!total)
		return;
	min_kbytes = int_sqrt((total << (PAGE_SHIFT - 10)) * 16);
	min_kbytes = clamp(min_kbytes, 128UL, 262144UL);
	pages_min = min_kbytes >> (PAGE_SHIFT - 10);

	spin_lock(&wmark_lock);
	for_each_zone(zone) {
		unsigned long managed = zone_managed_pages(zone);
		unsigned long min = pages_min * managed / total;
		unsigned long step = max(min / 4,
					 managed * WATERMARK_SCALE_FACTOR / 10000);

		atomic_store(&zone->_watermark[WMARK_MIN], min);
		atomic_store(&zone->_watermark[WMARK_LOW], min + step);
		atomic_store(&zone->_watermark[WMARK_HIGH], min + 2 * step);
	}
	/* Protect the low zone from allocations that could use Normal. */
	atomic_store(&contig_page_data.node_zones[ZONE_DMA]
			      .lowmem_reserve[ZONE_NORMAL],
		     (long)(zone_managed_pages(
				    &contig_page_data.node_zones[ZONE_NORMAL]) /
			    LOWMEM_RESERVE_RATIO));
	spin_unlock(&wmark_lock);
}

void adjust_managed_page_count(struct page *page, long count)
{
	atomic_fetch_add(&page_zone(page)->managed_pages, count);
	setup_per_zone_wmarks();
}

static int zone_init(struct zone *zone, enum zone_type idx,
		     unsigned long start_pfn, unsigned long pages)
{
	unsigned long nr_blocks = pages >> pageblock_order;
	unsigned long batch;

	zone->name = zone_names[idx];
	zone->idx = idx;
	zone->zone_start_pfn = start_pfn;
	zone->spanned_pages = pages;
	atomic_store(&zone->managed_pages, 0);
	spin_lock_init(&zone->lock);
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			INIT_LIST_HEAD(&zone->free_area[o].free_list[mt]);
		atomic_store(&zone->free_area[o].nr_free, 0);
	}
	zone->pageblock_flags = calloc(nr_blocks ? nr_blocks : 1, 1);
	if (!zone->pageblock_flags)
		return -ENOMEM;
	/* Every pageblock starts movable, as at boot in Linux. */
	for (unsigned long b = 0; b < nr_blocks; b++)
		atomic_store(&zone->pageblock_flags[b], MIGRATE_MOVABLE);

	/* Linux's zone_batchsize(): about a quarter of 1/1024 of the zone. */
	batch = min(pages >> 10, (1UL << 20) / PAGE_SIZE) / 4;
	if (batch > 1) {
		unsigned long p = 1;

		while (p * 2 <= batch + batch / 2)
			p *= 2;
		batch = p - 1;
	}
	batch = clamp(batch, 1UL, 63UL);
	zone->nr_pcp = nr_pcp_sets;
	zone->pcp = aligned_alloc(64, sizeof(*zone->pcp) * (size_t)nr_pcp_sets);
	if (!zone->pcp)
		return -ENOMEM;
	memset(zone->pcp, 0, sizeof(*zone->pcp) * (size_t)nr_pcp_sets);
	for (int i = 0; i < nr_pcp_sets; i++) {
		struct per_cpu_pages *pcp = &zone->pcp[i];

		spin_lock_init(&pcp->lock);
		pcp->batch = (int)batch;
		pcp->high = (int)batch * 6;
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			INIT_LIST_HEAD(&pcp->lists[mt]);
	}
	return 0;
}

static void zone_release(struct zone *zone)
{
	free(zone->pageblock_flags);
	free(zone->pcp);
	zone->pageblock_flags = NULL;
	zone->pcp = NULL;
}

/* Hand every page of @zone to the buddy lists as max-order blocks. */
static void zone_free_all(struct zone *zone)
{
	unsigned long pfn;

	for (pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone);
	     pfn += MAX_ORDER_NR_PAGES) {
		for (unsigned long i = 0; i < MAX_ORDER_NR_PAGES; i++) {
			struct page *page = pfn_to_page(pfn + i);

			ClearPageReserved(page);
			set_page_count(page, 0);
		}
		atomic_fetch_add(&zone->managed_pages, (long)MAX_ORDER_NR_PAGES);
		spin_lock(&zone->lock);
		free_one_page(zone, pfn_to_page(pfn), pfn, MAX_PAGE_ORDER);
		spin_unlock(&zone->lock);
	}
}

static void page_release(struct page *page)
{
	free_pages_prepared(page, atomic_load_explicit(&page->order,
						       memory_order_relaxed));
}

int alloc_init(void)
{
	struct pglist_data *pgdat = &contig_page_data;
	unsigned long dma_pages;
	long cpus;
	int ret;

	if (!max_pfn)
		return -EINVAL;
	memset(pgdat, 0, sizeof(*pgdat));
	cpus = sysconf(_SC_NPROCESSORS_CONF);
	nr_pcp_sets = (int)clamp(cpus, 1L, (long)MAX_PCP_SETS);

	dma_pages = dma_zone_pages(max_pfn);
	pgdat->node_start_pfn = 0;
	pgdat->node_spanned_pages = max_pfn;
	ret = zone_init(&pgdat->node_zones[ZONE_DMA], ZONE_DMA, 0, dma_pages);
	if (!ret)
		ret = zone_init(&pgdat->node_zones[ZONE_NORMAL], ZONE_NORMAL,
				dma_pages, max_pfn - dma_pages);
	if (ret) {
		zone_release(&pgdat->node_zones[ZONE_DMA]);
		zone_release(&pgdat->node_zones[ZONE_NORMAL]);
		return ret;
	}
	page_set_release_hook(page_release);
#if BALLAST_TESTING
	alloc_fault_init_from_env();
#endif
	zone_free_all(&pgdat->node_zones[ZONE_DMA]);
	zone_free_all(&pgdat->node_zones[ZONE_NORMAL]);
	setup_per_zone_wmarks();
	return 0;
}

void alloc_exit(void)
{
	struct zone *zone;
	unsigned long leaked = 0;

	drain_all_pages(NULL);
	for_each_zone(zone) {
		if (!zone->pcp)
			continue;
		leaked += zone_managed_pages(zone) -
			  (unsigned long)zone_page_state(zone, NR_FREE_PAGES);
	}
	if (leaked)
		pr_warn("alloc_exit: %lu pages still allocated", leaked);
	page_set_release_hook(NULL);
	for_each_zone(zone)
		zone_release(zone);
	memset(&contig_page_data, 0, sizeof(contig_page_data));
}

enum migratetype get_pageblock_migratetype(const struct page *page)
{
	unsigned long pfn = page_to_pfn(page);

	return (enum migratetype)(atomic_load_explicit(
		pageblock_flags_ptr(page_zone(page), pfn),
		memory_order_relaxed) & PB_MIGRATETYPE_MASK);
}

void set_pageblock_migratetype(struct zone *zone, unsigned long pfn,
			       enum migratetype mt)
{
	_Atomic(uint8_t) *p = pageblock_flags_ptr(zone, pfn);
	uint8_t old = atomic_load_explicit(p, memory_order_relaxed);

	/* A CAS loop: the skip hint is set concurrently without the lock. */
	while (!atomic_compare_exchange_weak_explicit(
		p, &old, (uint8_t)((old & ~PB_MIGRATETYPE_MASK) | mt),
		memory_order_relaxed, memory_order_relaxed))
		;
}

bool pageblock_skip_get(const struct page *page)
{
	return atomic_load_explicit(pageblock_flags_ptr(page_zone(page),
							page_to_pfn(page)),
				    memory_order_relaxed) & PB_SKIP;
}

void pageblock_skip_set(struct page *page)
{
	atomic_fetch_or_explicit(pageblock_flags_ptr(page_zone(page),
						     page_to_pfn(page)),
				 PB_SKIP, memory_order_relaxed);
}

void pageblock_skip_clear_zone(struct zone *zone)
{
	unsigned long nr_blocks = zone->spanned_pages >> pageblock_order;

	for (unsigned long b = 0; b < nr_blocks; b++)
		atomic_fetch_and_explicit(&zone->pageblock_flags[b],
					  (uint8_t)~PB_SKIP,
					  memory_order_relaxed);
}
