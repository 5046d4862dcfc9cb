// SPDX-License-Identifier: MIT
/* internal.h - shared between the reclaim layer's files only. */
#ifndef BALLAST_RECLAIM_INTERNAL_H
#define BALLAST_RECLAIM_INTERNAL_H

#include <ballast/reclaim.h>
#include <ballast/task.h>

/*
 * struct scan_control - one reclaim invocation: who reclaims, for what,
 * and what it may do. Owned by the reclaiming task (on its stack).
 */
struct scan_control {
	unsigned long nr_to_reclaim;	/* stop after freeing this many */
	gfp_t gfp_mask;			/* the context's mask (after scopes) */
	unsigned int order;
	enum zone_type reclaim_idx;	/* highest zone worth freeing in */
	int priority;			/* scan lru_size >> priority */
	struct mem_cgroup *target_mem_cgroup;	/* NULL: global reclaim */
	bool may_writepage;		/* may call file ops writepage */
	bool may_unmap;			/* may unmap mapped pages (rmap) */
	bool wait_writeback;		/* legacy memcg: case 3 waits */
	bool clean_only;		/* reclaim_clean_pagecache() */
	bool is_kswapd;
	/* results */
	unsigned long nr_scanned;
	unsigned long nr_reclaimed;
};

/* What shrink_page_list saw in one batch. */
struct reclaim_stat {
	unsigned long nr_dirty;		/* dirty pages (any) */
	unsigned long nr_unqueued_dirty;	/* dirty, not under writeback */
	unsigned long nr_congested;
	unsigned long nr_writeback;	/* under writeback, skipped */
	unsigned long nr_immediate;	/* writeback + PG_reclaim seen again */
	unsigned long nr_activate;
	unsigned long nr_taken;
};

/* ops.c: the registered ops groups (acquire loads; NULL if absent). */
const struct reclaim_file_ops *reclaim_file_ops(void);
const struct reclaim_rmap_ops *reclaim_rmap_ops(void);
const struct reclaim_memcg_ops *reclaim_memcg_ops(void);

/* lru.c */
struct lruvec *page_lruvec_lock(struct page *page);
void lruvec_add_page_locked(struct lruvec *lruvec, struct page *page,
			    enum lru_list lru, bool tail);
void lruvec_del_page_locked(struct lruvec *lruvec, struct page *page,
			    enum lru_list lru);
void lru_isolated_mod(struct page *page, long delta);
void lru_putback_list(struct list_head *pages);
int lru_register_free_hook(void);
void lru_unregister_free_hook(void);

/* Iterate the lruvecs a reclaim must scan. */
struct lruvec *reclaim_lruvec_first(struct mem_cgroup *root);
struct lruvec *reclaim_lruvec_next(struct mem_cgroup *root,
				   struct lruvec *prev);
void reclaim_lruvec_break(struct mem_cgroup *root, struct lruvec *last);
#define for_each_reclaim_lruvec(lv, root)                      \
	for ((lv) = reclaim_lruvec_first(root); (lv);          \
	     (lv) = reclaim_lruvec_next((root), (lv)))

/* vmscan.c */
void shrink_node(struct scan_control *sc);
bool pgdat_balanced(unsigned int order, enum zone_type highest_zoneidx);
extern _Atomic(int) kswapd_failures;

/* kswapd.c */
bool current_is_kswapd(void);

/* stats (vmscan.c) */
struct reclaim_counters {
	_Atomic(unsigned long) kswapd_runs, kswapd_wakeups,
		writeback_skipped, writeback_waited, dirty_written, dirty_kept,
		flusher_wakeups, throttled;
};
extern struct reclaim_counters reclaim_counters;
#define reclaim_count(field, n) \
	atomic_fetch_add_explicit(&reclaim_counters.field, (n), \
				  memory_order_relaxed)

/* throttle.c: reclaim waits here for writeback to end. */
extern struct throttle_queue reclaim_wb_throttle;

#endif
