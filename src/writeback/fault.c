// SPDX-License-Identifier: MIT
/*
 * fault.c - fault injection for the writeback submission path (test
 * builds): every Nth pwritev submission fails, or writes only half.
 *
 * Invariants and locking: knobs and the sequence number are atomics; no
 * locks. Compiled out of release builds.
 */
#include "internal.h"

#if BALLAST_TESTING
#include <errno.h>

static _Atomic(unsigned long) fail_nth, short_nth, seq;
static _Atomic(int) fail_errno;

void writeback_fault_set(const struct writeback_fault_config *cfg)
{
	atomic_store(&fail_nth, cfg ? cfg->fail_nth : 0);
	atomic_store(&short_nth, cfg ? cfg->short_nth : 0);
	atomic_store(&fail_errno, cfg && cfg->fail_errno ? cfg->fail_errno
							  : EIO);
	atomic_store(&seq, 0);
}

int writeback_fault_tick(void)
{
	unsigned long f = atomic_load_explicit(&fail_nth, memory_order_relaxed);
	unsigned long s = atomic_load_explicit(&short_nth,
					       memory_order_relaxed);
	unsigned long n;

	if (!f && !s)
		return 0;
	n = atomic_fetch_add(&seq, 1) + 1;
	if (f && n % f == 0)
		return -atomic_load(&fail_errno);
	if (s && n % s == 0)
		return 1;
	return 0;
}
#endif
