// SPDX-License-Identifier: MIT
/*
 * vmstat.c - counters with Linux's names: exact gauges per zone and for
 * the node, event counters kept per thread and summed on read, and the
 * /proc-style dumps (vmstat, buddyinfo, pagetypeinfo).
 *
 * Invariants and locking:
 *  - Gauges are atomics; every update is one atomic add.
 *  - Each thread's event block has a single writer (the thread), which
 *    updates with relaxed load + store; readers load relaxed. A block is on
 *    event_blocks from the thread's first event until it exits; then its
 *    counts are folded into exited_events and it is freed.
 *  - event_lock (a C-library mutex, not a ballast lock) protects the list
 *    and exited_events. It is a leaf taken only here, including from the
 *    thread-exit destructor, where ballast's primitives (and the validator's
 *    per-thread state) may already be gone; nothing is called under it.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>

struct vm_event_block {
	_Atomic(unsigned long) ev[NR_VM_EVENT_ITEMS];
	struct vm_event_block *next;	/* event_lock */
};

static pthread_mutex_t event_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vm_event_block *event_blocks;		/* event_lock */
static unsigned long exited_events[NR_VM_EVENT_ITEMS];	/* event_lock */
static __thread struct vm_event_block *my_events;
static pthread_key_t event_key;
static pthread_once_t event_key_once = PTHREAD_ONCE_INIT;

static void event_block_exit(void *arg)
{
	struct vm_event_block *b = arg, **pos;

	pthread_mutex_lock(&event_lock);
	for (pos = &event_blocks; *pos; pos = &(*pos)->next) {
		if (*pos == b) {
			*pos = b->next;
			break;
		}
	}
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		exited_events[i] += atomic_load_explicit(&b->ev[i],
							 memory_order_relaxed);
	pthread_mutex_unlock(&event_lock);
	my_events = NULL;
	free(b);
}

static void event_key_init(void)
{
	pthread_key_create(&event_key, event_block_exit);
}

static struct vm_event_block *event_block_get(void)
{
	struct vm_event_block *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	pthread_once(&event_key_once, event_key_init);
	pthread_mutex_lock(&event_lock);
	b->next = event_blocks;
	event_blocks = b;
	pthread_mutex_unlock(&event_lock);
	pthread_setspecific(event_key, b);
	my_events = b;
	return b;
}

void count_vm_events(enum vm_event_item item, unsigned long delta)
{
	struct vm_event_block *b = my_events;

	if (unlikely(!b)) {
		b = event_block_get();
		if (!b)
			return;
	}
	atomic_store_explicit(&b->ev[item],
			      atomic_load_explicit(&b->ev[item],
						   memory_order_relaxed) + delta,
			      memory_order_relaxed);
}

unsigned long vm_event_sum(enum vm_event_item item)
{
	unsigned long sum;

	pthread_mutex_lock(&event_lock);
	sum = exited_events[item];
	for (struct vm_event_block *b = event_blocks; b; b = b->next)
		sum += atomic_load_explicit(&b->ev[item], memory_order_relaxed);
	pthread_mutex_unlock(&event_lock);
	return sum;
}

void mod_zone_page_state(struct zone *zone, enum zone_stat_item item,
			 long delta)
{
	atomic_fetch_add_explicit(&zone->vm_stat[item], delta,
				  memory_order_relaxed);
}

void mod_node_page_state(enum node_stat_item item, long delta)
{
	atomic_fetch_add_explicit(&contig_page_data.vm_stat[item], delta,
				  memory_order_relaxed);
}

long zone_page_state(const struct zone *zone, enum zone_stat_item item)
{
	return atomic_load_explicit(&((struct zone *)zone)->vm_stat[item],
				    memory_order_relaxed);
}

long node_page_state(enum node_stat_item item)
{
	return atomic_load_explicit(&contig_page_data.vm_stat[item],
				    memory_order_relaxed);
}

long global_zone_page_state(enum zone_stat_item item)
{
	struct zone *zone;
	long sum = 0;

	for_each_zone(zone)
		sum += zone_page_state(zone, item);
	return sum;
}

static const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS] = {
	"nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon",
	"nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable",
	"nr_zone_write_pending", "nr_mlock",
};

static const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS] = {
	"nr_inactive_anon", "nr_active_anon", "nr_inactive_file",
	"nr_active_file", "nr_unevictable", "nr_slab_reclaimable",
	"nr_slab_unreclaimable", "nr_isolated_anon", "nr_isolated_file",
	"nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_dirty",
	"nr_writeback", "nr_shmem", "nr_dirtied", "nr_written",
	"nr_page_table_pages", "nr_kernel_misc", "nr_vmalloc",
	"nr_balloon_pages",
};

static const char *const vm_event_names[NR_VM_EVENT_ITEMS] = {
	"pgalloc_dma", "pgalloc_normal", "pgfree", "pgactivate",
	"pgdeactivate", "pgfault", "pgmajfault", "pgrefill",
	"pgsteal_kswapd", "pgsteal_direct", "pgscan_kswapd", "pgscan_direct",
	"pgscan_direct_throttle", "pginodesteal", "slabs_scanned",
	"kswapd_inodesteal", "kswapd_low_wmark_hit_quickly",
	"kswapd_high_wmark_hit_quickly", "pageoutrun", "pgrotated",
	"drop_pagecache", "drop_slab", "oom_kill", "allocstall_dma",
	"allocstall_normal", "pgmigrate_success", "pgmigrate_fail",
	"compact_migrate_scanned", "compact_free_scanned", "compact_isolated",
	"compact_stall", "compact_fail", "compact_success",
	"compact_daemon_wake", "compact_daemon_migrate_scanned",
	"compact_daemon_free_scanned", "balloon_inflate", "balloon_deflate",
	"balloon_migrate",
};

_Static_assert(ARRAY_SIZE(zone_stat_names) == NR_VM_ZONE_STAT_ITEMS, "names");
_Static_assert(ARRAY_SIZE(node_stat_names) == NR_VM_NODE_STAT_ITEMS, "names");
_Static_assert(ARRAY_SIZE(vm_event_names) == NR_VM_EVENT_ITEMS, "names");

const char *zone_stat_name(enum zone_stat_item item)
{
	return zone_stat_names[item];
}

const char *node_stat_name(enum node_stat_item item)
{
	return node_stat_names[item];
}

const char *vm_event_name(enum vm_event_item item)
{
	return vm_event_names[item];
}

void vmstat_dump(FILE *f)
{
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		fprintf(f, "%s %ld\n", zone_stat_names[i],
			global_zone_page_state((enum zone_stat_item)i));
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		fprintf(f, "%s %ld\n", node_stat_names[i],
			node_page_state((enum node_stat_item)i));
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		fprintf(f, "%s %lu\n", vm_event_names[i],
			vm_event_sum((enum vm_event_item)i));
}

void buddyinfo_dump(FILE *f)
{
	struct zone *zone;

	for_each_zone(zone) {
		if (!zone->pcp)
			continue;
		fprintf(f, "Node 0, zone %8s ", zone->name);
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			fprintf(f, "%6lu ", atomic_load(&zone->free_area[o].nr_free));
		fputc('\n', f);
	}
}

static const char *const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable",
};

void pagetypeinfo_dump(FILE *f)
{
	struct zone *zone;

	fprintf(f, "Page block order: %d\nPages per block:  %lu\n\n",
		pageblock_order, pageblock_nr_pages);
	fprintf(f, "%-43s ", "Free pages count per migrate type at order");
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		fprintf(f, "%6d ", o);
	fputc('\n', f);
	for_each_zone(zone) {
		if (!zone->pcp)
			continue;
		size_t counts[MIGRATE_TYPES][NR_PAGE_ORDERS];

		spin_lock(&zone->lock);
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			for (int o = 0; o < NR_PAGE_ORDERS; o++)
				counts[mt][o] = list_count_nodes(
					&zone->free_area[o].free_list[mt]);
		spin_unlock(&zone->lock);
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			fprintf(f, "Node %4d, zone %8s, type %12s ", 0,
				zone->name, migratetype_names[mt]);
			for (int o = 0; o < NR_PAGE_ORDERS; o++)
				fprintf(f, "%6zu ", counts[mt][o]);
			fputc('\n', f);
		}
	}
	fprintf(f, "\n%-23s", "Number of blocks type ");
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		fprintf(f, "%12s ", migratetype_names[mt]);
	fputc('\n', f);
	for_each_zone(zone) {
		unsigned long counts[MIGRATE_TYPES] = { 0 };
		unsigned long nr_blocks = zone->spanned_pages >> pageblock_order;

		if (!zone->pcp)
			continue;
		for (unsigned long b = 0; b < nr_blocks; b++)
			counts[atomic_load(&zone->pageblock_flags[b]) &
			       PB_MIGRATETYPE_MASK]++;
		fprintf(f, "Node %d, zone %8s ", 0, zone->name);
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			fprintf(f, "%12lu ", counts[mt]);
		fputc('\n', f);
	}
}
