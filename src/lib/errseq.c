// SPDX-License-Identifier: MIT
/*
 * errseq.c - error sequence counters (errseq.h).
 *
 * Layout of the word: bits 0-11 the errno of the latest error, bit 12
 * "seen" (someone sampled it with errseq_check_and_advance), bits 13-31 a
 * counter bumped when a new error follows a seen one. Invariants and
 * locking: the word is only changed by compare-and-swap; no locks.
 */
#include <ballast/lib/errseq.h>

#define ERRSEQ_MAX_ERRNO 4095u
#define ERRSEQ_SEEN (1u << 12)
#define ERRSEQ_CTR_INC (1u << 13)

errseq_t errseq_set(_Atomic(errseq_t) *eseq, int err)
{
	errseq_t old = atomic_load(eseq), new;

	if (err >= 0 || (unsigned int)-err > ERRSEQ_MAX_ERRNO)
		err = -5;	/* EIO: keep the counter meaningful */
	for (;;) {
		new = (old & ~(ERRSEQ_MAX_ERRNO | ERRSEQ_SEEN)) |
		      (errseq_t)-err;
		if (old & ERRSEQ_SEEN)
			new += ERRSEQ_CTR_INC;
		if (new == old ||
		    atomic_compare_exchange_weak(eseq, &old, new))
			return new;
	}
}

errseq_t errseq_sample(_Atomic(errseq_t) *eseq)
{
	errseq_t old = atomic_load(eseq);

	/* An error nobody has seen yet must reach this new observer. */
	if (!(old & ERRSEQ_SEEN))
		old = 0;
	return old;
}

int errseq_check(_Atomic(errseq_t) *eseq, errseq_t since)
{
	errseq_t cur = atomic_load(eseq);

	if ((cur | ERRSEQ_SEEN) == (since | ERRSEQ_SEEN))
		return 0;
	return -(int)(cur & ERRSEQ_MAX_ERRNO);
}

int errseq_check_and_advance(_Atomic(errseq_t) *eseq, errseq_t *since)
{
	errseq_t old = atomic_load(eseq), new;
	int err = 0;

	if (old != *since) {
		errseq_t expected = old;

		/*
		 * Report what was read. If a new error raced in, the CAS
		 * fails and leaves it unseen and different from *since: the
		 * next check reports it, once. (Reporting the new error here
		 * without storing SEEN would report it twice, and
		 * errseq_check() would not see it in between.)
		 */
		new = old | ERRSEQ_SEEN;
		if (new != old)
			atomic_compare_exchange_strong(eseq, &expected, new);
		*since = new;
		err = -(int)(new & ERRSEQ_MAX_ERRNO);
	}
	return err;
}
