// SPDX-License-Identifier: MIT
/*
 * memcontrol.c - memory cgroups: the tree, hierarchical page counters,
 * charge at allocation and uncharge at free, limit reclaim, the high
 * throttle of the unified mode, OOM inside a group, the reclaim memcg ops,
 * and the counters with their memory.stat / memory.events dumps.
 *
 * Invariants and locking:
 *  - Tree: every group but the root is on its parent's children list
 *    (sibling link) from creation until it is freed; an online group's
 *    parent is online. Offline groups stay listed (they may still own
 *    LRU pages reclaim must reach) until they are unpinned, childless and
 *    have no page charged; memcg_free_offline() frees them under
 *    memcg_mutex. memcg_tree_lock (spinlock) protects the lists, online
 *    flags, every task->memcg write and the unlinking of a freed group;
 *    readers of another task's memcg take it.
 *  - Counters: memory.usage of a group = pages charged to it + its
 *    children's usage (a charge adds to every level up to the root, an
 *    uncharge subtracts from every level); a charge succeeds only if no
 *    level goes over its max, except forced charges (PF_MEMALLOC
 *    reclaimers, __GFP_NOFAIL), which may overshoot.
 *  - page->memcg: set by the charge hook on a page nobody else sees yet,
 *    cleared by the uncharge free hook (after reclaim's LRU free hook has
 *    taken the page off its list) or by memcg_exit() on isolated pages
 *    (memcg.h rule 3), so an LRU page's lruvec is stable under its lock.
 *    The root is never charged: its pages have page->memcg NULL and use
 *    the node's lruvec.
 *  - A charged page keeps its group alive (its usage > 0); the uncharge
 *    hook touches the group only before it subtracts, and reads each
 *    parent pointer before subtracting from the level below it.
 *  - stat[] counts this group's own pages per gauge (mod_page_state, from
 *    mod_lruvec_page_state()); events[] this group's own events. Reads
 *    sum the subtree under memcg_tree_lock.
 *  - memcg_mutex (mutex) serialises create, destroy, set_max, exit and
 *    the freeing of offline groups; it is never held across a charge of
 *    the caller's own allocations.
 *  - Charging may sleep (limit reclaim, pauses while the group's pages
 *    are under writeback, the high throttle, OOM) only when the
 *    allocation's mask allows direct reclaim and the task is not
 *    PF_MEMALLOC; the OOM step only trylocks oom_lock.
 * Lock order: memcg_mutex -> memcg_tree_lock -> (lruvec->lru_lock for
 * dumps); tasklist_lock -> memcg_tree_lock (OOM killer, memcg_check);
 * memcg_tree_lock is otherwise a leaf.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

#define MEMCG_RECLAIM_RETRIES 5
#define MEMCG_WRITEBACK_WAITS 100	/* ~1 ms each: pages under I/O */
#define MEMCG_HIGH_MAX_DELAY_MS 100

struct mem_cgroup *root_mem_cgroup;
DEFINE_SPINLOCK(memcg_tree_lock);
DEFINE_MUTEX(memcg_mutex);
static struct throttle_queue high_throttle;
static __thread struct mem_cgroup *active_memcg;
static bool memcg_initialised;

/* ------------------------------------------------------------------ */
/* Page counters                                                         */
/* ------------------------------------------------------------------ */

static void page_counter_init(struct page_counter *c,
			      struct page_counter *parent)
{
	atomic_init(&c->usage, 0);
	atomic_init(&c->max, PAGE_COUNTER_MAX);
	atomic_init(&c->high, PAGE_COUNTER_MAX);
	atomic_init(&c->watermark, 0);
	atomic_init(&c->failcnt, 0);
	c->parent = parent;
}

static void propagate_watermark(struct page_counter *c, long usage)
{
	long old = atomic_load_explicit(&c->watermark, memory_order_relaxed);

	while (usage > old &&
	       !atomic_compare_exchange_weak(&c->watermark, &old, usage))
		;
}

/* Charge every level without looking at limits (forced charges). */
static void page_counter_charge(struct page_counter *c, long nr)
{
	for (; c; c = c->parent)
		propagate_watermark(c, atomic_fetch_add(&c->usage, nr) + nr);
}

/*
 * Charge every level unless one would go over its max; returns NULL, or
 * the level that refused (the lower levels are undone).
 */
static struct page_counter *page_counter_try_charge(struct page_counter *c,
						    long nr)
{
	struct page_counter *i;

	for (i = c; i; i = i->parent) {
		long usage = atomic_fetch_add(&i->usage, nr) + nr;

		if (usage > atomic_load_explicit(&i->max,
						 memory_order_relaxed)) {
			atomic_fetch_sub(&i->usage, nr);
			atomic_fetch_add_explicit(&i->failcnt, 1,
						  memory_order_relaxed);
			for (struct page_counter *u = c; u != i; u = u->parent)
				atomic_fetch_sub(&u->usage, nr);
			return i;
		}
		propagate_watermark(i, usage);
	}
	return NULL;
}

static void page_counter_uncharge(struct page_counter *c, long nr)
{
	while (c) {
		struct page_counter *parent = c->parent;	/* first: rule */
		long left = atomic_fetch_sub(&c->usage, nr) - nr;

		if (WARN_ON_ONCE(left < 0))
			atomic_fetch_add(&c->usage, nr);
		c = parent;
	}
}

static long page_counter_margin(struct page_counter *c)
{
	return atomic_load(&c->max) - atomic_load(&c->usage);
}

static inline struct mem_cgroup *counter_memcg(struct page_counter *c)
{
	return container_of(c, struct mem_cgroup, memory);
}

/* ------------------------------------------------------------------ */
/* Tree and references                                                   */
/* ------------------------------------------------------------------ */

static void css_get(struct mem_cgroup *memcg)
{
	atomic_fetch_add_explicit(&memcg->refcnt, 1, memory_order_relaxed);
}

static void css_put(struct mem_cgroup *memcg)
{
	long old = atomic_fetch_sub_explicit(&memcg->refcnt, 1,
					     memory_order_acq_rel);

	WARN_ON_ONCE(old <= 0);
}

void mem_cgroup_put(struct mem_cgroup *memcg)
{
	if (memcg)
		css_put(memcg);
}

/* Pre-order successor of @pos in @root's subtree; memcg_tree_lock held. */
struct mem_cgroup *memcg_tree_next(struct mem_cgroup *root,
				   struct mem_cgroup *pos)
{
	lockdep_assert_held(&memcg_tree_lock);
	if (!pos)
		return root;
	if (!list_empty(&pos->children))
		return list_first_entry(&pos->children, struct mem_cgroup,
					sibling);
	while (pos != root) {
		if (pos->sibling.next != &pos->parent->children)
			return list_next_entry(pos, sibling);
		pos = pos->parent;
	}
	return NULL;
}

struct lruvec *memcg_lruvec(struct mem_cgroup *memcg)
{
	return (!memcg || memcg == root_mem_cgroup) ? node_lruvec()
						    : &memcg->lruvec;
}

static bool memcg_is_descendant(struct mem_cgroup *memcg,
				struct mem_cgroup *root)
{
	for (; memcg; memcg = memcg->parent)
		if (memcg == root)
			return true;
	return false;
}

/*
 * Free offline groups nobody pins, without children and with nothing
 * charged (rule 5). Children first: a freed child drops its parent's
 * reference, which may make the parent freeable on the next walk.
 */
void memcg_free_offline(void)
{
	lockdep_assert_held(&memcg_mutex);
	for (;;) {
		struct mem_cgroup *pos = NULL, *victim = NULL;

		spin_lock(&memcg_tree_lock);
		while ((pos = memcg_tree_next(root_mem_cgroup, pos))) {
			if (!pos->online && list_empty(&pos->children) &&
			    !atomic_load(&pos->refcnt) &&
			    !atomic_load(&pos->memory.usage)) {
				victim = pos;
				list_del_init(&victim->sibling);
				break;
			}
		}
		spin_unlock(&memcg_tree_lock);
		if (!victim)
			return;
		css_put(victim->parent);
		kfree(victim);
	}
}

static struct mem_cgroup *memcg_alloc(const char *name, enum memcg_mode mode,
				      struct mem_cgroup *parent)
{
	struct mem_cgroup *memcg = kzalloc(sizeof(*memcg), GFP_KERNEL);

	if (!memcg)
		return NULL;
	snprintf(memcg->name, sizeof(memcg->name), "%s", name);
	memcg->mode = mode;
	memcg->parent = parent;
	INIT_LIST_HEAD(&memcg->children);
	INIT_LIST_HEAD(&memcg->sibling);
	memcg->online = true;
	atomic_init(&memcg->refcnt, 1);
	atomic_init(&memcg->nr_tasks, 0);
	page_counter_init(&memcg->memory, parent ? &parent->memory : NULL);
	lruvec_init(&memcg->lruvec, memcg);
	return memcg;
}

int memcg_create(struct mem_cgroup *parent, const char *name,
		 enum memcg_mode mode, struct mem_cgroup **memcgp)
{
	struct mem_cgroup *memcg, *sib;
	size_t len = name ? strnlen(name, MEMCG_NAME_MAX) : 0;
	int ret = 0;

	might_alloc(GFP_KERNEL);
	if (!parent || len == 0 || len >= MEMCG_NAME_MAX || strchr(name, '/'))
		return -EINVAL;
	if (parent != root_mem_cgroup && mode != parent->mode)
		return -EINVAL;
	memcg = memcg_alloc(name, mode, parent);
	if (!memcg)
		return -ENOMEM;
	mutex_lock(&memcg_mutex);
	memcg_free_offline();
	spin_lock(&memcg_tree_lock);
	if (!parent->online) {
		ret = -ENOENT;
	} else {
		list_for_each_entry(sib, &parent->children, sibling)
			if (sib->online && !strcmp(sib->name, name))
				ret = -EEXIST;
	}
	if (!ret) {
		css_get(parent);
		list_add_tail(&memcg->sibling, &parent->children);
	}
	spin_unlock(&memcg_tree_lock);
	mutex_unlock(&memcg_mutex);
	if (ret) {
		kfree(memcg);
		return ret;
	}
	*memcgp = memcg;
	return 0;
}

int memcg_destroy(struct mem_cgroup *memcg)
{
	struct mem_cgroup *child;
	int ret = 0;

	if (!memcg || memcg == root_mem_cgroup)
		return -EINVAL;
	mutex_lock(&memcg_mutex);
	spin_lock(&memcg_tree_lock);
	if (!memcg->online) {
		ret = -EINVAL;
	} else if (atomic_load(&memcg->nr_tasks)) {
		ret = -EBUSY;
	} else {
		list_for_each_entry(child, &memcg->children, sibling)
			if (child->online)
				ret = -EBUSY;
	}
	if (!ret)
		memcg->online = false;
	spin_unlock(&memcg_tree_lock);
	if (!ret) {
		css_put(memcg);		/* creation's reference */
		memcg_free_offline();
	}
	mutex_unlock(&memcg_mutex);
	return ret;
}

int memcg_attach(struct mem_cgroup *memcg)
{
	struct task *self = current;
	int ret = 0;

	if (memcg == root_mem_cgroup)
		memcg = NULL;
	spin_lock(&memcg_tree_lock);
	if (memcg && !memcg->online) {
		ret = -ENOENT;
	} else if (self->memcg != memcg) {
		if (self->memcg)
			atomic_fetch_sub(&self->memcg->nr_tasks, 1);
		if (memcg)
			atomic_fetch_add(&memcg->nr_tasks, 1);
		self->memcg = memcg;
	}
	spin_unlock(&memcg_tree_lock);
	return ret;
}

/* Task exit hook: leave the group (the task's pages stay charged). */
static void memcg_task_exit(struct task *task)
{
	if (task->memcg && memcg_attach(NULL))
		WARN_ON_ONCE(1);
}

struct mem_cgroup *get_mem_cgroup_from_task(struct task *task)
{
	struct mem_cgroup *memcg;

	spin_lock(&memcg_tree_lock);
	memcg = task->memcg ? task->memcg : root_mem_cgroup;
	if (memcg)
		css_get(memcg);
	spin_unlock(&memcg_tree_lock);
	return memcg;
}

struct mem_cgroup *set_active_memcg(struct mem_cgroup *memcg)
{
	struct mem_cgroup *old = active_memcg;

	active_memcg = memcg;
	return old;
}

const char *memcg_name(const struct mem_cgroup *memcg)
{
	return memcg->name;
}

enum memcg_mode memcg_mode_of(const struct mem_cgroup *memcg)
{
	return memcg->mode;
}

/* ------------------------------------------------------------------ */
/* Limits                                                                */
/* ------------------------------------------------------------------ */

int memcg_set_max(struct mem_cgroup *memcg, unsigned long nr_pages)
{
	long max = nr_pages > (unsigned long)PAGE_COUNTER_MAX
			   ? PAGE_COUNTER_MAX : (long)nr_pages;

	if (!memcg || memcg == root_mem_cgroup)
		return -EINVAL;
	might_sleep();
	mutex_lock(&memcg_mutex);
	atomic_store(&memcg->memory.max, max);
	for (int i = 0; i < MEMCG_RECLAIM_RETRIES; i++) {
		long over = atomic_load(&memcg->memory.usage) - max;

		if (over <= 0)
			break;
		if (!try_to_free_mem_cgroup_pages(memcg, (unsigned long)over,
						  GFP_KERNEL,
						  MEMCG_RECLAIM_MAY_SWAP))
			break;
	}
	mutex_unlock(&memcg_mutex);
	return 0;
}

int memcg_set_high(struct mem_cgroup *memcg, unsigned long nr_pages)
{
	long high = nr_pages > (unsigned long)PAGE_COUNTER_MAX
			    ? PAGE_COUNTER_MAX : (long)nr_pages;

	if (!memcg || memcg == root_mem_cgroup ||
	    memcg->mode != MEMCG_MODE_UNIFIED)
		return -EINVAL;
	atomic_store(&memcg->memory.high, high);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Charge and uncharge                                                   */
/* ------------------------------------------------------------------ */

void memcg_count_event(struct mem_cgroup *memcg, enum memcg_event_item item,
		       unsigned long n)
{
	if (memcg)
		atomic_fetch_add_explicit(&memcg->events[item], n,
					  memory_order_relaxed);
}

/* The group the current task's allocations are charged to (or NULL). */
static struct mem_cgroup *current_memcg(void)
{
	return active_memcg ? active_memcg : current->memcg;
}

void memcg_count_event_current(enum memcg_event_item item, unsigned long n)
{
	memcg_count_event(current_memcg(), item, n);
}

/*
 * OOM inside @memcg: kill a task of its subtree. Returns true if progress
 * is under way (a victim killed or still dying, or another OOM in
 * progress): the charge waits a moment and retries.
 */
static bool mem_cgroup_oom(struct mem_cgroup *memcg, gfp_t gfp,
			   unsigned int order)
{
	struct oom_control oc = {
		.gfp_mask = gfp,
		.order = order,
		.memcg = memcg,
	};
	bool progress;

	memcg_count_event(memcg, MEMCG_OOM, 1);
	oc.totalpages = (unsigned long)max(atomic_load(&memcg->memory.max),
					   1L);
	/* As the allocator: only trylocked; someone else is on it. */
	if (!mutex_trylock(&oom_lock)) {
		memalloc_retry_wait(gfp);
		return true;
	}
	progress = out_of_memory(&oc);
	mutex_unlock(&oom_lock);
	if (progress)
		memalloc_retry_wait(gfp);	/* let the victim go */
	return progress;
}

/*
 * Unified mode: a charge left @memcg or an ancestor over its high limit.
 * Reclaim the excess, then pause in proportion to what is left, woken
 * early by uncharges (Linux defers this to the return to user space;
 * ballast has no such point and does it here, never under a spinlock).
 */
static void memcg_over_high(struct mem_cgroup *memcg, gfp_t gfp)
{
	for (struct mem_cgroup *m = memcg; m && m != root_mem_cgroup;
	     m = m->parent) {
		long high = atomic_load(&m->memory.high);
		long over = atomic_load(&m->memory.usage) - high;
		long delay;

		if (over <= 0)
			continue;
		memcg_count_event(m, MEMCG_HIGH, 1);
		try_to_free_mem_cgroup_pages(m, (unsigned long)over, gfp,
					     MEMCG_RECLAIM_MAY_SWAP);
		over = atomic_load(&m->memory.usage) - high;
		if (over <= 0)
			continue;
		delay = clamp(over * MEMCG_HIGH_MAX_DELAY_MS / max(high, 1L),
			      1L, (long)MEMCG_HIGH_MAX_DELAY_MS);
		memcg_count_event(m, MEMCG_THROTTLED, 1);
		throttle_wait(&high_throttle, (unsigned long)delay);
	}
}

static int try_charge(struct mem_cgroup *memcg, long nr, gfp_t gfp,
		      unsigned int order)
{
	int retries = MEMCG_RECLAIM_RETRIES, wb_waits = 0;
	unsigned long reclaimed;
	struct page_counter *over;
	struct mem_cgroup *over_memcg;

retry:
	over = page_counter_try_charge(&memcg->memory, nr);
	if (!over)
		goto done;
	over_memcg = counter_memcg(over);
	memcg_count_event(over_memcg, MEMCG_MAX, 1);
	/* Reclaimers and the reaper must make progress: overshoot. */
	if (task_flags(current) & PF_MEMALLOC)
		goto force;
	if (!gfpflags_allow_blocking(gfp))
		goto nomem;
	/* Killed: fail at once rather than reclaim or kill for it. */
	if (fatal_signal_pending(current))
		goto nomem;
	reclaimed = try_to_free_mem_cgroup_pages(over_memcg, (unsigned long)nr,
						 gfp, MEMCG_RECLAIM_MAY_SWAP);
	if (page_counter_margin(over) >= nr)
		goto retry;
	if (gfp & __GFP_NORETRY)
		goto nomem;		/* one reclaim pass, as Linux */
	/*
	 * Nothing freed, but pages of the group are under writeback: they
	 * can be freed once it ends. Wait for the I/O (a bounded number of
	 * short pauses) rather than spend the retries and OOM, as Linux
	 * throttles reclaim on writeback.
	 */
	if (!reclaimed && wb_waits < MEMCG_WRITEBACK_WAITS &&
	    memcg_page_state(over_memcg, NR_WRITEBACK) > 0) {
		wb_waits++;
		memalloc_retry_wait(gfp);
		goto retry;
	}
	if (retries-- > 0)
		goto retry;
	if (gfp & __GFP_RETRY_MAYFAIL)
		goto nomem;
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		goto nomem;
	if (mem_cgroup_oom(over_memcg, gfp, order)) {
		retries = MEMCG_RECLAIM_RETRIES;
		goto retry;
	}
nomem:
	if (!(gfp & __GFP_NOFAIL))
		return -ENOMEM;
force:
	page_counter_charge(&memcg->memory, nr);
	return 0;
done:
	if (memcg->mode == MEMCG_MODE_UNIFIED && gfpflags_allow_blocking(gfp) &&
	    !(task_flags(current) & PF_MEMALLOC))
		memcg_over_high(memcg, gfp);
	return 0;
}

static int memcg_charge_hook(struct page *page, unsigned int order, gfp_t gfp)
{
	struct mem_cgroup *memcg = current_memcg();
	int ret;

	if (!memcg || memcg == root_mem_cgroup)
		return 0;
	ret = try_charge(memcg, 1L << order, gfp, order);
	if (!ret)
		page->memcg = memcg;
	return ret;
}

/* The allocator's free hook: after reclaim's (the page is off its LRU). */
static void memcg_uncharge_hook(struct page *page, unsigned int order)
{
	struct mem_cgroup *memcg = page->memcg;

	if (!memcg)
		return;
	page->memcg = NULL;
	page_counter_uncharge(&memcg->memory, 1L << order);
	if (throttle_queue_active(&high_throttle))
		throttle_wake_all(&high_throttle);
}

/* ------------------------------------------------------------------ */
/* Reclaim memcg ops                                                     */
/* ------------------------------------------------------------------ */

static struct lruvec *memcg_page_lruvec(struct page *page)
{
	return memcg_lruvec(page->memcg);
}

static struct mem_cgroup *lruvec_memcg(struct lruvec *lruvec)
{
	return lruvec->memcg ? lruvec->memcg : root_mem_cgroup;
}

static struct lruvec *memcg_lruvec_iter(struct mem_cgroup *root,
					struct lruvec *prev)
{
	struct mem_cgroup *pos = prev ? lruvec_memcg(prev) : NULL, *next;

	if (!root)
		root = root_mem_cgroup;
	spin_lock(&memcg_tree_lock);
	next = memcg_tree_next(root, pos);
	if (next)
		css_get(next);
	spin_unlock(&memcg_tree_lock);
	if (pos)
		css_put(pos);
	return next ? memcg_lruvec(next) : NULL;
}

static void memcg_lruvec_iter_break(struct mem_cgroup *root,
				    struct lruvec *last)
{
	css_put(lruvec_memcg(last));
}

static bool memcg_reclaim_waits_writeback(struct mem_cgroup *memcg)
{
	return memcg->mode == MEMCG_MODE_LEGACY;
}

static void memcg_mod_page_state(struct page *page, enum node_stat_item item,
				 long delta)
{
	atomic_fetch_add_explicit(&page->memcg->stat[item], delta,
				  memory_order_relaxed);
}

/* Under tasklist_lock (the OOM killer): never sleeps. */
static bool memcg_task_in_memcg(struct task *task, struct mem_cgroup *memcg)
{
	bool in;

	spin_lock(&memcg_tree_lock);
	in = memcg_is_descendant(task->memcg ? task->memcg : root_mem_cgroup,
				 memcg);
	spin_unlock(&memcg_tree_lock);
	return in;
}

static void memcg_oom_kill_event(struct task *victim)
{
	spin_lock(&memcg_tree_lock);
	memcg_count_event(victim->memcg ? victim->memcg : root_mem_cgroup,
			  MEMCG_OOM_KILL, 1);
	spin_unlock(&memcg_tree_lock);
}

static const struct reclaim_memcg_ops memcg_reclaim_memcg_ops = {
	.page_lruvec = memcg_page_lruvec,
	.lruvec_iter = memcg_lruvec_iter,
	.lruvec_iter_break = memcg_lruvec_iter_break,
	.reclaim_waits_writeback = memcg_reclaim_waits_writeback,
	.mod_page_state = memcg_mod_page_state,
	.task_in_memcg = memcg_task_in_memcg,
	.oom_kill_event = memcg_oom_kill_event,
};

static const struct reclaim_ops memcg_reclaim_ops = {
	.memcg = &memcg_reclaim_memcg_ops,
};

static const struct alloc_hooks memcg_alloc_hooks = {
	.memcg_charge = memcg_charge_hook,
};

/* ------------------------------------------------------------------ */
/* Statistics                                                            */
/* ------------------------------------------------------------------ */

unsigned long memcg_usage(const struct mem_cgroup *memcg)
{
	long v = atomic_load(&((struct mem_cgroup *)memcg)->memory.usage);

	return v > 0 ? (unsigned long)v : 0;
}

unsigned long memcg_peak(const struct mem_cgroup *memcg)
{
	long v = atomic_load(&((struct mem_cgroup *)memcg)->memory.watermark);

	return v > 0 ? (unsigned long)v : 0;
}

long memcg_page_state(struct mem_cgroup *memcg, enum node_stat_item item)
{
	struct mem_cgroup *pos = NULL;
	long sum = 0;

	spin_lock(&memcg_tree_lock);
	while ((pos = memcg_tree_next(memcg, pos)))
		sum += atomic_load_explicit(&pos->stat[item],
					    memory_order_relaxed);
	spin_unlock(&memcg_tree_lock);
	return sum;
}

unsigned long memcg_events(struct mem_cgroup *memcg,
			   enum memcg_event_item item)
{
	struct mem_cgroup *pos = NULL;
	unsigned long sum = 0;

	spin_lock(&memcg_tree_lock);
	while ((pos = memcg_tree_next(memcg, pos))) {
		struct lruvec *lruvec = memcg_lruvec(pos);

		if (item == MEMCG_PGSCAN)
			sum += atomic_load(&lruvec->nr_scanned);
		else if (item == MEMCG_PGSTEAL)
			sum += atomic_load(&lruvec->nr_reclaimed);
		else
			sum += atomic_load(&pos->events[item]);
	}
	spin_unlock(&memcg_tree_lock);
	return sum;
}

static unsigned long subtree_lru_pages(struct mem_cgroup *memcg,
				       enum lru_list lru)
{
	struct mem_cgroup *pos = NULL;
	unsigned long sum = 0;

	spin_lock(&memcg_tree_lock);
	while ((pos = memcg_tree_next(memcg, pos)))
		sum += lruvec_lru_size(memcg_lruvec(pos), lru,
				       MAX_NR_ZONES - 1);
	spin_unlock(&memcg_tree_lock);
	return sum;
}

static unsigned long pages_bytes(long pages)
{
	return pages > 0 ? (unsigned long)pages * PAGE_SIZE : 0;
}

void memcg_stat_dump(struct mem_cgroup *memcg, FILE *f)
{
	static const struct {
		const char *name;
		enum lru_list lru;
	} lrus[] = {
		{ "inactive_anon", LRU_INACTIVE_ANON },
		{ "active_anon", LRU_ACTIVE_ANON },
		{ "inactive_file", LRU_INACTIVE_FILE },
		{ "active_file", LRU_ACTIVE_FILE },
		{ "unevictable", LRU_UNEVICTABLE },
	};
	long anon = memcg_page_state(memcg, NR_ANON_MAPPED);
	long file = memcg_page_state(memcg, NR_FILE_PAGES);
	long usage = (long)memcg_usage(memcg);

	fprintf(f, "anon %lu\n", pages_bytes(anon));
	fprintf(f, "file %lu\n", pages_bytes(file));
	/* Charged pages that are neither: page tables, slab, transit. */
	fprintf(f, "kernel %lu\n", pages_bytes(usage - anon - file));
	fprintf(f, "pagetables %lu\n",
		pages_bytes(memcg_page_state(memcg, NR_PAGETABLE)));
	fprintf(f, "file_mapped %lu\n",
		pages_bytes(memcg_page_state(memcg, NR_FILE_MAPPED)));
	fprintf(f, "file_dirty %lu\n",
		pages_bytes(memcg_page_state(memcg, NR_FILE_DIRTY)));
	fprintf(f, "file_writeback %lu\n",
		pages_bytes(memcg_page_state(memcg, NR_WRITEBACK)));
	for (size_t i = 0; i < ARRAY_SIZE(lrus); i++)
		fprintf(f, "%s %lu\n", lrus[i].name,
			pages_bytes((long)subtree_lru_pages(memcg,
							    lrus[i].lru)));
	fprintf(f, "pgfault %lu\n", memcg_events(memcg, MEMCG_PGFAULT));
	fprintf(f, "pgscan %lu\n", memcg_events(memcg, MEMCG_PGSCAN));
	fprintf(f, "pgsteal %lu\n", memcg_events(memcg, MEMCG_PGSTEAL));
	fprintf(f, "oom %lu\n", memcg_events(memcg, MEMCG_OOM));
	fprintf(f, "oom_kill %lu\n", memcg_events(memcg, MEMCG_OOM_KILL));
}

void memcg_events_dump(struct mem_cgroup *memcg, FILE *f)
{
	fprintf(f, "low 0\n");
	fprintf(f, "high %lu\n", memcg_events(memcg, MEMCG_HIGH));
	fprintf(f, "max %lu\n", memcg_events(memcg, MEMCG_MAX));
	fprintf(f, "oom %lu\n", memcg_events(memcg, MEMCG_OOM));
	fprintf(f, "oom_kill %lu\n", memcg_events(memcg, MEMCG_OOM_KILL));
	fprintf(f, "throttled %lu\n", memcg_events(memcg, MEMCG_THROTTLED));
}

/* ------------------------------------------------------------------ */
/* Set-up                                                                */
/* ------------------------------------------------------------------ */

int memcg_init(void)
{
	int ret;

	if (memcg_initialised)
		return -EBUSY;
	root_mem_cgroup = memcg_alloc("", MEMCG_MODE_UNIFIED, NULL);
	if (!root_mem_cgroup)
		return -ENOMEM;
	throttle_queue_init(&high_throttle);
	ret = alloc_register_free_hook(memcg_uncharge_hook);
	if (ret)
		goto out_free;
	ret = task_register_exit_hook(memcg_task_exit);
	if (ret)
		goto out_hook;
	reclaim_set_ops(&memcg_reclaim_ops);
	alloc_set_hooks(&memcg_alloc_hooks);
	memcg_initialised = true;
	return 0;

out_hook:
	alloc_unregister_free_hook(memcg_uncharge_hook);
out_free:
	kfree(root_mem_cgroup);
	root_mem_cgroup = NULL;
	return ret;
}

/* Give every page charged to a group back to the root (memcg_exit). */
static void memcg_uncharge_all(void)
{
	LIST_HEAD(isolated);
	struct page *page, *next;

	for (unsigned long pfn = 0; pfn < max_pfn; pfn++) {
		struct mem_cgroup *memcg;

		page = pfn_to_page(pfn);
		memcg = page->memcg;
		if (!memcg || PageTail(page))
			continue;
		/* Off the LRU first (rule 3), then uncharge. */
		if (PageLRU(page) && !isolate_lru_page(page)) {
			list_add_tail(&page->lru, &isolated);
		} else if (PageLRU(page)) {
			report_misuse("memcg_exit: pfn %#lx of %s is on an "
				      "LRU and cannot be isolated", pfn,
				      memcg->name);
			continue;
		}
		page->memcg = NULL;
		/* ->order is the allocation's order, compound or not. */
		page_counter_uncharge(&memcg->memory,
				      1L << atomic_load(&page->order));
	}
	/* Now the node's lruvec is theirs. */
	reclaim_clear_ops(&memcg_reclaim_ops);
	list_for_each_entry_safe(page, next, &isolated, lru) {
		list_del(&page->lru);
		putback_lru_page(page);
	}
}

void memcg_exit(void)
{
	struct mem_cgroup *pos;

	if (!memcg_initialised)
		return;
	alloc_clear_hooks(&memcg_alloc_hooks);
	task_unregister_exit_hook(memcg_task_exit);
	memcg_uncharge_all();
	alloc_unregister_free_hook(memcg_uncharge_hook);
	mutex_lock(&memcg_mutex);
	/* Take every group offline; report those still in use. */
	spin_lock(&memcg_tree_lock);
	pos = NULL;
	while ((pos = memcg_tree_next(root_mem_cgroup, pos))) {
		if (pos == root_mem_cgroup)
			continue;
		if (atomic_load(&pos->nr_tasks))
			report_misuse("memcg_exit: %s still has %d tasks",
				      pos->name, atomic_load(&pos->nr_tasks));
		if (pos->online) {
			pos->online = false;
			atomic_fetch_sub(&pos->refcnt, 1);
		}
	}
	spin_unlock(&memcg_tree_lock);
	memcg_free_offline();
	if (!list_empty(&root_mem_cgroup->children))
		report_misuse("memcg_exit: groups still pinned; leaked");
	mutex_unlock(&memcg_mutex);
	if (list_empty(&root_mem_cgroup->children))
		kfree(root_mem_cgroup);
	root_mem_cgroup = NULL;
	memcg_initialised = false;
}
