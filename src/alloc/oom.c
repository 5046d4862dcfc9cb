// SPDX-License-Identifier: MIT
/*
 * oom.c - oom_lock, the OOM notifier chain and out_of_memory(): what the
 * allocator does when an allocation that may not fail cheaply has found
 * nothing.
 *
 * Invariants and locking:
 *  - oom_lock (mutex) serialises OOM handling; the allocator only trylocks
 *    it, so it orders nothing before it. Notifiers and the killer run with
 *    it held.
 *  - oom_notify_lock (rwsem) protects the chain: written by
 *    register/unregister, read while calling. The chain is sorted by
 *    descending priority.
 *  - Notifiers run inside the lowest reclaim context ("reclaim"), whatever
 *    the failing allocation's mask: they can be reached from any allocation
 *    that may enter direct reclaim, so a lock they take must never be held
 *    across such an allocation (bug 1: virtio-balloon's deflate-on-OOM
 *    notifier and balloon_lock).
 *  - Lock order: oom_lock -> reclaim pseudo-lock -> oom_notify_lock ->
 *    whatever the notifiers take.
 */
#include "internal.h"

#include <errno.h>

DEFINE_MUTEX(oom_lock);
static DECLARE_RWSEM(oom_notify_lock);
static struct notifier_block *oom_notify_head;	/* oom_notify_lock */

int register_oom_notifier(struct notifier_block *nb)
{
	struct notifier_block **pos;

	down_write(&oom_notify_lock);
	for (pos = &oom_notify_head; *pos; pos = &(*pos)->next)
		if (nb->priority > (*pos)->priority)
			break;
	nb->next = *pos;
	*pos = nb;
	up_write(&oom_notify_lock);
	return 0;
}

int unregister_oom_notifier(struct notifier_block *nb)
{
	struct notifier_block **pos;
	int ret = -ENOENT;

	down_write(&oom_notify_lock);
	for (pos = &oom_notify_head; *pos; pos = &(*pos)->next) {
		if (*pos == nb) {
			*pos = nb->next;
			nb->next = NULL;
			ret = 0;
			break;
		}
	}
	up_write(&oom_notify_lock);
	return ret;
}

void oom_notify_call(struct oom_control *oc, unsigned long *freed)
{
	struct notifier_block *nb;

	oom_notify_context_enter();
	down_read(&oom_notify_lock);
	for (nb = oom_notify_head; nb; nb = nb->next)
		nb->notifier_call(nb, 0, freed);
	up_read(&oom_notify_lock);
	oom_notify_context_exit();
}

bool out_of_memory(struct oom_control *oc)
{
	bool (*kill)(struct oom_control *) = __atomic_load_n(
		&alloc_hooks_active.oom_kill, __ATOMIC_ACQUIRE);
	unsigned long freed = 0;

	lockdep_assert_held(&oom_lock);
	if (!oc->memcg) {
		oom_notify_call(oc, &freed);
		if (freed > 0)
			return true;
	}
	if (!kill)
		return false;
	/* No kill for I/O-less global OOM: the victim may need our locks. */
	if (!oc->memcg && !(oc->gfp_mask & __GFP_FS))
		return false;
	return kill(oc);
}
