// SPDX-License-Identifier: MIT
/* internal.h - shared between the memcg layer's files only. */
#ifndef BALLAST_MEMCG_INTERNAL_H
#define BALLAST_MEMCG_INTERNAL_H

#include <ballast/memcg.h>
#include <ballast/slab.h>

/*
 * struct page_counter - pages charged to a group and its descendants.
 * usage, max, high, watermark, failcnt: atomic (charges race without a
 * lock, as Linux's page_counter). parent: immutable.
 */
struct page_counter {
	_Atomic(long) usage;
	_Atomic(long) max;
	_Atomic(long) high;
	_Atomic(long) watermark;
	_Atomic(unsigned long) failcnt;
	struct page_counter *parent;
};

/*
 * struct mem_cgroup - one group. Lives in guest RAM (kmalloc).
 *
 * name, mode, parent: immutable after creation. children, sibling,
 * online: memcg_tree_lock. refcnt: atomic; creation's reference (dropped
 * at destroy), one per child, one per pin (iterators,
 * get_mem_cgroup_from_task()); a group is freed only offline, unpinned,
 * childless and with no page charged (rule 5). nr_tasks: atomic, changed
 * under memcg_tree_lock. memory: see page_counter. lruvec: the reclaim
 * layer's rules (the root uses the node's lruvec instead). stat, events:
 * atomic, this group's own pages and events (readers sum the subtree).
 */
struct mem_cgroup {
	char name[MEMCG_NAME_MAX];
	enum memcg_mode mode;
	struct mem_cgroup *parent;
	struct list_head children;
	struct list_head sibling;
	bool online;
	_Atomic(long) refcnt;
	_Atomic(int) nr_tasks;
	struct page_counter memory;
	struct lruvec lruvec;
	_Atomic(long) stat[NR_VM_NODE_STAT_ITEMS];
	_Atomic(unsigned long) events[NR_MEMCG_EVENTS];
};

extern spinlock_t memcg_tree_lock;
extern struct mutex memcg_mutex;

/* memcontrol.c */
struct mem_cgroup *memcg_tree_next(struct mem_cgroup *root,
				   struct mem_cgroup *pos);
struct lruvec *memcg_lruvec(struct mem_cgroup *memcg);
void memcg_free_offline(void);

#endif
