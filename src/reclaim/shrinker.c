// SPDX-License-Identifier: MIT
/*
 * shrinker.c - shrinkers: caches outside the LRU (slab objects and what
 * they pin) that reclaim asks to give memory back, in proportion to the
 * reclaim priority, with the reclaimer's gfp mask.
 *
 * Invariants and locking:
 *  - shrinker_rwsem protects shrinker_list and each shrinker's ->list.
 *    register/unregister take it for writing; shrink_slab() takes it for
 *    reading with a trylock, so reclaim orders nothing before it and a
 *    reclaim that races with (un)registration skips one pass, as Linux did
 *    before SRCU. When unregister_shrinker() returns, no callback of that
 *    shrinker runs (callbacks run under the read side).
 *  - Callbacks run inside the reclaimer's fs_reclaim context with
 *    PF_MEMALLOC (reclaim.h rule 7): they may sleep, must not allocate
 *    with direct reclaim, and must check sc->gfp_mask before doing fs or
 *    I/O work. Because of the rwsem, a lock held across
 *    register/unregister_shrinker() must not be one a callback takes.
 *  - Memcg limit reclaim (a memcg given) calls only SHRINKER_MEMCG_AWARE
 *    shrinkers; the others run for global reclaim only.
 *  - nr_deferred (atomic): scan work postponed (a SHRINK_STOP, or less
 *    than a batch), carried into the next call as Linux does, bounded by
 *    twice the cache.
 */
#include "internal.h"

#include <errno.h>

static DECLARE_RWSEM(shrinker_rwsem);
static LIST_HEAD(shrinker_list);	/* shrinker_rwsem */

static bool shrinker_listed(struct shrinker *s)
{
	struct shrinker *pos;

	list_for_each_entry(pos, &shrinker_list, list)
		if (pos == s)
			return true;
	return false;
}

int register_shrinker(struct shrinker *shrinker, const char *name)
{
	if (!shrinker->count_objects || !shrinker->scan_objects)
		return -EINVAL;
	down_write(&shrinker_rwsem);
	if (shrinker_listed(shrinker)) {
		up_write(&shrinker_rwsem);
		return -EBUSY;
	}
	shrinker->name = name;
	atomic_store(&shrinker->nr_deferred, 0);
	atomic_store(&shrinker->nr_scans, 0);
	list_add_tail(&shrinker->list, &shrinker_list);
	up_write(&shrinker_rwsem);
	return 0;
}

void unregister_shrinker(struct shrinker *shrinker)
{
	down_write(&shrinker_rwsem);
	if (shrinker_listed(shrinker))
		list_del_init(&shrinker->list);
	up_write(&shrinker_rwsem);
}

static unsigned long do_shrink_slab(struct shrink_control *sc,
				    struct shrinker *shrinker, int priority)
{
	long batch = shrinker->batch ? shrinker->batch : SHRINK_BATCH;
	int seeks = shrinker->seeks ? shrinker->seeks : DEFAULT_SEEKS;
	unsigned long freeable, freed = 0, scanned = 0;
	long nr, delta, total_scan, next;

	freeable = shrinker->count_objects(shrinker, sc);
	if (freeable == 0 || freeable == SHRINK_EMPTY)
		return 0;
	nr = atomic_exchange(&shrinker->nr_deferred, 0);
	delta = (long)((freeable >> priority) * 4 / (unsigned long)seeks);
	total_scan = nr + delta;
	if (total_scan > (long)(2 * freeable))
		total_scan = (long)(2 * freeable);

	while (total_scan >= batch || total_scan >= (long)freeable) {
		unsigned long ret;
		long nr_to_scan = min(batch, total_scan);

		if (nr_to_scan <= 0)
			break;
		sc->nr_to_scan = (unsigned long)nr_to_scan;
		sc->nr_scanned = (unsigned long)nr_to_scan;
		atomic_fetch_add(&shrinker->nr_scans, 1);
		ret = shrinker->scan_objects(shrinker, sc);
		if (ret == SHRINK_STOP)
			break;
		freed += ret;
		if (!sc->nr_scanned)
			break;		/* the cache emptied meanwhile */
		count_vm_events(SLABS_SCANNED, sc->nr_scanned);
		total_scan -= (long)sc->nr_scanned;
		scanned += sc->nr_scanned;
	}
	/* Defer what was asked and not done, bounded by the cache's size. */
	next = nr + delta - (long)scanned;
	if (next > (long)(2 * freeable))
		next = (long)(2 * freeable);
	if (next > 0)
		atomic_fetch_add(&shrinker->nr_deferred, next);
	return freed;
}

unsigned long shrink_slab(gfp_t gfp, struct mem_cgroup *memcg, int priority)
{
	struct shrinker *shrinker;
	unsigned long freed = 0;

	if (priority < 0)
		priority = 0;
	if (!down_read_trylock(&shrinker_rwsem))
		return 0;
	list_for_each_entry(shrinker, &shrinker_list, list) {
		struct shrink_control sc = {
			.gfp_mask = gfp,
			.memcg = memcg,
		};

		/* Limit reclaim frees only the group's own objects. */
		if (memcg && !(shrinker->flags & SHRINKER_MEMCG_AWARE))
			continue;
		freed += do_shrink_slab(&sc, shrinker, priority);
	}
	up_read(&shrinker_rwsem);
	return freed;
}

unsigned long drop_slab(void)
{
	unsigned long freed, total = 0;
	unsigned int noreclaim;

	might_sleep();
	fs_reclaim_acquire(GFP_KERNEL);
	noreclaim = memalloc_noreclaim_save();
	do {
		freed = shrink_slab(GFP_KERNEL, NULL, 0);
		total += freed;
	} while (freed > 10);
	memalloc_noreclaim_restore(noreclaim);
	fs_reclaim_release(GFP_KERNEL);
	count_vm_event(DROP_SLAB);
	return total;
}
