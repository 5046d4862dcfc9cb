// SPDX-License-Identifier: MIT
/*
 * fault.c - coverage forcing and fault injection for test builds: every
 * Nth allocation fails, enters direct reclaim, or calls the OOM notifiers,
 * so that a test which runs a path once checks it against reclaim.
 *
 * Invariants and locking: the knobs and the sequence number are atomics;
 * no locks. Compiled out of release builds.
 */
#include "internal.h"

#if BALLAST_TESTING
#include <stdlib.h>

static _Atomic(unsigned long) fail_nth, reclaim_nth, oom_nth;
static _Atomic(unsigned long) alloc_seq;

void alloc_fault_set(const struct alloc_fault_config *cfg)
{
	atomic_store(&fail_nth, cfg ? cfg->fail_nth : 0);
	atomic_store(&reclaim_nth, cfg ? cfg->reclaim_nth : 0);
	atomic_store(&oom_nth, cfg ? cfg->oom_nth : 0);
	atomic_store(&alloc_seq, 0);
}

static unsigned long env_ulong(const char *name)
{
	const char *v = getenv(name);

	return v ? strtoul(v, NULL, 0) : 0;
}

void alloc_fault_init_from_env(void)
{
	struct alloc_fault_config cfg = {
		.fail_nth = env_ulong("BALLAST_FAIL_ALLOC_NTH"),
		.reclaim_nth = env_ulong("BALLAST_FORCE_RECLAIM_NTH"),
		.oom_nth = env_ulong("BALLAST_FORCE_OOM_NTH"),
	};

	alloc_fault_set(&cfg);
}

static bool nth(_Atomic(unsigned long) *knob, unsigned long seq)
{
	unsigned long n = atomic_load_explicit(knob, memory_order_relaxed);

	return n && seq % n == 0;
}

void alloc_fault_tick(gfp_t gfp, struct alloc_forced *forced)
{
	unsigned long seq;

	forced->fail = forced->reclaim = forced->oom = false;
	if (!atomic_load_explicit(&fail_nth, memory_order_relaxed) &&
	    !atomic_load_explicit(&reclaim_nth, memory_order_relaxed) &&
	    !atomic_load_explicit(&oom_nth, memory_order_relaxed))
		return;
	seq = atomic_fetch_add(&alloc_seq, 1) + 1;
	forced->fail = !(gfp & __GFP_NOFAIL) && nth(&fail_nth, seq);
	forced->reclaim = nth(&reclaim_nth, seq);
	forced->oom = nth(&oom_nth, seq);
}
#endif
