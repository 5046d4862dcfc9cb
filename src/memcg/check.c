// SPDX-License-Identifier: MIT
/*
 * check.c - memcg_check(): the tree, the page counters, the per-group
 * gauges and task counts against what the page frames and tasks say.
 *
 * Invariants checked (the list atop memcontrol.c):
 *  - every group is on its parent's list; an online group's parent is
 *    online; usage(G) >= sum of usage(children);
 *  - every page on a group's LRU lists is charged to that group;
 *  - quiescent: usage(G) = pages charged to G + sum of usage(children);
 *    G's gauges equal its charged pages in each state (page cache, dirty,
 *    writeback, mapped anonymous, mapped file, page tables); nr_tasks(G)
 *    equals the tasks attached to G.
 * Locking: memcg_mutex (the set of groups cannot change), memcg_tree_lock
 * for the tree walks, each lru_lock in turn, tasklist_lock for the task
 * count; the page-frame walk reads flags locklessly (quiescent only).
 */
#include "internal.h"

#include <stdlib.h>

#define MAX_GROUPS 256

struct group_count {
	struct mem_cgroup *memcg;
	long own;			/* pages charged to it */
	long stat[NR_VM_NODE_STAT_ITEMS];
	int tasks;
};

struct check_ctx {
	struct group_count *g;
	int nr;
	unsigned long errors;
};

static void fail(struct check_ctx *c, const struct mem_cgroup *memcg,
		 const char *what, long a, long b)
{
	if (c->errors++ < 20)
		pr_err("memcg_check: %s: %s (%ld, %ld)",
		       memcg && memcg->name[0] ? memcg->name : "<root>", what,
		       a, b);
}

static struct group_count *find(struct check_ctx *c, struct mem_cgroup *m)
{
	for (int i = 0; i < c->nr; i++)
		if (c->g[i].memcg == m)
			return &c->g[i];
	return NULL;
}

static void check_lru(struct check_ctx *c, struct mem_cgroup *memcg)
{
	struct lruvec *lruvec = memcg_lruvec(memcg);
	struct page *page;

	spin_lock(&lruvec->lru_lock);
	for (int l = 0; l < NR_LRU_LISTS; l++)
		list_for_each_entry(page, &lruvec->lists[l], lru) {
			struct mem_cgroup *owner = page->memcg ? page->memcg
							       : root_mem_cgroup;

			if (owner != memcg)
				fail(c, memcg, "LRU page charged elsewhere",
				     (long)page_to_pfn(page), l);
		}
	spin_unlock(&lruvec->lru_lock);
}

static void count_page(struct check_ctx *c, struct page *page)
{
	struct group_count *g = find(c, page->memcg);

	if (!g) {
		fail(c, NULL, "page charged to an unknown group",
		     (long)page_to_pfn(page), 0);
		return;
	}
	g->own += 1L << atomic_load(&page->order);
	if (PageTable(page))
		g->stat[NR_PAGETABLE]++;
	/* Slab pages reuse ->mapping's word: only untyped pages are cache. */
	if (page_get_type(page) == PGTY_NONE && page->mapping &&
	    !PageSwapBacked(page)) {
		g->stat[NR_FILE_PAGES]++;
		if (PageDirty(page))
			g->stat[NR_FILE_DIRTY]++;
		if (PageWriteback(page))
			g->stat[NR_WRITEBACK]++;
		if (page_mapcount(page) > 0)
			g->stat[NR_FILE_MAPPED]++;
	}
	if (PageSwapBacked(page) && page_mapcount(page) > 0)
		g->stat[NR_ANON_MAPPED]++;
}

/* Under tasklist_lock; task->memcg is read under memcg_tree_lock. */
static int count_task(struct task *t, void *arg)
{
	struct check_ctx *c = arg;
	struct group_count *g;
	struct mem_cgroup *memcg;

	spin_lock(&memcg_tree_lock);
	memcg = t->memcg;
	spin_unlock(&memcg_tree_lock);
	if (!memcg)
		return 0;
	g = find(c, memcg);
	if (g)
		g->tasks++;
	else
		fail(c, NULL, "task attached to an unknown group", t->pid, 0);
	return 0;
}

unsigned long memcg_check(unsigned int flags)
{
	static const enum node_stat_item items[] = {
		NR_FILE_PAGES, NR_FILE_DIRTY, NR_WRITEBACK, NR_ANON_MAPPED,
		NR_FILE_MAPPED, NR_PAGETABLE,
	};
	struct check_ctx c = { 0 };
	struct mem_cgroup *pos = NULL;

	if (!root_mem_cgroup)
		return 0;
	c.g = calloc(MAX_GROUPS, sizeof(*c.g));
	if (!c.g) {
		pr_err("memcg_check: no memory for the walk");
		return 1;
	}
	mutex_lock(&memcg_mutex);
	memcg_free_offline();
	spin_lock(&memcg_tree_lock);
	while ((pos = memcg_tree_next(root_mem_cgroup, pos))) {
		struct mem_cgroup *child;
		long sum = 0;

		if (c.nr < MAX_GROUPS)
			c.g[c.nr++].memcg = pos;
		if (pos != root_mem_cgroup) {
			bool listed = false;

			list_for_each_entry(child, &pos->parent->children,
					    sibling)
				listed |= child == pos;
			if (!listed)
				fail(&c, pos, "not on its parent's list", 0, 0);
			if (pos->online && !pos->parent->online)
				fail(&c, pos, "online under an offline parent",
				     0, 0);
		}
		list_for_each_entry(child, &pos->children, sibling)
			sum += atomic_load(&child->memory.usage);
		if (atomic_load(&pos->memory.usage) < sum &&
		    !(flags & MEMCG_CHECK_QUIESCENT))
			fail(&c, pos, "usage below its children's",
			     atomic_load(&pos->memory.usage), sum);
	}
	spin_unlock(&memcg_tree_lock);
	for (int i = 0; i < c.nr; i++)
		check_lru(&c, c.g[i].memcg);

	if (flags & MEMCG_CHECK_QUIESCENT) {
		for (unsigned long pfn = 0; pfn < max_pfn; pfn++) {
			struct page *page = pfn_to_page(pfn);

			if (page->memcg && !PageTail(page))
				count_page(&c, page);
		}
		task_for_each(count_task, &c);
		spin_lock(&memcg_tree_lock);
		for (int i = 0; i < c.nr; i++) {
			struct mem_cgroup *m = c.g[i].memcg, *child;
			long want = c.g[i].own;

			list_for_each_entry(child, &m->children, sibling)
				want += atomic_load(&child->memory.usage);
			if (m != root_mem_cgroup &&
			    atomic_load(&m->memory.usage) != want)
				fail(&c, m, "usage differs from its pages",
				     atomic_load(&m->memory.usage), want);
			for (size_t k = 0; k < ARRAY_SIZE(items); k++)
				if (atomic_load(&m->stat[items[k]]) !=
				    c.g[i].stat[items[k]])
					fail(&c, m, node_stat_name(items[k]),
					     atomic_load(&m->stat[items[k]]),
					     c.g[i].stat[items[k]]);
			if (m != root_mem_cgroup &&
			    atomic_load(&m->nr_tasks) != c.g[i].tasks)
				fail(&c, m, "task count differs",
				     atomic_load(&m->nr_tasks), c.g[i].tasks);
		}
		spin_unlock(&memcg_tree_lock);
	}
	mutex_unlock(&memcg_mutex);
	free(c.g);
	return c.errors;
}
