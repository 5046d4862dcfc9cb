// SPDX-License-Identifier: MIT
/*
 * reclaim_ctx.c - how allocation contexts look to the validator: the
 * reclaim pseudo-locks, might_alloc(), allocation scopes, the I/O path
 * annotation, and the forced OOM-notifier pass of test builds.
 *
 * The model (docs/lockdep.md has the long form):
 *  - Three pseudo-locks, one per reclaim level: "reclaim" (direct reclaim
 *    without I/O: GFP_NOIO), "reclaim_io" (may start I/O: GFP_NOFS) and
 *    "reclaim_fs" (may call into the filesystem: GFP_KERNEL).
 *  - Reclaim run for a mask (direct reclaim, compaction, shrinkers) holds
 *    the pseudo-lock of the mask's level, so every lock it takes depends on
 *    that level. Shrinkers may check the mask themselves; coverage forcing
 *    runs them at every level, so a shrinker that ignores the mask is seen
 *    at the lowest one.
 *  - OOM notifiers run for every level, so they always hold "reclaim", the
 *    lowest (oom_notify_context_enter()).
 *  - An allocation at level L may enter reclaim at L, which may do anything
 *    reclaim at a lower level does: it acquires and releases every level up
 *    to L, so every lock held across it points to all of them.
 *  - Code on the I/O path (which reclaim with __GFP_IO waits for) holds
 *    "reclaim_io" (io_path_enter()).
 *  - Masks without __GFP_DIRECT_RECLAIM and tasks with PF_MEMALLOC (already
 *    reclaiming) touch no pseudo-lock: they cannot enter reclaim.
 * Invariants and locking: the maps are static and immutable; no locks.
 */
#include "internal.h"

enum reclaim_level {
	RECLAIM_NONE = -1,
	RECLAIM_NOIO = 0,
	RECLAIM_IO = 1,
	RECLAIM_FS = 2,
	NR_RECLAIM_LEVELS = 3
};

static struct lockdep_map reclaim_maps[NR_RECLAIM_LEVELS] = {
	LOCKDEP_MAP_INIT("reclaim", LOCKDEP_PSEUDO),
	LOCKDEP_MAP_INIT("reclaim_io", LOCKDEP_PSEUDO),
	LOCKDEP_MAP_INIT("reclaim_fs", LOCKDEP_PSEUDO),
};

static enum reclaim_level gfp_reclaim_level(gfp_t gfp)
{
	gfp = current_gfp_context(gfp);
	if (!(gfp & __GFP_DIRECT_RECLAIM) ||
	    (task_flags(current) & PF_MEMALLOC))
		return RECLAIM_NONE;
	if (gfp & __GFP_FS)
		return RECLAIM_FS;
	if (gfp & __GFP_IO)
		return RECLAIM_IO;
	return RECLAIM_NOIO;
}

void fs_reclaim_acquire(gfp_t gfp)
{
	enum reclaim_level level = gfp_reclaim_level(gfp);

	if (level != RECLAIM_NONE)
		lock_acquire(&reclaim_maps[level], 0, 0, LOCKDEP_EXCLUSIVE,
			     _RET_IP_);
}

void fs_reclaim_release(gfp_t gfp)
{
	enum reclaim_level level = gfp_reclaim_level(gfp);

	if (level != RECLAIM_NONE)
		lock_release(&reclaim_maps[level], _RET_IP_);
}

/*
 * OOM notifiers run for any allocation that may enter direct reclaim,
 * GFP_NOIO ones included (Linux calls them before looking at __GFP_FS), so
 * they hold the lowest level: a lock they take then conflicts with an
 * allocation of every level made while holding it.
 */
void oom_notify_context_enter(void)
{
	lock_acquire(&reclaim_maps[RECLAIM_NOIO], 0, 0, LOCKDEP_EXCLUSIVE,
		     _RET_IP_);
}

void oom_notify_context_exit(void)
{
	lock_release(&reclaim_maps[RECLAIM_NOIO], _RET_IP_);
}

void io_path_enter(void)
{
	lock_acquire(&reclaim_maps[RECLAIM_IO], 0, 0, LOCKDEP_EXCLUSIVE,
		     _RET_IP_);
}

void io_path_exit(void)
{
	lock_release(&reclaim_maps[RECLAIM_IO], _RET_IP_);
}

#if BALLAST_LOCKDEP
static unsigned int gfp_capabilities(gfp_t gfp)
{
	unsigned int bits = 0;

	gfp = current_gfp_context(gfp);
	if (gfp & __GFP_DIRECT_RECLAIM) {
		bits |= LOCKDEP_ALLOC_RECLAIM;
		if (gfp & __GFP_IO)
			bits |= LOCKDEP_ALLOC_IO;
		if (gfp & __GFP_FS)
			bits |= LOCKDEP_ALLOC_FS;
	}
	return bits;
}

void might_alloc_ip(gfp_t gfp, unsigned long ip)
{
	enum reclaim_level level = gfp_reclaim_level(gfp);

	if (gfpflags_allow_blocking(current_gfp_context(gfp)))
		__might_sleep_ip(ip);
	lockdep_alloc_check(gfp_capabilities(gfp), "allocation", ip);
	for (int l = 0; l <= (int)level; l++) {
		lock_acquire(&reclaim_maps[l], 0, 0, LOCKDEP_EXCLUSIVE, ip);
		lock_release(&reclaim_maps[l], ip);
	}
}

void alloc_scope_push(gfp_t gfp, const char *what, unsigned long ip)
{
	lockdep_alloc_scope_push(gfp_capabilities(gfp), what, ip);
}

void alloc_scope_pop(void)
{
	lockdep_alloc_scope_pop();
}
#endif

void oom_notify_forced(gfp_t gfp)
{
	struct oom_control oc = { .gfp_mask = gfp };
	unsigned long freed = 0;

	/* Only masks the slow path would take to the OOM notifiers. */
	if (!gfpflags_allow_blocking(gfp) ||
	    (gfp & (__GFP_NORETRY | __GFP_RETRY_MAYFAIL)) ||
	    (task_flags(current) & PF_MEMALLOC))
		return;
	if (!mutex_trylock(&oom_lock))
		return;
	oom_notify_call(&oc, &freed);
	mutex_unlock(&oom_lock);
}
