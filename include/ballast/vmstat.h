// SPDX-License-Identifier: MIT
/*
 * vmstat.h - memory counters with Linux's /proc/vmstat names (second
 * header of the alloc layer). The item lists name counters that upper
 * layers maintain (reclaim, compaction, balloon, OOM); they are plain
 * enumerators, so no upward call is involved.
 *
 * Rules for users:
 *  1. Zone and node items are gauges (pages): update them where the state
 *     changes, with mod_zone_page_state() / mod_node_page_state(); they
 *     are exact at every instant (atomic).
 *  2. Event items only grow: count_vm_event(s). They are kept per thread
 *     and summed when read, so counting is cheap and reads are
 *     approximate while other threads run.
 *  3. Names printed by the dumpers are the enumerators' Linux names.
 */
#ifndef BALLAST_VMSTAT_H
#define BALLAST_VMSTAT_H

#include <stdio.h>
#include <ballast/lib/compiler.h>

enum zone_stat_item {
	NR_FREE_PAGES,
	NR_ZONE_INACTIVE_ANON,
	NR_ZONE_ACTIVE_ANON,
	NR_ZONE_INACTIVE_FILE,
	NR_ZONE_ACTIVE_FILE,
	NR_ZONE_UNEVICTABLE,
	NR_ZONE_WRITE_PENDING,
	NR_MLOCK,
	NR_VM_ZONE_STAT_ITEMS
};

enum node_stat_item {
	NR_INACTIVE_ANON,
	NR_ACTIVE_ANON,
	NR_INACTIVE_FILE,
	NR_ACTIVE_FILE,
	NR_UNEVICTABLE,
	NR_SLAB_RECLAIMABLE,	/* pages backing reclaimable slabs */
	NR_SLAB_UNRECLAIMABLE,	/* pages backing other slabs */
	NR_ISOLATED_ANON,
	NR_ISOLATED_FILE,
	NR_ANON_MAPPED,
	NR_FILE_MAPPED,
	NR_FILE_PAGES,
	NR_FILE_DIRTY,
	NR_WRITEBACK,
	NR_SHMEM,
	NR_DIRTIED,
	NR_WRITTEN,
	NR_PAGETABLE,		/* page-table pages */
	NR_KERNEL_MISC,		/* pages allocated for other kernel use */
	NR_VMALLOC,
	NR_BALLOON_PAGES,	/* pages in a balloon */
	NR_VM_NODE_STAT_ITEMS
};

enum vm_event_item {
	PGALLOC_DMA,
	PGALLOC_NORMAL,
	PGFREE,
	PGACTIVATE,
	PGDEACTIVATE,
	PGFAULT,
	PGMAJFAULT,
	PGREFILL,
	PGSTEAL_KSWAPD,
	PGSTEAL_DIRECT,
	PGSCAN_KSWAPD,
	PGSCAN_DIRECT,
	PGSCAN_DIRECT_THROTTLE,
	PGINODESTEAL,
	SLABS_SCANNED,
	KSWAPD_INODESTEAL,
	KSWAPD_LOW_WMARK_HIT_QUICKLY,
	KSWAPD_HIGH_WMARK_HIT_QUICKLY,
	PAGEOUTRUN,
	PGROTATED,
	DROP_PAGECACHE,
	DROP_SLAB,
	OOM_KILL,
	ALLOCSTALL_DMA,
	ALLOCSTALL_NORMAL,
	PGMIGRATE_SUCCESS,
	PGMIGRATE_FAIL,
	COMPACTMIGRATE_SCANNED,
	COMPACTFREE_SCANNED,
	COMPACTISOLATED,
	COMPACTSTALL,
	COMPACTFAIL,
	COMPACTSUCCESS,
	KCOMPACTD_WAKE,
	KCOMPACTD_MIGRATE_SCANNED,
	KCOMPACTD_FREE_SCANNED,
	BALLOON_INFLATE,
	BALLOON_DEFLATE,
	BALLOON_MIGRATE,
	NR_VM_EVENT_ITEMS
};

struct zone;

/**
 * count_vm_events() / count_vm_event() - add to an event counter.
 *
 * Context: any; no locks; never sleeps; no allocation after the calling
 * thread's first event (which allocates its counter block from the C
 * heap); no reclaim.
 */
void count_vm_events(enum vm_event_item item, unsigned long delta);
static inline void count_vm_event(enum vm_event_item item)
{
	count_vm_events(item, 1);
}

/**
 * vm_event_sum() - sum of @item over all threads, live and exited.
 * Context: takes and releases event_lock, a C-library mutex held only
 * for the sum (not a ballast lock); never sleeps on a ballast primitive;
 * no allocation; no reclaim.
 * Return: the count (a snapshot: live threads keep counting).
 */
unsigned long vm_event_sum(enum vm_event_item item);

/**
 * mod_zone_page_state() / mod_node_page_state() - add @delta pages to a
 * gauge. Context: any; no locks (atomic); never sleeps; no allocation; no
 * reclaim.
 */
void mod_zone_page_state(struct zone *zone, enum zone_stat_item item,
			 long delta);
void mod_node_page_state(enum node_stat_item item, long delta);

/**
 * zone_page_state() / node_page_state() - read a gauge.
 * global_zone_page_state() - @item summed over all zones.
 * Context: any; lockless atomic reads; never sleep; no allocation; no
 * reclaim.
 * Return: pages.
 */
long zone_page_state(const struct zone *zone, enum zone_stat_item item);
long node_page_state(enum node_stat_item item);
long global_zone_page_state(enum zone_stat_item item);

/*
 * Linux names, for dumps and tests. Context: any; no locks; never sleep;
 * no allocation; no reclaim. Return: a static string; @item must be in
 * range.
 */
const char *zone_stat_name(enum zone_stat_item item);
const char *node_stat_name(enum node_stat_item item);
const char *vm_event_name(enum vm_event_item item);

/**
 * vmstat_dump() - write /proc/vmstat's format ("name value" lines) to @f.
 * buddyinfo_dump() - /proc/buddyinfo: free blocks per order per zone.
 * pagetypeinfo_dump() - /proc/pagetypeinfo: free blocks per order per
 * migrate type per zone, and pageblocks per migrate type.
 *
 * Context: take zone locks briefly (pagetypeinfo) and event_lock (vmstat);
 * never sleep; allocation only by stdio; no reclaim.
 */
void vmstat_dump(FILE *f);
void buddyinfo_dump(FILE *f);
void pagetypeinfo_dump(FILE *f);

#endif /* BALLAST_VMSTAT_H */
